//! `chains` and `endpoints`: what holdings reads and through which URLs.

use rusqlite::{OptionalExtension, Row, params};
use url::Url;

use super::{ChainId, Result, Store, StoreError, parse_column};
use crate::clock::UnixMillis;
use crate::model::{BitcoinNetwork, ChainName, Family};

/// A chain to add, with its endpoints in order of preference.
#[derive(Debug, Clone)]
pub struct NewChain {
    pub name: ChainName,
    pub family: Family,
    pub evm_chain_id: Option<u64>,
    pub bitcoin_network: Option<BitcoinNetwork>,
    pub native_symbol: String,
    pub native_name: String,
    pub native_decimals: u8,
    pub multicall: Option<alloy_primitives::Address>,
    pub endpoints: Vec<Url>,
    pub pricing: ChainPricing,
}

/// Where a chain's assets are priced; `None` leaves them unpriced.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChainPricing {
    /// The price source's name for the chain, for its tokens (DefiLlama's: `ethereum`, `bsc`, `avax`…).
    pub price_platform: Option<String>,
    /// The CoinGecko id of its native coin (`ethereum`, `binancecoin`…).
    pub native_price_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainRecord {
    pub id: ChainId,
    pub name: String,
    pub family: Family,
    pub evm_chain_id: Option<u64>,
    pub bitcoin_network: Option<String>,
    pub native_symbol: String,
    pub native_decimals: u8,
    pub multicall: Option<String>,
    pub active: bool,
    /// What its endpoints must say they serve (Solana's genesis hash), once known.
    pub genesis: Option<String>,
    #[serde(flatten)]
    pub pricing: ChainPricing,
    pub endpoints: Vec<EndpointRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EndpointRecord {
    pub url: String,
    pub priority: u32,
    #[serde(flatten)]
    pub limits: EndpointLimits,
    /// Since when it has not answered; `None` while it answers.
    pub offline_since: Option<UnixMillis>,
    /// The name of the OS keyring entry holding its API key (never the key itself).
    pub api_key_ref: Option<String>,
}

/// What an endpoint was found to take; `None` where it has not refused anything yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EndpointLimits {
    /// Calls per multicall.
    pub chunk_size: Option<u32>,
    /// Calls per JSON-RPC batch; 0 means it refuses batches.
    pub batch_size: Option<u32>,
    /// Bytes per JSON-RPC batch.
    pub batch_bytes: Option<u32>,
    /// Whether it serves an index of accounts (TronGrid's `/v1/accounts`) beside the node's API.
    pub lists_accounts: Option<bool>,
}

const SELECT_CHAIN: &str = "SELECT id, name, family, evm_chain_id, bitcoin_network, native_symbol, native_decimals, \
     multicall, active, genesis, price_platform, native_price_id FROM chains";

