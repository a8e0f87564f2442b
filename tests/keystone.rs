//! The Keystone-compatible `/v3` API, driven in-process through its request handler (the same
//! entry the HTTP layer calls), with IAM state made through the AWS SDK for Rust. Swift, RGW and
//! the openstack CLI drive it over HTTP in `conformance/`.

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use common::{ACCOUNT, Daemon};
use iamd::app::HttpRequest;
use iamd::clock::Clock;
use iamd::config::ServiceUser;
use iamd::sigv4::SecretKey;
use serde_json::{Value, json};

const SERVICE_PASSWORD: &str = "swift-service-password";
const USER_PASSWORD: &str = "Correct-Horse-Battery-9";

async fn daemon_with(clock: Clock) -> Daemon {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    Daemon::start_configured(dir, clock, configure).await
}

fn configure(s: &mut iamd::config::Settings) {
    s.keystone.service_users.push(ServiceUser {
        name: "swift".into(),
        password: SecretKey::new(SERVICE_PASSWORD.into()),
        project: "service".into(),
        roles: vec!["admin".into()],
    });
    s.keystone.group_roles.insert("operators".into(), vec!["admin".into(), "reader".into()]);
}

async fn daemon() -> Daemon {
    daemon_with(Clock::system()).await
}

struct Answer {
    status: u16,
    body: Value,
    subject_token: Option<String>,
}

async fn call(d: &Daemon, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    call_with(d, method, path, token, body.map(|b| b.to_string().into_bytes()), &[]).await
}

async fn call_with(
    d: &Daemon,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    extra: &[(&str, &str)],
) -> Answer {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut headers = vec![("Host".to_owned(), "127.0.0.1:5000".to_owned())];
    if let Some(t) = token {
        headers.push(("X-Auth-Token".into(), t.into()));
    }
    for (k, v) in extra {
        headers.push(((*k).into(), (*v).into()));
    }
    let req = HttpRequest {
        secure: false,
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: body.unwrap_or_default().into(),
        peer: None,
    };
    let out = iamd::keystone::handle(&d.app, req).await;
    let subject_token = out.headers.iter().find(|(k, _)| *k == "x-subject-token").map(|(_, v)| v.clone());
    let body = if out.body.is_empty() { Value::Null } else { serde_json::from_slice(&out.body).unwrap() };
    assert_eq!(out.content_type, "application/json");
    Answer { status: out.status, body, subject_token }
}

fn password_auth(user: Value, scope: Option<Value>) -> Value {
    let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": user}}});
    if let Some(s) = scope {
        auth["scope"] = s;
    }
    json!({ "auth": auth })
}

/// `POST /v3/auth/tokens` with the password method.
async fn login(d: &Daemon, user: Value, scope: Option<Value>) -> Answer {
    call(d, "POST", "/v3/auth/tokens", None, Some(password_auth(user, scope))).await
}

fn project_scope(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}

