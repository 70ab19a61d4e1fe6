//! The one API both clients use: the desktop app's Tauri commands and the `holdings` CLI each wrap
//! it, a call a command. Values cross to the UI as JSON, amounts as exact decimal strings; errors
//! carry a code the UI branches on and a message it shows. Nothing here knows Tauri exists.

mod connectivity;
mod error;
mod export;
mod history;
mod new_chain;
mod rows;
pub mod settings;
mod status;
mod tokens;
mod url_keys;
mod values;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use connectivity::ChainConnectivity;
pub use error::{AppError, ErrorCode};
pub use export::ExportFormat;
pub use history::{BalanceHistory, BalancePoint, DayValue, PortfolioHistory};
pub use new_chain::{AddedChain, ChainSpec};
pub use rows::BalanceRow;
pub use settings::{ChainSettings, EndpointRef, EndpointSettings};
pub use status::{ChainStatus, Status};
pub use tokens::{AddedToken, ChainTokens, ImportedTokens, TokenInfo};
pub use values::{
    AssetValue, ChainValue, Portfolio, PriceRefresh, PriceRow, PriceSourceSettings, WalletValue,
};
// What the API's answers are made of, for its clients.
pub use crate::store::{ChainId, ChainRecord, Health, SyncRun, TokenMode, WalletId, WalletRecord};
pub use crate::sync::Event;

use crate::chains::pool::redact;
use crate::clock::{Clock, SystemClock};
use crate::model::{
    Address, Money, PriceSourceKind, Ttls, checked_price_ttl, is_cleartext,
    parse_chain_endpoint_url, parse_endpoint_url,
};
use crate::prices::valuation::{PriceBook, valuation};
use crate::secrets;
use crate::sync::{Balance, Engine, EngineConfig, Read, Scope, SweepReport};
use crate::watchlist;

pub type AppResult<T> = Result<T, AppError>;

/// How a preload or refresh of one chain went, for the toast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChainSweep {
    pub chain: String,
    pub read: u32,
    pub failed: u32,
    /// Candidate tokens found held, each now with a row.
    pub found: u32,
    /// The latest block or slot a value was read at.
    pub block: Option<u64>,
    pub requests: u64,
    /// Why nothing could be read (every endpoint failed), naming the endpoints.
    pub unreachable: Option<String>,
}

/// How a preload, refresh or sync went: each chain's sweep, then the prices', if any were due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    pub chains: Vec<ChainSweep>,
    pub prices: Option<PriceRefresh>,
}

/// What the window shows of the balances, read at once (see [`Holdings::overview`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// As [`Holdings::balances`] answers: the largest values first.
    pub balances: Vec<BalanceRow>,
    pub portfolio: Portfolio,
    pub history: PortfolioHistory,
    pub wallets: Vec<WalletRecord>,
}

/// A wallet just added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AddedWallet {
    pub wallet: WalletId,
    /// The address, key or descriptor watched, normalised.
    pub source: String,
    pub addresses: u32,
    pub chains: Vec<String>,
}

/// The freshness thresholds, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TtlSettings {
    /// Younger is fresh.
    pub ui_seconds: u32,
    /// A read that must be current reads again anything older.
    pub validation_seconds: u32,
    /// Older is stale.
    pub stale_seconds: u32,
}

/// The app's engine, and what the app asks of it.
pub struct Holdings {
    engine: Engine,
}

impl Holdings {
    /// Opens the data dir; nothing is read from any chain until [`Holdings::start_sync`].
    pub fn open(dir: &Path) -> AppResult<Self> {
        Ok(Self {
            engine: Engine::open(dir, EngineConfig::default())?,
        })
    }

