//! Bitcoin through an Esplora REST API (blockstream.info, mempool.space, or one's own): the tip
//! height once a sweep, then each address's `chain_stats`, a few at a time (Esplora has no batch).
//! The confirmed balance is what the chain funded the address less what it spent.

use alloy_primitives::U256;
use futures::StreamExt;
use serde::Deserialize;

use super::AddressReading;
use crate::chains::pool::{Ask, EndpointPool, Failure, Protocol};

/// Address requests in flight at once: public Esplora instances limit bursts.
const IN_FLIGHT: usize = 4;

#[derive(Deserialize)]
struct AddressStats {
    address: String,
    chain_stats: TxoStats,
    mempool_stats: Option<TxoStats>,
}

#[derive(Deserialize)]
struct TxoStats {
    funded_txo_sum: u64,
    spent_txo_sum: u64,
    #[serde(default)]
    tx_count: u64,
}

/// Each address's reading at the tip's height, in order, from the pool's Esplora endpoints.
pub async fn read(
    pool: &EndpointPool,
    addresses: &[String],
) -> Vec<Result<(AddressReading, u64), String>> {
    let height = match tip_height(pool).await {
        Ok(height) => height,
        Err(why) => return vec![Err(why); addresses.len()],
    };
    // Futures made up front (not in a stream's closure) keep the whole sweep `Send`.
    let reads: Vec<_> = addresses
        .iter()
        .map(|address| read_address(pool, address))
        .collect();
    let read: Vec<_> = futures::stream::iter(reads)
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    read.into_iter()
        .map(|read| read.map(|reading| (reading, height)))
        .collect()
}

/// The height of the chain's tip.
async fn tip_height(pool: &EndpointPool) -> Result<u64, String> {
    pool.send_over(Protocol::Http, Ask::get("blocks/tip/height"), |_, body| {
        std::str::from_utf8(body)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .ok_or_else(|| Failure::Garbled("the tip height is not a number".into()))
    })
    .await
    .map_err(|err| err.to_string())
}

async fn read_address(pool: &EndpointPool, address: &str) -> Result<AddressReading, String> {
    let path = format!("address/{address}");
    pool.send_over(Protocol::Http, Ask::get(&path), |_, body| {
        read_stats(body, address)
    })
    .await
    .map_err(|err| err.to_string())
}

