//! `holdings price source|key`, `holdings prices` and `holdings portfolio`: where prices come from,
//! the prices held, and what everything is worth.

use std::io::Write;

use anyhow::{Result, ensure};
use clap::Subcommand;
use serde::Serialize;

use super::output::{age_words, printable, rfc3339, usd};
use crate::api::{Holdings, Portfolio, PriceRow};
use crate::model::PriceSourceKind;

#[derive(Debug, Subcommand)]
pub(super) enum PriceCommand {
    /// Choose where prices are read: defillama (the default, keyless), coingecko, or none.
    Source {
        kind: PriceSourceKind,
        /// The API's base URL, instead of the source's public one.
        #[arg(long, value_name = "BASE")]
        url: Option<String>,
    },
    /// Save the price source's API key (CoinGecko's demo key), read from standard input, in the OS
    /// keyring (never the database).
    Key,
}

pub(super) fn run(holdings: &Holdings, command: PriceCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        PriceCommand::Source { kind, url } => {
            holdings.set_price_source(kind, url.as_deref())?;
            let set = holdings.price_source()?;
            match set.shown {
                Some(shown) => writeln!(out, "prices are read from {kind} at {shown}")?,
                None => writeln!(out, "no prices are read; those held stay in use")?,
            }
        }
        PriceCommand::Key => {
            let mut key = String::new();
            std::io::stdin().read_line(&mut key)?;
            ensure!(!key.trim().is_empty(), "no key on standard input");
            holdings.save_price_api_key(&key)?;
            writeln!(out, "saved the price source's API key in the OS keyring")?;
        }
    }
    Ok(())
}

/// One element of `prices --json`; the field names are a public interface.
#[derive(Debug, Serialize)]
struct PriceJson {
    chain: String,
    asset: String,
    symbol: String,
    price_id: String,
    price: String,
    currency: String,
    source: String,
    observed_at: String,
    fetched_at: String,
    age_seconds: i64,
    confidence: Option<String>,
    stale: bool,
    used: bool,
}

pub(super) fn prices(holdings: &Holdings, json: bool) -> Result<()> {
    let prices = holdings.prices()?;
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<PriceJson> = prices.into_iter().map(price_json).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    if prices.is_empty() {
        writeln!(
            out,
            "no prices yet: `holdings sync` reads them after the balances"
        )?;
    }
    for price in &prices {
        let mut notes = Vec::new();
        if price.stale {
            notes.push("stale".to_owned());
        }
        if !price.used {
            notes.push("not used".to_owned());
        }
        if let Some(confidence) = &price.confidence {
            notes.push(format!("confidence {confidence}"));
        }
        writeln!(
            out,
            "{:<10} {:<8} {:>24} {} · {} · {} ago{}",
            price.chain,
            printable(&price.symbol),
            price.price,
            price.currency,
            price.source,
            age_words(price.age_seconds),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            }
        )?;
    }
    Ok(())
}

fn price_json(price: PriceRow) -> PriceJson {
    PriceJson {
        chain: price.chain,
        asset: price.contract.unwrap_or_else(|| "native".into()),
        symbol: price.symbol,
        price_id: price.price_id,
        price: price.price,
        currency: price.currency,
        source: price.source,
        observed_at: rfc3339(price.observed_at),
        fetched_at: rfc3339(price.fetched_at),
        age_seconds: price.age_seconds,
        confidence: price.confidence,
        stale: price.stale,
        used: price.used,
    }
}

/// `portfolio --json`; the field names are a public interface.
#[derive(Debug, Serialize)]
struct PortfolioJson {
    currency: String,
    total: Option<String>,
    unpriced: u32,
    prices_updated_at: Option<String>,
    wallets: Vec<WalletJson>,
    chains: Vec<ChainJson>,
    assets: Vec<AssetJson>,
}

#[derive(Debug, Serialize)]
struct WalletJson {
    wallet: String,
    label: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChainJson {
    chain: String,
    value: Option<String>,
}

#[derive(Debug, Serialize)]
struct AssetJson {
    chain: String,
    asset: String,
    symbol: String,
    amount: String,
    price: Option<String>,
    value: Option<String>,
}

pub(super) async fn portfolio(holdings: &Holdings, json: bool) -> Result<()> {
    let portfolio = holdings.portfolio().await?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&portfolio_json(portfolio))?
        )?;
    } else {
        print_portfolio(&mut out, &portfolio)?;
    }
    Ok(())
}

fn portfolio_json(portfolio: Portfolio) -> PortfolioJson {
    PortfolioJson {
        currency: portfolio.currency,
        total: portfolio.total,
        unpriced: portfolio.unpriced,
        prices_updated_at: portfolio.prices_updated_at.map(rfc3339),
        wallets: portfolio
            .wallets
            .into_iter()
            .map(|wallet| WalletJson {
                wallet: wallet.source,
                label: wallet.label,
                value: wallet.value,
            })
            .collect(),
        chains: portfolio
            .chains
            .into_iter()
            .map(|chain| ChainJson {
                chain: chain.chain,
                value: chain.value,
            })
            .collect(),
        assets: portfolio
            .assets
            .into_iter()
            .map(|asset| AssetJson {
                chain: asset.chain,
                asset: asset.contract.unwrap_or_else(|| "native".into()),
                symbol: asset.symbol,
                amount: asset.amount,
                price: asset.price,
                value: asset.value,
            })
            .collect(),
    }
}

fn print_portfolio(out: &mut impl Write, portfolio: &Portfolio) -> std::io::Result<()> {
    write!(out, "total {}", usd(portfolio.total.as_deref()))?;
    if let Some(at) = portfolio.prices_updated_at {
        write!(out, " at prices of {}", rfc3339(at))?;
        if portfolio.prices_stale {
            write!(out, " (stale)")?;
        }
    }
    if portfolio.unpriced > 0 {
        write!(out, "; {} balance(s) unpriced", portfolio.unpriced)?;
    }
    writeln!(out)?;
    for wallet in &portfolio.wallets {
        let name = wallet.label.as_deref().unwrap_or(&wallet.source);
        writeln!(
            out,
            "  {:<44} {:>20}",
            printable(name),
            usd(wallet.value.as_deref())
        )?;
    }
    for chain in &portfolio.chains {
        writeln!(
            out,
            "  {:<44} {:>20}",
            chain.chain,
            usd(chain.value.as_deref())
        )?;
    }
    for asset in &portfolio.assets {
        writeln!(
            out,
            "  {:<10} {:<8} {:>32} × {:<16} {:>20}",
            asset.chain,
            printable(&asset.symbol),
            asset.amount,
            asset.price.as_deref().unwrap_or("no price"),
            usd(asset.value.as_deref())
        )?;
    }
    Ok(())
}
