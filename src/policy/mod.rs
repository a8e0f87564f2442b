//! The IAM JSON policy language and AWS's policy evaluation logic. Pure: no I/O, no clock.
//!
//! - [`PolicyDocument::parse`] validates a document the way IAM does and answers with AWS's
//!   `MalformedPolicyDocument` messages; [`PolicySizeQuota`] words the `LimitExceeded` refusals.
//! - [`RequestContext`] describes one request: action, resource, caller and condition keys (the
//!   caller fills every key, including the clock-derived ones).
//! - [`evaluate`] decides the request against identity policies, a permissions boundary, session
//!   policies and a resource-based policy (trust policy or bucket policy), returning the decision,
//!   the statements that decided it (with their positions in the submitted text), the condition
//!   keys that were missing and which kind of policy denied.
//! - [`context_keys`] lists the keys policies refer to.
//!
//! Nothing here is IAM-specific beyond the language itself: S3 ARNs and keys such as `s3:prefix`
//! are just strings, so storage servers can ask the same engine.

mod arn;
mod condition;
mod context;
mod date;
mod document;
mod error;
mod evaluate;
mod glob;
mod ip;
mod keys;
mod positions;
mod principal;
mod resource_format;
mod size;
mod variables;
mod work;

#[cfg(test)]
mod tests;

pub use condition::{BaseOperator, Condition, ConditionOperator, OperatorFamily, SetQualifier};
pub use context::{ContextValue, PrincipalRef, PrincipalType, RequestContext, RequestContextBuilder};
pub use document::{Effect, ParseOptions, PolicyDocument, PolicyKind, PolicyVersion, Statement};
pub use error::PolicyError;
pub use evaluate::{
    Decision, Evaluation, EvaluationInput, MatchedStatement, PolicyRef, PolicyType, ResourcePolicyMode,
    ResourcePolicyRef, evaluate,
};
pub use keys::context_keys;
pub use positions::{Position, Span};
pub use principal::{PrincipalBlock, PrincipalEntry, PrincipalKey};
pub use size::{PolicySizeQuota, policy_size};
pub use work::{WorkExceeded, bounded as bounded_work};