    /// What the engine announces, for the app to pass on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.engine.subscribe()
    }

    /// Every balance the store holds, with its freshness, price and value now, the largest values
    /// first (then those without one, as stored); reads no chain.
    pub async fn balances(&self) -> AppResult<Vec<BalanceRow>> {
        let balances = self.stored_balances().await?;
        Ok(Self::rows_by_value(&balances, &self.price_book()?))
    }

    /// Everything the window shows of the balances, read together: each stored balance is loaded
    /// and valued once for the rows, the portfolio and today's point of its history, where asking
    /// for each would load and value all of them three times (the window reads this at launch and
    /// after every change). Reads no chain.
    pub async fn overview(&self) -> AppResult<Overview> {
        let balances = self.stored_balances().await?;
        let book = self.price_book()?;
        let wallets = self.wallets()?;
        let portfolio = Self::worth(&balances, &book, &wallets);
        let history = self.history_to(&portfolio)?;
        Ok(Overview {
            balances: Self::rows_by_value(&balances, &book),
            portfolio,
            history,
            wallets,
        })
    }

    async fn stored_balances(&self) -> AppResult<Vec<Balance>> {
        Ok(self
            .engine
            .balances(Scope::All, Read::CachedOnly)
            .await
            .map_err(anyhow::Error::from)?)
    }

    /// The rows of `balances`, valued at the prices held, the largest values first (then those
    /// without one, in their order).
    fn rows_by_value(balances: &[Balance], book: &PriceBook) -> Vec<BalanceRow> {
        let mut rows = Self::rows(balances, book);
        rows.sort_by(|(_, a), (_, b)| b.cmp(a));
        rows.into_iter().map(|(row, _)| row).collect()
    }

    /// The rows of `balances`, valued at the prices held, with their values.
    fn rows(balances: &[Balance], book: &PriceBook) -> Vec<(BalanceRow, Option<Money>)> {
        let now = now();
        balances
            .iter()
            .map(|balance| BalanceRow::new(balance, book, now))
            .collect()
    }

    fn price_book(&self) -> AppResult<PriceBook> {
        Ok(PriceBook::new(
            self.engine.with_store(|store| store.prices())?,
        ))
    }

    /// What every balance held is worth at the prices held: the total, by wallet, chain and asset.
    pub async fn portfolio(&self) -> AppResult<Portfolio> {
        let balances = self.stored_balances().await?;
        Ok(Self::worth(
            &balances,
            &self.price_book()?,
            &self.wallets()?,
        ))
    }

    fn worth(balances: &[Balance], book: &PriceBook, wallets: &[WalletRecord]) -> Portfolio {
        let valued = valuation(balances.iter().map(|balance| &*balance.view), book);
        Portfolio::new(valued, wallets, now())
    }

    /// The portfolio's value each day a price pass recorded it, oldest first, and today's point:
    /// `today`, the portfolio as it is now.
    fn history_to(&self, today: &Portfolio) -> AppResult<PortfolioHistory> {
        self.engine.with_store(|store| {
            history::portfolio_history(store, now(), today.total.clone(), today.unpriced)
        })
    }

    /// The values one balance (a row's key) has had, each with its worth at that day's price.
    pub fn balance_history(&self, key: &str) -> AppResult<BalanceHistory> {
        self.engine
            .with_store(|store| history::balance_history(store, key))
    }

    /// Every price held, with its source and age.
    pub fn prices(&self) -> AppResult<Vec<PriceRow>> {
        let now = now();
        let prices = self.engine.with_store(|store| store.prices())?;
        Ok(prices
            .into_iter()
            .map(|price| PriceRow::new(price, now))
            .collect())
    }

    /// Where prices are read, and how often.
    pub fn price_source(&self) -> AppResult<PriceSourceSettings> {
        let record = self.engine.with_store(|store| store.price_source())?;
        Ok(PriceSourceSettings::new(
            &record,
            seconds(self.engine.price_ttl()),
        ))
    }

    /// Reads prices from `kind`, at `url` or its public URL; `none` reads none (those held stay).
    pub fn set_price_source(&self, kind: PriceSourceKind, url: Option<&str>) -> AppResult<()> {
        let url = url
            .map(|url| parse_endpoint_url(url.trim()))
            .transpose()
            .map_err(|err| AppError::from_input(err.into()))?;
        if kind == PriceSourceKind::None && url.is_some() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "no price source takes no URL",
            ));
        }
        let url = url.map(|url| url.to_string());
        Ok(self
            .engine
            .with_store_mut(|store| store.set_price_source(kind, url.as_deref()))?)
    }

    /// Saves the price source's API key (CoinGecko's demo key) in the OS keyring, never in the
    /// database; the next price pass uses it.
    pub fn save_price_api_key(&self, key: &str) -> AppResult<()> {
        let record = self.engine.with_store(|store| store.price_source())?;
        if !record.kind.takes_api_key() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("{} takes no API key; coingecko does", record.kind),
            ));
        }
        let key = key.trim();
        if key.is_empty() || key.chars().any(char::is_control) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "an API key is one line of text",
            ));
        }
        // named by the source's host, as an endpoint's key is: a key for one server is not another's
        let url = record
            .url
            .as_deref()
            .or(crate::prices::public_url(record.kind));
        let url = url
            .and_then(|url| url::Url::parse(url).ok())
            .ok_or_else(|| AppError::new(ErrorCode::Internal, "the price source has no URL"))?;
        if is_cleartext(&url) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} is plain http: an API key is sent only over https (or to this machine)",
                    redact(&url)
                ),
            ));
        }
        let reference = secrets::reference("prices", &url);
        secrets::save(&reference, key).map_err(|err| AppError::from_input(err.into()))?;
        self.engine
            .with_store_mut(|store| store.set_price_api_key_ref(&reference))?;
        self.engine.reopen_price_source();
        Ok(())
    }

    /// Checks, saves and puts in force how old a price may be before it is read again.
    pub fn set_price_ttl(&self, seconds: u32) -> AppResult<()> {
        let ttl = checked_price_ttl(Duration::from_secs(u64::from(seconds)))
            .map_err(|err| AppError::new(ErrorCode::InvalidInput, err.to_string()))?;
        self.engine
            .with_store_mut(|store| store.save_price_ttl(ttl))?;
        self.engine.set_price_ttl(ttl);
        Ok(())
    }

    pub fn wallets(&self) -> AppResult<Vec<WalletRecord>> {
        Ok(self.engine.with_store(|store| store.wallets())?)
    }

    /// What `text` is, in words, or why it cannot be watched; changes nothing.
    pub fn check_wallet(&self, text: &str) -> AppResult<String> {
        watchlist::describe(text.trim()).map_err(AppError::from_input)
    }

    /// The ages that separate fresh, cached and stale, and the one a current read allows.
    pub fn ttls(&self) -> TtlSettings {
        let ttls = self.engine.ttls();
        TtlSettings {
            ui_seconds: seconds(ttls.ui),
            validation_seconds: seconds(ttls.validation),
            stale_seconds: seconds(ttls.stale),
        }
    }

    /// Checks, saves and puts in force the TTLs chosen in Settings.
    pub fn set_ttls(&self, chosen: TtlSettings) -> AppResult<()> {
        let seconds = |n: u32| Duration::from_secs(u64::from(n));
        let ttls = Ttls::checked(
            seconds(chosen.ui_seconds),
            seconds(chosen.validation_seconds),
            seconds(chosen.stale_seconds),
        )
        .map_err(|err| AppError::new(ErrorCode::InvalidInput, err.to_string()))?;
        self.engine.with_store_mut(|store| store.save_ttls(&ttls))?;
        self.engine.set_ttls(ttls);
        Ok(())
    }

    /// Watches an address, extended key or descriptor on the chains named, or on every chain that
    /// can watch it when none is.
    pub fn add_wallet(
        &self,
        text: &str,
        label: Option<String>,
        chains: &[String],
    ) -> AppResult<AddedWallet> {
        let label = label.filter(|label| !label.trim().is_empty());
        let added = self
            .engine
            .with_store_mut(|store| watchlist::add(store, text.trim(), label, chains, now()))
            .map_err(AppError::from_input)?;
        Ok(AddedWallet {
            wallet: added.wallet,
            source: added.source,
            addresses: count(added.addresses),
            chains: added.chains,
        })
    }

    /// Watches every address of a file's text (`name` is the file's, for messages) on the chains
    /// named, or on every chain that can watch each; all or nothing.
    pub fn import_wallets(&self, name: &str, text: &str, chains: &[String]) -> AppResult<u32> {
        // Read whole before the store is locked: a large file holds no one up.
        let lines = watchlist::parse_file(name, text).map_err(AppError::from_input)?;
        self.engine
            .with_store_mut(|store| watchlist::import(store, name, &lines, chains, now()))
            .map(count)
            .map_err(AppError::from_input)
    }

    pub fn label_wallet(&self, wallet: WalletId, label: Option<String>) -> AppResult<()> {
        let label = label.filter(|label| !label.trim().is_empty());
        let found = self
            .engine
            .with_store_mut(|store| store.set_wallet_label(wallet, label.as_deref()))?;
        found
            .then_some(())
            .ok_or_else(|| AppError::not_found("there is no such wallet any more"))
    }

    pub fn remove_wallet(&self, wallet: WalletId) -> AppResult<()> {
        let found = self
            .engine
            .with_store_mut(|store| store.remove_wallet(wallet))?;
        found
            .then_some(())
            .ok_or_else(|| AppError::not_found("there is no such wallet any more"))
    }

    pub fn chains(&self) -> AppResult<Vec<ChainSettings>> {
        let chains = self.engine.with_store(|store| store.chains())?;
        Ok(chains.iter().map(ChainSettings::new).collect())
    }

    pub fn set_chain_active(&self, chain: ChainId, active: bool) -> AppResult<()> {
        let found = self
            .engine
            .with_store_mut(|store| store.set_chain_active(chain, active))?;
        found
            .then_some(())
            .ok_or_else(|| AppError::not_found("there is no such chain any more"))
    }

    /// Adds an endpoint, tried after the chain's others; an API key in its URL goes to the OS
    /// keyring, not the database.
    pub fn add_endpoint(&self, chain: ChainId, url: &str) -> AppResult<()> {
        let record = self
            .engine
            .with_store(|store| settings::chain(store, chain))
            .map_err(AppError::from_input)?;
        let url = parse_chain_endpoint_url(record.family, url)
            .map_err(|err| AppError::from_input(err.into()))?;
        let planned =
            [url_keys::plan(&record.name, record.family, &url).map_err(AppError::from_input)?];
        url_keys::save(&planned).map_err(AppError::from_input)?;
        let stored = self.engine.with_store_mut(|store| {
            store.atomically(|store| {
                store.add_endpoint(chain, &planned[0].url)?;
                for reference in url_keys::references(&planned) {
                    store.set_endpoint_key_ref(chain, planned[0].url.as_str(), reference)?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
        });
        if stored.is_err() {
            url_keys::forget(url_keys::references(&planned));
        }
        self.engine.rebuild_pool(chain);
        Ok(stored?)
    }

    /// Removes an endpoint, and its API key from the OS keyring unless another endpoint of the chain
    /// on the same host still uses it.
    pub fn remove_endpoint(&self, chain: ChainId, endpoint: &EndpointRef) -> AppResult<()> {
        self.engine.with_store_mut(|store| {
            let record = settings::chain(store, chain).map_err(AppError::from_input)?;
            let url = settings::endpoint_url(&record, endpoint)?;
            store.remove_endpoint(chain, &url)?;
            let removed = record.endpoints.iter().find(|stored| stored.url == url);
            let Some(reference) = removed.and_then(|stored| stored.api_key_ref.as_deref()) else {
                return Ok(());
            };
            let shared = record
                .endpoints
                .iter()
                .any(|other| other.url != url && other.api_key_ref.as_deref() == Some(reference));
            if shared {
                return Ok(());
            }
            secrets::delete(reference).map_err(|err| {
                AppError::new(
                    ErrorCode::Keyring,
                    format!(
                        "the endpoint is removed, but its API key is still in the keyring: {err}"
                    ),
                )
            })
        })
    }

    /// Moves an endpoint to position `to` in the order endpoints are tried.
    pub fn move_endpoint(&self, chain: ChainId, endpoint: &EndpointRef, to: u32) -> AppResult<()> {
        self.engine.with_store_mut(|store| {
            let record = settings::chain(store, chain).map_err(AppError::from_input)?;
            settings::endpoint_url(&record, endpoint)?;
            let mut urls: Vec<String> = record.endpoints.iter().map(|e| e.url.clone()).collect();
            if to as usize >= urls.len() {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    format!("{} has {} endpoints", record.name, urls.len()),
                ));
            }
            let moved = urls.remove(endpoint.position as usize);
            urls.insert(to as usize, moved);
            Ok(store.set_endpoint_order(chain, &urls)?)
        })
    }

    /// Saves an endpoint's API key in the OS keyring, never in the database; the chain's next sweep
    /// uses it.
    pub fn save_api_key(&self, chain: ChainId, endpoint: &EndpointRef, key: &str) -> AppResult<()> {
        self.engine.with_store_mut(|store| {
            let record = settings::chain(store, chain).map_err(AppError::from_input)?;
            let url = settings::endpoint_url(&record, endpoint)?;
            let endpoint =
                settings::api_key_endpoint(&record, &url).map_err(AppError::from_input)?;
            settings::save_endpoint_key(store, &record, &endpoint, key)
                .map_err(AppError::from_input)
        })?;
        self.engine.rebuild_pool(chain);
        Ok(())
    }

    /// Starts syncing: everything at once, then each balance on its schedule.
    pub fn start_sync(&self) {
        self.engine.start();
    }

    /// Reads every balance now, TTLs ignored: of the chain named, or of every chain; then the
    /// prices that are due.
    pub async fn preload(&self, chain: Option<&str>) -> AppResult<SyncOutcome> {
        let scope = self.chain_id(chain)?.map_or(Scope::All, Scope::Chain);
        let reports = self.engine.preload(scope).await?;
        self.with_prices(reports).await
    }

    /// Reads what is due now, and what is backing off after failures (backoff paces only the
    /// background sync): of the chain named, or of every chain; then the prices that are due.
    pub async fn sync_due(&self, chain: Option<&str>) -> AppResult<SyncOutcome> {
        let only = self.chain_id(chain)?;
        let reports = self.engine.sync_due(only).await?;
        self.with_prices(reports).await
    }

    /// When the next balance is due to be read (Unix milliseconds), if any is watched.
    pub fn next_due_at(&self) -> AppResult<Option<crate::clock::UnixMillis>> {
        Ok(self.engine.next_due_at()?)
    }

    /// Reads one wallet's balances now, or everyone's; then the prices that are due.
    pub async fn refresh(&self, wallet: Option<WalletId>) -> AppResult<SyncOutcome> {
        let scope = wallet.map_or(Scope::All, Scope::Wallet);
        let reports = self.engine.refresh(scope).await?;
        self.with_prices(reports).await
    }

    /// A pass's outcome, after the price pass that follows the sweeps.
    async fn with_prices(&self, reports: Vec<SweepReport>) -> AppResult<SyncOutcome> {
        let prices = self.engine.refresh_prices().await?;
        Ok(SyncOutcome {
            chains: sweeps(reports),
            prices: prices.map(PriceRefresh::new),
        })
    }

    /// The id this engine leases rows under, for a watching process to name itself.
    pub fn instance_id(&self) -> &str {
        self.engine.instance_id()
    }

    pub fn connectivity(&self) -> AppResult<Vec<ChainConnectivity>> {
        Ok(self.engine.with_store(connectivity::connectivity)?)
    }

    /// Stops syncing once writes are done, and gives back this app's leases.
    pub async fn shutdown(&self) -> AppResult<()> {
        Ok(self.engine.shutdown().await?)
    }
}

