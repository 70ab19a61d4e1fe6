//! What holdings were worth over time, and the values one balance has had: read from what the store
//! keeps (the day's values each price pass records, `balance_history` and the prices each day
//! used), exact decimal strings as everywhere else.

use serde::Serialize;

use super::{AppError, AppResult, ErrorCode};
use crate::clock::{UnixMillis, utc_day};
use crate::model::{Amount, CURRENCY, Money, Price};
use crate::store::{AddressId, AssetId, BalanceKey, DayTotal, HistoryRow, Store};

/// The portfolio's value, one point a day a price pass recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PortfolioHistory {
    pub currency: String,
    /// Oldest first.
    pub days: Vec<DayValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DayValue {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The day's total, exact; `None` when nothing held could be valued that day (never a zero
    /// standing in for "unknown").
    pub total: Option<String>,
    /// Balances holding something that no price valued that day.
    pub unpriced: u32,
}

/// The values one balance has had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BalanceHistory {
    /// The row's key, as [`super::BalanceRow`] has it.
    pub key: String,
    pub chain: String,
    pub address: String,
    pub symbol: String,
    pub name: String,
    /// Each value read that differed from the one before, oldest first.
    pub points: Vec<BalancePoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BalancePoint {
    /// When it was read (Unix milliseconds).
    pub at: UnixMillis,
    /// The block number or slot it was read at.
    pub block: Option<u64>,
    /// Whole units, exact.
    pub amount: String,
    /// Worth at the price the day's values used (UTC), or the last day's before it: exact; `None`
    /// when no day up to then valued the asset.
    pub value: Option<String>,
}

/// The days recorded, with today's point the total `now` (as the window's header shows it): a day's
/// record is written only when prices are read, and balances may have moved since.
pub(super) fn portfolio_history(
    store: &Store,
    now: UnixMillis,
    total: Option<String>,
    unpriced: u32,
) -> AppResult<PortfolioHistory> {
    let today = utc_day(now);
    let mut days: Vec<DayValue> = store
        .portfolio_history(CURRENCY)?
        .into_iter()
        .filter(|day| day.day != today)
        .map(day_value)
        .collect();
    // nothing held at all is no point; held but unvalued is an unknown one
    if total.is_some() || unpriced > 0 {
        days.push(DayValue {
            day: today,
            total,
            unpriced,
        });
    }
    Ok(PortfolioHistory {
        currency: CURRENCY.to_owned(),
        days,
    })
}

/// A price pass that valued nothing records a total of 0 beside the balances it could not value:
/// that day's worth is unknown, not zero.
fn day_value(day: DayTotal) -> DayValue {
    let nothing_valued = day.unpriced > 0 && day.total.trim_start_matches(['0', '.']).is_empty();
    DayValue {
        day: day.day,
        total: (!nothing_valued).then_some(day.total),
        unpriced: u32::try_from(day.unpriced).unwrap_or(u32::MAX),
    }
}

pub(super) fn balance_history(store: &Store, key: &str) -> AppResult<BalanceHistory> {
    let balance = parse_key(key)?;
    let view = store
        .balance_view(balance)?
        .ok_or_else(|| AppError::not_found("there is no such balance any more"))?;
    let prices = store.day_prices(balance.asset, CURRENCY)?;
    let points = store
        .history_of(balance)?
        .into_iter()
        .map(|change| point(&change, view.decimals, &prices))
        .collect();
    Ok(BalanceHistory {
        key: key.to_owned(),
        chain: view.chain,
        address: view.address,
        symbol: view.symbol,
        name: view.name,
        points,
    })
}

fn point(change: &HistoryRow, decimals: u8, prices: &[(String, Price)]) -> BalancePoint {
    let day = utc_day(change.observed_at);
    // `prices` is oldest first: the last one of a day up to this one
    let price = prices
        .iter()
        .take_while(|(priced, _)| *priced <= day)
        .last()
        .map(|(_, price)| price);
    BalancePoint {
        at: change.observed_at,
        block: change.block,
        amount: Amount::new(change.raw, decimals).to_string(),
        value: price.map(|price| Money::value_of(change.raw, decimals, price).to_string()),
    }
}

