//! `balances`: one row per (address, asset), holding the last value read and how the reading went.
//! A sweep's results are written here in one transaction; a failed read records its error and
//! leaves the last good value alone.

use alloy_primitives::U256;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{AddressId, AssetId, ChainId, Result, Store, WalletId};
use crate::clock::UnixMillis;
use crate::model::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BalanceKey {
    pub address: AddressId,
    pub asset: AssetId,
}

/// A value read from the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRead {
    pub key: BalanceKey,
    pub raw: U256,
    /// The block number (or slot) the value was read at.
    pub block: u64,
    pub fetched_at: UnixMillis,
    pub next_due_at: UnixMillis,
}

/// A read that failed; the stored value, if any, stays as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceFailure {
    pub key: BalanceKey,
    pub error: String,
    pub failed_at: UnixMillis,
    pub next_due_at: UnixMillis,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Values written.
    pub written: usize,
    /// Of those, values that differ from what was stored (each appended to the history).
    pub changed: usize,
    /// Failures recorded.
    pub failed: usize,
    /// Values not written because the store already held a reading from a later block.
    pub superseded: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    pub key: BalanceKey,
    /// `None` until the balance is first read.
    pub raw: Option<U256>,
    pub block: Option<u64>,
    pub fetched_at: Option<UnixMillis>,
    pub next_due_at: UnixMillis,
    pub sync_count: u64,
    pub error_count: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<UnixMillis>,
    pub locked_by: Option<String>,
    pub locked_until: Option<UnixMillis>,
    /// What the mempool would change, where the chain shows it apart (Bitcoin); signed.
    pub pending: Option<i128>,
}

/// A balance row with what a reader needs to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceView {
    pub chain_id: ChainId,
    pub chain: String,
    pub wallet_id: WalletId,
    pub address: String,
    /// `None` for the native coin.
    pub contract: Option<String>,
    pub symbol: String,
    /// The token's name as its list or contract gives it (a Solana mint no list names: the mint).
    pub name: String,
    pub decimals: u8,
    pub hidden: bool,
    /// Vouched for by a bundled list or the user; unverified tokens are never summed or valued.
    pub verified: bool,
    pub balance: BalanceRow,
}

const BALANCE_COLUMNS: &str = "b.address_id, b.asset_id, b.raw, b.block, b.fetched_at, b.next_due_at, \
     b.sync_count, b.error_count, b.last_error, b.last_error_at, b.locked_by, b.locked_until, b.pending";

const VIEW_FROM: &str = "FROM balances b JOIN addresses ad ON ad.id = b.address_id \
     JOIN assets a ON a.id = b.asset_id JOIN chains c ON c.id = a.chain_id";

const VIEW_ORDER: &str = "ORDER BY ad.wallet_id, ad.id, c.id, a.contract IS NOT NULL, a.id";

impl Store {
    /// Writes a sweep in one transaction: values read, failures, history rows for changed values, and
    /// the release of the rows `holder` leased for the sweep.
    ///
    /// A value never replaces one read at a later block, and a failure never marks a value read
    /// after the failed attempt began (another process may have read it since).
    pub fn record_sweep(
        &mut self,
        holder: &str,
        reads: &[BalanceRead],
        failures: &[BalanceFailure],
    ) -> Result<SweepOutcome> {
        let tx = self.write()?;
        // History rows are written before the balance rows they belong to may exist (a source can
        // discover new ones); the foreign keys are checked at commit.
        tx.pragma_update(None, "defer_foreign_keys", "ON")?;
        let mut outcome = SweepOutcome::default();
        for read in reads {
            match write_read(&tx, holder, read)? {
                Written::Changed => {
                    outcome.written += 1;
                    outcome.changed += 1;
                }
                Written::Unchanged => outcome.written += 1,
                Written::Superseded => outcome.superseded += 1,
                Written::Gone => {}
            }
        }
        let mut record_failure = tx.prepare_cached(
            "UPDATE balances SET error_count = error_count + 1, last_error = ?3, last_error_at = ?4, next_due_at = ?5, \
             locked_by = CASE WHEN locked_by = ?6 THEN NULL ELSE locked_by END, \
             locked_until = CASE WHEN locked_by = ?6 THEN NULL ELSE locked_until END \
             WHERE address_id = ?1 AND asset_id = ?2 AND (fetched_at IS NULL OR fetched_at < ?4)",
        )?;
        for failure in failures {
            record_failure.execute(params![
                failure.key.address,
                failure.key.asset,
                failure.error,
                failure.failed_at,
                failure.next_due_at,
                holder
            ])?;
            outcome.failed += 1;
        }
        drop(record_failure);
        tx.commit()?;
        Ok(outcome)
    }

