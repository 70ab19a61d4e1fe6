//! Bitcoin balances through the real `holdings` binary, against `support::esplora`, a local server
//! that answers as Esplora's documented REST API does.

mod support;

use serde_json::Value;
use support::DataDir;
use support::esplora::{Esplora, Stats, TIP};

const SEGWIT: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
const LEGACY: &str = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
const TAPROOT: &str = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297";

fn devbtc(server: &Esplora) -> DataDir {
    let dir = DataDir::new();
    dir.holdings(&[
        "chain",
        "add",
        "devbtc",
        "--family",
        "bitcoin",
        "--rpc",
        &server.url,
    ])
    .assert()
    .success();
    dir
}

fn balances(dir: &DataDir) -> Vec<Value> {
    let output = dir
        .holdings(&["balances", "--json", "--all"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn row<'a>(rows: &'a [Value], address: &str) -> &'a Value {
    rows.iter()
        .find(|row| row["address"] == address)
        .unwrap_or_else(|| panic!("no row for {address}"))
}

#[test]
fn confirmed_balances_are_funded_less_spent_at_the_tip() {
    let server = Esplora::start();
    server.set(
        SEGWIT,
        Stats {
            funded: 250_000_000,
            spent: 100_000_001,
            mempool_funded: 5_000,
            tx_count: 3,
        },
    );
    server.set(
        LEGACY,
        Stats {
            funded: 1,
            spent: 0,
            ..Stats::default()
        },
    );
    let dir = devbtc(&server);
    for address in [SEGWIT, LEGACY, TAPROOT] {
        dir.holdings(&["wallet", "add", address, "--chain", "devbtc"])
            .assert()
            .success();
    }
    dir.holdings(&["sync"]).assert().success();
    let rows = balances(&dir);
    let segwit = row(&rows, SEGWIT);
    assert_eq!(
        (segwit["raw"].as_str(), segwit["amount"].as_str()),
        (Some("149999999"), Some("1.49999999"))
    );
    assert_eq!(segwit["block"], TIP);
    assert_eq!(row(&rows, LEGACY)["raw"], "1");
    assert_eq!(
        row(&rows, TAPROOT)["raw"],
        "0",
        "an address never used holds zero"
    );
    let requests = server.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|path| path.ends_with("/blocks/tip/height"))
            .count(),
        1
    );
    assert!(
        requests.contains(&format!("/api/address/{SEGWIT}")),
        "the base's /api path is kept: {requests:?}"
    );
}

#[test]
fn an_impossible_answer_writes_nothing() {
    let server = Esplora::start();
    let dir = devbtc(&server);
    dir.holdings(&["wallet", "add", SEGWIT, "--chain", "devbtc"])
        .assert()
        .success();
    server.set(
        SEGWIT,
        Stats {
            funded: 10,
            spent: 0,
            ..Stats::default()
        },
    );
    dir.holdings(&["sync"]).assert().success();
    server.set(
        SEGWIT,
        Stats {
            funded: 10,
            spent: 11,
            ..Stats::default()
        },
    );
    dir.holdings(&["preload"]).output().unwrap();
    let rows = balances(&dir);
    let segwit = row(&rows, SEGWIT);
    assert_eq!(segwit["raw"], "10", "the last good value stays");
    assert_eq!(segwit["freshness"], "stale");
    assert!(
        segwit["error"]
            .as_str()
            .unwrap()
            .contains("spent more than it was funded"),
        "{segwit}"
    );
}

#[test]
fn a_testnet_address_is_refused_on_a_mainnet_chain() {
    let server = Esplora::start();
    let dir = devbtc(&server);
    let before = dir.content();
    dir.holdings(&[
        "wallet",
        "add",
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
        "--chain",
        "devbtc",
    ])
    .assert()
    .code(1)
    .stderr(predicates::str::contains("testnet or signet address"));
    assert_eq!(dir.content(), before);
}
