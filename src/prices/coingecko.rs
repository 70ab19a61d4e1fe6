//! CoinGecko's public API, with an optional demo key (the `x-cg-demo-api-key` header):
//! `GET {base}/simple/price?ids=…&vs_currencies=usd` for coins by id, and
//! `GET {base}/simple/token_price/{platform}?contract_addresses=…&vs_currencies=usd` for tokens, both
//! with `include_last_updated_at=true&precision=full`. Both answer `{"<id or address>": {"usd": 1.0,
//! "last_updated_at": <Unix seconds>}}`, leaving out what they have no price for; token addresses
//! come back in lower case.

use std::collections::{BTreeMap, HashMap};

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    CoinId, MAX_IDS_PER_REQUEST, PriceSource, Quote, Quotes, garbled, observed_at, price_of,
};
use crate::chains::pool::{Ask, EndpointPool, Failure};
use crate::clock::UnixMillis;

pub const PUBLIC_URL: &str = "https://api.coingecko.com/api/v3";

pub const KEY_HEADER: &str = "x-cg-demo-api-key";

const COMMON_QUERY: &str = "vs_currencies=usd&include_last_updated_at=true&precision=full";

/// CoinGecko's asset platform ids of the platforms chains are priced on (DefiLlama's names);
/// another name is asked as it is.
const PLATFORMS: [(&str, &str); 7] = [
    ("bsc", "binance-smart-chain"),
    ("polygon", "polygon-pos"),
    ("arbitrum", "arbitrum-one"),
    ("optimism", "optimistic-ethereum"),
    ("avax", "avalanche"),
    ("ethereum", "ethereum"),
    ("base", "base"),
];

pub struct CoinGecko {
    pool: EndpointPool,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    usd: Option<&'a RawValue>,
    #[serde(default)]
    last_updated_at: Option<i64>,
}

impl CoinGecko {
    pub fn new(pool: EndpointPool) -> Self {
        Self { pool }
    }

    /// One request: `path` asks for `ids`, which the answer names by `key`.
    async fn request(
        &self,
        path: &str,
        ids: &[(String, CoinId)],
        now: UnixMillis,
    ) -> Result<Vec<Quote>, String> {
        let ask = Ask::get(path);
        self.pool
            .send(ask, |_, body| read(body, ids, now))
            .await
            .map_err(|err| err.to_string())
    }
}

impl PriceSource for CoinGecko {
    fn name(&self) -> &'static str {
        "coingecko"
    }

    fn quotes<'a>(&'a self, ids: &'a [CoinId], now: UnixMillis) -> BoxFuture<'a, Quotes> {
        Box::pin(async move {
            // coins by id in one list, tokens in one list per platform: each its own requests
            let mut lists: BTreeMap<Option<&str>, Vec<(String, CoinId)>> = BTreeMap::new();
            for id in ids {
                let (platform, key) = match id {
                    CoinId::Coingecko(coin) => (None, coin.clone()),
                    CoinId::Token { platform, contract } => {
                        (Some(platform.as_str()), contract.to_ascii_lowercase())
                    }
                };
                lists.entry(platform).or_default().push((key, id.clone()));
            }
            let mut quotes = Quotes::default();
            for (platform, list) in &lists {
                for batch in list.chunks(MAX_IDS_PER_REQUEST) {
                    let keys: Vec<&str> = batch.iter().map(|(key, _)| key.as_str()).collect();
                    let path = match platform {
                        None => format!("simple/price?ids={}&{COMMON_QUERY}", keys.join(",")),
                        Some(platform) => format!(
                            "simple/token_price/{}?contract_addresses={}&{COMMON_QUERY}",
                            platform_id(platform),
                            keys.join(",")
                        ),
                    };
                    match self.request(&path, batch, now).await {
                        Ok(read) => quotes.quotes.extend(read),
                        Err(why) => quotes.failures.push(why),
                    }
                }
            }
            quotes
        })
    }

    fn requests(&self) -> u64 {
        self.pool.requests()
    }
}

fn platform_id(platform: &str) -> &str {
    PLATFORMS
        .iter()
        .find(|(name, _)| *name == platform)
        .map_or(platform, |(_, id)| id)
}

/// The prices of an answer to `ids` (each with the key the answer names it by, in lower case).
fn read(body: &[u8], ids: &[(String, CoinId)], now: UnixMillis) -> Result<Vec<Quote>, Failure> {
    let answer: HashMap<String, Entry<'_>> = serde_json::from_slice(body).map_err(garbled)?;
    let asked: HashMap<&str, &CoinId> = ids.iter().map(|(key, id)| (key.as_str(), id)).collect();
    let mut quotes = Vec::with_capacity(answer.len());
    for (key, entry) in &answer {
        let Some(id) = asked.get(key.to_ascii_lowercase().as_str()) else {
            tracing::warn!(id = %key, "the price source answered for an id not asked; ignored");
            continue;
        };
        let Some(usd) = entry.usd else { continue };
        match price_of(usd) {
            Ok(price) => quotes.push(Quote {
                id: (*id).clone(),
                price,
                observed_at: entry
                    .last_updated_at
                    .map_or(now, |seconds| observed_at(seconds, now)),
                confidence: None,
            }),
            Err(why) => tracing::warn!(id = %key, %why, "a price was refused"),
        }
    }
    Ok(quotes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixMillis = 1_700_000_000_000;

    #[test]
    fn coins_and_tokens_are_read_by_the_keys_asked() {
        let usdc = CoinId::Token {
            platform: "ethereum".into(),
            contract: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48".into(),
        };
        let ids = vec![(
            "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48".to_owned(),
            usdc.clone(),
        )];
        let body = br#"{"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48":{"usd":0.99971234,"last_updated_at":1699999900},
            "0xdac17f958d2ee523a2206206994597c13d831ec7":{"usd":1.0}}"#;
        let quotes = read(body, &ids, NOW).unwrap();
        assert_eq!(quotes.len(), 1, "the address not asked is ignored");
        assert_eq!(quotes[0].id, usdc);
        assert_eq!(quotes[0].price.to_string(), "0.99971234");
        assert_eq!(quotes[0].observed_at, 1_699_999_900_000);
        assert!(matches!(
            read(b"[1,2]", &ids, NOW),
            Err(Failure::Garbled(_))
        ));
    }

    #[test]
    fn platforms_are_named_as_coingecko_names_them() {
        assert_eq!(platform_id("bsc"), "binance-smart-chain");
        assert_eq!(platform_id("avax"), "avalanche");
        assert_eq!(platform_id("solana"), "solana");
    }
}
