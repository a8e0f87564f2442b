//! AWS managed policies (`arn:aws:iam::aws:policy/…`): a built-in catalogue of AWS's own
//! documents, taken as data from moto's copy (see `generate.py`), parsed on first use.
//! They are listable (`Scope=AWS`), readable, attachable and evaluated like customer policies.
//! An account that attaches one keeps its own record of where (keyed apart from its customer
//! policies, see [`ManagedPolicyRecord::store_name`]), so attachment counts stay per account.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::store::{ManagedPolicyRecord, PolicyVersionRecord};

/// The account part of every AWS managed policy's ARN.
pub const ACCOUNT: &str = "aws";

#[derive(Deserialize)]
struct File {
    policies: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    path: String,
    version: String,
    created: String,
    updated: String,
    document: String,
}

struct Catalogue {
    /// In name order, as ListPolicies answers.
    all: Vec<Arc<ManagedPolicyRecord>>,
    by_arn: HashMap<String, usize>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let file: File = serde_json::from_str(include_str!("policies.json")).expect("the built-in catalogue is valid JSON");
    let all: Vec<_> = file.policies.into_iter().map(|e| Arc::new(record(e))).collect();
    let by_arn = all.iter().enumerate().map(|(i, p)| (p.arn(), i)).collect();
    Catalogue { all, by_arn }
});

fn date(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A stable id per policy name (AWS's are fixed too), `ANPA` + 17 base32 characters.
fn policy_id(name: &str) -> String {
    const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(name.as_bytes());
    let mut id = String::from("ANPA");
    id.extend(digest.iter().take(17).map(|b| char::from(BASE32[usize::from(*b) & 31])));
    id
}

fn record(e: Entry) -> ManagedPolicyRecord {
    let updated = date(&e.updated);
    ManagedPolicyRecord {
        account: ACCOUNT.to_owned(),
        id: policy_id(&e.name),
        name: e.name,
        path: e.path,
        description: None,
        create_date: date(&e.created),
        update_date: updated,
        default_version: e.version.clone(),
        versions: vec![PolicyVersionRecord { id: e.version, document: e.document, create_date: updated }],
        next_version: 0,
        tags: Vec::new(),
        attachments: Vec::new(),
        boundary_of: Vec::new(),
        aws_managed: true,
    }
}

/// The AWS managed policy with this exact ARN.
#[must_use]
pub fn get(arn: &str) -> Option<Arc<ManagedPolicyRecord>> {
    let c = &*CATALOGUE;
    c.by_arn.get(arn).map(|&i| Arc::clone(&c.all[i]))
}

/// Every AWS managed policy, in name order.
#[must_use]
pub fn all() -> &'static [Arc<ManagedPolicyRecord>] {
    &CATALOGUE.all
}

/// `account`'s own record of the AWS policy `catalogue`: where it is attached there.
#[must_use]
pub fn for_account(catalogue: &ManagedPolicyRecord, account: &str) -> ManagedPolicyRecord {
    ManagedPolicyRecord { account: account.to_owned(), ..catalogue.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_what_tooling_attaches_and_every_document_parses() {
        for name in [
            "AdministratorAccess",
            "ReadOnlyAccess",
            "PowerUserAccess",
            "IAMFullAccess",
            "IAMReadOnlyAccess",
            "AmazonS3FullAccess",
            "AmazonS3ReadOnlyAccess",
        ] {
            let p = get(&format!("arn:aws:iam::aws:policy/{name}")).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(p.name, name);
        }
        assert!(get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").is_some());
        assert!(all().len() > 1000);
        let failing: Vec<String> = all()
            .iter()
            .filter_map(|p| {
                crate::iam::policy_docs::parse_aws_managed(p.default_document())
                    .err()
                    .map(|e| format!("{}: {e}", p.name))
            })
            .collect();
        assert!(failing.is_empty(), "{failing:#?}");
    }

    #[test]
    fn ids_are_stable_and_shaped_like_aws_ones() {
        let id = policy_id("ReadOnlyAccess");
        assert_eq!(id, policy_id("ReadOnlyAccess"));
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("ANPA"));
    }
}
