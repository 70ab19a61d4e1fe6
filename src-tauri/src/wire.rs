//! The overview as it crosses to the window: the balances a column a field, with what many rows
//! share (an asset's facts and price, an address, a chain's error) listed once and named by index.
//! Sent row by row, 10,000 balances were 5.3 MB of JSON, mostly the same names and strings again
//! on every row; the window waited on carrying and parsing them at launch. The page's
//! `balanceRows` turns the columns back into the engine's rows.

use holdings::api::{BalanceRow, Overview, Portfolio, PortfolioHistory, WalletId, WalletRecord};
use holdings::clock::UnixMillis;
use holdings::model::Freshness;
use indexmap::IndexSet;
use serde::Serialize;

#[derive(Debug, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OverviewWire {
    pub balances: BalanceColumns,
    pub portfolio: Portfolio,
    pub history: PortfolioHistory,
    pub wallets: Vec<WalletRecord>,
}

impl From<Overview> for OverviewWire {
    fn from(overview: Overview) -> Self {
        Self {
            balances: BalanceColumns::from(overview.balances),
            portfolio: overview.portfolio,
            history: overview.history,
            wallets: overview.wallets,
        }
    }
}

/// The rows of [`Overview::balances`], in their order: row `i` is entry `i` of every column, and
/// a row's `address`, `asset` and `error` index `addresses`, `assets` and `errors`. Its amount is
/// not sent: the page writes it from `raw` and the asset's decimals.
#[derive(Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BalanceColumns {
    pub assets: Vec<AssetFacts>,
    pub addresses: Vec<String>,
    pub errors: Vec<String>,
    pub key: Vec<String>,
    pub wallet: Vec<WalletId>,
    pub address: Vec<u32>,
    pub asset: Vec<u32>,
    pub raw: Vec<Option<String>>,
    pub pending: Vec<Option<String>>,
    pub zero: Vec<bool>,
    pub dust: Vec<bool>,
    pub hidden: Vec<bool>,
    pub small: Vec<bool>,
    pub block: Vec<Option<u64>>,
    pub read_at: Vec<Option<UnixMillis>>,
    pub age_seconds: Vec<Option<i64>>,
    pub freshness: Vec<Freshness>,
    pub error: Vec<Option<u32>>,
    pub value: Vec<Option<String>>,
}

/// What every row of one asset shares, its price among them (a price is an asset's, as of one
/// read of the book).
#[derive(Debug, PartialEq, Eq, Hash, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AssetFacts {
    pub chain: String,
    pub contract: Option<String>,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
    pub verified: bool,
    pub price: Option<String>,
    pub price_updated_at: Option<UnixMillis>,
    pub price_stale: bool,
}

impl From<Vec<BalanceRow>> for BalanceColumns {
    fn from(rows: Vec<BalanceRow>) -> Self {
        let mut columns = Self::default();
        let mut assets = IndexSet::new();
        let mut addresses = IndexSet::new();
        let mut errors = IndexSet::new();
        for row in rows {
            let asset = AssetFacts {
                chain: row.chain,
                contract: row.contract,
                symbol: row.symbol,
                name: row.name,
                decimals: row.decimals,
                verified: row.verified,
                price: row.price,
                price_updated_at: row.price_updated_at,
                price_stale: row.price_stale,
            };
            columns.asset.push(index(assets.insert_full(asset).0));
            columns
                .address
                .push(index(addresses.insert_full(row.address).0));
            let error = row.error.map(|error| index(errors.insert_full(error).0));
            columns.error.push(error);
            columns.key.push(row.key);
            columns.wallet.push(row.wallet);
            columns.raw.push(row.raw);
            columns.pending.push(row.pending);
            columns.zero.push(row.zero);
            columns.dust.push(row.dust);
            columns.hidden.push(row.hidden);
            columns.small.push(row.small);
            columns.block.push(row.block);
            columns.read_at.push(row.read_at);
            columns.age_seconds.push(row.age_seconds);
            columns.freshness.push(row.freshness);
            columns.value.push(row.value);
        }
        columns.assets = assets.into_iter().collect();
        columns.addresses = addresses.into_iter().collect();
        columns.errors = errors.into_iter().collect();
        columns
    }
}

