//! Roles and STS through the official AWS SDKs: AssumeRole with trust and session policies,
//! temporary credentials verified on every request, expiry, tampering, chaining, GetSessionToken.

mod common;

use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use std::str::FromStr;

use common::{ACCOUNT, Daemon, aws_error, get, http_status};
use iamd::clock::Clock;

const ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","iam:GetUser"],"Resource":"*"}]}"#;

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":["sts:AssumeRole","sts:TagSession"]}}]}}"#
    )
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// A role `name` trusted by the whole account, allowed ListUsers and GetUser; and user `user` allowed to assume it.
async fn setup(d: &Daemon, name: &str, user: &str) -> (String, String) {
    let iam = d.root_iam();
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:root")))
        .send()
        .await
        .unwrap();
    iam.put_role_policy().role_name(name).policy_name("p").policy_document(ROLE_POLICY).send().await.unwrap();
    let (id, secret) = d.user_with_key(user).await;
    let may_assume = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"{}"}}]}}"#,
        role_arn(name)
    );
    iam.put_user_policy().user_name(user).policy_name("assume").policy_document(may_assume).send().await.unwrap();
    (id, secret)
}

fn code<E: ProvideErrorMetadata, R>(err: &aws_sdk_sts::error::SdkError<E, R>) -> String {
    err.as_service_error().and_then(ProvideErrorMetadata::code).unwrap_or_default().to_owned()
}

fn message<E: ProvideErrorMetadata, R>(err: &aws_sdk_sts::error::SdkError<E, R>) -> String {
    err.as_service_error().and_then(ProvideErrorMetadata::message).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn assumed_role_credentials_work_until_expiry_and_refuse_tampering() {
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let d = Daemon::start_with_clock(clock.clone()).await;
    let (id, secret) = setup(&d, "reader", "alice").await;
    let out =
        d.sts(&id, &secret).assume_role().role_arn(role_arn("reader")).role_session_name("s1").send().await.unwrap();
    let creds = out.credentials.unwrap();
    assert!(creds.access_key_id.starts_with("ASIA") && creds.access_key_id.len() == 20);
    let user = out.assumed_role_user.unwrap();
    assert_eq!(user.arn, format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1"));
    assert!(user.assumed_role_id.starts_with("AROA") && user.assumed_role_id.ends_with(":s1"));
    let expires = creds.expiration.secs() - time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((3590..=3610).contains(&expires), "default duration is an hour: {expires}");

    let token = creds.session_token.clone();
    let session = d.sts_with_token(&creds.access_key_id, &creds.secret_access_key, Some(token.clone()));
    // This client signs with the daemon's clock, so moving the clock ages the token, not the signature.
    let session = aws_sdk_sts::Client::from_conf(
        session.config().to_builder().time_source(common::ClockSource(clock.clone())).build(),
    );
    let me = session.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(user.arn.as_str()));
    assert_eq!(me.user_id(), Some(user.assumed_role_id.as_str()));

    let iam = iam_with_token(&d, &creds.access_key_id, &creds.secret_access_key, &token);
    iam.list_users().send().await.unwrap();
    // A role session has no user of its own: calls that default to "the caller's user" need a name.
    for err in [
        aws_error(&iam.get_user().send().await.unwrap_err()),
        aws_error(&iam.list_access_keys().send().await.unwrap_err()),
        aws_error(&iam.create_access_key().send().await.unwrap_err()),
    ] {
        assert_eq!(
            err,
            ("ValidationError".into(), "Must specify userName when calling with non-User credentials".into())
        );
    }
    let err = iam.list_groups().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1 is not authorized to perform: iam:ListGroups on resource: \
             arn:aws:iam::{ACCOUNT}:group/ because no identity-based policy allows the iam:ListGroups action"
        )
    );

    // The key without its token, or with another session's token, or a tampered one: refused.
    let bare = d.sts(&creds.access_key_id, &creds.secret_access_key);
    assert_eq!(code(&bare.get_caller_identity().send().await.unwrap_err()), "InvalidClientTokenId");
    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let bad =
        d.sts_with_token(&creds.access_key_id, &creds.secret_access_key, Some(String::from_utf8(tampered).unwrap()));
    let err = bad.get_caller_identity().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidClientTokenId");
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);
    let other =
        d.sts(&id, &secret).assume_role().role_arn(role_arn("reader")).role_session_name("s2").send().await.unwrap();
    let other_token = other.credentials.unwrap().session_token;
    let swapped = d.sts_with_token(&creds.access_key_id, &creds.secret_access_key, Some(other_token));
    assert_eq!(code(&swapped.get_caller_identity().send().await.unwrap_err()), "InvalidClientTokenId");

    // Past expiry (the skew window is moved along so the signature itself stays fresh).
    clock.advance(time::Duration::seconds(3601));
    let err = session.get_caller_identity().send().await.unwrap_err();
    assert_eq!(code(&err), "ExpiredToken");
    assert_eq!(message(&err), "The security token included in the request is expired");
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
}