    /// Records what the mempool would change of each balance, read with it.
    pub fn record_pending(&mut self, pending: &[(BalanceKey, i128)]) -> Result<()> {
        let tx = self.write()?;
        let mut record = tx.prepare_cached(
            "UPDATE balances SET pending = ?3 WHERE address_id = ?1 AND asset_id = ?2",
        )?;
        for (key, amount) in pending {
            record.execute(params![key.address, key.asset, amount.to_string()])?;
        }
        drop(record);
        tx.commit()?;
        Ok(())
    }

    pub fn balance(&self, key: BalanceKey) -> Result<Option<BalanceRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {BALANCE_COLUMNS} FROM balances b WHERE b.address_id = ?1 AND b.asset_id = ?2"
            ))?
            .query_row(params![key.address, key.asset], balance_from_row)
            .optional()?)
    }

    pub fn balances_of_address(&self, address: AddressId) -> Result<Vec<BalanceRow>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {BALANCE_COLUMNS} FROM balances b WHERE b.address_id = ?1 ORDER BY b.asset_id"
        ))?;
        let rows = statement
            .query_map([address], balance_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn balances_of_wallet(&self, wallet: WalletId) -> Result<Vec<BalanceView>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS}, {BALANCE_COLUMNS} {VIEW_FROM} WHERE ad.wallet_id = ?1 {VIEW_ORDER}"
        ))?;
        let rows = statement
            .query_map([wallet], view_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn balances_of_chain(&self, chain: ChainId) -> Result<Vec<BalanceView>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS}, {BALANCE_COLUMNS} {VIEW_FROM} WHERE a.chain_id = ?1 {VIEW_ORDER}"
        ))?;
        let rows = statement
            .query_map([chain], view_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn balance_views_of_address(&self, address: AddressId) -> Result<Vec<BalanceView>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS}, {BALANCE_COLUMNS} {VIEW_FROM} WHERE b.address_id = ?1 {VIEW_ORDER}"
        ))?;
        let rows = statement
            .query_map([address], view_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn balance_view(&self, key: BalanceKey) -> Result<Option<BalanceView>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS}, {BALANCE_COLUMNS} {VIEW_FROM} WHERE b.address_id = ?1 AND b.asset_id = ?2"
            ))?
            .query_row(params![key.address, key.asset], view_from_row)
            .optional()?)
    }

    /// When a balance was last read from `chain`, if ever.
    pub fn last_read_at(&self, chain: ChainId) -> Result<Option<UnixMillis>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT max(b.fetched_at) FROM assets a JOIN balances b ON b.asset_id = a.id \
                 WHERE a.chain_id = ?1",
            )?
            .query_row([chain], |row| row.get(0))?)
    }

    pub fn all_balances(&self) -> Result<Vec<BalanceView>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS}, {BALANCE_COLUMNS} {VIEW_FROM} {VIEW_ORDER}"
        ))?;
        let rows = statement
            .query_map([], view_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

const VIEW_COLUMNS: &str = "c.id, c.name, ad.wallet_id, ad.address, a.contract, a.symbol, a.decimals, a.hidden, a.verified, a.name";

enum Written {
    Changed,
    Unchanged,
    Superseded,
    /// The address was removed (its wallet with it) while the sweep read it.
    Gone,
}

/// Writes one value unless a later block's is stored: two statements, the history row (only when
/// the value changed) and the balance row, which also releases `holder`'s lease on it.
fn write_read(tx: &Connection, holder: &str, read: &BalanceRead) -> Result<Written> {
    let watched: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM addresses WHERE id = ?1)")?
        .query_row([read.key.address], |row| row.get(0))?;
    if !watched {
        return Ok(Written::Gone);
    }
    let block = i64::try_from(read.block).unwrap_or(i64::MAX);
    let raw = read.raw.to_string();
    let changed = tx
        .prepare_cached(
            "INSERT INTO balance_history (address_id, asset_id, raw, block, observed_at) \
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM balances \
             WHERE address_id = ?1 AND asset_id = ?2 AND (raw = ?3 OR block > ?4))",
        )?
        .execute(params![
            read.key.address,
            read.key.asset,
            raw,
            block,
            read.fetched_at
        ])?;
    let written = tx
        .prepare_cached(
            "INSERT INTO balances (address_id, asset_id, raw, block, fetched_at, next_due_at, sync_count) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1) \
             ON CONFLICT (address_id, asset_id) DO UPDATE SET raw = excluded.raw, block = excluded.block, \
             fetched_at = excluded.fetched_at, next_due_at = excluded.next_due_at, sync_count = sync_count + 1, \
             error_count = 0, last_error = NULL, last_error_at = NULL, \
             locked_by = CASE WHEN locked_by = ?7 THEN NULL ELSE locked_by END, \
             locked_until = CASE WHEN locked_by = ?7 THEN NULL ELSE locked_until END \
             WHERE balances.block IS NULL OR balances.block <= excluded.block",
        )?
        .execute(params![read.key.address, read.key.asset, raw, block, read.fetched_at, read.next_due_at, holder])?;
    if written == 0 {
        tx.prepare_cached(
            "UPDATE balances SET locked_by = NULL, locked_until = NULL \
             WHERE address_id = ?1 AND asset_id = ?2 AND locked_by = ?3",
        )?
        .execute(params![read.key.address, read.key.asset, holder])?;
    }
    Ok(match (written, changed) {
        (0, _) => Written::Superseded,
        (_, 0) => Written::Unchanged,
        _ => Written::Changed,
    })
}

