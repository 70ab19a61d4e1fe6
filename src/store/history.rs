//! `balance_history`: the values a balance has had, appended by sweeps only when it changed.

use alloy_primitives::U256;
use rusqlite::{Row, params};

use super::balances::raw_column;
use super::{AssetId, BalanceKey, Result, Store};
use crate::clock::UnixMillis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub key: BalanceKey,
    pub raw: U256,
    pub block: Option<u64>,
    pub observed_at: UnixMillis,
}

impl Store {
    /// The values of one balance, oldest first.
    pub fn history_of(&self, key: BalanceKey) -> Result<Vec<HistoryRow>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT address_id, asset_id, raw, block, observed_at FROM balance_history \
             WHERE address_id = ?1 AND asset_id = ?2 ORDER BY observed_at, id",
        )?;
        let rows = statement
            .query_map(params![key.address, key.asset], history_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The changes of one asset across every address, oldest first.
    pub fn history_of_asset(&self, asset: AssetId) -> Result<Vec<HistoryRow>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT address_id, asset_id, raw, block, observed_at FROM balance_history \
             WHERE asset_id = ?1 ORDER BY observed_at, id",
        )?;
        let rows = statement
            .query_map([asset], history_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

fn history_from_row(row: &Row<'_>) -> rusqlite::Result<HistoryRow> {
    Ok(HistoryRow {
        key: BalanceKey {
            address: row.get(0)?,
            asset: row.get(1)?,
        },
        raw: raw_column(row, 2)?.unwrap_or_default(),
        block: row.get(3)?,
        observed_at: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BalanceRead;
    use crate::store::testing::{each_store, registered_pair};

    #[test]
    fn an_assets_history_spans_its_balances() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let at = |key, raw: u64, t| BalanceRead {
                key,
                raw: U256::from(raw),
                block: 1,
                fetched_at: t,
                next_due_at: t,
            };
            store
                .record_sweep("me", &[at(native, 1, 10), at(token, 2, 10)], &[])
                .unwrap();
            store.record_sweep("me", &[at(token, 3, 20)], &[]).unwrap();
            let token_history: Vec<_> = store
                .history_of_asset(token.asset)
                .unwrap()
                .iter()
                .map(|h| h.raw)
                .collect();
            assert_eq!(token_history, [U256::from(2), U256::from(3)]);
            assert_eq!(store.history_of(native).unwrap().len(), 1);
        });
    }
}
