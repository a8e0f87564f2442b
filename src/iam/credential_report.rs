//! GenerateCredentialReport and GetCredentialReport: AWS's CSV of every user's credentials
//! (the root account first), base64 in the response. Generating records when; the report is
//! drawn up from the current state when fetched, and expires four hours after generation as
//! AWS's does.

use time::{Duration, OffsetDateTime};

use crate::access_keys::{self, KeyOwner};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{AccessKeyRecord, AccountRecord, KeyStatus};

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,\
password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,\
access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,\
cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// How long a generated report can be fetched.
const LIFETIME: Duration = Duration::hours(4);

fn stamp(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default().replace('Z', "+00:00")
}

/// The ten access-key columns of one identity (two keys; "N/A" where there is none).
fn key_columns(app: &State, keys: &[AccessKeyRecord]) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    for i in 0..2 {
        match keys.get(i) {
            Some(k) => {
                let used = app.last_used.get(&app.store, &k.id)?;
                out.push((k.status == KeyStatus::Active).to_string());
                out.push(stamp(k.create_date));
                out.push(used.as_ref().map_or_else(|| "N/A".into(), |u| stamp(u.date)));
                out.push(used.as_ref().map_or_else(|| "N/A".into(), |u| u.region.clone()));
                out.push(used.as_ref().map_or_else(|| "N/A".into(), |u| u.service.clone()));
            }
            None => out.extend(["false", "N/A", "N/A", "N/A", "N/A"].map(String::from)),
        }
    }
    Ok(out)
}

fn report(app: &State, account: &str, record: &AccountRecord) -> Result<String, AwsError> {
    let mut csv = String::from(HEADER);
    let root_keys = access_keys::list(&app.store, account, &KeyOwner::Root)?;
    let mut root = vec![
        "<root_account>".to_owned(),
        format!("arn:aws:iam::{account}:root"),
        record.create_date.map_or_else(|| "N/A".into(), stamp),
        "not_supported".into(),
        "N/A".into(),
        "not_supported".into(),
        "not_supported".into(),
        "false".into(),
    ];
    root.extend(key_columns(app, &root_keys)?);
    root.extend(["false", "N/A", "false", "N/A"].map(String::from));
    csv.push('\n');
    csv.push_str(&root.join(","));
    for user in app.store.users(account, None, usize::MAX - 1, |_| true)? {
        let keys = access_keys::list(&app.store, account, &KeyOwner::User(user.name.clone()))?;
        let profile = user.login_profile.as_ref();
        let mut row = vec![
            user.name.clone(),
            user.arn(),
            stamp(user.create_date),
            profile.is_some().to_string(),
            // Passwords serve Keystone logins, whose last use iamd does not record.
            if profile.is_some() { "no_information".into() } else { "N/A".into() },
            profile.map_or_else(|| "N/A".into(), |p| stamp(p.password_set)),
            "N/A".into(),
            record.mfa_devices.iter().any(|d| d.user_id.as_deref() == Some(user.id.as_str())).to_string(),
        ];
        row.extend(key_columns(app, &keys)?);
        row.extend(["false", "N/A", "false", "N/A"].map(String::from));
        csv.push('\n');
        csv.push_str(&row.join(","));
    }
    Ok(csv)
}

pub struct GenerateCredentialReport;

pub struct Generation(bool);

impl WriteXml for Generation {
    fn write(&self, w: &mut XmlOut) {
        if self.0 {
            w.text("State", "STARTED");
            w.text("Description", "No report exists. Starting a new report generation task");
        } else {
            w.text("State", "COMPLETE");
        }
    }
}

impl Operation for GenerateCredentialReport {
    const NAME: &'static str = "GenerateCredentialReport";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = Generation;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Generation, AwsError> {
        let account = ctx.account();
        let now = ctx.now;
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            let fresh = a.credential_report_at.is_some_and(|at| now - at < LIFETIME);
            if !fresh {
                a.credential_report_at = Some(now);
                tx.put_account(&a)?;
            }
            Ok(Generation(!fresh))
        })
    }
}

pub struct GetCredentialReport;

pub struct Report {
    csv: String,
    generated: OffsetDateTime,
}

impl WriteXml for Report {
    fn write(&self, w: &mut XmlOut) {
        use base64::Engine;
        w.text("Content", &base64::engine::general_purpose::STANDARD.encode(&self.csv));
        w.text("ReportFormat", "text/csv");
        w.time("GeneratedTime", self.generated);
    }
}

impl Operation for GetCredentialReport {
    const NAME: &'static str = "GetCredentialReport";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Report;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Report, AwsError> {
        let account = ctx.account();
        let record = ctx.app.store.account(account)?.unwrap_or_default();
        let Some(generated) = record.credential_report_at else {
            return Err(AwsError::ReportNotPresent(
                "Unknown: Credential report not present. Use GenerateCredentialReport to generate one.".into(),
            ));
        };
        if ctx.now - generated >= LIFETIME {
            return Err(AwsError::ReportExpired(
                "The request was rejected because the most recent credential report has expired. \
                 To generate a new credential report, use GenerateCredentialReport."
                    .into(),
            ));
        }
        Ok(Report { csv: report(ctx.app, account, &record)?, generated })
    }
}
