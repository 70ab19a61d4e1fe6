//! Prices: which assets are priced and by what id, the sources that read prices (DefiLlama's coins
//! API by default, keyless; CoinGecko's as the other), and what holdings are worth at those prices.
//! Sources read over the same endpoint pool as chains (rate limit, retries, failover, answer cap);
//! they never write: the engine's price pass writes what they read.

mod coin_id;
mod coingecko;
mod defillama;
pub mod valuation;

use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::Result;
use futures::future::BoxFuture;
use governor::Quota;
use serde_json::value::RawValue;
use url::Url;

pub use coin_id::{CoinId, checked_name, coin_id_of, priceable};

use crate::chains::pool::{EndpointPool, Failure, PoolPolicy};
use crate::clock::UnixMillis;
use crate::model::{Confidence, Price, PriceSourceKind, parse_endpoint_url};

/// The most ids one request asks for (DefiLlama's coins API takes about this many in its path).
pub const MAX_IDS_PER_REQUEST: usize = 150;

/// A price as a source answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The id asked, exactly.
    pub id: CoinId,
    pub price: Price,
    /// When the source says the price held (never later than it was read).
    pub observed_at: UnixMillis,
    /// How sure the source is, where it says.
    pub confidence: Option<Confidence>,
}

/// What a source made of a list of ids: the prices it had (ids it has none for are left out), and
/// why any request failed; a failed request never stops the others.
#[derive(Debug, Default)]
pub struct Quotes {
    pub quotes: Vec<Quote>,
    pub failures: Vec<String>,
}

/// A price source.
pub trait PriceSource: Send + Sync {
    /// Its name, as stored with each price.
    fn name(&self) -> &'static str;

    /// Reads the prices of `ids`, in as few requests as the source allows; `now` bounds the times
    /// a source reports.
    fn quotes<'a>(&'a self, ids: &'a [CoinId], now: UnixMillis) -> BoxFuture<'a, Quotes>;

    /// HTTP requests sent so far, retries included.
    fn requests(&self) -> u64;
}

/// The public URL of a source, used unless another is set.
pub fn public_url(kind: PriceSourceKind) -> Option<&'static str> {
    match kind {
        PriceSourceKind::DefiLlama => Some(defillama::PUBLIC_URL),
        PriceSourceKind::CoinGecko => Some(coingecko::PUBLIC_URL),
        PriceSourceKind::None => None,
    }
}

/// Opens the source `kind` at `url` (its public one when `None`), with an API key if it takes one;
/// `None` for no source.
pub fn open(
    kind: PriceSourceKind,
    url: Option<&str>,
    key: Option<&str>,
) -> Result<Option<Box<dyn PriceSource>>> {
    let Some(url) = url.or(public_url(kind)) else {
        return Ok(None);
    };
    let url: Url = parse_endpoint_url(url)?;
    let pool = |rate: Quota| {
        EndpointPool::new(
            vec![url.clone()],
            PoolPolicy {
                rate,
                // 150 prices are a few tens of kilobytes
                max_answer_bytes: 1 << 20,
                // a garbled answer waits for the next pass, minutes away, not asked again at once
                retry_garbled: false,
                ..PoolPolicy::default()
            },
        )
    };
    Ok(match kind {
        // DefiLlama asks for about one request a second.
        PriceSourceKind::DefiLlama => Some(Box::new(defillama::DefiLlama::new(pool(
            Quota::per_second(NonZeroU32::MIN),
        )))),
        // CoinGecko allows about 30 calls a minute with a demo key, and 10 without.
        PriceSourceKind::CoinGecko => {
            let period = if key.is_some() { 2 } else { 6 };
            let quota = Quota::with_period(Duration::from_secs(period)).expect("a period");
            let pool = pool(quota);
            if let Some(key) = key {
                pool.authorize(0, coingecko::KEY_HEADER, key)
                    .map_err(anyhow::Error::msg)?;
            }
            Some(Box::new(coingecko::CoinGecko::new(pool)))
        }
        PriceSourceKind::None => None,
    })
}

/// A price as a JSON number, read from its exact text; a string, null or anything else is refused.
fn price_of(raw: &RawValue) -> Result<Price, String> {
    let text = raw.get();
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return Err(format!("the price {text} is not a number"));
    }
    Price::parse(text).map_err(|err| err.to_string())
}

/// Seconds since the Unix epoch as milliseconds, never later than `now`.
fn observed_at(seconds: i64, now: UnixMillis) -> UnixMillis {
    seconds.saturating_mul(1_000).min(now)
}

/// A whole answer that is not what the API documents: nothing of it is used.
fn garbled(err: serde_json::Error) -> Failure {
    Failure::Garbled(format!("the price answer is not as documented: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_is_a_json_number_read_exactly() {
        let number = RawValue::from_string("0.022053735051098835".into()).unwrap();
        assert_eq!(
            price_of(&number).unwrap().to_string(),
            "0.022053735051098835"
        );
        for refused in ["\"1.0\"", "null", "true", "-3", "1e13"] {
            let raw = RawValue::from_string(refused.into()).unwrap();
            assert!(price_of(&raw).is_err(), "{refused}");
        }
    }

    #[test]
    fn no_source_opens_nothing_and_a_bad_url_is_refused() {
        assert!(open(PriceSourceKind::None, None, None).unwrap().is_none());
        assert!(open(PriceSourceKind::DefiLlama, Some("ftp://x"), None).is_err());
    }
}
