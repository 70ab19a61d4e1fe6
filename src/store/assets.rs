//! `assets`: each chain's native coin and its tokens: watched ones (every address of the chain has
//! a balance row) and discovery candidates (an address gets a row once it is found holding one).

use rusqlite::{OptionalExtension, Row, params};

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

impl NewToken {
    /// A token of a list, checked for its chain's family, to add on `chain`.
    pub fn checked(chain: ChainId, token: crate::model::CheckedToken) -> Self {
        Self {
            chain,
            contract: token.contract,
            symbol: token.symbol,
            name: token.name,
            decimals: token.decimals,
        }
    }
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
    pub mode: TokenMode,
    /// Vouched for by a bundled list or the user; unverified tokens are never summed or valued.
    pub verified: bool,
}

/// Who has a balance row of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenMode {
    /// Every address of its chain.
    Watched,
    /// The addresses found holding it: each address is checked for it.
    Candidate,
}

impl TokenMode {
    fn as_str(self) -> &'static str {
        match self {
            TokenMode::Watched => "watched",
            TokenMode::Candidate => "candidate",
        }
    }
}

impl rusqlite::types::FromSql for TokenMode {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        match value.as_str()? {
            "watched" => Ok(TokenMode::Watched),
            "candidate" => Ok(TokenMode::Candidate),
            _ => Err(rusqlite::types::FromSqlError::InvalidType),
        }
    }
}

/// How a token a list names is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// On a list of known tokens, or chosen by the user.
    Verified,
    /// Found held but on no list, or on a list of scams: hidden, never summed, never valued.
    Unverified,
}

impl Store {
    /// Watches a token: adds it (or turns a candidate into a watched token, as the user chose it)
    /// with a balance row for every address watched on its chain. A token watched already is a
    /// conflict.
    pub fn insert_token(&mut self, token: &NewToken) -> Result<AssetId> {
        let tx = self.write()?;
        let id = watch_token_in(&tx, token, true)?.ok_or_else(|| {
            StoreError::Conflict(format!(
                "the token {} is already watched on this chain",
                token.contract
            ))
        })?;
        tx.commit()?;
        Ok(id)
    }

    /// Watches every token not watched yet (candidates among them become watched), in one
    /// transaction; returns how many are newly watched.
    pub fn insert_tokens(&mut self, tokens: &[NewToken]) -> Result<usize> {
        let tx = self.write()?;
        let mut added = 0;
        for token in tokens {
            added += usize::from(watch_token_in(&tx, token, false)?.is_some());
        }
        tx.commit()?;
        Ok(added)
    }

    /// Adds tokens as discovery candidates, in one transaction: each address of the chain is then
    /// checked for them. A token the chain has already keeps its mode; a verified list vouches for
    /// it, an unverified one hides it. Returns how many were new.
    pub fn insert_candidates(&mut self, tokens: &[NewToken], trust: Trust) -> Result<usize> {
        let tx = self.write()?;
        let mut added = 0;
        for token in tokens {
            let existing = asset_by_contract(&tx, token)?;
            match (existing, trust) {
                (None, _) => {
                    insert_asset(&tx, token, TokenMode::Candidate, trust)?;
                    added += 1;
                }
                (Some(id), Trust::Verified) => {
                    tx.prepare_cached("UPDATE assets SET verified = 1 WHERE id = ?1")?
                        .execute([id])?;
                }
                (Some(id), Trust::Unverified) => {
                    tx.prepare_cached("UPDATE assets SET verified = 0, hidden = 1 WHERE id = ?1")?
                        .execute([id])?;
                }
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Adds tokens found held that the chain did not list (by discovery, not by the user's choice):
    /// candidates, unverified, watched only by the addresses whose balances of them are written.
    /// Returns how many were new.
    pub fn insert_found_tokens(&mut self, tokens: &[NewToken]) -> Result<usize> {
        let tx = self.write()?;
        let mut added = 0;
        for token in tokens {
            if asset_by_contract(&tx, token)?.is_none() {
                insert_asset(&tx, token, TokenMode::Candidate, Trust::Unverified)?;
                added += 1;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// The chain's native coin first, then its tokens in the order they were added.
    pub fn assets_of_chain(&self, chain: ChainId) -> Result<Vec<AssetRecord>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE chain_id = ?1 \
             ORDER BY contract IS NOT NULL, id"
        ))?;
        let assets = statement
            .query_map([chain], asset_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(assets)
    }

    /// The token `contract` of `chain`, if the chain has it.
    pub fn token(&self, chain: ChainId, contract: &str) -> Result<Option<AssetRecord>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets WHERE chain_id = ?1 AND contract = ?2"
        ))?;
        Ok(statement
            .query_row(params![chain, contract], asset_from_row)
            .optional()?)
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

const ASSET_COLUMNS: &str =
    "id, chain_id, contract, symbol, name, decimals, hidden, mode, verified";

fn asset_by_contract(tx: &rusqlite::Connection, token: &NewToken) -> Result<Option<AssetId>> {
    Ok(tx
        .prepare_cached("SELECT id FROM assets WHERE chain_id = ?1 AND contract = ?2")?
        .query_row(params![token.chain, token.contract], |row| row.get(0))
        .optional()?)
}

fn insert_asset(
    tx: &rusqlite::Connection,
    token: &NewToken,
    mode: TokenMode,
    trust: Trust,
) -> Result<AssetId> {
    let verified = trust == Trust::Verified;
    tx.prepare_cached(
        "INSERT INTO assets (chain_id, contract, symbol, name, decimals, mode, verified, hidden) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        token.chain,
        token.contract,
        token.symbol,
        token.name,
        token.decimals,
        mode.as_str(),
        verified,
        !verified
    ])?;
    Ok(AssetId(tx.last_insert_rowid()))
}

/// Watches a token, new or a candidate so far (then with the metadata given, as read from the
/// chain, if `refresh` says so), with a balance row for every address of its chain; `None` if it
/// was watched already.
fn watch_token_in(
    tx: &rusqlite::Connection,
    token: &NewToken,
    refresh: bool,
) -> Result<Option<AssetId>> {
    let id = match asset_by_contract(tx, token)? {
        None => insert_asset(tx, token, TokenMode::Watched, Trust::Verified)?,
        Some(id) => {
            let mode: TokenMode = tx
                .prepare_cached("SELECT mode FROM assets WHERE id = ?1")?
                .query_row([id], |row| row.get(0))?;
            if mode == TokenMode::Watched {
                return Ok(None);
            }
            // Chosen now: shown, even if it was found unverified.
            tx.prepare_cached(
                "UPDATE assets SET mode = 'watched', hidden = CASE WHEN verified = 0 THEN 0 ELSE hidden END, \
                 verified = 1 WHERE id = ?1",
            )?
            .execute([id])?;
            if refresh {
                tx.prepare_cached(
                    "UPDATE assets SET symbol = ?2, name = ?3, decimals = ?4 WHERE id = ?1",
                )?
                .execute(params![id, token.symbol, token.name, token.decimals])?;
            }
            id
        }
    };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO balances (address_id, asset_id) \
         SELECT address_id, ?1 FROM address_chains WHERE chain_id = ?2",
    )?
    .execute(params![id, token.chain])?;
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
        mode: row.get(7)?,
        verified: row.get(8)?,
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