/// Logs the service user in (domain by id, as Swift's s3token does); returns its token.
async fn service_token(d: &Daemon) -> String {
    let a = call(
        d,
        "POST",
        "/v3/auth/tokens",
        None,
        Some(password_auth(
            json!({"name": "swift", "password": SERVICE_PASSWORD, "domain": {"id": "default"}}),
            Some(project_scope("service")),
        )),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.subject_token.unwrap()
}

/// Creates an IAM user with a login profile; returns its id.
async fn user_with_password(d: &Daemon, name: &str) -> String {
    let iam = d.root_iam();
    let id = iam.create_user().user_name(name).send().await.unwrap().user.unwrap().user_id;
    iam.create_login_profile().user_name(name).password(USER_PASSWORD).send().await.unwrap();
    id
}

/// Logs an IAM user in (domains by name, as RGW and the openstack CLI do); returns its token.
async fn user_token(d: &Daemon, name: &str) -> (String, Value) {
    let a = call(
        d,
        "POST",
        "/v3/auth/tokens",
        None,
        Some(password_auth(
            json!({"name": name, "password": USER_PASSWORD, "domain": {"name": "Default"}}),
            Some(json!({"project": {"name": ACCOUNT, "domain": {"name": "Default"}}})),
        )),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    (a.subject_token.unwrap(), a.body)
}

fn role_names(body: &Value) -> Vec<String> {
    body["token"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect()
}

fn assert_error(a: &Answer, status: u16, title: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["error"]["code"], status, "{}", a.body);
    assert_eq!(a.body["error"]["title"], title, "{}", a.body);
    assert!(a.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", a.body);
}

#[tokio::test]
async fn version_discovery_and_unknown_routes() {
    let d = daemon().await;
    let a = call(&d, "GET", "/v3", None, None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["version"]["status"], "stable");
    assert_eq!(a.body["version"]["links"][0]["href"], "http://127.0.0.1:5000/v3/");
    assert_error(&call(&d, "GET", "/v3/regions", None, None).await, 404, "Not Found");
    assert_error(&call(&d, "PUT", "/v3/auth/tokens", None, None).await, 405, "Method Not Allowed");
}

#[tokio::test]
async fn service_users_get_scoped_tokens_that_validate_and_survive_a_restart() {
    let d = daemon().await;
    let token = service_token(&d).await;
    // Routing ignores the query string (keystoneauth may add ?nocatalog).
    let a = call_with(&d, "GET", "/v3/auth/tokens?nocatalog", Some(&token), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = &a.body["token"];
    assert_eq!(t["user"]["name"], "swift");
    assert_eq!(t["user"]["domain"], json!({"id": "default", "name": "Default"}));
    assert_eq!(t["project"]["name"], "service");
    assert_eq!(t["project"]["domain"]["id"], "default");
    assert_eq!(role_names(&a.body), ["admin"]);
    assert!(t.get("catalog").is_none(), "nocatalog");
    let d = d.restart_configured(configure).await;
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&token), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(a.status, 200, "a token outlives the process that sealed it: {}", a.body);
    let catalog = &a.body["token"]["catalog"][0];
    assert_eq!(catalog["type"], "identity");
    assert_eq!(catalog["endpoints"][0]["url"], "http://127.0.0.1:5000/v3");
    // Behind a proxy the catalog names the configured public URL instead.
    let d = d
        .restart_configured(|s| {
            configure(s);
            s.keystone.public_url = Some("https://iam.example.org/v3".into());
        })
        .await;
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&token), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(a.body["token"]["catalog"][0]["endpoints"][0]["url"], "https://iam.example.org/v3");
}

#[tokio::test]
async fn token_requests_that_fail_get_keystone_errors() {
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let d = daemon_with(clock.clone()).await;
    let wrong = login(&d, json!({"name": "swift", "password": "nope", "domain": {"id": "default"}}), None).await;
    assert_error(&wrong, 401, "Unauthorized");
    let nobody = login(&d, json!({"name": "nobody", "password": "x", "domain": {"id": "default"}}), None).await;
    assert_error(&nobody, 401, "Unauthorized");
    let domain =
        login(&d, json!({"name": "swift", "password": SERVICE_PASSWORD, "domain": {"id": "other"}}), None).await;
    assert_error(&domain, 401, "Unauthorized");
    let project = login(
        &d,
        json!({"name": "swift", "password": SERVICE_PASSWORD, "domain": {"id": "default"}}),
        Some(project_scope("someone-elses")),
    )
    .await;
    assert_error(&project, 401, "Unauthorized");
    let malformed = call_with(&d, "POST", "/v3/auth/tokens", None, Some(b"{not json".to_vec()), &[]).await;
    assert_error(&malformed, 400, "Bad Request");
    assert_error(&call(&d, "POST", "/v3/auth/tokens", None, Some(json!({"auth": {}}))).await, 400, "Bad Request");
    let unscoped =
        login(&d, json!({"name": "swift", "password": SERVICE_PASSWORD, "domain": {"id": "default"}}), None).await;
    assert_eq!(unscoped.status, 201);
    assert!(unscoped.body["token"].get("project").is_none());

    let token = service_token(&d).await;
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    // A subject token that does not validate is Keystone's 404; a bad caller token is 401.
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&token), None, &[("X-Subject-Token", &tampered)]).await;
    assert_error(&a, 404, "Not Found");
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&tampered), None, &[("X-Subject-Token", &token)]).await;
    assert_error(&a, 401, "Unauthorized");
    assert_error(&call(&d, "POST", "/v3/s3tokens", Some(&tampered), Some(json!({}))).await, 401, "Unauthorized");
    assert_error(&call(&d, "POST", "/v3/s3tokens", None, Some(json!({}))).await, 401, "Unauthorized");
    // An hour later the token has expired.
    clock.advance(time::Duration::seconds(3601));
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&token), None, &[("X-Subject-Token", &token)]).await;
    assert_error(&a, 401, "Unauthorized");
    let fresh = service_token(&d).await;
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&fresh), None, &[("X-Subject-Token", &token)]).await;
    assert_error(&a, 404, "Not Found");
}

