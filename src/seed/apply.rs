//! Applying a seed to the store at start: idempotent (what is already there as the seed says is
//! left alone), refusing conflicts (a stored document, path, trust policy, secret or owner that
//! differs from the seed) before anything is written, and all or nothing (a step that fails
//! undoes the steps before it). Entities are made by the IAM actions a client would call, run
//! as the account's root, so names, documents and limits are checked as for any request.

use subtle::ConstantTimeEq;

use super::format::{AccessKeySeed, Seed};
use crate::access_keys::{self, KeyOwner};
use crate::dispatch;
use crate::error::AwsError;
use crate::operation::{Ctx, Service};
use crate::principal::{Caller, Principal};
use crate::protocol::Params;
use crate::sigv4::SecretKey;
use crate::state::State;
use crate::store::PolicyHolding;

/// What applying changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// IAM calls (and access keys) it made.
    pub steps: usize,
}

type Pairs = Vec<(String, String)>;

/// One change: an IAM action, or an access key with a fixed id, and how to take it back.
enum Step {
    Call { what: String, action: &'static str, params: Pairs, undo: Option<(&'static str, Pairs)> },
    Key { what: String, user: String, id: String, secret: String },
}

impl Step {
    fn what(&self) -> &str {
        match self {
            Self::Call { what, .. } | Self::Key { what, .. } => what,
        }
    }
}

fn pairs(items: &[(&str, &str)]) -> Pairs {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn tag_pairs(tags: &std::collections::BTreeMap<String, String>) -> Pairs {
    let mut out = Pairs::new();
    for (i, (k, v)) in tags.iter().enumerate() {
        out.push((format!("Tags.member.{}.Key", i + 1), k.clone()));
        out.push((format!("Tags.member.{}.Value", i + 1), v.clone()));
    }
    out
}

/// JSON documents are the same when they parse to the same value (IAM keeps them as submitted).
fn same_document(stored: &str, seeded: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(stored).decode_utf8_lossy();
    match (serde_json::from_str::<serde_json::Value>(&decoded), serde_json::from_str::<serde_json::Value>(seeded)) {
        (Ok(a), Ok(b)) => a == b,
        _ => decoded.trim() == seeded.trim(),
    }
}

/// Builds the steps the seed still needs, or every conflict with the stored state.
struct Planner<'a> {
    state: &'a State,
    seed: &'a Seed,
    account: String,
    steps: Vec<Step>,
    conflicts: Vec<String>,
}

/// The IAM entity kinds that hold policies, as the actions name them.
#[derive(Clone, Copy)]
enum Holder {
    User,
    Group,
    Role,
}

impl Holder {
    fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Role => "role",
        }
    }
    fn member(self) -> &'static str {
        match self {
            Self::User => "UserName",
            Self::Group => "GroupName",
            Self::Role => "RoleName",
        }
    }
    fn actions(self) -> [&'static str; 4] {
        match self {
            Self::User => ["AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy"],
            Self::Group => ["AttachGroupPolicy", "DetachGroupPolicy", "PutGroupPolicy", "DeleteGroupPolicy"],
            Self::Role => ["AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy"],
        }
    }
}

