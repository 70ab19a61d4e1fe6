//! One sweep of one chain: lease the rows to read, read them all (EVM at one pinned block; Solana
//! with a slot per answer), then in one step write the results, any tokens discovered, the sweep's
//! record and what the endpoints were found to take, and update the cache from what was committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use alloy_primitives::{Address as EvmAddress, U256};
use anyhow::{Context, Result};
use tracing::Instrument;

use super::engine::Inner;
use super::events::Event;
use super::schedule::{self, Tier};
use crate::chains::bitcoin::BitcoinReader;
use crate::chains::evm::{BalanceAsk, EvmReader};
use crate::chains::pool::{EndpointPool, Learned, PoolPolicy, Standing, redact};
use crate::chains::solana::SolanaReader;
use crate::chains::tron::TronReader;
use crate::clock::UnixMillis;
use crate::model::{Address, BitcoinNetwork, Family, GAP_LIMIT, WatchKey};
use crate::secrets;
use crate::store::{
    AddressId, BalanceFailure, BalanceKey, BalanceRead, ChainRecord, DerivedAddress,
    EndpointLimits, LeasedBalance, NewToken, Store, SyncRun, WalletId,
};

/// Rounds of gap-limit growth one sweep makes at most (each derives up to 20 addresses a branch).
const MAX_GAP_ROUNDS: usize = 100;

/// How long a sweep's leases hold before another process may take the rows.
const LEASE_MS: i64 = 2 * 60 * 1_000;

/// Which rows of a chain a sweep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Those whose next read is due.
    Due,
    /// All of them, TTLs ignored.
    Everything,
    /// These (of this chain), TTLs ignored.
    Keys(Vec<BalanceKey>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub chain: String,
    pub read: usize,
    pub failed: usize,
    pub requests: u64,
    pub block: Option<u64>,
    /// Why nothing could be read at all (every endpoint failed), naming the endpoints.
    pub unreachable: Option<String>,
}

/// A value and the block or slot it was read at.
type Reading = Result<(U256, u64), String>;

/// A token an owner was found to hold that the chain's assets do not list yet.
struct Discovered {
    owner: AddressId,
    token: NewToken,
    reading: (U256, u64),
}

/// What a source made of a sweep's rows.
struct RowsRead {
    /// One per leased row, in order.
    readings: Vec<Reading>,
    discovered: Vec<Discovered>,
    /// Set when nothing at all could be read, naming the endpoints.
    unreachable: Option<String>,
    /// Addresses the chain has seen used (Bitcoin: what moves a watch key's gap limit).
    used: Vec<AddressId>,
    /// What the mempool would change of balances read, where the chain shows it apart (Bitcoin).
    pending: Vec<(BalanceKey, i128)>,
}

impl RowsRead {
    /// Nothing could be read: every row fails with `why`.
    fn failed(rows: usize, why: String) -> Self {
        RowsRead {
            readings: vec![Err(why.clone()); rows],
            discovered: Vec::new(),
            unreachable: Some(why),
            used: Vec::new(),
            pending: Vec::new(),
        }
    }
}

/// A new pool over a chain's endpoints, starting from what they were found to take before.
pub(super) fn pool_for(chain: &ChainRecord, policy: PoolPolicy) -> Result<EndpointPool> {
    let urls = chain
        .endpoints
        .iter()
        .map(|endpoint| {
            endpoint
                .url
                .parse()
                .with_context(|| format!("a stored endpoint of {} is not a URL", chain.name))
        })
        .collect::<Result<Vec<_>>>()?;
    let pool = EndpointPool::new(urls, policy);
    for (index, endpoint) in chain.endpoints.iter().enumerate() {
        if endpoint.offline_since.is_some() {
            pool.known_offline(index);
        }
        if let (Some(header), Some(reference)) = (key_header(chain.family), &endpoint.api_key_ref) {
            match secrets::load(reference) {
                Ok(Some(key)) => pool
                    .authorize(index, header, &key)
                    .map_err(anyhow::Error::msg)?,
                Ok(None) => tracing::warn!(
                    endpoint = index,
                    "its API key is not in the keyring; asking without it"
                ),
                Err(err) => tracing::warn!(%err, "asking without the endpoint's API key"),
            }
        }
        let limits = endpoint.limits;
        let widen = |size: Option<u32>| size.map(|size| size as usize);
        pool.learn(index, |learned| {
            *learned = Learned {
                chunk: widen(limits.chunk_size),
                batch: widen(limits.batch_size.filter(|&size| size > 0)),
                batch_bytes: widen(limits.batch_bytes),
                no_batches: limits.batch_size == Some(0),
            }
        });
    }
    Ok(pool)
}