fn iam_with_token(d: &Daemon, id: &str, secret: &str, token: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(d.endpoint())
        .credentials_provider(aws_credential_types::Credentials::new(id, secret, Some(token.to_owned()), None, "t"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

#[tokio::test]
async fn a_session_policy_narrows_the_role() {
    let d = Daemon::start().await;
    let (id, secret) = setup(&d, "reader", "bob").await;
    let only_get_user =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
    let out = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("reader"))
        .role_session_name("narrow")
        .policy(only_get_user)
        .send()
        .await
        .unwrap();
    // Deprecated in the SDK in favour of SessionTokenUtilization, but still what AWS returns.
    #[allow(deprecated)]
    let packed = out.packed_policy_size;
    assert!(packed.is_some_and(|p| (1..=100).contains(&p)), "{packed:?}");
    let c = out.credentials.unwrap();
    let iam = iam_with_token(&d, &c.access_key_id, &c.secret_access_key, &c.session_token);
    iam.get_user().user_name("bob").send().await.unwrap();
    let err = iam.list_users().send().await.unwrap_err();
    assert!(
        aws_error(&err).1.ends_with("because no session policy allows the iam:ListUsers action"),
        "{:?}",
        aws_error(&err)
    );

    // A managed policy passed as a session policy narrows the same way.
    let arn = d
        .root_iam()
        .create_policy()
        .policy_name("OnlyList")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    let out = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("reader"))
        .role_session_name("managed")
        .policy_arns(PolicyDescriptorType::builder().arn(arn).build())
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    let iam = iam_with_token(&d, &c.access_key_id, &c.secret_access_key, &c.session_token);
    iam.list_users().send().await.unwrap();
    assert_eq!(aws_error(&iam.get_user().user_name("bob").send().await.unwrap_err()).0, "AccessDenied");

    let err = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("reader"))
        .role_session_name("x1")
        .policy("{")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedPolicyDocument");

    // Session tags share the packed budget with the session policy: 50 long tags overflow it.
    let mut big = d.sts(&id, &secret).assume_role().role_arn(role_arn("reader")).role_session_name("x2");
    for i in 0..50 {
        big =
            big.tags(Tag::builder().key(format!("k{i:03}{}", "k".repeat(100))).value("v".repeat(200)).build().unwrap());
    }
    let err = big.send().await.unwrap_err();
    assert_eq!(code(&err), "PackedPolicyTooLarge");
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
}

#[tokio::test]
async fn trust_policies_decide_who_may_assume() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let (alice_id, alice_secret) = setup(&d, "shared", "alice").await;
    let (bob_id, bob_secret) = d.user_with_key("bob").await;
    let bob = d.sts(&bob_id, &bob_secret);

    // The trust policy names the account; bob has no identity policy allowing sts:AssumeRole.
    let err = bob.assume_role().role_arn(role_arn("shared")).role_session_name("bb").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    assert_eq!(
        message(&err),
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: {}",
            role_arn("shared")
        )
    );
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);

    // A trust policy naming bob directly suffices on its own.
    iam.create_role()
        .role_name("bobs")
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:user/bob")))
        .send()
        .await
        .unwrap();
    bob.assume_role().role_arn(role_arn("bobs")).role_session_name("bb").send().await.unwrap();
    let alice = d.sts(&alice_id, &alice_secret);
    assert_eq!(
        code(&alice.assume_role().role_arn(role_arn("bobs")).role_session_name("aa").send().await.unwrap_err()),
        "AccessDenied"
    );

    // Missing roles look the same as refusals; malformed ARNs are validation errors.
    let err = alice.assume_role().role_arn(role_arn("nope")).role_session_name("aa").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = alice.assume_role().role_arn("nothing-valid-in-here").role_session_name("aa").send().await.unwrap_err();
    assert_eq!((code(&err), message(&err)), ("ValidationError".into(), "nothing-valid-in-here is invalid".into()));
    let err =
        alice.assume_role().role_arn(role_arn("shared")).role_session_name("Session1:2").send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationError");

    // Root may not assume roles at all.
    let err = d.root_sts().assume_role().role_arn(role_arn("shared")).role_session_name("rr").send().await.unwrap_err();
    assert_eq!(message(&err), "Roles may not be assumed by root accounts.");
}

