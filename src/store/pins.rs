//! The certificates of Electrum endpoints over TLS pinned on first use (`endpoints.tls_pin`): kept
//! apart from `chains.rs` since only those endpoints have one, and read only to build a pool.

use rusqlite::params;

use super::{ChainId, Result, Store};

impl Store {
    /// The chain's pinned endpoints: each URL, with its certificate's SHA-256 in hex.
    pub fn endpoint_pins(&self, chain: ChainId) -> Result<Vec<(String, String)>> {
        let pins = self
            .conn
            .prepare_cached(
                "SELECT url, tls_pin FROM endpoints WHERE chain_id = ?1 AND tls_pin IS NOT NULL",
            )?
            .query_map([chain], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(pins)
    }

    /// Pins the certificate (its SHA-256 in hex) an endpoint showed on first use, unless one is
    /// pinned already: a first use is the first, whichever process saw it.
    pub fn pin_endpoint(&mut self, chain: ChainId, url: &str, fingerprint: &str) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(
            "UPDATE endpoints SET tls_pin = ?3 WHERE chain_id = ?1 AND url = ?2 AND tls_pin IS NULL",
        )?
        .execute(params![chain, url, fingerprint])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{bitcoin_chain, each_store};
    use crate::store::{ChainId, Store};

    const FIRST: &str = "aa00000000000000000000000000000000000000000000000000000000000000";
    const SECOND: &str = "bb00000000000000000000000000000000000000000000000000000000000000";

    /// A Bitcoin chain, and the URL of its endpoint.
    fn devbtc(store: &mut Store) -> (ChainId, String) {
        let id = store.insert_chain(&bitcoin_chain("devbtc")).unwrap();
        let chain = store.chain_by_name("devbtc").unwrap().unwrap();
        (id, chain.endpoints[0].url.clone())
    }

    #[test]
    fn a_pin_is_kept_per_endpoint_and_the_first_one_stays() {
        each_store(|store| {
            let (id, url) = devbtc(store);
            assert!(store.endpoint_pins(id).unwrap().is_empty());
            store.pin_endpoint(id, &url, FIRST).unwrap();
            store.pin_endpoint(id, &url, SECOND).unwrap();
            assert_eq!(store.endpoint_pins(id).unwrap(), [(url, FIRST.to_owned())]);
        });
    }

    #[test]
    fn a_pin_that_is_no_fingerprint_is_refused() {
        each_store(|store| {
            let (id, url) = devbtc(store);
            for bad in ["", "AA", &"A".repeat(64), &"g".repeat(64)] {
                assert!(store.pin_endpoint(id, &url, bad).is_err(), "{bad}");
            }
            assert!(store.endpoint_pins(id).unwrap().is_empty());
        });
    }
}
