//! Keystone's error shape: `{"error": {"code": 401, "title": "Unauthorized", "message": "…"}}`.

use crate::error::AwsError;

/// One Keystone error: the HTTP status carries the title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoneError {
    pub status: u16,
    pub message: String,
}

pub type KsResult<T> = Result<T, KeystoneError>;

impl KeystoneError {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    #[must_use]
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    #[must_use]
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message)
    }

    #[must_use]
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    #[must_use]
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    #[must_use]
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    #[must_use]
    pub fn method_not_allowed() -> Self {
        Self::new(405, "The method is not allowed for the requested URL.")
    }

    /// Keystone's answer when the caller's token is missing or not valid.
    #[must_use]
    pub fn need_token() -> Self {
        Self::unauthorized("The request you have made requires authentication.")
    }

    /// Keystone's answer when the caller lacks the role a call needs.
    #[must_use]
    pub fn not_permitted() -> Self {
        Self::forbidden("You are not authorized to perform the requested action.")
    }

    #[must_use]
    pub fn title(&self) -> &'static str {
        match self.status {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            413 => "Request Entity Too Large",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "error": {"code": self.status, "title": self.title(), "message": self.message}
        }))
        .unwrap_or_default()
    }
}

/// IAM-side failures of shared code (the store, the key lifecycle) in Keystone's terms.
impl From<AwsError> for KeystoneError {
    fn from(e: AwsError) -> Self {
        let status = match e.status() {
            s @ (403 | 404 | 409 | 413 | 503) => s,
            s if s >= 500 => 500,
            _ => 400,
        };
        Self::new(status, e.message().to_owned())
    }
}
