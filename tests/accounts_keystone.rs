//! Two accounts in one daemon, through the Keystone API: an admin of account A (an IAM user
//! whose group maps to Keystone's `admin`) neither sees nor changes account B's users,
//! projects or credentials, nor gets a token for B's project; each refused call is first made
//! by B's own admin, and succeeds.

mod common;
#[path = "common/accounts.rs"]
mod two;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{ACCOUNT, Daemon};
use iamd::app::HttpRequest;
use iamd::config::ServiceUser;
use iamd::sigv4::SecretKey;
use serde_json::{Value, json};
use two::{ACCOUNT_B, PASSWORD, Tally, b_root, populate};

const SERVICE_PASSWORD: &str = "swift-service-password";

async fn call(d: &Daemon, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut headers = vec![("Host".to_owned(), "127.0.0.1:5000".to_owned())];
    if let Some(t) = token {
        headers.push(("X-Auth-Token".into(), t.into()));
    }
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let req = HttpRequest {
        secure: false,
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: body.into(),
        peer: None,
    };
    let out = iamd::keystone::handle(&d.app, req).await;
    let body = if out.body.is_empty() { Value::Null } else { serde_json::from_slice(&out.body).unwrap() };
    (out.status, body)
}

fn password_auth(user: Value, project_id: &str) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": user}},
        "scope": {"project": {"id": project_id}},
    }})
}

async fn token(d: &Daemon, auth: Value) -> Result<String, (u16, Value)> {
    let req = HttpRequest {
        secure: false,
        method: "POST".into(),
        path: "/v3/auth/tokens".into(),
        query: String::new(),
        headers: vec![("Host".to_owned(), "127.0.0.1:5000".to_owned())],
        body: auth.to_string().into_bytes().into(),
        peer: None,
    };
    let out = iamd::keystone::handle(&d.app, req).await;
    let subject = out.headers.iter().find(|(k, _)| *k == "x-subject-token").map(|(_, v)| v.clone());
    match subject {
        Some(t) if out.status == 201 => Ok(t),
        _ => Err((out.status, serde_json::from_slice(&out.body).unwrap_or(Value::Null))),
    }
}

async fn user_token(d: &Daemon, name: &str, project: &str) -> Result<String, (u16, Value)> {
    token(d, password_auth(json!({"name": name, "password": PASSWORD, "domain": {"id": "default"}}), project)).await
}

/// B's admin gets 2xx for `path`; A's admin gets one of `refusals`.
async fn both(
    d: &Daemon,
    t: &mut Tally,
    tokens: (&str, &str),
    method: &str,
    path: &str,
    body: Option<Value>,
    refusals: &[u16],
) {
    let (b_status, b_body) = call(d, method, path, Some(tokens.1), body.clone()).await;
    assert!((200..300).contains(&b_status), "{method} {path}: B's own admin gets {b_status} {b_body}");
    refused(d, t, tokens.0, method, path, body, refusals).await;
}

async fn refused(
    d: &Daemon,
    t: &mut Tally,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    refusals: &[u16],
) {
    let (status, body) = call(d, method, path, Some(token), body).await;
    assert!(refusals.contains(&status), "{method} {path}: A's admin gets {status} {body}");
    let text = body.to_string();
    assert!(!text.contains("bravo"), "{method} {path}: {text}");
    t.count("Keystone", format!("{method} {status}"));
}

fn sign_v4(secret: &str, sts: &str) -> String {
    let key = iamd::sigv4::signing_key(&SecretKey::new(secret.into()), "20261201", "us-east-1", "s3");
    iamd::sigv4::signature_hex(&key, sts)
}

#[test]
fn keystone_answers_stay_within_the_callers_account() {
    two::on_a_big_stack(keystone_across_accounts);
}

