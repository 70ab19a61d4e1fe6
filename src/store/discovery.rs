//! `discovery_checks`: which candidate tokens were checked for which address, and when, so that
//! discovery reads only what is new or due again.

use rusqlite::params;

use super::{AddressId, AssetId, BalanceKey, ChainId, Result, Store};
use crate::clock::UnixMillis;

/// An address watched on a chain, with what sets how often it is checked (its activity tier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainAddress {
    pub id: AddressId,
    pub address: String,
    pub last_activity_at: Option<UnixMillis>,
    pub added_at: UnixMillis,
}

/// A candidate token to check an address for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub asset: AssetId,
    pub contract: String,
}

impl Store {
    /// Every address watched on `chain`.
    pub fn addresses_on_chain(&self, chain: ChainId) -> Result<Vec<ChainAddress>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT ad.id, ad.address, ad.last_activity_at, ad.added_at FROM address_chains ac \
             JOIN addresses ad ON ad.id = ac.address_id WHERE ac.chain_id = ?1 ORDER BY ad.id",
        )?;
        let addresses = statement
            .query_map([chain], |row| {
                Ok(ChainAddress {
                    id: row.get(0)?,
                    address: row.get(1)?,
                    last_activity_at: row.get(2)?,
                    added_at: row.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(addresses)
    }

    /// The candidates of `chain` that `address` has no balance row of and that were not checked
    /// for it at or after `since`.
    pub fn candidates_due(
        &self,
        chain: ChainId,
        address: AddressId,
        since: UnixMillis,
    ) -> Result<Vec<Candidate>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT s.id, s.contract FROM assets s \
             WHERE s.chain_id = ?1 AND s.mode = 'candidate' \
             AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.address_id = ?2 AND b.asset_id = s.id) \
             AND NOT EXISTS (SELECT 1 FROM discovery_checks d \
                 WHERE d.address_id = ?2 AND d.asset_id = s.id AND d.checked_at >= ?3) \
             ORDER BY s.id",
        )?;
        let candidates = statement
            .query_map(params![chain, address, since], |row| {
                Ok(Candidate {
                    asset: row.get(0)?,
                    contract: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(candidates)
    }

    /// Records that these (address, candidate) pairs were checked at `at`.
    pub fn record_checks(&mut self, checked: &[BalanceKey], at: UnixMillis) -> Result<()> {
        let tx = self.write()?;
        let mut record = tx.prepare_cached(
            "INSERT INTO discovery_checks (address_id, asset_id, checked_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (address_id, asset_id) DO UPDATE SET checked_at = excluded.checked_at",
        )?;
        for key in checked {
            record.execute(params![key.address, key.asset, at])?;
        }
        drop(record);
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, registered_pair, usdc};
    use crate::store::{NewToken, Trust};

    #[test]
    fn a_candidate_is_due_until_checked_and_again_once_the_check_is_old() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            let dai = NewToken {
                contract: "0x6B175474E89094C44Da98b954EedeAC495271d0F".into(),
                symbol: "DAI".into(),
                ..usdc(chain)
            };
            assert_eq!(store.insert_candidates(&[dai], Trust::Verified).unwrap(), 1);
            let due = store.candidates_due(chain, native.address, 0).unwrap();
            assert_eq!(due.len(), 1, "USDC is watched, DAI a candidate: {due:?}");
            assert_eq!(store.addresses_on_chain(chain).unwrap().len(), 1);

            let checked = BalanceKey {
                address: native.address,
                asset: due[0].asset,
            };
            store.record_checks(&[checked], 1_000).unwrap();
            assert!(
                store
                    .candidates_due(chain, native.address, 1_000)
                    .unwrap()
                    .is_empty(),
                "checked since"
            );
            assert_eq!(
                store.candidates_due(chain, native.address, 1_001).unwrap(),
                due,
                "checked before"
            );

            // Found held: it has a row now, and is never a candidate of this address again.
            let held = crate::store::BalanceRead {
                key: checked,
                raw: alloy_primitives::U256::from(5),
                block: 1,
                fetched_at: 2_000,
                next_due_at: 3_000,
            };
            store.record_sweep("test", &[held], &[]).unwrap();
            assert!(
                store
                    .candidates_due(chain, native.address, i64::MAX)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(store.balances_of_address(native.address).unwrap().len(), 3);
        });
    }
}