/// A row's key, `ADDRESS_ID:ASSET_ID`.
fn parse_key(key: &str) -> AppResult<BalanceKey> {
    let invalid = || {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("{key:?} names no balance (a row's key is two ids, as 12:3)"),
        )
    };
    let (address, asset) = key.split_once(':').ok_or_else(invalid)?;
    let id = |text: &str| text.parse::<i64>().map_err(|_| invalid());
    Ok(BalanceKey {
        address: AddressId(id(address)?),
        asset: AssetId(id(asset)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Holdings;
    use crate::clock::Clock;
    use crate::store::{BalanceRead, Pick};
    use alloy_primitives::U256;

    /// 2026-03-01 12:00 UTC, and a day in milliseconds.
    const MARCH_1: UnixMillis = 1_772_366_400_000;
    const DAY: UnixMillis = 86_400_000;

    fn read(key: BalanceKey, raw: u64, block: u64, at: UnixMillis) -> BalanceRead {
        BalanceRead {
            key,
            raw: U256::from(raw),
            block,
            fetched_at: at,
            next_due_at: at + DAY,
        }
    }

    fn day_value(asset: AssetId, raw: &str, price: &str) -> crate::store::AssetValue {
        let price: Price = price.parse().unwrap();
        crate::store::AssetValue {
            asset,
            raw: raw.into(),
            value: Money::value_of(U256::from_str_radix(raw, 10).unwrap(), 18, &price),
            price,
        }
    }

    /// Ether's price, read `now`.
    fn price_ether(store: &mut Store, ether: BalanceKey, price: &str, now: UnixMillis) {
        store
            .record_prices(&[crate::store::NewPrice {
                asset: ether.asset,
                currency: CURRENCY,
                price_id: "coingecko:ethereum".into(),
                price: price.parse().unwrap(),
                source: "defillama".into(),
                observed_at: now,
                fetched_at: now,
                confidence: None,
            }])
            .unwrap();
    }

    /// A real data dir with one wallet watched on ethereum, and the store beside the app's.
    fn watched() -> (tempfile::TempDir, Holdings, Store, BalanceKey) {
        let dir = tempfile::tempdir().unwrap();
        let holdings = Holdings::open(dir.path()).unwrap();
        holdings
            .add_wallet(
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                None,
                &["ethereum".into()],
            )
            .unwrap();
        let mut store = crate::data_dir::open(dir.path()).unwrap();
        let chain = store.chain_by_name("ethereum").unwrap().unwrap();
        let ether = store.claim(chain.id, "test", 0, 1, Pick::All, 10).unwrap()[0].key;
        (dir, holdings, store, ether)
    }

    #[tokio::test]
    async fn the_portfolio_history_is_each_recorded_day_exactly_and_a_day_that_valued_nothing_is_unknown()
     {
        let (_dir, holdings, mut store, ether) = watched();
        assert!(
            holdings.overview().await.unwrap().history.days.is_empty(),
            "nothing held, nothing recorded: no point at all"
        );
        let total = |text: &str| text.parse::<Money>().unwrap();
        store
            .record_values("2026-03-01", CURRENCY, (&total("0"), 1), &[], MARCH_1)
            .unwrap();
        let huge = "123456789012345678901234567890.000000000000000000000000000001";
        store
            .record_values(
                "2026-03-02",
                CURRENCY,
                (&total(huge), 0),
                &[day_value(ether.asset, "1", "1")],
                MARCH_1 + DAY,
            )
            .unwrap();
        store
            .record_values(
                "2026-03-03",
                CURRENCY,
                (&total("0"), 0),
                &[],
                MARCH_1 + 2 * DAY,
            )
            .unwrap();
        let history = holdings.overview().await.unwrap().history;
        assert_eq!(history.currency, "usd");
        assert_eq!(
            history.days,
            [
                DayValue {
                    day: "2026-03-01".into(),
                    total: None,
                    unpriced: 1
                },
                DayValue {
                    day: "2026-03-02".into(),
                    total: Some(huge.into()),
                    unpriced: 0
                },
                DayValue {
                    day: "2026-03-03".into(),
                    total: Some("0".into()),
                    unpriced: 0
                },
            ],
            "a day holding nothing is worth 0; one that could value nothing is unknown"
        );
    }

    #[tokio::test]
    async fn todays_point_is_the_total_now_not_what_the_last_price_pass_recorded() {
        let (_dir, holdings, mut store, ether) = watched();
        let now = crate::clock::SystemClock.now();
        let today = utc_day(now);
        store
            .record_values(&today, CURRENCY, (&"1".parse().unwrap(), 0), &[], now)
            .unwrap();
        // 1.5 ETH read since, at $2000.25
        store
            .record_sweep(
                "test",
                &[read(ether, 1_500_000_000_000_000_000, 1, now)],
                &[],
            )
            .unwrap();
        price_ether(&mut store, ether, "2000.25", now);
        let days = holdings.overview().await.unwrap().history.days;
        assert_eq!(
            days,
            [DayValue {
                day: today,
                total: Some("3000.375".into()),
                unpriced: 0
            }]
        );
        assert_eq!(
            holdings.portfolio().await.unwrap().total.as_deref(),
            Some("3000.375"),
            "as the header has it"
        );
    }

    #[tokio::test]
    async fn the_overview_answers_as_the_balances_portfolio_and_wallets_asked_alone_with_the_history_to_today()
     {
        let (_dir, holdings, mut store, ether) = watched();
        let now = crate::clock::SystemClock.now();
        store
            .record_values(
                "2026-03-01",
                CURRENCY,
                (&"7".parse().unwrap(), 0),
                &[],
                MARCH_1,
            )
            .unwrap();
        store
            .record_sweep(
                "test",
                &[read(ether, 2_000_000_000_000_000_000, 1, now)],
                &[],
            )
            .unwrap();
        price_ether(&mut store, ether, "1500.5", now);
        let overview = holdings.overview().await.unwrap();
        assert_eq!(overview.portfolio.total.as_deref(), Some("3001"));
        assert_eq!(overview.portfolio, holdings.portfolio().await.unwrap());
        assert_eq!(
            overview.history.days,
            [
                DayValue {
                    day: "2026-03-01".into(),
                    total: Some("7".into()),
                    unpriced: 0
                },
                DayValue {
                    day: utc_day(now),
                    total: Some("3001".into()),
                    unpriced: 0
                },
            ],
            "the day recorded, then today's point: the total the overview shows"
        );
        assert_eq!(overview.wallets, holdings.wallets().unwrap());
        // ages move on between reads; what each row holds and is worth does not
        let held = |rows: &[crate::api::BalanceRow]| {
            rows.iter()
                .map(|row| (row.key.clone(), row.amount.clone(), row.value.clone()))
                .collect::<Vec<_>>()
        };
        let alone = holdings.balances().await.unwrap();
        assert_eq!(held(&overview.balances), held(&alone));
        assert_eq!(
            overview.balances[0].value.as_deref(),
            Some("3001"),
            "the largest value first"
        );
    }

    #[test]
    fn a_balances_history_is_each_change_valued_at_its_days_price() {
        let (_dir, holdings, mut store, ether) = watched();
        // 1.5 ETH on March 1 (before any price), 2.25 ETH on March 2 and 3 (priced on March 2
        // only), 0.1 ETH on March 4 (valued at March 2's price, the last before it)
        let eth = |tenths_of_milli: u64| tenths_of_milli * 100_000_000_000_000;
        for (raw, block, at) in [
            (eth(15_000), 10, MARCH_1),
            (eth(22_500), 20, MARCH_1 + DAY),
            (eth(22_500), 30, MARCH_1 + 2 * DAY),
            (eth(1_000), 40, MARCH_1 + 3 * DAY),
        ] {
            store
                .record_sweep("test", &[read(ether, raw, block, at)], &[])
                .unwrap();
        }
        store
            .record_values(
                "2026-03-02",
                CURRENCY,
                (&"6751.125".parse().unwrap(), 0),
                &[day_value(ether.asset, &eth(22_500).to_string(), "3000.5")],
                MARCH_1 + DAY,
            )
            .unwrap();
        let key = format!("{}:{}", ether.address.0, ether.asset.0);
        let history = holdings.balance_history(&key).unwrap();
        assert_eq!(history.symbol, "ETH");
        assert_eq!(history.chain, "ethereum");
        let points: Vec<_> = history
            .points
            .iter()
            .map(|p| (p.at, p.block, p.amount.as_str(), p.value.as_deref()))
            .collect();
        assert_eq!(
            points,
            [
                (MARCH_1, Some(10), "1.5", None),
                (MARCH_1 + DAY, Some(20), "2.25", Some("6751.125")),
                (MARCH_1 + 3 * DAY, Some(40), "0.1", Some("300.05")),
            ],
            "an unchanged read adds no point"
        );
    }

    #[test]
    fn a_key_that_names_no_balance_is_refused_in_words() {
        let (_dir, holdings, _store, ether) = watched();
        for bad in ["", "12", "a:b", "1:2:3", "-:1"] {
            let refused = holdings.balance_history(bad).unwrap_err();
            assert_eq!(refused.code, ErrorCode::InvalidInput, "{bad:?}");
            assert!(
                refused.message.contains("names no balance"),
                "{}",
                refused.message
            );
        }
        let gone = format!("{}:{}", ether.address.0 + 99, ether.asset.0);
        assert_eq!(
            holdings.balance_history(&gone).unwrap_err().code,
            ErrorCode::NotFound
        );
        let unread = holdings
            .balance_history(&format!("{}:{}", ether.address.0, ether.asset.0))
            .unwrap();
        assert!(
            unread.points.is_empty(),
            "never read: no history, not a zero"
        );
    }

    #[tokio::test]
    async fn rows_carry_token_names_and_a_solana_mint_named_by_its_list_shows_that_name() {
        let (_dir, holdings, mut store, _) = watched();
        holdings
            .add_wallet(
                "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d",
                None,
                &["solana".into()],
            )
            .unwrap();
        let solana = store.chain_by_name("solana").unwrap().unwrap();
        let listed = store
            .token(solana.id, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
            .unwrap()
            .expect("USDC is on the bundled Solana list");
        let owner = store
            .addresses()
            .unwrap()
            .into_iter()
            .find(|address| address.address.to_string().starts_with("5eykt"))
            .unwrap()
            .id;
        let held = BalanceKey {
            address: owner,
            asset: listed.id,
        };
        store
            .record_sweep("test", &[read(held, 12_340_000, 1, MARCH_1)], &[])
            .unwrap();
        let rows = holdings.balances().await.unwrap();
        let name_of = |symbol: &str| {
            rows.iter()
                .find(|row| row.symbol == symbol)
                .map(|row| row.name.as_str())
        };
        assert_eq!(name_of("USDC"), Some("USD Coin"));
        assert_eq!(name_of("ETH"), Some("Ether"));
        assert_eq!(name_of("SOL"), Some("Solana"));
    }
}
