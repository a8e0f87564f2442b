//! The one error type that reaches the wire. Each variant is one AWS error code; the variant knows
//! its HTTP status and fault side, so no handler chooses a status by hand.

use std::fmt;

/// Which side AWS blames, written as `<Type>` in the error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Sender,
    Receiver,
}

/// An authorization denial's message and its sealed detail, for STS DecodeAuthorizationMessage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedDenial {
    pub message: String,
    pub encoded: String,
}

/// An AWS-shaped error: code, HTTP status and message as AWS returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsError {
    // Authentication (SigV4, tokens).
    MissingAuthenticationToken(String),
    IncompleteSignature(String),
    InvalidClientTokenId(String),
    SignatureDoesNotMatch(String),
    ExpiredToken(String),
    RequestExpired(String),
    AuthorizationQueryParametersError(String),
    XAmzContentSha256Mismatch(String),
    // Authorization.
    AccessDenied(String),
    /// `AccessDenied` from a policy decision, with its encoded authorization message.
    AccessDeniedEncoded(Box<EncodedDenial>),
    // Protocol and input.
    InvalidAction(String),
    MissingAction(String),
    MissingParameter(String),
    InvalidParameterValue(String),
    InvalidParameterCombination(String),
    ValidationError(String),
    InvalidQueryParameter(String),
    InvalidHttpRequest(String),
    RequestEntityTooLarge(String),
    RequestTimeout(String),
    // IAM entities.
    NoSuchEntity(String),
    EntityAlreadyExists(String),
    DeleteConflict(String),
    LimitExceeded(String),
    InvalidInput(String),
    MalformedPolicyDocument(String),
    ConcurrentModification(String),
    PasswordPolicyViolation(String),
    EntityTemporarilyUnmodifiable(String),
    InvalidUserType(String),
    InvalidAuthenticationCode(String),
    // STS.
    PackedPolicyTooLarge(String),
    RegionDisabled(String),
    InvalidIdentityToken(String),
    ExpiredTokenException(String),
    // Features a standalone account does not have (AWS Organizations, outbound federation).
    OrganizationNotFound(String),
    FeatureDisabled(String),
    OutboundWebIdentityFederationDisabled(String),
    FeatureEnabled(String),
    InvalidAuthorizationMessage(String),
    SessionDurationEscalation(String),
    // Credential reports.
    ReportNotPresent(String),
    ReportExpired(String),
    // Ours.
    ServiceFailure(String),
    /// A handler panicked: this request fails, the daemon serves on.
    InternalFailure(String),
    ServiceUnavailable(String),
    // SSH public keys and certificates.
    InvalidPublicKey(String),
    DuplicateSshPublicKey(String),
    UnrecognizedPublicKeyEncoding(String),
    MalformedCertificate(String),
    InvalidCertificate(String),
    DuplicateCertificate(String),
    KeyPairMismatch(String),
}