#[tokio::test]
async fn iam_users_log_in_with_their_login_profile_and_get_roles_from_groups() {
    let d = daemon().await;
    let iam = d.root_iam();
    let id = user_with_password(&d, "alice").await;
    let (token, body) = user_token(&d, "alice").await;
    let t = &body["token"];
    assert_eq!(t["user"]["id"], id.as_str());
    assert_eq!(t["user"]["name"], "alice");
    assert_eq!(t["project"]["id"], ACCOUNT);
    assert_eq!(t["project"]["name"], ACCOUNT);
    assert_eq!(role_names(&body), ["member"]);
    // Group membership maps to roles in the next token.
    iam.create_group().group_name("operators").send().await.unwrap();
    iam.add_user_to_group().group_name("operators").user_name("alice").send().await.unwrap();
    let (_, body) = user_token(&d, "alice").await;
    assert_eq!(role_names(&body), ["member", "admin", "reader"]);
    // With an account alias, the alias is the project's name, and logins may name it.
    iam.create_account_alias().account_alias("research-lab").send().await.unwrap();
    let aliases = iam.list_account_aliases().send().await.unwrap();
    assert_eq!(aliases.account_aliases(), ["research-lab"]);
    let a = call(
        &d,
        "POST",
        "/v3/auth/tokens",
        None,
        Some(password_auth(
            json!({"name": "alice", "password": USER_PASSWORD, "domain": {"name": "Default"}}),
            Some(json!({"project": {"name": "research-lab", "domain": {"name": "Default"}}})),
        )),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        a.body["token"]["project"],
        json!({"id": ACCOUNT, "name": "research-lab", "domain": {"id": "default", "name": "Default"}})
    );
    let err = iam.delete_account_alias().account_alias("other-alias").send().await.unwrap_err();
    assert_eq!(common::aws_error(&err).0, "NoSuchEntity");
    let err = iam.create_account_alias().account_alias("Bad--Alias").send().await.unwrap_err();
    assert_eq!(common::aws_error(&err).0, "ValidationError");
    iam.delete_account_alias().account_alias("research-lab").send().await.unwrap();
    assert!(iam.list_account_aliases().send().await.unwrap().account_aliases().is_empty());
    // A user may validate its own token, not someone else's.
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&token), None, &[("X-Subject-Token", &token)]).await;
    assert_eq!(a.status, 200);
    let service = service_token(&d).await;
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&token), None, &[("X-Subject-Token", &service)]).await;
    assert_error(&a, 403, "Forbidden");
    // A user id works in place of name and domain.
    let a = call(
        &d,
        "POST",
        "/v3/auth/tokens",
        None,
        Some(password_auth(json!({"id": id, "password": USER_PASSWORD}), Some(json!({"project": {"id": ACCOUNT}})))),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // Deleting the login profile ends password logins; a password reset requirement refuses them.
    iam.update_login_profile().user_name("alice").password_reset_required(true).send().await.unwrap();
    let a = login(&d, json!({"name": "alice", "password": USER_PASSWORD, "domain": {"id": "default"}}), None).await;
    assert_error(&a, 401, "Unauthorized");
    assert!(a.body["error"]["message"].as_str().unwrap().contains("expired"), "{}", a.body);
    iam.delete_login_profile().user_name("alice").send().await.unwrap();
    let a = login(&d, json!({"name": "alice", "password": USER_PASSWORD, "domain": {"id": "default"}}), None).await;
    assert_error(&a, 401, "Unauthorized");
    // A deleted user's tokens stop working at once.
    iam.remove_user_from_group().group_name("operators").user_name("alice").send().await.unwrap();
    iam.delete_user().user_name("alice").send().await.unwrap();
    let a = call_with(&d, "GET", "/v3/auth/tokens", Some(&service), None, &[("X-Subject-Token", &token)]).await;
    assert_error(&a, 404, "Not Found");
}

