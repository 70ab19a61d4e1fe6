//! Time as a dependency: everything that compares ages asks a [`Clock`], so TTL logic is tested with a
//! clock the test moves, never with sleeps.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: the one unit of time in the store and the engine.
pub type UnixMillis = i64;

/// The UTC date of a moment, `YYYY-MM-DD`: the day the day's values are recorded under.
pub fn utc_day(at: UnixMillis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

pub trait Clock: Send + Sync {
    fn now(&self) -> UnixMillis;
}

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the system clock is set after 1970");
        i64::try_from(since_epoch.as_millis()).expect("milliseconds since 1970 fit in i64")
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(now: UnixMillis) -> Self {
        Self(AtomicI64::new(now))
    }

    pub fn advance(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        self.0.load(Ordering::SeqCst)
    }
}
