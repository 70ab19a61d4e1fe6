//! `balance_history`: the values a balance has had, appended by sweeps only when it changed.

use alloy_primitives::U256;
use rusqlite::{Row, params};

use super::balances::raw_column;
use super::{AddressId, AssetId, BalanceKey, Result, Store, WalletId};
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

    /// A wallet's total of one asset over time: after each change of any of its addresses, the sum
    /// of their latest values (exact; summed here, not in SQL, which has no 256-bit integers).
    pub fn wallet_total_history(
        &self,
        wallet: WalletId,
        asset: AssetId,
    ) -> Result<Vec<(UnixMillis, U256)>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT h.address_id, h.asset_id, h.raw, h.block, h.observed_at FROM balance_history h \
             JOIN addresses ad ON ad.id = h.address_id WHERE h.asset_id = ?1 AND ad.wallet_id = ?2 \
             ORDER BY h.observed_at, h.id",
        )?;
        let changes: Vec<HistoryRow> = statement
            .query_map(params![asset, wallet], history_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut latest: std::collections::HashMap<AddressId, U256> =
            std::collections::HashMap::new();
        Ok(changes
            .into_iter()
            .map(|change| {
                latest.insert(change.key.address, change.raw);
                (
                    change.observed_at,
                    latest
                        .values()
                        .fold(U256::ZERO, |sum, value| sum.saturating_add(*value)),
                )
            })
            .collect())
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
        // The column is NOT NULL; a NULL would be a corrupt row, never a zero.
        raw: raw_column(row, 2)?.ok_or(rusqlite::Error::InvalidColumnType(
            2,
            "raw".into(),
            rusqlite::types::Type::Null,
        ))?,
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

    #[test]
    fn a_wallet_total_sums_its_addresses_latest_values() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            let other =
                crate::model::Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").unwrap();
            store
                .register(
                    &[crate::store::Registration {
                        address: other,
                        label: None,
                        chains: vec![chain],
                    }],
                    0,
                )
                .unwrap();
            let second = store.addresses().unwrap()[1].id;
            // A second address of the same wallet: moved into the first's wallet for this test.
            store
                .conn
                .execute("UPDATE addresses SET wallet_id = 1 WHERE id = ?1", [second])
                .unwrap();
            let at = |address, raw: u64, t| BalanceRead {
                key: BalanceKey {
                    address,
                    asset: token.asset,
                },
                raw: U256::from(raw),
                block: 1,
                fetched_at: t,
                next_due_at: t,
            };
            store
                .record_sweep("me", &[at(native.address, 5, 10), at(second, 7, 20)], &[])
                .unwrap();
            store
                .record_sweep("me", &[at(native.address, 1, 30)], &[])
                .unwrap();
            let wallet = store.wallets().unwrap()[0].id;
            let totals = store.wallet_total_history(wallet, token.asset).unwrap();
            assert_eq!(
                totals,
                [
                    (10, U256::from(5)),
                    (20, U256::from(12)),
                    (30, U256::from(8))
                ]
            );
        });
    }
}
