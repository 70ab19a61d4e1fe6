//! `wallets`, `addresses` and `address_chains`: the account registry. An address stays registered,
//! with its balance rows, whether its balances are zero or not.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{AddressId, ChainId, Result, Store, StoreError, WalletId, parse_column};
use crate::clock::UnixMillis;
use crate::model::{Address, Family};

/// An address derived from a wallet's key, and where it sits in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedAddress {
    pub address: Address,
    pub derivation: String,
}

/// One address to watch on the given chains (already checked to be of the address's family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub address: Address,
    pub label: Option<String>,
    pub chains: Vec<ChainId>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WalletRecord {
    pub id: WalletId,
    /// What the user added: the address itself, or later an extended key.
    pub source: String,
    pub family: Family,
    pub label: Option<String>,
    pub created_at: UnixMillis,
    pub addresses: Vec<AddressRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AddressRecord {
    pub id: AddressId,
    pub wallet_id: WalletId,
    pub family: Family,
    pub address: String,
    /// Where a derived address sits in its wallet's key: `"0/17"` (receive) or `"1/3"` (change).
    pub derivation: Option<String>,
    /// Whether the chain has seen it used (derived addresses; it moves the gap limit).
    pub used: bool,
    pub added_at: UnixMillis,
    /// Names of the chains the address is watched on.
    pub chains: Vec<String>,
}

impl Store {
    /// Registers every entry in one transaction: all of them, or (on the first entry that would add
    /// nothing new) none, with [`StoreError::EntryConflict`] naming that entry.
    pub fn register(&mut self, entries: &[Registration], now: UnixMillis) -> Result<Vec<WalletId>> {
        let tx = self.write()?;
        let mut wallets = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let (wallet, added) = register_one(&tx, entry, now)?;
            if added == 0 {
                return Err(StoreError::EntryConflict {
                    index,
                    message: format!(
                        "{} is already registered on every chain asked for",
                        entry.address
                    ),
                });
            }
            wallets.push(wallet);
        }
        tx.commit()?;
        Ok(wallets)
    }

    /// Registers a wallet that stands for many addresses (an extended key or descriptor, as typed)
    /// with its first derived addresses, on `chains`, in one transaction.
    pub fn register_watch_key(
        &mut self,
        source: &str,
        label: Option<&str>,
        addresses: &[DerivedAddress],
        chains: &[ChainId],
        now: UnixMillis,
    ) -> Result<WalletId> {
        let tx = self.write()?;
        let known: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM wallets WHERE source = ?1)")?
            .query_row([source], |row| row.get(0))?;
        if known {
            return Err(StoreError::Conflict("this key is already watched".into()));
        }
        let wallet = insert_wallet(&tx, source, Family::Bitcoin.as_str(), label, now)?;
        add_derived_in(&tx, wallet, addresses, chains, now)?;
        tx.commit()?;
        Ok(wallet)
    }

    /// Adds more derived addresses to a wallet on `chains`; returns the balance rows to read.
    pub fn add_derived(
        &mut self,
        wallet: WalletId,
        addresses: &[DerivedAddress],
        chains: &[ChainId],
        now: UnixMillis,
    ) -> Result<Vec<super::BalanceKey>> {
        let tx = self.write()?;
        let keys = add_derived_in(&tx, wallet, addresses, chains, now)?;
        tx.commit()?;
        Ok(keys)
    }

    /// The derived addresses watched on `chain`: wallet, its key as typed, derivation, used.
    pub fn derived_addresses(
        &self,
        chain: ChainId,
    ) -> Result<Vec<(WalletId, String, String, bool)>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT w.id, w.source, d.path, ad.used FROM address_chains ac \
             JOIN derivations d ON d.address_id = ac.address_id JOIN addresses ad ON ad.id = d.address_id \
             JOIN wallets w ON w.id = d.wallet_id WHERE ac.chain_id = ?1",
        )?;
        let rows = statement
            .query_map([chain], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Records that the chain has seen these addresses used.
    pub fn mark_used(&mut self, addresses: &[AddressId]) -> Result<()> {
        let tx = self.write()?;
        let mut mark =
            tx.prepare_cached("UPDATE addresses SET used = 1 WHERE id = ?1 AND used = 0")?;
        for address in addresses {
            mark.execute([address])?;
        }
        drop(mark);
        tx.commit()?;
        Ok(())
    }

    /// Records that the balances of `active` changed at `now`, and the activity tier each swept
    /// address is in now (`hot`, `warm` or `cold`).
    pub fn record_activity(
        &mut self,
        active: &[AddressId],
        tiers: &[(AddressId, &str)],
        now: UnixMillis,
    ) -> Result<()> {
        let tx = self.write()?;
        let mut touch = tx.prepare_cached(
            "UPDATE addresses SET last_activity_at = max(coalesce(last_activity_at, 0), ?2) WHERE id = ?1",
        )?;
        for address in active {
            touch.execute(params![address, now])?;
        }
        drop(touch);
        let mut tier = tx.prepare_cached(
            "UPDATE addresses SET activity_tier = ?2 WHERE id = ?1 AND activity_tier <> ?2",
        )?;
        for (address, name) in tiers {
            tier.execute(params![address, name])?;
        }
        drop(tier);
        tx.commit()?;
        Ok(())
    }

    /// Names a wallet, or (with `None`) takes its name away. False if there is no such wallet.
    pub fn set_wallet_label(&mut self, wallet: WalletId, label: Option<&str>) -> Result<bool> {
        let tx = self.write()?;
        let updated = tx
            .prepare_cached("UPDATE wallets SET label = ?2 WHERE id = ?1")?
            .execute(params![wallet, label])?;
        tx.commit()?;
        Ok(updated == 1)
    }

    /// Stops watching a wallet: its addresses, their balance rows and history go with it. False if
    /// there is no such wallet.
    pub fn remove_wallet(&mut self, wallet: WalletId) -> Result<bool> {
        let tx = self.write()?;
        let removed = tx
            .prepare_cached("DELETE FROM wallets WHERE id = ?1")?
            .execute([wallet])?;
        tx.commit()?;
        Ok(removed == 1)
    }

    /// Whether any address is watched on `chain`.
    pub fn watches_anything(&self, chain: ChainId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM address_chains WHERE chain_id = ?1)")?
            .query_row([chain], |row| row.get(0))?)
    }

    pub fn wallets(&self) -> Result<Vec<WalletRecord>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, source, family, label, created_at FROM wallets ORDER BY id",
        )?;
        let wallets = statement
            .query_map([], |row| {
                Ok(WalletRecord {
                    id: row.get(0)?,
                    source: row.get(1)?,
                    family: parse_column(row, 2)?,
                    label: row.get(3)?,
                    created_at: row.get(4)?,
                    addresses: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        wallets
            .into_iter()
            .map(|mut wallet| {
                wallet.addresses = self.addresses_of_wallet(wallet.id)?;
                Ok(wallet)
            })
            .collect()
    }

    /// Every registered address, in the order they were added.
    pub fn addresses(&self) -> Result<Vec<AddressRecord>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, wallet_id, family, address, added_at, (SELECT path FROM derivations d WHERE d.address_id = addresses.id AND d.wallet_id = addresses.wallet_id), used FROM addresses ORDER BY id /* full scan: lists every address */",
        )?;
        let addresses = statement
            .query_map([], address_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        addresses
            .into_iter()
            .map(|address| self.with_chains(address))
            .collect()
    }

    pub fn find_address(&self, address: &Address) -> Result<Option<AddressRecord>> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT id, wallet_id, family, address, added_at, (SELECT path FROM derivations d WHERE d.address_id = addresses.id AND d.wallet_id = addresses.wallet_id), used FROM addresses WHERE family = ?1 AND address = ?2",
            )?
            .query_row(params![address.family().as_str(), address.to_string()], address_from_row)
            .optional()?;
        found.map(|address| self.with_chains(address)).transpose()
    }

    fn addresses_of_wallet(&self, wallet: WalletId) -> Result<Vec<AddressRecord>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, wallet_id, family, address, added_at, (SELECT path FROM derivations d WHERE d.address_id = addresses.id AND d.wallet_id = addresses.wallet_id), used FROM addresses WHERE wallet_id = ?1 ORDER BY id",
        )?;
        let addresses = statement
            .query_map([wallet], address_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        addresses
            .into_iter()
            .map(|address| self.with_chains(address))
            .collect()
    }

    fn with_chains(&self, mut address: AddressRecord) -> Result<AddressRecord> {
        address.chains = self
            .conn
            .prepare_cached(
                "SELECT chains.name FROM address_chains JOIN chains ON chains.id = address_chains.chain_id \
                 WHERE address_chains.address_id = ?1 ORDER BY chains.id",
            )?
            .query_map([address.id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(address)
    }
}

/// Registers one entry; returns its wallet and how many chains were new for it.
fn register_one(
    tx: &Connection,
    entry: &Registration,
    now: UnixMillis,
) -> Result<(WalletId, usize)> {
    let family = entry.address.family().as_str();
    let text = entry.address.to_string();
    let wallet = match tx
        .prepare_cached("SELECT id FROM wallets WHERE source = ?1")?
        .query_row([&text], |row| row.get(0))
        .optional()?
    {
        Some(wallet) => wallet,
        None => insert_wallet(tx, &text, family, entry.label.as_deref(), now)?,
    };
    let address = find_or_insert_address(tx, wallet, &entry.address, now)?;
    let mut added = 0;
    for chain in &entry.chains {
        added += usize::from(watch_on(tx, address, *chain)?);
    }
    Ok((wallet, added))
}

fn add_derived_in(
    tx: &Connection,
    wallet: WalletId,
    addresses: &[DerivedAddress],
    chains: &[ChainId],
    now: UnixMillis,
) -> Result<Vec<super::BalanceKey>> {
    let mut keys = Vec::new();
    let exists: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM wallets WHERE id = ?1)")?
        .query_row([wallet], |row| row.get(0))?;
    if !exists {
        // removed while a sweep found its key's addresses used: nothing left to grow
        return Ok(keys);
    }
    for derived in addresses {
        let address = find_or_insert_address(tx, wallet, &derived.address, now)?;
        // The key counts the address even if it is watched in a wallet of its own as well.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO derivations (wallet_id, address_id, path) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![wallet, address, derived.derivation])?;
        for chain in chains {
            if watch_on(tx, address, *chain)? {
                let mut assets = tx.prepare_cached("SELECT id FROM assets WHERE chain_id = ?1")?;
                let assets = assets
                    .query_map([chain], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                keys.extend(
                    assets
                        .into_iter()
                        .map(|asset| super::BalanceKey { address, asset }),
                );
            }
        }
    }
    Ok(keys)
}

fn insert_wallet(
    tx: &Connection,
    source: &str,
    family: &str,
    label: Option<&str>,
    now: UnixMillis,
) -> Result<WalletId> {
    tx.prepare_cached(
        "INSERT INTO wallets (source, family, label, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![source, family, label, now])?;
    Ok(WalletId(tx.last_insert_rowid()))
}

fn find_or_insert_address(
    tx: &Connection,
    wallet: WalletId,
    address: &Address,
    now: UnixMillis,
) -> Result<AddressId> {
    let family = address.family().as_str();
    let text = address.to_string();
    let found = tx
        .prepare_cached("SELECT id FROM addresses WHERE family = ?1 AND address = ?2")?
        .query_row([family, &text], |row| row.get(0))
        .optional()?;
    if let Some(found) = found {
        return Ok(found);
    }
    tx.prepare_cached(
        "INSERT INTO addresses (wallet_id, family, address, added_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![wallet, family, text, now])?;
    Ok(AddressId(tx.last_insert_rowid()))
}

/// Watches `address` on `chain`, with a balance row per watched asset (discovery finds the
/// candidates it holds); false if it was watched already.
fn watch_on(tx: &Connection, address: AddressId, chain: ChainId) -> Result<bool> {
    let new = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO address_chains (address_id, chain_id) VALUES (?1, ?2)",
        )?
        .execute(params![address, chain])?;
    if new == 1 {
        tx.prepare_cached(
            "INSERT INTO balances (address_id, asset_id) SELECT ?1, id FROM assets \
             WHERE chain_id = ?2 AND mode = 'watched'",
        )?
        .execute(params![address, chain])?;
    }
    Ok(new == 1)
}

fn address_from_row(row: &Row<'_>) -> rusqlite::Result<AddressRecord> {
    Ok(AddressRecord {
        id: row.get(0)?,
        wallet_id: row.get(1)?,
        family: parse_column(row, 2)?,
        address: row.get(3)?,
        added_at: row.get(4)?,
        derivation: row.get(5)?,
        used: row.get(6)?,
        chains: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, evm_chain, usdc};

    const ALICE: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const BOB: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    fn entry(address: &str, label: Option<&str>, chains: &[ChainId]) -> Registration {
        Registration {
            address: Address::parse(address).unwrap(),
            label: label.map(str::to_owned),
            chains: chains.to_vec(),
        }
    }

    #[test]
    fn an_address_gets_a_balance_row_per_asset_of_each_chain() {
        each_store(|store| {
            let one = store.insert_chain(&evm_chain("one", 1)).unwrap();
            let two = store.insert_chain(&evm_chain("two", 2)).unwrap();
            store.insert_token(&usdc(one)).unwrap();
            let wallets = store
                .register(&[entry(ALICE, Some("main"), &[one, two])], 1_000)
                .unwrap();
            let listed = store.wallets().unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0].id, wallets[0]);
            assert_eq!(listed[0].label.as_deref(), Some("main"));
            assert_eq!(listed[0].addresses[0].chains, ["one", "two"]);
            let address = listed[0].addresses[0].id;
            assert_eq!(
                store.balances_of_address(address).unwrap().len(),
                3,
                "native on both, USDC on one"
            );
        });
    }

    #[test]
    fn a_later_token_reaches_addresses_already_registered() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("one", 1)).unwrap();
            store
                .register(&[entry(ALICE, None, &[chain])], 1_000)
                .unwrap();
            store.insert_token(&usdc(chain)).unwrap();
            let address = store.addresses().unwrap()[0].id;
            assert_eq!(store.balances_of_address(address).unwrap().len(), 2);
        });
    }

    #[test]
    fn a_duplicate_entry_rolls_back_the_whole_batch() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("one", 1)).unwrap();
            let err = store
                .register(
                    &[
                        entry(ALICE, None, &[chain]),
                        entry(BOB, None, &[chain]),
                        entry(ALICE, None, &[chain]),
                    ],
                    1,
                )
                .unwrap_err();
            assert!(
                matches!(err, StoreError::EntryConflict { index: 2, .. }),
                "{err}"
            );
            assert!(store.wallets().unwrap().is_empty());
            assert!(store.addresses().unwrap().is_empty());
        });
    }

    #[test]
    fn a_known_address_may_join_another_chain() {
        each_store(|store| {
            let one = store.insert_chain(&evm_chain("one", 1)).unwrap();
            let two = store.insert_chain(&evm_chain("two", 2)).unwrap();
            let first = store.register(&[entry(ALICE, None, &[one])], 1).unwrap();
            let second = store.register(&[entry(ALICE, None, &[two])], 2).unwrap();
            assert_eq!(first, second, "the same wallet");
            assert_eq!(store.addresses().unwrap()[0].chains, ["one", "two"]);
        });
    }

    #[test]
    fn a_watch_key_wallet_grows_by_derived_addresses() {
        each_store(|store| {
            let chain = store
                .insert_chain(&crate::store::testing::bitcoin_chain("btc"))
                .unwrap();
            let derived = |text: &str, derivation: &str| DerivedAddress {
                address: Address::parse(text).unwrap(),
                derivation: derivation.into(),
            };
            let wallet = store
                .register_watch_key(
                    "zpub-test",
                    Some("cold"),
                    &[derived("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "0/0")],
                    &[chain],
                    1,
                )
                .unwrap();
            assert!(matches!(
                store.register_watch_key("zpub-test", None, &[], &[chain], 2),
                Err(StoreError::Conflict(_))
            ));
            let keys = store
                .add_derived(
                    wallet,
                    &[derived("bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", "0/1")],
                    &[chain],
                    3,
                )
                .unwrap();
            assert_eq!(keys.len(), 1, "one balance row to read: the native coin");
            let addresses = &store.wallets().unwrap()[0].addresses;
            assert_eq!(
                addresses
                    .iter()
                    .map(|a| a.derivation.as_deref())
                    .collect::<Vec<_>>(),
                [Some("0/0"), Some("0/1")]
            );
            store.mark_used(&[addresses[1].id]).unwrap();
            assert!(store.wallets().unwrap()[0].addresses[1].used);
            let derived = store.derived_addresses(chain).unwrap();
            assert_eq!(derived.len(), 2);
            assert_eq!(
                derived[1],
                (wallet, "zpub-test".to_owned(), "0/1".to_owned(), true)
            );
        });
    }

    #[test]
    fn activity_and_tiers_are_recorded() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("one", 1)).unwrap();
            store
                .register(
                    &[entry(ALICE, None, &[chain]), entry(BOB, None, &[chain])],
                    1,
                )
                .unwrap();
            let ids: Vec<AddressId> = store
                .addresses()
                .unwrap()
                .iter()
                .map(|address| address.id)
                .collect();
            store
                .record_activity(&[ids[0]], &[(ids[0], "hot"), (ids[1], "cold")], 5_000)
                .unwrap();
            let state = |id: AddressId| -> (Option<i64>, String) {
                store
                    .conn
                    .query_row(
                        "SELECT last_activity_at, activity_tier FROM addresses WHERE id = ?1",
                        [id],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .unwrap()
            };
            assert_eq!(state(ids[0]), (Some(5_000), "hot".to_owned()));
            assert_eq!(state(ids[1]), (None, "cold".to_owned()));
        });
    }

    #[test]
    fn hostile_labels_are_stored_as_given() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("one", 1)).unwrap();
            let label = "Robert'); DROP TABLE wallets;-- <script>alert(1)</script> \u{202e}\u{0}";
            store
                .register(&[entry(ALICE, Some(label), &[chain])], 1)
                .unwrap();
            assert_eq!(store.wallets().unwrap()[0].label.as_deref(), Some(label));
        });
    }

    #[test]
    fn an_address_is_found_by_its_normalised_form() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("one", 1)).unwrap();
            store.register(&[entry(ALICE, None, &[chain])], 1).unwrap();
            let lower = Address::parse(&ALICE.to_lowercase()).unwrap();
            let found = store.find_address(&lower).unwrap().unwrap();
            assert_eq!(found.address, ALICE);
            assert_eq!(
                store.find_address(&Address::parse(BOB).unwrap()).unwrap(),
                None
            );
        });
    }

    #[test]
    fn a_wallet_is_labelled_and_removed_with_its_rows() {
        each_store(|store| {
            let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let wallets = store
                .register(
                    &[entry(ALICE, None, &[chain]), entry(BOB, None, &[chain])],
                    1,
                )
                .unwrap();
            assert!(store.set_wallet_label(wallets[0], Some("savings")).unwrap());
            assert_eq!(
                store.wallets().unwrap()[0].label.as_deref(),
                Some("savings")
            );
            assert!(store.set_wallet_label(wallets[0], None).unwrap());
            assert_eq!(store.wallets().unwrap()[0].label, None);

            assert!(store.remove_wallet(wallets[0]).unwrap());
            let left = store.wallets().unwrap();
            assert_eq!(left.len(), 1);
            assert_eq!(left[0].source, BOB);
            let rows = store.all_balances().unwrap();
            assert!(!rows.is_empty());
            assert!(
                rows.iter().all(|row| row.address == BOB),
                "Alice's rows went with her"
            );
            assert!(!store.remove_wallet(wallets[0]).unwrap());
            assert!(!store.set_wallet_label(wallets[0], Some("gone")).unwrap());
        });
    }
}
