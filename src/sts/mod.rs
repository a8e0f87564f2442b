//! STS actions.

pub mod assume_role;
pub mod caller_identity;
pub mod credentials;
pub mod decode_message;
pub mod federated;
pub mod federation_token;
pub mod saml;
pub mod session_token;
pub mod token;
pub mod web_identity;
pub mod web_identity_token;