/// The header an endpoint's API key goes in, for families whose APIs take one that way (EVM
/// providers put keys in the URL instead).
fn key_header(family: Family) -> Option<&'static str> {
    (family == Family::Tron).then_some("tron-pro-api-key")
}

/// A reader for an EVM chain over a pool of its own (for one-off reads such as token metadata).
pub fn evm_reader(chain: &ChainRecord, policy: PoolPolicy) -> Result<EvmReader> {
    evm_reader_over(chain, Arc::new(pool_for(chain, policy)?))
}

fn evm_reader_over(chain: &ChainRecord, pool: Arc<EndpointPool>) -> Result<EvmReader> {
    let chain_id = chain
        .evm_chain_id
        .context("an EVM chain without a chain id")?;
    let multicall = chain
        .multicall
        .as_deref()
        .map(str::parse::<EvmAddress>)
        .transpose()
        .context("the stored Multicall3 address")?;
    Ok(EvmReader::new(pool, chain_id, multicall))
}

/// Sweeps the rows of `chain` that `selection` picks. Chains whose family has no source yet are
/// left alone.
pub(super) async fn sweep_chain(
    inner: &Inner,
    chain: &ChainRecord,
    selection: &Selection,
) -> Result<SweepReport> {
    let span = tracing::info_span!("sweep", chain = %chain.name);
    async {
        let mut report = sweep(inner, chain, selection).await?;
        // Used addresses move a watch key's gap limit: derive further and read those, until it holds.
        if chain.family == Family::Bitcoin {
            for round in 1.. {
                let grown = extend_watch_keys(inner, chain)?;
                if grown.is_empty() {
                    break;
                }
                if round > MAX_GAP_ROUNDS {
                    // Only a source calling every address used gets here: stop rather than grow forever.
                    tracing::warn!(
                        rounds = MAX_GAP_ROUNDS,
                        "watch keys keep growing; stopped for this sweep"
                    );
                    break;
                }
                let more = sweep(inner, chain, &Selection::Keys(grown)).await?;
                report.read += more.read;
                report.failed += more.failed;
                report.requests += more.requests;
                report.block = report.block.max(more.block);
            }
        }
        Ok(report)
    }
    .instrument(span)
    .await
}

/// Of a watch key's branch: how many addresses are derived, and the last used index.
type BranchState = (u32, Option<u32>);

/// Derives, for every watch key on `chain`, the addresses its gap limit now asks for (up to
/// `GAP_LIMIT` past the last used one of each branch), and watches them; returns their rows.
fn extend_watch_keys(inner: &Inner, chain: &ChainRecord) -> Result<Vec<BalanceKey>> {
    let Some(network) = chain
        .bitcoin_network
        .as_deref()
        .and_then(|text| text.parse::<BitcoinNetwork>().ok())
    else {
        return Ok(Vec::new());
    };
    let mut store = inner.store();
    let mut wallets: BTreeMap<WalletId, (String, BTreeMap<u32, BranchState>)> = BTreeMap::new();
    for (wallet, source, derivation, used) in store.derived_addresses(chain.id)? {
        let Some((branch, index)) = derivation
            .split_once('/')
            .and_then(|(b, i)| Some((b.parse().ok()?, i.parse::<u32>().ok()?)))
        else {
            continue;
        };
        let (_, branches) = wallets
            .entry(wallet)
            .or_insert_with(|| (source, BTreeMap::new()));
        let (derived, last_used) = branches.entry(branch).or_insert((0, None));
        *derived = (*derived).max(index + 1);
        if used {
            *last_used = Some(last_used.map_or(index, |last: u32| last.max(index)));
        }
    }
    let mut keys = Vec::new();
    for (wallet, (source, branches)) in wallets {
        let Ok(key) = WatchKey::parse(&source) else {
            continue;
        };
        let mut new = Vec::new();
        for branch in key.branches() {
            let (derived, last_used) = branches.get(&branch.number()).copied().unwrap_or((0, None));
            let wanted = last_used.map_or(GAP_LIMIT, |last| last + 1 + GAP_LIMIT);
            for index in derived..wanted {
                let derived = key.address(branch, index, network).and_then(|address| {
                    Address::parse_as(Family::Bitcoin, &address.to_string()).ok()
                });
                if let Some(address) = derived {
                    new.push(DerivedAddress {
                        address,
                        derivation: format!("{}/{index}", branch.number()),
                    });
                }
            }
        }
        if !new.is_empty() {
            keys.extend(store.add_derived(wallet, &new, &[chain.id], inner.clock.now())?);
        }
    }
    Ok(keys)
}

