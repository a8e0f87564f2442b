//! Virtual MFA devices: CreateVirtualMFADevice, DeleteVirtualMFADevice, ListVirtualMFADevices,
//! EnableMFADevice, DeactivateMFADevice, ResyncMFADevice, ListMFADevices, GetMFADevice (tags in
//! `tagging`), and the sign-in check STS makes with a device's code.
//!
//! Devices live in the account record, as OIDC providers do, so enabling one and the per-user
//! limit are decided in one transaction. A device names its user by IAM user id, which survives
//! renames. Its seed is sealed under the master key (bound to the serial number) and leaves the
//! daemon once, in CreateVirtualMFADevice's answer. A code is accepted once: each device keeps
//! the last time step it took (RFC 6238 §5.2), so a code seen on the wire cannot be replayed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::access_keys::must_name_user;
use super::holders::{Holder, Users};
use super::not_found::no_such_user;
use super::pagination::{Page, PageRequest};
use super::shapes::write_user;
use super::tags;
use crate::error::AwsError;
use crate::mfa::qr;
use crate::mfa::totp::{self, RESYNC_WINDOW, SKEW, Seed};
use crate::operation::{Ctx, Operation, Service};
use crate::principal::Principal;
use crate::protocol::rules::{EXISTING_USER_NAME, PATH, StrRule, USER_NAME};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::sigv4::SecretKey;
use crate::state::State;
use crate::store::records::MfaDeviceRecord;
use crate::store::{AccountRecord, Sealer, Tx, TxResult, UserRecord, abort};

/// MFA devices one user may have enabled (IAM's quota).
pub const MAX_DEVICES_PER_USER: usize = 8;
/// Virtual MFA devices one account may hold (IAM's quota equals the users quota, 5000).
pub const MAX_DEVICES_PER_ACCOUNT: usize = 5000;

fn serial_chars(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c))
}

pub const SERIAL: StrRule = StrRule { min: 9, max: 256, pattern: r"[\w+=/:,.@-]+", matches: serial_chars };
pub const DEVICE_NAME: StrRule = StrRule {
    min: 1,
    max: 226,
    pattern: r"[\w+=,.@-]+",
    matches: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)),
};
pub const AUTH_CODE: StrRule =
    StrRule { min: 6, max: 6, pattern: r"[\d]+", matches: |s| s.bytes().all(|b| b.is_ascii_digit()) };
const ASSIGNMENT_STATUS: &[&str] = &["Assigned", "Unassigned", "Any"];

/// `arn:aws:iam::ACCOUNT:mfa{path}{name}`.
#[must_use]
pub fn serial_number(account: &str, path: &str, name: &str) -> String {
    crate::store::aad::mfa_serial(account, path, name)
}

fn no_such_device(serial: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("VirtualMFADevice with serial number {serial} does not exist."))
}

fn invalid_for_user() -> AwsError {
    AwsError::NoSuchEntity("MFA Device invalid for user.".into())
}

fn invalid_code() -> AwsError {
    AwsError::InvalidAuthenticationCode("Authentication code for device is not valid.".into())
}

/// STS's answer when the serial number names no device the caller has enabled.
fn sign_in_unknown_device() -> AwsError {
    AwsError::AccessDenied(
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is \
         valid and associated with this user."
            .into(),
    )
}

/// STS's answer for a wrong (or already used) code.
fn sign_in_invalid_code() -> AwsError {
    AwsError::AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ".into())
}

/// The position of the device `serial` names among `account`'s devices.
fn position(devices: &[MfaDeviceRecord], account: &str, serial: &str) -> Option<usize> {
    devices.iter().position(|d| serial_number(account, &d.path, &d.name) == serial)
}

fn open_seed(sealer: &Sealer, serial: &str, device: &MfaDeviceRecord) -> Result<Seed, AwsError> {
    let text = sealer.open(serial, &device.seed)?;
    Seed::from_base32(text.expose()).ok_or_else(|| AwsError::internal(&format!("the seed of {serial} is not Base32")))
}

/// Whether a device is enabled for the user with id `user_id` (DeleteUser refuses then).
pub fn enabled_for(tx: &Tx<'_>, account: &str, user_id: &str) -> TxResult<bool> {
    Ok(tx.account(account)?.is_some_and(|a| a.mfa_devices.iter().any(|d| d.user_id.as_deref() == Some(user_id))))
}

