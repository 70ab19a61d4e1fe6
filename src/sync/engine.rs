//! The engine both the desktop app and the CLI drive: it owns the store, the cache, the schedule
//! and the truth about how fresh each balance is. Nothing here knows about Tauri.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::cache::BalanceCache;
use super::discovery::{Look, discover};
use super::events::Event;
use super::instance::Instance;
use super::live_ttls::LiveTtls;
use super::panics::caught;
use super::price_pass::PriceReport;
use super::state::EngineState;
use super::sweep::{Selection, SweepReport, sweep_chain};
use crate::chains::Source;
use crate::chains::pool::PoolPolicy;
use crate::clock::{Clock, SystemClock, UnixMillis};
use crate::data_dir;
use crate::model::{DEFAULT_PRICE_TTL, Family, Freshness, Ttls};
use crate::store::{AddressId, BalanceKey, BalanceView, ChainId, ChainRecord, Store, WalletId};

/// How the engine is set up; the defaults are the product's.
#[derive(Clone)]
pub struct EngineConfig {
    pub ttls: Ttls,
    pub policy: PoolPolicy,
    pub clock: Arc<dyn Clock>,
    /// Balances kept in memory at most.
    pub cache_capacity: u64,
    /// How long a price is used before it is read again, unless the user chose otherwise.
    pub price_ttl: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ttls: Ttls::default(),
            policy: PoolPolicy::default(),
            clock: Arc::new(SystemClock),
            cache_capacity: 100_000,
            price_ttl: DEFAULT_PRICE_TTL,
        }
    }
}

/// Which balances an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Chain(ChainId),
    Wallet(WalletId),
    Address(AddressId),
    Balance(BalanceKey),
}

/// How current a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// What the store holds, however old.
    CachedOnly,
    /// What the store holds; anything older than the UI TTL is marked cached and queued for a refresh.
    Ui,
    /// Only values read within this age of the request: older ones are read again now, and one that
    /// cannot be is an error, never a guess. [`Read::validation`] uses the validation TTL.
    Current(Duration),
}

impl Read {
    pub fn validation(ttls: &Ttls) -> Read {
        Read::Current(ttls.validation)
    }
}

/// A balance as shown: the stored row and how fresh it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub view: Arc<BalanceView>,
    pub freshness: Freshness,
    /// Since the value was read; `None` if it never was.
    pub age: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Some balances could not be read within the required age; each is named with the reason.
    #[error("{} balance(s) could not be read just now: {}", .0.len(), .0.join("; "))]
    NotCurrent(Vec<String>),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// A read of these rows of this chain.
type FetchRequest = (ChainId, Vec<BalanceKey>);

/// Rows a UI read found old, with their chains, for the background task to read.
type RefreshRequest = Vec<(ChainId, BalanceKey)>;

/// A finished read is forgotten at once (see `fetch_coalesced`); this bounds how long one whose
/// caller was cancelled before forgetting it can linger.
const FETCH_LINGER: Duration = Duration::from_secs(1);

impl EngineState {
    fn classify(&self, view: Arc<BalanceView>, now: UnixMillis) -> Balance {
        let balance = &view.balance;
        let freshness = self
            .ttls
            .get()
            .classify(balance.fetched_at, balance.last_error_at, now);
        let age = balance
            .fetched_at
            .map(|at| Duration::from_millis(u64::try_from(now - at).unwrap_or(0)));
        Balance {
            view,
            freshness,
            age,
        }
    }

    /// Sweeps each chain with its selection, the chains side by side, each then looking for the
    /// candidate tokens `look` picks. A chain whose sweep failed (a bug included) is reported with
    /// why; the others' reports stand.
    async fn sweep_each(
        &self,
        selections: Vec<(ChainRecord, Selection)>,
        look: Option<&Look>,
    ) -> Result<Vec<SweepReport>> {
        let sweeps = selections.iter().map(|(chain, selection)| async move {
            let swept = async {
                let mut report = sweep_chain(self, chain, selection).await?;
                if let Some(look) = look {
                    let found = discover(self, chain, look).await?;
                    report.found = found.held;
                    report.requests += found.requests;
                }
                Ok(report)
            };
            caught(swept).await.unwrap_or_else(|err| {
                let why = format!("{err:#}");
                tracing::warn!(chain = %chain.name, error = %why, "a sweep failed");
                SweepReport {
                    chain: chain.name.clone(),
                    unreachable: Some(why),
                    ..SweepReport::default()
                }
            })
        });
        Ok(futures::future::join_all(sweeps).await)
    }

