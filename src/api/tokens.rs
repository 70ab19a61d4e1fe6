//! Tokens to watch: one added by its contract (its metadata read from the chain), or a list of
//! them in the Token Lists JSON schema (<https://tokenlists.org>), checked whole before any is stored.

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

use crate::model::{Address, Family};
use crate::store::{ChainId, ChainRecord, NewToken};

/// A token just watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedToken {
    pub chain: String,
    pub contract: String,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
}

/// What a token list added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedTokens {
    /// Tokens newly watched (one per chain they were added on).
    pub added: usize,
    /// Entries for chains not added here.
    pub elsewhere: usize,
}

/// A token list; only the fields used here.
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

/// The tokens of list `text` (`name` is its file's, for messages) on the EVM `chains` their chain
/// ids name, and how many entries name none of them. One bad entry refuses the list.
pub(super) fn parse_list(
    name: &str,
    text: &str,
    chains: &[ChainRecord],
) -> Result<(Vec<NewToken>, usize)> {
    let list: TokenList = serde_json::from_str(text)
        .with_context(|| format!("{name} is not a token list (Token Lists JSON schema)"))?;
    let mut tokens = Vec::new();
    let mut elsewhere = 0;
    for (index, token) in list.tokens.iter().enumerate() {
        let at = || format!("{name}, token {} ({:?})", index + 1, token.address);
        let checked = check_token(token).with_context(at)?;
        let targets: Vec<&ChainRecord> = chains
            .iter()
            .filter(|chain| {
                chain.family == Family::Evm
                    && chain.active
                    && chain.evm_chain_id == Some(token.chain_id)
            })
            .collect();
        if targets.is_empty() {
            elsewhere += 1;
        }
        tokens.extend(targets.into_iter().map(|chain| NewToken {
            chain: chain.id,
            ..checked.clone()
        }));
    }
    Ok((tokens, elsewhere))
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
        token.symbol
    );
    ensure!(
        presentable(&token.name),
        "the name {:?} is empty, too long or has control characters",
        token.name
    );
    Ok(NewToken {
        chain: ChainId(0),
        contract,
        symbol: token.symbol.clone(),
        name: token.name.clone(),
        decimals,
    })
}