/// A chain's source.
enum Reader {
    Evm(EvmReader),
    /// With the mints already watched on the chain.
    Solana(SolanaReader, HashSet<String>),
    Bitcoin(BitcoinReader),
    /// With the TRC-20 contracts already watched on the chain.
    Tron(TronReader, HashSet<String>),
}

impl Reader {
    /// A reader over `pool`, the chain's pool that outlives the sweep.
    fn for_chain(inner: &Inner, chain: &ChainRecord, pool: Arc<EndpointPool>) -> Result<Reader> {
        let watched = || -> Result<HashSet<String>> {
            Ok(inner
                .store()
                .assets_of_chain(chain.id)?
                .into_iter()
                .filter_map(|asset| asset.contract)
                .collect())
        };
        Ok(match chain.family {
            Family::Evm => Reader::Evm(evm_reader_over(chain, pool)?),
            Family::Solana => {
                Reader::Solana(SolanaReader::new(pool, chain.genesis.clone()), watched()?)
            }
            Family::Bitcoin => Reader::Bitcoin(BitcoinReader::new(pool)),
            Family::Tron => Reader::Tron(TronReader::new(pool), watched()?),
        })
    }

    async fn read(&self, chain: &ChainRecord, rows: &[LeasedBalance]) -> RowsRead {
        match self {
            Reader::Evm(reader) => read_evm(reader, rows).await,
            Reader::Solana(reader, known) => read_solana(reader, chain, rows, known).await,
            Reader::Bitcoin(reader) => read_bitcoin(reader, rows).await,
            Reader::Tron(reader, known) => read_tron(reader, chain, rows, known).await,
        }
    }
}

async fn sweep(inner: &Inner, chain: &ChainRecord, selection: &Selection) -> Result<SweepReport> {
    let report = SweepReport {
        chain: chain.name.clone(),
        ..SweepReport::default()
    };
    if !chain.active {
        return Ok(report);
    }
    let holder = inner.instance.id();
    let started_at = inner.clock.now();
    let until = started_at + LEASE_MS;
    let rows = {
        let mut store = inner.store();
        match selection {
            Selection::Due => store.claim(chain.id, holder, started_at, until, true, usize::MAX)?,
            Selection::Everything => {
                store.claim(chain.id, holder, started_at, until, false, usize::MAX)?
            }
            Selection::Keys(keys) => store.claim_keys(keys, holder, started_at, until)?,
        }
    };
    if rows.is_empty() {
        return Ok(report);
    }
    let outcome = async {
        let pool = inner.pool(chain)?;
        let reader = Reader::for_chain(inner, chain, pool.clone())?;
        read_and_record(inner, chain, &pool, reader, &rows, started_at, report).await
    }
    .await;
    if outcome.is_err() {
        // Leave nothing leased behind: another sweep may read these rows at once.
        let keys: Vec<BalanceKey> = rows.iter().map(|row| row.key).collect();
        if let Err(err) = inner.store().release(holder, &keys) {
            tracing::warn!(error = %err, "cannot release the leases of a failed sweep");
        }
        // The progress it announced ends here too, or a listener would wait for it forever.
        inner.emit(Event::SyncProgress {
            chain: chain.name.clone(),
            done: rows.len(),
            total: rows.len(),
        });
    }
    outcome
}

