//! Tokens to watch: one added by its contract (its metadata read from the chain), or a list of
//! them in the Token Lists JSON schema (<https://tokenlists.org>), checked whole before any is stored.

use anyhow::{Context, Result};
use serde::Serialize;

use super::{AppError, AppResult, ChainSweep, ErrorCode, Holdings};
use crate::model::{Address, Family, TokenList};
use crate::store::{ChainRecord, NewToken, TokenMode, Trust, WalletId};
use crate::sync::Scope;

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

/// The tokens of list `text` (`name` is its file's, for messages) on the active EVM `chains` their
/// chain ids name, and how many entries name none of them. One bad entry refuses the list.
fn parse_list(name: &str, text: &str, chains: &[ChainRecord]) -> Result<(Vec<NewToken>, usize)> {
    let list = TokenList::parse(text)
        .with_context(|| format!("{name} is not a token list (Token Lists JSON schema)"))?;
    let mut tokens = Vec::new();
    let mut elsewhere = 0;
    for (index, entry) in list.tokens.iter().enumerate() {
        let at = || format!("{name}, token {} ({:?})", index + 1, entry.address);
        let checked = entry.check(Family::Evm).with_context(at)?;
        let targets: Vec<&ChainRecord> = chains
            .iter()
            .filter(|chain| {
                chain.family == Family::Evm
                    && chain.active
                    && chain.evm_chain_id == Some(entry.chain_id)
            })
            .collect();
        if targets.is_empty() {
            elsewhere += 1;
        }
        tokens.extend(
            targets
                .into_iter()
                .map(|chain| NewToken::checked(chain.id, checked.clone())),
        );
    }
    Ok((tokens, elsewhere))
}

/// A token as `token list` shows it; the field names are a public interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub chain: String,
    pub address: String,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
    pub mode: TokenMode,
    pub verified: bool,
    pub hidden: bool,
}

/// How many tokens a chain watches and checks its addresses for, for Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChainTokens {
    pub chain: String,
    pub watched: u32,
    pub candidates: u32,
}

