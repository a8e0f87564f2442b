//! IAM's Marker / MaxItems / IsTruncated pagination. Markers are opaque to clients: here the
//! base64 of where the next page starts.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::AwsError;
use crate::protocol::rules::{MARKER, MAX_ITEMS};
use crate::protocol::{Fields, XmlOut};

/// `MaxItems` when the request does not give one.
pub const DEFAULT_MAX_ITEMS: usize = 100;

/// What a list request asks for: where to start and how many.
pub struct PageRequest {
    pub marker: Option<String>,
    pub max: usize,
}

impl PageRequest {
    /// Reads `Marker` and `MaxItems` (1–1000, default 100).
    pub fn read(f: &mut Fields<'_>) -> Self {
        let marker = f.opt_str("Marker", &MARKER);
        let max = max_items(f.opt_int("MaxItems", &MAX_ITEMS));
        Self { marker, max }
    }

    /// The page of an already-complete list.
    ///
    /// # Errors
    /// `ValidationError` for a marker this server did not issue.
    pub fn page<T>(&self, all: Vec<T>) -> Result<Page<T>, AwsError> {
        page_of(all, self.marker.as_deref(), self.max)
    }

    /// The positions of the page of a list `total` long, and the marker of the next page, for
    /// lists made on demand (the policy simulator evaluates only the page it returns).
    ///
    /// # Errors
    /// `ValidationError` for a marker this server did not issue.
    pub fn window(&self, total: usize) -> Result<(std::ops::Range<usize>, Option<String>), AwsError> {
        window(total, self.marker.as_deref(), self.max)
    }

    /// Where a store listing starts.
    ///
    /// # Errors
    /// `ValidationError` for a marker this server did not issue.
    pub fn start(&self) -> Result<Option<String>, AwsError> {
        self.marker.as_deref().map(decode_marker).transpose()
    }
}

/// One page of results.
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `Some` means the result is truncated.
    pub marker: Option<String>,
}

impl<T> Page<T> {
    /// `IsTruncated` and, when truncated, `Marker`.
    pub fn write_tail(&self, w: &mut XmlOut) {
        w.bool("IsTruncated", self.marker.is_some());
        w.opt_text("Marker", self.marker.as_deref());
    }
}

/// The requested page size.
#[must_use]
pub fn max_items(requested: Option<i64>) -> usize {
    requested.and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_MAX_ITEMS)
}

#[must_use]
pub fn encode_marker(position: &str) -> String {
    B64.encode(position)
}

/// The position a client's marker names.
///
/// # Errors
/// `ValidationError` for a marker this server did not issue.
pub fn decode_marker(marker: &str) -> Result<String, AwsError> {
    B64.decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| AwsError::ValidationError("Invalid Marker.".into()))
}

/// A page from a store listing that returned up to `max` + 1 records: the extra one, if any,
/// is where the next page starts, named by `key`.
#[must_use]
pub fn store_page<T>(mut items: Vec<T>, max: usize, key: impl Fn(&T) -> String) -> Page<T> {
    let marker =
        if items.len() > max { items.split_off(max).first().map(|next| encode_marker(&key(next))) } else { None };
    Page { items, marker }
}

/// Cuts `max` items out of an already-complete list, starting at the marker's index.
///
/// # Errors
/// `ValidationError` for a marker that is not an index of this list.
pub fn page_of<T>(mut all: Vec<T>, marker: Option<&str>, max: usize) -> Result<Page<T>, AwsError> {
    let (range, marker) = window(all.len(), marker, max)?;
    all.truncate(range.end);
    let items = all.split_off(range.start);
    Ok(Page { items, marker })
}

/// The positions `marker` and `max` select of a list `total` long, and the next marker.
fn window(
    total: usize,
    marker: Option<&str>,
    max: usize,
) -> Result<(std::ops::Range<usize>, Option<String>), AwsError> {
    let start = match marker {
        Some(m) => decode_marker(m)?
            .parse::<usize>()
            .ok()
            .filter(|&i| i <= total)
            .ok_or_else(|| AwsError::ValidationError("Invalid Marker.".into()))?,
        None => 0,
    };
    let end = start.saturating_add(max).min(total);
    let marker = (end < total).then(|| encode_marker(&end.to_string()));
    Ok((start..end, marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_the_whole_list_once() {
        let all: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut marker = None;
        loop {
            let page = page_of(all.clone(), marker.as_deref(), 3).unwrap();
            seen.extend(page.items);
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, all);
        assert!(page_of(all, Some("bm9wZQ=="), 3).is_err());
    }
}
