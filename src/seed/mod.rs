//! Declarative seed state: the file format ([`format`]) and applying it at start ([`apply`]).

pub mod apply;
pub mod format;

pub use apply::{Applied, apply, apply_configured, apply_to};
pub use format::Seed;
