//! What holdings are worth at the prices held: each balance's value, and the totals by wallet, chain
//! and asset, summed exactly. A balance without a usable price has no value (never a zero), and
//! the totals say how many such balances they leave out.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::priceable;
use crate::clock::UnixMillis;
use crate::model::{CURRENCY, Confidence, Money, RawSum};
use crate::store::{AssetId, BalanceView, PriceRecord, WalletId};

/// A price older than this is shown stale; it is still used, with its age.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Whether a price observed at `observed_at` is stale at `now`.
pub fn is_stale(observed_at: UnixMillis, now: UnixMillis) -> bool {
    now - observed_at >= i64::try_from(STALE_AFTER.as_millis()).unwrap_or(i64::MAX)
}

/// The prices held, by asset.
pub struct PriceBook {
    by_asset: HashMap<AssetId, PriceRecord>,
}

impl PriceBook {
    pub fn new(prices: Vec<PriceRecord>) -> Self {
        Self {
            by_asset: prices
                .into_iter()
                .filter(|price| price.currency == CURRENCY)
                .map(|price| (price.asset, price))
                .collect(),
        }
    }

    /// The price a balance is valued at, if it may be: the asset is priced at all (see
    /// [`priceable`]) and the price was read with enough confidence.
    pub fn usable(&self, view: &BalanceView) -> Option<&PriceRecord> {
        let price = self.by_asset.get(&view.balance.key.asset)?;
        let trusted = priceable(view.contract.as_deref(), view.hidden, view.verified);
        let confident = price.confidence.as_ref().is_none_or(Confidence::is_enough);
        (trusted && confident).then_some(price)
    }

    /// A balance's value, with the price it is valued at; `None` until it is read, or without a
    /// usable price.
    pub fn value(&self, view: &BalanceView) -> Option<(&PriceRecord, Money)> {
        let raw = view.balance.raw?;
        let price = self.usable(view)?;
        Some((price, Money::value_of(raw, view.decimals, &price.price)))
    }
}

/// One asset summed over the addresses holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetTotal {
    pub asset: AssetId,
    pub chain: String,
    pub contract: Option<String>,
    pub symbol: String,
    pub decimals: u8,
    pub raw: RawSum,
    pub price: Option<PriceRecord>,
    pub value: Option<Money>,
}

/// Totals of a set of balances; each list is largest first, those without a value last.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Valuation {
    /// The sum of every value; `None` when no balance has one.
    pub total: Option<Money>,
    /// Balances holding something (read, not zero, not hidden) that no price values.
    pub unpriced: usize,
    /// When the oldest price in the total held.
    pub prices_observed_at: Option<UnixMillis>,
    pub wallets: Vec<(WalletId, Option<Money>)>,
    pub chains: Vec<(String, Option<Money>)>,
    pub assets: Vec<AssetTotal>,
}

/// Values `views` at the prices of `book`.
pub fn valuation<'a>(
    views: impl IntoIterator<Item = &'a BalanceView>,
    book: &PriceBook,
) -> Valuation {
    let mut valued = Valuation::default();
    let mut wallets: BTreeMap<WalletId, Option<Money>> = BTreeMap::new();
    let mut chains: BTreeMap<String, Option<Money>> = BTreeMap::new();
    let mut assets: BTreeMap<AssetId, AssetTotal> = BTreeMap::new();
    for view in views {
        let value = book.value(view);
        let wallet = wallets.entry(view.wallet_id).or_default();
        let Some(raw) = view
            .balance
            .raw
            .filter(|raw| !raw.is_zero() && !view.hidden)
        else {
            // nothing held: a zero adds nothing, but a wallet of zeros is worth exactly nothing
            if let Some((_, value)) = value {
                add(wallet, &value);
            }
            continue;
        };
        let chain = chains.entry(view.chain.clone()).or_default();
        let asset = assets
            .entry(view.balance.key.asset)
            .or_insert_with(|| AssetTotal {
                asset: view.balance.key.asset,
                chain: view.chain.clone(),
                contract: view.contract.clone(),
                symbol: view.symbol.clone(),
                decimals: view.decimals,
                raw: RawSum::default(),
                price: None,
                value: None,
            });
        asset.raw.add(raw);
        let Some((price, value)) = value else {
            valued.unpriced += 1;
            continue;
        };
        asset.price = Some(price.clone());
        for sum in [wallet, chain, &mut asset.value, &mut valued.total] {
            add(sum, &value);
        }
        valued.prices_observed_at = Some(
            valued
                .prices_observed_at
                .map_or(price.observed_at, |oldest| oldest.min(price.observed_at)),
        );
    }
    valued.wallets = largest_first(wallets.into_iter().collect(), |(_, value)| value.as_ref());
    valued.chains = largest_first(chains.into_iter().collect(), |(_, value)| value.as_ref());
    valued.assets = largest_first(assets.into_values().collect(), |asset| asset.value.as_ref());
    valued
}

