//! Watch keys' gap limit: as addresses of an extended key are found used, the next ones are
//! derived and watched, until `GAP_LIMIT` unused ones follow the last used one of each branch.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::clock::UnixMillis;
use crate::model::{BitcoinNetwork, GAP_LIMIT, WatchKey};
use crate::store::{BalanceKey, ChainRecord, DerivedAddress, Store, WalletId};

/// The most addresses watched of one branch of a key, however many a source calls used: one that
/// calls every address used cannot grow a wallet without bound.
const MOST_PER_BRANCH: u32 = 1_000;

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
        *derived = (*derived).max(index.saturating_add(1));
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
            let wanted = last_used
                .map_or(GAP_LIMIT, |last| last.saturating_add(1 + GAP_LIMIT))
                .min(MOST_PER_BRANCH);
            if wanted == MOST_PER_BRANCH && derived < wanted {
                tracing::warn!(
                    wallet = ?wallet,
                    branch = branch.number(),
                    "a branch of a watch key reached {MOST_PER_BRANCH} addresses; no more are derived"
                );
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::bitcoin_chain;

    /// BIP84's account key (its test vector).
    const ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

    #[test]
    fn a_source_calling_every_address_used_grows_a_key_to_the_cap_and_no_further() {
        let mut store = Store::open_in_memory().unwrap();
        store.insert_chain(&bitcoin_chain("devbtc")).unwrap();
        crate::watchlist::add(&mut store, ZPUB, None, &[], 0).unwrap();
        let chain = store.chain_by_name("devbtc").unwrap().unwrap();
        for _ in 0..=MOST_PER_BRANCH / GAP_LIMIT {
            // Every address derived so far is found used, as a lying Esplora would say.
            let all: Vec<_> = store.addresses().unwrap().iter().map(|a| a.id).collect();
            store.mark_used(&all).unwrap();
            extend(&mut store, &chain, 0).unwrap();
        }
        let per_branch = |branch: &str| {
            store
                .derived_addresses(chain.id)
                .unwrap()
                .iter()
                .filter(|(_, _, path, _)| path.starts_with(branch))
                .count()
        };
        assert_eq!(per_branch("0/"), MOST_PER_BRANCH as usize);
        assert_eq!(per_branch("1/"), MOST_PER_BRANCH as usize);
        let all: Vec<_> = store.addresses().unwrap().iter().map(|a| a.id).collect();
        store.mark_used(&all).unwrap();
        assert!(
            extend(&mut store, &chain, 0).unwrap().is_empty(),
            "no further"
        );
    }
}
