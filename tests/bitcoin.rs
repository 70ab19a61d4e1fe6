//! Bitcoin balances through the real `holdings` binary, against `support::esplora`, a local server
//! that answers as Esplora's documented REST API does.

mod support;

use predicates::prelude::*;
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
    let rows = dir.all_balances();
    let segwit = row(&rows, SEGWIT);
    assert_eq!(
        (segwit["raw"].as_str(), segwit["amount"].as_str()),
        (Some("149999999"), Some("1.49999999"))
    );
    assert_eq!(segwit["block"], TIP);
    assert_eq!(
        segwit["pending"], "5000",
        "the mempool's, shown apart from the confirmed amount"
    );
    assert_eq!(row(&rows, LEGACY)["pending"], Value::Null);
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
    // Its only row failed: preload says so, and fails.
    dir.holdings(&["preload"]).assert().code(1).stderr(
        predicates::str::contains("error: nothing could be read; devbtc: no endpoint answered")
            .and(predicates::str::contains(
                "(the address spent more than it was funded)",
            )),
    );
    let rows = dir.all_balances();
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

/// BIP84's account key (its test vector), as a wallet would export it.
const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

#[test]
fn a_zpub_with_25_used_receive_addresses_scans_to_45() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Esplora::start();
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    let receive = |index| {
        key.address(Branch::Receive, index, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        receive(0),
        "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        "BIP84's first address"
    );
    for index in 0..25 {
        server.set(
            &receive(index),
            Stats {
                funded: 1_000 + i64::from(index),
                spent: 0,
                tx_count: 1,
                ..Stats::default()
            },
        );
    }
    let dir = devbtc(&server);
    dir.holdings(&[
        "wallet",
        "add",
        BIP84_ZPUB,
        "--chain",
        "devbtc",
        "--label",
        "cold storage",
    ])
    .assert()
    .success()
    .stdout(predicates::str::contains("first 40 addresses"));
    dir.holdings(&["sync"]).assert().success();

    let wallets = dir.json(&["wallet", "list"]);
    let addresses = wallets[0]["addresses"].as_array().unwrap();
    let on_branch = |prefix: &str| {
        addresses
            .iter()
            .filter(|a| a["derivation"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(on_branch("0/"), 45, "25 used, then 20 unused");
    assert_eq!(on_branch("1/"), 20, "no change address used: the first 20");
    assert_eq!(wallets[0]["source"], BIP84_ZPUB);
    assert_eq!(wallets[0]["label"], "cold storage");

    let rows = dir.all_balances();
    let total: u64 = rows
        .iter()
        .map(|row| row["raw"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, (0..25).map(|index| 1_000 + index).sum::<u64>());
    let asked = server
        .requests()
        .iter()
        .filter(|path| path.starts_with("/api/address/"))
        .count();
    assert_eq!(asked, 65, "every derived address read once");
}

#[test]
fn a_key_for_another_network_or_a_bad_key_is_refused() {
    let server = Esplora::start();
    let dir = devbtc(&server);
    let before = dir.content();
    let tpub = "tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp";
    let testnet_descriptor = format!("wpkh({tpub}/<0;1>/*)");
    let xpub = {
        let mut payload = bitcoin::base58::decode_check(BIP84_ZPUB).unwrap();
        payload[..4].copy_from_slice(&[0x04, 0x88, 0xb2, 0x1e]);
        bitcoin::base58::encode_check(&payload)
    };
    let bad_checksum = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYt";
    for (key, message) in [
        (testnet_descriptor.as_str(), "key's address"),
        (bad_checksum, "not an extended public key"),
        (xpub.as_str(), "add it as a descriptor"),
    ] {
        let output = dir
            .holdings(&["wallet", "add", key, "--chain", "devbtc"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert_eq!(dir.content(), before);
    }
}

/// Holes within the gap keep the scan going; a used change address moves the change branch alone.
#[test]
fn the_gap_limit_counts_from_the_last_used_address_of_each_branch() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Esplora::start();
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    let address = |branch, index| {
        key.address(branch, index, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string()
    };
    for (branch, index) in [
        (Branch::Receive, 0),
        (Branch::Receive, 15),
        (Branch::Receive, 30),
        (Branch::Change, 3),
    ] {
        server.set(
            &address(branch, index),
            Stats {
                funded: 10,
                spent: 10,
                tx_count: 2,
                ..Stats::default()
            },
        );
    }
    // Past the gap from the last used one: never asked about.
    server.set(
        &address(Branch::Receive, 60),
        Stats {
            funded: 99,
            spent: 0,
            tx_count: 1,
            ..Stats::default()
        },
    );
    let dir = devbtc(&server);
    dir.holdings(&["wallet", "add", BIP84_ZPUB, "--chain", "devbtc"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();

    let wallets = dir.json(&["wallet", "list"]);
    let addresses = wallets[0]["addresses"].as_array().unwrap();
    let on_branch = |prefix: &str| {
        addresses
            .iter()
            .filter(|a| a["derivation"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(
        on_branch("0/"),
        51,
        "used at 0, 15 and 30: watched up to 30 + 20"
    );
    assert_eq!(
        on_branch("1/"),
        24,
        "change used at 3: watched up to 3 + 20"
    );
    assert!(
        !server
            .requests()
            .contains(&format!("/api/address/{}", address(Branch::Receive, 60)))
    );
    let used = addresses.iter().filter(|a| a["used"] == true).count();
    assert_eq!(used, 4, "spent-down addresses are still used");
}

/// An address watched on its own before its key was added still counts for the key's gap limit.
#[test]
fn an_address_watched_alone_still_counts_for_its_key() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Esplora::start();
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    let receive = |index| {
        key.address(Branch::Receive, index, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string()
    };
    server.set(
        &receive(19),
        Stats {
            funded: 5,
            spent: 0,
            tx_count: 1,
            ..Stats::default()
        },
    );
    let dir = devbtc(&server);
    dir.holdings(&[
        "wallet",
        "add",
        &receive(19),
        "--chain",
        "devbtc",
        "--label",
        "alone",
    ])
    .assert()
    .success();
    dir.holdings(&["wallet", "add", BIP84_ZPUB, "--chain", "devbtc"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();
    let asked = |index| {
        server
            .requests()
            .contains(&format!("/api/address/{}", receive(index)))
    };
    assert!(asked(39), "19 was used, so the scan reached 19 + 20");
    assert!(!asked(40));
    let total: u64 = dir
        .all_balances()
        .iter()
        .map(|row| row["raw"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 5, "the shared address is counted once");
}

/// An address paid only by an unconfirmed transaction is used: the gap limit counts from it.
#[test]
fn an_address_used_only_in_the_mempool_moves_the_gap() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Esplora::start();
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    let receive = |index| {
        key.address(Branch::Receive, index, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string()
    };
    server.set(
        &receive(7),
        Stats {
            mempool_funded: 2_500,
            ..Stats::default()
        },
    );
    let dir = devbtc(&server);
    dir.holdings(&["wallet", "add", BIP84_ZPUB, "--chain", "devbtc"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();

    let wallets = dir.json(&["wallet", "list"]);
    let addresses = wallets[0]["addresses"].as_array().unwrap();
    let receiving = addresses
        .iter()
        .filter(|a| a["derivation"].as_str().unwrap().starts_with("0/"))
        .count();
    assert_eq!(
        receiving, 28,
        "used in the mempool at 7: watched up to 7 + 20"
    );
    let used: Vec<_> = addresses
        .iter()
        .filter(|a| a["used"] == true)
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    assert_eq!(used, [receive(7)]);
    let rows = dir.all_balances();
    let seventh = row(&rows, &receive(7));
    assert_eq!(
        (seventh["raw"].as_str(), seventh["pending"].as_str()),
        (Some("0"), Some("2500"))
    );
}
