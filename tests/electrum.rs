//! Bitcoin through Electrum servers, through the real `holdings` binary, against
//! `support::electrum`, a local server that answers as the Electrum protocol documents, over TCP
//! and over TLS with a self-signed certificate.

mod support;

use rusqlite::Connection;
use serde_json::Value;
use support::DataDir;
use support::electrum::{Electrum, Fault, Script, TIP};
use support::esplora::{self, Esplora, Stats};

const SEGWIT: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
const LEGACY: &str = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
const TAPROOT: &str = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297";

/// BIP84's account key (its test vector), as a wallet would export it.
const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

fn devbtc(rpcs: &[&str]) -> DataDir {
    let dir = DataDir::new();
    let mut args = vec!["chain", "add", "devbtc", "--family", "bitcoin"];
    for rpc in rpcs {
        args.extend(["--rpc", rpc]);
    }
    dir.holdings(&args).assert().success();
    dir
}

fn row<'a>(rows: &'a [Value], address: &str) -> &'a Value {
    rows.iter()
        .find(|row| row["address"] == address)
        .unwrap_or_else(|| panic!("no row for {address}"))
}

fn count(calls: &[String], method: &str) -> usize {
    calls.iter().filter(|call| *call == method).count()
}

/// The three addresses with what the server holds for them: paid and partly spent with more
/// coming, paid once, never used.
fn three_addresses(server: &Electrum) {
    server.set(
        SEGWIT,
        Script {
            confirmed: 149_999_999,
            unconfirmed: 5_000,
            transactions: 4,
        },
    );
    server.set(
        LEGACY,
        Script {
            confirmed: 1,
            unconfirmed: -1,
            transactions: 2,
        },
    );
}

#[test]
fn balances_and_pending_are_read_in_one_batch_at_the_tip() {
    let server = Electrum::tcp();
    three_addresses(&server);
    let dir = devbtc(&[&server.url]);
    for address in [SEGWIT, LEGACY, TAPROOT] {
        dir.watch(address, "devbtc");
    }
    dir.holdings(&["sync"]).assert().success();

    let rows = dir.all_balances();
    let segwit = row(&rows, SEGWIT);
    assert_eq!(
        (segwit["raw"].as_str(), segwit["amount"].as_str()),
        (Some("149999999"), Some("1.49999999"))
    );
    assert_eq!(segwit["block"], TIP);
    assert_eq!(segwit["pending"], "5000", "unconfirmed, shown apart");
    assert_eq!(row(&rows, LEGACY)["raw"], "1");
    assert_eq!(
        row(&rows, LEGACY)["pending"],
        "-1",
        "spending shows as negative"
    );
    assert_eq!(row(&rows, TAPROOT)["raw"], "0", "never used: zero");
    assert_eq!(row(&rows, TAPROOT)["pending"], Value::Null);

    assert_eq!(server.connections(), 1);
    assert_eq!(server.round_trips(), 2, "server.version, then one batch");
    let calls = server.calls();
    assert_eq!(calls[0], "server.version", "first on the wire");
    assert_eq!(count(&calls, "blockchain.headers.subscribe"), 1);
    assert_eq!(count(&calls, "blockchain.scripthash.get_balance"), 3);
    assert_eq!(count(&calls, "blockchain.scripthash.get_history"), 3);
    assert_eq!(calls.len(), 8);
}

