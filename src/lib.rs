//! iamd: an AWS-compatible IAM/STS daemon. The library holds everything; `main.rs` only parses the
//! command line. Tests start a server in-process with [`server::spawn`] on port 0.
#![forbid(unsafe_code)]

pub mod access_keys;
pub mod app;
pub mod arn;
pub mod authn;
pub mod authz;
pub mod backup;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod fill;
pub mod iam;
pub mod ids;
pub mod keystone;
pub mod last_used;
pub mod master_key;
pub mod metrics;
pub mod mfa;
pub mod oidc;
pub mod operation;
pub mod outbound;
pub mod password;
pub mod policy;
pub mod principal;
pub mod protocol;
pub mod rotate;
pub mod s3;
pub mod saml;
pub mod seed;
pub mod server;
pub mod sigv4;
pub mod state;
pub mod store;
pub mod sts;
pub mod testing;
pub mod unavailable;

#[cfg(test)]
mod fuzzing;
