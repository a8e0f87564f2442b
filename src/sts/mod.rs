//! STS actions.

pub mod caller_identity;