/// What the command line asks beyond the window: chains and tokens by name, reads as current as
/// asked, the engine's health.
impl Holdings {
    /// The id of the chain named, if one is; a name that names none is an error.
    fn chain_id(&self, name: Option<&str>) -> AppResult<Option<ChainId>> {
        name.map(|name| Ok(self.chain_named(name)?.id)).transpose()
    }

    pub(super) fn chain_named(&self, name: &str) -> AppResult<ChainRecord> {
        self.engine
            .with_store(|store| store.chain_by_name(name))?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "there is no chain named {name:?}; `holdings chain list` shows them"
                ))
            })
    }

    /// Adds a chain the user describes, checked whole first; API keys in its endpoints' URLs go
    /// to the OS keyring, not the database.
    pub fn add_chain(&self, spec: &ChainSpec) -> AppResult<AddedChain> {
        let mut chain = new_chain::new_chain(spec).map_err(AppError::from_input)?;
        let planned = chain
            .endpoints
            .iter()
            .map(|url| url_keys::plan(chain.name.as_str(), chain.family, url))
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(AppError::from_input)?;
        chain.endpoints = planned
            .iter()
            .map(|endpoint| endpoint.url.clone())
            .collect();
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = chain.endpoints.iter().find(|url| !seen.insert(*url)) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "two endpoints on {} differ only in their keys",
                    redact(twice)
                ),
            ));
        }
        url_keys::save(&planned).map_err(AppError::from_input)?;
        let stored = self.engine.with_store_mut(|store| {
            store.atomically(|store| {
                let id = store.insert_chain(&chain)?;
                for endpoint in &planned {
                    if let Some((reference, _)) = &endpoint.keys {
                        store.set_endpoint_key_ref(id, endpoint.url.as_str(), reference)?;
                    }
                }
                Ok::<_, crate::store::StoreError>(id)
            })
        });
        if stored.is_err() {
            url_keys::forget(url_keys::references(&planned));
        }
        stored?;
        Ok(AddedChain {
            name: chain.name.to_string(),
            family: chain.family,
            endpoints: chain.endpoints.len(),
        })
    }

    /// Every chain as stored, its endpoint URLs shown without what may hold a key.
    pub fn chain_records(&self) -> AppResult<Vec<ChainRecord>> {
        let mut chains = self.engine.with_store(|store| store.chains())?;
        for endpoint in chains
            .iter_mut()
            .flat_map(|chain| chain.endpoints.iter_mut())
        {
            endpoint.url = settings::shown_url(&endpoint.url);
        }
        Ok(chains)
    }

    /// Checks that the chain named has the endpoint `url`, and that it takes an API key.
    pub fn check_api_key_endpoint(&self, chain: &str, url: &str) -> AppResult<()> {
        let record = self.chain_named(chain)?;
        settings::api_key_endpoint(&record, url).map_err(AppError::from_input)?;
        Ok(())
    }

    /// Saves the API key of the endpoint `url` of the chain named in the OS keyring; returns the
    /// endpoint as shown and the keyring entry's name.
    pub fn save_api_key_of(
        &self,
        chain: &str,
        url: &str,
        key: &str,
    ) -> AppResult<(String, String)> {
        let record = self.chain_named(chain)?;
        let endpoint = settings::api_key_endpoint(&record, url).map_err(AppError::from_input)?;
        let reference = self
            .engine
            .with_store_mut(|store| settings::save_endpoint_key(store, &record, &endpoint, key))
            .map_err(AppError::from_input)?;
        self.engine.rebuild_pool(record.id);
        Ok((redact(&endpoint), reference))
    }

    /// The wallet holding the address `text`.
    pub fn wallet_of(&self, text: &str) -> AppResult<WalletId> {
        let address = Address::parse(text)
            .map_err(|err| AppError::new(ErrorCode::InvalidInput, err.to_string()))?;
        let record = self
            .engine
            .with_store(|store| store.find_address(&address))?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "no wallet holds the address {address}; `holdings wallet list` shows them"
                ))
            })?;
        Ok(record.wallet_id)
    }

    /// The balances of one wallet or of all; with `max_age`, anything older is read again first,
    /// and one that cannot be is an error naming it, never an older value.
    pub async fn balances_of(
        &self,
        wallet: Option<WalletId>,
        max_age: Option<Duration>,
    ) -> AppResult<Vec<BalanceRow>> {
        let scope = wallet.map_or(Scope::All, Scope::Wallet);
        let read = max_age.map_or(Read::CachedOnly, Read::Current);
        let balances = self
            .engine
            .balances(scope, read)
            .await
            .map_err(anyhow::Error::from)?;
        let rows = Self::rows(&balances, &self.price_book()?);
        Ok(rows.into_iter().map(|(row, _)| row).collect())
    }

    /// Health: stale rows, errors, leases, and each chain's last sweep.
    pub fn status(&self) -> AppResult<Status> {
        Ok(self
            .engine
            .with_store(|store| status::status(store, now()))?)
    }
}

