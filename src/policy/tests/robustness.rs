//! Hostile input never panics: deep nesting, broken escapes, and many deterministic mutations of
//! valid documents go through parsing and, when accepted, evaluation.

use super::support::{ctx, s};
use crate::policy::{EvaluationInput, PolicyDocument, PolicyKind, PolicyRef, evaluate};

const SEEDS: &[&str] = &[
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":["s3:Get*","iam:*"],"Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":["home/${aws:username, 'x'}/*"]},"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"]},"NotAction":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:*:*:*:*"},"Null":{"k":"true"}}}}"#,
];

/// A small deterministic generator (no randomness crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap_or(0)
    }
}

fn exercise(json: &str) {
    for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::ResourceScoped] {
        if let Ok(d) = PolicyDocument::parse(json, kind) {
            let context = ctx(
                "s3:GetObject",
                "arn:aws:s3:::b/alice/x",
                &[("s3:prefix", vec![s("home/alice/1")]), ("aws:TagKeys", vec![s("a"), s("b")])],
            );
            let mut input = EvaluationInput::new(&context);
            input.identity_policies = vec![PolicyRef { source_id: "p", source_type: "t", document: &d }];
            let _ = evaluate(&input);
            let _ = crate::policy::context_keys([&d]);
        }
    }
}

#[test]
fn deep_nesting_and_escapes() {
    exercise(&"[".repeat(100_000));
    exercise(&format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)));
    exercise(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"\ud800","Resource":"*"}}"#);
    exercise(r#"{"Version":"2012-10-17","St\u0061tement":{"Effect":"Allow","Action":"s3:*","Resource":"${"}}"#);
    exercise("\u{feff}{}");
    exercise(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"{}"}}}}"#,
        "*?".repeat(3000)
    ));
}

#[test]
fn mutations_never_panic() {
    let alphabet: Vec<char> = "{}[]:,\"\\*?$ ${}'/aZ09\u{e9}\u{1F600}\n".chars().collect();
    let mut rng = Lcg(42);
    for seed in SEEDS {
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..1500 {
            let mut m = chars.clone();
            for _ in 0..=(rng.next() % 3) {
                let at = rng.next() % (m.len() + 1);
                match rng.next() % 3 {
                    0 if at < m.len() => {
                        m.remove(at);
                    }
                    1 if at < m.len() => {
                        if let Some(slot) = m.get_mut(at) {
                            *slot = alphabet.get(rng.next() % alphabet.len()).copied().unwrap_or('x');
                        }
                    }
                    _ => m.insert(at, alphabet.get(rng.next() % alphabet.len()).copied().unwrap_or('x')),
                }
            }
            exercise(&m.into_iter().collect::<String>());
        }
    }
}