impl Holdings {
    /// Watches the token at `contract` on the chain named, its metadata read from the chain (a
    /// list's names kept where the chain tells none); one that cannot be read right is refused.
    pub async fn add_token(&self, chain: &str, contract: &str) -> AppResult<AddedToken> {
        let chain = self.chain_named(chain)?;
        let contract = Address::parse_as(chain.family, contract)
            .map_err(|err| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!("cannot add the token {contract:?}: {err}"),
                )
            })?
            .to_string();
        let known = self
            .engine
            .with_store(|store| store.token(chain.id, &contract))?;
        if known
            .as_ref()
            .is_some_and(|token| token.mode == TokenMode::Watched)
        {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("the token {contract} is already watched on {}", chain.name),
            ));
        }
        let source = self.engine.source_of(&chain)?;
        let metadata = source.token(&contract).await.map_err(|why| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("cannot add the token {contract} on {}: {why}", chain.name),
            )
        })?;
        let (symbol, name) = match known {
            Some(listed) if !metadata.named => (listed.symbol, listed.name),
            _ => (metadata.symbol, metadata.name),
        };
        let token = NewToken {
            chain: chain.id,
            contract: contract.clone(),
            symbol,
            name,
            decimals: metadata.decimals,
        };
        self.engine
            .with_store_mut(|store| store.insert_token(&token))?;
        Ok(AddedToken {
            chain: chain.name,
            contract,
            symbol: token.symbol,
            name: token.name,
            decimals: token.decimals,
        })
    }

    /// Adds every token of a token list's text (`name` is its file's, for messages) on the active
    /// EVM chains its chain ids name: watched, or as discovery candidates; one bad entry refuses
    /// the list.
    pub fn import_tokens(
        &self,
        name: &str,
        text: &str,
        as_candidates: bool,
    ) -> AppResult<ImportedTokens> {
        let chains = self.engine.with_store(|store| store.chains())?;
        let (tokens, elsewhere) = parse_list(name, text, &chains).map_err(AppError::from_input)?;
        let added = self.engine.with_store_mut(|store| {
            if as_candidates {
                store.insert_candidates(&tokens, Trust::Verified)
            } else {
                store.insert_tokens(&tokens)
            }
        })?;
        Ok(ImportedTokens { added, elsewhere })
    }

    /// Every token of the chain named, or of every chain.
    pub fn tokens(&self, chain: Option<&str>) -> AppResult<Vec<TokenInfo>> {
        let only = chain.map(|name| self.chain_named(name)).transpose()?;
        let chains = self.engine.with_store(|store| store.chains())?;
        let mut tokens = Vec::new();
        for chain in chains
            .iter()
            .filter(|chain| only.as_ref().is_none_or(|only| only.id == chain.id))
        {
            let assets = self
                .engine
                .with_store(|store| store.assets_of_chain(chain.id))?;
            tokens.extend(assets.into_iter().filter_map(|asset| {
                Some(TokenInfo {
                    chain: chain.name.clone(),
                    address: asset.contract?,
                    symbol: asset.symbol,
                    name: asset.name,
                    decimals: asset.decimals,
                    mode: asset.mode,
                    verified: asset.verified,
                    hidden: asset.hidden,
                })
            }));
        }
        Ok(tokens)
    }

    /// How many tokens each chain watches and has as candidates.
    pub fn token_counts(&self) -> AppResult<Vec<ChainTokens>> {
        let tokens = self.tokens(None)?;
        let chains = self.engine.with_store(|store| store.chains())?;
        Ok(chains
            .into_iter()
            .map(|chain| {
                let of_chain = || tokens.iter().filter(|token| token.chain == chain.name);
                let watched = of_chain()
                    .filter(|token| token.mode == TokenMode::Watched)
                    .count();
                ChainTokens {
                    watched: super::count(watched),
                    candidates: super::count(of_chain().count() - watched),
                    chain: chain.name,
                }
            })
            .collect())
    }

    /// Hides a token of the chain named (it stays read, shown only by Show all, never summed) or
    /// shows it again.
    pub fn set_token_hidden(&self, chain: &str, contract: &str, hidden: bool) -> AppResult<()> {
        let chain = self.chain_named(chain)?;
        let spelt = Address::parse_as(chain.family, contract)
            .map_err(|err| AppError::new(ErrorCode::InvalidInput, format!("{contract:?}: {err}")))?
            .to_string();
        let token = self
            .engine
            .with_store(|store| store.token(chain.id, &spelt))?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "{} has no token {spelt}; `holdings token list --chain {}` shows them",
                    chain.name, chain.name
                ))
            })?;
        Ok(self
            .engine
            .with_store_mut(|store| store.set_asset_hidden(token.id, hidden))?)
    }

    /// Looks for every candidate token held on the chain named, or on every chain, now.
    pub async fn discover(&self, chain: Option<&str>) -> AppResult<Vec<ChainSweep>> {
        let scope = match chain {
            Some(name) => Scope::Chain(self.chain_named(name)?.id),
            None => Scope::All,
        };
        Ok(super::sweeps(self.engine.discover(scope).await?))
    }

    /// Looks for every candidate token one wallet's addresses hold, now ("Find new tokens").
    pub async fn discover_wallet(&self, wallet: WalletId) -> AppResult<Vec<ChainSweep>> {
        Ok(super::sweeps(
            self.engine.discover(Scope::Wallet(wallet)).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::token_list::presentable;
    use crate::store::Store;
    use crate::store::testing::evm_chain;

    fn token_entry() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just(31337u64), any::<u64>()],
            prop_oneof![
                Just("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48".to_owned()),
                "0x[0-9a-fA-F]{0,42}",
                any::<String>(),
            ],
            any::<String>(),
            any::<u16>(),
        )
            .prop_map(|(chain_id, address, symbol, decimals)| {
                serde_json::json!({ "chainId": chain_id, "address": address, "symbol": symbol,
                    "name": "Token", "decimals": decimals })
                .to_string()
            })
    }

    proptest! {
        #[test]
        fn any_list_is_its_tokens_or_an_error(
            text in prop_oneof![
                any::<String>(),
                proptest::collection::vec(token_entry(), 0..4)
                    .prop_map(|tokens| format!("{{\"name\":\"l\",\"tokens\":[{}]}}", tokens.join(","))),
            ],
        ) {
            let mut store = Store::open_in_memory().unwrap();
            store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let chains = store.chains().unwrap();
            if let Ok((tokens, _)) = parse_list("tokens.json", &text, &chains) {
                for token in tokens {
                    prop_assert!(presentable(&token.symbol) && presentable(&token.name));
                    prop_assert!(Address::parse_as(Family::Evm, &token.contract).is_ok());
                }
            }
        }
    }
}
