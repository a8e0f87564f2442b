//! DecodeAuthorizationMessage: the detail behind an `AccessDenied` (why, which statements, the
//! request's condition keys), for a caller allowed `sts:DecodeAuthorizationMessage` in the
//! account the denial happened in.

use crate::authz::denial;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::StrRule;
use crate::protocol::{Params, WriteXml, XmlOut};

const ENCODED_MESSAGE: StrRule = StrRule { min: 1, max: 10_240, pattern: "", matches: |_| true };

pub struct DecodeAuthorizationMessage {
    encoded: String,
}

pub struct Decoded(String);

impl WriteXml for Decoded {
    fn write(&self, w: &mut XmlOut) {
        w.text("DecodedMessage", &self.0);
    }
}

impl Operation for DecodeAuthorizationMessage {
    const NAME: &'static str = "DecodeAuthorizationMessage";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = false;
    type Output = Decoded;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let encoded = f.str("EncodedMessage", &ENCODED_MESSAGE);
        f.finish()?;
        Ok(Self { encoded })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Decoded, AwsError> {
        denial::decode(&ctx.app.tokens, ctx.account(), self.encoded.trim()).map(Decoded).map_err(|_| {
            AwsError::InvalidAuthorizationMessage("The encoded authorization message is invalid or has expired.".into())
        })
    }
}
