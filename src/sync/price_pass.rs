//! The price pass that follows a pass over the chains: the prices of assets some address holds
//! that are older than the price TTL are read from the price source, as few requests as it allows
//! (one per 150 ids for DefiLlama), and written in one transaction with the day's values. A failed
//! request writes nothing, and the prices held stay in use with their age.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;

use super::events::Event;
use super::state::EngineState;
use crate::clock::UnixMillis;
use crate::model::CURRENCY;
use crate::prices::valuation::{PriceBook, valuation};
use crate::prices::{self, CoinId, PriceSource, Quotes, coin_id_of, priceable};
use crate::secrets;
use crate::store::{AssetId, AssetValue, NewPrice, PriceSourceRecord, Store};

/// How a price pass went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceReport {
    /// The source's name.
    pub source: &'static str,
    /// Ids asked for.
    pub asked: usize,
    /// Prices written.
    pub written: usize,
    pub requests: u64,
    /// Why requests failed, if any did.
    pub failed: Option<String>,
}

/// The source, and the record it was opened for (its key read from the keyring then).
pub(super) type OpenSource = (PriceSourceRecord, Arc<dyn PriceSource>);

impl EngineState {
    /// Reads the prices that are due, if any are and a source is set; `None` when none was asked.
    pub(super) async fn refresh_prices(&self) -> Result<Option<PriceReport>> {
        let Some(source) = self.price_source()? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let due = self.prices_due(now)?;
        if due.is_empty() {
            return Ok(None);
        }
        let ids: Vec<CoinId> = due.keys().cloned().collect();
        let requests_before = source.requests();
        let Quotes { quotes, failures } = source.quotes(&ids, now).await;
        let mut report = PriceReport {
            source: source.name(),
            asked: ids.len(),
            written: 0,
            requests: source.requests() - requests_before,
            failed: (!failures.is_empty()).then(|| failures.join("; ")),
        };
        let fetched_at = self.clock.now();
        let name = source.name();
        let prices: Vec<NewPrice> = quotes
            .into_iter()
            .flat_map(|quote| {
                let assets = due.get(&quote.id).cloned().unwrap_or_default();
                assets.into_iter().map(move |asset| NewPrice {
                    asset,
                    currency: CURRENCY,
                    price_id: quote.id.to_string(),
                    price: quote.price.clone(),
                    source: name.to_owned(),
                    observed_at: quote.observed_at,
                    fetched_at,
                    confidence: quote.confidence.clone(),
                })
            })
            .collect();
        if !prices.is_empty() {
            report.written = self.store().atomically(|store| {
                let written = store.record_prices(&prices)?;
                record_todays_values(store, fetched_at)?;
                Ok::<_, anyhow::Error>(written)
            })?;
            self.emit(Event::PricesChanged {
                written: report.written,
            });
        }
        tracing::info!(source = report.source, asked = report.asked, written = report.written,
            requests = report.requests, failed = ?report.failed, "price pass done");
        Ok(Some(report))
    }

    /// The ids whose price is older than the price TTL (or was never read), each with the held
    /// assets it prices; only what [`priceable`] allows is asked for.
    fn prices_due(&self, now: UnixMillis) -> Result<BTreeMap<CoinId, Vec<AssetId>>> {
        let ttl = i64::try_from(self.price_ttl().as_millis()).unwrap_or(i64::MAX);
        let held = self.store().held_assets(CURRENCY)?;
        let mut by_id: BTreeMap<CoinId, (Vec<AssetId>, bool)> = BTreeMap::new();
        for asset in held
            .iter()
            .filter(|asset| priceable(asset.contract.as_deref(), asset.hidden, asset.verified))
        {
            let Some(id) = coin_id_of(&asset.pricing, asset.family, asset.contract.as_deref())
            else {
                continue;
            };
            let old = asset.price_fetched_at.is_none_or(|at| now - at >= ttl);
            let (assets, due) = by_id.entry(id).or_default();
            assets.push(asset.asset);
            *due |= old;
        }
        Ok(by_id
            .into_iter()
            .filter(|(_, (_, due))| *due)
            .map(|(id, (assets, _))| (id, assets))
            .collect())
    }

    /// The source the store names, opened once and again only when it changes.
    fn price_source(&self) -> Result<Option<Arc<dyn PriceSource>>> {
        let record = self.store().price_source()?;
        let mut open = self
            .price_source
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((opened_for, source)) = open.as_ref()
            && *opened_for == record
        {
            return Ok(Some(source.clone()));
        }
        let key = match &record.api_key_ref {
            Some(reference) if record.kind.takes_api_key() => secrets::load(reference)
                .unwrap_or_else(|err| {
                    tracing::warn!(%err, "asking the price source without its API key");
                    None
                }),
            _ => None,
        };
        let Some(source) = prices::open(record.kind, record.url.as_deref(), key.as_deref())? else {
            *open = None;
            return Ok(None);
        };
        let source: Arc<dyn PriceSource> = Arc::from(source);
        *open = Some((record, source.clone()));
        Ok(Some(source))
    }
}

/// Records today's values (UTC) at the prices now held: the portfolio's total and each asset's.
fn record_todays_values(store: &mut Store, now: UnixMillis) -> Result<()> {
    let book = PriceBook::new(store.prices()?);
    let views = store.all_balances()?;
    let valued = valuation(&views, &book);
    let assets: Vec<AssetValue> = valued
        .assets
        .into_iter()
        .filter_map(|asset| {
            Some(AssetValue {
                asset: asset.asset,
                raw: asset.raw.to_string(),
                price: asset.price?.price,
                value: asset.value?,
            })
        })
        .collect();
    let day = crate::clock::utc_day(now);
    let total = valued.total.unwrap_or_default();
    store.record_values(&day, CURRENCY, (&total, valued.unpriced), &assets, now)?;
    Ok(())
}
