//! Small helpers shared by the test files.

use time::OffsetDateTime;

use crate::sigv4::{
    AuthError, ParsedAuth, RequestParts, SecretKey, Settings, SigningKeyCache, UriEncoding, parse, parse_amz_date,
    verify,
};

/// The secret of AWS's documentation examples (IAM, aws-c-auth suite).
pub(super) const DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// An owned request, so tests can build and mutate one freely.
#[derive(Debug, Clone)]
pub(super) struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn new(method: &str, path: &str, query: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: body.to_vec(),
        }
    }

    pub fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// Replaces the value of every header named `name` (any case).
    pub fn set_header(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_owned();
            }
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

/// An `X-Amz-Date` string as a time; test input, so a bad one is a bug.
pub(super) fn at(amz_date: &str) -> OffsetDateTime {
    parse_amz_date(amz_date).expect("test timestamps are well formed")
}

pub(super) fn settings(now: &str, encoding: UriEncoding) -> Settings {
    Settings::new(at(now), encoding)
}

/// Both steps, as the server runs them.
pub(super) fn authenticate(req: &Req, secret: &str, settings: &Settings) -> Result<ParsedAuth, AuthError> {
    let parsed = parse(&req.parts(), settings)?;
    verify(&req.parts(), &parsed, &SecretKey::new(secret.to_owned()), settings, &SigningKeyCache::new())?;
    Ok(parsed)
}

/// The code and message of an error, for compact assertions.
pub(super) fn err_of(r: Result<ParsedAuth, AuthError>) -> (&'static str, String) {
    match r {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => (e.code(), e.message().to_owned()),
    }
}
