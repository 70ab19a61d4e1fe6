//! Whether each chain can be reached, and when it last was: what the offline banner says.

use anyhow::Result;
use serde::Serialize;

use crate::clock::UnixMillis;
use crate::store::{ChainRecord, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChainConnectivity {
    pub chain: String,
    /// False when every endpoint of the chain has stopped answering.
    pub reachable: bool,
    /// Since when the chain's last answering endpoint has not answered.
    pub offline_since: Option<UnixMillis>,
    /// When a balance was last read from the chain.
    pub last_read_at: Option<UnixMillis>,
}

/// The active chains that watch something, each with whether it answers.
pub fn connectivity(store: &Store) -> Result<Vec<ChainConnectivity>> {
    let mut chains = Vec::new();
    for chain in store.chains()? {
        if chain.active && store.watches_anything(chain.id)? {
            chains.push(ChainConnectivity::of(&chain, store.last_read_at(chain.id)?));
        }
    }
    Ok(chains)
}

impl ChainConnectivity {
    fn of(chain: &ChainRecord, last_read_at: Option<UnixMillis>) -> Self {
        let offline: Vec<UnixMillis> = chain
            .endpoints
            .iter()
            .filter_map(|endpoint| endpoint.offline_since)
            .collect();
        let reachable = offline.len() < chain.endpoints.len();
        Self {
            chain: chain.name.clone(),
            reachable,
            // the chain went offline when its last endpoint did
            offline_since: offline.into_iter().max().filter(|_| !reachable),
            last_read_at,
        }
    }
}
