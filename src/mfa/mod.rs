//! Virtual MFA devices' own maths, pure: RFC 6238 codes from a seed (`totp`) and the QR code an
//! authenticator app scans to learn the seed (`qr`). The IAM actions (`iam::mfa_devices`) and
//! STS's code checks use them; nothing here touches the store.

pub mod qr;
pub mod totp;
