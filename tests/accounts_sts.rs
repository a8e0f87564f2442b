//! Two accounts in one daemon, through STS: a role of account B is assumed from account A only
//! when its trust policy names A and A's caller may assume it; the session then acts in B within
//! the role's policy. Made-up key ids that carry B's account open nothing.

mod common;
#[path = "common/accounts.rs"]
mod two;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::Builder as HttpBuilder;
use common::{ACCOUNT, Daemon};
use two::{ACCOUNT_B, B_ROOT_KEY_ID, B_ROOT_SECRET, Tally, allow, b_root, populate, trust};

fn iam_session(d: &Daemon, c: &aws_sdk_sts::types::Credentials) -> aws_sdk_iam::Client {
    let creds = Credentials::new(&c.access_key_id, &c.secret_access_key, Some(c.session_token.clone()), None, "test");
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(d.endpoint())
        .credentials_provider(creds)
        .http_client(HttpBuilder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

#[test]
fn roles_of_another_account_are_assumed_only_as_their_trust_policy_allows() {
    two::on_a_big_stack(roles_across_accounts);
}

async fn roles_across_accounts() {
    let d = two::start(|_| {}).await;
    let a = populate(&d.root_iam(), ACCOUNT, "alpha").await;
    let b = populate(&b_root(&d), ACCOUNT_B, "bravo").await;
    let root_a = d.root_iam();
    let mut t = Tally::default();
    // B's role trusting A, allowed to read B's users.
    let owner = b_root(&d);
    let shared = owner
        .create_role()
        .role_name("bravo-shared")
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:root")));
    let shared = shared.send().await.unwrap().role.unwrap().arn;
    let reads = allow(r#"["iam:ListUsers","iam:GetUser","iam:GetPolicy","iam:ListAccessKeys"]"#);
    owner.put_role_policy().role_name("bravo-shared").policy_name("read").policy_document(reads).send().await.unwrap();
    // A's users: one that may assume anything, one with no policy at all.
    let (id, secret) = d.user_with_key("alpha-assumer").await;
    root_a
        .put_user_policy()
        .user_name("alpha-assumer")
        .policy_name("assume")
        .policy_document(allow(r#""sts:AssumeRole""#))
        .send()
        .await
        .unwrap();
    let (nobody_id, nobody_secret) = d.user_with_key("alpha-nobody").await;
    let assumer = d.sts(&id, &secret);

    // The control: B's own user with the same permission assumes B's role trusting only B.
    owner.delete_user_permissions_boundary().user_name(&b.user).send().await.unwrap();
    owner
        .put_user_policy()
        .user_name(&b.user)
        .policy_name("assume")
        .policy_document(allow(r#""sts:AssumeRole""#))
        .send()
        .await
        .unwrap();
    let own = d.sts(&b.key_id, &b.key_secret).assume_role().role_arn(&b.role_arn).role_session_name("own").send().await;
    own.expect("B's user assumes B's role");
    // A's callers cannot assume it: its trust policy names only B.
    for (what, sts) in [("A's user allowed sts:AssumeRole", &assumer), ("A's root", &d.root_sts())] {
        let r = sts.assume_role().role_arn(&b.role_arn).role_session_name("in").send().await;
        t.refused("AssumeRole, trust names B only", what, r, &["AccessDenied"]);
    }
    // A role of A, named by its ARN but with B's account: not found, so refused.
    let fake = a.role_arn.replace(ACCOUNT, ACCOUNT_B);
    t.refused(
        "AssumeRole, A's role name in B",
        "",
        assumer.assume_role().role_arn(&fake).role_session_name("xx").send().await,
        &["AccessDenied"],
    );
    // Cross-account needs both sides: B's trust, and A's permission to assume.
    let r = d.sts(&nobody_id, &nobody_secret).assume_role().role_arn(&shared).role_session_name("xx").send().await;
    t.refused("AssumeRole, no permission in A", "", r, &["AccessDenied"]);

    // The positive control: the session is B's role, inside B.
    let out = assumer.assume_role().role_arn(&shared).role_session_name("visit").send().await.unwrap();
    let creds = out.credentials.unwrap();
    let me = d
        .sts_with_token(&creds.access_key_id, &creds.secret_access_key, Some(creds.session_token.clone()))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(ACCOUNT_B));
    assert_eq!(me.arn(), Some(format!("arn:aws:sts::{ACCOUNT_B}:assumed-role/bravo-shared/visit").as_str()));
    let session = iam_session(&d, &creds);
    let users = format!("{:?}", session.list_users().send().await.unwrap().users());
    assert!(users.contains(&b.user_arn) && !users.contains("alpha"), "{users}");
    session.get_user().user_name(&b.user).send().await.unwrap();
    session.get_policy().policy_arn(&b.policy_arn).send().await.unwrap();
    // Beyond the role's policy, and back into A: refused.
    t.refused(
        "session from A, in B",
        "GetUser of A's user",
        session.get_user().user_name(&a.user).send().await,
        &["NoSuchEntity"],
    );
    t.refused(
        "session from A, in B",
        "GetPolicy of A's ARN",
        session.get_policy().policy_arn(&a.policy_arn).send().await,
        &["NoSuchEntity", "AccessDenied"],
    );
    t.refused(
        "session from A, in B",
        "ListAccessKeys of A's user",
        session.list_access_keys().user_name(&a.user).send().await,
        &["NoSuchEntity"],
    );
    t.refused("session from A, in B", "ListRoles", session.list_roles().send().await, &["AccessDenied"]);
    t.refused(
        "session from A, in B",
        "CreateUser",
        session.create_user().user_name("planted").send().await,
        &["AccessDenied"],
    );
    t.refused(
        "session from A, in B",
        "DeleteAccessKey",
        session.delete_access_key().user_name(&b.user).access_key_id(&b.key_id).send().await,
        &["AccessDenied"],
    );
    assert!(root_a.get_user().user_name("planted").send().await.is_err());

    // GetAccessKeyInfo answers the owning account of any key id, as AWS documents; nothing more.
    for (key, owner_account) in
        [(b.key_id.as_str(), ACCOUNT_B), (B_ROOT_KEY_ID, ACCOUNT_B), (a.key_id.as_str(), ACCOUNT)]
    {
        let info = d.root_sts().get_access_key_info().access_key_id(key).send().await.unwrap();
        assert_eq!(info.account(), Some(owner_account), "{key}");
    }

    // Made-up keys that carry B's account in their id: unknown, whatever their prefix.
    let b_prefix = &b.key_id[..12];
    for made_up in [format!("{b_prefix}ZZZZZZZZ"), format!("AS{}ZZZZZZZZ", &b_prefix[2..])] {
        let r = d.sts(&made_up, B_ROOT_SECRET).get_caller_identity().send().await;
        t.refused("made-up key id of B", "GetCallerIdentity", r, &["InvalidClientTokenId"]);
        let r = d.sts_with_token(&made_up, B_ROOT_SECRET, Some("AQoDYXdzEJr//////////wEaoAK1".into()));
        t.refused(
            "made-up key id of B",
            "with a token",
            r.get_caller_identity().send().await,
            &["InvalidClientTokenId"],
        );
    }
    // B's real key with A's secret: the signature does not match, as AWS answers.
    let r = d.sts(&b.key_id, &a.key_secret).get_caller_identity().send().await;
    t.refused("B's key id, A's secret", "", r, &["SignatureDoesNotMatch"]);
    // B's user id and role id, given where A's calls take a key id, find nothing.
    for guessed in [&b.user_id, &b.role_id] {
        let r = root_a.get_access_key_last_used().access_key_id(guessed).send().await;
        t.refused("B's unique id as a key id", "GetAccessKeyLastUsed", r, &["NoSuchEntity", "ValidationError"]);
    }
}
