//! `holdings chain add|list`.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail, ensure};
use clap::{ArgGroup, Args, Subcommand};

use super::output::printable;
use crate::app::settings;
use crate::chains::pool::redact;
use crate::config::chains::MULTICALL3;
use crate::data_dir;
use crate::model::{Address, BitcoinNetwork, ChainName, Family, parse_endpoint_url};
use crate::store::NewChain;

#[derive(Debug, Subcommand)]
pub(super) enum ChainCommand {
    /// Add a chain: an EVM network, a devnet, a self-hosted node or API.
    Add(AddChain),
    /// List the chains.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Save an endpoint's API key, read from standard input, in the OS keyring (never the database).
    Key {
        name: String,
        /// The endpoint, as added.
        #[arg(long = "rpc", value_name = "URL")]
        rpc: String,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("multicall_choice").args(["multicall", "no_multicall"])))]
pub(super) struct AddChain {
    name: String,
    #[arg(long)]
    family: Family,
    /// The EVM chain id (EVM only).
    #[arg(long)]
    chain_id: Option<u64>,
    /// The API's base URL; repeat for fallbacks, in order of preference.
    #[arg(long = "rpc", value_name = "URL", required = true)]
    rpcs: Vec<String>,
    /// Multicall3's address (EVM only; the canonical one by default).
    #[arg(long, value_name = "ADDR")]
    multicall: Option<String>,
    /// The chain has no Multicall3: read with JSON-RPC batches instead (EVM only).
    #[arg(long)]
    no_multicall: bool,
    #[arg(long, value_name = "SYM")]
    native_symbol: Option<String>,
    /// The Bitcoin network (Bitcoin only).
    #[arg(long, default_value = "mainnet")]
    network: BitcoinNetwork,
}

pub(super) fn run(dir: &Path, command: ChainCommand) -> Result<()> {
    match command {
        ChainCommand::Add(args) => {
            let chain = new_chain(&args)?;
            let mut store = data_dir::open(dir)?;
            store.insert_chain(&chain)?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "added chain {} ({}) with {} endpoint(s)",
                chain.name,
                chain.family.display_name(),
                chain.endpoints.len()
            )?;
            Ok(())
        }
        ChainCommand::List { json } => list(dir, json),
        ChainCommand::Key { name, rpc } => save_key(dir, &name, &rpc),
    }
}

/// Checks the options of `chain add` and turns them into a chain to insert.
fn new_chain(args: &AddChain) -> Result<NewChain> {
    let name: ChainName = args.name.parse()?;
    let family = args.family;
    match family {
        Family::Evm => ensure!(args.chain_id.is_some(), "an EVM chain needs --chain-id"),
        _ => ensure!(
            args.chain_id.is_none() && args.multicall.is_none() && !args.no_multicall,
            "--chain-id, --multicall and --no-multicall are for EVM chains only"
        ),
    }
    let mut endpoints = Vec::with_capacity(args.rpcs.len());
    for text in &args.rpcs {
        let url = parse_endpoint_url(text)?;
        ensure!(
            !endpoints.contains(&url),
            "the endpoint {:?} is given twice",
            printable(text)
        );
        endpoints.push(url);
    }
    let multicall = match (family, &args.multicall) {
        (Family::Evm, Some(text)) => match Address::parse_as(Family::Evm, text) {
            Ok(Address::Evm(address)) => Some(address),
            Ok(_) => unreachable!("parsed as EVM"),
            Err(err) => bail!("--multicall {:?} is not an address: {err}", printable(text)),
        },
        (Family::Evm, None) if !args.no_multicall => {
            Some(MULTICALL3.parse().expect("a valid address"))
        }
        _ => None,
    };
    let (default_symbol, native_name, native_decimals) = native_coin(family);
    let native_symbol = args
        .native_symbol
        .clone()
        .unwrap_or_else(|| default_symbol.to_owned());
    let symbol_ok = (1..=16).contains(&native_symbol.chars().count())
        && native_symbol
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    ensure!(
        symbol_ok,
        "{:?} is not a symbol: use 1 to 16 letters or digits",
        printable(&native_symbol)
    );
    Ok(NewChain {
        name,
        family,
        evm_chain_id: args.chain_id,
        bitcoin_network: (family == Family::Bitcoin).then_some(args.network),
        native_symbol,
        native_name: native_name.to_owned(),
        native_decimals,
        multicall,
        endpoints,
    })
}

/// Each family's native coin: symbol, name, decimals.
fn native_coin(family: Family) -> (&'static str, &'static str, u8) {
    match family {
        Family::Evm => ("ETH", "Ether", 18),
        Family::Solana => ("SOL", "Solana", 9),
        Family::Tron => ("TRX", "TRON", 6),
        Family::Bitcoin => ("BTC", "Bitcoin", 8),
    }
}

/// Reads an API key from standard input (so it appears in no command line or shell history) and
/// files it in the OS keyring under a name the endpoint keeps.
fn save_key(dir: &Path, name: &str, rpc: &str) -> Result<()> {
    let mut store = data_dir::open(dir)?;
    let Some(chain) = store.chain_by_name(name)? else {
        bail!(
            "there is no chain named {:?}; `holdings chain list` shows them",
            printable(name)
        );
    };
    let endpoint = settings::api_key_endpoint(&chain, rpc)?;
    let mut key = String::new();
    std::io::stdin().read_line(&mut key)?;
    ensure!(!key.trim().is_empty(), "no key on standard input");
    let reference = settings::save_endpoint_key(&mut store, &chain, &endpoint, &key)?;
    writeln!(
        std::io::stdout().lock(),
        "saved the key of {} in the OS keyring as {reference}",
        redact(&endpoint)
    )?;
    Ok(())
}

fn list(dir: &Path, json: bool) -> Result<()> {
    let mut chains = data_dir::open(dir)?.chains()?;
    // API keys live in endpoint paths and queries: show scheme, host and port only.
    for endpoint in chains
        .iter_mut()
        .flat_map(|chain| chain.endpoints.iter_mut())
    {
        endpoint.url = settings::shown_url(&endpoint.url);
    }
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&chains)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<12} {:<8} {:>9} {:<6} {:<9} {:<6} ENDPOINTS",
        "NAME", "FAMILY", "CHAIN ID", "NATIVE", "MULTICALL", "ACTIVE"
    )?;
    for chain in chains {
        let id = chain
            .evm_chain_id
            .map(|id| id.to_string())
            .or(chain.bitcoin_network.clone())
            .unwrap_or_default();
        writeln!(
            out,
            "{:<12} {:<8} {:>9} {:<6} {:<9} {:<6} {}",
            chain.name,
            chain.family,
            id,
            chain.native_symbol,
            if chain.multicall.is_some() {
                "yes"
            } else {
                "no"
            },
            if chain.active { "yes" } else { "no" },
            chain
                .endpoints
                .iter()
                .map(|endpoint| endpoint.url.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )?;
    }
    Ok(())
}
