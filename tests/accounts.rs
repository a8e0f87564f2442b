//! Two accounts in one daemon: nothing of account B is read, listed or changed by account A's
//! root or by an A user allowed `*:*`, whether it names B's things by name, by ARN or by id.
//! Every read that is refused is first made by B's root, and every change is made by B's root
//! afterwards, so each refusal is one the owner does not get. Roles: `tests/accounts_sts.rs`;
//! Keystone: `tests/accounts_keystone.rs`.

mod common;
#[path = "common/accounts.rs"]
mod two;

use aws_sdk_iam::types::{StatusType, Tag};
use common::{ACCOUNT, Daemon};
use two::{ACCOUNT_B, Inventory, Tally, allow, b_root, populate, shows_nothing_of_b, snapshot, trust};

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const NOT_FOUND: [&str; 1] = ["NoSuchEntity"];
/// A resource ARN of another account: refused, as AWS refuses it to the root and to a `*:*`
/// user alike, because no resource-based policy allows the action (IAM resources have none),
/// before any lookup, so the answer does not tell whether the thing exists.
const FOREIGN_ARN: [&str; 1] = ["AccessDenied"];
/// Another account's policy ARN given to one's own entity: "does not exist or is not
/// attachable", as in AWS.
const NOT_ATTACHABLE: [&str; 1] = ["NoSuchEntity"];

struct World {
    _d: Daemon,
    a: Inventory,
    b: Inventory,
    /// A's root and A's `*:*` user.
    attackers: [aws_sdk_iam::Client; 2],
    owner: aws_sdk_iam::Client,
}

