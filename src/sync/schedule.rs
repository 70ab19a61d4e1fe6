//! When each balance is read next: by how active its address is (seed 003's tiers), or after a
//! failure by exponential backoff.

use std::time::Duration;

use crate::clock::UnixMillis;
use crate::model::Ttls;

/// How often an address changes, which sets how often it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Changed within the last day: read every UI TTL.
    Hot,
    /// In between: read every few minutes.
    Warm,
    /// Unchanged for 30 days: read hourly.
    Cold,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;
const WARM_INTERVAL: Duration = Duration::from_secs(5 * 60);
const COLD_INTERVAL: Duration = Duration::from_secs(60 * 60);
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

impl Tier {
    /// The tier of an address last seen changing at `last_activity` (if ever), watched since `added_at`.
    pub fn of(last_activity: Option<UnixMillis>, added_at: UnixMillis, now: UnixMillis) -> Tier {
        let quiet_since = last_activity.unwrap_or(added_at);
        match now - quiet_since {
            age if last_activity.is_some() && age < DAY_MS => Tier::Hot,
            age if age >= 30 * DAY_MS => Tier::Cold,
            _ => Tier::Warm,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Hot => "hot",
            Tier::Warm => "warm",
            Tier::Cold => "cold",
        }
    }

    fn interval(self, ttls: &Ttls) -> Duration {
        match self {
            Tier::Hot => ttls.ui,
            Tier::Warm => WARM_INTERVAL,
            Tier::Cold => COLD_INTERVAL,
        }
    }
}

/// How often the candidate tokens an address does not hold are checked again for it, or its
/// holdings listed again: hot every 15 minutes, warm every 6 hours, cold daily. The first look
/// comes at the next sync.
pub fn discovery_interval(tier: Tier) -> Duration {
    match tier {
        Tier::Hot => Duration::from_secs(15 * 60),
        Tier::Warm => Duration::from_secs(6 * 60 * 60),
        Tier::Cold => Duration::from_secs(24 * 60 * 60),
    }
}

/// The next read of a balance just read successfully.
pub fn after_success(now: UnixMillis, tier: Tier, ttls: &Ttls) -> UnixMillis {
    now + millis(tier.interval(ttls))
}

/// The next read of a balance whose read failed for the `failures`-th time in a row:
/// 30 s × 2^(failures − 1), at most an hour.
pub fn after_failure(now: UnixMillis, failures: u64) -> UnixMillis {
    let doublings = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    let backoff = FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF);
    now + millis(backoff)
}

pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixMillis = 100 * DAY_MS;

    #[test]
    fn tiers_follow_the_last_change() {
        assert_eq!(Tier::of(Some(NOW - DAY_MS + 1), 0, NOW), Tier::Hot);
        assert_eq!(Tier::of(Some(NOW - DAY_MS), 0, NOW), Tier::Warm);
        assert_eq!(Tier::of(Some(NOW - 30 * DAY_MS), 0, NOW), Tier::Cold);
        assert_eq!(
            Tier::of(None, NOW - DAY_MS, NOW),
            Tier::Warm,
            "new and never changed"
        );
        assert_eq!(
            Tier::of(None, NOW - 31 * DAY_MS, NOW),
            Tier::Cold,
            "watched a month, never changed"
        );
    }

    #[test]
    fn intervals_by_tier() {
        let ttls = Ttls::default();
        assert_eq!(after_success(NOW, Tier::Hot, &ttls), NOW + 30_000);
        assert_eq!(after_success(NOW, Tier::Warm, &ttls), NOW + 300_000);
        assert_eq!(after_success(NOW, Tier::Cold, &ttls), NOW + 3_600_000);
    }

    #[test]
    fn discovery_rechecks_by_tier() {
        let minutes = |tier| discovery_interval(tier).as_secs() / 60;
        assert_eq!(
            [Tier::Hot, Tier::Warm, Tier::Cold].map(minutes),
            [15, 6 * 60, 24 * 60]
        );
    }

    #[test]
    fn failures_back_off_exponentially_to_an_hour() {
        let waits: Vec<i64> = [1, 2, 3, 4, 7, 8, 100]
            .iter()
            .map(|&n| after_failure(NOW, n) - NOW)
            .collect();
        assert_eq!(
            waits,
            [
                30_000, 60_000, 120_000, 240_000, 1_920_000, 3_600_000, 3_600_000
            ]
        );
    }
}
