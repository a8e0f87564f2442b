//! Two accounts in one daemon, each populated through its own root, and a tally of the refusals
//! one account's callers get when they reach for the other's things. Included by the accounts
//! tests with `#[path]`, not by `common`, so the other tests do not build it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::Tag;
use iamd::clock::Clock;
use iamd::config::{AccountSettings, RootCredentials, Settings};
use iamd::sigv4::SecretKey;

use crate::common::{ACCOUNT, Daemon};

pub const ACCOUNT_B: &str = "222233334444";
pub const B_ROOT_KEY_ID: &str = "AKIABRAVOROOTKEY0001";
pub const B_ROOT_SECRET: &str = "bravo-root-secret-0123456789abcdefghijk";
pub const PASSWORD: &str = "Correct-Horse-Battery-9";
const THUMBPRINT: &str = "0123456789abcdef0123456789abcdef01234567";

/// A daemon serving the default account and account B.
pub async fn start(configure: impl FnOnce(&mut Settings)) -> Daemon {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    Daemon::start_configured(dir, Clock::system(), |s| {
        s.accounts.push(AccountSettings {
            id: ACCOUNT_B.into(),
            root: RootCredentials { access_key_id: B_ROOT_KEY_ID.into(), secret: SecretKey::new(B_ROOT_SECRET.into()) },
            seed: Default::default(),
        });
        configure(s);
    })
    .await
}

pub fn b_root(d: &Daemon) -> aws_sdk_iam::Client {
    d.iam(B_ROOT_KEY_ID, B_ROOT_SECRET)
}

/// What [`populate`] made in one account, all named `{prefix}-…`.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub account: String,
    pub prefix: String,
    pub user: String,
    pub user_arn: String,
    pub user_id: String,
    pub key_id: String,
    pub key_secret: String,
    pub group: String,
    pub group_arn: String,
    pub role: String,
    pub role_arn: String,
    pub role_id: String,
    pub policy_arn: String,
    pub instance_profile: String,
    pub oidc_arn: String,
    pub mfa_serial: String,
}

pub fn allow(actions: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"*"}}]}}"#)
}

pub fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

