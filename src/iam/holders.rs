//! Identities that hold policies (users and groups now, roles later). The inline-policy and
//! attachment actions are written once, generic over [`Holder`].

use super::not_found::{no_such_group, no_such_role, no_such_user};
use crate::error::AwsError;
use crate::policy::PolicySizeQuota;
use crate::protocol::rules::{GROUP_NAME, ROLE_NAME, StrRule, USER_NAME};
use crate::state::State;
use crate::store::{EntityKind, PolicyHolding, Tx, TxResult};

/// An identity kind with inline and attached policies.
pub trait Holder {
    const KIND: EntityKind;
    /// The request member naming the identity (`UserName`), also its element in responses.
    const NAME_MEMBER: &'static str;
    const NAME_RULE: &'static StrRule;
    /// The word in IAM's messages and quota names (`user` / `User`).
    const NOUN: &'static str;
    /// The word in quota names (`PoliciesPerUser`).
    const QUOTA_NOUN: &'static str;
    const INLINE_QUOTA: PolicySizeQuota;
    const PUT_POLICY: &'static str;
    const GET_POLICY: &'static str;
    const DELETE_POLICY: &'static str;
    const LIST_POLICIES: &'static str;
    const ATTACH: &'static str;
    const DETACH: &'static str;
    const LIST_ATTACHED: &'static str;

    fn no_such(name: &str) -> AwsError;

    /// Reads the identity's policies and its stored name and ARN.
    ///
    /// # Errors
    /// `NoSuchEntity` when it does not exist.
    fn read(app: &State, account: &str, name: &str) -> Result<Held, AwsError>;

    /// Loads the identity, lets `f` change its policies, and saves it.
    fn update<T>(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut PolicyHolding, &str) -> TxResult<T>,
    ) -> TxResult<T>;

    /// The identity's ARN for authorization, whether or not it exists.
    ///
    /// # Errors
    /// When the store fails.
    fn resource(app: &State, account: &str, name: &str) -> Result<String, AwsError> {
        Ok(Self::stored_arn(app, account, name)?
            .unwrap_or_else(|| format!("arn:aws:iam::{account}:{}/{name}", Self::NOUN)))
    }

    /// The stored identity's ARN, if it exists (read from the view, nothing copied but the ARN).
    ///
    /// # Errors
    /// When the store fails.
    fn stored_arn(app: &State, account: &str, name: &str) -> Result<Option<String>, AwsError>;
}

/// An identity's policies as read outside a transaction.
pub struct Held {
    pub name: String,
    pub arn: String,
    pub policies: PolicyHolding,
}

/// IAM users as policy holders.
pub struct Users;

impl Holder for Users {
    const KIND: EntityKind = EntityKind::User;
    const NAME_MEMBER: &'static str = "UserName";
    const NAME_RULE: &'static StrRule = &USER_NAME;
    const NOUN: &'static str = "user";
    const QUOTA_NOUN: &'static str = "User";
    const INLINE_QUOTA: PolicySizeQuota = PolicySizeQuota::UserInline;
    const PUT_POLICY: &'static str = "PutUserPolicy";
    const GET_POLICY: &'static str = "GetUserPolicy";
    const DELETE_POLICY: &'static str = "DeleteUserPolicy";
    const LIST_POLICIES: &'static str = "ListUserPolicies";
    const ATTACH: &'static str = "AttachUserPolicy";
    const DETACH: &'static str = "DetachUserPolicy";
    const LIST_ATTACHED: &'static str = "ListAttachedUserPolicies";

    fn no_such(name: &str) -> AwsError {
        no_such_user(name)
    }

    fn read(app: &State, account: &str, name: &str) -> Result<Held, AwsError> {
        let u = app.store.user(account, name)?.ok_or_else(|| no_such_user(name))?;
        Ok(Held { arn: u.arn(), name: u.name, policies: u.policies })
    }

    fn stored_arn(app: &State, account: &str, name: &str) -> Result<Option<String>, AwsError> {
        Ok(app.store.user_arc(account, name)?.map(|r| r.arn()))
    }

