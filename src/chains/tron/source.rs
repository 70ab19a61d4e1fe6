//! TRON chains as a [`Source`]: rows read owner by owner at the latest block, from each account's
//! TRX and TRC-20 list, `balanceOf` for watched tokens its list lacks; tokens listed but not
//! watched yet are discovered.

use std::collections::{BTreeSet, HashMap, HashSet};

use alloy_primitives::U256;
use anyhow::Result;
use futures::future::BoxFuture;

use super::TronReader;
use crate::chains::{
    Discovered, Discovery, FamilyDef, Reading, Row, RowsRead, Source, SourceContext, TokenMetadata,
    owners_of, rows_by_owner,
};
use crate::model::Family;
use crate::store::{AddressId, ChainId, NewToken};

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Tron,
    native: ("TRX", "TRON", 6),
    key_header: Some("tron-pro-api-key"),
    discovery: Discovery::EveryRead,
    open,
};

struct TronSource {
    reader: TronReader,
    chain: ChainId,
    /// The TRC-20 contracts the chain already lists.
    listed: HashSet<String>,
}

fn open(context: SourceContext<'_>) -> Result<Box<dyn Source>> {
    Ok(Box::new(TronSource {
        reader: TronReader::new(context.pool),
        chain: context.chain.id,
        listed: context.listed,
    }))
}

impl Source for TronSource {
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead> {
        Box::pin(self.read_rows(rows))
    }

    fn token<'a>(&'a self, contract: &'a str) -> BoxFuture<'a, Result<TokenMetadata, String>> {
        Box::pin(self.reader.token(contract))
    }
}

impl TronSource {
    async fn read_rows(&self, rows: &[Row]) -> RowsRead {
        let reader = &self.reader;
        let block = match reader.block().await {
            Ok(block) => block,
            Err(why) => return RowsRead::failed(rows.len(), why),
        };
        let owners = owners_of(rows);
        let names: Vec<String> = owners.iter().map(|(_, name)| name.clone()).collect();
        let by_owner: HashMap<AddressId, _> = owners
            .iter()
            .map(|(id, _)| *id)
            .zip(reader.accounts(&names).await)
            .collect();

        let unlisted: Vec<(String, String)> = rows
            .iter()
            .filter_map(|row| {
                let contract = row.contract.as_ref()?;
                let account = by_owner[&row.key.address].as_ref().ok()?;
                (!account.trc20.contains_key(contract))
                    .then(|| (row.address.clone(), contract.clone()))
            })
            .collect();
        let called: HashMap<(String, String), Result<U256, String>> = unlisted
            .iter()
            .cloned()
            .zip(reader.balances_of(&unlisted).await)
            .collect();

        let readings: Vec<Reading> = rows
            .iter()
            .map(|row| {
                let account = by_owner[&row.key.address].as_ref().map_err(Clone::clone)?;
                let value = match &row.contract {
                    None => account.sun,
                    Some(contract) => match account.trc20.get(contract) {
                        Some(amount) => *amount,
                        None => called[&(row.address.clone(), contract.clone())].clone()?,
                    },
                };
                Ok((value, block))
            })
            .collect();

        // Held but in no row of this sweep: discovered for its owner; new to the chain, its
        // metadata is read once.
        let in_rows = rows_by_owner(rows);
        let mut discovered = Vec::new();
        let mut unlisted = BTreeSet::new();
        for (owner, account) in &by_owner {
            for (contract, amount) in account.iter().flat_map(|account| &account.trc20) {
                if !in_rows.contains(&(*owner, contract.as_str())) {
                    discovered.push(Discovered {
                        owner: *owner,
                        contract: contract.clone(),
                        reading: (*amount, block),
                    });
                    if !self.listed.contains(contract) {
                        unlisted.insert(contract.clone());
                    }
                }
            }
        }
        let mut new_tokens = Vec::new();
        for contract in unlisted {
            match reader.token(&contract).await {
                Ok(metadata) => new_tokens.push(NewToken {
                    chain: self.chain,
                    contract,
                    symbol: metadata.symbol,
                    name: metadata.name,
                    decimals: metadata.decimals,
                }),
                Err(why) => {
                    tracing::warn!(%contract, %why, "a held token could not be read; it is left out until it can");
                    discovered.retain(|found| found.contract != contract);
                }
            }
        }
        RowsRead {
            discovered,
            new_tokens,
            ..RowsRead::of(readings)
        }
    }
}
