//! The token lists a data dir starts with (`data/tokens/`, made by `scripts/build-token-lists`):
//! discovery candidates on the default chains, vouched for, and Jupiter's banned Solana mints,
//! hidden if ever found. A database gets them when it is new, and again when a newer holdings ships
//! newer lists (the lists' version is recorded in it).

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::model::{Family, TokenList};
use crate::store::{ChainRecord, NewToken, Store, Trust};

/// Raised whenever the bundled lists change, so that existing databases get them.
pub const TOKEN_LISTS_VERSION: u32 = 1;

/// Each default chain's list, by the chain's name.
const LISTS: [(&str, &str); 9] = [
    ("ethereum", include_str!("../../data/tokens/ethereum.json")),
    ("bsc", include_str!("../../data/tokens/bsc.json")),
    ("polygon", include_str!("../../data/tokens/polygon.json")),
    ("arbitrum", include_str!("../../data/tokens/arbitrum.json")),
    ("optimism", include_str!("../../data/tokens/optimism.json")),
    ("base", include_str!("../../data/tokens/base.json")),
    (
        "avalanche",
        include_str!("../../data/tokens/avalanche.json"),
    ),
    ("solana", include_str!("../../data/tokens/solana.json")),
    ("tron", include_str!("../../data/tokens/tron.json")),
];

const SOLANA_BANNED: &str = include_str!("../../data/tokens/solana-banned.json");

#[derive(Deserialize)]
struct BannedList {
    mints: Vec<BannedMint>,
}

#[derive(Deserialize)]
struct BannedMint {
    mint: String,
}

/// Adds the bundled lists to the chains they are for, unless the database has them already.
pub fn add_bundled_lists(store: &mut Store) -> Result<()> {
    if store.token_lists_version()? >= TOKEN_LISTS_VERSION {
        return Ok(());
    }
    let chains = store.chains()?;
    for (name, text) in LISTS {
        let Some(chain) = chains.iter().find(|chain| chain.name == name) else {
            continue;
        };
        let list = TokenList::parse(text).with_context(|| format!("the bundled {name} list"))?;
        let tokens = list
            .tokens
            .iter()
            .filter(|entry| is_for(chain, entry.chain_id))
            .map(|entry| {
                let checked = entry
                    .check(chain.family)
                    .with_context(|| format!("the bundled {name} list's {}", entry.address))?;
                Ok(NewToken::checked(chain.id, checked))
            })
            .collect::<Result<Vec<_>>>()?;
        store.insert_candidates(&tokens, Trust::Verified)?;
    }
    if let Some(solana) = chains.iter().find(|chain| chain.name == "solana") {
        let banned: BannedList = serde_json::from_str(SOLANA_BANNED).context("the banned list")?;
        let tokens: Vec<NewToken> = banned
            .mints
            .into_iter()
            .map(|banned| NewToken {
                chain: solana.id,
                symbol: format!("{}…", banned.mint.chars().take(4).collect::<String>()),
                name: "on Jupiter's list of scam tokens".into(),
                decimals: 0,
                contract: banned.mint,
            })
            .collect();
        store.insert_candidates(&tokens, Trust::Unverified)?;
    }
    store.set_token_lists_version(TOKEN_LISTS_VERSION)?;
    Ok(())
}

/// Whether a list's entry for `chain_id` belongs on `chain`: an EVM chain of that id (a chain the
/// user named like a default one but on another network gets none), or the one chain of a family
/// without chain ids.
fn is_for(chain: &ChainRecord, chain_id: u64) -> bool {
    match chain.evm_chain_id {
        Some(id) => id == chain_id,
        None => chain.family != Family::Evm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TokenMode;

    fn candidates_on(store: &Store, chain: &str) -> usize {
        let chain = store.chain_by_name(chain).unwrap().unwrap();
        store
            .assets_of_chain(chain.id)
            .unwrap()
            .iter()
            .filter(|asset| asset.mode == TokenMode::Candidate && asset.verified)
            .count()
    }

    #[test]
    fn a_database_without_the_lists_gets_them_once_and_keeps_what_the_user_chose() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::data_dir::open(dir.path()).unwrap();
        let on_ethereum = candidates_on(&store, "ethereum");
        assert!(on_ethereum > 1_000, "{on_ethereum}");

        // As a database from before the lists: the user watches USDC, and nothing else is there.
        let ethereum = store.chain_by_name("ethereum").unwrap().unwrap();
        let usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
        let asset = store.token(ethereum.id, usdc).unwrap().unwrap();
        store
            .insert_token(&NewToken {
                chain: ethereum.id,
                contract: usdc.into(),
                symbol: asset.symbol,
                name: asset.name,
                decimals: asset.decimals,
            })
            .unwrap();
        store.set_token_lists_version(0).unwrap();
        drop(store);

        let store = crate::data_dir::open(dir.path()).unwrap();
        assert_eq!(store.token_lists_version().unwrap(), TOKEN_LISTS_VERSION);
        assert_eq!(candidates_on(&store, "ethereum"), on_ethereum - 1);
        let usdc = store.token(ethereum.id, usdc).unwrap().unwrap();
        assert_eq!(usdc.mode, TokenMode::Watched, "the user's choice stands");

        let solana = store.chain_by_name("solana").unwrap().unwrap();
        let banned = store
            .assets_of_chain(solana.id)
            .unwrap()
            .into_iter()
            .filter(|asset| !asset.verified)
            .collect::<Vec<_>>();
        assert!(banned.len() > 50, "Jupiter's banned mints");
        assert!(banned.iter().all(|asset| asset.hidden));
    }
}