/// Loads the account, lets `f` change the device `serial` names, saves it.
pub fn update(
    tx: &Tx<'_>,
    account: &str,
    serial: &str,
    f: impl FnOnce(&mut MfaDeviceRecord) -> Result<(), AwsError>,
) -> TxResult<()> {
    let mut a = tx.account(account)?.unwrap_or_default();
    let Some(i) = position(&a.mfa_devices, account, serial) else { return abort(no_such_device(serial)) };
    f(&mut a.mfa_devices[i])?;
    tx.put_account(&a)
}

/// The device `serial` names, read outside a transaction.
///
/// # Errors
/// `NoSuchEntity`; store failures.
pub fn load(app: &State, account: &str, serial: &str) -> Result<MfaDeviceRecord, AwsError> {
    let a = app.store.account(account)?.unwrap_or_default();
    let i = position(&a.mfa_devices, account, serial).ok_or_else(|| no_such_device(serial))?;
    Ok(a.mfa_devices[i].clone())
}

/// Checks a sign-in code (GetSessionToken's or AssumeRole's `TokenCode`) of the device `serial`
/// that the user with id `user_id` has enabled, and takes its step so the code cannot be used
/// again.
///
/// # Errors
/// `AccessDenied` with AWS's wording for a device the caller does not have or a wrong code;
/// store failures.
pub fn check_sign_in(
    app: &State,
    account: &str,
    user_id: Option<&str>,
    serial: &str,
    code: &str,
    now: OffsetDateTime,
) -> Result<(), AwsError> {
    let Some(user_id) = user_id else { return Err(sign_in_unknown_device()) };
    let now_step = totp::step_at(now.unix_timestamp());
    app.store.transact(|tx| {
        let mut a = tx.account(account)?.unwrap_or_default();
        let Some(i) = position(&a.mfa_devices, account, serial) else { return abort(sign_in_unknown_device()) };
        let d = &mut a.mfa_devices[i];
        if d.user_id.as_deref() != Some(user_id) {
            return abort(sign_in_unknown_device());
        }
        let seed = open_seed(tx.sealer(), serial, d)?;
        let center = now_step + d.drift;
        let from = (center - SKEW).max(d.last_step + 1);
        let Some(step) = seed.find(code, from..=center + SKEW) else { return abort(sign_in_invalid_code()) };
        d.last_step = step;
        tx.put_account(&a)
    })
}

pub struct CreateVirtualMfaDevice {
    path: String,
    name: String,
    tags: Vec<Tag>,
}

/// The new device, with its seed: shown this once.
pub struct CreatedDevice {
    serial: String,
    seed_base32: Zeroizing<String>,
    qr_png: Zeroizing<Vec<u8>>,
    tags: Vec<Tag>,
}

impl WriteXml for CreatedDevice {
    fn write(&self, w: &mut XmlOut) {
        w.elem("VirtualMFADevice", |w| {
            w.text("SerialNumber", &self.serial);
            // Blobs travel base64-encoded; the seed blob is the Base32 text itself, as in AWS.
            w.text("Base32StringSeed", &Zeroizing::new(B64.encode(self.seed_base32.as_bytes())));
            w.text("QRCodePNG", &Zeroizing::new(B64.encode(self.qr_png.as_slice())));
            if !self.tags.is_empty() {
                tags::write(w, &self.tags);
            }
        });
    }
}

