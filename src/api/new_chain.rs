//! A chain the user adds (`chain add`): a network of a known family, a devnet, a self-hosted node
//! or API, checked before anything is stored.

use anyhow::{Result, bail, ensure};

use crate::chains;
use crate::config::chains::MULTICALL3;
use crate::model::{Address, BitcoinNetwork, ChainName, Family, parse_chain_endpoint_url};
use crate::prices;
use crate::store::{ChainPricing, NewChain};

/// What the user said of the chain to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    pub name: String,
    pub family: Family,
    /// The EVM chain id (EVM only).
    pub chain_id: Option<u64>,
    /// The API's base URLs, in order of preference.
    pub rpcs: Vec<String>,
    /// Multicall3's address (EVM only; the canonical one when `None`).
    pub multicall: Option<String>,
    /// The chain has no Multicall3 (EVM only).
    pub no_multicall: bool,
    pub native_symbol: Option<String>,
    /// The Bitcoin network (Bitcoin only).
    pub network: BitcoinNetwork,
    /// The price source's name for the chain, to price its tokens by (`ethereum`, `bsc`, `avax`…).
    pub price_platform: Option<String>,
    /// The CoinGecko id of its native coin (`ethereum`, or `coingecko:ethereum`).
    pub native_price_id: Option<String>,
}

/// A chain just added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedChain {
    pub name: String,
    pub family: Family,
    pub endpoints: usize,
}

/// Checks a chain's spec and turns it into a chain to insert.
pub(super) fn new_chain(spec: &ChainSpec) -> Result<NewChain> {
    let name: ChainName = spec.name.parse()?;
    let family = spec.family;
    match family {
        Family::Evm => ensure!(spec.chain_id.is_some(), "an EVM chain needs --chain-id"),
        _ => ensure!(
            spec.chain_id.is_none() && spec.multicall.is_none() && !spec.no_multicall,
            "--chain-id, --multicall and --no-multicall are for EVM chains only"
        ),
    }
    let mut endpoints = Vec::with_capacity(spec.rpcs.len());
    for text in &spec.rpcs {
        let url = parse_chain_endpoint_url(family, text)?;
        ensure!(
            !endpoints.contains(&url),
            "the endpoint {text:?} is given twice"
        );
        endpoints.push(url);
    }
    let multicall = match (family, &spec.multicall) {
        (Family::Evm, Some(text)) => match Address::parse_as(Family::Evm, text) {
            Ok(Address::Evm(address)) => Some(address),
            Ok(_) => unreachable!("parsed as EVM"),
            Err(err) => bail!("--multicall {text:?} is not an address: {err}"),
        },
        (Family::Evm, None) if !spec.no_multicall => {
            Some(MULTICALL3.parse().expect("a valid address"))
        }
        _ => None,
    };
    let (default_symbol, native_name, native_decimals) = chains::family(family).native;
    let native_symbol = spec
        .native_symbol
        .clone()
        .unwrap_or_else(|| default_symbol.to_owned());
    let symbol_ok = (1..=16).contains(&native_symbol.chars().count())
        && native_symbol
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    ensure!(
        symbol_ok,
        "{native_symbol:?} is not a symbol: use 1 to 16 letters or digits"
    );
    Ok(NewChain {
        name,
        family,
        evm_chain_id: spec.chain_id,
        bitcoin_network: (family == Family::Bitcoin).then_some(spec.network),
        native_symbol,
        native_name: native_name.to_owned(),
        native_decimals,
        multicall,
        endpoints,
        pricing: ChainPricing {
            price_platform: checked(spec.price_platform.as_deref(), "--price-platform")?,
            native_price_id: checked(spec.native_price_id.as_deref(), "--native-price-id")?,
        },
    })
}

fn checked(name: Option<&str>, what: &str) -> Result<Option<String>> {
    name.map(|name| prices::checked_name(what, name).map(str::to_owned))
        .transpose()
}
