//! The Keystone-compatible identity API under `/v3`: tokens, `s3tokens`/`ec2tokens` (how Swift's
//! s3token and Ceph RGW ask whether an S3 signature is right and whose key it is), OS-EC2 and
//! `/v3/credentials`. JSON in, JSON out, Keystone's error shape. It reads the same store and
//! keys as IAM; handlers see [`request::Req`], never hyper. `router` is the one file that names
//! the handlers.

mod auth;
mod credentials;
mod directory;
mod ec2;
pub mod error;
pub mod identity;
pub mod request;
mod router;
mod s3tokens;
pub mod signature;
pub mod token;

pub use router::{handle, routes};
