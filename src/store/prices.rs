//! `price_source`, `prices` and the value history: where prices are read, the last price read of
//! each asset (the exact decimal received), and each day's values.

#[cfg(test)]
use rusqlite::OptionalExtension;
use rusqlite::params;

use super::{AssetId, ChainPricing, Result, Store, parse_column};
use crate::clock::UnixMillis;
use crate::model::{Confidence, Family, Money, Price, PriceSourceKind};

/// Where prices are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSourceRecord {
    pub kind: PriceSourceKind,
    /// `None`: the source's public URL.
    pub url: Option<String>,
    /// The name of the OS keyring entry holding its API key (never the key itself).
    pub api_key_ref: Option<String>,
}

/// A price read, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPrice {
    pub asset: AssetId,
    pub currency: &'static str,
    /// The id the source was asked by.
    pub price_id: String,
    pub price: Price,
    pub source: String,
    pub observed_at: UnixMillis,
    pub fetched_at: UnixMillis,
    pub confidence: Option<Confidence>,
}

/// A price held, with the asset it prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRecord {
    pub asset: AssetId,
    pub chain: String,
    /// `None` for the chain's native coin.
    pub contract: Option<String>,
    pub symbol: String,
    pub hidden: bool,
    pub verified: bool,
    pub price_id: String,
    pub currency: String,
    pub price: Price,
    pub source: String,
    pub observed_at: UnixMillis,
    pub fetched_at: UnixMillis,
    pub confidence: Option<Confidence>,
}

/// An asset some address holds (a balance read and not zero), with what pricing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldAsset {
    pub asset: AssetId,
    pub family: Family,
    pub contract: Option<String>,
    pub hidden: bool,
    pub verified: bool,
    pub pricing: ChainPricing,
    /// When its price was last read, if ever.
    pub price_fetched_at: Option<UnixMillis>,
}

/// One asset's value on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetValue {
    pub asset: AssetId,
    /// Base units over every address.
    pub raw: String,
    pub price: Price,
    pub value: Money,
}

/// The portfolio's value on one day, as the day's last price pass recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTotal {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The exact decimal stored (digits and a point, as the table's CHECK holds it).
    pub total: String,
    /// Balances holding something that no price valued.
    pub unpriced: u64,
}

impl Store {
    pub fn price_source(&self) -> Result<PriceSourceRecord> {
        Ok(self
            .conn
            .prepare_cached("SELECT kind, url, api_key_ref FROM price_source WHERE id = 1")?
            .query_row([], |row| {
                Ok(PriceSourceRecord {
                    kind: parse_column(row, 0)?,
                    url: row.get(1)?,
                    api_key_ref: row.get(2)?,
                })
            })?)
    }