impl Planner<'_> {
    fn conflict(&mut self, m: String) {
        self.conflicts.push(m);
    }

    fn call(&mut self, what: String, action: &'static str, params: Pairs, undo: Option<(&'static str, Pairs)>) {
        self.steps.push(Step::Call { what, action, params, undo });
    }

    /// The ARN a seed's `attached_policies` entry names: an ARN as is, else a seeded policy's or
    /// a stored customer-managed policy's name.
    fn policy_arn(&mut self, who: &str, name: &str) -> Option<String> {
        if name.starts_with("arn:") {
            return Some(name.to_owned());
        }
        if let Some(p) = self.seed.policies.iter().find(|p| p.name == name) {
            return Some(format!("arn:aws:iam::{}:policy{}{}", self.account, p.path, p.name));
        }
        match self.state.store.policy(&self.account, name) {
            Ok(Some(p)) => Some(p.arn()),
            _ => {
                self.conflict(format!("{who}: policy {name:?} is neither in the seed nor stored"));
                None
            }
        }
    }

    fn plan_policies(&mut self) {
        for p in &self.seed.policies {
            let what = format!("policy {:?}", p.name);
            match self.state.store.policy(&self.account, &p.name) {
                Ok(Some(stored)) => {
                    if stored.path != p.path {
                        self.conflict(format!(
                            "{what}: stored with path {:?}, the seed says {:?}",
                            stored.path, p.path
                        ));
                    }
                    if !same_document(stored.default_document(), &p.document) {
                        self.conflict(format!(
                            "{what}: its stored default version ({}) differs from the seed's document",
                            stored.default_version
                        ));
                    }
                }
                Ok(None) => {
                    let mut params =
                        pairs(&[("PolicyName", &p.name), ("Path", &p.path), ("PolicyDocument", &p.document)]);
                    if let Some(d) = &p.description {
                        params.push(("Description".into(), d.clone()));
                    }
                    params.extend(tag_pairs(&p.tags));
                    let arn = format!("arn:aws:iam::{}:policy{}{}", self.account, p.path, p.name);
                    self.call(what, "CreatePolicy", params, Some(("DeletePolicy", pairs(&[("PolicyArn", &arn)]))));
                }
                Err(e) => self.conflict(format!("{what}: {e}")),
            }
        }
    }

    /// Attachments and inline policies a holder still needs (`held`: what it has, if it exists).
    fn plan_holdings(
        &mut self,
        holder: Holder,
        name: &str,
        held: Option<&PolicyHolding>,
        attached: &[String],
        inline: &std::collections::BTreeMap<String, String>,
    ) {
        let who = format!("{} {name:?}", holder.noun());
        let [attach, detach, put, delete] = holder.actions();
        for entry in attached {
            let Some(arn) = self.policy_arn(&who, entry) else { continue };
            if held.is_some_and(|h| h.attached.iter().any(|a| a == &arn)) {
                continue;
            }
            let params = pairs(&[(holder.member(), name), ("PolicyArn", &arn)]);
            self.call(format!("{who}: attach {arn}"), attach, params.clone(), Some((detach, params)));
        }
        for (policy, document) in inline {
            match held.and_then(|h| h.inline_policy(policy)) {
                Some(stored) if same_document(&stored.document, document) => {}
                Some(_) => self.conflict(format!("{who}: its stored inline policy {policy:?} differs from the seed's")),
                None => {
                    let params =
                        pairs(&[(holder.member(), name), ("PolicyName", policy), ("PolicyDocument", document)]);
                    let undo = pairs(&[(holder.member(), name), ("PolicyName", policy)]);
                    self.call(format!("{who}: inline policy {policy:?}"), put, params, Some((delete, undo)));
                }
            }
        }
    }

    /// A boundary the seed names: set when missing, a conflict when another one is stored.
    fn plan_boundary(&mut self, holder: Holder, name: &str, stored: Option<&Option<String>>, seeded: Option<&String>) {
        let who = format!("{} {name:?}", holder.noun());
        let Some(seeded) = seeded else { return };
        let Some(arn) = self.policy_arn(&who, seeded) else { return };
        match stored {
            None => {} // created with it
            Some(Some(current)) if *current == arn => {}
            Some(Some(current)) => self.conflict(format!("{who}: stored with boundary {current}, the seed says {arn}")),
            Some(None) => {
                let (put, delete) = match holder {
                    Holder::Role => ("PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary"),
                    _ => ("PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary"),
                };
                let params = pairs(&[(holder.member(), name), ("PermissionsBoundary", &arn)]);
                let undo = pairs(&[(holder.member(), name)]);
                self.call(format!("{who}: boundary {arn}"), put, params, Some((delete, undo)));
            }
        }
    }

    fn plan_groups(&mut self) {
        for g in &self.seed.groups {
            let what = format!("group {:?}", g.name);
            let stored = match self.state.store.group(&self.account, &g.name) {
                Ok(s) => s,
                Err(e) => {
                    self.conflict(format!("{what}: {e}"));
                    continue;
                }
            };
            match &stored {
                Some(s) if s.path != g.path => {
                    self.conflict(format!("{what}: stored with path {:?}, the seed says {:?}", s.path, g.path));
                }
                Some(_) => {}
                None => {
                    let params = pairs(&[("GroupName", &g.name), ("Path", &g.path)]);
                    self.call(what, "CreateGroup", params, Some(("DeleteGroup", pairs(&[("GroupName", &g.name)]))));
                }
            }
            self.plan_holdings(
                Holder::Group,
                &g.name,
                stored.as_ref().map(|s| &s.policies),
                &g.attached_policies,
                &g.inline_policies,
            );
        }
    }

    fn plan_users(&mut self) {
        for u in &self.seed.users {
            let what = format!("user {:?}", u.name);
            let stored = match self.state.store.user(&self.account, &u.name) {
                Ok(s) => s,
                Err(e) => {
                    self.conflict(format!("{what}: {e}"));
                    continue;
                }
            };
            match &stored {
                Some(s) if s.path != u.path => {
                    self.conflict(format!("{what}: stored with path {:?}, the seed says {:?}", s.path, u.path));
                }
                Some(_) => {}
                None => {
                    let mut params = pairs(&[("UserName", &u.name), ("Path", &u.path)]);
                    if let Some(b) = &u.permissions_boundary
                        && let Some(arn) = self.policy_arn(&what, b)
                    {
                        params.push(("PermissionsBoundary".into(), arn));
                    }
                    params.extend(tag_pairs(&u.tags));
                    self.call(
                        what.clone(),
                        "CreateUser",
                        params,
                        Some(("DeleteUser", pairs(&[("UserName", &u.name)]))),
                    );
                }
            }
            self.plan_holdings(
                Holder::User,
                &u.name,
                stored.as_ref().map(|s| &s.policies),
                &u.attached_policies,
                &u.inline_policies,
            );
            for group in &u.groups {
                let member = stored.as_ref().is_some_and(|s| s.groups.iter().any(|g| g.eq_ignore_ascii_case(group)));
                let known = self.seed.groups.iter().any(|g| g.name.eq_ignore_ascii_case(group))
                    || matches!(self.state.store.group(&self.account, group), Ok(Some(_)));
                if !known {
                    self.conflict(format!("{what}: group {group:?} is neither in the seed nor stored"));
                } else if !member {
                    let params = pairs(&[("GroupName", group), ("UserName", &u.name)]);
                    self.call(
                        format!("{what}: member of {group:?}"),
                        "AddUserToGroup",
                        params.clone(),
                        Some(("RemoveUserFromGroup", params)),
                    );
                }
            }
            for key in &u.access_keys {
                self.plan_key(&u.name, key);
            }
            self.plan_boundary(
                Holder::User,
                &u.name,
                stored.as_ref().map(|s| &s.permissions_boundary),
                u.permissions_boundary.as_ref(),
            );
            if let Some(s) = &stored {
                self.plan_tags(&what, "TagUser", ("UserName", &u.name), &s.tags, &u.tags);
            }
        }
    }

    fn plan_key(&mut self, user: &str, key: &AccessKeySeed) {
        let what = format!("user {user:?}: access key {}", key.id);
        match self.state.store.access_key(&key.id) {
            Ok(Some(stored)) => {
                let owner_matches = stored.account == self.account
                    && stored.user.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(user));
                if !owner_matches {
                    let owner =
                        stored.user.as_deref().map_or("the account's root".to_owned(), |o| format!("user {o:?}"));
                    self.conflict(format!("{what}: stored for {owner}"));
                    return;
                }
                let same = self
                    .state
                    .store
                    .sealer()
                    .open(&stored.id, &stored.secret)
                    .is_ok_and(|s| bool::from(s.expose().as_bytes().ct_eq(key.secret.as_bytes())));
                if !same {
                    self.conflict(format!("{what}: stored with a different secret"));
                }
            }
            Ok(None) => self.steps.push(Step::Key {
                what,
                user: user.to_owned(),
                id: key.id.clone(),
                secret: key.secret.clone(),
            }),
            Err(e) => self.conflict(format!("{what}: {e}")),
        }
    }

    /// Tags an existing entity still lacks; a different value for a key is a conflict.
    fn plan_tags(
        &mut self,
        what: &str,
        action: &'static str,
        (member, name): (&str, &str),
        stored: &[crate::protocol::Tag],
        seeded: &std::collections::BTreeMap<String, String>,
    ) {
        let mut missing = std::collections::BTreeMap::new();
        for (k, v) in seeded {
            match stored.iter().find(|t| t.key == *k) {
                Some(t) if t.value == *v => {}
                Some(t) => self.conflict(format!("{what}: stored with tag {k}={:?}, the seed says {v:?}", t.value)),
                None => {
                    missing.insert(k.clone(), v.clone());
                }
            }
        }
        if !missing.is_empty() {
            let mut params = pairs(&[(member, name)]);
            params.extend(tag_pairs(&missing));
            let untag_action = if action == "TagUser" { "UntagUser" } else { "UntagRole" };
            let mut undo = pairs(&[(member, name)]);
            for (i, k) in missing.keys().enumerate() {
                undo.push((format!("TagKeys.member.{}", i + 1), k.clone()));
            }
            self.call(format!("{what}: tags"), action, params, Some((untag_action, undo)));
        }
    }

    fn plan_roles(&mut self) {
        for r in &self.seed.roles {
            let what = format!("role {:?}", r.name);
            let stored = match self.state.store.role(&self.account, &r.name) {
                Ok(s) => s,
                Err(e) => {
                    self.conflict(format!("{what}: {e}"));
                    continue;
                }
            };
            match &stored {
                Some(s) => {
                    if s.path != r.path {
                        self.conflict(format!("{what}: stored with path {:?}, the seed says {:?}", s.path, r.path));
                    }
                    if !same_document(&s.trust_policy, &r.trust_policy) {
                        self.conflict(format!("{what}: its stored trust policy differs from the seed's"));
                    }
                    if let Some(m) = r.max_session_duration
                        && m != s.max_session_duration
                    {
                        self.conflict(format!(
                            "{what}: stored with max_session_duration {}, the seed says {m}",
                            s.max_session_duration
                        ));
                    }
                    if let Some(d) = &r.description
                        && s.description.as_ref() != Some(d)
                    {
                        self.conflict(format!("{what}: its stored description differs from the seed's"));
                    }
                }
                None => {
                    let mut params = pairs(&[
                        ("RoleName", &r.name),
                        ("Path", &r.path),
                        ("AssumeRolePolicyDocument", &r.trust_policy),
                    ]);
                    if let Some(d) = &r.description {
                        params.push(("Description".into(), d.clone()));
                    }
                    if let Some(m) = r.max_session_duration {
                        params.push(("MaxSessionDuration".into(), m.to_string()));
                    }
                    if let Some(b) = &r.permissions_boundary
                        && let Some(arn) = self.policy_arn(&what, b)
                    {
                        params.push(("PermissionsBoundary".into(), arn));
                    }
                    params.extend(tag_pairs(&r.tags));
                    self.call(
                        what.clone(),
                        "CreateRole",
                        params,
                        Some(("DeleteRole", pairs(&[("RoleName", &r.name)]))),
                    );
                }
            }
            self.plan_holdings(
                Holder::Role,
                &r.name,
                stored.as_ref().map(|s| &s.policies),
                &r.attached_policies,
                &r.inline_policies,
            );
            self.plan_boundary(
                Holder::Role,
                &r.name,
                stored.as_ref().map(|s| &s.permissions_boundary),
                r.permissions_boundary.as_ref(),
            );
            if let Some(s) = &stored {
                self.plan_tags(&what, "TagRole", ("RoleName", &r.name), &s.tags, &r.tags);
            }
        }
    }
}