    fn update<T>(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut PolicyHolding, &str) -> TxResult<T>,
    ) -> TxResult<T> {
        let mut u = tx.user(account, name)?.ok_or_else(|| no_such_user(name))?;
        let out = f(&mut u.policies, &u.name)?;
        tx.put_user(&u)?;
        Ok(out)
    }
}

/// IAM groups as policy holders.
pub struct Groups;

impl Holder for Groups {
    const KIND: EntityKind = EntityKind::Group;
    const NAME_MEMBER: &'static str = "GroupName";
    const NAME_RULE: &'static StrRule = &GROUP_NAME;
    const NOUN: &'static str = "group";
    const QUOTA_NOUN: &'static str = "Group";
    const INLINE_QUOTA: PolicySizeQuota = PolicySizeQuota::GroupInline;
    const PUT_POLICY: &'static str = "PutGroupPolicy";
    const GET_POLICY: &'static str = "GetGroupPolicy";
    const DELETE_POLICY: &'static str = "DeleteGroupPolicy";
    const LIST_POLICIES: &'static str = "ListGroupPolicies";
    const ATTACH: &'static str = "AttachGroupPolicy";
    const DETACH: &'static str = "DetachGroupPolicy";
    const LIST_ATTACHED: &'static str = "ListAttachedGroupPolicies";

    fn no_such(name: &str) -> AwsError {
        no_such_group(name)
    }

    fn read(app: &State, account: &str, name: &str) -> Result<Held, AwsError> {
        let g = app.store.group(account, name)?.ok_or_else(|| no_such_group(name))?;
        Ok(Held { arn: g.arn(), name: g.name, policies: g.policies })
    }

    fn stored_arn(app: &State, account: &str, name: &str) -> Result<Option<String>, AwsError> {
        Ok(app.store.group_arc(account, name)?.map(|r| r.arn()))
    }

    fn update<T>(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut PolicyHolding, &str) -> TxResult<T>,
    ) -> TxResult<T> {
        let mut g = tx.group(account, name)?.ok_or_else(|| no_such_group(name))?;
        let out = f(&mut g.policies, &g.name)?;
        tx.put_group(&g)?;
        Ok(out)
    }
}

/// IAM roles as policy holders.
pub struct Roles;

impl Holder for Roles {
    const KIND: EntityKind = EntityKind::Role;
    const NAME_MEMBER: &'static str = "RoleName";
    const NAME_RULE: &'static StrRule = &ROLE_NAME;
    const NOUN: &'static str = "role";
    const QUOTA_NOUN: &'static str = "Role";
    const INLINE_QUOTA: PolicySizeQuota = PolicySizeQuota::RoleInline;
    const PUT_POLICY: &'static str = "PutRolePolicy";
    const GET_POLICY: &'static str = "GetRolePolicy";
    const DELETE_POLICY: &'static str = "DeleteRolePolicy";
    const LIST_POLICIES: &'static str = "ListRolePolicies";
    const ATTACH: &'static str = "AttachRolePolicy";
    const DETACH: &'static str = "DetachRolePolicy";
    const LIST_ATTACHED: &'static str = "ListAttachedRolePolicies";

    fn no_such(name: &str) -> AwsError {
        no_such_role(name)
    }

    fn read(app: &State, account: &str, name: &str) -> Result<Held, AwsError> {
        let r = app.store.role(account, name)?.ok_or_else(|| no_such_role(name))?;
        Ok(Held { arn: r.arn(), name: r.name, policies: r.policies })
    }

    fn stored_arn(app: &State, account: &str, name: &str) -> Result<Option<String>, AwsError> {
        Ok(app.store.role_arc(account, name)?.map(|r| r.arn()))
    }

    fn update<T>(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut PolicyHolding, &str) -> TxResult<T>,
    ) -> TxResult<T> {
        let mut r = tx.role(account, name)?.ok_or_else(|| no_such_role(name))?;
        let out = f(&mut r.policies, &r.name)?;
        tx.put_role(&r)?;
        Ok(out)
    }
}