/// A botocore-signed S3 request's string to sign, signature and key (tests/data/sigv4).
struct S3Vector {
    name: String,
    string_to_sign: String,
    signature: String,
    key_id: String,
    secret: String,
}

fn s3_vectors() -> Vec<S3Vector> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sigv4/botocore_vectors.json"))
        .unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    let out: Vec<S3Vector> = all
        .iter()
        .filter(|v| v["service"] == "s3")
        .map(|v| S3Vector {
            name: v["name"].as_str().unwrap().into(),
            string_to_sign: v["expected_string_to_sign"].as_str().unwrap().into(),
            signature: v["expected_signature"].as_str().unwrap().into(),
            key_id: v["access_key_id"].as_str().unwrap().into(),
            secret: v["secret_access_key"].as_str().unwrap().into(),
        })
        .collect();
    let names: Vec<&str> = out.iter().map(|v| v.name.as_str()).collect();
    for needed in ["s3-header", "s3-presigned", "s3-unsigned-payload", "s3-streaming-seed"] {
        assert!(names.contains(&needed), "vector {needed} missing: {names:?}");
    }
    out
}

fn s3tokens_body(access: &str, sts_b64: &str, signature: &str) -> Value {
    json!({"credentials": {"access": access, "token": sts_b64, "signature": signature}})
}

#[tokio::test]
async fn s3tokens_checks_botocore_s3_signatures_in_either_base64_alphabet() {
    let d = daemon().await;
    let iam = d.root_iam();
    let id = iam.create_user().user_name("vec").send().await.unwrap().user.unwrap().user_id;
    let vectors = s3_vectors();
    // The vectors' key (AKIDEXAMPLE) becomes vec's, with the vectors' secret.
    let v0 = &vectors[0];
    iamd::access_keys::create_with(
        &d.app.store,
        ACCOUNT,
        &iamd::access_keys::KeyOwner::User("vec".into()),
        time::OffsetDateTime::now_utc(),
        Some((v0.key_id.clone(), SecretKey::new(v0.secret.clone()))),
    )
    .unwrap();
    let service = service_token(&d).await;
    for v in &vectors {
        let raw = v.string_to_sign.as_bytes();
        for encoded in [STANDARD.encode(raw), URL_SAFE.encode(raw), URL_SAFE_NO_PAD.encode(raw)] {
            let a = call(
                &d,
                "POST",
                "/v3/s3tokens",
                Some(&service),
                Some(s3tokens_body(&v.key_id, &encoded, &v.signature)),
            )
            .await;
            assert_eq!(a.status, 200, "{}: {}", v.name, a.body);
            let t = &a.body["token"];
            assert_eq!(t["user"]["id"], id.as_str(), "{}", v.name);
            assert_eq!(t["user"]["name"], "vec");
            assert_eq!(t["user"]["domain"]["name"], "Default");
            assert_eq!(t["project"]["id"], ACCOUNT);
            assert_eq!(t["project"]["domain"]["id"], "default");
            assert_eq!(role_names(&a.body), ["member"]);
            assert!(t["expires_at"].as_str().unwrap().ends_with('Z'));
        }
        let mut bad = v.signature.clone();
        bad.replace_range(0..1, if bad.starts_with('0') { "1" } else { "0" });
        let a = call(
            &d,
            "POST",
            "/v3/s3tokens",
            Some(&service),
            Some(s3tokens_body(&v.key_id, &STANDARD.encode(raw), &bad)),
        )
        .await;
        assert_error(&a, 401, "Unauthorized");
        // The same string to sign altered by one byte.
        let altered = v.string_to_sign.replacen("aws4_request", "aws4_requesu", 1);
        let a = call(
            &d,
            "POST",
            "/v3/ec2tokens",
            Some(&service),
            Some(s3tokens_body(&v.key_id, &STANDARD.encode(&altered), &v.signature)),
        )
        .await;
        assert_ne!(a.status, 200, "{}", v.name);
    }
    // ec2tokens answers the same and also hands out a token.
    let v = &vectors[0];
    let body = json!({"ec2Credentials": {"access": v.key_id, "token": STANDARD.encode(&v.string_to_sign), "signature": v.signature}});
    let a = call(&d, "POST", "/v3/ec2tokens", Some(&service), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.subject_token.is_some());
    // Deactivated: 401 on the very next check. Unknown: 404.
    // (AKIDEXAMPLE is shorter than IAM's API accepts, so the shared key code deactivates it.)
    iamd::access_keys::set_status(
        &d.app.store,
        ACCOUNT,
        &iamd::access_keys::KeyOwner::User("vec".into()),
        &v.key_id,
        iamd::store::KeyStatus::Inactive,
    )
    .unwrap();
    let sts = STANDARD.encode(&v.string_to_sign);
    let a = call(&d, "POST", "/v3/s3tokens", Some(&service), Some(s3tokens_body(&v.key_id, &sts, &v.signature))).await;
    assert_error(&a, 401, "Unauthorized");
    let a = call(
        &d,
        "POST",
        "/v3/s3tokens",
        Some(&service),
        Some(s3tokens_body("AKIAUNKNOWNKEY000000", &sts, &v.signature)),
    )
    .await;
    assert_error(&a, 404, "Not Found");
}