/// Reads the leased rows and writes what was read. Values are stamped with the time the sweep
/// began, before anything was asked: never younger than they are.
async fn read_and_record(
    inner: &Inner,
    chain: &ChainRecord,
    pool: &EndpointPool,
    reader: Reader,
    rows: &[LeasedBalance],
    started_at: UnixMillis,
    mut report: SweepReport,
) -> Result<SweepReport> {
    let holder = inner.instance.id();
    inner.emit(Event::SyncProgress {
        chain: chain.name.clone(),
        done: 0,
        total: rows.len(),
    });
    let requests_before = pool.requests();
    let read = reader.read(chain, rows).await;
    let learned_genesis = match &reader {
        Reader::Solana(reader, _) if chain.genesis.is_none() => reader.learned_genesis(),
        _ => None,
    };
    let finished_at = inner.clock.now();

    let mut reads = Vec::new();
    let mut failures = Vec::new();
    let mut active_addresses = Vec::new();
    // Per address, its tier: hot if any of its balances changed in this sweep.
    let mut tiers: BTreeMap<AddressId, Tier> = BTreeMap::new();
    for (row, reading) in rows.iter().zip(read.readings) {
        match reading {
            Ok((raw, block)) => {
                let changed = row.raw.is_some_and(|before| before != raw);
                if changed {
                    active_addresses.push(row.key.address);
                }
                let tier = if changed {
                    Tier::Hot
                } else {
                    Tier::of(row.last_activity_at, row.added_at, finished_at)
                };
                let known = tiers.entry(row.key.address).or_insert(tier);
                if tier == Tier::Hot {
                    *known = Tier::Hot;
                }
                let next_due_at = schedule::after_success(finished_at, tier, &inner.ttls.get());
                reads.push(BalanceRead {
                    key: row.key,
                    raw,
                    block,
                    fetched_at: started_at,
                    next_due_at,
                });
            }
            Err(error) => {
                let next_due_at = schedule::after_failure(finished_at, row.error_count + 1);
                failures.push(BalanceFailure {
                    key: row.key,
                    error,
                    failed_at: started_at,
                    next_due_at,
                });
            }
        }
    }
    active_addresses.extend(read.discovered.iter().map(|found| found.owner));
    tiers.extend(read.discovered.iter().map(|found| (found.owner, Tier::Hot)));
    active_addresses.sort();
    active_addresses.dedup();

    report.requests = pool.requests() - requests_before;
    report.unreachable = read.unreachable;
    let standings: Vec<Standing> = (0..pool.len()).map(|index| pool.standing(index)).collect();
    // The sweep's results in one transaction; then, under the same lock, the cache learns what was
    // committed, before anyone can read the store (and never before the commit).
    let mut store = inner.store();
    let transitions = store.atomically(|store| {
        let discovered = record_discovered(
            store,
            chain,
            &read.discovered,
            started_at,
            &inner.ttls.get(),
        )?;
        reads.extend(discovered);
        report.read = reads.len();
        report.failed = failures.len();
        report.block = reads.iter().map(|read| read.block).max();
        if let Some(genesis) = &learned_genesis {
            store.set_chain_genesis(chain.id, genesis)?;
        }
        let outcome = store.record_sweep(holder, &reads, &failures)?;
        // A value superseded by a later block another process stored was read, but not written.
        report.read -= outcome.superseded;
        let tiers: Vec<(AddressId, &str)> = tiers
            .iter()
            .map(|(address, tier)| (*address, tier.as_str()))
            .collect();
        store.record_activity(&active_addresses, &tiers, finished_at)?;
        store.mark_used(&read.used)?;
        store.record_pending(&read.pending)?;
        remember_limits(store, chain, pool)?;
        let transitions = record_standings(store, chain, &standings, finished_at)?;
        let (cache_hits, cache_misses) = inner.cache.take_counts();
        store.insert_sync_run(
            chain.id,
            &SyncRun {
                started_at,
                finished_at,
                balances_ok: report.read as u64,
                balances_failed: report.failed as u64,
                rpc_requests: report.requests,
                cache_hits,
                cache_misses,
                error: report.unreachable.clone(),
            },
        )?;
        Ok::<_, anyhow::Error>(transitions)
    })?;
    // Rows the cache does not hold are read through it later.
    let cached: HashSet<BalanceKey> = reads
        .iter()
        .map(|read| read.key)
        .chain(failures.iter().map(|failure| failure.key))
        .filter(|key| inner.cache.holds(key))
        .collect();
    if !cached.is_empty() {
        for view in store.balances_of_chain(chain.id)? {
            if cached.contains(&view.balance.key) {
                inner.cache.insert(view);
            }
        }
    }
    drop(store);
    for event in transitions {
        inner.emit(event);
    }
    let total = report.read + report.failed;
    inner.emit(Event::SyncProgress {
        chain: chain.name.clone(),
        done: total,
        total,
    });
    inner.emit(Event::BalancesChanged {
        chain: chain.name.clone(),
        written: report.read,
        failed: report.failed,
    });
    tracing::info!(read = report.read, failed = report.failed, requests = report.requests, block = ?report.block, "sweep done");
    Ok(report)
}

