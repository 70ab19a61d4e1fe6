//! Solana chains as a [`Source`]. A row is read from accounts alone: SOL from its owner's account,
//! a token from the owner's token accounts of its mint that the last listing found, or from the
//! owner's associated token account of the mint when it found none; an account that does not exist
//! holds zero. Listing an owner (on the discovery schedule) finds its token accounts,
//! and the mints new to the chain (their decimals read once).

use std::collections::{BTreeSet, HashMap, HashSet};

use alloy_primitives::U256;
use anyhow::Result;
use futures::future::BoxFuture;

use super::{AccountAt, SolanaReader, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, associated_token_account};
use crate::chains::{
    Discovery, FamilyDef, ListedAccount, Listing, Reading, Row, RowsRead, Source, SourceContext,
    TokenMetadata,
};
use crate::model::Family;
use crate::store::{AddressId, ChainId, NewToken, TokenAccount};

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Solana,
    native: ("SOL", "Solana", 9),
    // Solana providers put their keys in the URL.
    key_header: None,
    discovery: Discovery::Listing,
    open,
};

struct SolanaSource {
    reader: SolanaReader,
    chain: ChainId,
    /// Whether the chain's genesis hash is stored yet: if not, the first one seen is learned.
    knows_genesis: bool,
    /// The mints the chain already lists.
    listed: HashSet<String>,
    /// The token accounts of each (owner, mint) that the owner's last listing found.
    accounts: HashMap<(AddressId, String), Vec<String>>,
    /// The program each mint's known accounts belong to: where its associated accounts are.
    programs: HashMap<String, String>,
}

fn open(context: SourceContext<'_>) -> Result<Box<dyn Source>> {
    let chain = context.chain;
    let mut accounts: HashMap<(AddressId, String), Vec<String>> = HashMap::new();
    let mut programs = HashMap::new();
    for known in context.token_accounts {
        programs.insert(known.contract.clone(), known.program);
        accounts
            .entry((known.owner, known.contract))
            .or_default()
            .push(known.account);
    }
    Ok(Box::new(SolanaSource {
        reader: SolanaReader::new(context.pool, chain.genesis.clone()),
        chain: chain.id,
        knows_genesis: chain.genesis.is_some(),
        listed: context.listed,
        accounts,
        programs,
    }))
}

impl Source for SolanaSource {
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead> {
        Box::pin(self.read_rows(rows))
    }

    fn list<'a>(&'a self, owners: &'a [(AddressId, String)]) -> BoxFuture<'a, Listing> {
        Box::pin(self.list_owners(owners))
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
    /// The accounts whose sum is `row`'s balance: the owner's own for SOL; for a token, the
    /// accounts its last listing found, or, with none found, the owner's associated account of
    /// the mint (under the program the mint's known accounts belong to, or under both when no
    /// account of it is known), which a wallet makes when it is first sent the token.
    fn accounts_of(&self, row: &Row) -> Vec<String> {
        let Some(mint) = &row.contract else {
            return vec![row.address.clone()];
        };
        if let Some(known) = self.accounts.get(&(row.key.address, mint.clone())) {
            return known.clone();
        }
        match self.programs.get(mint) {
            Some(program) => vec![program.as_str()],
            None => vec![TOKEN_PROGRAM, TOKEN_2022_PROGRAM],
        }
        .into_iter()
        .filter_map(|program| associated_token_account(&row.address, mint, program))
        .collect()
    }

    async fn read_rows(&self, rows: &[Row]) -> RowsRead {
        let per_row: Vec<Vec<String>> = rows.iter().map(|row| self.accounts_of(row)).collect();
        // Each account is asked for once, however many rows it counts in.
        let keys: Vec<String> = per_row
            .iter()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let read: HashMap<&str, AccountAt> = keys
            .iter()
            .map(String::as_str)
            .zip(self.reader.read_accounts(&keys).await)
            .collect();
        let readings = rows
            .iter()
            .zip(&per_row)
            .map(|(row, accounts)| {
                let mut total = U256::ZERO;
                let mut slot = u64::MAX;
                for account in accounts {
                    let (found, at) = read[account.as_str()].clone()?;
                    let held = match (&row.contract, found) {
                        (_, None) => 0,
                        (None, Some(own)) => own.lamports,
                        (Some(_), Some(token_account)) => token_account
                            .token_amount()
                            .map_err(|why| format!("{account}: {why}"))?,
                    };
                    total = total.saturating_add(U256::from(held));
                    slot = slot.min(at);
                }
                Ok((total, slot))
            })
            .collect::<Vec<Reading>>();
        RowsRead {
            genesis: self.learned_genesis(),
            ..RowsRead::of(readings)
        }
    }

    fn learned_genesis(&self) -> Option<String> {
        if self.knows_genesis {
            None
        } else {
            self.reader.learned_genesis()
        }
    }

    /// Lists each owner's token accounts; the mints new to the chain have their decimals read (a
    /// mint that cannot be read is left out of the listing until it can).
    async fn list_owners(&self, owners: &[(AddressId, String)]) -> Listing {
        let names: Vec<String> = owners.iter().map(|(_, name)| name.clone()).collect();
        let listings = self.reader.list(&names).await;
        let unlisted: Vec<String> = listings
            .iter()
            .flatten()
            .flat_map(|(accounts, _)| accounts.iter().map(|found| found.mint.clone()))
            .filter(|mint| !self.listed.contains(mint))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut new_tokens = Vec::new();
        let mut unreadable = HashSet::new();
        if !unlisted.is_empty() {
            let decimals = self.reader.mint_decimals(&unlisted).await;
            for (mint, decimals) in unlisted.into_iter().zip(decimals) {
                match decimals {
                    Ok(decimals) => new_tokens.push(NewToken {
                        chain: self.chain,
                        symbol: mint_symbol(&mint),
                        name: mint.clone(),
                        contract: mint,
                        decimals,
                    }),
                    Err(why) => {
                        tracing::warn!(%mint, %why, "a held token's mint could not be read; it is left out until it can");
                        unreadable.insert(mint);
                    }
                }
            }
        }
        let listed: Vec<Result<Vec<ListedAccount>, String>> = owners
            .iter()
            .zip(listings)
            .map(|((owner, _), listing)| {
                let (accounts, slot) = listing?;
                Ok(accounts
                    .into_iter()
                    .filter(|found| !unreadable.contains(&found.mint))
                    .map(|found| ListedAccount {
                        account: TokenAccount {
                            owner: *owner,
                            contract: found.mint,
                            account: found.account,
                            program: found.program.to_owned(),
                        },
                        reading: (found.amount, slot),
                    })
                    .collect())
            })
            .collect();
        let unreachable = listed
            .iter()
            .all(Result::is_err)
            .then(|| listed.iter().find_map(|owner| owner.clone().err()))
            .flatten();
        Listing {
            owners: listed,
            new_tokens,
            unreachable,
        }
    }
}
