//! `holdings sync` and `holdings preload`: one pass over a chain's rows, then exit.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use super::NotAvailableYet;
use crate::chains::pool::PoolPolicy;
use crate::clock::SystemClock;
use crate::data_dir;
use crate::model::Family;
use crate::sync::{SweepMode, sweep_chain};

pub(super) fn run(dir: &Path, chain: Option<&str>, mode: SweepMode) -> Result<()> {
    let mut store = data_dir::open(dir)?;
    let chains = match chain {
        Some(name) => {
            let Some(chain) = store.chain_by_name(name)? else {
                bail!("there is no chain named {name:?}; `holdings chain list` shows them");
            };
            if chain.family != Family::Evm {
                return Err(NotAvailableYet("sync of Solana, TRON and Bitcoin chains").into());
            }
            vec![chain]
        }
        None => store
            .chains()?
            .into_iter()
            .filter(|chain| chain.active && chain.family == Family::Evm)
            .collect(),
    };
    let holder = format!("cli-{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut out = std::io::stdout().lock();
    let mut unreachable = Vec::new();
    let mut read_any = false;
    for chain in &chains {
        let report = runtime.block_on(sweep_chain(
            &mut store,
            chain,
            &holder,
            &SystemClock,
            mode,
            PoolPolicy::default(),
        ))?;
        if report.read + report.failed == 0 {
            continue;
        }
        read_any |= report.read > 0;
        let block = report
            .block
            .map(|block| format!(" at block {block}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}: {} read, {} failed{block}, {} request(s)",
            report.chain, report.read, report.failed, report.requests
        )?;
        if let Some(why) = report.unreachable {
            unreachable.push(format!("{}: {why}", report.chain));
        }
    }
    if !read_any && !unreachable.is_empty() {
        bail!("nothing could be read; {}", unreachable.join("; "));
    }
    Ok(())
}
