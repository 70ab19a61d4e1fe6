//! Leases on balance rows (seed 002): before a sweep, an instance claims the rows it will read, so two
//! processes sharing the database never fetch the same row at once. A lease ends when the sweep is
//! written, when released, or when it expires.

use alloy_primitives::U256;
use rusqlite::params;

use super::balances::raw_column;

use super::{BalanceKey, ChainId, Result, Store};
use crate::clock::UnixMillis;
use crate::model::Family;

/// A claimed row with what a source needs to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeasedBalance {
    pub key: BalanceKey,
    pub address: String,
    /// `None` for the native coin.
    pub contract: Option<String>,
    pub decimals: u8,
    /// The value stored before this read, if any.
    pub raw: Option<U256>,
    pub error_count: u64,
    /// When the row was due to be read: later than now for a row backing off after failures that
    /// a user's own sync reads early.
    pub next_due_at: UnixMillis,
    /// When the address last had a balance change, and when it was added: its activity tier.
    pub last_activity_at: Option<UnixMillis>,
    pub added_at: UnixMillis,
}

/// Which rows of a chain a claim takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Those whose next read has come: what the background scheduler reads.
    Due,
    /// Those, and those backing off after a failure: what a user's own `sync` reads, since only
    /// the scheduler is paced by backoff.
    DueOrFailing,
    /// All of them.
    All,
}

const LEASED_COLUMNS: &str = "b.address_id, b.asset_id, ad.address, a.contract, a.decimals, b.raw, b.error_count, \
     ad.last_activity_at, ad.added_at, b.next_due_at";

/// What a source needs to read the rows just leased, in key order: one query over everything
/// `holder` leased until `until`, kept to `keys` (the same instance may hold others alike).
fn leased_rows(
    tx: &rusqlite::Connection,
    holder: &str,
    until: UnixMillis,
    keys: Vec<BalanceKey>,
) -> Result<Vec<LeasedBalance>> {
    let wanted: std::collections::HashSet<BalanceKey> = keys.into_iter().collect();
    let mut rows = tx
        .prepare_cached(&format!(
            "SELECT {LEASED_COLUMNS} FROM balances b JOIN assets a ON a.id = b.asset_id \
             JOIN addresses ad ON ad.id = b.address_id WHERE b.locked_by = ?1 AND b.locked_until = ?2"
        ))?
        .query_map(params![holder, until], leased_from_row)?
        .filter(|row| row.as_ref().map_or(true, |row| wanted.contains(&row.key)))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.sort_by_key(|row| row.key);
    Ok(rows)
}

fn leased_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LeasedBalance> {
    Ok(LeasedBalance {
        key: BalanceKey {
            address: row.get(0)?,
            asset: row.get(1)?,
        },
        address: row.get(2)?,
        contract: row.get(3)?,
        decimals: row.get(4)?,
        raw: raw_column(row, 5)?,
        error_count: row.get(6)?,
        last_activity_at: row.get(7)?,
        added_at: row.get(8)?,
        next_due_at: row.get(9)?,
    })
}

