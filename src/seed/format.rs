//! The seed file: IAM entities a daemon must hold, applied at start (`--seed FILE`, or the same
//! tables in the config file). TOML, one array of tables per entity kind; documents are JSON
//! strings as IAM takes them. Pure: parsing and the checks that need no store.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Everything one or more seed files name, in the order they were given.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub policies: Vec<PolicySeed>,
    #[serde(default)]
    pub groups: Vec<GroupSeed>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
    #[serde(default)]
    pub roles: Vec<RoleSeed>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicySeed {
    pub name: String,
    #[serde(default = "root_path")]
    pub path: String,
    pub document: String,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSeed {
    pub name: String,
    #[serde(default = "root_path")]
    pub path: String,
    /// Names of `[[policies]]` (or of policies already stored), or full ARNs.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Inline policy name → JSON document.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub name: String,
    #[serde(default = "root_path")]
    pub path: String,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub access_keys: Vec<AccessKeySeed>,
    /// A managed policy's name or ARN, as for `attached_policies`.
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// An access key with a fixed id and secret, so CI jobs can hard-code them.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessKeySeed {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for AccessKeySeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeySeed").field("id", &self.id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoleSeed {
    pub name: String,
    #[serde(default = "root_path")]
    pub path: String,
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

fn root_path() -> String {
    "/".into()
}

impl Seed {
    /// Parses one seed file's text.
    ///
    /// # Errors
    /// TOML's message, naming the line and the table.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Appends `other`'s entities after this seed's.
    pub fn extend(&mut self, other: Self) {
        self.policies.extend(other.policies);
        self.groups.extend(other.groups);
        self.users.extend(other.users);
        self.roles.extend(other.roles);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.groups.is_empty() && self.users.is_empty() && self.roles.is_empty()
    }

    /// The checks that need no store: every entity named once, access key ids in AWS's form,
    /// secrets of a plausible shape.
    ///
    /// # Errors
    /// Every problem found, one per line, each naming its entity.
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let names =
            self.policies.iter().map(|p| ("policy", &p.name)).chain(self.groups.iter().map(|g| ("group", &g.name)));
        let names = names
            .chain(self.users.iter().map(|u| ("user", &u.name)))
            .chain(self.roles.iter().map(|r| ("role", &r.name)));
        for (kind, name) in names {
            if !seen.insert((kind, name.to_lowercase())) {
                problems.push(format!("{kind} {name:?} is seeded twice"));
            }
        }
        let mut key_ids = std::collections::BTreeSet::new();
        for user in &self.users {
            for key in &user.access_keys {
                if !crate::ids::looks_like(&key.id, crate::ids::IdKind::AccessKey) {
                    problems.push(format!(
                        "user {:?}: access key id {:?} is not AKIA followed by 16 characters of A-Z and 2-7",
                        user.name, key.id
                    ));
                }
                if !key_ids.insert(key.id.clone()) {
                    problems.push(format!("access key {} is seeded twice", key.id));
                }
                let printable = key.secret.bytes().all(|b| b.is_ascii_graphic());
                if !(16..=128).contains(&key.secret.len()) || !printable {
                    problems.push(format!(
                        "user {:?}: the secret of access key {} must be 16 to 128 printable characters without spaces",
                        user.name, key.id
                    ));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_format_parses_with_its_defaults() {
        let seed = Seed::parse(
            r#"
            [[policies]]
            name = "ci-read"
            document = '''{"Version":"2012-10-17","Statement":[]}'''

            [[users]]
            name = "ci"
            path = "/ci/"
            attached_policies = ["ci-read"]
            inline_policies = { own = '''{"Version":"2012-10-17","Statement":[]}''' }
            groups = ["devs"]
            [[users.access_keys]]
            id = "AKIAIOSFODNN7EXAMPLE"
            secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

            [[groups]]
            name = "devs"
            attached_policies = []

            [[roles]]
            name = "deployer"
            trust_policy = '''{}'''
            attached_policies = ["ci-read"]
            max_session_duration = 3600
            "#,
        )
        .unwrap();
        assert_eq!(seed.policies[0].path, "/");
        assert_eq!(seed.users[0].access_keys[0].id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(seed.users[0].inline_policies.len(), 1);
        assert_eq!(seed.roles[0].max_session_duration, Some(3600));
        seed.check().unwrap();
        assert!(!format!("{:?}", seed.users[0].access_keys[0]).contains("EXAMPLEKEY"), "secrets stay out of Debug");
    }

    #[test]
    fn static_problems_name_their_entity() {
        let mut seed =
            Seed::parse("[[users]]\nname = \"a\"\n[[users.access_keys]]\nid = \"AKIA1\"\nsecret = \"short\"\n")
                .unwrap();
        seed.extend(Seed::parse("[[users]]\nname = \"A\"\n").unwrap());
        let e = seed.check().unwrap_err();
        assert!(e.contains("user \"A\" is seeded twice"), "{e}");
        assert!(e.contains("access key id \"AKIA1\""), "{e}");
        assert!(e.contains("the secret of access key AKIA1"), "{e}");
        assert!(Seed::parse("[[users]]\nname = \"a\"\nunknown = 1\n").is_err());
    }
}
