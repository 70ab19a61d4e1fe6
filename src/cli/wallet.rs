//! `holdings wallet add|import|list`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;

use super::output::printable;
use crate::clock::{Clock, SystemClock};
use crate::data_dir;
use crate::model::{Address, Family, GAP_LIMIT, WatchKey};
use crate::registry;
use crate::store::{DerivedAddress, StoreError};

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

pub(super) fn run(dir: &Path, command: WalletCommand) -> Result<()> {
    match command {
        WalletCommand::Add {
            address,
            chains,
            label,
        } => add(dir, &address, &chains, label),
        WalletCommand::Import { file, chains } => import(dir, &file, &chains),
        WalletCommand::List { json } => list(dir, json),
    }
}

fn add(dir: &Path, text: &str, chains: &[String], label: Option<String>) -> Result<()> {
    if WatchKey::looks_like(text) {
        return add_watch_key(dir, text, chains, label);
    }
    let address =
        Address::parse(text).with_context(|| format!("cannot add {:?}", printable(text)))?;
    let mut store = data_dir::open(dir)?;
    let registration = registry::plan(&store.chains()?, address, label, chains)
        .with_context(|| format!("cannot add {:?}", printable(text)))?;
    store
        .register(std::slice::from_ref(&registration), SystemClock.now())
        .map_err(|err| match err {
            StoreError::EntryConflict { message, .. } => anyhow!(message),
            other => other.into(),
        })?;
    let names: Vec<_> = store
        .find_address(&registration.address)?
        .map(|record| record.chains)
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "watching {} on {}",
        registration.address,
        names.join(", ")
    )?;
    Ok(())
}

/// Watches an extended key or descriptor: its first `GAP_LIMIT` addresses of each branch now, more as
/// syncs find them used.
fn add_watch_key(dir: &Path, text: &str, chains: &[String], label: Option<String>) -> Result<()> {
    let cannot = || format!("cannot add {:?}", printable(text));
    let key = WatchKey::parse(text).with_context(cannot)?;
    let mut store = data_dir::open(dir)?;
    let known = store.chains()?;
    let (network, chosen) = registry::plan_watch_key(&known, &key, chains).with_context(cannot)?;
    let mut first = Vec::new();
    for branch in key.branches() {
        for index in 0..GAP_LIMIT {
            let derived = key
                .address(branch, index, network)
                .with_context(|| format!("{}: cannot derive {index}", cannot()))?;
            let address = Address::parse_as(Family::Bitcoin, &derived.to_string())?;
            first.push(DerivedAddress {
                address,
                derivation: format!("{}/{index}", branch.number()),
            });
        }
    }
    let ids: Vec<_> = chosen.iter().map(|chain| chain.id).collect();
    store.register_watch_key(
        key.as_str(),
        label.as_deref(),
        &first,
        &ids,
        SystemClock.now(),
    )?;
    let names: Vec<&str> = chosen.iter().map(|chain| chain.name.as_str()).collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "watching the key's first {} addresses on {}; syncs watch more as they are used",
        first.len(),
        names.join(", ")
    )?;
    Ok(())
}

fn import(dir: &Path, file: &Path, chains: &[String]) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut store = data_dir::open(dir)?;
    let known_chains = store.chains()?;
    let mut registrations = Vec::new();
    let mut line_numbers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (address_text, label) = match line.split_once(char::is_whitespace) {
            Some((address, label)) => (address, Some(label.trim().to_owned())),
            None => (line, None),
        };
        let at_line = || format!("{}, line {line_number}", file.display());
        let address = Address::parse(address_text).with_context(at_line)?;
        let registration =
            registry::plan(&known_chains, address, label, chains).with_context(at_line)?;
        registrations.push(registration);
        line_numbers.push(line_number);
    }
    if registrations.is_empty() {
        bail!("{} has no addresses", file.display());
    }
    store
        .register(&registrations, SystemClock.now())
        .map_err(|err| match err {
            StoreError::EntryConflict { index, message } => {
                anyhow!(
                    "{}, line {}: {message}",
                    file.display(),
                    line_numbers[index]
                )
            }
            other => other.into(),
        })?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "imported {} address(es) from {}",
        registrations.len(),
        file.display()
    )?;
    Ok(())
}

fn list(dir: &Path, json: bool) -> Result<()> {
    let wallets = data_dir::open(dir)?.wallets()?;
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
