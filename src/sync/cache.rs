//! The read-through cache in front of the store: balance views by key, each entry living until its
//! value may have gone stale (another process may write the store meanwhile). The engine writes an
//! entry only after the store has committed it, so the cache is never ahead of the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

use super::live_ttls::LiveTtls;
use crate::store::{BalanceKey, BalanceView};

pub struct BalanceCache {
    entries: Cache<BalanceKey, Arc<BalanceView>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Read values live one UI TTL; never-read rows only a validation TTL, since their first read is
/// the next thing likely to happen to them. The TTLs in force when an entry is written apply.
struct ByValue(LiveTtls);

impl Expiry<BalanceKey, Arc<BalanceView>> for ByValue {
    fn expire_after_create(
        &self,
        _: &BalanceKey,
        view: &Arc<BalanceView>,
        _: Instant,
    ) -> Option<Duration> {
        let ttls = self.0.get();
        Some(if view.balance.raw.is_some() {
            ttls.ui
        } else {
            ttls.validation
        })
    }

    fn expire_after_update(
        &self,
        key: &BalanceKey,
        view: &Arc<BalanceView>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(key, view, now)
    }
}

impl BalanceCache {
    pub(super) fn new(capacity: u64, ttls: LiveTtls) -> Self {
        let entries = Cache::builder()
            .max_capacity(capacity)
            .expire_after(ByValue(ttls))
            .build();
        Self {
            entries,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The cached view of `key`, counted as a hit or a miss.
    pub fn get(&self, key: &BalanceKey) -> Option<Arc<BalanceView>> {
        let found = self.entries.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Whether `key` is cached, without counting a hit or a miss.
    pub fn holds(&self, key: &BalanceKey) -> bool {
        self.entries.contains_key(key)
    }

    pub fn insert(&self, view: BalanceView) -> Arc<BalanceView> {
        let view = Arc::new(view);
        self.entries.insert(view.balance.key, view.clone());
        view
    }

    /// Hits and misses since the last call.
    pub fn take_counts(&self) -> (u64, u64) {
        (
            self.hits.swap(0, Ordering::Relaxed),
            self.misses.swap(0, Ordering::Relaxed),
        )
    }
}