/// The families whose balances a sweep can read.
pub(super) const SOURCED_FAMILIES: &[Family] = &Family::ALL;

async fn read_evm(reader: &EvmReader, rows: &[LeasedBalance]) -> RowsRead {
    let asks: Vec<Result<BalanceAsk, String>> = rows.iter().map(evm_ask).collect();
    let readable: Vec<BalanceAsk> = asks
        .iter()
        .filter_map(|ask| ask.as_ref().ok().copied())
        .collect();
    let readings = reader.balances(&readable).await;
    let mut values = readings
        .as_ref()
        .map(|readings| readings.values.clone())
        .unwrap_or_default()
        .into_iter();
    let readings_per_row = asks
        .iter()
        .map(|ask| match (ask, &readings) {
            (Err(why), _) | (Ok(_), Err(why)) => Err(why.clone()),
            (Ok(_), Ok(readings)) => values
                .next()
                .expect("a value per readable ask")
                .map(|raw| (raw, readings.block)),
        })
        .collect();
    RowsRead {
        readings: readings_per_row,
        discovered: Vec::new(),
        unreachable: readings.err(),
        used: Vec::new(),
        pending: Vec::new(),
    }
}

/// What to ask an EVM chain for a leased row; a stored address that no longer parses fails that row.
fn evm_ask(row: &LeasedBalance) -> Result<BalanceAsk, String> {
    let evm = |text: &str| match Address::parse_as(Family::Evm, text) {
        Ok(Address::Evm(address)) => Ok(address),
        _ => Err(format!("the stored address {text:?} is not an EVM address")),
    };
    Ok(BalanceAsk {
        owner: evm(&row.address)?,
        token: row.contract.as_deref().map(evm).transpose()?,
    })
}

/// Reads TRON rows owner by owner at the latest block: TRX and the listed TRC-20 amounts from the
/// account, `balanceOf` for watched tokens its list lacks, and tokens listed but not watched yet are
/// discovered.
async fn read_tron(
    reader: &TronReader,
    chain: &ChainRecord,
    rows: &[LeasedBalance],
    known: &HashSet<String>,
) -> RowsRead {
    let block = match reader.block().await {
        Ok(block) => block,
        Err(why) => return RowsRead::failed(rows.len(), why),
    };
    let mut owners: Vec<(AddressId, String)> = rows
        .iter()
        .map(|row| (row.key.address, row.address.clone()))
        .collect();
    owners.sort();
    owners.dedup();
    let names: Vec<String> = owners.iter().map(|(_, name)| name.clone()).collect();
    let by_owner: HashMap<AddressId, _> = owners
        .iter()
        .map(|(id, _)| *id)
        .zip(reader.accounts(&names).await)
        .collect();

    let unlisted: Vec<(String, String)> = rows
        .iter()
        .filter_map(|row| {
            let contract = row.contract.as_ref()?;
            let account = by_owner[&row.key.address].as_ref().ok()?;
            (!account.trc20.contains_key(contract)).then(|| (row.address.clone(), contract.clone()))
        })
        .collect();
    let called: HashMap<(String, String), Result<U256, String>> = unlisted
        .iter()
        .cloned()
        .zip(reader.balances_of(&unlisted).await)
        .collect();

    let readings: Vec<Reading> = rows
        .iter()
        .map(|row| {
            let account = by_owner[&row.key.address].as_ref().map_err(Clone::clone)?;
            let value = match &row.contract {
                None => account.sun,
                Some(contract) => match account.trc20.get(contract) {
                    Some(amount) => *amount,
                    None => called[&(row.address.clone(), contract.clone())].clone()?,
                },
            };
            Ok((value, block))
        })
        .collect();
    let unreachable = readings
        .iter()
        .all(Result::is_err)
        .then(|| readings.iter().find_map(|r| r.clone().err()))
        .flatten();

    let mut held: BTreeMap<String, Vec<(AddressId, U256)>> = BTreeMap::new();
    for (owner, account) in &by_owner {
        for (contract, amount) in account.iter().flat_map(|account| &account.trc20) {
            if !known.contains(contract) {
                held.entry(contract.clone())
                    .or_default()
                    .push((*owner, *amount));
            }
        }
    }
    let mut discovered = Vec::new();
    for (contract, holders) in held {
        match reader.token(&contract).await {
            Ok((symbol, decimals)) => {
                let token = NewToken {
                    chain: chain.id,
                    contract: contract.clone(),
                    symbol: symbol.clone(),
                    name: symbol,
                    decimals,
                };
                discovered.extend(holders.into_iter().map(|(owner, amount)| Discovered {
                    owner,
                    token: token.clone(),
                    reading: (amount, block),
                }));
            }
            Err(why) => {
                tracing::warn!(%contract, %why, "a held token could not be read; it is left out until it can")
            }
        }
    }
    RowsRead {
        readings,
        discovered,
        unreachable,
        used: Vec::new(),
        pending: Vec::new(),
    }
}