impl Operation for CreateVirtualMfaDevice {
    const NAME: &'static str = "CreateVirtualMFADevice";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = CreatedDevice;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let path = f.opt_str("Path", &PATH).unwrap_or_else(|| "/".into());
        let name = f.str("VirtualMFADeviceName", &DEVICE_NAME);
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        Ok(Self { path, name, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(serial_number(ctx.account(), &self.path, &self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CreatedDevice, AwsError> {
        let account = ctx.account();
        let serial = serial_number(account, &self.path, &self.name);
        let seed = Seed::generate();
        let seed_base32 = seed.to_base32();
        let sealed = ctx.app.store.sealer().seal(&serial, &SecretKey::new(seed_base32.as_str().to_owned()))?;
        let alias = ctx.app.store.account(account)?.and_then(|a| a.alias);
        let label = format!("{}@{}", self.name, alias.as_deref().unwrap_or(account));
        let uri = Zeroizing::new(qr::otpauth_uri(&label, &seed_base32));
        let qr_png = Zeroizing::new(qr::png(&uri).map_err(|e| AwsError::internal(&e))?);
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            if a.mfa_devices.iter().any(|d| serial_number(account, &d.path, &d.name).eq_ignore_ascii_case(&serial)) {
                return abort(AwsError::EntityAlreadyExists(
                    "MFADevice entity at the same path and name already exists.".into(),
                ));
            }
            if a.mfa_devices.len() >= MAX_DEVICES_PER_ACCOUNT {
                return abort(AwsError::LimitExceeded(format!(
                    "Cannot exceed quota for MFADevices: {MAX_DEVICES_PER_ACCOUNT}"
                )));
            }
            a.mfa_devices.push(MfaDeviceRecord {
                path: self.path.clone(),
                name: self.name.clone(),
                create_date: now,
                seed: sealed.clone(),
                tags: self.tags.clone(),
                user_id: None,
                enable_date: None,
                last_step: 0,
                drift: 0,
            });
            tx.put_account(&a)
        })?;
        Ok(CreatedDevice { serial, seed_base32, qr_png, tags: self.tags })
    }
}

pub struct DeleteVirtualMfaDevice {
    serial: String,
}

impl Operation for DeleteVirtualMfaDevice {
    const NAME: &'static str = "DeleteVirtualMFADevice";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let serial = f.str("SerialNumber", &SERIAL);
        f.finish()?;
        Ok(Self { serial })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.serial.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut a = tx.account(account)?.unwrap_or_default();
            let Some(i) = position(&a.mfa_devices, account, &self.serial) else {
                return abort(no_such_device(&self.serial));
            };
            if a.mfa_devices[i].user_id.is_some() {
                return abort(AwsError::DeleteConflict("MFA VirtualDevice in use. Must deactivate first.".into()));
            }
            a.mfa_devices.remove(i);
            tx.put_account(&a)
        })
    }
}

pub struct ListVirtualMfaDevices {
    status: String,
    page: PageRequest,
}

/// One listed device: its serial number, and its user and enable date when assigned.
struct ListedDevice {
    serial: String,
    user: Option<UserRecord>,
    enable_date: Option<OffsetDateTime>,
}

pub struct VirtualDeviceList(Page<ListedDevice>);

impl WriteXml for VirtualDeviceList {
    fn write(&self, w: &mut XmlOut) {
        w.list("VirtualMFADevices", &self.0.items, |w, d| {
            w.text("SerialNumber", &d.serial);
            if let Some(user) = &d.user {
                w.elem("User", |w| write_user(w, user, false));
            }
            if let Some(at) = d.enable_date {
                w.time("EnableDate", at);
            }
        });
        self.0.write_tail(w);
    }
}

impl Operation for ListVirtualMfaDevices {
    const NAME: &'static str = "ListVirtualMFADevices";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = VirtualDeviceList;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let status = f.opt_enum("AssignmentStatus", ASSIGNMENT_STATUS).unwrap_or_else(|| "Any".into());
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { status, page })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<VirtualDeviceList, AwsError> {
        let account = ctx.account();
        let a = ctx.app.store.account(account)?.unwrap_or_default();
        let mut devices: Vec<&MfaDeviceRecord> = a
            .mfa_devices
            .iter()
            .filter(|d| match self.status.as_str() {
                "Assigned" => d.user_id.is_some(),
                "Unassigned" => d.user_id.is_none(),
                _ => true,
            })
            .collect();
        devices.sort_by_cached_key(|d| serial_number(account, &d.path, &d.name));
        let page = self.page.page(devices)?;
        let mut items = Vec::with_capacity(page.items.len());
        for d in page.items {
            let user = match &d.user_id {
                Some(id) => ctx.app.store.user_by_id(id)?.map(|u| (*u).clone()),
                None => None,
            };
            items.push(ListedDevice {
                serial: serial_number(account, &d.path, &d.name),
                user,
                enable_date: d.enable_date,
            });
        }
        Ok(VirtualDeviceList(Page { items, marker: page.marker }))
    }
}

