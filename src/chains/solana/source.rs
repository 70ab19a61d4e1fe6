//! Solana chains as a [`Source`]: rows read owner by owner. An owner's token listing is complete
//! for both token programs, so a mint it does not list holds zero, and a mint it lists that the
//! chain does not list yet is discovered (its decimals read once).

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::Result;
use futures::future::BoxFuture;

use super::SolanaReader;
use crate::chains::{
    Discovered, FamilyDef, Reading, Row, RowsRead, Source, SourceContext, TokenMetadata, owners_of,
    rows_by_owner,
};
use crate::model::Family;
use crate::store::{AddressId, ChainId, NewToken};

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Solana,
    native: ("SOL", "Solana", 9),
    // Solana providers put their keys in the URL.
    key_header: None,
    lists_holdings: true,
    open,
};

struct SolanaSource {
    reader: SolanaReader,
    chain: ChainId,
    /// Whether the chain's genesis hash is stored yet: if not, the first one seen is learned.
    knows_genesis: bool,
    /// The mints the chain already lists.
    listed: HashSet<String>,
}

fn open(context: SourceContext<'_>) -> Result<Box<dyn Source>> {
    let chain = context.chain;
    Ok(Box::new(SolanaSource {
        reader: SolanaReader::new(context.pool, chain.genesis.clone()),
        chain: chain.id,
        knows_genesis: chain.genesis.is_some(),
        listed: context.listed,
    }))
}

impl Source for SolanaSource {
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead> {
        Box::pin(self.read_rows(rows))
    }

    /// A mint's decimals, from its mint account (an account that is no mint is refused); a mint
    /// account holds no name.
    fn token<'a>(&'a self, contract: &'a str) -> BoxFuture<'a, Result<TokenMetadata, String>> {
        Box::pin(async move {
            let decimals = self
                .reader
                .mint_decimals(&[contract.to_owned()])
                .await
                .remove(0)?;
            Ok(TokenMetadata {
                symbol: mint_symbol(contract),
                name: contract.to_owned(),
                decimals,
                named: false,
            })
        })
    }
}

/// What a mint without a known name is shown as: the start of its address.
fn mint_symbol(mint: &str) -> String {
    format!("{}…", mint.chars().take(4).collect::<String>())
}

impl SolanaSource {
    async fn read_rows(&self, rows: &[Row]) -> RowsRead {
        let reader = &self.reader;
        let owners = owners_of(rows);
        let names: Vec<String> = owners.iter().map(|(_, name)| name.clone()).collect();
        let readings = reader.read(&names).await;
        let by_owner: HashMap<AddressId, _> =
            owners.iter().map(|(id, _)| *id).zip(readings).collect();

        let readings_per_row: Vec<Reading> = rows
            .iter()
            .map(|row| {
                let owner = &by_owner[&row.key.address];
                match &row.contract {
                    None => owner.lamports.clone(),
                    Some(mint) => owner
                        .tokens
                        .as_ref()
                        .map(|(held, slot)| (held.get(mint).copied().unwrap_or_default(), *slot))
                        .map_err(Clone::clone),
                }
            })
            .collect();

        // Held but in no row of this sweep: discovered for its owner; new to the chain, its
        // decimals are read once (a mint that cannot be read is left out until it can).
        let in_rows = rows_by_owner(rows);
        let mut discovered = Vec::new();
        let mut unlisted = BTreeSet::new();
        for (owner, reading) in &by_owner {
            if let Ok((held, slot)) = &reading.tokens {
                for (mint, amount) in held {
                    if !in_rows.contains(&(*owner, mint.as_str())) {
                        discovered.push(Discovered {
                            owner: *owner,
                            contract: mint.clone(),
                            reading: (*amount, *slot),
                        });
                        if !self.listed.contains(mint) {
                            unlisted.insert(mint.clone());
                        }
                    }
                }
            }
        }
        let mut new_tokens = Vec::new();
        if !unlisted.is_empty() {
            let mints: Vec<String> = unlisted.into_iter().collect();
            let decimals = reader.mint_decimals(&mints).await;
            for (mint, decimals) in mints.into_iter().zip(decimals) {
                match decimals {
                    Ok(decimals) => new_tokens.push(NewToken {
                        chain: self.chain,
                        symbol: mint_symbol(&mint),
                        name: mint.clone(),
                        contract: mint,
                        decimals,
                    }),
                    Err(_) => {
                        tracing::warn!(%mint, "a held token's mint could not be read; it is left out until it can");
                        discovered.retain(|found| found.contract != mint);
                    }
                }
            }
        }
        RowsRead {
            discovered,
            new_tokens,
            genesis: if self.knows_genesis {
                None
            } else {
                reader.learned_genesis()
            },
            ..RowsRead::of(readings_per_row)
        }
    }
}
