//! Who is calling: the identity a verified signature resolves to.

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The root user of an account.
    Root { account: String },
    /// An IAM user.
    User { account: String, name: String, id: String, path: String },
    /// A session of an assumed role.
    AssumedRole { account: String, role_name: String, role_path: String, role_id: String, session_name: String },
    /// A GetFederationToken session, on behalf of an IAM user (or of root, when `user` is none).
    FederatedUser { account: String, name: String, user: Option<crate::sts::token::FederatingUser> },
}

impl Principal {
    #[must_use]
    pub fn account(&self) -> &str {
        match self {
            Self::Root { account }
            | Self::User { account, .. }
            | Self::AssumedRole { account, .. }
            | Self::FederatedUser { account, .. } => account,
        }
    }

    /// The ARN AWS reports for this principal (GetCallerIdentity, AccessDenied messages).
    #[must_use]
    pub fn arn(&self) -> String {
        match self {
            Self::Root { account } => format!("arn:aws:iam::{account}:root"),
            Self::User { account, name, path, .. } => format!("arn:aws:iam::{account}:user{path}{name}"),
            Self::AssumedRole { account, role_name, session_name, .. } => {
                format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
            }
            Self::FederatedUser { account, name, .. } => format!("arn:aws:sts::{account}:federated-user/{name}"),
        }
    }

    /// AWS's unique id: the account id for root, `AIDA…` for users, `AROA…:session` for roles.
    #[must_use]
    pub fn user_id(&self) -> String {
        match self {
            Self::Root { account } => account.clone(),
            Self::User { id, .. } => id.clone(),
            Self::AssumedRole { role_id, session_name, .. } => format!("{role_id}:{session_name}"),
            Self::FederatedUser { account, name, .. } => format!("{account}:{name}"),
        }
    }

    /// The role's ARN for a role session (`aws:PrincipalArn`), else the principal's own ARN.
    #[must_use]
    pub fn principal_arn(&self) -> String {
        match self {
            Self::AssumedRole { account, role_name, role_path, .. } => {
                format!("arn:aws:iam::{account}:role{role_path}{role_name}")
            }
            _ => self.arn(),
        }
    }

    /// The IAM user's name, if the principal is one.
    #[must_use]
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Self::Root { .. } | Self::AssumedRole { .. } | Self::FederatedUser { .. } => None,
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
    /// The region the request was signed for.
    pub region: String,
    /// The session's claims when the caller signed with temporary credentials.
    pub session: Option<std::sync::Arc<crate::sts::token::SessionClaims>>,
}