/// `UserName`, `SerialNumber` and two consecutive codes: EnableMFADevice's and ResyncMFADevice's input.
struct CodePair {
    user: String,
    serial: String,
    code1: String,
    code2: String,
}

impl CodePair {
    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &EXISTING_USER_NAME);
        let serial = f.str("SerialNumber", &SERIAL);
        let code1 = f.str("AuthenticationCode1", &AUTH_CODE);
        let code2 = f.str("AuthenticationCode2", &AUTH_CODE);
        f.finish()?;
        Ok(Self { user, serial, code1, code2 })
    }
}

pub struct EnableMfaDevice(CodePair);

impl Operation for EnableMfaDevice {
    const NAME: &'static str = "EnableMFADevice";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        CodePair::parse(p).map(Self)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.0.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let input = &self.0;
        let now_step = totp::step_at(ctx.now.unix_timestamp());
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let user = tx.user(account, &input.user)?.ok_or_else(|| no_such_user(&input.user))?;
            let mut a = tx.account(account)?.unwrap_or_default();
            let Some(i) = position(&a.mfa_devices, account, &input.serial) else {
                return abort(no_such_device(&input.serial));
            };
            if a.mfa_devices[i].user_id.is_some() {
                return abort(AwsError::EntityAlreadyExists("MFA Device is already in use.".into()));
            }
            if a.mfa_devices.iter().filter(|d| d.user_id.as_deref() == Some(user.id.as_str())).count()
                >= MAX_DEVICES_PER_USER
            {
                return abort(AwsError::LimitExceeded(format!(
                    "Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}"
                )));
            }
            let d = &mut a.mfa_devices[i];
            let seed = open_seed(tx.sealer(), &input.serial, d)?;
            let Some(step) = seed.find_consecutive(&input.code1, &input.code2, now_step - SKEW..=now_step + SKEW)
            else {
                return abort(invalid_code());
            };
            d.user_id = Some(user.id.clone());
            d.enable_date = Some(now);
            d.last_step = step;
            d.drift = 0;
            tx.put_account(&a)
        })
    }
}

pub struct ResyncMfaDevice(CodePair);

impl Operation for ResyncMfaDevice {
    const NAME: &'static str = "ResyncMFADevice";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        CodePair::parse(p).map(Self)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.0.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let input = &self.0;
        let now_step = totp::step_at(ctx.now.unix_timestamp());
        ctx.app.store.transact(|tx| {
            let user = tx.user(account, &input.user)?.ok_or_else(|| no_such_user(&input.user))?;
            let mut a = tx.account(account)?.unwrap_or_default();
            let Some(i) = position(&a.mfa_devices, account, &input.serial) else {
                return abort(no_such_device(&input.serial));
            };
            let d = &mut a.mfa_devices[i];
            if d.user_id.as_deref() != Some(user.id.as_str()) {
                return abort(invalid_for_user());
            }
            let seed = open_seed(tx.sealer(), &input.serial, d)?;
            // A drifted device's clock is found anywhere in the wider window; steps already used
            // stay used.
            let from = (now_step - RESYNC_WINDOW).max(d.last_step + 1);
            let Some(step) = seed.find_consecutive(&input.code1, &input.code2, from..=now_step + RESYNC_WINDOW) else {
                return abort(invalid_code());
            };
            d.drift = step - now_step;
            d.last_step = step;
            tx.put_account(&a)
        })
    }
}

/// The named user, else the calling IAM user.
fn target_user(ctx: &Ctx<'_>, explicit: Option<&str>) -> Result<String, AwsError> {
    explicit.or(ctx.caller.principal.user_name()).map(str::to_owned).ok_or_else(must_name_user)
}

pub struct DeactivateMfaDevice {
    user: Option<String>,
    serial: String,
}

impl Operation for DeactivateMfaDevice {
    const NAME: &'static str = "DeactivateMFADevice";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let serial = f.str("SerialNumber", &SERIAL);
        f.finish()?;
        Ok(Self { user, serial })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let name = target_user(ctx, self.user.as_deref())?;
        ctx.app.store.transact(|tx| {
            let user = tx.user(account, &name)?.ok_or_else(|| no_such_user(&name))?;
            update(tx, account, &self.serial, |d| {
                if d.user_id.as_deref() != Some(user.id.as_str()) {
                    return Err(invalid_for_user());
                }
                d.user_id = None;
                d.enable_date = None;
                d.drift = 0;
                Ok(())
            })
        })
    }
}

