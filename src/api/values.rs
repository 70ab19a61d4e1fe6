//! What holdings are worth, as the window and the CLI show it: the portfolio's total with its
//! wallets, chains and assets, every price held, and the price source. Prices and values are exact
//! decimal strings; only what shows them rounds, once, to cents.

use serde::Serialize;

use super::settings::shown_url;
use crate::clock::UnixMillis;
use crate::model::{CURRENCY, Confidence, PriceSourceKind};
use crate::prices::priceable;
use crate::prices::valuation::{Valuation, is_stale};
use crate::store::{PriceRecord, PriceSourceRecord, WalletId, WalletRecord};
use crate::sync::PriceReport;

/// The portfolio: every balance held, valued at the prices held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Portfolio {
    pub currency: String,
    /// The sum of every value, exact; `None` when nothing could be valued.
    pub total: Option<String>,
    /// Balances holding something that no price values (none read, or none to trust).
    pub unpriced: u32,
    /// When the oldest price in the total held.
    pub prices_updated_at: Option<UnixMillis>,
    /// Some price in the total is older than a day.
    pub prices_stale: bool,
    /// Largest first.
    pub wallets: Vec<WalletValue>,
    pub chains: Vec<ChainValue>,
    pub assets: Vec<AssetValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct WalletValue {
    pub wallet: WalletId,
    /// The address, key or descriptor watched.
    pub source: String,
    pub label: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChainValue {
    pub chain: String,
    pub value: Option<String>,
}

/// One asset over every address holding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AssetValue {
    pub chain: String,
    /// The token's contract or mint; `None` for the chain's native coin.
    pub contract: Option<String>,
    pub symbol: String,
    /// Whole units, exact.
    pub amount: String,
    pub price: Option<String>,
    pub value: Option<String>,
}

impl Portfolio {
    pub(super) fn new(valued: Valuation, wallets: &[WalletRecord], now: UnixMillis) -> Self {
        let text = |value: Option<crate::model::Money>| value.map(|value| value.to_string());
        let mut wallet_values: Vec<WalletValue> = valued
            .wallets
            .into_iter()
            .filter_map(|(id, value)| {
                let record = wallets.iter().find(|wallet| wallet.id == id)?;
                Some(WalletValue {
                    wallet: id,
                    source: record.source.clone(),
                    label: record.label.clone(),
                    value: text(value),
                })
            })
            .collect();
        // wallets holding nothing at all are worth nothing known, and come last
        for wallet in wallets {
            if !wallet_values.iter().any(|shown| shown.wallet == wallet.id) {
                wallet_values.push(WalletValue {
                    wallet: wallet.id,
                    source: wallet.source.clone(),
                    label: wallet.label.clone(),
                    value: None,
                });
            }
        }
        let prices_stale = valued
            .assets
            .iter()
            .filter(|asset| asset.value.is_some())
            .filter_map(|asset| asset.price.as_ref())
            .any(|price| is_stale(price.observed_at, now));
        Self {
            currency: CURRENCY.to_owned(),
            total: text(valued.total),
            unpriced: super::count(valued.unpriced),
            prices_updated_at: valued.prices_observed_at,
            prices_stale,
            wallets: wallet_values,
            chains: valued
                .chains
                .into_iter()
                .map(|(chain, value)| ChainValue {
                    chain,
                    value: text(value),
                })
                .collect(),
            assets: valued
                .assets
                .into_iter()
                .map(|asset| AssetValue {
                    amount: asset.raw.whole_units(asset.decimals),
                    chain: asset.chain,
                    contract: asset.contract,
                    symbol: asset.symbol,
                    price: asset.price.map(|price| price.price.to_string()),
                    value: text(asset.value),
                })
                .collect(),
        }
    }
}

/// A price held, with where it came from and how old it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PriceRow {
    pub chain: String,
    pub contract: Option<String>,
    pub symbol: String,
    /// The id the source was asked by.
    pub price_id: String,
    pub price: String,
    pub currency: String,
    pub source: String,
    /// When the source says it held.
    pub observed_at: UnixMillis,
    /// When it was read.
    pub fetched_at: UnixMillis,
    pub age_seconds: i64,
    pub confidence: Option<String>,
    /// Older than a day: still used, shown stale.
    pub stale: bool,
    /// Whether values use it: not for a hidden or unverified token, nor below confidence 0.5.
    pub used: bool,
}

impl PriceRow {
    pub(super) fn new(record: PriceRecord, now: UnixMillis) -> Self {
        let used = priceable(record.contract.as_deref(), record.hidden, record.verified)
            && record.confidence.as_ref().is_none_or(Confidence::is_enough);
        Self {
            age_seconds: (now - record.observed_at).max(0) / 1_000,
            stale: is_stale(record.observed_at, now),
            used,
            chain: record.chain,
            contract: record.contract,
            symbol: record.symbol,
            price_id: record.price_id,
            price: record.price.to_string(),
            currency: record.currency,
            source: record.source,
            observed_at: record.observed_at,
            fetched_at: record.fetched_at,
            confidence: record.confidence.map(|confidence| confidence.to_string()),
        }
    }
}

/// Where prices are read, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PriceSourceSettings {
    pub kind: PriceSourceKind,
    /// Scheme, host and port of the URL it is read at (the public one unless set).
    pub shown: Option<String>,
    /// The URL was set, rather than the source's public one.
    pub custom_url: bool,
    pub has_api_key: bool,
    /// A price is read again once this old.
    pub ttl_seconds: u32,
}

impl PriceSourceSettings {
    pub(super) fn new(record: &PriceSourceRecord, ttl_seconds: u32) -> Self {
        let url = record
            .url
            .as_deref()
            .or(crate::prices::public_url(record.kind));
        Self {
            kind: record.kind,
            shown: url.map(shown_url),
            custom_url: record.url.is_some(),
            has_api_key: record.api_key_ref.is_some() && record.kind.takes_api_key(),
            ttl_seconds,
        }
    }
}

/// How the prices' part of a pass went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PriceRefresh {
    pub source: String,
    /// Ids asked for.
    pub asked: u32,
    /// Prices written.
    pub written: u32,
    pub requests: u64,
    /// Why requests failed; the prices held stay in use.
    pub failed: Option<String>,
}

impl PriceRefresh {
    pub(super) fn new(report: PriceReport) -> Self {
        Self {
            source: report.source.to_owned(),
            asked: super::count(report.asked),
            written: super::count(report.written),
            requests: report.requests,
            failed: report.failed,
        }
    }
}