#[tokio::test]
async fn external_id_and_duration_bounds() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let (id, secret) = d.user_with_key("carol").await;
    let with_external_id = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/carol"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"xyz-123"}}}}}}]}}"#
    );
    iam.create_role()
        .role_name("vendor")
        .assume_role_policy_document(with_external_id)
        .max_session_duration(7200)
        .send()
        .await
        .unwrap();
    let sts = d.sts(&id, &secret);
    let assume = || sts.assume_role().role_arn(role_arn("vendor")).role_session_name("cc");
    assert_eq!(code(&assume().send().await.unwrap_err()), "AccessDenied");
    assert_eq!(code(&assume().external_id("wrong-id").send().await.unwrap_err()), "AccessDenied");
    assume().external_id("xyz-123").send().await.unwrap();

    let out = assume().external_id("xyz-123").duration_seconds(7200).send().await.unwrap();
    let lasts = out.credentials.unwrap().expiration.secs() - time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((7190..=7210).contains(&lasts));
    let err = assume().external_id("xyz-123").duration_seconds(7201).send().await.unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "ValidationError".into(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into()
        )
    );
    let err = assume().external_id("xyz-123").duration_seconds(899).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert!(message(&err).contains("Member must have value greater than or equal to 900"));
}

#[tokio::test]
async fn role_sessions_chain_with_an_hour_limit_and_carry_transitive_tags() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let (id, secret) = setup(&d, "first", "dave").await;
    iam.create_role().role_name("second").assume_role_policy_document(trust(&role_arn("first"))).send().await.unwrap();
    let allow_assume = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{}"}}]}}"#,
        role_arn("second")
    );
    iam.put_role_policy().role_name("first").policy_name("chain").policy_document(allow_assume).send().await.unwrap();
    let tag = Tag::builder().key("project").value("p1").build().unwrap();
    let first = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("first"))
        .role_session_name("one")
        .tags(tag)
        .transitive_tag_keys("project")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let first_sts = d.sts_with_token(&first.access_key_id, &first.secret_access_key, Some(first.session_token.clone()));
    let err = first_sts
        .assume_role()
        .role_arn(role_arn("second"))
        .role_session_name("two")
        .duration_seconds(3601)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    let conflicting = Tag::builder().key("Project").value("p2").build().unwrap();
    let err = first_sts
        .assume_role()
        .role_arn(role_arn("second"))
        .role_session_name("two")
        .tags(conflicting)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let second = first_sts.assume_role().role_arn(role_arn("second")).role_session_name("two").send().await.unwrap();
    assert_eq!(second.assumed_role_user.unwrap().arn, format!("arn:aws:sts::{ACCOUNT}:assumed-role/second/two"));
    let c = second.credentials.unwrap();
    let me = d
        .sts_with_token(&c.access_key_id, &c.secret_access_key, Some(c.session_token))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/second/two").as_str()));

    let err = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("first"))
        .role_session_name("xx")
        .tags(Tag::builder().key("a").value("1").build().unwrap())
        .transitive_tag_keys("b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "The specified transitive tag key must be included in the requested tags.");
}

