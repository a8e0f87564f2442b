//! Login profiles and the account password policy, through the AWS SDK for Rust.

mod common;

use common::{Daemon, aws_error, http_status};

#[tokio::test]
async fn login_profiles_follow_iams_shapes_and_errors() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    iam.create_user().user_name("alice").send().await.unwrap();
    let err = iam.get_login_profile().user_name("alice").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("NoSuchEntity".into(), "Login Profile for User alice cannot be found.".into()));
    assert_eq!(http_status(&err), 404);
    // IAM's default policy: at least 8 characters of three kinds.
    let err = iam.create_login_profile().user_name("alice").password("short").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "PasswordPolicyViolation");
    assert_eq!(http_status(&err), 400);
    let made = iam
        .create_login_profile()
        .user_name("alice")
        .password("Good-Password-1")
        .password_reset_required(true)
        .send()
        .await
        .unwrap()
        .login_profile
        .unwrap();
    assert_eq!(made.user_name, "alice");
    assert!(made.password_reset_required);
    let err = iam.create_login_profile().user_name("alice").password("Good-Password-1").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("EntityAlreadyExists".into(), "Login Profile for user alice already exists.".into()));
    assert_eq!(http_status(&err), 409);
    let got = iam.get_login_profile().user_name("alice").send().await.unwrap().login_profile.unwrap();
    assert_eq!(got.create_date, made.create_date);
    iam.update_login_profile().user_name("alice").password_reset_required(false).send().await.unwrap();
    assert!(
        !iam.get_login_profile()
            .user_name("alice")
            .send()
            .await
            .unwrap()
            .login_profile
            .unwrap()
            .password_reset_required
    );
    // A user with a login profile cannot be deleted.
    let err = iam.delete_user().user_name("alice").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("DeleteConflict".into(), "Cannot delete entity, must delete login profile first.".into())
    );
    // The password never appears in a validation message.
    let err = iam.create_login_profile().user_name("ghost").password("x".repeat(129)).send().await.unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!(code, "ValidationError");
    assert!(!message.contains("xxxx"), "{message}");
    iam.delete_login_profile().user_name("alice").send().await.unwrap();
    let err = iam.delete_login_profile().user_name("alice").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "NoSuchEntity");
    iam.delete_user().user_name("alice").send().await.unwrap();
}

#[tokio::test]
async fn the_account_password_policy_is_enforced_on_every_password_set() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let err = iam.get_account_password_policy().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("NoSuchEntity".into(), "The Password Policy with domain name 000000000000 cannot be found.".into())
    );
    iam.update_account_password_policy()
        .minimum_password_length(12)
        .require_symbols(true)
        .require_numbers(true)
        .allow_users_to_change_password(true)
        .password_reuse_prevention(2)
        .send()
        .await
        .unwrap();
    let p = iam.get_account_password_policy().send().await.unwrap().password_policy.unwrap();
    assert_eq!(p.minimum_password_length, Some(12));
    assert!(p.require_symbols && p.require_numbers && !p.require_uppercase_characters);
    assert!(p.allow_users_to_change_password && !p.expire_passwords);
    assert_eq!(p.password_reuse_prevention, Some(2));
    let err = iam.update_account_password_policy().minimum_password_length(5).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "ValidationError");

    iam.create_user().user_name("bob").send().await.unwrap();
    for weak in ["Short-1!", "no-numbers-here!", "n0symbolsatall0"] {
        let err = iam.create_login_profile().user_name("bob").password(weak).send().await.unwrap_err();
        assert_eq!(aws_error(&err).0, "PasswordPolicyViolation", "{weak}");
    }
    iam.create_login_profile().user_name("bob").password("first-password-1!").send().await.unwrap();
    // ChangePassword, as bob: the policy's AllowUsersToChangePassword grants it without any IAM
    // policy; the old password must be right, the new one must follow the policy and not repeat
    // a recent one.
    let key = iam.create_access_key().user_name("bob").send().await.unwrap().access_key.unwrap();
    let bob = d.iam(&key.access_key_id, &key.secret_access_key);
    let err = bob
        .change_password()
        .old_password("wrong-password-1!")
        .new_password("second-password-2!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied");
    let err = bob
        .change_password()
        .old_password("first-password-1!")
        .new_password("first-password-1!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "PasswordPolicyViolation");
    bob.change_password().old_password("first-password-1!").new_password("second-password-2!").send().await.unwrap();
    let err = bob
        .change_password()
        .old_password("first-password-1!")
        .new_password("third-password-3!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied", "the old password no longer works");
    // The policy also lets bob read it.
    assert_eq!(
        bob.get_account_password_policy().send().await.unwrap().password_policy.unwrap().minimum_password_length,
        Some(12)
    );
    // Without AllowUsersToChangePassword, bob needs iam:ChangePassword from a policy.
    iam.update_account_password_policy().minimum_password_length(8).send().await.unwrap();
    let err = bob
        .change_password()
        .old_password("second-password-2!")
        .new_password("fourth-password-4!")
        .send()
        .await
        .unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!(code, "AccessDenied");
    assert!(message.contains("iam:ChangePassword"), "{message}");
    assert_eq!(aws_error(&bob.get_account_password_policy().send().await.unwrap_err()).0, "AccessDenied");
    let allow =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"*"}]}"#;
    iam.put_user_policy().user_name("bob").policy_name("pw").policy_document(allow).send().await.unwrap();
    bob.change_password().old_password("second-password-2!").new_password("fourth-password-4!").send().await.unwrap();
    // Root has no password to change.
    let err =
        iam.change_password().old_password("a-password-1!").new_password("b-password-2!!").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "InvalidUserType");
    iam.delete_account_password_policy().send().await.unwrap();
    let err = iam.delete_account_password_policy().send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "NoSuchEntity");
}
