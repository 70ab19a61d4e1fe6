//! The health checks of seed 002, over the whole table: rows not refreshed lately, rows failing
//! again and again, leases, never-read rows.

use rusqlite::params;

use super::{Result, Store};
use crate::clock::UnixMillis;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    pub wallets: u64,
    pub addresses: u64,
    pub balances: u64,
    pub never_read: u64,
    /// Read before, but not since the given age.
    pub not_refreshed: u64,
    /// Whose last attempt failed.
    pub failing: u64,
    /// Failed more than ten times since their last good read.
    pub failing_repeatedly: u64,
    pub leases_held: u64,
    /// Leases past their expiry that no one released.
    pub stale_leases: u64,
    pub endpoints_offline: u64,
}

impl Store {
    /// Counts the rows of each health check; `refreshed_since` separates recent reads from old ones.
    pub fn health(&self, now: UnixMillis, refreshed_since: UnixMillis) -> Result<Health> {
        let (wallets, addresses, endpoints_offline): (u64, u64, u64) = self
            .conn
            .prepare_cached(
                "SELECT (SELECT count(*) FROM wallets), (SELECT count(*) FROM addresses), \
             (SELECT count(*) FROM endpoints WHERE offline_since IS NOT NULL) \
             /* full scan: the report counts every wallet and address */",
            )?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        let health = self
            .conn
            .prepare_cached(
                "SELECT count(*), count(*) FILTER (WHERE raw IS NULL), \
                 count(*) FILTER (WHERE fetched_at < ?2), \
                 count(*) FILTER (WHERE error_count > 0), count(*) FILTER (WHERE error_count > 10), \
                 count(*) FILTER (WHERE locked_by IS NOT NULL), count(*) FILTER (WHERE locked_until < ?1) \
                 FROM balances /* full scan: the report counts every row */",
            )?
            .query_row(params![now, refreshed_since], |row| {
                Ok(Health {
                    wallets,
                    addresses,
                    balances: row.get(0)?,
                    never_read: row.get(1)?,
                    not_refreshed: row.get(2)?,
                    failing: row.get(3)?,
                    failing_repeatedly: row.get(4)?,
                    leases_held: row.get(5)?,
                    stale_leases: row.get(6)?,
                    endpoints_offline,
                })
            })?;
        Ok(health)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;
    use crate::store::testing::{each_store, registered_pair};
    use crate::store::{BalanceFailure, BalanceRead};

    #[test]
    fn each_check_counts_its_rows() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            store
                .record_sweep(
                    "me",
                    &[BalanceRead {
                        key: native,
                        raw: U256::from(1),
                        block: 1,
                        fetched_at: 1_000,
                        next_due_at: 0,
                    }],
                    &[],
                )
                .unwrap();
            for attempt in 0..11 {
                let failure = BalanceFailure {
                    key: token,
                    error: "boom".into(),
                    failed_at: attempt,
                    next_due_at: 0,
                };
                store.record_sweep("me", &[], &[failure]).unwrap();
            }
            store
                .claim(chain, "crashed", 2_000, 3_000, crate::store::Pick::All, 1)
                .unwrap();
            let health = store.health(10_000, 5_000).unwrap();
            assert_eq!(
                health,
                Health {
                    wallets: 1,
                    addresses: 1,
                    balances: 2,
                    never_read: 1,
                    not_refreshed: 1,
                    failing: 1,
                    failing_repeatedly: 1,
                    leases_held: 1,
                    stale_leases: 1,
                    endpoints_offline: 0,
                }
            );
        });
    }
}