/// One enabled device of a user.
struct EnabledDevice {
    user: String,
    serial: String,
    enable_date: OffsetDateTime,
}

fn write_enabled(w: &mut XmlOut, d: &EnabledDevice) {
    w.text("UserName", &d.user);
    w.text("SerialNumber", &d.serial);
    w.time("EnableDate", d.enable_date);
}

/// The devices enabled for `user`, in the order they were enabled.
fn enabled_devices(a: &AccountRecord, user: &UserRecord) -> Vec<EnabledDevice> {
    let mut out: Vec<EnabledDevice> = a
        .mfa_devices
        .iter()
        .filter(|d| d.user_id.as_deref() == Some(user.id.as_str()))
        .filter_map(|d| {
            Some(EnabledDevice {
                user: user.name.clone(),
                serial: serial_number(&a.id, &d.path, &d.name),
                enable_date: d.enable_date?,
            })
        })
        .collect();
    out.sort_by(|x, y| x.enable_date.cmp(&y.enable_date).then_with(|| x.serial.cmp(&y.serial)));
    out
}

pub struct ListMfaDevices {
    user: Option<String>,
    page: PageRequest,
}

pub struct MfaDeviceList(Page<EnabledDevice>);

impl WriteXml for MfaDeviceList {
    fn write(&self, w: &mut XmlOut) {
        w.list("MFADevices", &self.0.items, write_enabled);
        self.0.write_tail(w);
    }
}

impl Operation for ListMfaDevices {
    const NAME: &'static str = "ListMFADevices";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = MfaDeviceList;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { user, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        if self.user.is_none() && matches!(ctx.caller.principal, Principal::Root { .. }) {
            return Ok(ctx.caller.principal.arn());
        }
        Users::resource(ctx.app, ctx.account(), &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<MfaDeviceList, AwsError> {
        // The root's own devices are assigned in the console, never through this API.
        if self.user.is_none() && matches!(ctx.caller.principal, Principal::Root { .. }) {
            return Ok(MfaDeviceList(self.page.page(Vec::new())?));
        }
        let account = ctx.account();
        let name = target_user(ctx, self.user.as_deref())?;
        let user = ctx.app.store.user(account, &name)?.ok_or_else(|| no_such_user(&name))?;
        let a = ctx.app.store.account(account)?.unwrap_or_default();
        Ok(MfaDeviceList(self.page.page(enabled_devices(&a, &user))?))
    }
}

pub struct GetMfaDevice {
    user: Option<String>,
    serial: String,
}

pub struct MfaDeviceResult(EnabledDevice);

impl WriteXml for MfaDeviceResult {
    fn write(&self, w: &mut XmlOut) {
        write_enabled(w, &self.0);
    }
}

impl Operation for GetMfaDevice {
    const NAME: &'static str = "GetMFADevice";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = MfaDeviceResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let serial = f.str("SerialNumber", &SERIAL);
        let user = f.opt_str("UserName", &USER_NAME);
        f.finish()?;
        Ok(Self { user, serial })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        if self.user.is_none() && matches!(ctx.caller.principal, Principal::Root { .. }) {
            return Ok(ctx.caller.principal.arn());
        }
        Users::resource(ctx.app, ctx.account(), &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<MfaDeviceResult, AwsError> {
        let account = ctx.account();
        let device = load(ctx.app, account, &self.serial)?;
        let owner = match &device.user_id {
            Some(id) => ctx.app.store.user_by_id(id)?,
            None => None,
        };
        let Some(owner) = owner else { return Err(invalid_for_user()) };
        // Root may read any device of the account; anyone else names the device's user (or is it).
        let wanted = match (&self.user, &ctx.caller.principal) {
            (None, Principal::Root { .. }) => None,
            (explicit, _) => Some(target_user(ctx, explicit.as_deref())?),
        };
        if wanted.is_some_and(|w| !w.eq_ignore_ascii_case(&owner.name)) {
            return Err(invalid_for_user());
        }
        let enable_date = device.enable_date.ok_or_else(invalid_for_user)?;
        Ok(MfaDeviceResult(EnabledDevice { user: owner.name.clone(), serial: self.serial, enable_date }))
    }
}
