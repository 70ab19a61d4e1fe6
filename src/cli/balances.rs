//! `holdings balances`: what the store holds, with the freshness of each value.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use super::output::{age_words, printable, rfc3339};
use crate::clock::{Clock, SystemClock, UnixMillis};
use crate::data_dir;
use crate::model::{Address, Amount, Freshness, Ttls};
use crate::store::{BalanceView, WalletId};
use crate::sync::{Engine, EngineConfig, Read, Scope};

#[derive(Debug, Args)]
pub(super) struct BalancesArgs {
    #[arg(long)]
    json: bool,
    /// Also show zero, dust, hidden, never-read and failed rows.
    #[arg(long)]
    all: bool,
    /// Only the wallet holding this address.
    #[arg(long, value_name = "ADDRESS")]
    wallet: Option<String>,
    /// Read again anything older than this before showing it; fail rather than show an older value.
    #[arg(long, value_name = "SECONDS")]
    max_age: Option<u64>,
}

/// One element of `balances --json`; the field names are a public interface.
#[derive(Debug, Serialize)]
struct BalanceJson {
    chain: String,
    address: String,
    asset: String,
    symbol: String,
    decimals: u8,
    raw: Option<String>,
    amount: Option<String>,
    block: Option<u64>,
    updated_at: Option<String>,
    age_seconds: Option<i64>,
    freshness: Freshness,
    error: Option<String>,
    /// Base units unconfirmed transactions would add (or, negative, take), where the chain shows it
    /// apart (Bitcoin); not part of `raw`.
    pending: Option<String>,
}

pub(super) fn run(dir: &Path, args: &BalancesArgs) -> Result<()> {
    let store = data_dir::open(dir)?;
    let ttls = store.saved_ttls()?.unwrap_or_default();
    let wallet = match &args.wallet {
        Some(text) => {
            let address =
                Address::parse(text).with_context(|| format!("--wallet {:?}", printable(text)))?;
            let Some(record) = store.find_address(&address)? else {
                bail!("no wallet holds the address {address}; `holdings wallet list` shows them");
            };
            Some(record.wallet_id)
        }
        None => None,
    };
    let views: Vec<BalanceView> = match args.max_age {
        None => match wallet {
            Some(wallet) => store.balances_of_wallet(wallet)?,
            None => store.all_balances()?,
        },
        Some(seconds) => {
            drop(store);
            current_views(dir, wallet, Duration::from_secs(seconds))?
        }
    };
    let now = SystemClock.now();
    let rows: Vec<BalanceJson> = views
        .iter()
        .filter(|view| args.all || worth_showing(view))
        .map(|view| to_json(view, ttls, now))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        print_table(&mut out, &rows, args.all)?;
    }
    Ok(())
}

/// Without --all, a row shows when it holds a value that matters: read at least once, not zero, not
/// dust, and of an asset the user has not hidden.
fn worth_showing(view: &BalanceView) -> bool {
    match view.balance.raw {
        Some(raw) => {
            let amount = Amount::new(raw, view.decimals);
            !view.hidden && !amount.is_zero() && !amount.is_dust()
        }
        None => false,
    }
}

/// Every balance in scope as read within `max_age`: older ones are read again first, and one that
/// cannot be is an error naming it.
fn current_views(
    dir: &Path,
    wallet: Option<WalletId>,
    max_age: Duration,
) -> Result<Vec<BalanceView>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let engine = Engine::open(dir, EngineConfig::default())?;
        let scope = wallet.map_or(Scope::All, Scope::Wallet);
        let balances = engine.balances(scope, Read::Current(max_age)).await;
        engine.shutdown().await?;
        Ok(balances?
            .into_iter()
            .map(|balance| (*balance.view).clone())
            .collect())
    })
}

fn to_json(view: &BalanceView, ttls: Ttls, now: UnixMillis) -> BalanceJson {
    let balance = &view.balance;
    BalanceJson {
        chain: view.chain.clone(),
        address: view.address.clone(),
        asset: view.contract.clone().unwrap_or_else(|| "native".into()),
        symbol: view.symbol.clone(),
        decimals: view.decimals,
        raw: balance.raw.map(|raw| raw.to_string()),
        amount: balance
            .raw
            .map(|raw| Amount::new(raw, view.decimals).to_string()),
        block: balance.block,
        updated_at: balance.fetched_at.map(rfc3339),
        age_seconds: balance.fetched_at.map(|at| ((now - at) / 1_000).max(0)),
        freshness: ttls.classify(balance.fetched_at, balance.last_error_at, now),
        error: balance.last_error.clone(),
        pending: balance
            .pending
            .filter(|pending| *pending != 0)
            .map(|pending| pending.to_string()),
    }
}

fn print_table(out: &mut impl Write, rows: &[BalanceJson], all: bool) -> std::io::Result<()> {
    if rows.is_empty() {
        if all {
            writeln!(
                out,
                "no balances yet: add an address with `holdings wallet add ADDRESS`"
            )?;
        } else {
            writeln!(
                out,
                "nothing to show: no balance read yet is above dust (--all shows every row)"
            )?;
        }
        return Ok(());
    }
    for row in rows {
        let amount = row.amount.as_deref().unwrap_or("—");
        let freshness = match (row.freshness, row.age_seconds) {
            (Freshness::Fresh, _) | (Freshness::Never | Freshness::Error, _) | (_, None) => {
                row.freshness.as_str().to_owned()
            }
            (state, Some(age)) => format!("{} · {} ago", state.as_str(), age_words(age)),
        };
        writeln!(
            out,
            "{:<10} {:<44} {:>32} {:<8} {}{}",
            row.chain,
            row.address,
            amount,
            printable(&row.symbol),
            freshness,
            row.error
                .as_deref()
                .map(|err| format!(" ({})", printable(err)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