#[tokio::test]
async fn get_session_token_issues_user_credentials_that_cannot_call_iam() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("erin").await;
    let out = d.sts(&id, &secret).get_session_token().send().await.unwrap().credentials.unwrap();
    let lasts = out.expiration.secs() - time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((43_190..=43_210).contains(&lasts), "default is 12 hours: {lasts}");
    let session = d.sts_with_token(&out.access_key_id, &out.secret_access_key, Some(out.session_token.clone()));
    let me = session.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(format!("arn:aws:iam::{ACCOUNT}:user/erin").as_str()));
    let err = session.get_session_token().send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let iam = iam_with_token(&d, &out.access_key_id, &out.secret_access_key, &out.session_token);
    let err = iam.get_user().send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "InvalidClientTokenId");
    assert_eq!(http_status(&err), 403);

    let root = d.root_sts().get_session_token().duration_seconds(7200).send().await.unwrap().credentials.unwrap();
    let lasts = root.expiration.secs() - time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(lasts <= 3610, "root sessions last at most an hour: {lasts}");
    let err = d.sts(&id, &secret).get_session_token().duration_seconds(129_601).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationError");

    let info = d.root_sts().get_access_key_info().access_key_id(&id).send().await.unwrap();
    assert_eq!(info.account(), Some(ACCOUNT));
    // Temporary keys are never stored, yet their account is known: key ids carry it, as AWS's do.
    let info = d.root_sts().get_access_key_info().access_key_id(&out.access_key_id).send().await.unwrap();
    assert_eq!(info.account(), Some(ACCOUNT));
}

#[tokio::test]
async fn a_token_issued_before_a_restart_works_after_it() {
    let d = Daemon::start().await;
    let (id, secret) = setup(&d, "durable", "frank").await;
    let c = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("durable"))
        .role_session_name("rr")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let d = d.restart().await;
    let me = d
        .sts_with_token(&c.access_key_id, &c.secret_access_key, Some(c.session_token.clone()))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/durable/rr").as_str()));
    iam_with_token(&d, &c.access_key_id, &c.secret_access_key, &c.session_token).list_users().send().await.unwrap();
}

#[tokio::test]
async fn roles_are_managed_with_aws_shapes_and_conflicts() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let doc = trust(&format!("arn:aws:iam::{ACCOUNT}:root"));
    let role = iam
        .create_role()
        .role_name("app")
        .path("/svc/")
        .description("d")
        .assume_role_policy_document(&doc)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert!(role.role_id.starts_with("AROA") && role.role_id.len() == 21);
    assert_eq!(role.arn, format!("arn:aws:iam::{ACCOUNT}:role/svc/app"));
    let got = iam.get_role().role_name("app").send().await.unwrap().role.unwrap();
    let decoded = percent_encoding::percent_decode_str(got.assume_role_policy_document.as_deref().unwrap())
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, doc);
    assert_eq!(got.max_session_duration, Some(3600));
    let err = iam.create_role().role_name("APP").assume_role_policy_document(&doc).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "EntityAlreadyExists");
    let err = iam.create_role().role_name("bad").assume_role_policy_document("{").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("MalformedPolicyDocument".into(), "This policy contains invalid Json".into()));
    let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        aws_error(
            &iam.create_role().role_name("bad").assume_role_policy_document(no_principal).send().await.unwrap_err()
        )
        .0,
        "MalformedPolicyDocument"
    );

    let ghost = format!("arn:aws:iam::{ACCOUNT}:user/ghost");
    let err =
        iam.create_role().role_name("haunted").assume_role_policy_document(trust(&ghost)).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("MalformedPolicyDocument".into(), format!("Invalid principal in policy: \"AWS\":\"{ghost}\""))
    );
    let err = iam.update_assume_role_policy().role_name("app").policy_document(trust(&ghost)).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "MalformedPolicyDocument");

    iam.update_role().role_name("app").max_session_duration(43_200).send().await.unwrap();
    let updated = iam.update_role_description().role_name("app").description("new").send().await.unwrap().role.unwrap();
    assert_eq!((updated.description.as_deref(), updated.max_session_duration), (Some("new"), Some(43_200)));
    let roles = iam.list_roles().path_prefix("/svc/").send().await.unwrap().roles;
    assert_eq!(roles.iter().map(|r| r.role_name.as_str()).collect::<Vec<_>>(), ["app"]);

    let arn = iam
        .create_policy()
        .policy_name("rp")
        .policy_document(ROLE_POLICY)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    iam.attach_role_policy().role_name("app").policy_arn(&arn).send().await.unwrap();
    let err = iam.delete_role().role_name("app").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("DeleteConflict".into(), "Cannot delete entity, must detach all policies first.".into())
    );
    iam.detach_role_policy().role_name("app").policy_arn(&arn).send().await.unwrap();
    iam.tag_role()
        .role_name("app")
        .tags(aws_sdk_iam::types::Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(iam.list_role_tags().role_name("app").send().await.unwrap().tags.len(), 1);
    iam.delete_role().role_name("app").send().await.unwrap();
    let err = iam.get_role().role_name("app").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("NoSuchEntity".into(), "The role with name app cannot be found.".into()));
}

