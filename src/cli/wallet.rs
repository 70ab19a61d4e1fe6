//! `holdings wallet add|import|list`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use super::output::printable;
use crate::api::Holdings;

#[derive(Debug, Subcommand)]
pub(super) enum WalletCommand {
    /// Watch an address; without --chain, on every active chain of its family.
    Add {
        address: String,
        #[arg(long = "chain", value_name = "NAME")]
        chains: Vec<String>,
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
    },
    /// Watch every address of a file: one a line, an optional label after a space. All or nothing.
    Import {
        file: PathBuf,
        #[arg(long = "chain", value_name = "NAME")]
        chains: Vec<String>,
    },
    /// List the wallets and the chains each is watched on.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(holdings: &Holdings, command: WalletCommand) -> Result<()> {
    match command {
        WalletCommand::Add {
            address,
            chains,
            label,
        } => add(holdings, &address, &chains, label),
        WalletCommand::Import { file, chains } => import(holdings, &file, &chains),
        WalletCommand::List { json } => list(holdings, json),
    }
}

fn add(holdings: &Holdings, text: &str, chains: &[String], label: Option<String>) -> Result<()> {
    let added = holdings
        .add_wallet(text, label, chains)
        .with_context(|| format!("cannot add {text:?}"))?;
    let mut out = std::io::stdout().lock();
    if added.addresses == 1 {
        writeln!(
            out,
            "watching {} on {}",
            added.source,
            added.chains.join(", ")
        )?;
    } else {
        writeln!(
            out,
            "watching the key's first {} addresses on {}; syncs watch more as they are used",
            added.addresses,
            added.chains.join(", ")
        )?;
    }
    Ok(())
}

fn import(holdings: &Holdings, file: &Path, chains: &[String]) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let count = holdings.import_wallets(&name, &text, chains)?;
    writeln!(
        std::io::stdout().lock(),
        "imported {count} address(es) from {name}"
    )?;
    Ok(())
}

fn list(holdings: &Holdings, json: bool) -> Result<()> {
    let wallets = holdings.wallets()?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&wallets)?)?;
        return Ok(());
    }
    if wallets.is_empty() {
        writeln!(
            out,
            "no wallets yet: add one with `holdings wallet add ADDRESS`"
        )?;
        return Ok(());
    }
    for wallet in wallets {
        let label = wallet.label.as_deref().map(printable).unwrap_or_default();
        let chains: Vec<&str> = wallet
            .addresses
            .iter()
            .flat_map(|a| a.chains.iter().map(String::as_str))
            .collect();
        writeln!(
            out,
            "{:<8} {:<44} {:<20} {}",
            wallet.family,
            wallet.source,
            label,
            chains.join(",")
        )?;
    }
    Ok(())
}
