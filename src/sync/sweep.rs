//! One sweep of one chain: lease the rows to read, read them all at one block, then in one step
//! write the results, the sweep's record and what the endpoints were found to take, and update the
//! cache from what was committed.

use alloy_primitives::Address as EvmAddress;
use anyhow::{Context, Result};
use tracing::Instrument;

use super::engine::Inner;
use super::events::Event;
use super::schedule::{self, Tier};
use crate::chains::evm::{BalanceAsk, EvmReader};
use crate::chains::pool::{EndpointPool, Learned, PoolPolicy, Standing, redact};
use crate::model::{Address, Family};
use crate::store::{
    BalanceFailure, BalanceKey, BalanceRead, ChainRecord, EndpointLimits, LeasedBalance, Store,
    SyncRun,
};

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

/// A reader for an EVM chain over its endpoints, starting from what they were found to take before.
pub fn evm_reader(chain: &ChainRecord, policy: PoolPolicy) -> Result<EvmReader> {
    let urls = chain
        .endpoints
        .iter()
        .map(|endpoint| {
            endpoint
                .url
                .parse()
                .with_context(|| format!("the stored endpoint {:?} is not a URL", endpoint.url))
        })
        .collect::<Result<Vec<_>>>()?;
    let pool = EndpointPool::new(urls, policy);
    for (index, endpoint) in chain.endpoints.iter().enumerate() {
        if endpoint.offline_since.is_some() {
            pool.known_offline(index);
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
    sweep(inner, chain, selection).instrument(span).await
}

async fn sweep(inner: &Inner, chain: &ChainRecord, selection: &Selection) -> Result<SweepReport> {
    let mut report = SweepReport {
        chain: chain.name.clone(),
        ..SweepReport::default()
    };
    if chain.family != Family::Evm || !chain.active {
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
    inner.emit(Event::SyncProgress {
        chain: chain.name.clone(),
        done: 0,
        total: rows.len(),
    });
    let reader = evm_reader(chain, inner.policy.clone())?;
    let asks: Vec<Result<BalanceAsk, String>> = rows.iter().map(ask_for).collect();
    let readable: Vec<BalanceAsk> = asks
        .iter()
        .filter_map(|ask| ask.as_ref().ok().copied())
        .collect();
    let readings = reader.balances(&readable).await;
    let finished_at = inner.clock.now();

    let mut values = readings
        .as_ref()
        .map(|readings| readings.values.clone())
        .unwrap_or_default()
        .into_iter();
    let mut reads = Vec::new();
    let mut failures = Vec::new();
    let mut active_addresses = Vec::new();
    for (row, ask) in rows.iter().zip(&asks) {
        let outcome = match (ask, &readings) {
            (Err(why), _) | (Ok(_), Err(why)) => Err(why.clone()),
            (Ok(_), Ok(readings)) => values
                .next()
                .expect("a value per readable ask")
                .map(|raw| (raw, readings.block)),
        };
        match outcome {
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
                let next_due_at = schedule::after_success(finished_at, tier, &inner.ttls);
                reads.push(BalanceRead {
                    key: row.key,
                    raw,
                    block,
                    fetched_at: finished_at,
                    next_due_at,
                });
            }
            Err(error) => {
                let next_due_at = schedule::after_failure(finished_at, row.error_count + 1);
                failures.push(BalanceFailure {
                    key: row.key,
                    error,
                    failed_at: finished_at,
                    next_due_at,
                });
            }
        }
    }
    active_addresses.dedup();

    report.read = reads.len();
    report.failed = failures.len();
    report.requests = reader.pool().requests();
    report.block = readings.as_ref().ok().map(|readings| readings.block);
    report.unreachable = readings.err();
    let standings: Vec<Standing> = (0..reader.pool().len())
        .map(|index| reader.pool().standing(index))
        .collect();
    let transitions = {
        let mut store = inner.store();
        store.record_sweep(holder, &reads, &failures)?;
        store.touch_activity(&active_addresses, finished_at)?;
        remember_limits(&mut store, chain, reader.pool())?;
        let transitions = record_standings(&mut store, chain, &standings, finished_at)?;
        let (cache_hits, cache_misses) = inner.cache.take_counts();
        store.insert_sync_run(
            chain.id,
            &SyncRun {
                chain_id: Some(chain.id),
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
        // The cache learns what was committed, in the same step, before anyone can read the store.
        let swept: std::collections::HashSet<BalanceKey> = rows.iter().map(|row| row.key).collect();
        for view in store.balances_of_chain(chain.id)? {
            if swept.contains(&view.balance.key) {
                inner.cache.insert(view);
            }
        }
        transitions
    };
    for event in transitions {
        inner.emit(event);
    }
    inner.emit(Event::SyncProgress {
        chain: chain.name.clone(),
        done: rows.len(),
        total: rows.len(),
    });
    inner.emit(Event::BalancesChanged {
        chain: chain.name.clone(),
        written: report.read,
        failed: report.failed,
    });
    tracing::info!(read = report.read, failed = report.failed, requests = report.requests, block = ?report.block, "sweep done");
    Ok(report)
}

/// What to ask the chain for a leased row; a stored address that no longer parses fails that row.
fn ask_for(row: &LeasedBalance) -> Result<BalanceAsk, String> {
    let evm = |text: &str| match Address::parse_as(Family::Evm, text) {
        Ok(Address::Evm(address)) => Ok(address),
        _ => Err(format!("the stored address {text:?} is not an EVM address")),
    };
    Ok(BalanceAsk {
        owner: evm(&row.address)?,
        token: row.contract.as_deref().map(evm).transpose()?,
    })
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
    now: crate::clock::UnixMillis,
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