/// The JWT's header and claims, verified with the key the issuer's JWKS publishes for its `kid`.
fn verify_jwt(token: &str, jwks: &str, audience: &str, issuer: &str) -> serde_json::Value {
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(jwks).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = set.find(header.kid.as_deref().unwrap()).expect("the token's kid is published");
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_audience(&[audience]);
    v.set_issuer(&[issuer]);
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).unwrap().claims
}

#[tokio::test]
async fn outbound_federation_issues_tokens_that_verify_against_the_published_keys() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let (id, secret) = d.user_with_key("alice").await;
    iam.tag_user().user_name("alice").tags(iamd_tag("team", "data")).send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":"https://api.example.com"},
                     "NumericLessThanEquals":{"sts:DurationSeconds":"300"}}}]}"#;
    iam.put_user_policy().user_name("alice").policy_name("jwt").policy_document(policy).send().await.unwrap();
    let sts = d.sts(&id, &secret);
    let token = |aud: &str, alg: &str, secs: Option<i32>| {
        sts.get_web_identity_token()
            .audience(aud)
            .signing_algorithm(alg)
            .set_duration_seconds(secs)
            .tags(Tag::builder().key("job").value("42").build().unwrap())
            .send()
    };

    // Off until enabled.
    let e = iam.get_outbound_web_identity_federation_info().send().await.unwrap_err();
    assert_eq!((aws_error(&e).0.as_str(), http_status(&e)), ("FeatureDisabled", 404));
    let e = token("https://api.example.com", "RS256", None).await.unwrap_err();
    assert_eq!((e.code(), http_status(&e)), (Some("OutboundWebIdentityFederationDisabledException"), 403));

    let issuer = iam.enable_outbound_web_identity_federation().send().await.unwrap().issuer_identifier.unwrap();
    assert!(issuer.starts_with(&format!("{}/outbound-federation/{ACCOUNT}-", d.endpoint())), "{issuer}");
    let e = iam.enable_outbound_web_identity_federation().send().await.unwrap_err();
    assert_eq!((aws_error(&e).0.as_str(), http_status(&e)), ("FeatureEnabled", 409));
    let info = iam.get_outbound_web_identity_federation_info().send().await.unwrap();
    assert_eq!((info.issuer_identifier.as_deref(), info.jwt_vending_enabled), (Some(issuer.as_str()), true));

    let (status, discovery) = get(&d, &format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(status, 200, "{discovery}");
    let discovery: serde_json::Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    let (status, jwks) = get(&d, discovery["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{jwks}");

    for alg in ["RS256", "ES384"] {
        let out = token("https://api.example.com", alg, None).await.unwrap();
        let jwt = out.web_identity_token.unwrap();
        let claims = verify_jwt(&jwt, &jwks, "https://api.example.com", &issuer);
        assert_eq!(jsonwebtoken::decode_header(&jwt).unwrap().alg, jsonwebtoken::Algorithm::from_str(alg).unwrap());
        assert_eq!(claims["sub"], format!("arn:aws:iam::{ACCOUNT}:user/alice"));
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300, "the default duration");
        assert_eq!(out.expiration.unwrap().secs(), claims["exp"].as_i64().unwrap());
        let aws = &claims["https://sts.amazonaws.com/"];
        assert_eq!(aws["aws_account"], ACCOUNT);
        assert_eq!(aws["principal_tags"]["team"], "data");
        assert_eq!(aws["request_tags"]["job"], "42");
        // Signed by this issuer, not by any key: one altered byte of the payload fails.
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].replacen('e', "f", 1);
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&jwks).unwrap();
        let jwk = set.find(jsonwebtoken::decode_header(&jwt).unwrap().kid.as_deref().unwrap()).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::decode_header(&jwt).unwrap().alg);
        v.set_audience(&["https://api.example.com"]);
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&parts.join("."), &key, &v).is_err());
    }
    // The policy's conditions see the audience and the duration.
    let e = token("https://elsewhere.example.com", "RS256", None).await.unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    let e = token("https://api.example.com", "RS256", Some(600)).await.unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    let e = token("https://api.example.com", "HS256", None).await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationError"));

    // Disabled: no token, no documents; the issuer URL is kept for the next Enable.
    iam.disable_outbound_web_identity_federation().send().await.unwrap();
    let e = token("https://api.example.com", "RS256", None).await.unwrap_err();
    assert_eq!(e.code(), Some("OutboundWebIdentityFederationDisabledException"));
    assert_eq!(get(&d, &format!("{issuer}/.well-known/jwks.json")).await.0, 404);
    let info = iam.get_outbound_web_identity_federation_info().send().await.unwrap();
    assert_eq!((info.issuer_identifier.as_deref(), info.jwt_vending_enabled), (Some(issuer.as_str()), false));
    let e = iam.disable_outbound_web_identity_federation().send().await.unwrap_err();
    assert_eq!((aws_error(&e).0.as_str(), http_status(&e)), ("FeatureDisabled", 404));
    let again = iam.enable_outbound_web_identity_federation().send().await.unwrap().issuer_identifier.unwrap();
    assert_eq!(again, issuer);
    let (_, jwks_again) = get(&d, &format!("{issuer}/.well-known/jwks.json")).await;
    assert_eq!(jwks_again, jwks, "the same keys");
    // An unknown issuer has no documents.
    assert_eq!(get(&d, "/outbound-federation/000000000000-00/.well-known/jwks.json").await.0, 404);
}