#[tokio::test]
async fn s3tokens_refuses_malformed_requests_and_callers_without_a_service_role() {
    let d = daemon().await;
    let service = service_token(&d).await;
    for body in [
        json!({}),
        json!({"credentials": "x"}),
        json!({"credentials": {"access": "AKIAIOSFODNN7EXAMPLE", "signature": "00"}}),
        json!({"credentials": {"access": "AKIAIOSFODNN7EXAMPLE", "token": "!!!", "signature": "00"}}),
        json!({"credentials": {"access": "AKIAIOSFODNN7EXAMPLE", "token": STANDARD.encode("AWS4-HMAC-SHA256\nx\ny"), "signature": "00"}}),
    ] {
        let a = call(&d, "POST", "/v3/s3tokens", Some(&service), Some(body.clone())).await;
        assert_error(&a, 400, "Bad Request");
    }
    user_with_password(&d, "bob").await;
    let (member, _) = user_token(&d, "bob").await;
    let body = s3tokens_body("AKIAIOSFODNN7EXAMPLE", &STANDARD.encode("GET\n\n\nx\n/"), "AAAA");
    assert_error(&call(&d, "POST", "/v3/s3tokens", Some(&member), Some(body)).await, 403, "Forbidden");
}

/// SigV4 over `sts` with `secret`, as a client would sign it.
fn sign_v4(secret: &str, sts: &str) -> String {
    let key = iamd::sigv4::signing_key(&SecretKey::new(secret.into()), "20261201", "us-east-1", "s3");
    iamd::sigv4::signature_hex(&key, sts)
}