/// Funded less spent; an answer in which more was spent than funded is not believed.
fn read_stats(body: &[u8], address: &str) -> Result<AddressReading, Failure> {
    let stats: AddressStats = serde_json::from_slice(body)
        .map_err(|_| Failure::Garbled("the address answer is malformed".into()))?;
    // An answer about another address (a misrouted base, a caching proxy) is not believed.
    if stats.address != address {
        return Err(Failure::Garbled(
            "the answer is about another address".into(),
        ));
    }
    let chain = &stats.chain_stats;
    let confirmed = chain
        .funded_txo_sum
        .checked_sub(chain.spent_txo_sum)
        .map(U256::from)
        .ok_or_else(|| Failure::Garbled("the address spent more than it was funded".into()))?;
    let mempool = stats.mempool_stats.as_ref();
    let used = chain.tx_count > 0 || mempool.is_some_and(|mempool| mempool.tx_count > 0);
    let pending = mempool.map_or(0, |mempool| {
        i128::from(mempool.funded_txo_sum) - i128::from(mempool.spent_txo_sum)
    });
    Ok(AddressReading {
        confirmed,
        pending,
        used,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::chains::test_support::esplora::{Esplora, Stats, TIP};
    use crate::chains::test_support::pool;

    const SEGWIT: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
    const LEGACY: &str = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
    const TAPROOT: &str = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297";

    #[tokio::test]
    async fn each_address_is_read_in_order_at_the_tip_s_height() {
        let server = Esplora::start();
        server.set(
            SEGWIT,
            Stats {
                funded: 150_000,
                spent: 50_000,
                mempool_funded: 7,
                tx_count: 2,
            },
        );
        // Paid only in the mempool: used, with nothing confirmed.
        server.set(
            LEGACY,
            Stats {
                mempool_funded: 3,
                ..Stats::default()
            },
        );
        let addresses = [SEGWIT, LEGACY, TAPROOT].map(str::to_owned);
        let read = read(&pool(&server.url), &addresses).await;
        let at_tip = |confirmed: u64, pending: i128, used: bool| {
            Ok((
                AddressReading {
                    confirmed: U256::from(confirmed),
                    pending,
                    used,
                },
                TIP,
            ))
        };
        assert_eq!(
            read,
            [
                at_tip(100_000, 7, true),
                at_tip(0, 3, true),
                at_tip(0, 0, false)
            ]
        );
        let mut requests = server.requests();
        requests.sort_unstable();
        assert_eq!(
            requests,
            [
                format!("/api/address/{LEGACY}"),
                format!("/api/address/{TAPROOT}"),
                format!("/api/address/{SEGWIT}"),
                "/api/blocks/tip/height".to_owned(),
            ],
            "the tip once, each address once"
        );
    }

    #[tokio::test]
    async fn an_address_the_server_refuses_fails_alone() {
        let server = Esplora::start();
        let addresses = ["bc1qnotanaddress".to_owned(), SEGWIT.to_owned()];
        let read = read(&pool(&server.url), &addresses).await;
        // Its `400 Invalid Bitcoin address` is no address answer (the pool hides the URL's path).
        let base = server.url.trim_end_matches("/api");
        assert_eq!(
            read[0],
            Err(format!(
                "no endpoint answered: {base}/… (the address answer is malformed)"
            ))
        );
        assert_eq!(
            read[1],
            Ok((
                AddressReading {
                    confirmed: U256::ZERO,
                    pending: 0,
                    used: false
                },
                TIP
            ))
        );
    }

    #[tokio::test]
    async fn without_the_tip_no_address_is_read() {
        let unreachable = "http://127.0.0.1:9/api/";
        let read = read(&pool(unreachable), &[SEGWIT.to_owned(), LEGACY.to_owned()]).await;
        assert_eq!(read.len(), 2);
        assert_eq!(read[0], read[1]);
        assert!(
            read[0]
                .as_ref()
                .is_err_and(|why| why.contains("127.0.0.1:9")),
            "{read:?}"
        );
    }

    #[test]
    fn confirmed_is_funded_less_spent() {
        let body = br#"{"address":"bc1q","chain_stats":{"funded_txo_count":2,"funded_txo_sum":150000,"spent_txo_count":1,"spent_txo_sum":50000,"tx_count":3},"mempool_stats":{"funded_txo_count":0,"funded_txo_sum":0,"spent_txo_count":0,"spent_txo_sum":0,"tx_count":0}}"#;
        assert_eq!(
            read_stats(body, "bc1q"),
            Ok(AddressReading {
                confirmed: U256::from(100_000),
                pending: 0,
                used: true
            })
        );
    }

    #[test]
    fn pending_is_the_mempool_s_change_apart() {
        let body = br#"{"address":"bc1q","chain_stats":{"funded_txo_sum":10,"spent_txo_sum":0,"tx_count":1},"mempool_stats":{"funded_txo_sum":3,"spent_txo_sum":8,"tx_count":2}}"#;
        let reading = read_stats(body, "bc1q").unwrap();
        assert_eq!((reading.confirmed, reading.pending), (U256::from(10), -5));
    }

    #[test]
    fn impossible_or_malformed_stats_are_garbled() {
        let overspent =
            br#"{"address":"bc1q","chain_stats":{"funded_txo_sum":1,"spent_txo_sum":2}}"#;
        let elsewhere =
            br#"{"address":"bc1x","chain_stats":{"funded_txo_sum":1,"spent_txo_sum":0}}"#;
        let garbled = |why: &str| Err(Failure::Garbled(why.into()));
        assert_eq!(
            read_stats(elsewhere, "bc1q"),
            garbled("the answer is about another address")
        );
        assert_eq!(
            read_stats(overspent, "bc1q"),
            garbled("the address spent more than it was funded")
        );
        // Each body names the asked address, so what is refused is its sums, not a missing field:
        // the same body with sound sums is believed.
        let sound = br#"{"address":"bc1q","chain_stats":{"funded_txo_sum":1,"spent_txo_sum":0}}"#;
        assert!(read_stats(sound, "bc1q").is_ok());
        for body in [
            &br#"{"address":"bc1q","chain_stats":{"funded_txo_sum":-1,"spent_txo_sum":0}}"#[..],
            br#"{"address":"bc1q","chain_stats":{"funded_txo_sum":1,"spent_txo_sum":-1}}"#,
            br#"{"address":"bc1q","chain_stats":{"spent_txo_sum":0}}"#,
            br#"{"address":"bc1q","chain_stats":{"funded_txo_sum":1}}"#,
            br#"{"address":"bc1q","chain_stats":{}}"#,
            b"Invalid Bitcoin address",
        ] {
            assert_eq!(
                read_stats(body, "bc1q"),
                garbled("the address answer is malformed"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    proptest! {
        #[test]
        fn any_answer_is_a_reading_or_garbled(
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..256),
                "\\{\"address\":\"bc1q\",\"chain_stats\":\\{\"funded_txo_sum\":-?[0-9]{0,21},\"spent_txo_sum\":-?[0-9]{0,21}(,\"tx_count\":[0-9]{0,3})?\\}(,\"mempool_stats\":\\{\"funded_txo_sum\":[0-9]{0,21},\"spent_txo_sum\":[0-9]{0,21}\\})?\\}"
                    .prop_map(String::into_bytes),
            ],
        ) {
            if let Ok(reading) = read_stats(&body, "bc1q") {
                prop_assert!(reading.confirmed <= U256::from(u64::MAX));
            }
        }
    }
}