impl Store {
    /// Claims up to `limit` rows of `chain` that no live lease holds, until `until`, of those `pick`
    /// takes. The most overdue rows come first.
    pub fn claim(
        &mut self,
        chain: ChainId,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
        pick: Pick,
        limit: usize,
    ) -> Result<Vec<LeasedBalance>> {
        let tx = self.write()?;
        let due_before = if pick == Pick::All {
            UnixMillis::MAX
        } else {
            now
        };
        // Rows with more failures in a row than this are taken whenever due or not.
        let failing_above = if pick == Pick::DueOrFailing {
            0
        } else {
            i64::MAX
        };
        // RETURNING names exactly the rows this claim took, whatever else `holder` holds.
        let keys = tx
            .prepare_cached(
                "UPDATE balances SET locked_by = ?5, locked_until = ?6 WHERE (address_id, asset_id) IN ( \
                 SELECT b.address_id, b.asset_id FROM assets a JOIN balances b ON b.asset_id = a.id \
                 WHERE a.chain_id = ?1 AND (b.next_due_at <= ?2 OR b.error_count > ?7) \
                 AND (b.locked_until IS NULL OR b.locked_until <= ?3) \
                 ORDER BY b.next_due_at, b.address_id, b.asset_id LIMIT ?4) RETURNING address_id, asset_id",
            )?
            .query_map(params![chain, due_before, now, i64::try_from(limit).unwrap_or(i64::MAX), holder, until, failing_above], |row| {
                Ok(BalanceKey { address: row.get(0)?, asset: row.get(1)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let claimed = leased_rows(&tx, holder, until, keys)?;
        tx.commit()?;
        Ok(claimed)
    }

    /// Claims the given rows that no live lease holds, until `until`, whether due or not.
    pub fn claim_keys(
        &mut self,
        keys: &[BalanceKey],
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<LeasedBalance>> {
        let tx = self.write()?;
        let mut taken = Vec::with_capacity(keys.len());
        for key in keys {
            let leased = tx
                .prepare_cached(
                    "UPDATE balances SET locked_by = ?3, locked_until = ?4 WHERE address_id = ?1 AND asset_id = ?2 \
                     AND (locked_until IS NULL OR locked_until <= ?5)",
                )?
                .execute(params![key.address, key.asset, holder, until, now])?;
            if leased == 1 {
                taken.push(*key);
            }
        }
        let claimed = leased_rows(&tx, holder, until, taken)?;
        tx.commit()?;
        Ok(claimed)
    }

    /// Releases the leases `holder` has on `keys` (a sweep that could not finish).
    pub fn release(&mut self, holder: &str, keys: &[BalanceKey]) -> Result<()> {
        let tx = self.write()?;
        let mut release = tx.prepare_cached(
            "UPDATE balances SET locked_by = NULL, locked_until = NULL \
             WHERE address_id = ?1 AND asset_id = ?2 AND locked_by = ?3",
        )?;
        for key in keys {
            release.execute(params![key.address, key.asset, holder])?;
        }
        drop(release);
        tx.commit()?;
        Ok(())
    }

    /// When the next balance of an active chain of `families` falls due (or its lease runs out).
    pub fn next_due_at(&self, families: &[Family]) -> Result<Option<UnixMillis>> {
        let families = serde_json::to_string(families).expect("families serialize");
        Ok(self
            .conn
            .prepare_cached(
                "SELECT min(max(b.next_due_at, coalesce(b.locked_until, 0))) FROM balances b \
                 JOIN assets a ON a.id = b.asset_id JOIN chains c ON c.id = a.chain_id \
                 WHERE c.active = 1 AND c.family IN (SELECT value FROM json_each(?1)) \
                 /* full scan: one pass to find the minimum */",
            )?
            .query_row([families], |row| row.get(0))?)
    }

    /// Releases every lease `holder` has; returns how many there were.
    pub fn release_all(&mut self, holder: &str) -> Result<usize> {
        let tx = self.write()?;
        let released = tx
            .prepare_cached(
                "UPDATE balances SET locked_by = NULL, locked_until = NULL WHERE locked_by = ?1",
            )?
            .execute([holder])?;
        tx.commit()?;
        Ok(released)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BalanceRead;
    use crate::store::testing::{each_store, registered_pair};

    fn chain_of(store: &Store) -> ChainId {
        store.chains().unwrap()[0].id
    }

    #[test]
    fn a_leased_row_is_not_claimed_twice() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = chain_of(store);
            let first = store
                .claim(chain, "app", 1_000, 61_000, Pick::Due, 100)
                .unwrap();
            assert_eq!(
                first.iter().map(|row| row.key).collect::<Vec<_>>(),
                [native, token]
            );
            assert!(
                store
                    .claim(chain, "watch", 2_000, 62_000, Pick::Due, 100)
                    .unwrap()
                    .is_empty()
            );
            let row = store.balance(native).unwrap().unwrap();
            assert_eq!(
                (row.locked_by.as_deref(), row.locked_until),
                (Some("app"), Some(61_000))
            );
        });
    }

    #[test]
    fn chosen_rows_are_claimed_unless_leased() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = chain_of(store);
            store.claim_keys(&[token], "watch", 1_000, 61_000).unwrap();
            let claimed = store
                .claim_keys(&[native, token], "app", 2_000, 62_000)
                .unwrap();
            assert_eq!(
                claimed.iter().map(|row| row.key).collect::<Vec<_>>(),
                [native]
            );
            assert_eq!(claimed[0].raw, None);
            assert!(
                store
                    .claim(chain, "other", 3_000, 63_000, Pick::All, 10)
                    .unwrap()
                    .is_empty()
            );
        });
    }

