//! What a request's signature vouches for about its body, checked while the body streams to the
//! backend. s3s verifies the signature over the headers and, for aws-chunked bodies, each
//! chunk's signature; it checks neither a signed `x-amz-content-sha256` against the body nor a
//! trailing checksum. [`Guarded`] does both, and holds back the last piece of the body until the
//! body has ended cleanly and its check passed: a backend never receives the whole of a body the
//! gateway refuses (it sees the connection drop short of `Content-Length`), so it stores nothing.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::StatusCode;
use s3s::checksum::ChecksumHasher;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3Error, S3ErrorCode, StdError, TrailingHeaders};
use sha2::{Digest, Sha256};

/// Why a body was refused, for the answer: `s3::call` puts one slot in each request's
/// extensions, a [`Guarded`] body fills it, and `call` answers with it instead of the error the
/// backend's aborted upload produced.
#[derive(Clone, Default)]
pub struct Refusal(Arc<Mutex<Option<(S3ErrorCode, StatusCode, String)>>>);

impl Refusal {
    fn set(&self, code: S3ErrorCode, status: StatusCode, message: &str) {
        if let Ok(mut slot) = self.0.lock()
            && slot.is_none()
        {
            *slot = Some((code, status, message.to_owned()));
        }
    }

    /// The first refusal recorded, as S3's error.
    #[must_use]
    pub fn take(&self) -> Option<S3Error> {
        let (code, status, message) = self.0.lock().ok()?.take()?;
        let mut e = S3Error::with_message(code, message);
        e.set_status_code(status);
        Some(e)
    }
}

/// A check over a body's bytes, decided at its clean end.
pub trait Check: Send + Sync + 'static {
    fn update(&mut self, data: &[u8]);
    /// # Errors
    /// The refusal: code, status, message.
    fn finish(&mut self) -> Result<(), (S3ErrorCode, StatusCode, String)>;
}

/// Nothing to check but that the body ended cleanly (aws-chunked without a trailing checksum:
/// s3s checked every chunk's signature, the last one included).
pub struct Complete;

impl Check for Complete {
    fn update(&mut self, _: &[u8]) {}
    fn finish(&mut self) -> Result<(), (S3ErrorCode, StatusCode, String)> {
        Ok(())
    }
}

/// The body's SHA-256 against the signed `x-amz-content-sha256`.
pub struct ContentSha256 {
    expected: [u8; 32],
    hasher: Sha256,
}

impl ContentSha256 {
    /// For a header value that is a hex SHA-256 (not `UNSIGNED-PAYLOAD` or `STREAMING-…`).
    #[must_use]
    pub fn from_header(value: &str) -> Option<Self> {
        let mut expected = [0u8; 32];
        hex::decode_to_slice(value, &mut expected).ok()?;
        Some(Self { expected, hasher: Sha256::new() })
    }
}

impl Check for ContentSha256 {
    fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }
    fn finish(&mut self) -> Result<(), (S3ErrorCode, StatusCode, String)> {
        let got: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        if got == self.expected {
            return Ok(());
        }
        Err((
            S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
            StatusCode::BAD_REQUEST,
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
        ))
    }
}

/// The checksum an aws-chunked body sends after its last chunk (`x-amz-trailer` names it).
pub struct TrailingChecksum {
    name: &'static str,
    label: &'static str,
    hasher: Option<ChecksumHasher>,
    trailers: TrailingHeaders,
}

impl TrailingChecksum {
    /// For the `x-amz-trailer` header's value; `None` for a name S3 does not know.
    #[must_use]
    pub fn new(trailer: &str, trailers: TrailingHeaders) -> Option<Self> {
        let (name, label, hasher) = algorithm(trailer)?;
        Some(Self { name, label, hasher: Some(hasher), trailers })
    }
}

