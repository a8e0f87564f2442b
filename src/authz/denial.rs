//! What a denial says, twice: AWS's one-line `AccessDenied` message for the caller, and the
//! detail STS DecodeAuthorizationMessage reveals to whoever may call it (why, which statements,
//! every condition key of the request). The detail travels sealed under the token key, so only
//! this daemon can read it, and only for the account it was made in.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::AwsError;
use crate::policy::{Decision, Effect, MatchedStatement, RequestContext};
use crate::principal::Principal;
use crate::sts::token::{InvalidToken, TokenSealer};

/// The kind an encoded authorization message is sealed as: no session token opens as one.
const KIND: &str = "iamdauth";

/// A denial decided, before it is sealed.
pub struct Denial {
    pub message: String,
    account: String,
    decoded: Value,
}

impl Denial {
    /// A denial of the request `context` describes: `decision` is how it was denied (an
    /// explicit deny, or no allow), `matched` the Deny statements that matched.
    #[must_use]
    pub fn new(
        message: String,
        principal: &Principal,
        context: Option<&RequestContext>,
        action: &str,
        resource: &str,
        decision: Decision,
        matched: &[MatchedStatement],
    ) -> Self {
        let statements: Vec<Value> = matched
            .iter()
            .filter(|m| m.effect == Effect::Deny)
            .map(|m| json!({ "statementId": m.sid.clone().unwrap_or_default(), "effect": "DENY" }))
            .collect();
        let conditions: Vec<Value> = context
            .map(|c| {
                c.keys()
                    .map(|k| {
                        let values: Vec<Value> = c
                            .get_lower(k)
                            .unwrap_or_default()
                            .iter()
                            .map(|v| json!({ "value": v.to_text() }))
                            .collect();
                        json!({ "key": k, "values": { "items": values } })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut who = json!({ "id": principal.user_id(), "arn": principal.arn() });
        if let Some(name) = principal.user_name() {
            who["name"] = Value::String(name.to_owned());
        }
        let decoded = json!({
            "allowed": false,
            "explicitDeny": decision == Decision::ExplicitDeny,
            "matchedStatements": { "items": statements },
            "failures": { "items": [] },
            "context": {
                "principal": who,
                "action": action,
                "resource": resource,
                "conditions": { "items": conditions },
            },
        });
        Self { message, account: principal.account().to_owned(), decoded }
    }

    /// The wire error: AWS's message, with the sealed detail beside it.
    #[must_use]
    pub fn into_error(self, sealer: &TokenSealer) -> AwsError {
        let encoded = sealer.seal_json(KIND, &Sealed { account: self.account, decoded: self.decoded.to_string() });
        AwsError::AccessDeniedEncoded(Box::new(crate::error::EncodedDenial { message: self.message, encoded }))
    }
}

/// What an encoded authorization message holds.
#[derive(Serialize, Deserialize)]
struct Sealed {
    account: String,
    decoded: String,
}

/// The detail of an encoded authorization message made in `account`.
///
/// # Errors
/// [`InvalidToken`] for a message this daemon did not make, one altered since, or one of
/// another account.
pub fn decode(sealer: &TokenSealer, account: &str, encoded: &str) -> Result<String, InvalidToken> {
    let sealed: Sealed = sealer.open_json(KIND, encoded)?;
    if sealed.account == account { Ok(sealed.decoded) } else { Err(InvalidToken) }
}
