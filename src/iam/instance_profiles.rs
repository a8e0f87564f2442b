//! Instance profiles: CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles,
//! DeleteInstanceProfile, Add/RemoveRoleToInstanceProfile, ListInstanceProfilesForRole. A profile
//! holds at most one role; the role lists its profiles too, so DeleteRole can refuse inside its
//! own transaction.

use super::holders::{Holder, Roles};
use super::not_found::no_such_role;
use super::pagination::{self, Page, PageRequest};
use super::roles::write_role;
use super::tags;
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{PATH, PATH_PREFIX, ROLE_NAME, StrRule, entity_name};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{InstanceProfileRecord, RoleRecord, abort};

pub const INSTANCE_PROFILE_NAME: StrRule = StrRule { min: 1, max: 128, pattern: r"[\w+=,.@-]+", matches: entity_name };

/// AWS's quota: roles per instance profile.
const ROLES_PER_PROFILE: usize = 1;

#[must_use]
pub fn no_such_profile(name: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

/// The profile's ARN (with its path), or the path-less one a missing profile would have.
///
/// # Errors
/// Store failures.
pub fn profile_arn(account: &str, name: &str, app: &State) -> Result<String, AwsError> {
    Ok(match app.store.instance_profile(account, name)? {
        Some(p) => p.arn(),
        None => format!("arn:aws:iam::{account}:instance-profile/{name}"),
    })
}

/// The profile with its roles in full, as Get/List answer it.
pub struct ProfileView {
    profile: InstanceProfileRecord,
    roles: Vec<RoleRecord>,
}

impl ProfileView {
    /// The profile with its roles read from the store.
    ///
    /// # Errors
    /// Store failures.
    pub fn load(app: &State, profile: InstanceProfileRecord) -> Result<Self, AwsError> {
        let mut roles = Vec::new();
        for name in &profile.roles {
            if let Some(r) = app.store.role(&profile.account, name)? {
                roles.push(r);
            }
        }
        Ok(Self { profile, roles })
    }

    /// The `InstanceProfile` shape.
    pub fn write(&self, w: &mut XmlOut, with_tags: bool) {
        let p = &self.profile;
        w.text("Path", &p.path);
        w.text("InstanceProfileName", &p.name);
        w.text("InstanceProfileId", &p.id);
        w.text("Arn", &p.arn());
        w.time("CreateDate", p.create_date);
        w.list("Roles", &self.roles, |w, r| write_role(w, r, false));
        if with_tags && !p.tags.is_empty() {
            tags::write(w, &p.tags);
        }
    }
}

pub struct ProfileResult(ProfileView);

impl WriteXml for ProfileResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("InstanceProfile", |w| self.0.write(w, true));
    }
}

pub struct CreateInstanceProfile {
    name: String,
    path: String,
    tags: Vec<Tag>,
}

impl Operation for CreateInstanceProfile {
    const NAME: &'static str = "CreateInstanceProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ProfileResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("InstanceProfileName", &INSTANCE_PROFILE_NAME);
        let path = f.opt_str("Path", &PATH).unwrap_or_else(|| "/".into());
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        Ok(Self { name, path, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:instance-profile{}{}", ctx.account(), self.path, self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProfileResult, AwsError> {
        let profile = InstanceProfileRecord {
            account: ctx.account().to_owned(),
            name: self.name,
            id: new_id(IdKind::InstanceProfile),
            path: self.path,
            create_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
            roles: Vec::new(),
            tags: self.tags,
        };
        ctx.app.store.transact(|tx| {
            if tx.instance_profile(&profile.account, &profile.name)?.is_some() {
                return abort(AwsError::EntityAlreadyExists(format!(
                    "Instance Profile {} already exists.",
                    profile.name
                )));
            }
            tx.put_instance_profile(&profile)
        })?;
        Ok(ProfileResult(ProfileView { profile, roles: Vec::new() }))
    }
}

fn read_name(p: &Params) -> Result<String, AwsError> {
    let mut f = p.fields();
    let name = f.str("InstanceProfileName", &INSTANCE_PROFILE_NAME);
    f.finish()?;
    Ok(name)
}

pub struct GetInstanceProfile {
    name: String,
}

impl Operation for GetInstanceProfile {
    const NAME: &'static str = "GetInstanceProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ProfileResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { name: read_name(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        profile_arn(ctx.account(), &self.name, ctx.app)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProfileResult, AwsError> {
        let profile =
            ctx.app.store.instance_profile(ctx.account(), &self.name)?.ok_or_else(|| no_such_profile(&self.name))?;
        Ok(ProfileResult(ProfileView::load(ctx.app, profile)?))
    }
}

