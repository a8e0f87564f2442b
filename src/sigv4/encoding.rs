//! Percent-encoding and path normalisation as SigV4 defines them.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};

/// Everything but RFC 3986's unreserved characters (`A-Za-z0-9-._~`) is
/// encoded: SigV4's "UriEncode".
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// UriEncode keeping `/`, for paths.
const URI_ENCODE_PATH: &AsciiSet = &URI_ENCODE.remove(b'/');

/// For an S3 path taken as sent: only what cannot stand in a URI at all
/// (controls, space, DEL, non-ASCII) is encoded; `%` escapes stay as they are.
const NOT_URI_SAFE: &AsciiSet = &percent_encoding::CONTROLS.add(b' ');

/// SigV4 UriEncode of bytes (`/` encoded too).
pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    percent_encode(bytes, URI_ENCODE).to_string()
}

/// SigV4 UriEncode of a path (`/` kept).
pub(crate) fn uri_encode_path(bytes: &[u8]) -> String {
    percent_encode(bytes, URI_ENCODE_PATH).to_string()
}

/// Encodes only the bytes that cannot appear raw in a URI.
pub(crate) fn encode_unsafe(bytes: &[u8]) -> String {
    percent_encode(bytes, NOT_URI_SAFE).to_string()
}

/// Decodes one query-string component: `+` is a space (form encoding, which
/// botocore itself sends for `params`) and `%XX` a byte. A `%` not followed by
/// two hex digits stays literal, as the re-encoding then shows it as `%25`.
pub(crate) fn decode_query_component(raw: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = raw.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&plus_as_space).collect()
}

/// Removes `.` and `..` segments (RFC 3986 section 5.2.4) and empty segments,
/// keeping a leading and a trailing `/`: botocore's `remove_dot_segments`,
/// which is also what the other SDKs and the aws-c-auth test suite expect.
/// Works on the encoded path, so `%2E%2E` is not a dot segment.
pub(crate) fn remove_dot_segments(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !out.is_empty() { "/" } else { "" };
    format!("{first}{}{last}", out.join("/"))
}

/// Lowercase hex of a SHA-256 digest or HMAC, as SigV4 writes them.
pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    let mut out = [0u8; 64];
    // 64 bytes of room for 32 bytes of input: encoding cannot fail.
    let _ = hex::encode_to_slice(bytes, &mut out);
    out.iter().map(|b| char::from(*b)).collect()
}

/// Feeds formatted text straight into a SHA-256, so hashing a canonical request needs no copy.
pub(crate) struct HashWriter(pub sha2::Sha256);

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        sha2::Digest::update(&mut self.0, s.as_bytes());
        Ok(())
    }
}
