//! Prices, values and the portfolio through the real binary: a real anvil for balances, a local
//! server that answers as DefiLlama's documented coins API for prices, a real SQLite file.

mod support;

use alloy_primitives::{Address, U256};
use serde_json::Value;
use support::DataDir;
use support::anvil::Anvil;
use support::coingecko::CoinGecko;
use support::defillama::{Coin, DefiLlama, Fault, now_seconds};

const ALICE: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// A devnet priced as Ethereum, with `tokens` (symbol, decimals) deployed and watched, Alice
/// watched on it, and prices read from a local DefiLlama.
struct Setup {
    anvil: Anvil,
    prices: DefiLlama,
    data: DataDir,
    tokens: Vec<Address>,
}

fn setup(tokens: &[(&str, u8)]) -> Setup {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let prices = DefiLlama::start();
    let data = DataDir::new();
    data.add_priced_devnet(&[&anvil.url], &prices.url);
    let tokens: Vec<Address> = tokens
        .iter()
        .map(|(symbol, decimals)| {
            let token = anvil.deploy_token(symbol, symbol, *decimals);
            data.holdings(&["token", "add", "devnet", &token.to_string()])
                .assert()
                .success();
            token
        })
        .collect();
    data.holdings(&[
        "wallet", "add", ALICE, "--chain", "devnet", "--label", "Alice",
    ])
    .assert()
    .success();
    Setup {
        anvil,
        prices,
        data,
        tokens,
    }
}

impl Setup {
    fn hold(&self, token: Option<usize>, raw: &str) {
        let owner: Address = ALICE.parse().unwrap();
        let raw = U256::from_str_radix(raw, 10).unwrap();
        match token {
            None => self.anvil.set_native_balance(owner, raw),
            Some(index) => self.anvil.set_token_balance(self.tokens[index], owner, raw),
        }
    }

    /// The price id of token `index`, as DefiLlama is asked for it.
    fn id(&self, index: usize) -> String {
        format!("ethereum:{}", self.tokens[index].to_string().to_lowercase())
    }

