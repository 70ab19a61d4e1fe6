//! What a family implements so that a sweep can read its chains without knowing which family they
//! are: read leased rows into values (with what owners were found to hold beyond them), and read a
//! token's metadata. A family registers itself once, in [`super::FAMILIES`].

use std::collections::HashSet;
use std::sync::Arc;

use alloy_primitives::U256;
use futures::future::BoxFuture;

use super::pool::EndpointPool;
use crate::model::Family;
use crate::store::{AddressId, BalanceKey, ChainRecord, LeasedBalance, NewToken, TokenAccount};

/// A balance to read: of which address, of which asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: BalanceKey,
    pub address: String,
    /// The token's contract or mint; `None` for the native coin.
    pub contract: Option<String>,
}

impl From<&LeasedBalance> for Row {
    fn from(leased: &LeasedBalance) -> Self {
        Row {
            key: leased.key,
            address: leased.address.clone(),
            contract: leased.contract.clone(),
        }
    }
}

/// A value and the block or slot it was read at, or why it could not be read.
pub type Reading = Result<(U256, u64), String>;

/// A token an owner was found to hold that no row of the sweep was about.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub owner: AddressId,
    /// The token's contract or mint, as its family spells it.
    pub contract: String,
    pub reading: (U256, u64),
}

/// What a source made of a sweep's rows.
#[derive(Debug, Default)]
pub struct RowsRead {
    /// One per leased row, in order.
    pub readings: Vec<Reading>,
    pub discovered: Vec<Discovered>,
    /// The tokens among those discovered that the chain did not list yet, with their metadata.
    pub new_tokens: Vec<NewToken>,
    /// Set when nothing at all could be read, naming the endpoints.
    pub unreachable: Option<String>,
    /// Addresses the chain has seen used (what moves a watch key's gap limit).
    pub used: Vec<AddressId>,
    /// What the mempool would change of balances read, where the chain shows it apart (Bitcoin).
    pub pending: Vec<(BalanceKey, i128)>,
    /// The chain's identity, learned on first contact, to remember (Solana's genesis hash).
    pub genesis: Option<String>,
}

impl RowsRead {
    /// Nothing could be read: every row fails with `why`.
    pub fn failed(rows: usize, why: String) -> Self {
        RowsRead {
            readings: vec![Err(why.clone()); rows],
            unreachable: Some(why),
            ..RowsRead::default()
        }
    }

    /// These readings, one per row; unreachable when every one failed, for the first one's reason.
    pub fn of(readings: Vec<Reading>) -> Self {
        let unreachable = readings
            .iter()
            .all(Result::is_err)
            .then(|| readings.iter().find_map(|reading| reading.clone().err()))
            .flatten();
        RowsRead {
            readings,
            unreachable,
            ..RowsRead::default()
        }
    }
}

/// The distinct owners of `rows`, in order of id, for sources that read owner by owner.
pub fn owners_of(rows: &[Row]) -> Vec<(AddressId, String)> {
    let mut owners: Vec<(AddressId, String)> = rows
        .iter()
        .map(|row| (row.key.address, row.address.clone()))
        .collect();
    owners.sort();
    owners.dedup();
    owners
}

/// A token's symbol, name and decimals, as its chain tells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMetadata {
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
    /// Whether the chain told the symbol and name (a Solana mint tells only its decimals; then a
    /// list's names are better than these).
    pub named: bool,
}

/// A token account a listing found, with what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAccount {
    pub account: TokenAccount,
    pub reading: (U256, u64),
}

/// What a listing of owners' whole holdings found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Per owner asked, in order: every token account it has, or why it could not be listed.
    pub owners: Vec<Result<Vec<ListedAccount>, String>>,
    /// The tokens among those listed that the chain did not list yet, with their metadata.
    pub new_tokens: Vec<NewToken>,
    /// Set when no owner could be listed at all, naming the endpoints.
    pub unreachable: Option<String>,
}

/// A chain's reader. It never writes: the sweep writes what it returns.
pub trait Source: Send + Sync {
    /// Reads the leased rows of the chain, one reading per row, in order.
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead>;

    /// Lists every token account of each owner: what discovery does for families whose tokens
    /// are kept in accounts apart from their owners ([`Discovery::Listing`]).
    fn list<'a>(&'a self, owners: &'a [(AddressId, String)]) -> BoxFuture<'a, Listing> {
        Box::pin(async move {
            let why = "this family lists no holdings apart from its reads".to_owned();
            Listing {
                owners: vec![Err(why.clone()); owners.len()],
                unreachable: Some(why),
                ..Listing::default()
            }
        })
    }

    /// Reads the metadata of the token at `contract` (as the family's address parser spells it),
    /// refusing one whose balances could not be shown right.
    fn token<'a>(&'a self, contract: &'a str) -> BoxFuture<'a, Result<TokenMetadata, String>> {
        let _ = contract;
        Box::pin(async {
            Err("tokens of this family are found by syncing, not added by address".to_owned())
        })
    }
}

/// The tokens each owner has a row of among `rows`, so that others it holds are discovered.
pub fn rows_by_owner(rows: &[Row]) -> HashSet<(AddressId, &str)> {
    rows.iter()
        .filter_map(|row| Some((row.key.address, row.contract.as_deref()?)))
        .collect()
}

/// What a source is opened with.
pub struct SourceContext<'a> {
    pub chain: &'a ChainRecord,
    /// The chain's pool, which outlives the source.
    pub pool: Arc<EndpointPool>,
    /// The token contracts (or mints) the chain already lists, so that others held are discovered.
    pub listed: HashSet<String>,
    /// The token accounts the owners' last listings found, for families that keep tokens in them.
    pub token_accounts: Vec<TokenAccount>,
}

/// How a family's chains find the tokens an owner holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// Candidate tokens are checked for each owner, one (owner, token) pair a read (EVM).
    Candidates,
    /// Every read of an owner lists all it holds (TRON): nothing is left to discover.
    EveryRead,
    /// An owner's token accounts are listed whole on the discovery schedule
    /// ([`Source::list`]), and reads refresh those accounts (Solana).
    Listing,
}

/// A family as the rest of holdings meets it.
pub struct FamilyDef {
    pub family: Family,
    /// A new chain's native coin when none is given: symbol, name, decimals.
    pub native: (&'static str, &'static str, u8),
    /// The HTTP header its APIs take a key in, for families whose APIs take one apart from the URL.
    pub key_header: Option<&'static str>,
    /// How its chains find the tokens an owner holds.
    pub discovery: Discovery,
    pub open: fn(SourceContext<'_>) -> anyhow::Result<Box<dyn Source>>,
}