    /// Reads prices from `kind` at `url` (its public URL with `None`); its API key stays saved.
    pub fn set_price_source(&mut self, kind: PriceSourceKind, url: Option<&str>) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached("UPDATE price_source SET kind = ?1, url = ?2 WHERE id = 1")?
            .execute(params![kind.as_str(), url])?;
        tx.commit()?;
        Ok(())
    }

    /// Names the keyring entry of the price source's API key.
    pub fn set_price_api_key_ref(&mut self, reference: &str) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached("UPDATE price_source SET api_key_ref = ?1 WHERE id = 1")?
            .execute([reference])?;
        tx.commit()?;
        Ok(())
    }

    /// Every asset of an active chain that some address holds, with when its price in `currency`
    /// was last read.
    pub fn held_assets(&self, currency: &str) -> Result<Vec<HeldAsset>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT a.id, c.family, a.contract, a.hidden, a.verified, c.price_platform, c.native_price_id, p.fetched_at \
             FROM assets a JOIN chains c ON c.id = a.chain_id \
             LEFT JOIN prices p ON p.asset_id = a.id AND p.currency = ?1 \
             WHERE c.active = 1 AND EXISTS (SELECT 1 FROM balances b WHERE b.asset_id = a.id AND b.raw IS NOT NULL \
             AND b.raw <> '0') /* full scan: every asset is looked at, held ones through the index */ \
             ORDER BY a.id",
        )?;
        let held = statement
            .query_map([currency], |row| {
                Ok(HeldAsset {
                    asset: row.get(0)?,
                    family: parse_column(row, 1)?,
                    contract: row.get(2)?,
                    hidden: row.get(3)?,
                    verified: row.get(4)?,
                    pricing: ChainPricing {
                        price_platform: row.get(5)?,
                        native_price_id: row.get(6)?,
                    },
                    price_fetched_at: row.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(held)
    }

    /// Stores prices read, in one transaction; a price never replaces one the source observed later
    /// (another process may have stored it meanwhile). Returns how many were written.
    pub fn record_prices(&mut self, prices: &[NewPrice]) -> Result<usize> {
        let tx = self.write()?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO prices (asset_id, currency, price_id, price, source, observed_at, fetched_at, confidence) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (asset_id, currency) DO UPDATE SET price_id = excluded.price_id, price = excluded.price, \
             source = excluded.source, observed_at = excluded.observed_at, fetched_at = excluded.fetched_at, \
             confidence = excluded.confidence WHERE excluded.observed_at >= prices.observed_at",
        )?;
        let mut written = 0;
        for price in prices {
            written += upsert.execute(params![
                price.asset,
                price.currency,
                price.price_id,
                price.price.to_string(),
                price.source,
                price.observed_at,
                price.fetched_at,
                price.confidence.as_ref().map(ToString::to_string),
            ])?;
        }
        drop(upsert);
        tx.commit()?;
        Ok(written)
    }

    /// Every price held, of the chains' native coins first, then their tokens.
    pub fn prices(&self) -> Result<Vec<PriceRecord>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT p.asset_id, c.name, a.contract, a.symbol, a.hidden, a.verified, p.price_id, p.currency, p.price, p.source, \
             p.observed_at, p.fetched_at, p.confidence \
             FROM prices p JOIN assets a ON a.id = p.asset_id JOIN chains c ON c.id = a.chain_id \
             ORDER BY c.id, a.contract IS NOT NULL, a.id, p.currency",
        )?;
        let prices = statement
            .query_map([], |row| {
                Ok(PriceRecord {
                    asset: row.get(0)?,
                    chain: row.get(1)?,
                    contract: row.get(2)?,
                    symbol: row.get(3)?,
                    hidden: row.get(4)?,
                    verified: row.get(5)?,
                    price_id: row.get(6)?,
                    currency: row.get(7)?,
                    price: parse_column(row, 8)?,
                    source: row.get(9)?,
                    observed_at: row.get(10)?,
                    fetched_at: row.get(11)?,
                    confidence: row
                        .get::<_, Option<String>>(12)?
                        .map(|_| parse_column(row, 12))
                        .transpose()?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(prices)
    }

    /// Records the day's values (`day` as `YYYY-MM-DD`), replacing what an earlier pass of the same
    /// day recorded: the day keeps its last values.
    pub fn record_values(
        &mut self,
        day: &str,
        currency: &str,
        (total, unpriced): (&Money, usize),
        assets: &[AssetValue],
        now: UnixMillis,
    ) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(
            "INSERT INTO portfolio_history (day, currency, total, unpriced, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (day, currency) DO UPDATE SET total = excluded.total, unpriced = excluded.unpriced, \
             recorded_at = excluded.recorded_at",
        )?
        .execute(params![day, currency, total.to_string(), unpriced, now])?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO asset_value_history (asset_id, currency, day, raw, price, value, recorded_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (asset_id, currency, day) DO UPDATE SET raw = excluded.raw, price = excluded.price, \
             value = excluded.value, recorded_at = excluded.recorded_at",
        )?;
        for asset in assets {
            upsert.execute(params![
                asset.asset,
                currency,
                day,
                asset.raw,
                asset.price.to_string(),
                asset.value.to_string(),
                now
            ])?;
        }
        drop(upsert);
        tx.commit()?;
        Ok(())
    }

    /// Every day's recorded total of the portfolio in `currency`, oldest first, exactly as stored.
    pub fn portfolio_history(&self, currency: &str) -> Result<Vec<DayTotal>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT day, total, unpriced FROM portfolio_history WHERE currency = ?1 \
             /* full scan: every day is read, of the one currency kept */ ORDER BY day",
        )?;
        let days = statement
            .query_map([currency], |row| {
                Ok(DayTotal {
                    day: row.get(0)?,
                    total: row.get(1)?,
                    unpriced: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(days)
    }

    /// The price in `currency` each day's values used for `asset`, oldest first.
    pub fn day_prices(&self, asset: AssetId, currency: &str) -> Result<Vec<(String, Price)>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT day, price FROM asset_value_history WHERE asset_id = ?1 AND currency = ?2 ORDER BY day",
        )?;
        let prices = statement
            .query_map(params![asset, currency], |row| {
                Ok((row.get(0)?, parse_column(row, 1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(prices)
    }

    /// The portfolio's recorded total on `day` and its unpriced rows, if recorded.
    #[cfg(test)]
    pub fn portfolio_total_on(&self, day: &str, currency: &str) -> Result<Option<(String, u64)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT total, unpriced FROM portfolio_history WHERE day = ?1 AND currency = ?2",
            )?
            .query_row([day, currency], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CURRENCY;
    use crate::store::BalanceRead;
    use crate::store::testing::{each_store, registered_pair};
    use alloy_primitives::U256;

    fn price(asset: AssetId, text: &str, observed_at: UnixMillis) -> NewPrice {
        NewPrice {
            asset,
            currency: CURRENCY,
            price_id: "coingecko:ethereum".into(),
            price: text.parse().unwrap(),
            source: "defillama".into(),
            observed_at,
            fetched_at: observed_at + 5,
            confidence: Some("0.99".parse().unwrap()),
        }
    }

    #[test]
    fn the_source_starts_as_defillama_at_its_public_url() {
        each_store(|store| {
            let default = store.price_source().unwrap();
            assert_eq!(default.kind, PriceSourceKind::DefiLlama);
            assert_eq!(default.url, None);
            store
                .set_price_source(PriceSourceKind::CoinGecko, Some("http://127.0.0.1:9/"))
                .unwrap();
            store
                .set_price_api_key_ref("api-key:prices:coingecko")
                .unwrap();
            let set = store.price_source().unwrap();
            assert_eq!(set.kind, PriceSourceKind::CoinGecko);
            assert_eq!(set.url.as_deref(), Some("http://127.0.0.1:9/"));
            assert_eq!(set.api_key_ref.as_deref(), Some("api-key:prices:coingecko"));
        });
    }

    #[test]
    fn prices_are_kept_exactly_and_never_replaced_by_an_older_observation() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let exact = "0.022053735051098835";
            assert_eq!(
                store
                    .record_prices(&[price(native.asset, exact, 2_000)])
                    .unwrap(),
                1
            );
            assert_eq!(
                store
                    .record_prices(&[price(native.asset, "1", 1_000)])
                    .unwrap(),
                0,
                "observed before the one held"
            );
            let held = store.prices().unwrap();
            assert_eq!(held.len(), 1);
            assert_eq!(held[0].price.to_string(), exact);
            assert_eq!(held[0].symbol, "ETH");
            assert_eq!(held[0].contract, None);
            assert_eq!(held[0].confidence.as_ref().unwrap().to_string(), "0.99");
            store
                .record_prices(&[price(native.asset, "2", 3_000)])
                .unwrap();
            assert_eq!(store.prices().unwrap()[0].price.to_string(), "2");
        });
    }

    #[test]
    fn only_assets_held_are_listed_for_pricing() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            assert!(
                store.held_assets(CURRENCY).unwrap().is_empty(),
                "nothing read yet"
            );
            let read = |key, raw: u64| BalanceRead {
                key,
                raw: U256::from(raw),
                block: 1,
                fetched_at: 10,
                next_due_at: 20,
            };
            store
                .record_sweep("test", &[read(native, 5), read(token, 0)], &[])
                .unwrap();
            store.record_prices(&[price(native.asset, "3", 7)]).unwrap();
            let held = store.held_assets(CURRENCY).unwrap();
            assert_eq!(held.len(), 1, "a zero balance holds nothing");
            assert_eq!(held[0].asset, native.asset);
            assert_eq!(held[0].contract, None);
            assert_eq!(held[0].price_fetched_at, Some(12));
        });
    }

    #[test]
    fn a_day_keeps_its_last_values() {
        each_store(|store| {
            let (native, _) = registered_pair(store);
            let value = |text: &str| AssetValue {
                asset: native.asset,
                raw: "5".into(),
                price: "2".parse().unwrap(),
                value: Money::value_of(U256::from(5), 0, &text.parse().unwrap()),
            };
            let total = Money::value_of(U256::from(5), 0, &"2".parse().unwrap());
            store
                .record_values("2026-01-02", CURRENCY, (&total, 1), &[value("2")], 100)
                .unwrap();
            let later = Money::value_of(U256::from(5), 0, &"3".parse().unwrap());
            store
                .record_values("2026-01-02", CURRENCY, (&later, 0), &[value("3")], 200)
                .unwrap();
            assert_eq!(
                store.portfolio_total_on("2026-01-02", CURRENCY).unwrap(),
                Some(("15".into(), 0))
            );
            assert_eq!(
                store.portfolio_total_on("2026-01-03", CURRENCY).unwrap(),
                None
            );
        });
    }

    #[test]
    fn the_days_read_back_oldest_first_with_the_prices_they_used() {
        each_store(|store| {
            let (native, token) = registered_pair(store);
            let valued = |asset, price: &str| AssetValue {
                asset,
                raw: "5".into(),
                price: price.parse().unwrap(),
                value: Money::value_of(U256::from(5), 0, &price.parse().unwrap()),
            };
            let total = |text: &str| Money::value_of(U256::from(1), 0, &text.parse().unwrap());
            for (day, price) in [("2026-01-03", "3"), ("2026-01-01", "0.25")] {
                store
                    .record_values(
                        day,
                        CURRENCY,
                        (&total(price), 2),
                        &[valued(native.asset, price)],
                        9,
                    )
                    .unwrap();
            }
            let days = store.portfolio_history(CURRENCY).unwrap();
            assert_eq!(
                days,
                [
                    DayTotal {
                        day: "2026-01-01".into(),
                        total: "0.25".into(),
                        unpriced: 2
                    },
                    DayTotal {
                        day: "2026-01-03".into(),
                        total: "3".into(),
                        unpriced: 2
                    },
                ]
            );
            assert!(store.portfolio_history("eur").unwrap().is_empty());
            let prices: Vec<(String, String)> = store
                .day_prices(native.asset, CURRENCY)
                .unwrap()
                .into_iter()
                .map(|(day, price)| (day, price.to_string()))
                .collect();
            assert_eq!(
                prices,
                [
                    ("2026-01-01".into(), "0.25".into()),
                    ("2026-01-03".into(), "3".into())
                ]
            );
            assert!(
                store.day_prices(token.asset, CURRENCY).unwrap().is_empty(),
                "never valued"
            );
        });
    }
}