async fn world() -> World {
    let d = two::start(|_| {}).await;
    let a = populate(&d.root_iam(), ACCOUNT, "alpha").await;
    let b = populate(&b_root(&d), ACCOUNT_B, "bravo").await;
    let (id, secret) = d.user_with_key("alpha-admin").await;
    let root = d.root_iam();
    root.put_user_policy()
        .user_name("alpha-admin")
        .policy_name("all")
        .policy_document(allow(r#""*""#))
        .send()
        .await
        .unwrap();
    let attackers = [d.root_iam(), d.iam(&id, &secret)];
    let owner = b_root(&d);
    World { _d: d, a, b, attackers, owner }
}

/// The owner's call succeeds; each attacker's same call is refused with one of `codes`.
macro_rules! read {
    ($w:expr, $t:expr, $kind:literal, $codes:expr, |$c:ident| $call:expr) => {{
        let $c = &$w.owner;
        if let Err(e) = $call.send().await {
            panic!("{}: the owner's own call fails: {e:?}", stringify!($call));
        }
        for $c in &$w.attackers {
            $t.refused($kind, stringify!($call), $call.send().await, &$codes);
        }
    }};
}

/// Each attacker's call is refused with one of `codes`; the owner makes it after the state
/// check (`replays`), where it must succeed.
macro_rules! write {
    ($w:expr, $t:expr, $replays:expr, $kind:literal, $codes:expr, |$c:ident| $call:expr) => {{
        for $c in &$w.attackers {
            $t.refused($kind, stringify!($call), $call.send().await, &$codes);
        }
        // Built now, sent at replay: the builder owns its inputs.
        let sent = {
            let $c = &$w.owner;
            $call.send()
        };
        $replays
            .push(Box::pin(async move { sent.await.map(|_| ()).map_err(|e| format!("{}: {e:?}", stringify!($call))) }));
    }};
}

type Replay = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>>;

fn tag(key: &str) -> Tag {
    Tag::builder().key(key).value("x").build().unwrap()
}

#[test]
fn names_arns_and_ids_of_another_account_reach_nothing() {
    two::on_a_big_stack(names_arns_and_ids);
}

async fn names_arns_and_ids() {
    let w = world().await;
    let b = w.b.clone();
    let mut t = Tally::default();
    let before = snapshot(&w.owner, &b).await;

    read!(w, t, "read by name", NOT_FOUND, |c| c.get_user().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_role().role_name(&b.role));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_group().group_name(&b.group));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_instance_profile().instance_profile_name(&b.instance_profile));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_user_policy().user_name(&b.user).policy_name("bravo-inline"));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_role_policy().role_name(&b.role).policy_name("bravo-inline"));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_group_policy().group_name(&b.group).policy_name("bravo-inline"));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_user_policies().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_role_policies().role_name(&b.role));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_group_policies().group_name(&b.group));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_attached_user_policies().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_attached_role_policies().role_name(&b.role));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_attached_group_policies().group_name(&b.group));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_groups_for_user().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_access_keys().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.get_login_profile().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_user_tags().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_role_tags().role_name(&b.role));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_mfa_devices().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_instance_profiles_for_role().role_name(&b.role));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_signing_certificates().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_ssh_public_keys().user_name(&b.user));
    read!(w, t, "read by name", NOT_FOUND, |c| c.list_service_specific_credentials().user_name(&b.user));

    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c.get_policy().policy_arn(&b.policy_arn));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c.get_policy_version().policy_arn(&b.policy_arn).version_id("v1"));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c.list_policy_versions().policy_arn(&b.policy_arn));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c.list_entities_for_policy().policy_arn(&b.policy_arn));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c.list_policy_tags().policy_arn(&b.policy_arn));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&b.oidc_arn));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(&b.oidc_arn));
    read!(w, t, "read by ARN", FOREIGN_ARN, |c| c.list_mfa_device_tags().serial_number(&b.mfa_serial));
    for arn in [&b.user_arn, &b.role_arn, &b.group_arn] {
        read!(w, t, "simulate by ARN", FOREIGN_ARN, |c| c
            .simulate_principal_policy()
            .policy_source_arn(arn)
            .action_names("s3:GetObject"));
        read!(w, t, "simulate by ARN", FOREIGN_ARN, |c| c
            .get_context_keys_for_principal_policy()
            .policy_source_arn(arn));
    }
    read!(w, t, "read by key id", NOT_FOUND, |c| c.get_access_key_last_used().access_key_id(&b.key_id));

    let mut replays: Vec<Replay> = Vec::new();
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.tag_user().user_name(&b.user).tags(tag("k")));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.untag_user().user_name(&b.user).tag_keys("owner"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.tag_role().role_name(&b.role).tags(tag("k")));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.untag_role().role_name(&b.role).tag_keys("owner"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.update_user().user_name(&b.user).new_path("/moved/"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.update_role().role_name(&b.role).description("mine now"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .update_assume_role_policy()
        .role_name(&b.role)
        .policy_document(trust("arn:aws:iam::000000000000:root")));
    for (kind, doc) in [("x", allow(r#""*""#))] {
        write!(w, t, replays, "change by name", NOT_FOUND, |c| c
            .put_user_policy()
            .user_name(&b.user)
            .policy_name(kind)
            .policy_document(&doc));
        write!(w, t, replays, "change by name", NOT_FOUND, |c| c
            .put_role_policy()
            .role_name(&b.role)
            .policy_name(kind)
            .policy_document(&doc));
        write!(w, t, replays, "change by name", NOT_FOUND, |c| c
            .put_group_policy()
            .group_name(&b.group)
            .policy_name(kind)
            .policy_document(&doc));
    }
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .delete_user_policy()
        .user_name(&b.user)
        .policy_name("bravo-inline"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .delete_role_policy()
        .role_name(&b.role)
        .policy_name("bravo-inline"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .delete_group_policy()
        .group_name(&b.group)
        .policy_name("bravo-inline"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .attach_user_policy()
        .user_name(&b.user)
        .policy_arn(READ_ONLY));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .attach_role_policy()
        .role_name(&b.role)
        .policy_arn(READ_ONLY));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .attach_group_policy()
        .group_name(&b.group)
        .policy_arn(READ_ONLY));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .detach_user_policy()
        .user_name(&b.user)
        .policy_arn(&b.policy_arn));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .put_role_permissions_boundary()
        .role_name(&b.role)
        .permissions_boundary(READ_ONLY));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.delete_user_permissions_boundary().user_name(&b.user));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .remove_user_from_group()
        .group_name(&b.group)
        .user_name(&b.user));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .add_user_to_group()
        .group_name(&b.group)
        .user_name(&b.user));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.create_access_key().user_name(&b.user));
    write!(w, t, replays, "change by key id", NOT_FOUND, |c| c
        .update_access_key()
        .user_name(&b.user)
        .access_key_id(&b.key_id)
        .status(StatusType::Inactive));
    write!(w, t, replays, "change by key id", NOT_FOUND, |c| c
        .delete_access_key()
        .user_name(&b.user)
        .access_key_id(&b.key_id));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .update_login_profile()
        .user_name(&b.user)
        .password("Other-Horse-Battery-7"));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c.delete_login_profile().user_name(&b.user));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .remove_role_from_instance_profile()
        .instance_profile_name(&b.instance_profile)
        .role_name(&b.role));
    write!(w, t, replays, "change by name", NOT_FOUND, |c| c
        .delete_instance_profile()
        .instance_profile_name(&b.instance_profile));

    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .create_policy_version()
        .policy_arn(&b.policy_arn)
        .policy_document(allow(r#""*""#)));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .set_default_policy_version()
        .policy_arn(&b.policy_arn)
        .version_id("v2"));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .delete_policy_version()
        .policy_arn(&b.policy_arn)
        .version_id("v1"));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c.tag_policy().policy_arn(&b.policy_arn).tags(tag("k")));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .untag_policy()
        .policy_arn(&b.policy_arn)
        .tag_keys("owner"));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .add_client_id_to_open_id_connect_provider()
        .open_id_connect_provider_arn(&b.oidc_arn)
        .client_id("mine"));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .update_open_id_connect_provider_thumbprint()
        .open_id_connect_provider_arn(&b.oidc_arn)
        .thumbprint_list("ffffffffffffffffffffffffffffffffffffffff"));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&b.oidc_arn)
        .tags(tag("k")));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&b.oidc_arn));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c
        .tag_mfa_device()
        .serial_number(&b.mfa_serial)
        .tags(tag("k")));
    write!(w, t, replays, "change by ARN", FOREIGN_ARN, |c| c.delete_virtual_mfa_device().serial_number(&b.mfa_serial));

    // Calls naming the caller's own things and one of B's: their refusal is only meaningful
    // if the same call with A's counterpart works, so that is checked first.
    let a = &w.a;
    let root_a = &w.attackers[0];
    root_a.attach_role_policy().role_name(&a.role).policy_arn(READ_ONLY).send().await.unwrap();
    root_a.put_role_permissions_boundary().role_name(&a.role).permissions_boundary(&a.policy_arn).send().await.unwrap();
    root_a.add_user_to_group().group_name(&a.group).user_name("alpha-admin").send().await.unwrap();
    root_a.delete_policy_version().policy_arn(&a.policy_arn).version_id("v2").send().await.unwrap();
    root_a.create_access_key().user_name("alpha-admin").send().await.unwrap();
    for c in &w.attackers {
        t.refused(
            "A's entity, B's policy ARN",
            "attach",
            c.attach_user_policy().user_name(&a.user).policy_arn(&b.policy_arn).send().await,
            &NOT_ATTACHABLE,
        );
        t.refused(
            "A's entity, B's policy ARN",
            "attach",
            c.attach_role_policy().role_name(&a.role).policy_arn(&b.policy_arn).send().await,
            &NOT_ATTACHABLE,
        );
        t.refused(
            "A's entity, B's policy ARN",
            "attach",
            c.attach_group_policy().group_name(&a.group).policy_arn(&b.policy_arn).send().await,
            &NOT_ATTACHABLE,
        );
        t.refused(
            "A's entity, B's policy ARN",
            "boundary",
            c.put_role_permissions_boundary().role_name(&a.role).permissions_boundary(&b.policy_arn).send().await,
            &NOT_ATTACHABLE,
        );
        t.refused(
            "A's entity, B's policy ARN",
            "boundary",
            c.put_user_permissions_boundary().user_name(&a.user).permissions_boundary(&b.policy_arn).send().await,
            &NOT_ATTACHABLE,
        );
        t.refused(
            "A's entity, B's name",
            "add role",
            c.add_role_to_instance_profile().instance_profile_name("alpha-ip2").role_name(&b.role).send().await,
            &NOT_FOUND,
        );
        t.refused(
            "A's entity, B's name",
            "add user",
            c.add_user_to_group().group_name(&a.group).user_name(&b.user).send().await,
            &NOT_FOUND,
        );
        t.refused(
            "A's entity, B's key id",
            "update key",
            c.update_access_key().user_name(&a.user).access_key_id(&b.key_id).status(StatusType::Inactive).send().await,
            &NOT_FOUND,
        );
        t.refused(
            "A's entity, B's key id",
            "delete key",
            c.delete_access_key().user_name(&a.user).access_key_id(&b.key_id).send().await,
            &NOT_FOUND,
        );
        t.refused(
            "A's entity, B's key id",
            "delete root key",
            c.delete_access_key().user_name(&a.user).access_key_id(two::B_ROOT_KEY_ID).send().await,
            &NOT_FOUND,
        );
        t.refused(
            "A's entity, B's serial",
            "enable",
            c.enable_mfa_device()
                .user_name(&a.user)
                .serial_number(&b.mfa_serial)
                .authentication_code1("123456")
                .authentication_code2("654321")
                .send()
                .await,
            &NOT_FOUND,
        );
    }
    root_a.create_instance_profile().instance_profile_name("alpha-ip2").send().await.unwrap();
    root_a.add_role_to_instance_profile().instance_profile_name("alpha-ip2").role_name(&a.role).send().await.unwrap();
    // A's root names no user: the key id alone must not find B's keys.
    for id in [b.key_id.as_str(), two::B_ROOT_KEY_ID] {
        t.refused(
            "key id alone",
            "update",
            root_a.update_access_key().access_key_id(id).status(StatusType::Inactive).send().await,
            &NOT_FOUND,
        );
        t.refused("key id alone", "delete", root_a.delete_access_key().access_key_id(id).send().await, &NOT_FOUND);
    }
    // Deleting B's entities by name: B's root would be refused too (DeleteConflict), so the
    // control is that B's root finds them (the reads above).
    for c in &w.attackers {
        t.refused("delete by name", "user", c.delete_user().user_name(&b.user).send().await, &NOT_FOUND);
        t.refused("delete by name", "role", c.delete_role().role_name(&b.role).send().await, &NOT_FOUND);
        t.refused("delete by name", "group", c.delete_group().group_name(&b.group).send().await, &NOT_FOUND);
        t.refused("delete by ARN", "policy", c.delete_policy().policy_arn(&b.policy_arn).send().await, &FOREIGN_ARN);
    }

    assert_eq!(snapshot(&w.owner, &b).await, before, "account B changed under account A's calls");
    for replay in replays {
        replay.await.unwrap_or_else(|e| panic!("the owner's own change fails: {e}"));
    }
    let after = format!("{:?}", w.owner.get_account_authorization_details().send().await.unwrap().user_detail_list());
    assert!(after.contains("/moved/"), "the owner's own changes did not apply: {after}");
}