    /// One pass over the rows `selection` (due, or due or failing) picks on every active chain,
    /// or on `only` that one.
    async fn sweep_due(
        &self,
        only: Option<ChainId>,
        selection: Selection,
    ) -> Result<Vec<SweepReport>> {
        self.reclaim_dead_leases()?;
        let chains = self
            .chains()?
            .into_iter()
            .filter(|chain| only.is_none_or(|id| id == chain.id));
        let selections = chains.map(|chain| (chain, selection.clone())).collect();
        self.sweep_each(selections, Some(&Look::Due)).await
    }

    /// Sweeps these rows, grouped by chain.
    async fn sweep_keys(
        &self,
        keys: impl IntoIterator<Item = (ChainId, BalanceKey)>,
    ) -> Result<Vec<SweepReport>> {
        let mut by_chain: BTreeMap<ChainId, Vec<BalanceKey>> = BTreeMap::new();
        for (chain, key) in keys {
            by_chain.entry(chain).or_default().push(key);
        }
        let selections = self
            .chains()?
            .into_iter()
            .filter_map(|chain| {
                by_chain
                    .remove(&chain.id)
                    .map(|keys| (chain, Selection::Keys(keys)))
            })
            .collect();
        self.sweep_each(selections, None).await
    }

    /// The price pass after a background sweep, which nobody waits for: a failure is logged.
    async fn refresh_prices_in_background(&self) {
        if let Err(err) = self.refresh_prices().await {
            tracing::warn!(error = %format!("{err:#}"), "a background price pass failed");
        }
    }

    /// How long until the next balance is due, between one second and one UI TTL.
    fn until_next_due(&self) -> Duration {
        let now = self.clock.now();
        let next = self
            .store()
            .next_due_at(&Family::ALL)
            .ok()
            .flatten()
            .unwrap_or(now + millis(self.ttls.get().ui));
        Duration::from_millis(u64::try_from(next - now).unwrap_or(0))
            .clamp(Duration::from_secs(1), self.ttls.get().ui)
    }
}