/// Reads Bitcoin rows (native only) at the tip's height.
async fn read_bitcoin(reader: &BitcoinReader, rows: &[LeasedBalance]) -> RowsRead {
    let height = match reader.tip_height().await {
        Ok(height) => height,
        Err(why) => return RowsRead::failed(rows.len(), why),
    };
    let addresses: Vec<String> = rows.iter().map(|row| row.address.clone()).collect();
    let read = reader.addresses(&addresses).await;
    let mut used = Vec::new();
    let mut pending = Vec::new();
    for (row, read) in rows.iter().zip(&read) {
        if let Ok(read) = read {
            if read.used {
                used.push(row.key.address);
            }
            pending.push((row.key, read.pending));
        }
    }
    let readings: Vec<Reading> = read
        .into_iter()
        .map(|read| read.map(|read| (read.confirmed, height)))
        .collect();
    let unreachable = readings
        .iter()
        .all(Result::is_err)
        .then(|| readings.iter().find_map(|r| r.clone().err()))
        .flatten();
    RowsRead {
        readings,
        discovered: Vec::new(),
        unreachable,
        used,
        pending,
    }
}

/// Reads Solana rows owner by owner. An owner's token listing is complete for both token programs,
/// so a mint it does not list holds zero, and a mint it lists that is not watched yet is discovered.
async fn read_solana(
    reader: &SolanaReader,
    chain: &ChainRecord,
    rows: &[LeasedBalance],
    known: &HashSet<String>,
) -> RowsRead {
    let mut owners: Vec<(AddressId, String)> = rows
        .iter()
        .map(|row| (row.key.address, row.address.clone()))
        .collect();
    owners.sort();
    owners.dedup();
    let names: Vec<String> = owners.iter().map(|(_, name)| name.clone()).collect();
    let readings = reader.read(&names).await;
    let by_owner: HashMap<AddressId, _> = owners.iter().map(|(id, _)| *id).zip(readings).collect();

    let readings_per_row: Vec<Reading> = rows
        .iter()
        .map(|row| {
            let owner = &by_owner[&row.key.address];
            match &row.contract {
                None => owner.lamports.clone(),
                Some(mint) => owner
                    .tokens
                    .as_ref()
                    .map(|(held, slot)| (held.get(mint).copied().unwrap_or_default(), *slot))
                    .map_err(Clone::clone),
            }
        })
        .collect();
    let unreachable = readings_per_row
        .iter()
        .all(Result::is_err)
        .then(|| {
            readings_per_row
                .iter()
                .find_map(|reading| reading.clone().err())
        })
        .flatten();

    // Mints held that are not watched yet: their decimals are read once, then they are watched.
    let mut new_mints: BTreeMap<String, Vec<(AddressId, U256, u64)>> = BTreeMap::new();
    for (owner, reading) in &by_owner {
        if let Ok((held, slot)) = &reading.tokens {
            for (mint, amount) in held.iter().filter(|(mint, _)| !known.contains(*mint)) {
                new_mints
                    .entry(mint.clone())
                    .or_default()
                    .push((*owner, *amount, *slot));
            }
        }
    }
    let mut discovered = Vec::new();
    if !new_mints.is_empty() {
        let mints: Vec<String> = new_mints.keys().cloned().collect();
        let decimals = reader.mint_decimals(&mints).await;
        for (mint, decimals) in mints.iter().zip(decimals) {
            let Ok(decimals) = decimals else {
                tracing::warn!(%mint, "a held token's mint could not be read; it is left out until it can");
                continue;
            };
            let token = NewToken {
                chain: chain.id,
                contract: mint.clone(),
                symbol: format!("{}…", &mint[..4.min(mint.len())]),
                name: mint.clone(),
                decimals,
            };
            for (owner, amount, slot) in &new_mints[mint] {
                discovered.push(Discovered {
                    owner: *owner,
                    token: token.clone(),
                    reading: (*amount, *slot),
                });
            }
        }
    }
    RowsRead {
        readings: readings_per_row,
        discovered,
        unreachable,
        used: Vec::new(),
        pending: Vec::new(),
    }
}

