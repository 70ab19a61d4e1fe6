//! `token_accounts` and `holdings_listings`: the accounts apart from their owners that hold the
//! owners' tokens, as each owner's last listing found them, and when each owner was listed.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{AddressId, ChainId, Result, Store};
use crate::clock::UnixMillis;

/// An account that holds one of its owner's tokens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenAccount {
    pub owner: AddressId,
    /// The token's contract or mint, as its family spells it.
    pub contract: String,
    pub account: String,
    /// The program that keeps the account.
    pub program: String,
}

impl Store {
    /// Every token account known on `chain`.
    pub fn token_accounts_of_chain(&self, chain: ChainId) -> Result<Vec<TokenAccount>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT t.address_id, s.contract, t.account, t.program FROM assets s \
             JOIN token_accounts t ON t.asset_id = s.id \
             WHERE s.chain_id = ?1 AND s.contract IS NOT NULL ORDER BY t.address_id, t.account",
        )?;
        let accounts = statement
            .query_map([chain], |row| {
                Ok(TokenAccount {
                    owner: row.get(0)?,
                    contract: row.get(1)?,
                    account: row.get(2)?,
                    program: row.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(accounts)
    }

    /// Records a whole listing of `owner`'s holdings on `chain` at `at`: its token accounts become
    /// `accounts`, those of tokens the chain lists (others are left out until they are listed).
    pub fn record_listing(
        &mut self,
        chain: ChainId,
        owner: AddressId,
        accounts: &[TokenAccount],
        at: UnixMillis,
    ) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(
            "DELETE FROM token_accounts WHERE address_id = ?1 \
             AND asset_id IN (SELECT id FROM assets WHERE chain_id = ?2)",
        )?
        .execute(params![owner, chain])?;
        let mut asset_of =
            tx.prepare_cached("SELECT id FROM assets WHERE chain_id = ?1 AND contract = ?2")?;
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO token_accounts (address_id, asset_id, account, program) \
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for account in accounts.iter().filter(|account| account.owner == owner) {
            let asset: Option<i64> = asset_of
                .query_row(params![chain, account.contract], |row| row.get(0))
                .optional()?;
            if let Some(asset) = asset {
                insert.execute(params![owner, asset, account.account, account.program])?;
            }
        }
        drop((asset_of, insert));
        tx.prepare_cached(
            "INSERT INTO holdings_listings (address_id, chain_id, listed_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (address_id, chain_id) DO UPDATE SET listed_at = excluded.listed_at",
        )?
        .execute(params![owner, chain, at])?;
        tx.commit()?;
        Ok(())
    }

    /// When each address of `chain` that was ever listed was last listed.
    pub fn listed_at(&self, chain: ChainId) -> Result<HashMap<AddressId, UnixMillis>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT address_id, listed_at FROM holdings_listings WHERE chain_id = ?1",
        )?;
        let listed = statement
            .query_map([chain], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, registered_pair, usdc};

    fn account(owner: AddressId, contract: &str, account: &str) -> TokenAccount {
        TokenAccount {
            owner,
            contract: contract.into(),
            account: account.into(),
            program: "Tokenkeg".into(),
        }
    }

    #[test]
    fn a_listing_replaces_the_owners_accounts_and_is_remembered() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let chain = store.chains().unwrap()[0].id;
            let owner = native.address;
            let usdc = usdc(chain).contract;
            assert!(store.listed_at(chain).unwrap().is_empty());

            let first = [
                account(owner, &usdc, "acc-1"),
                account(owner, &usdc, "acc-2"),
                // A token the chain does not list is left out.
                account(owner, "0xunlisted", "acc-3"),
            ];
            store.record_listing(chain, owner, &first, 1_000).unwrap();
            assert_eq!(store.token_accounts_of_chain(chain).unwrap(), first[..2]);
            assert_eq!(
                store.listed_at(chain).unwrap(),
                HashMap::from([(owner, 1_000)])
            );

            // The next listing is the whole truth: an account closed since is forgotten.
            let second = [account(owner, &usdc, "acc-2")];
            store.record_listing(chain, owner, &second, 2_000).unwrap();
            assert_eq!(store.token_accounts_of_chain(chain).unwrap(), second);
            assert_eq!(
                store.listed_at(chain).unwrap(),
                HashMap::from([(owner, 2_000)])
            );

            store.record_listing(chain, owner, &[], 3_000).unwrap();
            assert!(store.token_accounts_of_chain(chain).unwrap().is_empty());
        });
    }
}