fn add(sum: &mut Option<Money>, value: &Money) {
    *sum.get_or_insert_with(Money::default) += value;
}

/// Sorts by value, largest first, those without one last, keeping the given order among equals.
fn largest_first<T>(mut items: Vec<T>, value: impl Fn(&T) -> Option<&Money>) -> Vec<T> {
    items.sort_by(|a, b| value(b).cmp(&value(a)));
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AddressId, BalanceKey, BalanceRow, ChainId};
    use alloy_primitives::U256;

    fn view(wallet: i64, asset: i64, raw: Option<u64>, decimals: u8) -> BalanceView {
        BalanceView {
            chain_id: ChainId(1),
            chain: "ethereum".into(),
            wallet_id: WalletId(wallet),
            address: format!("0x{wallet}"),
            contract: (asset != 1).then(|| format!("0xtoken{asset}")),
            symbol: format!("T{asset}"),
            name: format!("Token {asset}"),
            decimals,
            hidden: false,
            verified: true,
            balance: BalanceRow {
                key: BalanceKey {
                    address: AddressId(wallet),
                    asset: AssetId(asset),
                },
                raw: raw.map(U256::from),
                block: raw.map(|_| 1),
                fetched_at: raw.map(|_| 1),
                next_due_at: 0,
                sync_count: 0,
                error_count: 0,
                last_error: None,
                last_error_at: None,
                locked_by: None,
                locked_until: None,
                pending: None,
            },
        }
    }

    fn price(asset: i64, text: &str, confidence: Option<&str>, observed_at: i64) -> PriceRecord {
        PriceRecord {
            asset: AssetId(asset),
            chain: "ethereum".into(),
            contract: None,
            symbol: String::new(),
            hidden: false,
            verified: true,
            price_id: format!("id{asset}"),
            currency: CURRENCY.into(),
            price: text.parse().unwrap(),
            source: "defillama".into(),
            observed_at,
            fetched_at: observed_at,
            confidence: confidence.map(|c| c.parse().unwrap()),
        }
    }

    #[test]
    fn totals_are_exact_sums_by_wallet_chain_and_asset_largest_first() {
        let book = PriceBook::new(vec![
            price(1, "3000.5", Some("0.99"), 500),
            price(2, "0.999712", None, 400),
        ]);
        let views = [
            view(1, 1, Some(1_500_000_000_000_000_000), 18), // 1.5 ETH = 4500.75
            view(1, 2, Some(2_000_250_000), 6),              // 2000.25 USDC = 1999.673928
            view(2, 1, Some(1), 18),                         // 1 wei
            view(2, 2, Some(0), 6),                          // nothing held
        ];
        let valued = valuation(&views, &book);
        assert_eq!(
            valued.total.unwrap().to_string(),
            "6500.4239280000000030005"
        );
        assert_eq!(valued.unpriced, 0);
        assert_eq!(
            valued.prices_observed_at,
            Some(400),
            "the oldest price used"
        );
        let wallets: Vec<(i64, String)> = valued
            .wallets
            .iter()
            .map(|(id, value)| (id.0, value.as_ref().unwrap().to_string()))
            .collect();
        assert_eq!(
            wallets,
            [
                (1, "6500.423928".to_owned()),
                (2, "0.0000000000000030005".to_owned())
            ]
        );
        assert_eq!(valued.assets[0].asset, AssetId(1));
        assert_eq!(valued.assets[0].raw.whole_units(18), "1.500000000000000001");
        assert_eq!(valued.assets[1].raw.whole_units(6), "2000.25");
    }

    #[test]
    fn a_low_confidence_missing_or_hidden_price_values_nothing() {
        let book = PriceBook::new(vec![
            price(1, "3000", Some("0.3"), 1),
            price(3, "2", None, 1),
        ]);
        let mut hidden = view(1, 3, Some(5), 0);
        hidden.hidden = true;
        let mut unverified = view(1, 3, Some(5), 0);
        unverified.verified = false;
        let views = [
            view(1, 1, Some(10), 0), // low confidence
            view(1, 2, Some(10), 0), // no price
            hidden,                  // hidden: not priced, not counted
            unverified,              // shown, but not trusted: not priced
            view(1, 4, None, 0),     // never read
        ];
        let valued = valuation(&views, &book);
        assert_eq!(valued.total, None, "nothing valued is not a zero");
        assert_eq!(valued.unpriced, 3);
        assert_eq!(valued.wallets, [(WalletId(1), None)]);
        assert_eq!(valued.prices_observed_at, None);
        assert!(valued.assets.iter().all(|asset| asset.value.is_none()));
    }

    #[test]
    fn prices_go_stale_after_a_day() {
        let day = 24 * 3600 * 1000;
        assert!(!is_stale(0, day - 1));
        assert!(is_stale(0, day));
    }
}