#[test]
fn a_zpub_with_28_used_addresses_and_three_more_take_four_round_trips() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Electrum::tcp();
    three_addresses(&server);
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    let address = |branch, index| {
        key.address(branch, index, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string()
    };
    for index in 0..25 {
        server.set(
            &address(Branch::Receive, index),
            Script {
                confirmed: 1_000 + i64::from(index),
                unconfirmed: 0,
                transactions: 1,
            },
        );
    }
    for index in 0..3 {
        server.set(
            &address(Branch::Change, index),
            Script {
                confirmed: 0,
                unconfirmed: 0,
                transactions: 2,
            },
        );
    }
    let dir = devbtc(&[&server.url]);
    for plain in [SEGWIT, LEGACY, TAPROOT] {
        dir.watch(plain, "devbtc");
    }
    dir.watch(BIP84_ZPUB, "devbtc");
    server.reset_counts();
    dir.holdings(&["sync"]).assert().success();

    let wallets = dir.json(&["wallet", "list"]);
    let zpub = wallets
        .as_array()
        .unwrap()
        .iter()
        .find(|wallet| wallet["source"] == BIP84_ZPUB)
        .unwrap();
    let addresses = zpub["addresses"].as_array().unwrap();
    let on_branch = |prefix: &str| {
        addresses
            .iter()
            .filter(|a| a["derivation"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(on_branch("0/"), 45, "25 used, then 20 unused");
    assert_eq!(on_branch("1/"), 23, "3 used, then 20 unused");
    let used = addresses.iter().filter(|a| a["used"] == true).count();
    assert_eq!(used, 28);
    let total: u64 = dir
        .all_balances()
        .iter()
        .map(|row| row["raw"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        total,
        (0..25).map(|index| 1_000 + index).sum::<u64>() + 149_999_999 + 1
    );

    // 43 addresses (3 and the first 20 of each branch), then the 23 the gap asked for, then 5:
    // a batch each, on one connection that said server.version once.
    assert_eq!(server.connections(), 1);
    assert_eq!(server.round_trips(), 4, "target: at most 8");
    let calls = server.calls();
    assert_eq!(count(&calls, "server.version"), 1);
    assert_eq!(count(&calls, "blockchain.headers.subscribe"), 3);
    assert_eq!(
        count(&calls, "blockchain.scripthash.get_balance"),
        43 + 23 + 5
    );
    assert_eq!(
        count(&calls, "blockchain.scripthash.get_history"),
        43 + 23 + 5
    );
}

#[test]
fn a_new_block_announced_on_the_connection_is_not_taken_for_an_answer() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Electrum::tcp();
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    // The first batch subscribes to headers; a block found before the next makes the server
    // send a notification ahead of that batch's answer.
    server.find_a_block_after_each_batch();
    server.set(
        &key.address(Branch::Receive, 19, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string(),
        Script {
            confirmed: 7,
            unconfirmed: 0,
            transactions: 1,
        },
    );
    let dir = devbtc(&[&server.url]);
    dir.watch(BIP84_ZPUB, "devbtc");
    dir.holdings(&["sync"]).assert().success();
    let rows = dir.all_balances();
    assert_eq!(rows.len(), 60, "20 + 20, then 20 more past the used 19");
    assert!(rows.iter().all(|row| row["error"].is_null()), "{rows:?}");
    assert_eq!(server.round_trips(), 3);
    let blocks: std::collections::BTreeSet<u64> = rows
        .iter()
        .map(|row| row["block"].as_u64().unwrap())
        .collect();
    assert_eq!(
        blocks,
        [TIP, TIP + 1].into(),
        "the second batch read at the block announced"
    );
}

#[test]
fn a_kept_connection_the_server_closed_is_opened_again() {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let server = Electrum::ssl();
    server.close_after_each_batch();
    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    server.set(
        &key.address(Branch::Receive, 19, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string(),
        Script {
            confirmed: 7,
            unconfirmed: 0,
            transactions: 1,
        },
    );
    let dir = devbtc(&[&server.url]);
    dir.watch(BIP84_ZPUB, "devbtc");
    dir.holdings(&["sync"]).assert().success();
    let rows = dir.all_balances();
    assert_eq!(rows.len(), 60);
    assert!(rows.iter().all(|row| row["error"].is_null()), "{rows:?}");
    assert_eq!(
        server.connections(),
        2,
        "the second batch found the first connection closed"
    );
    assert_eq!(
        server.round_trips(),
        4,
        "server.version and a batch on each"
    );
}

#[test]
fn a_call_the_server_fails_fails_its_row_alone() {
    let server = Electrum::tcp();
    three_addresses(&server);
    server.fail(LEGACY, "history too large");
    let dir = devbtc(&[&server.url]);
    dir.watch(SEGWIT, "devbtc");
    dir.watch(LEGACY, "devbtc");
    dir.holdings(&["sync"]).assert().success();
    let rows = dir.all_balances();
    assert_eq!(row(&rows, SEGWIT)["raw"], "149999999");
    let legacy = row(&rows, LEGACY);
    assert_eq!(legacy["raw"], Value::Null, "never read, not zero");
    assert!(
        legacy["error"]
            .as_str()
            .unwrap()
            .contains("the server did not tell the balance: history too large"),
        "{legacy}"
    );
}

#[test]
fn a_lying_or_cut_off_answer_writes_nothing() {
    for (fault, why) in [
        (Fault::WrongId, "an answer has an id that was not asked"),
        (
            Fault::MissingAnswer,
            "the batch answer has 4 answers for 5 calls",
        ),
        (
            Fault::NoResult,
            "an answer has neither a result nor an error",
        ),
        (Fault::NegativeBalance, "a confirmed balance is negative"),
        (
            Fault::FractionalBalance,
            "a balance is not a whole number of sats",
        ),
        (Fault::Truncated, "the answer was cut off"),
    ] {
        let server = Electrum::tcp();
        three_addresses(&server);
        let dir = devbtc(&[&server.url]);
        dir.watch(SEGWIT, "devbtc");
        dir.watch(LEGACY, "devbtc");
        dir.holdings(&["sync"]).assert().success();
        let before: Vec<Value> = dir.all_balances();

        server.set_fault(Some(fault));
        server.set(
            SEGWIT,
            Script {
                confirmed: 42,
                unconfirmed: 0,
                transactions: 5,
            },
        );
        let output = dir.holdings(&["preload"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{fault:?}: {stderr}");
        assert!(
            stderr.contains("nothing could be read") && stderr.contains(why),
            "{fault:?}: {stderr}"
        );
        let after = dir.all_balances();
        for (before, after) in before.iter().zip(&after) {
            assert_eq!(
                before["raw"], after["raw"],
                "{fault:?}: the last good value stays"
            );
            assert_eq!(before["pending"], after["pending"], "{fault:?}");
            assert!(
                after["error"].as_str().unwrap().contains(why),
                "{fault:?}: {after}"
            );
        }
    }
}

/// The pinned certificate of the endpoint at `url`, as the database keeps it.
fn pin(dir: &DataDir, url: &str) -> Option<String> {
    Connection::open(dir.database())
        .unwrap()
        .query_row(
            "SELECT tls_pin FROM endpoints WHERE url = ?1",
            [url],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn a_self_signed_certificate_is_pinned_on_first_use_and_a_changed_one_refused() {
    let server = Electrum::ssl();
    three_addresses(&server);
    let dir = devbtc(&[&server.url]);
    dir.watch(SEGWIT, "devbtc");
    assert_eq!(pin(&dir, &server.url), None);

    dir.holdings(&["sync"]).assert().success();
    let first = server.fingerprint();
    let pinned = pin(&dir, &server.url).expect("pinned on first use");
    assert_eq!(pinned.to_uppercase(), first.replace(':', ""));
    assert_eq!(row(&dir.all_balances(), SEGWIT)["raw"], "149999999");

    // Another process, the same certificate: trusted.
    server.set(
        SEGWIT,
        Script {
            confirmed: 2,
            unconfirmed: 0,
            transactions: 5,
        },
    );
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(row(&dir.all_balances(), SEGWIT)["raw"], "2");

    // The certificate changes (a reinstalled node, or someone in between): refused, unread.
    server.new_certificate();
    let changed = server.fingerprint();
    assert_ne!(changed, first);
    server.set(
        SEGWIT,
        Script {
            confirmed: 999,
            unconfirmed: 0,
            transactions: 6,
        },
    );
    server.reset_counts();
    let output = dir.holdings(&["preload"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let endpoint = server.url.clone();
    for part in [
        endpoint.as_str(),
        "not the one pinned on first use",
        first.as_str(),
        changed.as_str(),
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
    assert!(server.calls().is_empty(), "nothing asked of it");
    let segwit = row(&dir.all_balances(), SEGWIT).clone();
    assert_eq!(segwit["raw"], "2", "the last good value stays");
    assert!(
        segwit["error"].as_str().unwrap().contains(&changed),
        "{segwit}"
    );
    assert_eq!(pin(&dir, &server.url), Some(pinned), "the first pin stays");
}

#[test]
fn a_dead_electrum_server_fails_over_to_esplora() {
    // A port nothing listens on: bound, then let go.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("tcp://{}", listener.local_addr().unwrap())
    };
    let esplora = Esplora::start();
    esplora.set(
        SEGWIT,
        Stats {
            funded: 300,
            spent: 100,
            tx_count: 2,
            ..Stats::default()
        },
    );
    let dir = devbtc(&[&dead, &esplora.url]);
    dir.watch(SEGWIT, "devbtc");
    dir.holdings(&["sync"]).assert().success();
    let segwit = row(&dir.all_balances(), SEGWIT).clone();
    assert_eq!(segwit["raw"], "200");
    assert_eq!(segwit["block"], esplora::TIP);
    assert_eq!(
        esplora.requests(),
        [
            "/api/blocks/tip/height".to_owned(),
            format!("/api/address/{SEGWIT}")
        ]
    );
    let offline: Option<i64> = Connection::open(dir.database())
        .unwrap()
        .query_row(
            "SELECT offline_since FROM endpoints WHERE url = ?1",
            [&dead],
            |row| row.get(0),
        )
        .unwrap();
    assert!(offline.is_some(), "the dead server is marked offline");
}

#[test]
fn an_electrum_url_that_is_not_one_is_refused_and_changes_nothing() {
    let dir = DataDir::new();
    dir.holdings(&["chain", "list"]).assert().success();
    let before = dir.content();
    for (url, why) in [
        ("tcp://127.0.0.1", "no port"),
        (
            "ssl://127.0.0.1:50002/electrum",
            "nothing may follow HOST:PORT",
        ),
        ("ws://127.0.0.1:50002", "not an http(s) URL"),
    ] {
        let output = dir
            .holdings(&[
                "chain", "add", "devbtc", "--family", "bitcoin", "--rpc", url,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.contains(why), "{url}: {stderr}");
    }
    let output = dir
        .holdings(&[
            "chain",
            "add",
            "devsol",
            "--family",
            "solana",
            "--rpc",
            "tcp://127.0.0.1:50001",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("serve Bitcoin only"),
        "{output:?}"
    );
    assert_eq!(dir.content(), before);
}
