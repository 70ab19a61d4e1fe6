//! Discovery: which tokens each address holds beyond its rows. An address is looked at at the
//! next sync after it is added, then by its activity tier, and fully when the user asks; what its
//! family's [`Discovery`] says decides how:
//! - candidates: those an address has no row of and was not checked for lately are read like
//!   balances, all of a chain's in one pass (for EVM: Multicall3 chunks at one pinned block, as
//!   sweeps read); one it holds gets a row, and keeps it;
//! - listing: the address's token accounts are listed whole; each token it has an account of gets
//!   a row, and the accounts are remembered for the sweeps that refresh them;
//! - every read: the sweeps' reads list all an owner holds, and there is nothing left to do.

use std::collections::{BTreeMap, HashSet};

use alloy_primitives::U256;
use anyhow::Result;
use tracing::Instrument;

use super::events::Event;
use super::schedule::{self, Tier, millis};
use super::state::EngineState;
use super::sweep::{record_discovered, record_standings, remember_limits};
use crate::chains::pool::EndpointPool;
use crate::chains::{Discovered, Discovery, Row, family};
use crate::clock::UnixMillis;
use crate::store::{AddressId, BalanceKey, BalanceRead, ChainRecord, TokenAccount};

/// Which checks a pass makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    /// Those due by each address's tier (never checked, or checked before its interval).
    Due,
    /// Every candidate, of these addresses or of all, however recently checked.
    Everything(Option<HashSet<AddressId>>),
}

/// What a discovery pass of one chain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// (address, candidate) pairs read.
    pub checked: usize,
    /// Of those, the ones held: each now has a row.
    pub held: usize,
    pub requests: u64,
    /// Set when no pair could be read at all, naming the endpoints.
    pub unreachable: Option<String>,
}

/// Looks at the addresses of `chain` that `look` picks, as its family discovers tokens.
pub(super) async fn discover(
    inner: &EngineState,
    chain: &ChainRecord,
    look: &Look,
) -> Result<Found> {
    if !chain.active {
        return Ok(Found::default());
    }
    let span = tracing::info_span!("discovery", chain = %chain.name);
    match family(chain.family).discovery {
        Discovery::EveryRead => Ok(Found::default()),
        Discovery::Candidates => check_candidates(inner, chain, look).instrument(span).await,
        Discovery::Listing => list_holdings(inner, chain, look).instrument(span).await,
    }
}

/// Checks the candidates of `chain` that `look` picks. A failed read records nothing: the pair is
/// checked again next time, and no row is ever removed.
async fn check_candidates(inner: &EngineState, chain: &ChainRecord, look: &Look) -> Result<Found> {
    let now = inner.clock.now();
    let rows = due_pairs(inner, chain, look, now)?;
    if rows.is_empty() {
        return Ok(Found::default());
    }
    let (pool, source) = inner.source(chain)?;
    let requests_before = pool.requests();
    let read = source.read(&rows).await;
    let finished_at = inner.clock.now();
    let mut checked = Vec::new();
    let mut held = Vec::new();
    for (row, reading) in rows.iter().zip(&read.readings) {
        let Ok((raw, block)) = reading else { continue };
        checked.push(row.key);
        if !raw.is_zero() {
            held.push(BalanceRead {
                key: row.key,
                raw: *raw,
                block: *block,
                fetched_at: now,
                next_due_at: schedule::after_success(finished_at, Tier::Hot, &inner.ttls.get()),
            });
        }
    }
    let found = Found {
        checked: checked.len(),
        held: held.len(),
        requests: pool.requests() - requests_before,
        unreachable: read.unreachable.clone(),
    };
    record(inner, chain, &pool, finished_at, found, |store| {
        store.record_sweep(inner.instance.id(), &held, &[])?;
        store.record_checks(&checked, now)?;
        Ok(held.len())
    })
}

