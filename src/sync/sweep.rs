//! One sweep of one chain: lease the rows to read, ask the chain's source for them, then in one
//! transaction write the results, any tokens discovered, the sweep's record and what the endpoints
//! were found to take, update the cache from what was committed, and report.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;
use tracing::Instrument;

use super::events::Event;
use super::panics::caught;
use super::schedule::{self, Tier};
use super::state::EngineState;
use super::watch_keys;
use crate::chains::pool::{EndpointPool, Standing, redact};
use crate::chains::{Discovered, Row, Source};
use crate::clock::UnixMillis;
use crate::store::{
    AddressId, BalanceFailure, BalanceKey, BalanceRead, ChainRecord, EndpointLimits, LeasedBalance,
    NewToken, Pick, Store, SyncRun,
};

/// Rounds of gap-limit growth one sweep makes at most (each derives up to 20 addresses a branch).
const MAX_GAP_ROUNDS: usize = 100;

/// How long a sweep's leases hold before another process may take the rows.
const LEASE_MS: i64 = 2 * 60 * 1_000;

/// Which rows of a chain a sweep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Those whose next read is due: what the background scheduler reads.
    Due,
    /// Those, and those backing off after failures: what a user's own `sync` reads.
    DueOrFailing,
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
    /// Candidate tokens found held by discovery, each now with a row.
    pub found: usize,
    /// Why nothing could be read at all (every endpoint failed), naming the endpoints.
    pub unreachable: Option<String>,
}

/// Sweeps the rows of `chain` that `selection` picks, and those of its watch keys' addresses that
/// the sweep's findings call for.
pub(super) async fn sweep_chain(
    inner: &EngineState,
    chain: &ChainRecord,
    selection: &Selection,
) -> Result<SweepReport> {
    let span = tracing::info_span!("sweep", chain = %chain.name);
    async {
        let mut report = sweep(inner, chain, selection).await?;
        // Used addresses move a watch key's gap limit: derive further and read those, until it holds.
        for round in 1.. {
            let grown = watch_keys::extend(&mut inner.store(), chain, inner.clock.now())?;
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
        Ok(report)
    }
    .instrument(span)
    .await
}

async fn sweep(
    inner: &EngineState,
    chain: &ChainRecord,
    selection: &Selection,
) -> Result<SweepReport> {
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
        let mut claim = |pick| store.claim(chain.id, holder, started_at, until, pick, usize::MAX);
        match selection {
            Selection::Due => claim(Pick::Due)?,
            Selection::DueOrFailing => claim(Pick::DueOrFailing)?,
            Selection::Everything => claim(Pick::All)?,
            Selection::Keys(keys) => store.claim_keys(keys, holder, started_at, until)?,
        }
    };
    if rows.is_empty() {
        return Ok(report);
    }
    // Rows a user's sync read early, every one backing off after failures, that failed again are
    // no failure of the sync: the scheduler would not have read them yet.
    let read_early = *selection == Selection::DueOrFailing
        && rows.iter().all(|row| row.next_due_at > started_at);
    let outcome = caught(async {
        let (pool, source) = inner.source(chain)?;
        read_and_record(inner, chain, &pool, &*source, &rows, started_at, report).await
    })
    .await
    .map(|report| SweepReport {
        unreachable: report.unreachable.filter(|_| !read_early),
        ..report
    });
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
    inner: &EngineState,
    chain: &ChainRecord,
    pool: &EndpointPool,
    source: &dyn Source,
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
    let asks: Vec<Row> = rows.iter().map(Row::from).collect();
    let read = source.read(&asks).await;
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
            &read.new_tokens,
            started_at,
            &inner.ttls.get(),
        )?;
        reads.extend(discovered);
        report.read = reads.len();
        report.failed = failures.len();
        report.block = reads.iter().map(|read| read.block).max();
        if let Some(genesis) = &read.genesis {
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
        remember_pins(store, chain, pool)?;
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

/// Adds the tokens new to the chain, and returns the readings of what owners were found to hold,
/// each then watched for its owner.
pub(super) fn record_discovered(
    store: &mut Store,
    chain: &ChainRecord,
    discovered: &[Discovered],
    new_tokens: &[NewToken],
    now: UnixMillis,
    ttls: &crate::model::Ttls,
) -> Result<Vec<BalanceRead>> {
    if discovered.is_empty() {
        return Ok(Vec::new());
    }
    store.insert_found_tokens(new_tokens)?;
    let ids: HashMap<String, crate::store::AssetId> = store
        .assets_of_chain(chain.id)?
        .into_iter()
        .filter_map(|asset| asset.contract.map(|contract| (contract, asset.id)))
        .collect();
    let next_due_at = schedule::after_success(now, Tier::Hot, ttls);
    Ok(discovered
        .iter()
        .filter_map(|found| {
            Some(BalanceRead {
                key: BalanceKey {
                    address: found.owner,
                    asset: *ids.get(&found.contract)?,
                },
                raw: found.reading.0,
                block: found.reading.1,
                fetched_at: now,
                next_due_at,
            })
        })
        .collect())
}

pub(super) fn remember_limits(
    store: &mut Store,
    chain: &ChainRecord,
    pool: &EndpointPool,
) -> Result<()> {
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
            lists_accounts: learned.lists_accounts,
        };
        if limits != endpoint.limits {
            store.set_endpoint_limits(chain.id, &endpoint.url, limits)?;
        }
    }
    Ok(())
}

/// Keeps the certificates the pool pinned on first use (Electrum servers over TLS that no trusted
/// root vouches for), so later pools trust those endpoints with those certificates only.
fn remember_pins(store: &mut Store, chain: &ChainRecord, pool: &EndpointPool) -> Result<()> {
    for (index, fingerprint) in pool.learned_pins() {
        if let Some(endpoint) = chain.endpoints.get(index) {
            store.pin_endpoint(chain.id, &endpoint.url, &fingerprint.to_hex())?;
        }
    }
    Ok(())
}

/// Records which endpoints went offline or came back; returns the events to send.
pub(super) fn record_standings(
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
