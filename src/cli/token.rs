//! `holdings token add|import`: tokens to watch on EVM chains.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

use super::output::printable;
use crate::chains::pool::PoolPolicy;
use crate::data_dir;
use crate::model::{Address, Family};
use crate::store::{ChainRecord, NewToken};
use crate::sync::evm_reader;

pub(super) fn add(dir: &Path, chain: &str, text: &str) -> Result<()> {
    let mut store = data_dir::open(dir)?;
    let Some(chain) = store.chain_by_name(chain)? else {
        bail!(
            "there is no chain named {:?}; `holdings chain list` shows them",
            printable(chain)
        );
    };
    ensure!(
        chain.family == Family::Evm,
        "token add reads ERC-20 tokens; {} is not an EVM chain",
        chain.name
    );
    let address = match Address::parse_as(Family::Evm, text) {
        Ok(Address::Evm(address)) => address,
        Ok(_) => unreachable!("parsed as EVM"),
        Err(err) => bail!("cannot add the token {:?}: {err}", printable(text)),
    };
    let contract = address.to_checksum(None);
    let known = store
        .assets_of_chain(chain.id)?
        .iter()
        .any(|asset| asset.contract.as_deref() == Some(contract.as_str()));
    ensure!(
        !known,
        "the token {contract} is already watched on {}",
        chain.name
    );
    let reader = evm_reader(&chain, PoolPolicy::default())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let metadata = runtime
        .block_on(reader.token_metadata(address))
        .map_err(|why| {
            anyhow::anyhow!("cannot add the token {contract} on {}: {why}", chain.name)
        })?;
    store.insert_token(&NewToken {
        chain: chain.id,
        contract: contract.clone(),
        symbol: metadata.symbol.clone(),
        name: metadata.name.clone(),
        decimals: metadata.decimals,
    })?;
    writeln!(
        std::io::stdout().lock(),
        "watching {} ({}, {} decimals) at {contract} on {}",
        printable(&metadata.symbol),
        printable(&metadata.name),
        metadata.decimals,
        chain.name
    )?;
    Ok(())
}

/// A token list in the Token Lists JSON schema (https://tokenlists.org); only the fields used here.
#[derive(Debug, Deserialize)]
struct TokenList {
    tokens: Vec<TokenInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenInfo {
    chain_id: u64,
    address: String,
    symbol: String,
    name: String,
    decimals: u16,
}

pub(super) fn import(dir: &Path, file: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let list: TokenList = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a token list (Token Lists JSON schema)",
            file.display()
        )
    })?;
    let mut store = data_dir::open(dir)?;
    let chains: Vec<ChainRecord> = store
        .chains()?
        .into_iter()
        .filter(|chain| chain.family == Family::Evm && chain.active)
        .collect();
    let mut tokens = Vec::new();
    let mut elsewhere = 0;
    for (index, token) in list.tokens.iter().enumerate() {
        let at = || {
            format!(
                "{}, token {} ({:?})",
                file.display(),
                index + 1,
                printable(&token.address)
            )
        };
        let checked = check_token(token).with_context(at)?;
        let targets: Vec<&ChainRecord> = chains
            .iter()
            .filter(|chain| chain.evm_chain_id == Some(token.chain_id))
            .collect();
        if targets.is_empty() {
            elsewhere += 1;
        }
        tokens.extend(targets.into_iter().map(|chain| NewToken {
            chain: chain.id,
            ..checked.clone()
        }));
    }
    let added = store.insert_tokens(&tokens)?;
    let mut out = std::io::stdout().lock();
    write!(out, "watching {added} new token(s) from {}", file.display())?;
    if elsewhere > 0 {
        write!(out, "; {elsewhere} are for chains not added here")?;
    }
    writeln!(out)?;
    Ok(())
}

/// Checks one entry of a list; the chain is filled in by the caller.
fn check_token(token: &TokenInfo) -> Result<NewToken> {
    let contract = match Address::parse_as(Family::Evm, &token.address) {
        Ok(address) => address.to_string(),
        Err(err) => bail!("{err}"),
    };
    let decimals = u8::try_from(token.decimals)
        .with_context(|| format!("{} decimals is more than 255", token.decimals))?;
    let presentable = |text: &str| {
        !text.trim().is_empty() && text.chars().count() <= 64 && !text.chars().any(char::is_control)
    };
    ensure!(
        presentable(&token.symbol),
        "the symbol {:?} is empty, too long or has control characters",
        printable(&token.symbol)
    );
    ensure!(
        presentable(&token.name),
        "the name {:?} is empty, too long or has control characters",
        printable(&token.name)
    );
    Ok(NewToken {
        chain: crate::store::ChainId(0),
        contract,
        symbol: token.symbol.clone(),
        name: token.name.clone(),
        decimals,
    })
}
