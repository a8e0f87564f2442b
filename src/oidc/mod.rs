//! OpenID Connect for AssumeRoleWithWebIdentity: providers' signing keys ([`keys`]) and ID
//! token verification ([`verify`]). The trust decision and the session are STS's.

pub mod keys;
pub mod verify;
