//! Policy size quotas. AWS counts characters and "does not count white space when calculating
//! the size of a policy against these limits" (IAM User Guide, reference_iam-quotas). Inline
//! quotas are for all of an entity's inline policies together, so the caller adds up the sizes.
//!
//! Messages, as AWS answers them (quoted in public issue reports):
//! - managed policy: `Cannot exceed quota for PolicySize: 6144` (ministryofjustice/
//!   cloud-platform-environments#14473, disney/terraform-aws-kinesis-firehose-splunk#58);
//! - inline: `Maximum policy size of 2048 bytes exceeded for user NAME`,
//!   `… of 5120 bytes exceeded for group NAME` (HumanCellAtlas/data-store#1963),
//!   `… of 10240 bytes exceeded for role NAME` (serverless/serverless#7643, aws-amplify/amplify-cli#4369);
//! - trust policy: `Cannot exceed quota for ACLSizePerRole: 2048` (Terraform and CLI output
//!   quoted in several public repositories).

use super::error::PolicyError;

/// Characters of `json` that count against a size quota: all but whitespace.
#[must_use]
pub fn policy_size(json: &str) -> usize {
    json.chars().filter(|c| !c.is_whitespace()).count()
}

/// Where a policy is stored, which decides its quota and the wording of the refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySizeQuota {
    /// A managed policy version: 6,144 characters.
    ManagedPolicy,
    /// All inline policies of a user together: 2,048 characters.
    UserInline,
    /// All inline policies of a group together: 5,120 characters.
    GroupInline,
    /// All inline policies of a role together: 10,240 characters.
    RoleInline,
    /// A role trust policy: 2,048 characters (AWS's default quota).
    RoleTrust,
}

impl PolicySizeQuota {
    /// The quota in characters (whitespace excluded).
    #[must_use]
    pub fn limit(self) -> usize {
        match self {
            PolicySizeQuota::ManagedPolicy => 6144,
            PolicySizeQuota::UserInline | PolicySizeQuota::RoleTrust => 2048,
            PolicySizeQuota::GroupInline => 5120,
            PolicySizeQuota::RoleInline => 10240,
        }
    }

    /// Refuses `size` characters (from [`policy_size`], summed for inline quotas) when over the
    /// quota. `entity_name` is the user, group or role name that inline messages mention.
    ///
    /// # Errors
    /// `PolicyError::LimitExceeded` with AWS's wording.
    pub fn check(self, size: usize, entity_name: &str) -> Result<(), PolicyError> {
        if size <= self.limit() {
            return Ok(());
        }
        let limit = self.limit();
        let message = match self {
            PolicySizeQuota::ManagedPolicy => {
                format!("Cannot exceed quota for PolicySize: {limit}")
            }
            PolicySizeQuota::RoleTrust => {
                format!("Cannot exceed quota for ACLSizePerRole: {limit}")
            }
            PolicySizeQuota::UserInline => {
                format!("Maximum policy size of {limit} bytes exceeded for user {entity_name}")
            }
            PolicySizeQuota::GroupInline => {
                format!("Maximum policy size of {limit} bytes exceeded for group {entity_name}")
            }
            PolicySizeQuota::RoleInline => {
                format!("Maximum policy size of {limit} bytes exceeded for role {entity_name}")
            }
        };
        Err(PolicyError::LimitExceeded(message))
    }
}
