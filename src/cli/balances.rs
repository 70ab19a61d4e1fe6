//! `holdings balances`: what the store holds, with the freshness of each value.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::output::{age_words, printable, rfc3339, usd};
use crate::api::{BalanceRow, Holdings};
use crate::model::{CURRENCY, Freshness};

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
    /// The price of a whole unit and the value, exact; null without a usable price.
    price: Option<String>,
    value: Option<String>,
    currency: &'static str,
    price_updated_at: Option<String>,
}

pub(super) async fn run(holdings: &Holdings, args: &BalancesArgs) -> Result<()> {
    let wallet = match &args.wallet {
        Some(text) => Some(
            holdings
                .wallet_of(text)
                .with_context(|| format!("--wallet {text:?}"))?,
        ),
        None => None,
    };
    let max_age = args.max_age.map(Duration::from_secs);
    let rows: Vec<BalanceJson> = holdings
        .balances_of(wallet, max_age)
        .await?
        .iter()
        .filter(|row| args.all || worth_showing(row))
        .map(to_json)
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
fn worth_showing(row: &BalanceRow) -> bool {
    row.raw.is_some() && !row.hidden && !row.zero && !row.dust
}

fn to_json(row: &BalanceRow) -> BalanceJson {
    BalanceJson {
        chain: row.chain.clone(),
        address: row.address.clone(),
        asset: row.contract.clone().unwrap_or_else(|| "native".into()),
        symbol: row.symbol.clone(),
        decimals: row.decimals,
        raw: row.raw.clone(),
        amount: row.amount.clone(),
        block: row.block,
        updated_at: row.read_at.map(rfc3339),
        age_seconds: row.age_seconds,
        freshness: row.freshness,
        error: row.error.clone(),
        pending: row.pending.clone(),
        price: row.price.clone(),
        value: row.value.clone(),
        currency: CURRENCY,
        price_updated_at: row.price_updated_at.map(rfc3339),
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
            "{:<10} {:<44} {:>32} {:<8} {:>16} {}{}",
            row.chain,
            row.address,
            amount,
            printable(&row.symbol),
            usd(row.value.as_deref()),
            freshness,
            row.error
                .as_deref()
                .map(|err| format!(" ({})", printable(err)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
