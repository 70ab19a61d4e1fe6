//! The TTLs in force: Settings may change them while the engine runs, and the cache, the schedule
//! and freshness all read them from here.

use std::sync::{Arc, RwLock};

use crate::model::Ttls;

#[derive(Debug, Clone)]
pub(super) struct LiveTtls(Arc<RwLock<Ttls>>);

impl LiveTtls {
    pub(super) fn new(ttls: Ttls) -> Self {
        Self(Arc::new(RwLock::new(ttls)))
    }

    pub(super) fn get(&self) -> Ttls {
        // a plain value: a writer that panicked cannot have left it half-written
        *self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn set(&self, ttls: Ttls) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = ttls;
    }
}