/// Lists the token accounts of the addresses of `chain` that `look` picks. An address that could
/// not be listed records nothing, and is listed again next time.
async fn list_holdings(inner: &EngineState, chain: &ChainRecord, look: &Look) -> Result<Found> {
    let now = inner.clock.now();
    let owners = owners_due(inner, chain, look, now)?;
    if owners.is_empty() {
        return Ok(Found::default());
    }
    let (pool, source) = inner.source(chain)?;
    let requests_before = pool.requests();
    let listing = source.list(&owners).await;
    let finished_at = inner.clock.now();

    let mut listed: Vec<(AddressId, Vec<TokenAccount>)> = Vec::new();
    let mut holdings = Vec::new();
    for ((owner, _), accounts) in owners.iter().zip(listing.owners) {
        let Ok(accounts) = accounts else { continue };
        // Several accounts of one mint add up to one balance, at the listing's slot.
        let mut by_mint: BTreeMap<String, (U256, u64)> = BTreeMap::new();
        for found in &accounts {
            let (total, slot) = by_mint
                .entry(found.account.contract.clone())
                .or_insert((U256::ZERO, found.reading.1));
            *total = total.saturating_add(found.reading.0);
            *slot = (*slot).min(found.reading.1);
        }
        holdings.extend(by_mint.into_iter().map(|(contract, reading)| Discovered {
            owner: *owner,
            contract,
            reading,
        }));
        listed.push((
            *owner,
            accounts.into_iter().map(|found| found.account).collect(),
        ));
    }
    let found = Found {
        checked: listed.len(),
        requests: pool.requests() - requests_before,
        unreachable: listing.unreachable,
        ..Found::default()
    };
    let ttls = inner.ttls.get();
    record(inner, chain, &pool, finished_at, found, |store| {
        let reads = record_discovered(store, chain, &holdings, &listing.new_tokens, now, &ttls)?;
        let mut new_rows = 0;
        for read in &reads {
            new_rows += usize::from(store.balance(read.key)?.is_none());
        }
        store.record_sweep(inner.instance.id(), &reads, &[])?;
        for (owner, accounts) in &listed {
            store.record_listing(chain.id, *owner, accounts, now)?;
        }
        Ok(new_rows)
    })
}

/// Writes a pass's findings (what `write` writes, and what the endpoints were found to take) in one
/// transaction, then tells listeners of them; returns the pass's report, with the rows that got a
/// first value `write` says it wrote.
fn record(
    inner: &EngineState,
    chain: &ChainRecord,
    pool: &EndpointPool,
    finished_at: UnixMillis,
    mut found: Found,
    write: impl FnOnce(&mut crate::store::Store) -> Result<usize>,
) -> Result<Found> {
    let standings: Vec<_> = (0..pool.len()).map(|index| pool.standing(index)).collect();
    let transitions = inner.store().atomically(|store| {
        // The chain as it is now: the sweep before this pass may have marked endpoints.
        let chain = store
            .chain_by_name(&chain.name)?
            .unwrap_or_else(|| chain.clone());
        found.held = write(store)?;
        remember_limits(store, &chain, pool)?;
        record_standings(store, &chain, &standings, finished_at)
    })?;
    for event in transitions {
        inner.emit(event);
    }
    if found.held > 0 {
        inner.emit(Event::BalancesChanged {
            chain: chain.name.clone(),
            written: found.held,
            failed: 0,
        });
    }
    tracing::info!(checked = found.checked, held = found.held, requests = found.requests, unreachable = ?found.unreachable, "discovery done");
    Ok(found)
}

/// The addresses of `chain` whose holdings `look` picks to be listed.
fn owners_due(
    inner: &EngineState,
    chain: &ChainRecord,
    look: &Look,
    now: UnixMillis,
) -> Result<Vec<(AddressId, String)>> {
    let store = inner.store();
    let listed_at = store.listed_at(chain.id)?;
    let mut owners = Vec::new();
    for address in store.addresses_on_chain(chain.id)? {
        let due = match look {
            Look::Due => {
                let tier = Tier::of(address.last_activity_at, address.added_at, now);
                listed_at
                    .get(&address.id)
                    .is_none_or(|at| *at < now - millis(schedule::discovery_interval(tier)))
            }
            Look::Everything(Some(only)) => only.contains(&address.id),
            Look::Everything(None) => true,
        };
        if due {
            owners.push((address.id, address.address));
        }
    }
    Ok(owners)
}

/// The (address, candidate) pairs of `chain` that `look` picks, as rows to read.
fn due_pairs(
    inner: &EngineState,
    chain: &ChainRecord,
    look: &Look,
    now: UnixMillis,
) -> Result<Vec<Row>> {
    let store = inner.store();
    let mut rows = Vec::new();
    for address in store.addresses_on_chain(chain.id)? {
        let since = match look {
            Look::Due => {
                let tier = Tier::of(address.last_activity_at, address.added_at, now);
                now - millis(schedule::discovery_interval(tier))
            }
            Look::Everything(Some(only)) if !only.contains(&address.id) => continue,
            Look::Everything(_) => now + 1,
        };
        for candidate in store.candidates_due(chain.id, address.id, since)? {
            rows.push(Row {
                key: BalanceKey {
                    address: address.id,
                    asset: candidate.asset,
                },
                address: address.address.clone(),
                contract: Some(candidate.contract),
            });
        }
    }
    Ok(rows)
}
