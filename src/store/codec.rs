//! How records are written to and read from the engine: JSON, so a stored record can be
//! read by eye and fields can be added with `#[serde(default)]`.

use crate::error::AwsError;

pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AwsError> {
    serde_json::from_slice(bytes).map_err(|e| AwsError::internal(&format!("corrupt record: {e}")))
}

pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(value).map_err(|e| AwsError::internal(&e))
}