/// SigV2 (base64 HMAC-SHA1) over `sts` with `secret`, computed independently of iamd.
fn sign_v2(secret: &str, sts: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn s3tokens_resolves_temporary_keys_without_their_session_token_and_sigv2() {
    let d = daemon().await;
    let iam = d.root_iam();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]});
    let role = iam
        .create_role()
        .role_name("storage")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let (runner_key, runner_secret) = d.user_with_key("runner").await;
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]});
    iam.put_user_policy()
        .user_name("runner")
        .policy_name("assume")
        .policy_document(allow.to_string())
        .send()
        .await
        .unwrap();
    let creds = d
        .sts(&runner_key, &runner_secret)
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name("job-7")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let sts = format!(
        "AWS4-HMAC-SHA256\n20261201T101500Z\n20261201/us-east-1/s3/aws4_request\n{}",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let service = service_token(&d).await;
    let sig = sign_v4(&creds.secret_access_key, &sts);
    let a = call(
        &d,
        "POST",
        "/v3/s3tokens",
        Some(&service),
        Some(s3tokens_body(&creds.access_key_id, &URL_SAFE.encode(&sts), &sig)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token"]["project"]["id"], ACCOUNT);
    assert_eq!(a.body["token"]["user"]["name"], "storage/job-7");
    let user_id = a.body["token"]["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(user_id, format!("{}:job-7", role.role_id));
    // RGW then fetches the secret through OS-EC2.
    let path = format!("/v3/users/{user_id}/credentials/OS-EC2/{}", creds.access_key_id);
    let a = call(&d, "GET", &path, Some(&service), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["credential"]["secret"], creds.secret_access_key.as_str());
    // The temporary key survives a restart (it is in the store, not only in memory).
    let d = d.restart_configured(configure).await;
    let a = call(
        &d,
        "POST",
        "/v3/s3tokens",
        Some(&service),
        Some(s3tokens_body(&creds.access_key_id, &URL_SAFE.encode(&sts), &sig)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);

    // SigV2 (HMAC-SHA1, base64) with a long-term key.
    let (key_id, secret) = d.user_with_key("legacy").await;
    let v2 = "GET\n\n\nTue, 01 Dec 2026 10:15:00 +0000\n/bucket/object";
    let sig = sign_v2(&secret, v2);
    let a = call(&d, "POST", "/v3/s3tokens", Some(&service), Some(s3tokens_body(&key_id, &STANDARD.encode(v2), &sig)))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token"]["user"]["name"], "legacy");
    let a = call(
        &d,
        "POST",
        "/v3/s3tokens",
        Some(&service),
        Some(s3tokens_body(&key_id, &STANDARD.encode(v2), "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
    )
    .await;
    assert_error(&a, 401, "Unauthorized");
}

#[tokio::test]
async fn os_ec2_credentials_are_iam_access_keys() {
    let d = daemon().await;
    let id = user_with_password(&d, "carol").await;
    user_with_password(&d, "dave").await;
    let (token, _) = user_token(&d, "carol").await;
    let (other, _) = user_token(&d, "dave").await;
    let base = format!("/v3/users/{id}/credentials/OS-EC2");
    let a = call(&d, "POST", &base, Some(&token), Some(json!({"tenant_id": ACCOUNT}))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let c = &a.body["credential"];
    let (access, secret) = (c["access"].as_str().unwrap().to_owned(), c["secret"].as_str().unwrap().to_owned());
    assert_eq!(c["user_id"], id.as_str());
    assert_eq!(c["tenant_id"], ACCOUNT);
    assert!(c["links"]["self"].as_str().unwrap().ends_with(&format!("/OS-EC2/{access}")));
    // The key signs AWS requests at once and is listed by IAM.
    let who = d.sts(&access, &secret).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(format!("arn:aws:iam::{ACCOUNT}:user/carol").as_str()));
    let listed = d.root_iam().list_access_keys().user_name("carol").send().await.unwrap();
    assert_eq!(listed.access_key_metadata()[0].access_key_id(), Some(access.as_str()));
    // Same quota as IAM: two keys.
    assert_eq!(call(&d, "POST", &base, Some(&token), Some(json!({"tenant_id": ACCOUNT}))).await.status, 201);
    let third = call(&d, "POST", &base, Some(&token), Some(json!({"tenant_id": ACCOUNT}))).await;
    assert_eq!(third.status, 409, "{}", third.body);
    assert!(third.body["error"]["message"].as_str().unwrap().contains("AccessKeysPerUser"));
    // Another project, another user's keys: refused.
    assert_error(
        &call(&d, "POST", &base, Some(&token), Some(json!({"tenant_id": "111111111111"}))).await,
        403,
        "Forbidden",
    );
    assert_error(&call(&d, "GET", &base, Some(&other), None).await, 403, "Forbidden");
    // The owner sees its keys without secrets; a service user sees secrets (RGW needs them).
    let a = call(&d, "GET", &base, Some(&token), None).await;
    assert_eq!(a.body["credentials"].as_array().unwrap().len(), 2);
    assert!(a.body["credentials"][0].get("secret").is_none());
    let one = format!("{base}/{access}");
    assert!(call(&d, "GET", &one, Some(&token), None).await.body["credential"].get("secret").is_none());
    let service = service_token(&d).await;
    let a = call(&d, "GET", &one, Some(&service), None).await;
    assert_eq!(a.body["credential"]["secret"], secret.as_str());
    // The account root's keys, the configured one included, are the root user's (id = account).
    let root_key = format!("/v3/users/{ACCOUNT}/credentials/OS-EC2/{}", common::ROOT_KEY_ID);
    let a = call(&d, "GET", &root_key, Some(&service), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["credential"]["secret"], common::ROOT_SECRET);
    assert_error(&call(&d, "GET", &root_key, Some(&token), None).await, 403, "Forbidden");
    // Deleting revokes at once.
    let a = call(&d, "DELETE", &one, Some(&token), None).await;
    assert_eq!(a.status, 204);
    assert!(d.sts(&access, &secret).get_caller_identity().send().await.is_err());
    assert_error(&call(&d, "GET", &one, Some(&service), None).await, 404, "Not Found");
    assert_error(&call(&d, "DELETE", &one, Some(&token), None).await, 404, "Not Found");
    assert_error(
        &call(&d, "GET", "/v3/users/AIDANOSUCHUSER0000000/credentials/OS-EC2", Some(&service), None).await,
        404,
        "Not Found",
    );
}

#[tokio::test]
async fn credentials_api_keeps_sealed_blobs_per_user() {
    let d = daemon().await;
    let id = user_with_password(&d, "erin").await;
    let other_id = user_with_password(&d, "frank").await;
    let (token, _) = user_token(&d, "erin").await;
    let (other, _) = user_token(&d, "frank").await;
    let blob = r#"{"client_id":"app","client_secret":"s3cr3t-blob-value-42"}"#;
    let a = call(
        &d,
        "POST",
        "/v3/credentials",
        Some(&token),
        Some(json!({"credential": {"type": "oauth", "blob": blob, "user_id": id}})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let cred_id = a.body["credential"]["id"].as_str().unwrap().to_owned();
    assert_eq!(a.body["credential"]["blob"], blob);
    let one = format!("/v3/credentials/{cred_id}");
    assert_eq!(call(&d, "GET", &one, Some(&token), None).await.body["credential"]["type"], "oauth");
    // Another user neither sees nor changes it.
    assert_error(&call(&d, "GET", &one, Some(&other), None).await, 404, "Not Found");
    assert_error(&call(&d, "DELETE", &one, Some(&other), None).await, 404, "Not Found");
    let a = call(
        &d,
        "POST",
        "/v3/credentials",
        Some(&other),
        Some(json!({"credential": {"type": "totp", "blob": "x", "user_id": id}})),
    )
    .await;
    assert_error(&a, 403, "Forbidden");
    // An ec2 credential brings its own pair and is an IAM key.
    let ec2 = json!({"access": "AKIAIMPORTEDKEY00001", "secret": "imported-secret-0123456789"}).to_string();
    let a = call(
        &d,
        "POST",
        "/v3/credentials",
        Some(&token),
        Some(json!({"credential": {"type": "ec2", "blob": ec2, "user_id": id, "project_id": ACCOUNT}})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let who = d.sts("AKIAIMPORTEDKEY00001", "imported-secret-0123456789").get_caller_identity().send().await.unwrap();
    assert_eq!(who.user_id(), Some(id.as_str()));
    let a = call(&d, "GET", &format!("/v3/credentials?user_id={id}&type=ec2"), Some(&token), None).await;
    let listed = a.body["credentials"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", a.body);
    assert_eq!(listed[0]["id"], "AKIAIMPORTEDKEY00001");
    let a = call(&d, "GET", "/v3/credentials", Some(&token), None).await;
    assert_eq!(a.body["credentials"].as_array().unwrap().len(), 2, "{}", a.body);
    assert_eq!(
        call(&d, "GET", &format!("/v3/credentials?user_id={other_id}"), Some(&token), None).await.body["credentials"],
        json!([])
    );
    // PATCH replaces the blob; ec2 credentials cannot be patched.
    let a = call(&d, "PATCH", &one, Some(&token), Some(json!({"credential": {"blob": "rotated"}}))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(call(&d, "GET", &one, Some(&token), None).await.body["credential"]["blob"], "rotated");
    let a = call(
        &d,
        "PATCH",
        "/v3/credentials/AKIAIMPORTEDKEY00001",
        Some(&token),
        Some(json!({"credential": {"blob": "{}"}})),
    )
    .await;
    assert_error(&a, 400, "Bad Request");
    // Malformed bodies.
    assert_error(
        &call(&d, "POST", "/v3/credentials", Some(&token), Some(json!({"credential": {"type": "x"}}))).await,
        400,
        "Bad Request",
    );
    assert_error(
        &call(
            &d,
            "POST",
            "/v3/credentials",
            Some(&token),
            Some(json!({"credential": {"type": "ec2", "blob": "not json"}})),
        )
        .await,
        400,
        "Bad Request",
    );
    // The blob is sealed on disk: its text is nowhere in the data dir.
    d.app.store.flush_blocking().unwrap();
    let mut found = false;
    for entry in walk(d.data_dir()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        found |= bytes.windows(7).any(|w| w == b"rotated") || bytes.windows(20).any(|w| w == b"s3cr3t-blob-value-42");
    }
    assert!(!found, "a credential blob is stored in clear");
    // Deleting the credential, then the user with the rest.
    assert_eq!(call(&d, "DELETE", &one, Some(&token), None).await.status, 204);
    assert_error(&call(&d, "GET", &one, Some(&token), None).await, 404, "Not Found");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[tokio::test]
async fn users_and_projects_can_be_looked_up_by_who_may_see_them() {
    let d = daemon().await;
    let alice = user_with_password(&d, "alice").await;
    let bob = user_with_password(&d, "bob").await;
    let (token, _) = user_token(&d, "alice").await;
    let service = service_token(&d).await;
    let a = call(&d, "GET", &format!("/v3/users/{alice}"), Some(&token), None).await;
    assert_eq!((a.status, a.body["user"]["name"].as_str()), (200, Some("alice")), "{}", a.body);
    assert_eq!(a.body["user"]["domain_id"], "default");
    assert_error(&call(&d, "GET", &format!("/v3/users/{bob}"), Some(&token), None).await, 403, "Forbidden");
    assert_error(&call(&d, "GET", "/v3/users/AIDANOBODY00000000000", Some(&service), None).await, 404, "Not Found");
    let a = call(&d, "GET", &format!("/v3/users/{bob}"), Some(&service), None).await;
    assert_eq!(a.body["user"]["name"], "bob");
    let a = call(&d, "GET", "/v3/users?name=bob", Some(&service), None).await;
    assert_eq!(a.body["users"].as_array().unwrap().len(), 1, "{}", a.body);
    assert_eq!(a.body["users"][0]["id"], bob.as_str());
    let a = call(&d, "GET", "/v3/users?name=bob", Some(&token), None).await;
    assert_eq!(a.body["users"], json!([]), "a member sees only itself");
    let a = call(&d, "GET", &format!("/v3/projects/{ACCOUNT}"), Some(&token), None).await;
    assert_eq!(a.body["project"]["name"], ACCOUNT, "{}", a.body);
    let a = call(&d, "GET", &format!("/v3/projects?name={ACCOUNT}"), Some(&token), None).await;
    assert_eq!(a.body["projects"].as_array().unwrap().len(), 1);
    assert_error(&call(&d, "GET", "/v3/projects/service", Some(&token), None).await, 404, "Not Found");
    assert_error(&call(&d, "GET", "/v3/users", None, None).await, 401, "Unauthorized");
}

#[tokio::test]
async fn a_user_without_roles_gets_no_scoped_token_and_no_s3tokens_answer() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let d = Daemon::start_configured(dir, Clock::system(), |s| {
        configure(s);
        s.keystone.default_roles.clear();
    })
    .await;
    user_with_password(&d, "nobody-special").await;
    let (key_id, secret) = {
        let k = d.root_iam().create_access_key().user_name("nobody-special").send().await.unwrap().access_key.unwrap();
        (k.access_key_id, k.secret_access_key)
    };
    let scoped = login(
        &d,
        json!({"name": "nobody-special", "password": USER_PASSWORD, "domain": {"id": "default"}}),
        Some(json!({"project": {"id": ACCOUNT}})),
    )
    .await;
    assert_error(&scoped, 401, "Unauthorized");
    let sts = "GET\n\n\nTue, 01 Dec 2026 10:15:00 +0000\n/bucket/object";
    let sig = sign_v2(&secret, sts);
    let service = service_token(&d).await;
    let a = call(&d, "POST", "/v3/s3tokens", Some(&service), Some(s3tokens_body(&key_id, &STANDARD.encode(sts), &sig)))
        .await;
    assert_error(&a, 401, "Unauthorized");
    // A group mapped to roles gives it one.
    let iam = d.root_iam();
    iam.create_group().group_name("operators").send().await.unwrap();
    iam.add_user_to_group().group_name("operators").user_name("nobody-special").send().await.unwrap();
    let a = call(&d, "POST", "/v3/s3tokens", Some(&service), Some(s3tokens_body(&key_id, &STANDARD.encode(sts), &sig)))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(role_names(&a.body), ["admin", "reader"]);
}