#[tokio::test]
async fn web_identity_tokens_never_outlive_the_session_that_asked() {
    let d = Daemon::start().await;
    let (id, secret) = setup(&d, "jwt-role", "bob").await;
    let root = d.root_iam();
    root.put_role_policy()
        .role_name("jwt-role")
        .policy_name("jwt")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    root.enable_outbound_web_identity_federation().send().await.unwrap();
    let creds = d
        .sts(&id, &secret)
        .assume_role()
        .role_arn(role_arn("jwt-role"))
        .role_session_name("jwt-session")
        .duration_seconds(900)
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let session = d.sts_with_token(&creds.access_key_id, &creds.secret_access_key, Some(creds.session_token.clone()));
    let ask = |secs: i32| {
        session.get_web_identity_token().audience("a").signing_algorithm("ES384").duration_seconds(secs).send()
    };
    let jwt = ask(600).await.unwrap().web_identity_token.unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], role_arn("jwt-role"), "the role, not the session");
    let e = ask(3600).await.unwrap_err();
    assert_eq!((e.code(), http_status(&e)), (Some("SessionDurationEscalationException"), 403));
}

fn iamd_tag(key: &str, value: &str) -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder().key(key).value(value).build().unwrap()
}

#[tokio::test]
async fn sessions_of_a_long_term_key_end_when_the_key_is_deactivated_or_deleted() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("carol").await;
    let iam = d.root_iam();
    iam.put_user_policy()
        .user_name("carol")
        .policy_name("fed")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let sts = d.sts(&id, &secret);
    let session = sts.get_session_token().send().await.unwrap().credentials.unwrap();
    let federated = sts.get_federation_token().name("carol-fed").send().await.unwrap().credentials.unwrap();
    let clients: Vec<aws_sdk_sts::Client> = [session, federated]
        .into_iter()
        .map(|c| d.sts_with_token(&c.access_key_id, &c.secret_access_key, Some(c.session_token)))
        .collect();
    for c in &clients {
        c.get_caller_identity().send().await.unwrap();
    }
    let set_status = |status: &str| {
        iam.update_access_key()
            .user_name("carol")
            .access_key_id(&id)
            .status(aws_sdk_iam::types::StatusType::from(status))
            .send()
    };
    set_status("Inactive").await.unwrap();
    for c in &clients {
        let e = c.get_caller_identity().send().await.unwrap_err();
        assert_eq!((e.code(), http_status(&e)), (Some("InvalidClientTokenId"), 403), "at once, not at expiry");
    }
    set_status("Active").await.unwrap();
    for c in &clients {
        c.get_caller_identity().send().await.unwrap();
    }
    iam.delete_access_key().user_name("carol").access_key_id(&id).send().await.unwrap();
    for c in &clients {
        assert_eq!(c.get_caller_identity().send().await.unwrap_err().code(), Some("InvalidClientTokenId"));
    }
}