/// An index into one of the shared lists: a store holds far fewer than 2^32 assets, addresses or
/// errors, as it holds fewer balances.
fn index(position: usize) -> u32 {
    u32::try_from(position).expect("fewer than 2^32 rows")
}

#[cfg(test)]
mod tests {
    use holdings::model::Amount;

    use super::*;

    /// The rows again, as the page's `balanceRows` writes them.
    fn rows(columns: &BalanceColumns) -> Vec<BalanceRow> {
        (0..columns.key.len())
            .map(|i| {
                let asset = &columns.assets[columns.asset[i] as usize];
                let raw = columns.raw[i].clone();
                BalanceRow {
                    key: columns.key[i].clone(),
                    wallet: columns.wallet[i],
                    chain: asset.chain.clone(),
                    address: columns.addresses[columns.address[i] as usize].clone(),
                    contract: asset.contract.clone(),
                    symbol: asset.symbol.clone(),
                    name: asset.name.clone(),
                    decimals: asset.decimals,
                    amount: raw.as_deref().map(|raw| {
                        Amount::new(Amount::parse_raw(raw).unwrap(), asset.decimals).to_string()
                    }),
                    raw,
                    zero: columns.zero[i],
                    dust: columns.dust[i],
                    hidden: columns.hidden[i],
                    verified: asset.verified,
                    block: columns.block[i],
                    read_at: columns.read_at[i],
                    age_seconds: columns.age_seconds[i],
                    freshness: columns.freshness[i],
                    error: columns.error[i].map(|error| columns.errors[error as usize].clone()),
                    pending: columns.pending[i].clone(),
                    price: asset.price.clone(),
                    value: columns.value[i].clone(),
                    price_updated_at: asset.price_updated_at,
                    price_stale: asset.price_stale,
                    small: columns.small[i],
                }
            })
            .collect()
    }

    fn row(key: &str, address: &str, symbol: &str, raw: Option<&str>) -> BalanceRow {
        BalanceRow {
            key: key.into(),
            wallet: WalletId(1),
            chain: "ethereum".into(),
            address: address.into(),
            contract: (symbol != "ETH").then(|| format!("0x{symbol}")),
            symbol: symbol.into(),
            name: format!("{symbol} token"),
            decimals: 6,
            raw: raw.map(Into::into),
            amount: raw.map(|raw| Amount::new(Amount::parse_raw(raw).unwrap(), 6).to_string()),
            zero: raw == Some("0"),
            dust: false,
            hidden: false,
            verified: true,
            block: raw.map(|_| 21_000_000),
            read_at: raw.map(|_| 1_764_000_000_000),
            age_seconds: raw.map(|_| 40),
            freshness: if raw.is_some() {
                Freshness::Cached
            } else {
                Freshness::Error
            },
            error: raw.is_none().then(|| "connection refused".into()),
            pending: None,
            price: Some("0.9998".into()),
            value: raw.map(|_| "1.5".into()),
            price_updated_at: Some(1_764_000_000_000),
            price_stale: false,
            small: false,
        }
    }

    #[test]
    fn the_rows_come_back_whole_and_in_order_from_their_columns() {
        let mut other_chain = row("3:1", "0xb", "USDC", Some("1500000"));
        other_chain.chain = "base".into();
        let mut other_price = row("4:2", "0xb", "DAI", Some("0"));
        other_price.price = Some("1.0001".into());
        let sent = vec![
            row("1:1", "0xa", "USDC", Some("1500000")),
            row("1:2", "0xa", "DAI", Some("123456789012345678901234567890")),
            row("2:1", "0xb", "USDC", None),
            other_chain,
            row("2:2", "0xb", "DAI", None),
            other_price,
        ];
        let columns = BalanceColumns::from(sent.clone());
        assert_eq!(rows(&columns), sent);
        // what rows share is listed once: USDC on two chains and DAI at two prices are four assets
        assert_eq!(columns.assets.len(), 4);
        assert_eq!(columns.addresses, ["0xa", "0xb"]);
        assert_eq!(columns.errors, ["connection refused"]);
        assert_eq!(columns.error, [None, None, Some(0), None, Some(0), None]);
    }

    #[test]
    fn no_rows_are_empty_columns() {
        assert_eq!(BalanceColumns::from(Vec::new()), BalanceColumns::default());
    }
}