/// Reads the signed pending column.
fn pending_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<i128>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| {
        text.parse::<i128>().map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                Box::new(err),
            )
        })
    })
    .transpose()
}

/// Reads an amount column; a value that is not decimal digits is a corrupt row, not a zero.
pub(super) fn raw_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<U256>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| {
        Amount::parse_raw(&text).map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                Box::new(err),
            )
        })
    })
    .transpose()
}

fn balance_at(row: &Row<'_>, first: usize) -> rusqlite::Result<BalanceRow> {
    Ok(BalanceRow {
        key: BalanceKey {
            address: row.get(first)?,
            asset: row.get(first + 1)?,
        },
        raw: raw_column(row, first + 2)?,
        block: row.get(first + 3)?,
        fetched_at: row.get(first + 4)?,
        next_due_at: row.get(first + 5)?,
        sync_count: row.get(first + 6)?,
        error_count: row.get(first + 7)?,
        last_error: row.get(first + 8)?,
        last_error_at: row.get(first + 9)?,
        locked_by: row.get(first + 10)?,
        locked_until: row.get(first + 11)?,
        pending: pending_column(row, first + 12)?,
    })
}

fn balance_from_row(row: &Row<'_>) -> rusqlite::Result<BalanceRow> {
    balance_at(row, 0)
}

