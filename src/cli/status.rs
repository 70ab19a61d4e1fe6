//! `holdings status`: the health checks of seed 002 and the last sweep of each chain.

use std::io::Write;

use anyhow::Result;

use super::output::rfc3339;
use crate::api::Holdings;

pub(super) fn run(holdings: &Holdings, json: bool) -> Result<()> {
    let status = holdings.status()?;
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