    #[test]
    fn an_expired_lease_can_be_claimed() {
        each_store(|store| {
            registered_pair(store);
            let chain = chain_of(store);
            store
                .claim(chain, "crashed", 1_000, 61_000, Pick::Due, 100)
                .unwrap();
            assert_eq!(
                store
                    .claim(chain, "next", 61_000, 121_000, Pick::Due, 100)
                    .unwrap()
                    .len(),
                2
            );
        });
    }

    #[test]
    fn the_limit_and_due_time_are_honoured() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = chain_of(store);
            let read = BalanceRead {
                key: native,
                raw: U256::from(1),
                block: 1,
                fetched_at: 0,
                next_due_at: 50_000,
            };
            store.record_sweep("app", &[read], &[]).unwrap();
            let due = store
                .claim(chain, "app", 1_000, 2_000, Pick::Due, 100)
                .unwrap();
            assert_eq!(
                due.iter().map(|row| row.key).collect::<Vec<_>>(),
                [token],
                "native is not due yet"
            );
            store.release_all("app").unwrap();
            let everything = store
                .claim(chain, "app", 1_000, 2_000, Pick::All, 1)
                .unwrap();
            assert_eq!(everything.len(), 1, "limit");
        });
    }

    #[test]
    fn rows_backing_off_are_claimed_by_a_user_s_sync_not_the_scheduler() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = chain_of(store);
            let read = BalanceRead {
                key: native,
                raw: U256::from(1),
                block: 1,
                fetched_at: 0,
                next_due_at: 50_000,
            };
            let failure = crate::store::BalanceFailure {
                key: token,
                error: "HTTP 503".into(),
                failed_at: 0,
                next_due_at: 30_000,
            };
            store.record_sweep("app", &[read], &[failure]).unwrap();
            assert!(
                store
                    .claim(chain, "app", 1_000, 2_000, Pick::Due, 100)
                    .unwrap()
                    .is_empty(),
                "the scheduler waits out the backoff"
            );
            let manual = store
                .claim(chain, "app", 1_000, 2_000, Pick::DueOrFailing, 100)
                .unwrap();
            assert_eq!(
                manual.iter().map(|row| row.key).collect::<Vec<_>>(),
                [token],
                "the failing row, not the one read"
            );
        });
    }

    #[test]
    fn writing_a_sweep_releases_its_rows_and_release_all_the_rest() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = chain_of(store);
            store
                .claim(chain, "app", 1_000, 61_000, Pick::Due, 100)
                .unwrap();
            let read = BalanceRead {
                key: native,
                raw: U256::from(1),
                block: 1,
                fetched_at: 1_000,
                next_due_at: 0,
            };
            store.record_sweep("app", &[read], &[]).unwrap();
            assert_eq!(store.balance(native).unwrap().unwrap().locked_by, None);
            assert_eq!(
                store.balance(token).unwrap().unwrap().locked_by.as_deref(),
                Some("app")
            );
            assert_eq!(store.release_all("app").unwrap(), 1);
            assert_eq!(store.balance(token).unwrap().unwrap().locked_by, None);
        });
    }

    #[test]
    fn a_sweep_does_not_release_another_holders_lease() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let chain = chain_of(store);
            store
                .claim(chain, "watch", 1_000, 61_000, Pick::Due, 100)
                .unwrap();
            let read = BalanceRead {
                key: native,
                raw: U256::from(1),
                block: 1,
                fetched_at: 1_000,
                next_due_at: 0,
            };
            store.record_sweep("app", &[read], &[]).unwrap();
            assert_eq!(
                store.balance(native).unwrap().unwrap().locked_by.as_deref(),
                Some("watch")
            );
        });
    }
}
