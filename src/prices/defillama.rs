//! DefiLlama's coins API, keyless: `GET {base}/prices/current/{coins}?searchWidth=4h`, the coins
//! comma-separated as `coingecko:{id}` or `{platform}:{address}`. It answers
//! `{"coins": {"<id as asked>": {"price", "symbol", "timestamp", "confidence", "decimals"?}}}`,
//! leaving out ids it has no price for; `timestamp` is in Unix seconds, `confidence` 0 to 1.

use std::collections::{HashMap, HashSet};

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    CoinId, MAX_IDS_PER_REQUEST, PriceSource, Quote, Quotes, garbled, observed_at, price_of,
};
use crate::chains::pool::{Ask, EndpointPool, Failure};
use crate::clock::UnixMillis;
use crate::model::Confidence;

pub const PUBLIC_URL: &str = "https://coins.llama.fi";

pub struct DefiLlama {
    pool: EndpointPool,
}

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    coins: HashMap<String, Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    price: &'a RawValue,
    timestamp: i64,
    #[serde(borrow, default)]
    confidence: Option<&'a RawValue>,
}

impl DefiLlama {
    pub fn new(pool: EndpointPool) -> Self {
        Self { pool }
    }

    /// One request for up to [`MAX_IDS_PER_REQUEST`] ids.
    async fn request(&self, ids: &[CoinId], now: UnixMillis) -> Result<Vec<Quote>, String> {
        let asked: Vec<String> = ids.iter().map(CoinId::to_string).collect();
        let path = format!("prices/current/{}?searchWidth=4h", asked.join(","));
        let ask = Ask::get(&path);
        self.pool
            .send(ask, |_, body| read(body, ids, &asked, now))
            .await
            .map_err(|err| err.to_string())
    }
}

impl PriceSource for DefiLlama {
    fn name(&self) -> &'static str {
        "defillama"
    }

    fn quotes<'a>(&'a self, ids: &'a [CoinId], now: UnixMillis) -> BoxFuture<'a, Quotes> {
        Box::pin(async move {
            let mut quotes = Quotes::default();
            for batch in ids.chunks(MAX_IDS_PER_REQUEST) {
                match self.request(batch, now).await {
                    Ok(read) => quotes.quotes.extend(read),
                    Err(why) => quotes.failures.push(why),
                }
            }
            quotes
        })
    }

    fn requests(&self) -> u64 {
        self.pool.requests()
    }
}

/// The prices of an answer to `ids` (spelled `asked`). An answer not shaped as documented is
/// garbled, and nothing of it is used; a price that cannot be right (negative, absurd, not a number,
/// a confidence outside 0 to 1) is refused alone, and an id not asked for is ignored.
fn read(
    body: &[u8],
    ids: &[CoinId],
    asked: &[String],
    now: UnixMillis,
) -> Result<Vec<Quote>, Failure> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(garbled)?;
    let by_spelling: HashMap<&str, &CoinId> = asked.iter().map(String::as_str).zip(ids).collect();
    let mut seen = HashSet::new();
    let mut quotes = Vec::with_capacity(answer.coins.len());
    for (key, entry) in &answer.coins {
        let Some(id) = by_spelling.get(key.as_str()) else {
            tracing::warn!(id = %key, "the price source answered for an id not asked; ignored");
            continue;
        };
        let confidence = entry
            .confidence
            .map(|raw| Confidence::parse(raw.get()).map_err(|err| err.to_string()))
            .transpose();
        match (price_of(entry.price), confidence) {
            (Ok(price), Ok(confidence)) if seen.insert(key) => quotes.push(Quote {
                id: (*id).clone(),
                price,
                observed_at: observed_at(entry.timestamp, now),
                confidence,
            }),
            (Err(why), _) | (_, Err(why)) => {
                tracing::warn!(id = %key, %why, "a price was refused");
            }
            _ => {}
        }
    }
    Ok(quotes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixMillis = 1_700_000_000_000;

    fn ids() -> (Vec<CoinId>, Vec<String>) {
        let ids = vec![
            CoinId::Coingecko("ethereum".into()),
            CoinId::Token {
                platform: "ethereum".into(),
                contract: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48".into(),
            },
        ];
        let asked = ids.iter().map(CoinId::to_string).collect();
        (ids, asked)
    }

    #[test]
    fn the_documented_answer_is_read_exactly() {
        let (ids, asked) = ids();
        let body = br#"{"coins":{
            "coingecko:ethereum":{"price":3456.78,"symbol":"ETH","timestamp":1699999990,"confidence":0.99},
            "ethereum:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48":{"decimals":6,"price":0.999712,"symbol":"USDC","timestamp":1699999980,"confidence":0.99}}}"#;
        let mut quotes = read(body, &ids, &asked, NOW).unwrap();
        quotes.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(quotes.len(), 2);
        assert_eq!(quotes[0].id, ids[0]);
        assert_eq!(quotes[0].price.to_string(), "3456.78");
        assert_eq!(quotes[0].observed_at, 1_699_999_990_000);
        assert_eq!(quotes[1].price.to_string(), "0.999712");
        assert_eq!(quotes[1].confidence.as_ref().unwrap().to_string(), "0.99");
    }

    #[test]
    fn ids_left_out_not_asked_or_priced_wrong_give_no_quote() {
        let (ids, asked) = ids();
        let body = br#"{"coins":{
            "coingecko:bitcoin":{"price":60000,"symbol":"BTC","timestamp":1699999990,"confidence":0.99},
            "coingecko:ethereum":{"price":-1,"symbol":"ETH","timestamp":1699999990,"confidence":0.99}}}"#;
        assert_eq!(read(body, &ids, &asked, NOW).unwrap(), []);
        let future = br#"{"coins":{"coingecko:ethereum":{"price":1,"timestamp":1800000000}}}"#;
        let quote = &read(future, &ids, &asked, NOW).unwrap()[0];
        assert_eq!(quote.observed_at, NOW, "never later than it was read");
        assert_eq!(quote.confidence, None);
    }

    #[test]
    fn an_answer_not_as_documented_is_garbled() {
        let (ids, asked) = ids();
        for body in [
            &b"{\"coins\":{\"coingecko:ethereum\":{\"price\":3456"[..],
            b"<html>busy</html>",
            b"{\"prices\":{}}",
            b"{\"coins\":{\"coingecko:ethereum\":{\"price\":1}}}",
            b"{\"coins\":{\"coingecko:ethereum\":{\"price\":1,\"timestamp\":\"soon\"}}}",
        ] {
            assert!(
                matches!(read(body, &ids, &asked, NOW), Err(Failure::Garbled(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