/// Watches the discovered tokens, for the addresses that hold them, and returns their readings.
fn record_discovered(
    store: &mut Store,
    chain: &ChainRecord,
    discovered: &[Discovered],
    now: UnixMillis,
    ttls: &crate::model::Ttls,
) -> Result<Vec<BalanceRead>> {
    if discovered.is_empty() {
        return Ok(Vec::new());
    }
    let tokens: Vec<NewToken> = discovered.iter().map(|found| found.token.clone()).collect();
    store.insert_found_tokens(&tokens)?;
    let ids: HashMap<String, crate::store::AssetId> = store
        .assets_of_chain(chain.id)?
        .into_iter()
        .filter_map(|asset| asset.contract.map(|contract| (contract, asset.id)))
        .collect();
    let next_due_at = schedule::after_success(now, Tier::Hot, ttls);
    Ok(discovered
        .iter()
        .map(|found| BalanceRead {
            key: BalanceKey {
                address: found.owner,
                asset: ids[&found.token.contract],
            },
            raw: found.reading.0,
            block: found.reading.1,
            fetched_at: now,
            next_due_at,
        })
        .collect())
}

fn remember_limits(store: &mut Store, chain: &ChainRecord, pool: &EndpointPool) -> Result<()> {
    let narrow = |size: Option<usize>| size.map(|size| u32::try_from(size).unwrap_or(u32::MAX));
    for (index, endpoint) in chain.endpoints.iter().enumerate() {
        let learned = pool.learned(index);
        let limits = EndpointLimits {
            chunk_size: narrow(learned.chunk),
            batch_size: if learned.no_batches {
                Some(0)
            } else {
                narrow(learned.batch)
            },
            batch_bytes: narrow(learned.batch_bytes),
        };
        if limits != endpoint.limits {
            store.set_endpoint_limits(chain.id, &endpoint.url, limits)?;
        }
    }
    Ok(())
}

/// Records which endpoints went offline or came back; returns the events to send.
fn record_standings(
    store: &mut Store,
    chain: &ChainRecord,
    standings: &[Standing],
    now: UnixMillis,
) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    for (endpoint, standing) in chain.endpoints.iter().zip(standings) {
        let shown = endpoint
            .url
            .parse()
            .map(|url| redact(&url))
            .unwrap_or_default();
        match (standing, endpoint.offline_since) {
            (Standing::Failing, None) => {
                store.set_endpoint_offline(chain.id, &endpoint.url, Some(now))?;
                events.push(Event::EndpointOffline {
                    chain: chain.name.clone(),
                    endpoint: shown,
                });
            }
            (Standing::Answering, Some(_)) => {
                store.set_endpoint_offline(chain.id, &endpoint.url, None)?;
                events.push(Event::EndpointOnline {
                    chain: chain.name.clone(),
                    endpoint: shown,
                });
            }
            _ => {}
        }
    }
    Ok(events)
}
