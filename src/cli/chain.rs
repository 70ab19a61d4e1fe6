//! `holdings chain add|list`.

use std::io::Write;

use anyhow::{Result, ensure};
use clap::{ArgGroup, Args, Subcommand};

use crate::api::{ChainSpec, Holdings};
use crate::model::{BitcoinNetwork, Family};

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
    /// The price source's name for the chain, to price its tokens (DefiLlama's: ethereum, bsc, avax…).
    #[arg(long, value_name = "NAME")]
    price_platform: Option<String>,
    /// The CoinGecko id of its native coin, to price it (ethereum, binancecoin…).
    #[arg(long, value_name = "ID")]
    native_price_id: Option<String>,
}

pub(super) fn run(holdings: &Holdings, command: ChainCommand) -> Result<()> {
    match command {
        ChainCommand::Add(args) => {
            let added = holdings.add_chain(&spec(args))?;
            writeln!(
                std::io::stdout().lock(),
                "added chain {} ({}) with {} endpoint(s)",
                added.name,
                added.family.display_name(),
                added.endpoints
            )?;
            Ok(())
        }
        ChainCommand::List { json } => list(holdings, json),
        ChainCommand::Key { name, rpc } => save_key(holdings, &name, &rpc),
    }
}

fn spec(args: AddChain) -> ChainSpec {
    ChainSpec {
        name: args.name,
        family: args.family,
        chain_id: args.chain_id,
        rpcs: args.rpcs,
        multicall: args.multicall,
        no_multicall: args.no_multicall,
        native_symbol: args.native_symbol,
        network: args.network,
        price_platform: args.price_platform,
        native_price_id: args.native_price_id,
    }
}

/// Reads an API key from standard input (so it appears in no command line or shell history) and
/// files it in the OS keyring under a name the endpoint keeps.
fn save_key(holdings: &Holdings, name: &str, rpc: &str) -> Result<()> {
    holdings.check_api_key_endpoint(name, rpc)?;
    let mut key = String::new();
    std::io::stdin().read_line(&mut key)?;
    ensure!(!key.trim().is_empty(), "no key on standard input");
    let (shown, reference) = holdings.save_api_key_of(name, rpc, &key)?;
    writeln!(
        std::io::stdout().lock(),
        "saved the key of {shown} in the OS keyring as {reference}"
    )?;
    Ok(())
}

fn list(holdings: &Holdings, json: bool) -> Result<()> {
    // API keys live in endpoint paths and queries: they come shown as scheme, host and port only.
    let chains = holdings.chain_records()?;
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
