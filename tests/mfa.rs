//! Virtual MFA devices and MFA sessions through the AWS SDK for Rust, on a clock the test moves:
//! the SDK reads the seed and QR blobs, codes follow the daemon's clock (one step of skew, each
//! code once), an MFA session's `aws:MultiFactorAuthAge` grows with the clock, and the session
//! outlives a restart.

mod common;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::Builder as HttpBuilder;
use aws_smithy_types::retry::RetryConfig;
use common::{Daemon, aws_error, http_status};
use iamd::clock::Clock;
use iamd::mfa::totp::{Seed, step_at};
use time::{Duration, OffsetDateTime};

fn iam_with_token(d: &Daemon, key_id: &str, secret: &str, token: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(d.endpoint())
        .credentials_provider(Credentials::new(key_id, secret, Some(token.to_owned()), None, "test"))
        .http_client(HttpBuilder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
   "Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"300"}}},
  {"Effect":"Allow","Action":"iam:ListRoles","Resource":"*",
   "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;

#[tokio::test]
async fn mfa_sessions_follow_the_daemons_clock_and_survive_a_restart() {
    // The clock starts at the real time (the SDK signs with it) and moves by minutes only.
    let clock = Clock::manual(OffsetDateTime::now_utc());
    let d = Daemon::start_with_clock(clock.clone()).await;
    let iam = d.root_iam();
    let (key_id, secret) = d.user_with_key("kit").await;
    let created = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("kit-phone")
        .send()
        .await
        .unwrap()
        .virtual_mfa_device
        .unwrap();
    let serial = created.serial_number;
    assert_eq!(serial, "arn:aws:iam::000000000000:mfa/kit-phone");
    let seed_text = String::from_utf8(created.base32_string_seed.unwrap().into_inner()).unwrap();
    let seed = Seed::from_base32(&seed_text).unwrap();
    assert!(created.qr_code_png.unwrap().as_ref().starts_with(b"\x89PNG\r\n\x1a\n"));

    let step = || step_at(clock.now().unix_timestamp());
    let s = step();
    let err = iam
        .enable_mfa_device()
        .user_name("kit")
        .serial_number(&serial)
        .authentication_code1(seed.code(s - 3))
        .authentication_code2(seed.code(s - 2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("InvalidAuthenticationCode".into(), "Authentication code for device is not valid.".into())
    );
    assert_eq!(http_status(&err), 403);
    iam.enable_mfa_device()
        .user_name("kit")
        .serial_number(&serial)
        .authentication_code1(seed.code(s - 1))
        .authentication_code2(seed.code(s))
        .send()
        .await
        .unwrap();
    iam.put_user_policy().user_name("kit").policy_name("mfa").policy_document(POLICY).send().await.unwrap();

    // A code three steps ahead is refused now, and accepted once the clock gets there.
    let sts = d.sts(&key_id, &secret);
    let ahead = seed.code(s + 3);
    let err = sts.get_session_token().serial_number(&serial).token_code(&ahead).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied");
    clock.advance(Duration::seconds(90));
    let creds =
        sts.get_session_token().serial_number(&serial).token_code(&ahead).send().await.unwrap().credentials.unwrap();
    let err = sts.get_session_token().serial_number(&serial).token_code(&ahead).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("AccessDenied".into(), "MultiFactorAuthentication failed with invalid MFA one time pass code. ".into()),
        "a code is accepted once"
    );

    let mfa = iam_with_token(&d, &creds.access_key_id, &creds.secret_access_key, &creds.session_token);
    assert_eq!(mfa.list_users().send().await.unwrap().users.len(), 1);
    // Five minutes after the sign-in, aws:MultiFactorAuthAge is past the policy's bound.
    clock.advance(Duration::seconds(301));
    let err = mfa.list_users().send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied");
    assert!(mfa.list_roles().send().await.unwrap().roles.is_empty());

    // The sign-in is in the sealed token: it outlives the daemon.
    let d = d.restart().await;
    let mfa = iam_with_token(&d, &creds.access_key_id, &creds.secret_access_key, &creds.session_token);
    assert!(mfa.list_roles().send().await.unwrap().roles.is_empty());
    let err = mfa.list_users().send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied");
}