/// The trailer's header name, the algorithm's name in S3's messages, and its hasher.
fn algorithm(trailer: &str) -> Option<(&'static str, &'static str, ChecksumHasher)> {
    let mut hasher = ChecksumHasher::default();
    let (name, label) = match trailer.trim().to_ascii_lowercase().as_str() {
        "x-amz-checksum-crc32" => {
            hasher.crc32 = Some(Default::default());
            ("x-amz-checksum-crc32", "CRC32")
        }
        "x-amz-checksum-crc32c" => {
            hasher.crc32c = Some(Default::default());
            ("x-amz-checksum-crc32c", "CRC32C")
        }
        "x-amz-checksum-crc64nvme" => {
            hasher.crc64nvme = Some(Default::default());
            ("x-amz-checksum-crc64nvme", "CRC64NVME")
        }
        "x-amz-checksum-sha1" => {
            hasher.sha1 = Some(Default::default());
            ("x-amz-checksum-sha1", "SHA1")
        }
        "x-amz-checksum-sha256" => {
            hasher.sha256 = Some(Default::default());
            ("x-amz-checksum-sha256", "SHA256")
        }
        _ => return None,
    };
    Some((name, label, hasher))
}

impl Check for TrailingChecksum {
    fn update(&mut self, data: &[u8]) {
        if let Some(h) = &mut self.hasher {
            h.update(data);
        }
    }
    fn finish(&mut self) -> Result<(), (S3ErrorCode, StatusCode, String)> {
        let sum = self.hasher.take().map(ChecksumHasher::finalize).unwrap_or_default();
        let computed =
            [sum.checksum_crc32, sum.checksum_crc32c, sum.checksum_crc64nvme, sum.checksum_sha1, sum.checksum_sha256]
                .into_iter()
                .flatten()
                .next();
        let sent = self.trailers.read(|h| h.get(self.name).and_then(|v| v.to_str().ok()).map(str::to_owned)).flatten();
        match (sent, computed) {
            (Some(sent), Some(computed)) if sent.trim() == computed => Ok(()),
            (Some(_), _) => Err((
                S3ErrorCode::BadDigest,
                StatusCode::BAD_REQUEST,
                format!("The {} you specified did not match the calculated checksum.", self.label),
            )),
            (None, _) => Err((
                S3ErrorCode::InvalidRequest,
                StatusCode::BAD_REQUEST,
                format!("The x-amz-trailer header named {}, but the body's trailer did not carry it.", self.name),
            )),
        }
    }
}

/// How an error from the stream underneath is answered.
#[derive(Clone, Copy)]
pub enum Underneath {
    /// The client's connection: it ended early or broke.
    Connection,
    /// s3s's aws-chunked decoder, which reports its failures only as text.
    AwsChunked,
}

impl Underneath {
    fn refusal(self, e: &StdError) -> (S3ErrorCode, StatusCode, &'static str) {
        let text = e.to_string();
        match self {
            Self::AwsChunked if text.contains("SignatureMismatch") => (
                S3ErrorCode::SignatureDoesNotMatch,
                StatusCode::FORBIDDEN,
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            ),
            Self::AwsChunked if !text.contains("Underlying") && !text.contains("Incomplete") => {
                (S3ErrorCode::InvalidRequest, StatusCode::BAD_REQUEST, "The aws-chunked body is malformed.")
            }
            _ => (
                S3ErrorCode::IncompleteBody,
                StatusCode::BAD_REQUEST,
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            ),
        }
    }
}

/// A body that holds back its last piece until `check` passed at its clean end.
pub struct Guarded<S> {
    inner: S,
    held: Option<Bytes>,
    check: Box<dyn Check>,
    underneath: Underneath,
    refusal: Refusal,
    done: bool,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, check: Box<dyn Check>, underneath: Underneath, refusal: Refusal) -> Self {
        Self { inner, held: None, check, underneath, refusal, done: false }
    }
}

impl<S> Stream for Guarded<S>
where
    S: Stream<Item = Result<Bytes, StdError>> + Unpin,
{
    type Item = Result<Bytes, StdError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match std::task::ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                Some(Ok(piece)) => {
                    if piece.is_empty() {
                        continue;
                    }
                    this.check.update(&piece);
                    if let Some(previous) = this.held.replace(piece) {
                        return Poll::Ready(Some(Ok(previous)));
                    }
                }
                Some(Err(e)) => {
                    this.done = true;
                    this.held = None;
                    let (code, status, message) = this.underneath.refusal(&e);
                    this.refusal.set(code, status, message);
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.done = true;
                    return match this.check.finish() {
                        Ok(()) => Poll::Ready(this.held.take().map(Ok)),
                        Err((code, status, message)) => {
                            this.held = None;
                            this.refusal.set(code, status, &message);
                            Poll::Ready(Some(Err(message.into())))
                        }
                    };
                }
            }
        }
    }
}