/// Runs one IAM action as the account's root (which may do everything), as a request would.
fn call(state: &State, root: &Caller, action: &str, params: &Pairs) -> Result<(), AwsError> {
    let (index, entry) = dispatch::lookup(Service::Iam, action)
        .ok_or_else(|| AwsError::InvalidAction(format!("the seed needs {action}, which iamd does not serve")))?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("Action", action);
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let params = Params::decode(query.finish().as_bytes());
    let ctx = Ctx {
        app: state,
        caller: root,
        now: state.clock.now(),
        region: &root.region,
        source_ip: None,
        secure_transport: true,
        permission: dispatch::permission(index),
        host: None,
    };
    (entry.execute)(&ctx, &params, "seed").map(|_| ())
}

fn run(state: &State, root: &Caller, step: &Step) -> Result<(), AwsError> {
    match step {
        Step::Call { action, params, .. } => call(state, root, action, params),
        Step::Key { user, id, secret, .. } => {
            let owner = KeyOwner::User(user.clone());
            let preset = Some((id.clone(), SecretKey::new(secret.clone())));
            access_keys::create_with(&state.store, root.principal.account(), &owner, state.clock.now(), preset)
                .map(|_| ())
        }
    }
}

fn undo(state: &State, root: &Caller, step: &Step) -> Result<(), AwsError> {
    match step {
        Step::Call { undo: Some((action, params)), .. } => call(state, root, action, params),
        Step::Call { undo: None, .. } => Ok(()),
        Step::Key { user, id, .. } => {
            call(state, root, "DeleteAccessKey", &pairs(&[("UserName", user), ("AccessKeyId", id)]))
        }
    }
}