pub struct Engine {
    inner: Arc<EngineState>,
    /// Reads under way, by chain and rows: a second identical request waits for the first's result.
    fetches: moka::future::Cache<FetchRequest, Arc<Result<(), String>>>,
    shutdown: watch::Sender<bool>,
    started: AtomicBool,
    refresh_requests: mpsc::UnboundedSender<RefreshRequest>,
    refresh_queue: Mutex<Option<mpsc::UnboundedReceiver<RefreshRequest>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Engine {
    /// Opens the engine on a data dir: the store, and this instance's registration (taking back
    /// the leases of crashed instances). It reads no chain: what the store holds can be shown at
    /// once, and the cache fills as it is read.
    pub fn open(dir: &Path, config: EngineConfig) -> Result<Engine> {
        let store = data_dir::open(dir)?;
        let instance = Instance::register(dir)?;
        let ttls = LiveTtls::new(store.saved_ttls()?.unwrap_or(config.ttls));
        let cache = BalanceCache::new(config.cache_capacity, ttls.clone());
        let price_ttl = store.saved_price_ttl()?.unwrap_or(config.price_ttl);
        let inner = Arc::new(EngineState::new(
            store,
            cache,
            ttls,
            config.policy,
            config.clock,
            instance,
            price_ttl,
        ));
        inner.reclaim_dead_leases()?;
        let (shutdown, _) = watch::channel(false);
        let (refresh_requests, refresh_queue) = mpsc::unbounded_channel();
        Ok(Engine {
            inner,
            fetches: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(FETCH_LINGER)
                .build(),
            shutdown,
            started: AtomicBool::new(false),
            refresh_requests,
            refresh_queue: Mutex::new(Some(refresh_queue)),
            tasks: Mutex::new(Vec::new()),
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.subscribe()
    }

    pub fn ttls(&self) -> Ttls {
        self.inner.ttls.get()
    }

    /// Drops the chain's endpoint pool, so its next sweep builds one anew: what its endpoints' keys
    /// are is read when a pool is built, and a key saved since must be used.
    pub fn rebuild_pool(&self, chain: ChainId) {
        self.inner.forget_pool(chain);
    }

    /// The source of `chain`, over the chain's pool: for reads outside sweeps, such as a token's
    /// metadata.
    pub fn source_of(&self, chain: &ChainRecord) -> Result<Box<dyn Source>> {
        Ok(self.inner.source(chain)?.1)
    }

    /// Puts new TTLs in force at once (the caller saves them): freshness, the schedule and the
    /// cache's new entries follow them.
    pub fn set_ttls(&self, ttls: Ttls) {
        self.inner.ttls.set(ttls);
        // An empty request wakes the scheduler, which then waits by the new TTLs; no listener
        // (not started, or shut down) is fine.
        let _ = self.refresh_requests.send(Vec::new());
    }

    /// Drops the price source, so the next price pass opens it anew (with a key saved since).
    pub fn reopen_price_source(&self) {
        *self
            .inner
            .price_source
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    pub fn price_ttl(&self) -> Duration {
        self.inner.price_ttl()
    }

    /// Puts a new price TTL in force (the caller saves it): the next price pass follows it.
    pub fn set_price_ttl(&self, ttl: Duration) {
        self.inner.set_price_ttl(ttl);
    }

    /// Reads the prices older than the price TTL of what is held, from the price source the store
    /// names: what follows each pass over the chains. `None` when nothing was due.
    pub async fn refresh_prices(&self) -> Result<Option<PriceReport>> {
        self.inner.refresh_prices().await
    }

    /// The id this engine leases rows under.
    pub fn instance_id(&self) -> &str {
        self.inner.instance.id()
    }

    /// Runs `read` against the store, under the engine's lock (do not call the engine from it).
    pub fn with_store<T>(&self, read: impl FnOnce(&Store) -> T) -> T {
        read(&self.inner.store())
    }

    /// Runs `write` against the store, under the engine's lock: the user's changes (wallets,
    /// endpoints), which sweeps pick up when they next read the store.
    pub fn with_store_mut<T>(&self, write: impl FnOnce(&mut Store) -> T) -> T {
        write(&mut self.inner.store())
    }

    /// One balance from the cache, without touching the store: the hot path of a UI.
    pub fn cached(&self, key: BalanceKey) -> Option<Balance> {
        let view = self.inner.cache.get(&key)?;
        Some(self.inner.classify(view, self.inner.clock.now()))
    }

    /// The balances of `scope`, as current as `read` demands.
    pub async fn balances(&self, scope: Scope, read: Read) -> Result<Vec<Balance>, ReadError> {
        let views = self.load(scope)?;
        let now = self.inner.clock.now();
        match read {
            Read::CachedOnly => {}
            Read::Ui => self.queue_refresh_of_old(&views, now),
            Read::Current(max_age) => return self.current(views, now - millis(max_age)).await,
        }
        Ok(views
            .into_iter()
            .map(|view| self.inner.classify(view, now))
            .collect())
    }

    /// Queues a background read of what is older than the UI TTL, leaving alone rows that are
    /// backing off after failures (a UI that redraws often must not defeat the backoff).
    fn queue_refresh_of_old(&self, views: &[Arc<BalanceView>], now: UnixMillis) {
        if !self.started.load(Ordering::Relaxed) {
            return;
        }
        let ui = millis(self.inner.ttls.get().ui);
        let old: Vec<(ChainId, BalanceKey)> = views
            .iter()
            .filter(|view| view.balance.fetched_at.is_none_or(|at| now - at >= ui))
            .filter(|view| view.balance.error_count == 0 || view.balance.next_due_at <= now)
            .map(|view| (view.chain_id, view.balance.key))
            .collect();
        if !old.is_empty() {
            let _ = self.refresh_requests.send(old);
        }
    }

    /// Reads again whatever was not read since `since`, and answers only with values read since.
    async fn current(
        &self,
        views: Vec<Arc<BalanceView>>,
        since: UnixMillis,
    ) -> Result<Vec<Balance>, ReadError> {
        let is_current = |view: &BalanceView| {
            let balance = &view.balance;
            balance.fetched_at.is_some_and(|at| at >= since)
                && balance
                    .last_error_at
                    .is_none_or(|failed| Some(failed) <= balance.fetched_at)
        };
        let mut stale: BTreeMap<ChainId, Vec<BalanceKey>> = BTreeMap::new();
        for view in views.iter().filter(|view| !is_current(view)) {
            stale
                .entry(view.chain_id)
                .or_default()
                .push(view.balance.key);
        }
        if !stale.is_empty() {
            let chains = self.inner.chains()?;
            let fetches = stale.into_iter().filter_map(|(chain_id, keys)| {
                let chain = chains.iter().find(|chain| chain.id == chain_id)?.clone();
                Some(self.fetch_coalesced(chain, keys))
            });
            futures::future::join_all(fetches).await;
            // A read joined mid-way may have started before `since`: read those rows once more.
            let behind: Vec<(ChainId, BalanceKey)> = views
                .iter()
                .filter_map(|view| self.reload(view.balance.key).ok().flatten())
                .filter(|view| {
                    !is_current(view)
                        && view
                            .balance
                            .last_error_at
                            .is_none_or(|failed| failed < since)
                })
                .map(|view| (view.chain_id, view.balance.key))
                .collect();
            if !behind.is_empty() {
                self.inner.sweep_keys(behind).await?;
            }
        }
        let now = self.inner.clock.now();
        let mut balances = Vec::with_capacity(views.len());
        let mut failures = Vec::new();
        for view in views {
            let view = if is_current(&view) {
                view
            } else {
                self.reload(view.balance.key)?.unwrap_or(view)
            };
            if is_current(&view) {
                balances.push(self.inner.classify(view, now));
            } else {
                let why = view
                    .balance
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "not read in time".into());
                failures.push(format!(
                    "{} {} on {}: {why}",
                    view.address, view.symbol, view.chain
                ));
            }
        }
        if failures.is_empty() {
            Ok(balances)
        } else {
            Err(ReadError::NotCurrent(failures))
        }
    }

    /// Reads `keys` of `chain` now; concurrent identical requests share one read.
    async fn fetch_coalesced(&self, chain: ChainRecord, mut keys: Vec<BalanceKey>) {
        keys.sort();
        let request = (chain.id, keys.clone());
        let inner = self.inner.clone();
        let outcome = self
            .fetches
            .get_with(request.clone(), async move {
                let result = sweep_chain(&inner, &chain, &Selection::Keys(keys)).await;
                Arc::new(result.map(drop).map_err(|err| format!("{err:#}")))
            })
            .await;
        // Only reads under way are shared; the next request after this one reads anew.
        self.fetches.invalidate(&request).await;
        if let Err(why) = outcome.as_ref() {
            tracing::warn!(%why, "a read for a current balance failed");
        }
    }

    /// Reads every balance of `scope` now, TTLs ignored, reporting progress per chain: what a
    /// Preload button does, and what the engine does at start.
    pub async fn preload(&self, scope: Scope) -> Result<Vec<SweepReport>> {
        self.inner.reclaim_dead_leases()?;
        let selections: Vec<(ChainRecord, Selection)> = match scope {
            Scope::All => self
                .inner
                .chains()?
                .into_iter()
                .map(|chain| (chain, Selection::Everything))
                .collect(),
            Scope::Chain(id) => self
                .inner
                .chains()?
                .into_iter()
                .filter(|chain| chain.id == id)
                .map(|chain| (chain, Selection::Everything))
                .collect(),
            scope => {
                let keys = self
                    .load(scope)?
                    .iter()
                    .map(|view| (view.chain_id, view.balance.key))
                    .collect::<Vec<_>>();
                return self.inner.sweep_keys(keys).await;
            }
        };
        self.inner.sweep_each(selections, Some(&Look::Due)).await
    }

    /// A manual refresh of `scope` (a Refresh button): the same reading as a preload; refreshing
    /// one wallet also looks for every candidate token its addresses may hold.
    pub async fn refresh(&self, scope: Scope) -> Result<Vec<SweepReport>> {
        let mut reports = self.preload(scope).await?;
        if let Scope::Wallet(_) = scope {
            let found = self.discover(scope).await?;
            for report in &mut reports {
                if let Some(more) = found.iter().find(|more| more.chain == report.chain) {
                    report.found += more.found;
                    report.requests += more.requests;
                }
            }
        }
        Ok(reports)
    }

    /// Looks for every candidate token the addresses of `scope` may hold, however recently they
    /// were checked: what `holdings discover` and a wallet's "Find new tokens" do.
    pub async fn discover(&self, scope: Scope) -> Result<Vec<SweepReport>> {
        let views = self.load(scope)?;
        let addresses: HashSet<AddressId> =
            views.iter().map(|view| view.balance.key.address).collect();
        let chains_in_scope: HashSet<ChainId> = views.iter().map(|view| view.chain_id).collect();
        let only = match scope {
            Scope::All | Scope::Chain(_) => None,
            _ => Some(addresses),
        };
        let look = Look::Everything(only);
        let mut reports = Vec::new();
        for chain in self.inner.chains()? {
            let wanted = match scope {
                Scope::Chain(id) => chain.id == id,
                _ => chains_in_scope.contains(&chain.id),
            };
            if !wanted {
                continue;
            }
            let found = discover(&self.inner, &chain, &look).await?;
            reports.push(SweepReport {
                chain: chain.name.clone(),
                found: found.held,
                requests: found.requests,
                unreachable: found.unreachable,
                ..SweepReport::default()
            });
        }
        Ok(reports)
    }

    /// A user's pass over what is due on every active chain, or on `only` that one: rows backing
    /// off after failures are read too, since backoff paces only the background scheduler.
    pub async fn sync_due(&self, only: Option<ChainId>) -> Result<Vec<SweepReport>> {
        self.inner.sweep_due(only, Selection::DueOrFailing).await
    }

    /// When the next balance of an active chain is due, if any is watched.
    pub fn next_due_at(&self) -> Result<Option<UnixMillis>> {
        Ok(self.inner.store().next_due_at(&Family::ALL)?)
    }

    /// Starts the background work: first a preload of everything (what the store holds is already
    /// in the cache to be shown meanwhile), then each chain's due balances on schedule, and the
    /// refreshes that UI reads queue.
    pub fn start(&self) {
        let Some(mut queue) = self.refresh_queue.lock().expect("queue lock").take() else {
            return;
        };
        self.started.store(true, Ordering::Relaxed);
        let inner = self.inner.clone();
        let mut shutdown = self.shutdown.subscribe();
        let task = tokio::spawn(async move {
            let everything = inner.chains().map(|chains| {
                chains
                    .into_iter()
                    .map(|chain| (chain, Selection::Everything))
                    .collect()
            });
            if let Err(err) =
                caught(async { inner.sweep_each(everything?, Some(&Look::Due)).await }).await
            {
                tracing::warn!(error = %format!("{err:#}"), "the start-up preload failed");
            }
            inner.refresh_prices_in_background().await;
            loop {
                let wait = inner.until_next_due();
                let outcome = tokio::select! {
                    _ = shutdown.changed() => break,
                    Some(first) = queue.recv() => {
                        let mut keys: BTreeSet<(ChainId, BalanceKey)> = first.into_iter().collect();
                        while let Ok(more) = queue.try_recv() {
                            keys.extend(more);
                        }
                        caught(inner.sweep_keys(keys)).await
                    }
                    _ = tokio::time::sleep(wait) => caught(inner.sweep_due(None, Selection::Due)).await,
                };
                if let Err(err) = outcome {
                    tracing::warn!(error = %format!("{err:#}"), "a background sync failed");
                }
                inner.refresh_prices_in_background().await;
            }
        });
        self.tasks.lock().expect("tasks lock").push(task);
    }

    /// Stops the background work once its writes are done, releases this instance's leases, and
    /// unregisters it.
    pub async fn shutdown(&self) -> Result<()> {
        let _ = self.shutdown.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().expect("tasks lock"));
        for task in tasks {
            let _ = task.await;
        }
        self.inner.store().release_all(self.inner.instance.id())?;
        self.inner.instance.unregister();
        Ok(())
    }

    /// The views of `scope`; the cache is filled under the store's lock, so a sweep committing
    /// meanwhile cannot be overwritten by what was read before it.
    fn load(&self, scope: Scope) -> Result<Vec<Arc<BalanceView>>> {
        if let Scope::Balance(key) = scope {
            if let Some(view) = self.inner.cache.get(&key) {
                return Ok(vec![view]);
            }
            return Ok(self.reload(key)?.into_iter().collect());
        }
        let store = self.inner.store();
        let views = match scope {
            Scope::All => store.all_balances()?,
            Scope::Chain(chain) => store.balances_of_chain(chain)?,
            Scope::Wallet(wallet) => store.balances_of_wallet(wallet)?,
            Scope::Address(address) => store.balance_views_of_address(address)?,
            Scope::Balance(_) => unreachable!("handled above"),
        };
        Ok(views
            .into_iter()
            .map(|view| self.inner.cache.insert(view))
            .collect())
    }

    /// Reads one balance from the store into the cache.
    fn reload(&self, key: BalanceKey) -> Result<Option<Arc<BalanceView>>> {
        let store = self.inner.store();
        Ok(store
            .balance_view(key)?
            .map(|view| self.inner.cache.insert(view)))
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
