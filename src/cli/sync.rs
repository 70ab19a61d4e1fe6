//! `holdings sync`, `holdings preload` and `holdings watch`: the engine's passes from the command line.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use crate::sync::{Engine, EngineConfig, Event, Scope, SweepReport};

/// Which pass to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// What is due.
    Due,
    /// Everything, TTLs ignored.
    Everything,
}

pub(super) fn run(dir: &Path, chain: Option<&str>, pass: Pass) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let engine = Engine::open(dir, EngineConfig::default())?;
        let only = match chain {
            Some(name) => {
                let Some(chain) = engine.with_store(|store| store.chain_by_name(name))? else {
                    bail!("there is no chain named {name:?}; `holdings chain list` shows them");
                };
                Some(chain.id)
            }
            None => None,
        };
        let reports = match pass {
            Pass::Due => engine.sync_due(only).await,
            Pass::Everything => engine.preload(only.map_or(Scope::All, Scope::Chain)).await,
        };
        engine.shutdown().await?;
        report(&reports?)
    })
}

/// Prints a line per chain swept; fails when nothing at all could be read, naming the endpoints.
fn report(reports: &[SweepReport]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let mut unreachable = Vec::new();
    let mut read_any = false;
    for report in reports
        .iter()
        .filter(|report| report.read + report.failed > 0)
    {
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
        if let Some(why) = &report.unreachable {
            unreachable.push(format!("{}: {why}", report.chain));
        }
    }
    if !read_any && !unreachable.is_empty() {
        bail!("nothing could be read; {}", unreachable.join("; "));
    }
    Ok(())
}

/// Syncs on schedule until Ctrl-C, then stops once the writes under way are done.
pub(super) fn watch(dir: &Path) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let engine = Engine::open(dir, EngineConfig::default())?;
        let mut events = engine.subscribe();
        engine.start();
        let mut out = std::io::stdout().lock();
        writeln!(out, "watching (instance {}); Ctrl-C stops", engine.instance_id())?;
        out.flush()?;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                event = events.recv() => match event {
                    Ok(Event::BalancesChanged { chain, written, failed }) => {
                        writeln!(out, "{chain}: {written} read, {failed} failed")?;
                        out.flush()?;
                    }
                    Ok(Event::EndpointOffline { chain, endpoint }) => writeln!(out, "{chain}: {endpoint} is not answering")?,
                    Ok(Event::EndpointOnline { chain, endpoint }) => writeln!(out, "{chain}: {endpoint} answers again")?,
                    Ok(Event::SyncProgress { .. }) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        engine.shutdown().await?;
        writeln!(out, "stopped")?;
        Ok(())
    })
}
