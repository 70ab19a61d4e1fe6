//! Discovery: which candidate tokens each address holds. The candidates an address has no row of
//! and was not checked for lately are read like balances, all of a chain's in one pass (for EVM:
//! Multicall3 chunks at one pinned block, as sweeps read); one it holds gets a row, and keeps it.
//! An address is checked at the next sync after it is added, then by its activity tier, and fully
//! when the user asks. Families whose reads list an owner's tokens themselves need none of this.

use std::collections::HashSet;

use anyhow::Result;
use tracing::Instrument;

use super::events::Event;
use super::schedule::{self, Tier, millis};
use super::state::EngineState;
use super::sweep::{record_standings, remember_limits};
use crate::chains::{Row, family};
use crate::store::{AddressId, BalanceKey, BalanceRead, ChainRecord};

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

/// Checks the candidates of `chain` that `look` picks. A failed read records nothing: the pair is
/// checked again next time, and no row is ever removed.
pub(super) async fn discover(
    inner: &EngineState,
    chain: &ChainRecord,
    look: &Look,
) -> Result<Found> {
    if !chain.active || family(chain.family).lists_holdings {
        return Ok(Found::default());
    }
    let span = tracing::info_span!("discovery", chain = %chain.name);
    async {
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
        let standings: Vec<_> = (0..pool.len()).map(|index| pool.standing(index)).collect();
        let transitions = inner.store().atomically(|store| {
            // The chain as it is now: the sweep before this pass may have marked endpoints.
            let chain = store.chain_by_name(&chain.name)?.unwrap_or_else(|| chain.clone());
            store.record_sweep(inner.instance.id(), &held, &[])?;
            store.record_checks(&checked, now)?;
            remember_limits(store, &chain, &pool)?;
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
    .instrument(span)
    .await
}

/// The (address, candidate) pairs of `chain` that `look` picks, as rows to read.
fn due_pairs(
    inner: &EngineState,
    chain: &ChainRecord,
    look: &Look,
    now: crate::clock::UnixMillis,
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
