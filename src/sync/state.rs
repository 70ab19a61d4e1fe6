//! What the engine's reads and its sweeps share: the store behind its lock, the cache, the TTLs in
//! force, the clock, this instance, the events, and each chain's endpoint pool.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Result;
use tokio::sync::broadcast;

use super::cache::BalanceCache;
use super::events::Event;
use super::instance::Instance;
use super::live_ttls::LiveTtls;
use super::price_pass::OpenSource;
use crate::chains::pool::{EndpointPool, PoolPolicy};
use crate::chains::{Source, open_source, pool_for};
use crate::clock::Clock;
use crate::store::{ChainId, ChainRecord, Store};

/// A chain's pool and the endpoints (with their keys) it was built for.
type BuiltPool = (Vec<String>, Arc<EndpointPool>);

pub(super) struct EngineState {
    store: Mutex<Store>,
    pub(super) cache: BalanceCache,
    pub(super) ttls: LiveTtls,
    policy: PoolPolicy,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) instance: Instance,
    events: broadcast::Sender<Event>,
    /// Each chain's endpoint pool, kept across sweeps so its rate limits, health and connections
    /// hold for the engine's life; rebuilt when the chain's endpoints or their keys change.
    pools: Mutex<HashMap<ChainId, BuiltPool>>,
    /// The price source, kept across passes so its rate limit and health hold.
    pub(super) price_source: Mutex<Option<OpenSource>>,
    /// How long a price is used before it is read again, in milliseconds.
    price_ttl: AtomicU64,
}

impl EngineState {
    pub(super) fn new(
        store: Store,
        cache: BalanceCache,
        ttls: LiveTtls,
        policy: PoolPolicy,
        clock: Arc<dyn Clock>,
        instance: Instance,
        price_ttl: Duration,
    ) -> Self {
        let (events, _) = broadcast::channel(1_024);
        Self {
            store: Mutex::new(store),
            cache,
            ttls,
            policy,
            clock,
            instance,
            events,
            pools: Mutex::new(HashMap::new()),
            price_source: Mutex::new(None),
            price_ttl: AtomicU64::new(millis(price_ttl)),
        }
    }

    pub(super) fn price_ttl(&self) -> Duration {
        Duration::from_millis(self.price_ttl.load(Ordering::Relaxed))
    }

    pub(super) fn set_price_ttl(&self, ttl: Duration) {
        self.price_ttl.store(millis(ttl), Ordering::Relaxed);
    }

    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock left no transaction open (rusqlite rolls back on drop).
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn emit(&self, event: Event) {
        // No listener is fine.
        let _ = self.events.send(event);
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Leases of instances that died (however they died) are released at once.
    pub(super) fn reclaim_dead_leases(&self) -> Result<()> {
        for dead in self.instance.find_dead() {
            let released = self.store().release_all(dead.id())?;
            tracing::info!(instance = %dead.id(), released, "took back the leases of an instance that is gone");
            dead.forget();
        }
        Ok(())
    }

    pub(super) fn chains(&self) -> Result<Vec<ChainRecord>> {
        Ok(self.store().chains()?)
    }

    /// The chain's endpoint pool, built on first use and when its endpoints change.
    pub(super) fn pool(&self, chain: &ChainRecord) -> Result<Arc<EndpointPool>> {
        let urls: Vec<String> = chain
            .endpoints
            .iter()
            .map(|endpoint| endpoint.url.clone())
            .collect();
        let mut pools = self.pools();
        if let Some((built_for, pool)) = pools.get(&chain.id)
            && *built_for == urls
        {
            return Ok(pool.clone());
        }
        let pins = self.store().endpoint_pins(chain.id)?;
        let pool = Arc::new(pool_for(chain, &pins, self.policy.clone())?);
        pools.insert(chain.id, (urls, pool.clone()));
        Ok(pool)
    }

    /// The source of `chain` over its pool (returned too, for what it counts and learns).
    pub(super) fn source(
        &self,
        chain: &ChainRecord,
    ) -> Result<(Arc<EndpointPool>, Box<dyn Source>)> {
        let pool = self.pool(chain)?;
        let (listed, token_accounts) = {
            let store = self.store();
            let listed: HashSet<String> = store
                .assets_of_chain(chain.id)?
                .into_iter()
                .filter_map(|asset| asset.contract)
                .collect();
            (listed, store.token_accounts_of_chain(chain.id)?)
        };
        let source = open_source(chain, pool.clone(), listed, token_accounts)?;
        Ok((pool, source))
    }

    /// Drops the chain's endpoint pool, so its next sweep builds one anew.
    pub(super) fn forget_pool(&self, chain: ChainId) {
        self.pools().remove(&chain);
    }

    fn pools(&self) -> MutexGuard<'_, HashMap<ChainId, BuiltPool>> {
        self.pools
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