fn view_from_row(row: &Row<'_>) -> rusqlite::Result<BalanceView> {
    Ok(BalanceView {
        chain_id: row.get(0)?,
        chain: row.get(1)?,
        wallet_id: row.get(2)?,
        address: row.get(3)?,
        contract: row.get(4)?,
        symbol: row.get(5)?,
        decimals: row.get(6)?,
        hidden: row.get(7)?,
        verified: row.get(8)?,
        name: row.get(9)?,
        balance: balance_at(row, 10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, registered_pair};

    fn read(key: BalanceKey, raw: u64, block: u64, at: UnixMillis) -> BalanceRead {
        BalanceRead {
            key,
            raw: U256::from(raw),
            block,
            fetched_at: at,
            next_due_at: at + 30_000,
        }
    }

    fn failure(key: BalanceKey, at: UnixMillis) -> BalanceFailure {
        BalanceFailure {
            key,
            error: "execution reverted".into(),
            failed_at: at,
            next_due_at: at + 30_000,
        }
    }

    #[test]
    fn a_registered_balance_starts_unread() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let row = store.balance(native).unwrap().unwrap();
            assert_eq!(
                (row.raw, row.block, row.fetched_at, row.sync_count),
                (None, None, None, 0)
            );
        });
    }

    #[test]
    fn a_sweep_writes_values_with_their_block() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let outcome = store
                .record_sweep(
                    "me",
                    &[read(native, 5, 10, 1_000), read(token, 0, 10, 1_000)],
                    &[],
                )
                .unwrap();
            assert_eq!(
                outcome,
                SweepOutcome {
                    written: 2,
                    changed: 2,
                    failed: 0,
                    superseded: 0
                }
            );
            let row = store.balance(native).unwrap().unwrap();
            assert_eq!(
                (
                    row.raw,
                    row.block,
                    row.fetched_at,
                    row.next_due_at,
                    row.sync_count
                ),
                (Some(U256::from(5)), Some(10), Some(1_000), 31_000, 1)
            );
        });
    }

    #[test]
    fn a_value_near_two_to_the_256_survives_exactly() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let huge = U256::MAX - U256::from(7);
            let value = BalanceRead {
                key: native,
                raw: huge,
                block: 1,
                fetched_at: 1,
                next_due_at: 1,
            };
            store.record_sweep("me", &[value], &[]).unwrap();
            assert_eq!(store.balance(native).unwrap().unwrap().raw, Some(huge));
        });
    }

    #[test]
    fn a_failure_keeps_the_last_good_value_and_counts() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            store
                .record_sweep("me", &[read(native, 5, 10, 1_000)], &[])
                .unwrap();
            let outcome = store
                .record_sweep("me", &[], &[failure(native, 2_000), failure(token, 2_000)])
                .unwrap();
            assert_eq!(outcome.failed, 2);
            let row = store.balance(native).unwrap().unwrap();
            assert_eq!(
                row.raw,
                Some(U256::from(5)),
                "never overwritten by a failure"
            );
            assert_eq!(
                (
                    row.error_count,
                    row.last_error.as_deref(),
                    row.last_error_at
                ),
                (1, Some("execution reverted"), Some(2_000))
            );
            let never_read = store.balance(token).unwrap().unwrap();
            assert_eq!(never_read.raw, None, "a failed first read is not a zero");
            assert_eq!(never_read.error_count, 1);
        });
    }

    #[test]
    fn a_late_failure_does_not_mark_a_newer_read() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            store
                .record_sweep("other", &[read(native, 5, 10, 2_000)], &[])
                .unwrap();
            // This attempt began at 1,000, before the other process's read.
            store
                .record_sweep("me", &[], &[failure(native, 1_000)])
                .unwrap();
            let row = store.balance(native).unwrap().unwrap();
            assert_eq!((row.error_count, row.last_error_at), (0, None));
        });
    }

    #[test]
    fn pending_amounts_are_kept_signed() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            store
                .record_pending(&[(native, -5_000), (token, 12)])
                .unwrap();
            assert_eq!(
                store.balance(native).unwrap().unwrap().pending,
                Some(-5_000)
            );
            assert_eq!(store.balance(token).unwrap().unwrap().pending, Some(12));
        });
    }

    #[test]
    fn a_good_read_clears_the_errors() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            store
                .record_sweep("me", &[], &[failure(native, 1_000)])
                .unwrap();
            store
                .record_sweep("me", &[read(native, 7, 11, 2_000)], &[])
                .unwrap();
            let row = store.balance(native).unwrap().unwrap();
            assert_eq!(
                (row.error_count, row.last_error, row.last_error_at),
                (0, None, None)
            );
        });
    }

    #[test]
    fn history_grows_only_on_change() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            store
                .record_sweep("me", &[read(native, 5, 10, 1_000)], &[])
                .unwrap();
            let unchanged = store
                .record_sweep("me", &[read(native, 5, 11, 2_000)], &[])
                .unwrap();
            assert_eq!((unchanged.written, unchanged.changed), (1, 0));
            store
                .record_sweep("me", &[read(native, 9, 12, 3_000)], &[])
                .unwrap();
            let history = store.history_of(native).unwrap();
            let values: Vec<_> = history
                .iter()
                .map(|h| (h.raw, h.block, h.observed_at))
                .collect();
            assert_eq!(
                values,
                [
                    (U256::from(5), Some(10), 1_000),
                    (U256::from(9), Some(12), 3_000)
                ]
            );
        });
    }

    #[test]
    fn an_older_block_never_replaces_a_newer_one() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            store
                .record_sweep("me", &[read(native, 9, 20, 2_000)], &[])
                .unwrap();
            let outcome = store
                .record_sweep("me", &[read(native, 5, 19, 3_000)], &[])
                .unwrap();
            assert_eq!(outcome.superseded, 1);
            assert_eq!(
                store.balance(native).unwrap().unwrap().raw,
                Some(U256::from(9))
            );
        });
    }

    #[test]
    fn views_are_found_by_chain_address_and_key() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            assert_eq!(store.balances_of_chain(chain).unwrap().len(), 2);
            assert_eq!(
                store
                    .balance_views_of_address(native.address)
                    .unwrap()
                    .len(),
                2
            );
            assert_eq!(store.balance_view(token).unwrap().unwrap().symbol, "USDC");
            assert_eq!(
                store
                    .balance_view(BalanceKey {
                        address: native.address,
                        asset: AssetId(999)
                    })
                    .unwrap(),
                None
            );
        });
    }

    #[test]
    fn views_carry_chain_asset_and_wallet() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let all = store.all_balances().unwrap();
            assert_eq!(all.len(), 2);
            assert_eq!(
                (
                    all[0].chain.as_str(),
                    all[0].contract.as_deref(),
                    all[0].symbol.as_str()
                ),
                ("devnet", None, "ETH")
            );
            assert_eq!(all[0].balance.key, native);
            assert_eq!(all[1].balance.key, token);
            assert_eq!(all[1].decimals, 6);
            let wallet = all[0].wallet_id;
            assert_eq!(store.balances_of_wallet(wallet).unwrap(), all);
            assert!(
                store
                    .balances_of_wallet(WalletId(wallet.0 + 1))
                    .unwrap()
                    .is_empty()
            );
        });
    }

    #[test]
    fn a_wallet_removed_during_a_sweep_does_not_fail_the_sweeps_other_writes() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            let bob =
                crate::model::Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").unwrap();
            let registration = crate::store::Registration {
                address: bob,
                label: None,
                chains: vec![chain],
            };
            let bob_wallet = store.register(&[registration], 0).unwrap()[0];
            let leased = store
                .claim(
                    chain,
                    "sweep",
                    0,
                    1_000,
                    crate::store::Pick::All,
                    usize::MAX,
                )
                .unwrap();
            let bob_native = leased
                .iter()
                .map(|row| row.key)
                .find(|key| key.address != native.address && key.asset == native.asset)
                .unwrap();
            store.remove_wallet(bob_wallet).unwrap();

            let outcome = store
                .record_sweep(
                    "sweep",
                    &[read(native, 5, 10, 1_000), read(bob_native, 7, 10, 1_000)],
                    &[],
                )
                .unwrap();
            assert_eq!(outcome.written, 1);
            assert_eq!(
                store.balance(native).unwrap().unwrap().raw,
                Some(U256::from(5))
            );
            assert_eq!(
                store.balance(bob_native).unwrap(),
                None,
                "nothing comes back for Bob"
            );
        });
    }
}