impl AwsError {
    /// The `<Code>` AWS writes for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken(_) => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::InvalidClientTokenId(_) => "InvalidClientTokenId",
            Self::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            Self::ExpiredToken(_) => "ExpiredToken",
            Self::RequestExpired(_) => "RequestExpired",
            Self::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            Self::XAmzContentSha256Mismatch(_) => "XAmzContentSHA256Mismatch",
            Self::AccessDenied(_) | Self::AccessDeniedEncoded(_) => "AccessDenied",
            Self::InvalidAction(_) => "InvalidAction",
            Self::MissingAction(_) => "MissingAction",
            Self::MissingParameter(_) => "MissingParameter",
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombination",
            Self::ValidationError(_) => "ValidationError",
            Self::InvalidQueryParameter(_) => "InvalidQueryParameter",
            Self::InvalidHttpRequest(_) => "InvalidHttpRequest",
            Self::RequestEntityTooLarge(_) => "RequestEntityTooLarge",
            Self::RequestTimeout(_) => "RequestTimeout",
            Self::NoSuchEntity(_) => "NoSuchEntity",
            Self::EntityAlreadyExists(_) => "EntityAlreadyExists",
            Self::DeleteConflict(_) => "DeleteConflict",
            Self::LimitExceeded(_) => "LimitExceeded",
            Self::InvalidInput(_) => "InvalidInput",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::ConcurrentModification(_) => "ConcurrentModification",
            Self::PasswordPolicyViolation(_) => "PasswordPolicyViolation",
            Self::EntityTemporarilyUnmodifiable(_) => "EntityTemporarilyUnmodifiable",
            Self::InvalidUserType(_) => "InvalidUserType",
            Self::InvalidAuthenticationCode(_) => "InvalidAuthenticationCode",
            Self::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            Self::RegionDisabled(_) => "RegionDisabledException",
            Self::InvalidIdentityToken(_) => "InvalidIdentityToken",
            Self::ExpiredTokenException(_) => "ExpiredTokenException",
            Self::OrganizationNotFound(_) => "OrganizationNotFoundException",
            Self::FeatureDisabled(_) => "FeatureDisabled",
            Self::OutboundWebIdentityFederationDisabled(_) => "OutboundWebIdentityFederationDisabledException",
            Self::FeatureEnabled(_) => "FeatureEnabled",
            Self::InvalidAuthorizationMessage(_) => "InvalidAuthorizationMessageException",
            Self::SessionDurationEscalation(_) => "SessionDurationEscalationException",
            Self::ReportNotPresent(_) => "ReportNotPresent",
            Self::ReportExpired(_) => "ReportExpired",
            Self::ServiceFailure(_) => "ServiceFailure",
            Self::InternalFailure(_) => "InternalFailure",
            Self::ServiceUnavailable(_) => "ServiceUnavailable",
            Self::InvalidPublicKey(_) => "InvalidPublicKey",
            Self::DuplicateSshPublicKey(_) => "DuplicateSSHPublicKey",
            Self::UnrecognizedPublicKeyEncoding(_) => "UnrecognizedPublicKeyEncoding",
            Self::MalformedCertificate(_) => "MalformedCertificate",
            Self::InvalidCertificate(_) => "InvalidCertificate",
            Self::DuplicateCertificate(_) => "DuplicateCertificate",
            Self::KeyPairMismatch(_) => "KeyPairMismatch",
        }
    }

    /// The HTTP status AWS sends with this code (botocore's service model and recorded responses).
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingAuthenticationToken(_)
            | Self::InvalidClientTokenId(_)
            | Self::SignatureDoesNotMatch(_)
            | Self::AccessDenied(_)
            | Self::AccessDeniedEncoded(_)
            | Self::SessionDurationEscalation(_)
            | Self::RegionDisabled(_)
            | Self::InvalidAuthenticationCode(_)
            | Self::OutboundWebIdentityFederationDisabled(_) => 403,
            Self::ExpiredToken(_)
            | Self::IncompleteSignature(_)
            | Self::RequestExpired(_)
            | Self::AuthorizationQueryParametersError(_)
            | Self::XAmzContentSha256Mismatch(_)
            | Self::InvalidAction(_)
            | Self::MissingAction(_)
            | Self::MissingParameter(_)
            | Self::InvalidParameterValue(_)
            | Self::InvalidParameterCombination(_)
            | Self::ValidationError(_)
            | Self::InvalidQueryParameter(_)
            | Self::InvalidHttpRequest(_)
            | Self::InvalidInput(_)
            | Self::MalformedPolicyDocument(_)
            | Self::PackedPolicyTooLarge(_)
            | Self::PasswordPolicyViolation(_)
            | Self::InvalidIdentityToken(_)
            | Self::ExpiredTokenException(_)
            | Self::InvalidUserType(_)
            | Self::OrganizationNotFound(_)
            | Self::InvalidAuthorizationMessage(_) => 400,
            Self::NoSuchEntity(_) | Self::FeatureDisabled(_) => 404,
            Self::EntityAlreadyExists(_)
            | Self::DeleteConflict(_)
            | Self::LimitExceeded(_)
            | Self::ConcurrentModification(_)
            | Self::EntityTemporarilyUnmodifiable(_)
            | Self::FeatureEnabled(_) => 409,
            Self::RequestEntityTooLarge(_) => 413,
            Self::ReportNotPresent(_) | Self::ReportExpired(_) => 410,
            Self::RequestTimeout(_) => 400,
            Self::ServiceFailure(_) | Self::InternalFailure(_) => 500,
            Self::ServiceUnavailable(_) => 503,
            Self::InvalidPublicKey(_)
            | Self::DuplicateSshPublicKey(_)
            | Self::UnrecognizedPublicKeyEncoding(_)
            | Self::MalformedCertificate(_)
            | Self::InvalidCertificate(_)
            | Self::KeyPairMismatch(_) => 400,
            Self::DuplicateCertificate(_) => 409,
        }
    }

    /// Sender for every client mistake, Receiver for our own failures.
    #[must_use]
    pub fn fault(&self) -> Fault {
        if self.status() >= 500 { Fault::Receiver } else { Fault::Sender }
    }

    /// The human-readable `<Message>`.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::MissingAuthenticationToken(m)
            | Self::IncompleteSignature(m)
            | Self::InvalidClientTokenId(m)
            | Self::SignatureDoesNotMatch(m)
            | Self::ExpiredToken(m)
            | Self::RequestExpired(m)
            | Self::AuthorizationQueryParametersError(m)
            | Self::XAmzContentSha256Mismatch(m)
            | Self::AccessDenied(m)
            | Self::InvalidAuthorizationMessage(m)
            | Self::SessionDurationEscalation(m)
            | Self::FeatureEnabled(m)
            | Self::InvalidAction(m)
            | Self::MissingAction(m)
            | Self::MissingParameter(m)
            | Self::InvalidParameterValue(m)
            | Self::InvalidParameterCombination(m)
            | Self::ValidationError(m)
            | Self::InvalidQueryParameter(m)
            | Self::InvalidHttpRequest(m)
            | Self::RequestEntityTooLarge(m)
            | Self::RequestTimeout(m)
            | Self::NoSuchEntity(m)
            | Self::EntityAlreadyExists(m)
            | Self::DeleteConflict(m)
            | Self::LimitExceeded(m)
            | Self::InvalidInput(m)
            | Self::MalformedPolicyDocument(m)
            | Self::ConcurrentModification(m)
            | Self::PasswordPolicyViolation(m)
            | Self::EntityTemporarilyUnmodifiable(m)
            | Self::InvalidUserType(m)
            | Self::InvalidAuthenticationCode(m)
            | Self::PackedPolicyTooLarge(m)
            | Self::RegionDisabled(m)
            | Self::InvalidIdentityToken(m)
            | Self::ExpiredTokenException(m)
            | Self::OrganizationNotFound(m)
            | Self::FeatureDisabled(m)
            | Self::OutboundWebIdentityFederationDisabled(m)
            | Self::ReportNotPresent(m)
            | Self::ReportExpired(m)
            | Self::ServiceFailure(m)
            | Self::InternalFailure(m)
            | Self::ServiceUnavailable(m)
            | Self::InvalidPublicKey(m)
            | Self::DuplicateSshPublicKey(m)
            | Self::UnrecognizedPublicKeyEncoding(m)
            | Self::MalformedCertificate(m)
            | Self::InvalidCertificate(m)
            | Self::DuplicateCertificate(m)
            | Self::KeyPairMismatch(m) => m,
            Self::AccessDeniedEncoded(d) => &d.message,
        }
    }

    /// The encoded authorization message of a policy decision's denial.
    #[must_use]
    pub fn encoded_authorization_message(&self) -> Option<&str> {
        match self {
            Self::AccessDeniedEncoded(d) => Some(&d.encoded),
            _ => None,
        }
    }

    /// AWS's wording for an unknown or unauthenticated-but-well-formed key id.
    #[must_use]
    pub fn invalid_token() -> Self {
        Self::InvalidClientTokenId("The security token included in the request is invalid.".into())
    }

    /// AWS's wording for a key whose secret does not produce the request's signature.
    #[must_use]
    pub fn signature_mismatch() -> Self {
        Self::SignatureDoesNotMatch(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
                .into(),
        )
    }

    /// A panic caught while answering: logged, and the client gets AWS's generic 500.
    #[must_use]
    pub fn panicked() -> Self {
        tracing::error!("a handler panicked; its request failed with 500 InternalFailure");
        Self::InternalFailure(
            "The request processing has failed because of an unknown error, exception or failure.".into(),
        )
    }

    /// A write refused because a flush to disk failed earlier: nothing more is acknowledged until
    /// a restart reads back what the disk holds, so retrying cannot help.
    #[must_use]
    pub fn writes_refused() -> Self {
        Self::ServiceFailure(
            "A write to disk failed earlier; this server accepts no changes until it is restarted.".into(),
        )
    }

    /// An internal failure: the detail goes to the log, never to the client.
    #[must_use]
    pub fn internal(detail: &dyn fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal failure");
        Self::ServiceFailure("An internal error occurred. Please retry the request.".into())
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for AwsError {}
