//! `holdings sync`, `holdings preload` and `holdings watch`: the engine's passes from the command line.

use std::io::Write;

use anyhow::{Result, bail};

use super::output;
use crate::api::{ChainSweep, Event, Holdings, PriceRefresh, SyncOutcome};

/// Which pass to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// What is due.
    Due,
    /// Everything, TTLs ignored.
    Everything,
}

pub(super) async fn run(holdings: &Holdings, chain: Option<&str>, pass: Pass) -> Result<()> {
    let outcome = match pass {
        Pass::Due => holdings.sync_due(chain).await?,
        Pass::Everything => holdings.preload(chain).await?,
    };
    let priced = outcome
        .prices
        .as_ref()
        .is_some_and(|prices| prices.asked > 0);
    if pass == Pass::Due && !priced && !outcome.chains.iter().any(swept) {
        return nothing_due(holdings);
    }
    report(&outcome)
}

/// Whether a chain's sweep did anything to tell: read, failed, found, or could not start.
fn swept(report: &ChainSweep) -> bool {
    report.read + report.failed + report.found > 0 || report.unreachable.is_some()
}

/// Says, in one line, that nothing was due and when something is.
fn nothing_due(holdings: &Holdings) -> Result<()> {
    let line = match holdings.next_due_at()? {
        None => {
            "nothing to read: no address is watched yet (`holdings wallet add ADDRESS`)".to_owned()
        }
        Some(at) => {
            let now = chrono::Utc::now().timestamp_millis();
            let when = output::rfc3339(at);
            let wait = (at - now + 999).max(0) / 1_000;
            format!(
                "nothing is due; the next read is due in {} ({when}); `holdings preload` reads everything now",
                output::age_words(wait)
            )
        }
    };
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}

/// Prints a line per chain swept, and one for prices when any were asked for; fails when nothing
/// at all could be read, naming the endpoints.
fn report(outcome: &SyncOutcome) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let mut unreachable = Vec::new();
    let mut read_any = false;
    for report in outcome.chains.iter().filter(|report| swept(report)) {
        read_any |= report.read > 0;
        let block = report
            .block
            .map(|block| format!(" at block {block}"))
            .unwrap_or_default();
        let found = match report.found {
            0 => String::new(),
            found => format!(", {found} token(s) found"),
        };
        writeln!(
            out,
            "{}: {} read, {} failed{block}, {} request(s){found}",
            report.chain, report.read, report.failed, report.requests
        )?;
        if let Some(why) = &report.unreachable {
            unreachable.push(format!("{}: {why}", report.chain));
        }
    }
    if let Some(prices) = &outcome.prices {
        print_prices(&mut out, prices)?;
    }
    if !read_any && !unreachable.is_empty() {
        bail!("nothing could be read; {}", unreachable.join("; "));
    }
    Ok(())
}

/// Looks for every candidate token now, and says what was found per chain.
pub(super) async fn discover(holdings: &Holdings, chain: Option<&str>) -> Result<()> {
    let reports = holdings.discover(chain).await?;
    let mut out = std::io::stdout().lock();
    let mut unreachable = Vec::new();
    for report in reports.iter().filter(|report| report.requests > 0) {
        writeln!(
            out,
            "{}: {} token(s) found, {} request(s)",
            report.chain, report.found, report.requests
        )?;
        if let Some(why) = &report.unreachable {
            unreachable.push(format!("{}: {why}", report.chain));
        }
    }
    if !unreachable.is_empty() && reports.iter().all(|report| report.found == 0) {
        bail!("nothing could be read; {}", unreachable.join("; "));
    }
    Ok(())
}

fn print_prices(out: &mut impl Write, prices: &PriceRefresh) -> std::io::Result<()> {
    write!(
        out,
        "prices ({}): {} of {} read, {} request(s)",
        prices.source, prices.written, prices.asked, prices.requests
    )?;
    match &prices.failed {
        // the prices held stay in use: not a failure of the sync
        Some(why) => writeln!(out, "; failed: {why}; the last known prices stay in use"),
        None => writeln!(out),
    }
}

/// Syncs on schedule until Ctrl-C, then stops once the writes under way are done.
pub(super) async fn watch(holdings: &Holdings) -> Result<()> {
    let mut events = holdings.subscribe();
    holdings.start_sync();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "watching (instance {}); Ctrl-C stops",
        holdings.instance_id()
    )?;
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
                Ok(Event::PricesChanged { written }) => {
                    writeln!(out, "prices: {written} read")?;
                    out.flush()?;
                }
                Ok(Event::SyncProgress { .. }) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    holdings.shutdown().await?;
    writeln!(out, "stopped")?;
    Ok(())
}
