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

/// Why a choice of TTLs cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    #[error("a current read must allow at least 1 s, or every read would go to the network")]
    ValidationTooShort,
    #[error(
        "the validation TTL cannot be longer than the UI TTL: a current read is the stricter one"
    )]
    ValidationAboveUi,
    #[error("the UI TTL can be at most 5 min: it is also how often active addresses are read")]
    UiTooLong,
    #[error("stale must come after the UI TTL")]
    StaleNotAfterUi,
    #[error("stale can be at most 7 days")]
    StaleTooLong,
    #[error("prices can be read again at most once a minute: the price sources ask for restraint")]
    PriceTtlTooShort,
    #[error("prices must be read again within a day: older ones are shown stale")]
    PriceTtlTooLong,
}

/// How long a price is used before it is read again, unless chosen otherwise.
pub const DEFAULT_PRICE_TTL: Duration = Duration::from_secs(5 * 60);

/// A price TTL as a user chose it, checked: 1 min ≤ TTL < 1 day.
pub fn checked_price_ttl(ttl: Duration) -> Result<Duration, TtlError> {
    if ttl < Duration::from_secs(60) {
        return Err(TtlError::PriceTtlTooShort);
    }
    if ttl >= Duration::from_secs(24 * 3600) {
        return Err(TtlError::PriceTtlTooLong);
    }
    Ok(ttl)
}

impl Ttls {
    /// TTLs as a user chose them, checked: 1 s ≤ validation ≤ UI ≤ 5 min, and UI < stale ≤ 7 days.
    pub fn checked(ui: Duration, validation: Duration, stale: Duration) -> Result<Ttls, TtlError> {
        const UI_MAX: Duration = Duration::from_secs(5 * 60);
        const STALE_MAX: Duration = Duration::from_secs(7 * 24 * 3600);
        if validation < Duration::from_secs(1) {
            return Err(TtlError::ValidationTooShort);
        }
        if validation > ui {
            return Err(TtlError::ValidationAboveUi);
        }
        if ui > UI_MAX {
            return Err(TtlError::UiTooLong);
        }
        if stale <= ui {
            return Err(TtlError::StaleNotAfterUi);
        }
        if stale > STALE_MAX {
            return Err(TtlError::StaleTooLong);
        }
        Ok(Ttls {
            ui,
            validation,
            stale,
        })
    }

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
    fn chosen_ttls_are_checked() {
        let s = Duration::from_secs;
        assert_eq!(
            Ttls::checked(s(30), s(5), s(600)),
            Ok(Ttls::default()),
            "the defaults pass their own check"
        );
        assert_eq!(
            Ttls::checked(s(30), s(0), s(600)),
            Err(TtlError::ValidationTooShort)
        );
        assert_eq!(
            Ttls::checked(s(10), s(20), s(600)),
            Err(TtlError::ValidationAboveUi)
        );
        assert_eq!(
            Ttls::checked(s(301), s(5), s(600)),
            Err(TtlError::UiTooLong)
        );
        assert_eq!(
            Ttls::checked(s(60), s(5), s(60)),
            Err(TtlError::StaleNotAfterUi)
        );
        assert_eq!(
            Ttls::checked(s(60), s(5), s(8 * 86_400)),
            Err(TtlError::StaleTooLong)
        );
    }

    #[test]
    fn ttls_at_their_limits_are_allowed() {
        let s = Duration::from_secs;
        let at_limits = |ui, validation, stale| {
            Ttls::checked(ui, validation, stale).map(|ttls| (ttls.ui, ttls.validation, ttls.stale))
        };
        assert_eq!(
            at_limits(s(300), s(1), s(7 * 86_400)),
            Ok((s(300), s(1), s(7 * 86_400)))
        );
        assert_eq!(
            at_limits(s(5), s(5), s(6)),
            Ok((s(5), s(5), s(6))),
            "validation = UI"
        );
    }

    #[test]
    fn a_failure_in_the_same_millisecond_as_the_read_is_not_after_it() {
        assert_eq!(
            Ttls::default().classify(Some(NOW), Some(NOW), NOW),
            Freshness::Fresh
        );
    }

    #[test]
    fn each_state_is_named_as_it_is_serialized() {
        for state in [
            Freshness::Fresh,
            Freshness::Cached,
            Freshness::Stale,
            Freshness::Never,
            Freshness::Error,
        ] {
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                state.as_str(),
                "{state:?}"
            );
        }
    }

    #[test]
    fn a_price_ttl_is_between_a_minute_and_a_day() {
        let s = Duration::from_secs;
        assert_eq!(checked_price_ttl(DEFAULT_PRICE_TTL), Ok(s(300)));
        assert_eq!(checked_price_ttl(s(60)), Ok(s(60)), "a minute is allowed");
        assert_eq!(checked_price_ttl(s(86_399)), Ok(s(86_399)));
        assert_eq!(checked_price_ttl(s(59)), Err(TtlError::PriceTtlTooShort));
        assert_eq!(checked_price_ttl(s(86_400)), Err(TtlError::PriceTtlTooLong));
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
