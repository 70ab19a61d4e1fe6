//! How fresh a balance is, exactly as DESIGN.md defines it; the one place that decides.

use std::time::Duration;

use serde::Serialize;

use crate::clock::UnixMillis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Freshness {
    /// Read from the chain within the UI TTL.
    Fresh,
    /// Older than the UI TTL, shown from the store with its age.
    Cached,
    /// Older than the stale threshold, or the last attempt to read it failed.
    Stale,
    /// Registered but never read.
    Never,
    /// Never read successfully, and the last attempt failed.
    Error,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Cached => "cached",
            Freshness::Stale => "stale",
            Freshness::Never => "never",
            Freshness::Error => "error",
        }
    }
}

/// The ages that separate the freshness states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttls {
    /// Younger than this is shown as fresh.
    pub ui: Duration,
    /// A read that must be current refetches anything older than this.
    pub validation: Duration,
    /// Older than this is stale.
    pub stale: Duration,
}

impl Default for Ttls {
    fn default() -> Self {
        Self {
            ui: Duration::from_secs(30),
            validation: Duration::from_secs(5),
            stale: Duration::from_secs(10 * 60),
        }
    }
}

impl Ttls {
    /// Classifies a balance by when it was last read and when an attempt to read it last failed.
    pub fn classify(
        &self,
        fetched_at: Option<UnixMillis>,
        last_error_at: Option<UnixMillis>,
        now: UnixMillis,
    ) -> Freshness {
        let Some(fetched_at) = fetched_at else {
            return if last_error_at.is_some() {
                Freshness::Error
            } else {
                Freshness::Never
            };
        };
        if last_error_at.is_some_and(|failed| failed > fetched_at) {
            return Freshness::Stale;
        }
        let age = Duration::from_millis(u64::try_from(now - fetched_at).unwrap_or(0));
        if age < self.ui {
            Freshness::Fresh
        } else if age < self.stale {
            Freshness::Cached
        } else {
            Freshness::Stale
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixMillis = 1_000_000_000;

    #[test]
    fn states_follow_the_thresholds() {
        let ttls = Ttls::default();
        assert_eq!(ttls.classify(None, None, NOW), Freshness::Never);
        assert_eq!(ttls.classify(None, Some(NOW - 1), NOW), Freshness::Error);
        assert_eq!(ttls.classify(Some(NOW), None, NOW), Freshness::Fresh);
        assert_eq!(
            ttls.classify(Some(NOW - 29_999), None, NOW),
            Freshness::Fresh
        );
        assert_eq!(
            ttls.classify(Some(NOW - 30_000), None, NOW),
            Freshness::Cached
        );
        assert_eq!(
            ttls.classify(Some(NOW - 599_999), None, NOW),
            Freshness::Cached
        );
        assert_eq!(
            ttls.classify(Some(NOW - 600_000), None, NOW),
            Freshness::Stale
        );
    }

    #[test]
    fn a_failure_after_the_last_read_makes_it_stale() {
        let ttls = Ttls::default();
        assert_eq!(
            ttls.classify(Some(NOW - 1_000), Some(NOW - 500), NOW),
            Freshness::Stale
        );
        // An old failure that a later read superseded does not.
        assert_eq!(
            ttls.classify(Some(NOW - 500), Some(NOW - 1_000), NOW),
            Freshness::Fresh
        );
    }

    #[test]
    fn a_read_from_the_future_counts_as_fresh() {
        // Another process with a clock slightly ahead may have written it.
        assert_eq!(
            Ttls::default().classify(Some(NOW + 5_000), None, NOW),
            Freshness::Fresh
        );
    }
}
