//! `holdings status`: the health checks of seed 002 and the last sweep of each chain.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::output::rfc3339;
use crate::chains::pool::redact;
use crate::clock::{Clock, SystemClock};
use crate::data_dir;
use crate::store::{Health, SyncRun};

/// Rows not read for this long are reported as not refreshed.
const REFRESH_EXPECTED_MS: i64 = 5 * 60 * 1_000;

#[derive(Debug, Serialize)]
struct Status {
    #[serde(flatten)]
    health: Health,
    /// Cached reads served from memory, over every sweep recorded; `None` before any cached read.
    cache_hit_rate: Option<f64>,
    chains: Vec<ChainStatus>,
}

#[derive(Debug, Serialize)]
struct ChainStatus {
    chain: String,
    active: bool,
    last_sweep: Option<SyncRun>,
    /// Endpoints not answering, shown without path or query.
    endpoints_offline: Vec<String>,
}

pub(super) fn run(dir: &Path, json: bool) -> Result<()> {
    let store = data_dir::open(dir)?;
    let now = SystemClock.now();
    let health = store.health(now, now - REFRESH_EXPECTED_MS)?;
    let chains = store
        .chains()?
        .into_iter()
        .map(|chain| {
            let endpoints_offline = chain
                .endpoints
                .iter()
                .filter(|endpoint| endpoint.offline_since.is_some())
                .map(|endpoint| {
                    endpoint
                        .url
                        .parse()
                        .map(|url| redact(&url))
                        .unwrap_or_default()
                })
                .collect();
            Ok(ChainStatus {
                last_sweep: store.last_sync_run(chain.id)?,
                chain: chain.name,
                active: chain.active,
                endpoints_offline,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (hits, misses) = store.cache_totals()?;
    let cache_hit_rate = (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64);
    let status = Status {
        health,
        cache_hit_rate,
        chains,
    };
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&status)?)?;
        return Ok(());
    }
    let h = status.health;
    writeln!(
        out,
        "wallets {}, addresses {}, balances {}",
        h.wallets, h.addresses, h.balances
    )?;
    writeln!(out, "never read            {}", h.never_read)?;
    writeln!(out, "not refreshed in 5 min {}", h.not_refreshed)?;
    writeln!(
        out,
        "failing               {} (more than 10 times: {})",
        h.failing, h.failing_repeatedly
    )?;
    writeln!(
        out,
        "leases held           {} (expired: {})",
        h.leases_held, h.stale_leases
    )?;
    match status.cache_hit_rate {
        Some(rate) => writeln!(out, "cache hit rate        {:.1} %", rate * 100.0)?,
        None => writeln!(out, "cache hit rate        no cached reads yet")?,
    }
    for chain in status.chains.iter().filter(|chain| chain.active) {
        if !chain.endpoints_offline.is_empty() {
            writeln!(
                out,
                "{:<10} not answering: {}",
                chain.chain,
                chain.endpoints_offline.join(", ")
            )?;
        }
        match &chain.last_sweep {
            Some(run) => writeln!(
                out,
                "{:<10} last sweep {}: {} ok, {} failed, {} requests",
                chain.chain,
                rfc3339(run.finished_at),
                run.balances_ok,
                run.balances_failed,
                run.rpc_requests
            )?,
            None => writeln!(out, "{:<10} never swept", chain.chain)?,
        }
    }
    Ok(())
}