#[tokio::test]
async fn account_wide_views_show_only_the_callers_account() {
    let w = world().await;
    let a = &w.a;
    let root_a = &w.attackers[0];
    root_a.generate_credential_report().send().await.unwrap();
    w.owner.generate_credential_report().send().await.unwrap();
    for c in &w.attackers {
        let views = [
            format!("{:?}", c.list_users().send().await.unwrap().users()),
            format!("{:?}", c.list_roles().send().await.unwrap().roles()),
            format!("{:?}", c.list_groups().send().await.unwrap().groups()),
            format!(
                "{:?}",
                c.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies()
            ),
            format!("{:?}", c.list_instance_profiles().send().await.unwrap().instance_profiles()),
            format!("{:?}", c.list_open_id_connect_providers().send().await.unwrap().open_id_connect_provider_list()),
            format!("{:?}", c.list_virtual_mfa_devices().send().await.unwrap().virtual_mfa_devices()),
            format!("{:?}", c.list_account_aliases().send().await.unwrap().account_aliases()),
            format!("{:?}", c.list_entities_for_policy().policy_arn(&a.policy_arn).send().await.unwrap()),
        ];
        for (i, v) in views.iter().enumerate() {
            shows_nothing_of_b(&format!("view {i}"), v);
        }
        let none = c.list_service_specific_credentials().all_users(true).send().await.unwrap();
        assert!(none.service_specific_credentials().is_empty(), "{none:?}");
        let details = c.get_account_authorization_details().send().await.unwrap();
        let text = format!(
            "{:?}{:?}{:?}{:?}",
            details.user_detail_list(),
            details.group_detail_list(),
            details.role_detail_list(),
            details.policies()
        );
        shows_nothing_of_b("GetAccountAuthorizationDetails", &text);
        let report = c.get_credential_report().send().await.unwrap();
        let csv = String::from_utf8(report.content.unwrap().into_inner()).unwrap();
        assert!(csv.contains("alpha-user"), "{csv}");
        shows_nothing_of_b("GetCredentialReport", &csv);
        let summary = c.get_account_summary().send().await.unwrap().summary_map.unwrap();
        let users = c.list_users().send().await.unwrap().users().len();
        assert_eq!(
            summary.get(&aws_sdk_iam::types::SummaryKeyType::Users).copied(),
            Some(i32::try_from(users).unwrap())
        );
        assert_eq!(summary.get(&aws_sdk_iam::types::SummaryKeyType::Roles).copied(), Some(1));
        assert_eq!(summary.get(&aws_sdk_iam::types::SummaryKeyType::Policies).copied(), Some(1));
    }
    // The same views, as B's root, do show B's things: the checks above can fail.
    let users = format!("{:?}", w.owner.list_users().send().await.unwrap().users());
    assert!(users.contains("bravo-user") && !users.contains("alpha"), "{users}");
    let report = w.owner.get_credential_report().send().await.unwrap();
    let csv = String::from_utf8(report.content.unwrap().into_inner()).unwrap();
    assert!(csv.contains("bravo-user") && !csv.contains("alpha"), "{csv}");
}

#[tokio::test]
async fn another_accounts_arn_is_refused_as_aws_words_it() {
    use aws_sdk_iam::error::ProvideErrorMetadata;
    let w = world().await;
    let user = w.attackers[1].get_user().send().await.unwrap().user.unwrap().arn;
    let err = w.attackers[1].get_policy().policy_arn(&w.b.policy_arn).send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
    assert_eq!(
        err.message(),
        Some(
            format!(
                "User: {user} is not authorized to perform: iam:GetPolicy on resource: {} because no resource-based \
                 policy allows the iam:GetPolicy action",
                w.b.policy_arn
            )
            .as_str()
        )
    );
    // The same user reads its own account's policy: the identity policy allows it.
    w.attackers[1].get_policy().policy_arn(&w.a.policy_arn).send().await.unwrap();
}