impl<S> ByteStream for Guarded<S>
where
    S: ByteStream<Item = Result<Bytes, StdError>> + Unpin,
{
    fn remaining_length(&self) -> RemainingLength {
        let held = self.held.as_ref().map_or(0, Bytes::len);
        match self.inner.remaining_length().exact() {
            Some(n) if !self.done => RemainingLength::new_exact(n + held),
            _ if self.done => RemainingLength::new_exact(held),
            _ => RemainingLength::unknown(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(items: Vec<Result<&'static [u8], &'static str>>) -> impl Stream<Item = Result<Bytes, StdError>> + Unpin {
        struct Iter(std::vec::IntoIter<Result<Bytes, StdError>>);
        impl Stream for Iter {
            type Item = Result<Bytes, StdError>;
            fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                Poll::Ready(self.0.next())
            }
        }
        Iter(items.into_iter().map(|r| r.map(Bytes::from_static).map_err(Into::into)).collect::<Vec<_>>().into_iter())
    }

    fn drain<S: Stream<Item = Result<Bytes, StdError>> + Unpin>(mut s: S) -> (Vec<u8>, bool) {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut out = Vec::new();
        loop {
            match Pin::new(&mut s).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(b))) => out.extend_from_slice(&b),
                Poll::Ready(Some(Err(_))) => return (out, false),
                Poll::Ready(None) => return (out, true),
                Poll::Pending => unreachable!("the test stream is always ready"),
            }
        }
    }

    #[test]
    fn a_body_that_fails_its_check_never_yields_its_last_piece() {
        let sha = hex::encode(Sha256::digest(b"abcdef"));
        let refusal = Refusal::default();
        let check = Box::new(ContentSha256::from_header(&sha).unwrap());
        let good =
            Guarded::new(pieces(vec![Ok(b"ab"), Ok(b"cd"), Ok(b"ef")]), check, Underneath::Connection, refusal.clone());
        assert_eq!(drain(good), (b"abcdef".to_vec(), true));
        assert!(refusal.take().is_none());

        let check = Box::new(ContentSha256::from_header(&sha).unwrap());
        let bad =
            Guarded::new(pieces(vec![Ok(b"ab"), Ok(b"cd"), Ok(b"eX")]), check, Underneath::Connection, refusal.clone());
        assert_eq!(drain(bad), (b"abcd".to_vec(), false));
        let e = refusal.take().expect("a refusal");
        assert_eq!(e.code().as_str(), "XAmzContentSHA256Mismatch");
        assert_eq!(e.status_code(), Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn an_error_underneath_drops_the_held_piece_and_names_the_cause() {
        let refusal = Refusal::default();
        let s = pieces(vec![Ok(b"ab"), Ok(b"cd"), Err("AwsChunkedStreamError: SignatureMismatch")]);
        let g = Guarded::new(s, Box::new(Complete), Underneath::AwsChunked, refusal.clone());
        assert_eq!(drain(g), (b"ab".to_vec(), false));
        let e = refusal.take().expect("a refusal");
        assert_eq!(*e.code(), S3ErrorCode::SignatureDoesNotMatch);
        assert_eq!(e.status_code(), Some(StatusCode::FORBIDDEN));

        let s = pieces(vec![Ok(b"ab"), Err("connection reset")]);
        let g = Guarded::new(s, Box::new(Complete), Underneath::Connection, refusal.clone());
        assert_eq!(drain(g), (Vec::new(), false));
        assert_eq!(*refusal.take().expect("a refusal").code(), S3ErrorCode::IncompleteBody);
    }

    #[test]
    fn trailing_checksums_are_s3s_five() {
        let (name, label, h) = algorithm("X-Amz-Checksum-CRC32").unwrap();
        assert_eq!((name, label), ("x-amz-checksum-crc32", "CRC32"));
        let mut h = h;
        h.update(b"hello world");
        // CRC32 of "hello world" is 0x0d4a1185.
        assert_eq!(h.finalize().checksum_crc32.as_deref(), Some("DUoRhQ=="));
        assert!(algorithm("x-amz-checksum-sha256").is_some());
        assert!(algorithm("x-amz-meta-foo").is_none());
    }
}