fn sweeps(reports: Vec<SweepReport>) -> Vec<ChainSweep> {
    reports
        .into_iter()
        .map(|report| ChainSweep {
            chain: report.chain,
            read: count(report.read),
            failed: count(report.failed),
            found: count(report.found),
            block: report.block,
            requests: report.requests,
            unreachable: report.unreachable,
        })
        .collect()
}

/// Whole seconds for the UI.
fn seconds(duration: Duration) -> u32 {
    u32::try_from(duration.as_secs()).unwrap_or(u32::MAX)
}

/// A count for the UI, where JavaScript numbers hold 32 bits exactly without thought.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn now() -> crate::clock::UnixMillis {
    SystemClock.now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Freshness;

    const ALICE: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    fn opened() -> (tempfile::TempDir, Holdings) {
        let dir = tempfile::tempdir().unwrap();
        let holdings = Holdings::open(dir.path()).unwrap();
        (dir, holdings)
    }

    fn chain_named(holdings: &Holdings, name: &str) -> ChainSettings {
        holdings
            .chains()
            .unwrap()
            .into_iter()
            .find(|chain| chain.name == name)
            .unwrap()
    }

    #[tokio::test]
    async fn a_wallet_added_shows_its_rows_unread_and_is_labelled_and_removed() {
        let (_dir, holdings) = opened();
        let added = holdings
            .add_wallet(&format!("  {ALICE} "), Some("Main".into()), &[])
            .unwrap();
        assert!(added.chains.contains(&"ethereum".to_owned()));
        let rows = holdings.balances().await.unwrap();
        assert_eq!(rows.len(), added.chains.len(), "one native row per chain");
        assert!(
            rows.iter()
                .all(|row| row.raw.is_none() && row.amount.is_none())
        );
        assert!(rows.iter().all(|row| row.freshness == Freshness::Never));

        holdings
            .label_wallet(added.wallet, Some("Savings".into()))
            .unwrap();
        assert_eq!(
            holdings.wallets().unwrap()[0].label.as_deref(),
            Some("Savings")
        );
        holdings.remove_wallet(added.wallet).unwrap();
        assert!(holdings.wallets().unwrap().is_empty());
        assert!(holdings.balances().await.unwrap().is_empty());
        let again = holdings.remove_wallet(added.wallet).unwrap_err();
        assert_eq!(again.code, ErrorCode::NotFound);
    }

    #[test]
    fn bad_input_is_refused_with_the_models_words_and_changes_nothing() {
        let (_dir, holdings) = opened();
        let wrong_checksum = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267";
        let refused = holdings.add_wallet(wrong_checksum, None, &[]).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidInput);
        assert!(refused.message.contains("checksum"), "{}", refused.message);
        assert_eq!(
            holdings.check_wallet(wrong_checksum).unwrap_err(),
            refused,
            "the check as typed says what adding would"
        );
        holdings.add_wallet(ALICE, None, &[]).unwrap();
        let twice = holdings.add_wallet(ALICE, None, &[]).unwrap_err();
        assert_eq!(twice.code, ErrorCode::InvalidInput);
        let import = holdings
            .import_wallets(
                "list.txt",
                "0x70997970C51812dc3A010C7d01b50e0d17dc79C8\nnonsense\n",
                &[],
            )
            .unwrap_err();
        assert_eq!(import.code, ErrorCode::InvalidInput);
        assert!(
            import.message.starts_with("list.txt, line 2"),
            "{}",
            import.message
        );
        assert_eq!(
            holdings.wallets().unwrap().len(),
            1,
            "nothing of the file was added"
        );

        let ethereum = chain_named(&holdings, "ethereum");
        let not_a_url = holdings.add_endpoint(ethereum.id, "ftp://x").unwrap_err();
        assert_eq!(not_a_url.code, ErrorCode::InvalidInput);
        let first = EndpointRef {
            position: 0,
            shown: ethereum.endpoints[0].shown.clone(),
        };
        let no_key = holdings
            .save_api_key(ethereum.id, &first, "secret")
            .unwrap_err();
        assert_eq!(no_key.code, ErrorCode::InvalidInput);
        assert!(
            no_key.message.contains("takes no API key"),
            "{}",
            no_key.message
        );
        assert_eq!(chain_named(&holdings, "ethereum"), ethereum);
    }

    #[test]
    fn an_electrum_server_is_added_to_bitcoin_only() {
        let (_dir, holdings) = opened();
        let bitcoin = chain_named(&holdings, "bitcoin");
        holdings
            .add_endpoint(bitcoin.id, " ssl://node.local:50002 ")
            .unwrap();
        let shown = chain_named(&holdings, "bitcoin").endpoints;
        assert_eq!(shown.last().unwrap().shown, "ssl://node.local:50002");

        let ethereum = chain_named(&holdings, "ethereum");
        let refused = holdings
            .add_endpoint(ethereum.id, "tcp://node.local:50001")
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidInput);
        assert!(
            refused.message.contains("Bitcoin only"),
            "{}",
            refused.message
        );
        let no_port = holdings
            .add_endpoint(bitcoin.id, "tcp://node.local")
            .unwrap_err();
        assert_eq!(no_port.code, ErrorCode::InvalidInput);
        assert_eq!(chain_named(&holdings, "ethereum"), ethereum);
        assert_eq!(chain_named(&holdings, "bitcoin").endpoints, shown);
    }

    #[test]
    fn endpoints_are_named_as_shown_and_a_list_gone_out_of_date_is_refused() {
        let (_dir, holdings) = opened();
        let chain = chain_named(&holdings, "ethereum");
        holdings
            .add_endpoint(chain.id, "https://rpc.example.com/v2/SECRETKEY")
            .unwrap();
        let shown = chain_named(&holdings, "ethereum").endpoints;
        let last = shown.len() - 1;
        assert_eq!(shown[last].shown, "https://rpc.example.com/…");
        let added = EndpointRef {
            position: last as u32,
            shown: shown[last].shown.clone(),
        };
        holdings.move_endpoint(chain.id, &added, 0).unwrap();
        let moved = chain_named(&holdings, "ethereum").endpoints;
        assert_eq!(moved[0].shown, "https://rpc.example.com/…");
        assert_eq!(moved[1..], shown[..last]);

        // the page's list is out of date: the endpoint it names has moved
        let stale = holdings.remove_endpoint(chain.id, &added).unwrap_err();
        assert_eq!(stale.code, ErrorCode::NotFound);
        assert_eq!(chain_named(&holdings, "ethereum").endpoints, moved);
        let beyond = EndpointRef {
            position: 0,
            shown: moved[0].shown.clone(),
        };
        let too_far = holdings.move_endpoint(chain.id, &beyond, 99).unwrap_err();
        assert_eq!(too_far.code, ErrorCode::InvalidInput);

        holdings.remove_endpoint(chain.id, &beyond).unwrap();
        assert_eq!(chain_named(&holdings, "ethereum").endpoints, shown[..last]);
    }

    #[tokio::test]
    async fn ttls_chosen_in_settings_are_checked_saved_and_in_force_at_once() {
        let (dir, holdings) = opened();
        holdings.add_wallet(ALICE, None, &[]).unwrap();
        let chosen = TtlSettings {
            ui_seconds: 60,
            validation_seconds: 10,
            stale_seconds: 7_200,
        };
        holdings.set_ttls(chosen).unwrap();
        assert_eq!(holdings.ttls(), chosen);
        let wrong = TtlSettings {
            validation_seconds: 90,
            ..chosen
        };
        let refused = holdings.set_ttls(wrong).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidInput);
        assert!(
            refused.message.contains("validation TTL"),
            "{}",
            refused.message
        );
        assert_eq!(holdings.ttls(), chosen, "a refused choice changes nothing");

        // a value read 45 s ago is fresh under a 60 s UI TTL, and stays so for the next start
        let mut store = crate::data_dir::open(dir.path()).unwrap();
        let chain = store.chain_by_name("ethereum").unwrap().unwrap();
        let row = store
            .claim(chain.id, "test", 0, 1, crate::store::Pick::All, 1)
            .unwrap()[0]
            .key;
        let read_at = now() - 45_000;
        let read = crate::store::BalanceRead {
            key: row,
            raw: alloy_primitives::U256::from(1),
            block: 1,
            fetched_at: read_at,
            next_due_at: read_at + 60_000,
        };
        store.record_sweep("test", &[read], &[]).unwrap();
        let freshness_of = |rows: Vec<BalanceRow>| {
            let key = format!("{}:{}", row.address.0, row.asset.0);
            rows.into_iter()
                .find(|shown| shown.key == key)
                .unwrap()
                .freshness
        };
        assert_eq!(
            freshness_of(holdings.balances().await.unwrap()),
            Freshness::Fresh
        );
        holdings.shutdown().await.unwrap();
        let reopened = Holdings::open(dir.path()).unwrap();
        assert_eq!(reopened.ttls(), chosen);
        assert_eq!(
            freshness_of(reopened.balances().await.unwrap()),
            Freshness::Fresh
        );
    }

    #[test]
    fn connectivity_names_only_chains_that_watch_something_and_when_they_stopped_answering() {
        let (dir, holdings) = opened();
        assert!(holdings.connectivity().unwrap().is_empty());
        holdings
            .add_wallet("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", None, &[])
            .unwrap();
        let bitcoin = holdings.connectivity().unwrap();
        assert_eq!(bitcoin.len(), 1);
        assert!(bitcoin[0].reachable);
        assert_eq!(bitcoin[0].last_read_at, None);

        let mut store = crate::data_dir::open(dir.path()).unwrap();
        let chain = store.chain_by_name("bitcoin").unwrap().unwrap();
        for (at, endpoint) in chain.endpoints.iter().enumerate() {
            store
                .set_endpoint_offline(chain.id, &endpoint.url, Some(1_000 + at as i64))
                .unwrap();
        }
        let offline = &holdings.connectivity().unwrap()[0];
        assert!(!offline.reachable);
        let last = 1_000 + chain.endpoints.len() as i64 - 1;
        assert_eq!(
            offline.offline_since,
            Some(last),
            "offline since its last endpoint went"
        );
    }
}