    /// `preload`, which must succeed; its output.
    fn preload(&self) -> String {
        let output = self.data.holdings(&["preload"]).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Alice's rows by symbol: (price, value, price_updated_at).
    fn values(&self) -> Vec<(String, Value, Value, Value)> {
        self.data
            .all_balances()
            .iter()
            .map(|row| {
                assert_eq!(row["currency"], "usd");
                (
                    row["symbol"].as_str().unwrap().to_owned(),
                    row["price"].clone(),
                    row["value"].clone(),
                    row["price_updated_at"].clone(),
                )
            })
            .collect()
    }
}

/// Makes every stored price `seconds` older, as if read that long ago.
fn age_prices(data: &DataDir, seconds: i64) {
    let conn = rusqlite::Connection::open(data.database()).unwrap();
    conn.execute(
        "UPDATE prices SET fetched_at = fetched_at - ?1, observed_at = observed_at - ?1",
        [seconds * 1_000],
    )
    .unwrap();
}

/// What the price pass writes: the prices and the value history.
fn price_tables(data: &DataDir) -> Vec<String> {
    let tables = ["prices", "portfolio_history", "asset_value_history"];
    data.content()
        .into_iter()
        .filter(|line| {
            tables
                .iter()
                .any(|table| line.starts_with(&format!("{table}:")))
        })
        .collect()
}

fn price_rows(data: &DataDir) -> usize {
    data.json(&["prices"]).as_array().unwrap().len()
}

#[test]
fn values_are_exact_to_the_cent_for_0_6_18_and_36_decimals_from_one_request() {
    let setup = setup(&[("ZERO", 0), ("USDC", 6), ("WETH", 18), ("BIG", 36)]);
    setup.hold(None, "1500000000000000001");
    setup.hold(Some(0), "7");
    setup.hold(Some(1), "2000250000");
    setup.hold(Some(2), "500000000000000000");
    setup.hold(Some(3), "1234567890123456789012345678901234567890123");
    let prices = &setup.prices;
    prices.price("coingecko:ethereum", "3456.78");
    prices.price(&setup.id(0), "12.345");
    prices.price(&setup.id(1), "0.999712");
    prices.price(&setup.id(2), "3456.78");
    // an exponent, as JavaScript writes small numbers
    prices.price(&setup.id(3), "1.2e-2");

    let said = setup.preload();
    assert!(
        said.contains("prices (defillama): 5 of 5 read, 1 request(s)"),
        "{said}"
    );
    let asked = prices.requests();
    assert_eq!(asked.len(), 1, "one request for the whole portfolio");
    let mut ids = asked[0].ids.clone();
    ids.sort();
    let mut expected: Vec<String> = (0..4).map(|i| setup.id(i)).collect();
    expected.push("coingecko:ethereum".into());
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(asked[0].search_width.as_deref(), Some("4h"));

    let exact = [
        ("ETH", "3456.78", "5185.17000000000000345678"),
        ("ZERO", "12.345", "86.415"),
        ("USDC", "0.999712", "1999.673928"),
        ("WETH", "3456.78", "1728.39"),
        (
            "BIG",
            "0.012",
            "14814.814681481481468148148146814814814681476",
        ),
    ];
    let values = setup.values();
    for (symbol, price, value) in exact {
        let row = values.iter().find(|row| row.0 == symbol).unwrap();
        assert_eq!(row.1, price, "{symbol}");
        assert_eq!(row.2, value, "{symbol}");
        assert!(
            row.3.as_str().unwrap().ends_with('Z'),
            "{symbol}: {:?}",
            row.3
        );
    }

    let portfolio = setup.data.json(&["portfolio"]);
    assert_eq!(portfolio["currency"], "usd");
    assert_eq!(
        portfolio["total"],
        "23814.463609481481471604928146814814814681476"
    );
    assert_eq!(portfolio["unpriced"], 0);
    assert!(portfolio["prices_updated_at"].is_string());
    assert_eq!(portfolio["wallets"][0]["wallet"], ALICE);
    assert_eq!(portfolio["wallets"][0]["label"], "Alice");
    assert_eq!(portfolio["wallets"][0]["value"], portfolio["total"]);
    assert_eq!(portfolio["chains"][0]["chain"], "devnet");
    let symbols: Vec<&str> = portfolio["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|asset| asset["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(
        symbols,
        ["BIG", "ETH", "USDC", "WETH", "ZERO"],
        "largest first"
    );
    assert_eq!(
        portfolio["assets"][0]["amount"],
        "1234567.890123456789012345678901234567890123"
    );
    assert_eq!(portfolio["assets"][1]["asset"], "native");
    let conn = rusqlite::Connection::open(setup.data.database()).unwrap();
    let (recorded, assets): (String, i64) = conn
        .query_row(
            "SELECT total, (SELECT count(*) FROM asset_value_history) FROM portfolio_history",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        recorded, portfolio["total"],
        "today's value is in the history"
    );
    assert_eq!(assets, 5);

    let shown = setup.data.holdings(&["portfolio"]).output().unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(
        shown.starts_with("total $23,814.46 at prices of "),
        "{shown}"
    );
    assert!(shown.contains("$14,814.81"), "{shown}");

    // within the price TTL, a second pass asks for nothing
    let again = setup.preload();
    assert!(!again.contains("prices"), "{again}");
    assert_eq!(prices.requests().len(), 1);
}

#[test]
fn a_low_confidence_and_a_missing_price_value_nothing_and_count_as_unpriced() {
    let setup = setup(&[("USDC", 6), ("DAI", 18)]);
    setup.hold(None, "2000000000000000000");
    setup.hold(Some(0), "5000000");
    setup.hold(Some(1), "3000000000000000000");
    setup.prices.price("coingecko:ethereum", "3000");
    setup.prices.set(
        &setup.id(0),
        Coin {
            price: "1.0".into(),
            symbol: "USDC".into(),
            timestamp: now_seconds(),
            confidence: "0.3".into(),
            decimals: Some(6),
        },
    );
    // DAI: the server has no price, and leaves it out

    let said = setup.preload();
    assert!(said.contains("prices (defillama): 2 of 3 read"), "{said}");
    let values = setup.values();
    let of = |symbol: &str| values.iter().find(|row| row.0 == symbol).unwrap().clone();
    assert_eq!(of("ETH").2, "6000");
    for symbol in ["USDC", "DAI"] {
        let (_, price, value, at) = of(symbol);
        assert_eq!(
            (price, value, at),
            (Value::Null, Value::Null, Value::Null),
            "{symbol}"
        );
    }
    let portfolio = setup.data.json(&["portfolio"]);
    assert_eq!(portfolio["total"], "6000");
    assert_eq!(portfolio["unpriced"], 2);
    let unpriced: Vec<&Value> = portfolio["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|asset| asset["value"].is_null())
        .collect();
    assert_eq!(unpriced.len(), 2, "listed last, without a value");
    assert_eq!(portfolio["assets"][0]["symbol"], "ETH");

    let held = setup.data.json(&["prices"]);
    let usdc = held
        .as_array()
        .unwrap()
        .iter()
        .find(|price| price["symbol"] == "USDC")
        .unwrap();
    assert_eq!(usdc["confidence"], "0.3");
    assert_eq!(
        usdc["used"], false,
        "kept, with its confidence, but not used"
    );
}

#[test]
fn with_the_price_server_gone_values_stay_on_last_known_prices() {
    let mut setup = setup(&[("USDC", 6)]);
    setup.hold(None, "1000000000000000000");
    setup.hold(Some(0), "2500000");
    setup.prices.price("coingecko:ethereum", "2500.5");
    setup.prices.price(&setup.id(0), "1.0001");
    setup.preload();
    let before = setup.values();
    let total = setup.data.json(&["portfolio"])["total"].clone();
    assert_eq!(total, "2503.00025");

    // the server goes away, and the prices are older than the price TTL
    drop(std::mem::replace(&mut setup.prices, DefiLlama::start()));
    age_prices(&setup.data, 600);
    let aged = setup.values();
    let output = setup.data.holdings(&["preload"]).output().unwrap();
    assert!(output.status.success(), "balances were read: not a failure");
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(said.contains("failed: "), "{said}");
    assert!(said.contains("the last known prices stay in use"), "{said}");

    let after = setup.values();
    assert_eq!(
        after, aged,
        "the same prices, values and times as before the failure"
    );
    for ((_, price, value, _), (_, price_before, value_before, _)) in after.iter().zip(&before) {
        assert_eq!((price, value), (price_before, value_before));
    }
    assert!(
        after.iter().all(|row| row.3.is_string()),
        "each with its time"
    );
    assert_eq!(setup.data.json(&["portfolio"])["total"], total);
}

#[test]
fn a_garbled_answer_writes_nothing_and_rate_limits_and_outages_are_waited_out() {
    let setup = setup(&[]);
    setup.hold(None, "1000000000000000000");
    setup.prices.price("coingecko:ethereum", "3000");

    for fault in [Fault::Truncated, Fault::Html, Fault::Huge] {
        let before = price_tables(&setup.data);
        setup.prices.fail_next(&[fault]);
        let said = setup.preload();
        assert!(said.contains("0 of 1 read"), "{fault:?}: {said}");
        assert_eq!(price_rows(&setup.data), 0, "{fault:?} wrote a price");
        let portfolio = setup.data.json(&["portfolio"]);
        assert_eq!(
            portfolio["total"],
            Value::Null,
            "{fault:?}: no value, not a zero"
        );
        assert_eq!(portfolio["unpriced"], 1);
        assert_eq!(price_tables(&setup.data), before, "{fault:?}");
    }
    assert_eq!(
        setup.prices.requests().len(),
        3,
        "a garbled answer is not asked again"
    );

    setup.prices.fail_next(&[Fault::RateLimited {
        retry_after_seconds: 1,
    }]);
    let said = setup.preload();
    assert!(said.contains("1 of 1 read, 2 request(s)"), "{said}");
    assert_eq!(price_rows(&setup.data), 1);

    age_prices(&setup.data, 600);
    setup.prices.price("coingecko:ethereum", "3100");
    setup.prices.fail_next(&[Fault::ServerError(503)]);
    let said = setup.preload();
    assert!(said.contains("1 of 1 read, 2 request(s)"), "{said}");
    assert_eq!(setup.data.json(&["portfolio"])["total"], "3100");
}

#[test]
fn a_thousand_assets_are_priced_in_seven_requests() {
    let prices = DefiLlama::start();
    let data = DataDir::new();
    // no node: the balances are stored already, and none is due
    data.add_priced_devnet(&["http://127.0.0.1:9"], &prices.url);
    let tokens: Vec<String> = (1..1000).map(|i| format!("0x{i:040x}")).collect();
    let list = serde_json::json!({
        "name": "a thousand",
        "tokens": tokens.iter().map(|address| serde_json::json!({
            "chainId": 31337, "address": address, "symbol": "T", "name": "Token", "decimals": 6
        })).collect::<Vec<_>>(),
    });
    let file = data.path().join("tokens.json");
    std::fs::write(&file, list.to_string()).unwrap();
    data.holdings(&["token", "import", file.to_str().unwrap()])
        .assert()
        .success();
    data.holdings(&["wallet", "add", ALICE, "--chain", "devnet"])
        .assert()
        .success();
    let now = i64::try_from(now_seconds()).unwrap() * 1_000;
    rusqlite::Connection::open(data.database())
        .unwrap()
        .execute(
            "UPDATE balances SET raw = '1000000', block = 1, fetched_at = ?1, next_due_at = ?2",
            [now, now + 3_600_000],
        )
        .unwrap();
    prices.price("coingecko:ethereum", "3000");
    for token in &tokens {
        prices.price(&format!("ethereum:{token}"), "1");
    }

    let output = data.holdings(&["sync"]).output().unwrap();
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{said}");
    assert!(said.contains("1000 of 1000 read, 7 request(s)"), "{said}");
    let asked = prices.requests();
    assert_eq!(asked.len(), 7, "⌈1000 / 150⌉");
    assert!(asked.iter().all(|request| request.ids.len() <= 150));
    let mut every: Vec<&String> = asked.iter().flat_map(|request| &request.ids).collect();
    every.sort();
    every.dedup();
    assert_eq!(every.len(), 1000, "each asked once");
    assert_eq!(data.json(&["portfolio"])["total"], "999.000000003");
}

#[test]
fn bad_price_settings_are_refused_in_one_line_and_change_nothing() {
    let data = DataDir::new();
    data.holdings(&["chain", "list"]).assert().success();
    let before = data.content();
    let mine = |flag, value| {
        let chain = "chain add mine --family evm --chain-id 7 --rpc http://127.0.0.1:9";
        let mut args: Vec<&str> = chain.split(' ').collect();
        args.extend([flag, value]);
        args
    };
    for args in [
        vec!["price", "source", "llama"],
        vec![
            "price",
            "source",
            "defillama",
            "--url",
            "ftp://prices.example",
        ],
        vec!["price", "source", "none", "--url", "http://127.0.0.1:9"],
        mine("--native-price-id", "Ether/../x"),
        mine("--price-platform", "a,b"),
    ] {
        let output = data.holdings(&args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
    let output = data
        .holdings(&["price", "key"])
        .write_stdin("k\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("defillama takes no API key"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(data.content(), before);
    let chain = data.chain("ethereum");
    assert_eq!(chain["price_platform"], "ethereum");
    assert_eq!(chain["native_price_id"], "ethereum");
}

#[test]
fn coingecko_prices_coins_and_tokens_with_its_demo_key_from_the_keyring() {
    let setup = setup(&[("USDC", 6)]);
    setup.hold(None, "1000000000000000000");
    setup.hold(Some(0), "3000000");
    let coingecko = CoinGecko::start();
    coingecko.price("ethereum", "3210.5");
    coingecko.price(&setup.id(0), "0.9998");
    let data = &setup.data;
    data.holdings(&["price", "source", "coingecko", "--url", &coingecko.url])
        .assert()
        .success();
    data.holdings(&["price", "key"])
        .write_stdin("demo-key-7c1e\n")
        .assert()
        .success();
    let said = setup.preload();
    assert!(
        said.contains("prices (coingecko): 2 of 2 read, 2 request(s)"),
        "{said}"
    );
    let asked = coingecko.requests();
    let usdc = setup.tokens[0].to_string().to_lowercase();
    let mut paths: Vec<&str> = asked.iter().map(|(path, _)| path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v3/simple/price?ids=ethereum&vs_currencies=usd&include_last_updated_at=true&precision=full"
                .to_owned(),
            format!(
                "/api/v3/simple/token_price/ethereum?contract_addresses={usdc}&vs_currencies=usd&include_last_updated_at=true&precision=full"
            )
        ]
    );
    assert!(
        asked
            .iter()
            .all(|(_, key)| key.as_deref() == Some("demo-key-7c1e"))
    );
    assert_eq!(data.json(&["portfolio"])["total"], "3213.4994");

    let reference = holdings::secrets::reference("prices", &coingecko.url.parse().unwrap());
    assert_eq!(
        holdings::secrets::load(&reference).unwrap().as_deref(),
        Some("demo-key-7c1e")
    );
    holdings::secrets::delete(&reference).unwrap();
    for file in std::fs::read_dir(data.path()).unwrap() {
        let file = file.unwrap().path();
        if file.is_file() {
            let bytes = std::fs::read(&file).unwrap();
            let key = b"demo-key-7c1e";
            assert!(
                !bytes.windows(key.len()).any(|window| window == key),
                "the key is in {}",
                file.display()
            );
        }
    }
}