impl Store {
    /// Adds a chain with its endpoints and its native asset, in one transaction.
    pub fn insert_chain(&mut self, chain: &NewChain) -> Result<ChainId> {
        let tx = self.write()?;
        let taken: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM chains WHERE name = ?1)")?
            .query_row([chain.name.as_str()], |row| row.get(0))?;
        if taken {
            return Err(StoreError::Conflict(format!(
                "a chain named {} exists already",
                chain.name
            )));
        }
        let evm_chain_id = chain
            .evm_chain_id
            .map(|id| i64::try_from(id).unwrap_or(i64::MAX));
        tx.prepare_cached(
            "INSERT INTO chains (name, family, evm_chain_id, bitcoin_network, native_symbol, native_decimals, multicall, \
             price_platform, native_price_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            chain.name.as_str(),
            chain.family.as_str(),
            evm_chain_id,
            chain.bitcoin_network.map(BitcoinNetwork::as_str),
            chain.native_symbol,
            chain.native_decimals,
            chain.multicall.map(|address| address.to_checksum(None)),
            chain.pricing.price_platform,
            chain.pricing.native_price_id,
        ])?;
        let id = ChainId(tx.last_insert_rowid());
        let mut insert_endpoint = tx.prepare_cached(
            "INSERT INTO endpoints (chain_id, url, priority) VALUES (?1, ?2, ?3)",
        )?;
        for (priority, url) in chain.endpoints.iter().enumerate() {
            insert_endpoint.execute(params![id, url.as_str(), priority])?;
        }
        drop(insert_endpoint);
        tx.prepare_cached("INSERT INTO assets (chain_id, contract, symbol, name, decimals) VALUES (?1, NULL, ?2, ?3, ?4)")?
            .execute(params![id, chain.native_symbol, chain.native_name, chain.native_decimals])?;
        tx.commit()?;
        Ok(id)
    }

    /// Remembers what an endpoint was found to take.
    pub fn set_endpoint_limits(
        &mut self,
        chain: ChainId,
        url: &str,
        limits: EndpointLimits,
    ) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(
            "UPDATE endpoints SET chunk_size = ?3, batch_size = ?4, batch_bytes = ?5, lists_accounts = ?6 \
             WHERE chain_id = ?1 AND url = ?2",
        )?
        .execute(params![
            chain,
            url,
            limits.chunk_size,
            limits.batch_size,
            limits.batch_bytes,
            limits.lists_accounts
        ])?;
        tx.commit()?;
        Ok(())
    }

    /// Names the keyring entry holding an endpoint's API key; false if there is no such endpoint.
    pub fn set_endpoint_key_ref(
        &mut self,
        chain: ChainId,
        url: &str,
        reference: &str,
    ) -> Result<bool> {
        let tx = self.write()?;
        let updated = tx
            .prepare_cached(
                "UPDATE endpoints SET api_key_ref = ?3 WHERE chain_id = ?1 AND url = ?2",
            )?
            .execute(params![chain, url, reference])?;
        tx.commit()?;
        Ok(updated == 1)
    }

    /// Records what a chain's endpoints must say they serve, unless it is recorded already.
    pub fn set_chain_genesis(&mut self, chain: ChainId, genesis: &str) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached("UPDATE chains SET genesis = ?2 WHERE id = ?1 AND genesis IS NULL")?
            .execute(params![chain, genesis])?;
        tx.commit()?;
        Ok(())
    }

    /// Marks an endpoint offline since `since`, or online again with `None`.
    pub fn set_endpoint_offline(
        &mut self,
        chain: ChainId,
        url: &str,
        since: Option<UnixMillis>,
    ) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(
            "UPDATE endpoints SET offline_since = CASE WHEN ?3 IS NULL THEN NULL ELSE coalesce(offline_since, ?3) END \
             WHERE chain_id = ?1 AND url = ?2",
        )?
        .execute(params![chain, url, since])?;
        tx.commit()?;
        Ok(())
    }

    /// Turns a chain on or off; an inactive chain is not read and takes no new addresses. False if
    /// there is no such chain.
    pub fn set_chain_active(&mut self, chain: ChainId, active: bool) -> Result<bool> {
        let tx = self.write()?;
        let updated = tx
            .prepare_cached("UPDATE chains SET active = ?2 WHERE id = ?1")?
            .execute(params![chain, active])?;
        tx.commit()?;
        Ok(updated == 1)
    }

    /// Adds an endpoint after the chain's others, so it is tried last.
    pub fn add_endpoint(&mut self, chain: ChainId, url: &Url) -> Result<()> {
        let tx = self.write()?;
        let added = tx
            .prepare_cached(
                "INSERT INTO endpoints (chain_id, url, priority) \
                 SELECT ?1, ?2, coalesce(max(priority) + 1, 0) FROM endpoints WHERE chain_id = ?1 \
                 ON CONFLICT (chain_id, url) DO NOTHING",
            )?
            .execute(params![chain, url.as_str()])?;
        if added == 0 {
            return Err(StoreError::Conflict(
                "the chain has this endpoint already".into(),
            ));
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes an endpoint; the chain's last one stays, since a chain must be readable somewhere.
    pub fn remove_endpoint(&mut self, chain: ChainId, url: &str) -> Result<()> {
        let tx = self.write()?;
        let count: u64 = tx
            .prepare_cached("SELECT count(*) FROM endpoints WHERE chain_id = ?1")?
            .query_row([chain], |row| row.get(0))?;
        if count <= 1 {
            return Err(StoreError::Conflict(
                "a chain needs at least one endpoint: add another before removing this one".into(),
            ));
        }
        let removed = tx
            .prepare_cached("DELETE FROM endpoints WHERE chain_id = ?1 AND url = ?2")?
            .execute(params![chain, url])?;
        if removed == 0 {
            return Err(StoreError::Conflict(
                "the chain has no such endpoint".into(),
            ));
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets the order endpoints are tried in: `urls` must name each of the chain's endpoints once.
    pub fn set_endpoint_order(&mut self, chain: ChainId, urls: &[String]) -> Result<()> {
        let tx = self.write()?;
        let mut stored: Vec<String> = tx
            .prepare_cached("SELECT url FROM endpoints WHERE chain_id = ?1 ORDER BY url")?
            .query_map([chain], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut given = urls.to_vec();
        stored.sort();
        given.sort();
        if stored != given {
            return Err(StoreError::Conflict(
                "the new order must name each of the chain's endpoints once".into(),
            ));
        }
        let mut reorder = tx.prepare_cached(
            "UPDATE endpoints SET priority = ?3 WHERE chain_id = ?1 AND url = ?2",
        )?;
        for (priority, url) in urls.iter().enumerate() {
            reorder.execute(params![chain, url, priority])?;
        }
        drop(reorder);
        tx.commit()?;
        Ok(())
    }

    pub fn chains(&self) -> Result<Vec<ChainRecord>> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("{SELECT_CHAIN} ORDER BY id"))?;
        let chains = statement
            .query_map([], chain_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        chains
            .into_iter()
            .map(|chain| self.with_endpoints(chain))
            .collect()
    }

    pub fn chain_by_name(&self, name: &str) -> Result<Option<ChainRecord>> {
        let chain = self
            .conn
            .prepare_cached(&format!("{SELECT_CHAIN} WHERE name = ?1"))?
            .query_row([name], chain_from_row)
            .optional()?;
        chain.map(|chain| self.with_endpoints(chain)).transpose()
    }

    fn with_endpoints(&self, mut chain: ChainRecord) -> Result<ChainRecord> {
        chain.endpoints = self
            .conn
            .prepare_cached(
                "SELECT url, priority, chunk_size, batch_size, batch_bytes, offline_since, api_key_ref, lists_accounts \
                 FROM endpoints WHERE chain_id = ?1 ORDER BY priority",
            )?
            .query_map([chain.id], |row| {
                Ok(EndpointRecord {
                    url: row.get(0)?,
                    priority: row.get(1)?,
                    limits: EndpointLimits {
                        chunk_size: row.get(2)?,
                        batch_size: row.get(3)?,
                        batch_bytes: row.get(4)?,
                        lists_accounts: row.get(7)?,
                    },
                    offline_since: row.get(5)?,
                    api_key_ref: row.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(chain)
    }
}

fn chain_from_row(row: &Row<'_>) -> rusqlite::Result<ChainRecord> {
    Ok(ChainRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        family: parse_column(row, 2)?,
        evm_chain_id: row.get(3)?,
        bitcoin_network: row.get(4)?,
        native_symbol: row.get(5)?,
        native_decimals: row.get(6)?,
        multicall: row.get(7)?,
        active: row.get(8)?,
        genesis: row.get(9)?,
        pricing: ChainPricing {
            price_platform: row.get(10)?,
            native_price_id: row.get(11)?,
        },
        endpoints: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{each_store, evm_chain};

    #[test]
    fn a_chain_comes_back_with_its_endpoints_in_order() {
        each_store(|store| {
            let mut chain = evm_chain("devnet", 31337);
            chain.endpoints.push("http://127.0.0.1:2/".parse().unwrap());
            let id = store.insert_chain(&chain).unwrap();
            let stored = store.chain_by_name("devnet").unwrap().unwrap();
            assert_eq!(stored.id, id);
            assert_eq!(stored.family, Family::Evm);
            assert_eq!(stored.evm_chain_id, Some(31337));
            assert_eq!(
                stored.multicall.as_deref(),
                Some("0xcA11bde05977b3631167028862bE2a173976CA11")
            );
            let urls: Vec<_> = stored.endpoints.iter().map(|e| e.url.as_str()).collect();
            assert_eq!(urls, ["http://127.0.0.1:1/", "http://127.0.0.1:2/"]);
            assert!(stored.active);
        });
    }

    #[test]
    fn a_chain_gets_its_native_asset() {
        each_store(|store| {
            let id = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let assets = store.assets_of_chain(id).unwrap();
            assert_eq!(assets.len(), 1);
            assert_eq!(assets[0].contract, None);
            assert_eq!(assets[0].symbol, "ETH");
            assert_eq!(assets[0].decimals, 18);
        });
    }

    #[test]
    fn a_taken_name_is_a_conflict_and_changes_nothing() {
        each_store(|store| {
            store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let err = store.insert_chain(&evm_chain("devnet", 1)).unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{err}");
            assert_eq!(store.chains().unwrap().len(), 1);
            assert_eq!(
                store.chain_by_name("devnet").unwrap().unwrap().evm_chain_id,
                Some(31337)
            );
        });
    }

    #[test]
    fn learned_limits_are_kept_per_endpoint() {
        each_store(|store| {
            let id = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let limits = EndpointLimits {
                chunk_size: Some(500),
                batch_size: Some(0),
                batch_bytes: Some(1_000_000),
                lists_accounts: Some(false),
            };
            store
                .set_endpoint_limits(id, "http://127.0.0.1:1/", limits)
                .unwrap();
            let endpoint = &store.chain_by_name("devnet").unwrap().unwrap().endpoints[0];
            assert_eq!(endpoint.limits, limits);
        });
    }

    #[test]
    fn an_endpoint_stays_offline_since_it_first_failed() {
        each_store(|store| {
            let id = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let url = "http://127.0.0.1:1/";
            store.set_endpoint_offline(id, url, Some(100)).unwrap();
            store.set_endpoint_offline(id, url, Some(200)).unwrap();
            let offline = |store: &Store| {
                store.chain_by_name("devnet").unwrap().unwrap().endpoints[0].offline_since
            };
            assert_eq!(offline(store), Some(100));
            store.set_endpoint_offline(id, url, None).unwrap();
            assert_eq!(offline(store), None);
        });
    }

    #[test]
    fn an_unknown_name_is_none() {
        each_store(|store| assert_eq!(store.chain_by_name("nope").unwrap(), None));
    }

    #[test]
    fn endpoints_are_added_last_reordered_and_removed_but_never_the_last() {
        each_store(|store| {
            let id = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            let second: Url = "http://127.0.0.1:2/".parse().unwrap();
            store.add_endpoint(id, &second).unwrap();
            assert!(matches!(
                store.add_endpoint(id, &second),
                Err(StoreError::Conflict(_))
            ));
            let urls = |store: &Store| -> Vec<String> {
                let chain = store.chain_by_name("devnet").unwrap().unwrap();
                chain.endpoints.into_iter().map(|e| e.url).collect()
            };
            assert_eq!(urls(store), ["http://127.0.0.1:1/", "http://127.0.0.1:2/"]);

            let reversed = vec![
                "http://127.0.0.1:2/".to_owned(),
                "http://127.0.0.1:1/".to_owned(),
            ];
            store.set_endpoint_order(id, &reversed).unwrap();
            assert_eq!(urls(store), reversed);
            let missing_one = vec!["http://127.0.0.1:2/".to_owned()];
            assert!(store.set_endpoint_order(id, &missing_one).is_err());
            assert_eq!(urls(store), reversed, "a refused order changes nothing");

            store.remove_endpoint(id, "http://127.0.0.1:2/").unwrap();
            assert_eq!(urls(store), ["http://127.0.0.1:1/"]);
            let last = store.remove_endpoint(id, "http://127.0.0.1:1/");
            assert!(
                matches!(last, Err(StoreError::Conflict(message)) if message.contains("at least one"))
            );
            assert_eq!(urls(store), ["http://127.0.0.1:1/"]);
        });
    }

    #[test]
    fn a_chain_is_turned_off_and_on() {
        each_store(|store| {
            let id = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
            assert!(store.set_chain_active(id, false).unwrap());
            assert!(!store.chain_by_name("devnet").unwrap().unwrap().active);
            assert!(store.set_chain_active(id, true).unwrap());
            assert!(store.chain_by_name("devnet").unwrap().unwrap().active);
            assert!(!store.set_chain_active(ChainId(999), true).unwrap());
        });
    }
}
