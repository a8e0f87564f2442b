//! The AWS query protocol: decoding form-encoded requests into typed parameters, and encoding
//! typed results and errors as AWS's XML.

pub mod params;
pub mod rules;
pub mod xml;

pub use params::{Fields, Params, Tag};
pub use xml::{WriteXml, XmlOut};

#[cfg(test)]
mod tests;
