//! Tag rules shared by every taggable entity: keys are unique regardless of case, at most 50.

use crate::error::AwsError;
use crate::protocol::{Tag, XmlOut, rules::MAX_TAGS};

/// Refuses a request that names one key twice (keys compare without case), or a key in the
/// `aws:` namespace, which AWS reserves for itself in any letter case.
///
/// # Errors
/// `InvalidInput`.
pub fn check_request(tags: &[Tag]) -> Result<(), AwsError> {
    if tags.iter().any(|t| t.key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return Err(AwsError::InvalidInput("Tag keys starting with 'aws:' are reserved for internal use.".into()));
    }
    if has_duplicate_keys(tags) {
        return Err(AwsError::InvalidInput(DUPLICATE_KEYS.into()));
    }
    Ok(())
}

/// AWS's words for a request naming one tag key twice (IAM says InvalidInput, STS InvalidParameterValue).
pub const DUPLICATE_KEYS: &str = "Duplicate tag keys found. Please note that Tag keys are case insensitive.";

/// Whether two of `tags` share a key; keys compare without case.
#[must_use]
pub fn has_duplicate_keys(tags: &[Tag]) -> bool {
    tags.iter().enumerate().any(|(i, t)| tags[..i].iter().any(|u| u.key.to_lowercase() == t.key.to_lowercase()))
}

/// Adds or replaces `new` tags in `existing`.
///
/// # Errors
/// `LimitExceeded` when the entity would hold more than 50 tags.
pub fn merge(existing: &mut Vec<Tag>, new: &[Tag]) -> Result<(), AwsError> {
    for t in new {
        match existing.iter_mut().find(|e| e.key.to_lowercase() == t.key.to_lowercase()) {
            Some(e) => *e = t.clone(),
            None => existing.push(t.clone()),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(AwsError::LimitExceeded(format!(
            "The number of tags has reached the maximum limit of {MAX_TAGS}."
        )));
    }
    Ok(())
}

/// Removes the tags whose keys are in `keys`.
pub fn remove(existing: &mut Vec<Tag>, keys: &[String]) {
    existing.retain(|t| !keys.iter().any(|k| k.to_lowercase() == t.key.to_lowercase()));
}

/// `<Tags><member><Key/><Value/></member>…</Tags>`.
pub fn write(w: &mut XmlOut, tags: &[Tag]) {
    w.list("Tags", tags, |w, t| {
        w.text("Key", &t.key);
        w.text("Value", &t.value);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag { key: k.into(), value: v.into() }
    }

    #[test]
    fn keys_compare_without_case() {
        assert!(check_request(&[tag("Team", "a"), tag("team", "b")]).is_err());
        assert!(check_request(&[tag("AWS:x", "a")]).is_err());
        assert!(check_request(&[tag("awsx", "a")]).is_ok());
        let mut tags = vec![tag("Team", "a")];
        merge(&mut tags, &[tag("TEAM", "b")]).unwrap();
        assert_eq!(tags, vec![tag("TEAM", "b")]);
        remove(&mut tags, &["team".into()]);
        assert!(tags.is_empty());
    }

    #[test]
    fn more_than_fifty_tags_exceed_the_limit() {
        let mut tags: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert!(merge(&mut tags, &[tag("k0", "new")]).is_ok());
        assert_eq!(merge(&mut tags, &[tag("k50", "v")]).unwrap_err().code(), "LimitExceeded");
    }
}
