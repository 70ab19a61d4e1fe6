//! A balance as the dashboard shows it, with its price and value. Amounts, prices and values are
//! exact decimal strings: a JavaScript number cannot hold a 256-bit integer, nor a price exactly.

use serde::Serialize;

use crate::clock::UnixMillis;
use crate::model::{Amount, Freshness, Money};
use crate::prices::valuation::{PriceBook, is_stale};
use crate::store::WalletId;
use crate::sync::Balance;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BalanceRow {
    /// Unique among rows: address and asset.
    pub key: String,
    pub wallet: WalletId,
    pub chain: String,
    pub address: String,
    /// The token's contract or mint; `None` for the chain's native coin.
    pub contract: Option<String>,
    pub symbol: String,
    /// The token's name (the chain's coin's for the native one); a Solana mint no list names
    /// carries its address here, and a symbol made from it.
    pub name: String,
    pub decimals: u8,
    /// Base units, exact; `None` until first read (never a zero standing in for "unknown").
    pub raw: Option<String>,
    /// Whole units, exact, without trailing zeros.
    pub amount: Option<String>,
    pub zero: bool,
    /// Less than a millionth of a whole unit (and not zero).
    pub dust: bool,
    /// Hidden by the user, or spam.
    pub hidden: bool,
    /// Vouched for by a bundled list or the user; an unverified token is never summed or valued.
    pub verified: bool,
    /// The block number or slot the value was read at.
    pub block: Option<u64>,
    /// When the value was read (Unix milliseconds).
    pub read_at: Option<UnixMillis>,
    pub age_seconds: Option<i64>,
    pub freshness: Freshness,
    /// Why the last read failed, when it did.
    pub error: Option<String>,
    /// Base units unconfirmed transactions would add (or take), where the chain shows it apart.
    pub pending: Option<String>,
    /// The price of a whole unit (in US dollars), exact as read; `None` without a usable one.
    pub price: Option<String>,
    /// amount × price, exact; `None` without a price (never a zero standing in for "unknown").
    pub value: Option<String>,
    /// When the source says the price held.
    pub price_updated_at: Option<UnixMillis>,
    /// The price is older than a day.
    pub price_stale: bool,
    /// Worth less than a dollar (and not zero).
    pub small: bool,
}

impl BalanceRow {
    /// The row of `balance`, valued at the prices of `book` as of `now`; with its value, to sort by.
    pub fn new(balance: &Balance, book: &PriceBook, now: UnixMillis) -> (Self, Option<Money>) {
        let view = &balance.view;
        let row = &view.balance;
        let amount = row.raw.map(|raw| Amount::new(raw, view.decimals));
        let valued = book.value(view);
        let price = valued.as_ref().map(|(price, _)| *price);
        let value = valued.as_ref().map(|(_, value)| value.clone());
        let shown = Self {
            key: format!("{}:{}", row.key.address.0, row.key.asset.0),
            wallet: view.wallet_id,
            chain: view.chain.clone(),
            address: view.address.clone(),
            contract: view.contract.clone(),
            symbol: view.symbol.clone(),
            name: view.name.clone(),
            decimals: view.decimals,
            raw: row.raw.map(|raw| raw.to_string()),
            amount: amount.map(|amount| amount.to_string()),
            zero: amount.is_some_and(|amount| amount.is_zero()),
            dust: amount.is_some_and(|amount| amount.is_dust()),
            hidden: view.hidden,
            verified: view.verified,
            block: row.block,
            read_at: row.fetched_at,
            age_seconds: balance
                .age
                .map(|age| i64::try_from(age.as_secs()).unwrap_or(i64::MAX)),
            freshness: balance.freshness,
            error: row.last_error.clone(),
            pending: row
                .pending
                .filter(|pending| *pending != 0)
                .map(|pending| pending.to_string()),
            price: price.map(|price| price.price.to_string()),
            value: value.as_ref().map(Money::to_string),
            price_updated_at: price.map(|price| price.observed_at),
            price_stale: price.is_some_and(|price| is_stale(price.observed_at, now)),
            small: value
                .as_ref()
                .is_some_and(|value| !value.is_zero() && value.is_below_one()),
        };
        (shown, value)
    }
}