async fn keystone_across_accounts() {
    let d = two::start(|s| {
        s.keystone.service_users.push(ServiceUser {
            name: "swift".into(),
            password: SecretKey::new(SERVICE_PASSWORD.into()),
            project: "service".into(),
            roles: vec!["admin".into()],
        });
        s.keystone.group_roles.insert("ops".into(), vec!["admin".into()]);
    })
    .await;
    let a = populate(&d.root_iam(), ACCOUNT, "alpha").await;
    let b = populate(&b_root(&d), ACCOUNT_B, "bravo").await;
    for (iam, user) in [(d.root_iam(), &a.user), (b_root(&d), &b.user)] {
        iam.create_group().group_name("ops").send().await.unwrap();
        iam.add_user_to_group().group_name("ops").user_name(user).send().await.unwrap();
    }
    let ta = user_token(&d, &a.user, ACCOUNT).await.unwrap();
    let tb = user_token(&d, &b.user, ACCOUNT_B).await.unwrap();
    let tokens = (ta.as_str(), tb.as_str());
    let mut t = Tally::default();

    let blob = json!({"credential": {"type": "oauth", "blob": "bravo-secret-blob", "user_id": b.user_id}});
    let (status, made) = call(&d, "POST", "/v3/credentials", Some(&tb), Some(blob)).await;
    assert_eq!(status, 201, "{made}");
    let blob_id = made["credential"]["id"].as_str().unwrap().to_owned();

    let ec2 = format!("/v3/users/{}/credentials/OS-EC2", b.user_id);
    let denied = [403, 404];
    both(&d, &mut t, tokens, "GET", &ec2, None, &denied).await;
    both(&d, &mut t, tokens, "GET", &format!("{ec2}/{}", b.key_id), None, &denied).await;
    both(&d, &mut t, tokens, "GET", &format!("/v3/users/{ACCOUNT_B}/credentials/OS-EC2"), None, &denied).await;
    both(&d, &mut t, tokens, "GET", &format!("/v3/credentials/{blob_id}"), None, &denied).await;
    both(&d, &mut t, tokens, "GET", &format!("/v3/credentials/{}", b.key_id), None, &denied).await;
    both(&d, &mut t, tokens, "GET", &format!("/v3/users/{}", b.user_id), None, &denied).await;
    both(&d, &mut t, tokens, "GET", &format!("/v3/projects/{ACCOUNT_B}"), None, &denied).await;
    let patch = json!({"credential": {"blob": "rotated"}});
    refused(&d, &mut t, &ta, "PATCH", &format!("/v3/credentials/{blob_id}"), Some(patch), &denied).await;
    refused(&d, &mut t, &ta, "DELETE", &format!("/v3/credentials/{blob_id}"), None, &denied).await;
    refused(&d, &mut t, &ta, "DELETE", &format!("/v3/credentials/{}", b.key_id), None, &denied).await;
    refused(&d, &mut t, &ta, "DELETE", &format!("{ec2}/{}", b.key_id), None, &denied).await;
    refused(&d, &mut t, &ta, "POST", &ec2, Some(json!({"tenant_id": ACCOUNT_B})), &denied).await;
    refused(&d, &mut t, &ta, "POST", &ec2, Some(json!({"tenant_id": ACCOUNT})), &denied).await;
    let plant = json!({"credential": {"type": "totp", "blob": "x", "user_id": b.user_id}});
    refused(&d, &mut t, &ta, "POST", "/v3/credentials", Some(plant), &denied).await;

    // Listings: A's admin sees its own account's things, none of B's.
    for path in ["/v3/credentials", "/v3/users", "/v3/projects", "/v3/users?name=bravo-user"] {
        let (status, body) = call(&d, "GET", path, Some(&ta), None).await;
        assert_eq!(status, 200, "{path}: {body}");
        let text = body.to_string();
        assert!(!text.contains("bravo") && !text.contains(ACCOUNT_B), "{path}: {text}");
        t.count("Keystone listing", "200 without B".into());
    }
    let (_, mine) = call(&d, "GET", "/v3/credentials", Some(&ta), None).await;
    assert!(mine.to_string().contains(&a.key_id), "A's admin sees its own credentials: {mine}");
    let (_, filtered) = call(&d, "GET", &format!("/v3/credentials?user_id={}", b.user_id), Some(&ta), None).await;
    assert_eq!(filtered["credentials"], json!([]));

    // No token for B's project: not by password, not by rescoping A's token.
    let refused_login = user_token(&d, &a.user, ACCOUNT_B).await.unwrap_err();
    assert_eq!(refused_login.0, 401, "{}", refused_login.1);
    let rescope = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": ta}}, "scope": {"project": {"id": ACCOUNT_B}}}});
    assert_eq!(token(&d, rescope).await.unwrap_err().0, 401);
    let own = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": ta}}, "scope": {"project": {"id": ACCOUNT}}}});
    token(&d, own).await.expect("rescoping within A works");
    t.count("Keystone token for B's project", "401".into());
    t.count("Keystone token for B's project", "401".into());

    // B is as it was: its credentials, its key.
    let (_, theirs) = call(&d, "GET", "/v3/credentials", Some(&tb), None).await;
    assert_eq!(theirs["credentials"].as_array().unwrap().len(), 2, "{theirs}");
    assert!(theirs.to_string().contains(&b.key_id));
    let (_, blob_now) = call(&d, "GET", &format!("/v3/credentials/{blob_id}"), Some(&tb), None).await;
    assert_eq!(blob_now["credential"]["blob"], "bravo-secret-blob");
    d.sts(&b.key_id, &b.key_secret).get_caller_identity().send().await.unwrap();

    // s3tokens with B's key answers B's identity; with a wrong signature, nothing.
    let service = token(
        &d,
        json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": "swift", "password": SERVICE_PASSWORD, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": "service", "domain": {"id": "default"}}},
        }}),
    )
    .await
    .unwrap();
    let sts = format!("AWS4-HMAC-SHA256\n20261201T000000Z\n20261201/us-east-1/s3/aws4_request\n{}", "0".repeat(64));
    let body = |secret: &str| json!({"credentials": {"access": b.key_id, "token": STANDARD.encode(&sts), "signature": sign_v4(secret, &sts)}});
    let (status, answer) = call(&d, "POST", "/v3/s3tokens", Some(&service), Some(body(&b.key_secret))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token"]["user"]["id"], b.user_id.as_str());
    assert_eq!(answer["token"]["project"]["id"], ACCOUNT_B);
    for caller in [&service, &ta] {
        let (status, answer) = call(&d, "POST", "/v3/s3tokens", Some(caller), Some(body(&a.key_secret))).await;
        assert_eq!(status, 401, "{answer}");
        assert!(!answer.to_string().contains("bravo"), "{answer}");
        t.count("Keystone s3tokens, B's key, wrong signature", "401".into());
    }
}
