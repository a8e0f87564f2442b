//! Declarative seed state: the file format ([`format`]) and applying it at start ([`apply`]).

pub mod apply;
pub mod format;

pub use apply::{Applied, apply};
pub use format::Seed;