pub struct DeleteInstanceProfile {
    name: String,
}

impl Operation for DeleteInstanceProfile {
    const NAME: &'static str = "DeleteInstanceProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { name: read_name(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        profile_arn(ctx.account(), &self.name, ctx.app)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            let p = tx.instance_profile(ctx.account(), &self.name)?.ok_or_else(|| no_such_profile(&self.name))?;
            if !p.roles.is_empty() {
                return abort(AwsError::DeleteConflict(
                    "Cannot delete entity, must remove roles from instance profile first.".into(),
                ));
            }
            tx.remove_instance_profile(ctx.account(), &p.name)
        })
    }
}

/// AddRoleToInstanceProfile (`ADD` = true) and RemoveRoleFromInstanceProfile.
pub struct ChangeProfileRole<const ADD: bool> {
    profile: String,
    role: String,
}

impl<const ADD: bool> Operation for ChangeProfileRole<ADD> {
    const NAME: &'static str = if ADD { "AddRoleToInstanceProfile" } else { "RemoveRoleFromInstanceProfile" };
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let profile = f.str("InstanceProfileName", &INSTANCE_PROFILE_NAME);
        let role = f.str("RoleName", &ROLE_NAME);
        f.finish()?;
        Ok(Self { profile, role })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        profile_arn(ctx.account(), &self.profile, ctx.app)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut p = tx.instance_profile(account, &self.profile)?.ok_or_else(|| no_such_profile(&self.profile))?;
            let mut role = tx.role(account, &self.role)?.ok_or_else(|| no_such_role(&self.role))?;
            let held = p.roles.iter().position(|r| r.eq_ignore_ascii_case(&role.name));
            if ADD {
                if held.is_some() || p.roles.len() >= ROLES_PER_PROFILE {
                    return abort(AwsError::LimitExceeded(format!(
                        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
                    )));
                }
                p.roles.push(role.name.clone());
                role.instance_profiles.push(p.name.clone());
            } else {
                let Some(i) = held else {
                    return abort(AwsError::NoSuchEntity(format!("The role with name {} cannot be found.", self.role)));
                };
                p.roles.remove(i);
                role.instance_profiles.retain(|n| !n.eq_ignore_ascii_case(&p.name));
            }
            tx.put_instance_profile(&p)?;
            tx.put_role(&role)
        })
    }
}

pub struct ProfileList(Page<ProfileView>);

impl WriteXml for ProfileList {
    fn write(&self, w: &mut XmlOut) {
        w.list("InstanceProfiles", &self.0.items, |w, p| p.write(w, false));
        self.0.write_tail(w);
    }
}

fn load_all(app: &State, profiles: Vec<InstanceProfileRecord>) -> Result<Vec<ProfileView>, AwsError> {
    profiles.into_iter().map(|p| ProfileView::load(app, p)).collect()
}

pub struct ListInstanceProfiles {
    path_prefix: String,
    page: PageRequest,
}

impl Operation for ListInstanceProfiles {
    const NAME: &'static str = "ListInstanceProfiles";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ProfileList;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let path_prefix = f.opt_str("PathPrefix", &PATH_PREFIX).unwrap_or_else(|| "/".into());
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { path_prefix, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:instance-profile/", ctx.account()))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProfileList, AwsError> {
        let start = self.page.start()?;
        let records = ctx.app.store.instance_profiles(ctx.account(), start.as_deref(), self.page.max, |p| {
            p.path.starts_with(&self.path_prefix)
        })?;
        let page = pagination::store_page(records, self.page.max, |p| p.name.to_lowercase());
        Ok(ProfileList(Page { items: load_all(ctx.app, page.items)?, marker: page.marker }))
    }
}

pub struct ListInstanceProfilesForRole {
    role: String,
    page: PageRequest,
}

impl Operation for ListInstanceProfilesForRole {
    const NAME: &'static str = "ListInstanceProfilesForRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ProfileList;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let role = f.str("RoleName", &ROLE_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { role, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Roles::resource(ctx.app, ctx.account(), &self.role)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProfileList, AwsError> {
        let role = ctx.app.store.role(ctx.account(), &self.role)?.ok_or_else(|| no_such_role(&self.role))?;
        let mut names = role.instance_profiles;
        names.sort_by_key(|n| n.to_lowercase());
        let mut profiles = Vec::new();
        for name in names {
            if let Some(p) = ctx.app.store.instance_profile(ctx.account(), &name)? {
                profiles.push(p);
            }
        }
        let page = self.page.page(profiles)?;
        Ok(ProfileList(Page { items: load_all(ctx.app, page.items)?, marker: page.marker }))
    }
}
