//! `sync_runs`: one row per sweep of a chain, for the health report.

use rusqlite::{OptionalExtension, params};

use super::{ChainId, Result, Store};
use crate::clock::UnixMillis;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncRun {
    pub started_at: UnixMillis,
    pub finished_at: UnixMillis,
    pub balances_ok: u64,
    pub balances_failed: u64,
    pub rpc_requests: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub error: Option<String>,
}

impl Store {
    pub fn insert_sync_run(&mut self, chain: ChainId, run: &SyncRun) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(
            "INSERT INTO sync_runs (chain_id, started_at, finished_at, balances_ok, balances_failed, rpc_requests, \
             cache_hits, cache_misses, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            chain,
            run.started_at,
            run.finished_at,
            run.balances_ok,
            run.balances_failed,
            run.rpc_requests,
            run.cache_hits,
            run.cache_misses,
            run.error
        ])?;
        tx.commit()?;
        Ok(())
    }

    /// Cache hits and misses over every recorded sweep.
    pub fn cache_totals(&self) -> Result<(u64, u64)> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT coalesce(sum(cache_hits), 0), coalesce(sum(cache_misses), 0) FROM sync_runs \
                 /* full scan: totals over every sweep */",
            )?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?)
    }

    pub fn last_sync_run(&self, chain: ChainId) -> Result<Option<SyncRun>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT started_at, finished_at, balances_ok, balances_failed, rpc_requests, cache_hits, \
                 cache_misses, error FROM sync_runs WHERE chain_id = ?1 ORDER BY started_at DESC LIMIT 1",
            )?
            .query_row([chain], |row| {
                Ok(SyncRun {
                    started_at: row.get(0)?,
                    finished_at: row.get(1)?,
                    balances_ok: row.get(2)?,
                    balances_failed: row.get(3)?,
                    rpc_requests: row.get(4)?,
                    cache_hits: row.get(5)?,
                    cache_misses: row.get(6)?,
                    error: row.get(7)?,
                })
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, evm_chain};

    #[test]
    fn the_latest_run_per_chain_is_found() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            assert_eq!(store.last_sync_run(chain).unwrap(), None);
            let run = |started_at, ok| SyncRun {
                started_at,
                finished_at: started_at + 5,
                balances_ok: ok,
                ..SyncRun::default()
            };
            store.insert_sync_run(chain, &run(100, 1)).unwrap();
            store.insert_sync_run(chain, &run(200, 2)).unwrap();
            let last = store.last_sync_run(chain).unwrap().unwrap();
            assert_eq!(store.cache_totals().unwrap(), (0, 0));
            assert_eq!((last.started_at, last.balances_ok), (200, 2));
        });
    }
}
