//! The one source of "now". Production reads the system clock; tests hold a manual clock they can
//! move, so expiry and clock skew are tested without sleeping.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// A cheaply clonable handle on the current time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock.
    #[must_use]
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands still at `start` until moved with [`Clock::advance`] or [`Clock::set`].
    #[must_use]
    pub fn manual(start: OffsetDateTime) -> Self {
        Self { manual: Some(Arc::new(Mutex::new(start))) }
    }

    /// The current UTC time, truncated to whole milliseconds like AWS's timestamps.
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        let now = match &self.manual {
            Some(t) => *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
            None => OffsetDateTime::now_utc(),
        };
        now.replace_nanosecond(now.millisecond() as u32 * 1_000_000).unwrap_or(now)
    }

    /// Moves a manual clock forward; a system clock cannot be moved and ignores this.
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.manual {
            let mut t = t.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *t += by;
        }
    }

    /// Sets a manual clock; ignored by the system clock.
    pub fn set(&self, to: OffsetDateTime) {
        if let Some(t) = &self.manual {
            *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
        }
    }
}
