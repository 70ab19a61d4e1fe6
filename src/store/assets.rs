//! `assets`: each chain's native coin and the tokens holdings watches on it.

use rusqlite::{Row, params};

use super::{AssetId, ChainId, Result, Store, StoreError};

/// A token to watch; `contract` is already normalised for its chain's family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub chain: ChainId,
    pub contract: String,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    pub id: AssetId,
    pub chain_id: ChainId,
    /// `None` for the native coin.
    pub contract: Option<String>,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
    pub hidden: bool,
}

impl Store {
    /// Adds a token to a chain and a balance row for it to every address watched on that chain.
    pub fn insert_token(&mut self, token: &NewToken) -> Result<AssetId> {
        let tx = self.write()?;
        let id = insert_token_in(&tx, token, WatchedBy::Everyone)?.ok_or_else(|| {
            StoreError::Conflict(format!(
                "the token {} is already watched on this chain",
                token.contract
            ))
        })?;
        tx.commit()?;
        Ok(id)
    }

    /// Adds every token not watched yet, in one transaction; returns how many were new.
    pub fn insert_tokens(&mut self, tokens: &[NewToken]) -> Result<usize> {
        let tx = self.write()?;
        let mut added = 0;
        for token in tokens {
            added += usize::from(insert_token_in(&tx, token, WatchedBy::Everyone)?.is_some());
        }
        tx.commit()?;
        Ok(added)
    }

    /// Adds tokens found held (by discovery, not by the user's choice), watched only by the
    /// addresses whose balances of them are written; returns how many were new.
    pub fn insert_found_tokens(&mut self, tokens: &[NewToken]) -> Result<usize> {
        let tx = self.write()?;
        let mut added = 0;
        for token in tokens {
            added += usize::from(insert_token_in(&tx, token, WatchedBy::Holders)?.is_some());
        }
        tx.commit()?;
        Ok(added)
    }

    /// The chain's native coin first, then its tokens in the order they were added.
    pub fn assets_of_chain(&self, chain: ChainId) -> Result<Vec<AssetRecord>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, chain_id, contract, symbol, name, decimals, hidden FROM assets WHERE chain_id = ?1 \
             ORDER BY contract IS NOT NULL, id",
        )?;
        let assets = statement
            .query_map([chain], asset_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(assets)
    }

    /// Hides an asset (spam, or one the user does not care about) or shows it again.
    pub fn set_asset_hidden(&mut self, asset: AssetId, hidden: bool) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached("UPDATE assets SET hidden = ?2 WHERE id = ?1")?
            .execute(params![asset, hidden])?;
        tx.commit()?;
        Ok(())
    }
}

/// Who watches a new token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WatchedBy {
    /// Every address on its chain (a token the user chose).
    Everyone,
    /// Only the addresses its balances are written for (a token found held): airdropped spam then
    /// costs no reads for the addresses that never held it.
    Holders,
}

/// Inserts a token unless its chain has it already (then `None`).
fn insert_token_in(
    tx: &rusqlite::Connection,
    token: &NewToken,
    watched_by: WatchedBy,
) -> Result<Option<AssetId>> {
    let known: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM assets WHERE chain_id = ?1 AND contract = ?2)",
        )?
        .query_row(params![token.chain, token.contract], |row| row.get(0))?;
    if known {
        return Ok(None);
    }
    tx.prepare_cached("INSERT INTO assets (chain_id, contract, symbol, name, decimals) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![token.chain, token.contract, token.symbol, token.name, token.decimals])?;
    let id = AssetId(tx.last_insert_rowid());
    if watched_by == WatchedBy::Everyone {
        tx.prepare_cached(
            "INSERT INTO balances (address_id, asset_id) SELECT address_id, ?1 FROM address_chains WHERE chain_id = ?2",
        )?
        .execute(params![id, token.chain])?;
    }
    Ok(Some(id))
}

fn asset_from_row(row: &Row<'_>) -> rusqlite::Result<AssetRecord> {
    Ok(AssetRecord {
        id: row.get(0)?,
        chain_id: row.get(1)?,
        contract: row.get(2)?,
        symbol: row.get(3)?,
        name: row.get(4)?,
        decimals: row.get(5)?,
        hidden: row.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, evm_chain, usdc};

    #[test]
    fn a_token_follows_the_native_coin() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let id = store.insert_token(&usdc(chain)).unwrap();
            let assets = store.assets_of_chain(chain).unwrap();
            assert_eq!(assets.len(), 2);
            assert_eq!(assets[0].contract, None);
            assert_eq!(assets[1].id, id);
            assert_eq!(assets[1].symbol, "USDC");
            assert_eq!(assets[1].decimals, 6);
            assert!(!assets[1].hidden);
        });
    }

    #[test]
    fn a_token_twice_is_a_conflict() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            store.insert_token(&usdc(chain)).unwrap();
            assert!(matches!(
                store.insert_token(&usdc(chain)),
                Err(StoreError::Conflict(_))
            ));
            assert_eq!(store.assets_of_chain(chain).unwrap().len(), 2);
        });
    }

    #[test]
    fn a_list_adds_only_what_is_new() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            store.insert_token(&usdc(chain)).unwrap();
            let mut dai = usdc(chain);
            dai.contract = "0x6B175474E89094C44Da98b954EedeAC495271d0F".into();
            dai.symbol = "DAI".into();
            assert_eq!(
                store
                    .insert_tokens(&[usdc(chain), dai.clone(), dai])
                    .unwrap(),
                1
            );
            assert_eq!(store.assets_of_chain(chain).unwrap().len(), 3);
        });
    }

    #[test]
    fn a_found_token_is_watched_by_no_one_until_its_balances_are_written() {
        each_store(|store| {
            let (native, _) = crate::store::testing::registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            let mut found = usdc(chain);
            found.contract = "0x6B175474E89094C44Da98b954EedeAC495271d0F".into();
            assert_eq!(store.insert_found_tokens(&[found]).unwrap(), 1);
            assert_eq!(
                store.balances_of_address(native.address).unwrap().len(),
                2,
                "native and USDC only"
            );
        });
    }

    #[test]
    fn hiding_is_remembered() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let id = store.insert_token(&usdc(chain)).unwrap();
            store.set_asset_hidden(id, true).unwrap();
            assert!(store.assets_of_chain(chain).unwrap()[1].hidden);
        });
    }
}
