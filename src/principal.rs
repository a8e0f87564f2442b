//! Who is calling: the identity a verified signature resolves to.

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The root user of an account.
    Root { account: String },
    /// An IAM user.
    User { account: String, name: String, id: String, path: String },
}

impl Principal {
    #[must_use]
    pub fn account(&self) -> &str {
        match self {
            Self::Root { account } | Self::User { account, .. } => account,
        }
    }

    /// The ARN AWS reports for this principal (GetCallerIdentity, AccessDenied messages).
    #[must_use]
    pub fn arn(&self) -> String {
        match self {
            Self::Root { account } => format!("arn:aws:iam::{account}:root"),
            Self::User { account, name, path, .. } => format!("arn:aws:iam::{account}:user{path}{name}"),
        }
    }

    /// AWS's unique id: the account id for root, `AIDA…` for users.
    #[must_use]
    pub fn user_id(&self) -> &str {
        match self {
            Self::Root { account } => account,
            Self::User { id, .. } => id,
        }
    }

    /// The IAM user's name, if the principal is one.
    #[must_use]
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Self::Root { .. } => None,
            Self::User { name, .. } => Some(name),
        }
    }

    /// The word AWS's AccessDenied message starts with.
    #[must_use]
    pub fn kind_word(&self) -> &'static str {
        "User"
    }
}

/// A principal together with the credentials it signed with.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub access_key_id: String,
}