/// Applies `seed` to the default account of `state`'s settings and makes it durable. Blocking.
///
/// # Errors
/// As [`apply_to`].
pub fn apply(state: &State, seed: &Seed) -> Result<Applied, String> {
    apply_to(state, &state.settings.account_id, seed)
}

/// Applies the seeds the settings give: the default account's, then each `[[accounts]]` one's.
///
/// # Errors
/// As [`apply_to`], naming the account for the others.
pub fn apply_configured(state: &State) -> Result<Applied, String> {
    let mut steps = apply(state, &state.settings.seed)?.steps;
    for a in &state.settings.accounts {
        steps += apply_to(state, &a.id, &a.seed).map_err(|e| format!("account {}: {e}", a.id))?.steps;
    }
    Ok(Applied { steps })
}

/// Applies `seed` to `account` and makes it durable. Blocking.
///
/// # Errors
/// Every conflict with stored state (nothing written), or the step that failed (the ones before
/// it undone); each names its entity.
pub fn apply_to(state: &State, account: &str, seed: &Seed) -> Result<Applied, String> {
    seed.check()?;
    if seed.is_empty() {
        return Ok(Applied { steps: 0 });
    }
    let account = account.to_owned();
    let mut planner = Planner { state, seed, account: account.clone(), steps: Vec::new(), conflicts: Vec::new() };
    planner.plan_policies();
    planner.plan_groups();
    planner.plan_users();
    planner.plan_roles();
    if !planner.conflicts.is_empty() {
        return Err(format!(
            "the seed conflicts with the stored state (nothing was applied):\n  {}",
            planner.conflicts.join("\n  ")
        ));
    }
    let root = Caller {
        principal: Principal::Root { account },
        access_key_id: String::new(),
        region: state.settings.region.clone(),
        session: None,
    };
    for (i, step) in planner.steps.iter().enumerate() {
        if let Err(e) = run(state, &root, step) {
            let mut message = format!("seed: {}: {} {}", step.what(), e.code(), e.message());
            for done in planner.steps[..i].iter().rev() {
                if let Err(u) = undo(state, &root, done) {
                    message.push_str(&format!("\n  and undoing {} failed: {} {}", done.what(), u.code(), u.message()));
                }
            }
            let _ = state.store.flush_blocking();
            return Err(message + "\n  (the steps before it were undone)");
        }
    }
    state.store.flush_blocking().map_err(|e| format!("seed: cannot make it durable: {e}"))?;
    Ok(Applied { steps: planner.steps.len() })
}
