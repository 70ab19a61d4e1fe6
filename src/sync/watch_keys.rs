//! Watch keys' gap limit: as addresses of an extended key are found used, the next ones are
//! derived and watched, until `GAP_LIMIT` unused ones follow the last used one of each branch.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::clock::UnixMillis;
use crate::model::{BitcoinNetwork, GAP_LIMIT, WatchKey};
use crate::store::{BalanceKey, ChainRecord, DerivedAddress, Store, WalletId};

/// Of a watch key's branch: how many addresses are derived, and the last used index.
type BranchState = (u32, Option<u32>);

/// Derives, for every watch key on `chain`, the addresses its gap limit now asks for (up to
/// `GAP_LIMIT` past the last used one of each branch), and watches them; returns their rows.
pub(super) fn extend(
    store: &mut Store,
    chain: &ChainRecord,
    now: UnixMillis,
) -> Result<Vec<BalanceKey>> {
    let Some(network) = chain
        .bitcoin_network
        .as_deref()
        .and_then(|text| text.parse::<BitcoinNetwork>().ok())
    else {
        return Ok(Vec::new());
    };
    let mut wallets: BTreeMap<WalletId, (String, BTreeMap<u32, BranchState>)> = BTreeMap::new();
    for (wallet, source, derivation, used) in store.derived_addresses(chain.id)? {
        let Some((branch, index)) = derivation
            .split_once('/')
            .and_then(|(b, i)| Some((b.parse().ok()?, i.parse::<u32>().ok()?)))
        else {
            continue;
        };
        let (_, branches) = wallets
            .entry(wallet)
            .or_insert_with(|| (source, BTreeMap::new()));
        let (derived, last_used) = branches.entry(branch).or_insert((0, None));
        *derived = (*derived).max(index + 1);
        if used {
            *last_used = Some(last_used.map_or(index, |last: u32| last.max(index)));
        }
    }
    let mut keys = Vec::new();
    for (wallet, (source, branches)) in wallets {
        let Ok(key) = WatchKey::parse(&source) else {
            continue;
        };
        let mut new = Vec::new();
        for branch in key.branches() {
            let (derived, last_used) = branches.get(&branch.number()).copied().unwrap_or((0, None));
            let wanted = last_used.map_or(GAP_LIMIT, |last| last + 1 + GAP_LIMIT);
            for index in derived..wanted {
                if let Some(address) = key.watched_address(branch, index, network) {
                    new.push(DerivedAddress {
                        address,
                        derivation: format!("{}/{index}", branch.number()),
                    });
                }
            }
        }
        if !new.is_empty() {
            keys.extend(store.add_derived(wallet, &new, &[chain.id], now)?);
        }
    }
    Ok(keys)
}