/// A user, group, role and instance profile with inline, attached and boundary policies, a
/// two-version customer managed policy, an access key, a login profile, tags, an OIDC provider
/// and a virtual MFA device, all made by the account's own root `iam`.
pub async fn populate(iam: &aws_sdk_iam::Client, account: &str, p: &str) -> Inventory {
    let doc = allow(r#""s3:GetObject""#);
    let policy = iam.create_policy().policy_name(format!("{p}-pol")).path("/team/").policy_document(&doc);
    let policy = policy.tags(tag("owner", p)).send().await.unwrap().policy.unwrap();
    let policy_arn = policy.arn.unwrap();
    iam.create_policy_version().policy_arn(&policy_arn).policy_document(allow(r#""s3:*""#)).send().await.unwrap();

    let user = format!("{p}-user");
    let made = iam.create_user().user_name(&user).path("/team/").tags(tag("owner", p)).send().await.unwrap();
    let made = made.user.unwrap();
    iam.create_login_profile().user_name(&user).password(PASSWORD).send().await.unwrap();
    let key = iam.create_access_key().user_name(&user).send().await.unwrap().access_key.unwrap();
    iam.put_user_policy()
        .user_name(&user)
        .policy_name(format!("{p}-inline"))
        .policy_document(&doc)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy().user_name(&user).policy_arn(&policy_arn).send().await.unwrap();
    iam.put_user_permissions_boundary().user_name(&user).permissions_boundary(&policy_arn).send().await.unwrap();

    let group = format!("{p}-group");
    let g = iam.create_group().group_name(&group).send().await.unwrap().group.unwrap();
    iam.add_user_to_group().group_name(&group).user_name(&user).send().await.unwrap();
    iam.put_group_policy()
        .group_name(&group)
        .policy_name(format!("{p}-inline"))
        .policy_document(&doc)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy().group_name(&group).policy_arn(&policy_arn).send().await.unwrap();

    let role = format!("{p}-role");
    let r =
        iam.create_role().role_name(&role).assume_role_policy_document(trust(&format!("arn:aws:iam::{account}:root")));
    let r = r.tags(tag("owner", p)).send().await.unwrap().role.unwrap();
    iam.put_role_policy()
        .role_name(&role)
        .policy_name(format!("{p}-inline"))
        .policy_document(&doc)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy().role_name(&role).policy_arn(&policy_arn).send().await.unwrap();

    let instance_profile = format!("{p}-ip");
    iam.create_instance_profile().instance_profile_name(&instance_profile).send().await.unwrap();
    iam.add_role_to_instance_profile().instance_profile_name(&instance_profile).role_name(&role).send().await.unwrap();

    let oidc = iam.create_open_id_connect_provider().url(format!("https://{p}.idp.example.org/realm"));
    let oidc = oidc.client_id_list("storage").thumbprint_list(THUMBPRINT).send().await.unwrap();
    let mfa = iam.create_virtual_mfa_device().virtual_mfa_device_name(format!("{p}-mfa")).send().await.unwrap();

    iam.create_account_alias().account_alias(format!("{p}-corp")).send().await.unwrap();
    Inventory {
        account: account.into(),
        prefix: p.into(),
        user_arn: made.arn,
        user_id: made.user_id,
        user,
        key_id: key.access_key_id,
        key_secret: key.secret_access_key,
        group_arn: g.arn,
        group,
        role_arn: r.arn,
        role_id: r.role_id,
        role,
        policy_arn,
        instance_profile,
        oidc_arn: oidc.open_id_connect_provider_arn.unwrap(),
        mfa_serial: mfa.virtual_mfa_device.unwrap().serial_number,
    }
}

/// Everything an account holds, as its root reads it: what must not change when another
/// account's callers try to change it.
pub async fn snapshot(iam: &aws_sdk_iam::Client, inv: &Inventory) -> String {
    let details = iam.get_account_authorization_details().send().await.unwrap();
    let keys = iam.list_access_keys().user_name(&inv.user).send().await.unwrap();
    let root_keys = iam.list_access_keys().send().await.unwrap();
    let oidc = iam.get_open_id_connect_provider().open_id_connect_provider_arn(&inv.oidc_arn).send().await.unwrap();
    let mfa = iam.list_virtual_mfa_devices().send().await.unwrap();
    let login = iam.get_login_profile().user_name(&inv.user).send().await.unwrap();
    let aliases = iam.list_account_aliases().send().await.unwrap();
    let versions = iam.list_policy_versions().policy_arn(&inv.policy_arn).send().await.unwrap();
    let policy_tags = iam.list_policy_tags().policy_arn(&inv.policy_arn).send().await.unwrap();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        details.user_detail_list(),
        details.group_detail_list(),
        details.role_detail_list(),
        details.policies(),
        keys.access_key_metadata(),
        root_keys.access_key_metadata(),
        (oidc.client_id_list(), oidc.thumbprint_list(), oidc.tags()),
        mfa.virtual_mfa_devices(),
        login.login_profile(),
        aliases.account_aliases(),
        versions.versions(),
        policy_tags.tags(),
        iam.list_instance_profiles().send().await.unwrap().instance_profiles(),
        iam.list_open_id_connect_providers().send().await.unwrap().open_id_connect_provider_list(),
    )
}

/// Counts refusals by kind of attempt and answer; prints the counts when the test passes.
#[derive(Default)]
pub struct Tally {
    counts: BTreeMap<(&'static str, String), usize>,
}

impl Tally {
    /// Asserts `result` is a refusal with one of `codes`, and counts it under `kind`.
    pub fn refused<T: Debug, E: ProvideErrorMetadata + Debug, R: Debug>(
        &mut self,
        kind: &'static str,
        what: &str,
        result: Result<T, SdkError<E, R>>,
        codes: &[&str],
    ) {
        let err = match result {
            Ok(out) => panic!("{what}: reached into the other account: {out:?}"),
            Err(e) => e,
        };
        let code = err.as_service_error().and_then(ProvideErrorMetadata::code);
        let code = code.unwrap_or_else(|| panic!("{what}: not a service error: {err:?}"));
        assert!(codes.contains(&code), "{what}: answered {code}, expected one of {codes:?}: {err:?}");
        *self.counts.entry((kind, code.to_owned())).or_default() += 1;
    }

    /// Counts a refusal checked by other means (Keystone's HTTP answers).
    pub fn count(&mut self, kind: &'static str, answer: String) {
        *self.counts.entry((kind, answer)).or_default() += 1;
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let total: usize = self.counts.values().sum();
            eprintln!("cross-account attempts refused: {total}");
            for ((kind, answer), n) in &self.counts {
                eprintln!("  {kind}: {answer} × {n}");
            }
        }
    }
}

/// Runs `test` on a runtime of its own, on a thread with a large stack: a test body of
/// hundreds of SDK calls polls a future too large for a test thread's default stack in debug
/// builds.
pub fn on_a_big_stack<F: Future<Output = ()>>(test: impl FnOnce() -> F + Send + 'static) {
    let thread = std::thread::Builder::new().stack_size(256 << 20).spawn(move || {
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(test());
    });
    if let Err(panic) = thread.unwrap().join() {
        std::panic::resume_unwind(panic);
    }
}

/// Asserts `text` names nothing of account B.
pub fn shows_nothing_of_b(what: &str, text: &str) {
    assert!(!text.contains(ACCOUNT_B) && !text.contains("bravo"), "{what} shows account B: {text}");
    assert!(text.contains("alpha") || text.contains(ACCOUNT), "{what} shows nothing at all, a useless check: {text}");
}

/// `refused!(tally, kind, [codes], call)`: sends `call` and tallies its refusal.
#[macro_export]
macro_rules! refused {
    ($tally:expr, $kind:literal, $codes:expr, $call:expr) => {
        $tally.refused($kind, stringify!($call), $call.send().await, &$codes)
    };
}
