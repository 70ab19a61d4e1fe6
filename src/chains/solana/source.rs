//! Solana chains as a [`Source`]: rows read owner by owner. An owner's token listing is complete
//! for both token programs, so a mint it does not list holds zero, and a mint it lists that the
//! chain does not list yet is discovered (its decimals read once).

use std::collections::{BTreeMap, HashMap, HashSet};

use alloy_primitives::U256;
use anyhow::Result;
use futures::future::BoxFuture;

use super::SolanaReader;
use crate::chains::{Discovered, FamilyDef, Reading, RowsRead, Source, SourceContext, owners_of};
use crate::model::Family;
use crate::store::{AddressId, ChainId, LeasedBalance, NewToken};

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Solana,
    native: ("SOL", "Solana", 9),
    // Solana providers put their keys in the URL.
    key_header: None,
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
    fn read<'a>(&'a self, rows: &'a [LeasedBalance]) -> BoxFuture<'a, RowsRead> {
        Box::pin(self.read_rows(rows))
    }
}

impl SolanaSource {
    async fn read_rows(&self, rows: &[LeasedBalance]) -> RowsRead {
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

        // Mints held that are not listed yet: their decimals are read once, then they are watched.
        let mut new_mints: BTreeMap<String, Vec<(AddressId, U256, u64)>> = BTreeMap::new();
        for (owner, reading) in &by_owner {
            if let Ok((held, slot)) = &reading.tokens {
                for (mint, amount) in held.iter().filter(|(mint, _)| !self.listed.contains(*mint)) {
                    new_mints
                        .entry(mint.clone())
                        .or_default()
                        .push((*owner, *amount, *slot));
                }
            }
        }
        let mut discovered = Vec::new();
        if !new_mints.is_empty() {
            let mints: Vec<String> = new_mints.keys().cloned().collect();
            let decimals = reader.mint_decimals(&mints).await;
            for (mint, decimals) in mints.iter().zip(decimals) {
                let Ok(decimals) = decimals else {
                    tracing::warn!(%mint, "a held token's mint could not be read; it is left out until it can");
                    continue;
                };
                let token = NewToken {
                    chain: self.chain,
                    contract: mint.clone(),
                    symbol: format!("{}…", &mint[..4.min(mint.len())]),
                    name: mint.clone(),
                    decimals,
                };
                for (owner, amount, slot) in &new_mints[mint] {
                    discovered.push(Discovered {
                        owner: *owner,
                        token: token.clone(),
                        reading: (*amount, *slot),
                    });
                }
            }
        }
        RowsRead {
            discovered,
            genesis: if self.knows_genesis {
                None
            } else {
                reader.learned_genesis()
            },
            ..RowsRead::of(readings_per_row)
        }
    }
}
