//! One sweep of one chain: lease the rows to read, read them all at one block, write the results and
//! the sweep's record in one transaction each, remember what the endpoints were found to take.

use alloy_primitives::Address as EvmAddress;
use anyhow::{Context, Result};

use crate::chains::evm::{BalanceAsk, EvmReader};
use crate::chains::pool::{EndpointPool, Learned, PoolPolicy};
use crate::clock::{Clock, UnixMillis};
use crate::model::{Address, Family, Ttls};
use crate::store::{
    BalanceFailure, BalanceRead, ChainRecord, EndpointLimits, LeasedBalance, Store, SyncRun,
};

/// How long a sweep's leases hold before another process may take the rows.
const LEASE_MS: i64 = 2 * 60 * 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMode {
    /// Rows whose next read is due.
    Due,
    /// Every row, TTLs ignored (preload).
    Everything,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Sweeps `chain`: reads the rows `mode` selects and writes what was read. Rows of families whose
/// source has not landed yet are left alone.
pub async fn sweep_chain(
    store: &mut Store,
    chain: &ChainRecord,
    holder: &str,
    clock: &dyn Clock,
    mode: SweepMode,
    policy: PoolPolicy,
) -> Result<SweepReport> {
    let mut report = SweepReport {
        chain: chain.name.clone(),
        read: 0,
        failed: 0,
        requests: 0,
        block: None,
        unreachable: None,
    };
    if chain.family != Family::Evm {
        return Ok(report);
    }
    let started_at = clock.now();
    let rows = store.claim(
        chain.id,
        holder,
        started_at,
        started_at + LEASE_MS,
        mode == SweepMode::Due,
        usize::MAX,
    )?;
    if rows.is_empty() {
        return Ok(report);
    }
    let reader = evm_reader(chain, policy)?;
    let asks: Vec<Result<BalanceAsk, String>> = rows.iter().map(ask_for).collect();
    let readable: Vec<BalanceAsk> = asks
        .iter()
        .filter_map(|ask| ask.as_ref().ok().copied())
        .collect();
    let readings = reader.balances(&readable).await;
    let finished_at = clock.now();
    let next_due_at = finished_at + Ttls::default().ui.as_millis() as UnixMillis;

    let mut values = match &readings {
        Ok(readings) => readings.values.clone().into_iter(),
        Err(_) => Vec::new().into_iter(),
    };
    let mut reads = Vec::new();
    let mut failures = Vec::new();
    for (row, ask) in rows.iter().zip(&asks) {
        let outcome = match (ask, &readings) {
            (Err(why), _) => Err(why.clone()),
            (Ok(_), Err(why)) => Err(why.clone()),
            (Ok(_), Ok(readings)) => values
                .next()
                .expect("a value per readable ask")
                .map(|raw| (raw, readings.block)),
        };
        match outcome {
            Ok((raw, block)) => reads.push(BalanceRead {
                key: row.key,
                raw,
                block,
                fetched_at: finished_at,
                next_due_at,
            }),
            Err(error) => failures.push(BalanceFailure {
                key: row.key,
                error,
                failed_at: finished_at,
                next_due_at,
            }),
        }
    }
    store.record_sweep(holder, &reads, &failures)?;
    remember_limits(store, chain, reader.pool())?;

    report.read = reads.len();
    report.failed = failures.len();
    report.requests = reader.pool().requests();
    report.block = readings.as_ref().ok().map(|readings| readings.block);
    report.unreachable = readings.err();
    store.insert_sync_run(
        chain.id,
        &SyncRun {
            chain_id: Some(chain.id),
            started_at,
            finished_at,
            balances_ok: report.read as u64,
            balances_failed: report.failed as u64,
            rpc_requests: report.requests,
            cache_hits: 0,
            cache_misses: 0,
            error: report.unreachable.clone(),
        },
    )?;
    tracing::info!(chain = %chain.name, read = report.read, failed = report.failed, requests = report.requests, "sweep done");
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
