//! The engine's health (seed 002's checks) and the last sweep of each chain: what `status` shows.

use anyhow::Result;
use serde::Serialize;

use super::settings::shown_url;
use crate::clock::UnixMillis;
use crate::store::{Health, Store, SyncRun};

/// Rows not read for this long are reported as not refreshed.
const REFRESH_EXPECTED_MS: i64 = 5 * 60 * 1_000;

/// The field names are a public interface (`status --json`).
#[derive(Debug, Serialize)]
pub struct Status {
    #[serde(flatten)]
    pub health: Health,
    /// Cached reads served from memory, over every sweep recorded; `None` before any cached read.
    pub cache_hit_rate: Option<f64>,
    pub chains: Vec<ChainStatus>,
}

#[derive(Debug, Serialize)]
pub struct ChainStatus {
    pub chain: String,
    pub active: bool,
    pub last_sweep: Option<SyncRun>,
    /// Endpoints not answering, shown without path or query.
    pub endpoints_offline: Vec<String>,
}

pub(super) fn status(store: &Store, now: UnixMillis) -> Result<Status> {
    let health = store.health(now, now - REFRESH_EXPECTED_MS)?;
    let chains = store
        .chains()?
        .into_iter()
        .map(|chain| {
            let endpoints_offline = chain
                .endpoints
                .iter()
                .filter(|endpoint| endpoint.offline_since.is_some())
                .map(|endpoint| shown_url(&endpoint.url))
                .collect();
            Ok(ChainStatus {
                last_sweep: store.last_sync_run(chain.id)?,
                chain: chain.name,
                active: chain.active,
                endpoints_offline,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (hits, misses) = store.cache_totals()?;
    let cache_hit_rate = (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64);
    Ok(Status {
        health,
        cache_hit_rate,
        chains,
    })
}
