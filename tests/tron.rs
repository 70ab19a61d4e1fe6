//! TRON balances through the real `holdings` binary, against `support::trongrid`, a local server
//! that answers as TronGrid's documented HTTP API does.

mod support;

use alloy_primitives::U256;
use serde_json::Value;
use support::DataDir;
use support::trongrid::{Account, BLOCK, Contract, TronGrid, address};

fn devtron(server: &TronGrid) -> DataDir {
    let dir = DataDir::new();
    dir.holdings(&[
        "chain",
        "add",
        "devtron",
        "--family",
        "tron",
        "--rpc",
        &server.url,
    ])
    .assert()
    .success();
    dir
}

fn row<'a>(rows: &'a [Value], owner: &str, symbol: &str) -> &'a Value {
    rows.iter()
        .find(|row| row["address"] == owner && row["symbol"] == symbol)
        .unwrap_or_else(|| panic!("no row for {owner} {symbol}: {rows:#?}"))
}

#[test]
fn trx_and_trc20_are_read_exactly_and_held_tokens_are_discovered() {
    let server = TronGrid::start();
    let (holder, newcomer, usdt) = (address(1), address(2), address(9));
    server.ledger(|ledger| {
        ledger.accounts.insert(
            holder.clone(),
            Account {
                sun: Some(1_500_001),
                trc20: vec![(usdt.clone(), "2500000".into())],
            },
        );
        // `newcomer` has no account yet.
        ledger.contracts.insert(
            usdt.clone(),
            Contract {
                symbol: "USDT".into(),
                decimals: 6,
                balances: [(newcomer.clone(), U256::from(7))].into(),
                ..Contract::default()
            },
        );
    });
    let dir = devtron(&server);
    for owner in [&holder, &newcomer] {
        dir.holdings(&["wallet", "add", owner, "--chain", "devtron"])
            .assert()
            .success();
    }
    dir.holdings(&["sync"]).assert().success();
    let rows = dir.all_balances();
    let trx = row(&rows, &holder, "TRX");
    assert_eq!(
        (
            trx["raw"].as_str(),
            trx["amount"].as_str(),
            trx["block"].as_u64()
        ),
        (Some("1500001"), Some("1.500001"), Some(BLOCK))
    );
    assert_eq!(
        row(&rows, &newcomer, "TRX")["raw"],
        "0",
        "an account that does not exist holds nothing"
    );
    let usdt_row = row(&rows, &holder, "USDT");
    assert_eq!(
        (
            usdt_row["raw"].as_str(),
            usdt_row["decimals"].as_u64(),
            usdt_row["asset"].as_str()
        ),
        (Some("2500000"), Some(6), Some(usdt.as_str()))
    );

    let rows = dir.all_balances();
    assert!(
        !rows
            .iter()
            .any(|row| row["address"] == newcomer.as_str() && row["symbol"] == "USDT"),
        "a token found held is watched by its holders only: spam costs nothing for the others"
    );

    // The holder's list no longer names USDT: its balance is asked of the contract.
    server.ledger(|ledger| {
        ledger.accounts.get_mut(&holder).unwrap().trc20.clear();
        ledger
            .contracts
            .get_mut(&usdt)
            .unwrap()
            .balances
            .insert(holder.clone(), U256::from(7));
    });
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(
        row(&dir.all_balances(), &holder, "USDT")["raw"],
        "7",
        "read with balanceOf: its list lacks it"
    );
    assert_eq!(
        server.requests_to("/wallet/getnowblock"),
        2,
        "one block a sweep"
    );
}

#[test]
fn a_malformed_account_writes_nothing_for_it() {
    for amount in ["-1", "1e6", "", "0x10"] {
        let server = TronGrid::start();
        let (holder, usdt) = (address(1), address(9));
        server.ledger(|ledger| {
            ledger.accounts.insert(
                holder.clone(),
                Account {
                    sun: Some(5),
                    trc20: vec![(usdt.clone(), "3".into())],
                },
            );
            ledger.contracts.insert(
                usdt.clone(),
                Contract {
                    symbol: "USDT".into(),
                    decimals: 6,
                    ..Contract::default()
                },
            );
        });
        let dir = devtron(&server);
        dir.holdings(&["wallet", "add", &holder, "--chain", "devtron"])
            .assert()
            .success();
        dir.holdings(&["sync"]).assert().success();
        server
            .ledger(|ledger| ledger.accounts.get_mut(&holder).unwrap().trc20[0].1 = amount.into());
        let output = dir.holdings(&["preload"]).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{amount:?}: nothing could be read"
        );
        let rows = dir.all_balances();
        for (symbol, last) in [("TRX", "5"), ("USDT", "3")] {
            let kept = row(&rows, &holder, symbol);
            assert_eq!(kept["freshness"], "stale", "{amount:?} {symbol}");
            assert_eq!(
                kept["raw"], last,
                "{amount:?} {symbol}: the last good value stays"
            );
        }
    }
}

#[test]
fn a_token_whose_balance_of_reverts_records_an_error_and_the_rest_are_read() {
    let server = TronGrid::start();
    let (holder, usdt, paused) = (address(1), address(9), address(8));
    server.ledger(|ledger| {
        ledger.accounts.insert(
            holder.clone(),
            Account {
                sun: Some(5),
                trc20: vec![(usdt.clone(), "3".into())],
            },
        );
        ledger.contracts.insert(
            usdt.clone(),
            Contract {
                symbol: "USDT".into(),
                decimals: 6,
                ..Contract::default()
            },
        );
        ledger.contracts.insert(
            paused.clone(),
            Contract {
                symbol: "PAUSED".into(),
                decimals: 2,
                balance_of_reverts: true,
                ..Contract::default()
            },
        );
    });
    let dir = devtron(&server);
    dir.holdings(&["token", "add", "devtron", &paused])
        .assert()
        .success();
    dir.holdings(&["wallet", "add", &holder, "--chain", "devtron"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();
    assert_eq!(
        server.requests_to("/wallet/triggerconstantcontract"),
        7,
        "the decimals, symbol and name of PAUSED (added) and USDT (found held), then one \
         balanceOf of PAUSED: a revert is an answer, not asked again"
    );
    let rows = dir.all_balances();
    let reverted = row(&rows, &holder, "PAUSED");
    assert_eq!(
        (reverted["raw"].clone(), reverted["error"].clone()),
        (Value::Null, Value::from("balanceOf(address) reverted")),
        "{reverted}"
    );
    for (symbol, raw) in [("TRX", "5"), ("USDT", "3")] {
        let read = row(&rows, &holder, symbol);
        assert_eq!(
            (read["raw"].as_str(), read["freshness"].as_str()),
            (Some(raw), Some("fresh")),
            "{symbol}"
        );
    }
}

/// Needs the Secret Service that `scripts/test` starts (gnome-keyring in a D-Bus session): the key
/// goes through the real OS keyring.
#[test]
fn an_api_key_from_the_keyring_goes_with_every_request_and_never_into_the_database() {
    use std::io::Write;

    let server = TronGrid::start();
    let holder = address(1);
    server.ledger(|ledger| {
        ledger.accounts.insert(
            holder.clone(),
            Account {
                sun: Some(3),
                trc20: Vec::new(),
            },
        );
    });
    let dir = devtron(&server);
    dir.holdings(&["wallet", "add", &holder, "--chain", "devtron"])
        .assert()
        .success();
    let key = format!("tron-key-{}-{}", std::process::id(), BLOCK);
    let mut save = std::process::Command::new(env!("CARGO_BIN_EXE_holdings"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "chain",
            "key",
            "devtron",
            "--rpc",
            &server.url,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(save.stdin.take().unwrap(), "{key}").unwrap();
    let saved = save.wait_with_output().unwrap();
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    dir.holdings(&["sync"])
        .env("HOLDINGS_LOG", "trace")
        .assert()
        .success();

    let keys = server.keys();
    assert!(
        !keys.is_empty()
            && keys
                .iter()
                .all(|sent| sent.as_deref() == Some(key.as_str())),
        "{keys:?}"
    );
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path())
        .unwrap()
        .chain(std::fs::read_dir(dir.path().join("logs")).unwrap())
    {
        let path = entry.unwrap().path();
        if path.is_file() {
            stored.extend(std::fs::read(&path).unwrap());
        }
    }
    let key_bytes = key.as_bytes();
    assert!(
        !stored
            .windows(key_bytes.len())
            .any(|window| window == key_bytes),
        "the key is in the data dir"
    );
    let devtron = dir.chain("devtron");
    assert!(
        devtron["endpoints"][0]["api_key_ref"]
            .as_str()
            .unwrap()
            .starts_with("api-key:devtron:"),
        "only its name is kept"
    );
}

/// A key saved in the app while it runs goes with the chain's very next requests, with no restart.
/// Needs the Secret Service that `scripts/test` starts, like the test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_saved_while_the_app_runs_goes_with_the_next_sweep() {
    let server = TronGrid::start();
    let holder = address(2);
    server.ledger(|ledger| {
        ledger.accounts.insert(
            holder.clone(),
            Account {
                sun: Some(5),
                trc20: Vec::new(),
            },
        );
    });
    let dir = devtron(&server);
    dir.holdings(&["wallet", "add", &holder, "--chain", "devtron"])
        .assert()
        .success();
    let app = holdings::api::Holdings::open(dir.path()).unwrap();
    app.preload(None).await.unwrap();
    let before = server.keys();
    assert!(
        !before.is_empty() && before.iter().all(Option::is_none),
        "{before:?}"
    );

    let devtron = app
        .chains()
        .unwrap()
        .into_iter()
        .find(|chain| chain.name == "devtron")
        .unwrap();
    let key = format!("tron-app-key-{}", std::process::id());
    let first = holdings::api::EndpointRef {
        position: 0,
        shown: devtron.endpoints[0].shown.clone(),
    };
    app.save_api_key(devtron.id, &first, &key).unwrap();
    app.preload(None).await.unwrap();
    let after = &server.keys()[before.len()..];
    assert!(
        !after.is_empty()
            && after
                .iter()
                .all(|sent| sent.as_deref() == Some(key.as_str())),
        "{after:?}"
    );

    // Removing the endpoint takes its key out of the keyring too.
    let reference = app_key_reference(&dir);
    assert_eq!(
        holdings::secrets::load(&reference).unwrap().as_deref(),
        Some(key.as_str())
    );
    app.add_endpoint(devtron.id, "http://127.0.0.1:9").unwrap();
    app.remove_endpoint(devtron.id, &first).unwrap();
    assert_eq!(holdings::secrets::load(&reference).unwrap(), None);
    app.shutdown().await.unwrap();
}

/// The keyring entry named by devtron's first endpoint.
fn app_key_reference(dir: &DataDir) -> String {
    dir.chain("devtron")["endpoints"][0]["api_key_ref"]
        .as_str()
        .expect("the endpoint names its key")
        .to_owned()
}

/// A TRC-20 list naming a contract that is not an address is not believed, and a token whose
/// symbol cannot be shown is not discovered; TRX is read either way, and nothing panics.
#[test]
fn hostile_token_text_is_refused() {
    let server = TronGrid::start();
    let (holder, other, shouty) = (address(1), address(2), address(9));
    server.ledger(|ledger| {
        ledger.accounts.insert(
            holder.clone(),
            Account {
                sun: Some(5),
                trc20: vec![("ééé-not-an-address".into(), "1".into())],
            },
        );
        ledger.accounts.insert(
            other.clone(),
            Account {
                sun: Some(6),
                trc20: vec![(shouty.clone(), "2".into())],
            },
        );
        ledger.contracts.insert(
            shouty.clone(),
            Contract {
                symbol: "USDT\u{1b}[2J".into(),
                name: "Tether".into(),
                decimals: 6,
                balances: Default::default(),
                ..Contract::default()
            },
        );
    });
    let dir = devtron(&server);
    for owner in [&holder, &other] {
        dir.holdings(&["wallet", "add", owner, "--chain", "devtron"])
            .assert()
            .success();
    }
    let output = dir.holdings(&["sync"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rows = dir.all_balances();
    assert_eq!(rows.len(), 2, "no token discovered: {rows:?}");
    assert_eq!(
        row(&rows, &holder, "TRX")["raw"],
        Value::Null,
        "a lying account is not believed"
    );
    assert!(row(&rows, &holder, "TRX")["error"].as_str().is_some());
    assert_eq!(row(&rows, &other, "TRX")["raw"], "6");
}

/// A plain TRON node (publicnode's endpoint is one) has no `/v1/accounts`: that is found out with
/// one request and remembered in the database. Behind TronGrid, which found the account's token,
/// it serves once TronGrid stops answering: TRX from `/wallet/getaccount`, the token from
/// `balanceOf`.
#[test]
fn a_node_without_trongrid_s_index_is_read_through_its_own_api() {
    let (holder, empty, usdt) = (address(1), address(2), address(9));
    let fill = |server: &TronGrid, listed: bool| {
        server.ledger(|ledger| {
            ledger.accounts.insert(
                holder.clone(),
                Account {
                    sun: Some(1_500_001),
                    trc20: if listed {
                        vec![(usdt.clone(), "2500000".into())]
                    } else {
                        Vec::new()
                    },
                },
            );
            ledger.contracts.insert(
                usdt.clone(),
                Contract {
                    symbol: "USDT".into(),
                    name: "Tether USD".into(),
                    decimals: 6,
                    balances: [(holder.clone(), U256::from(2_500_000))].into(),
                    ..Contract::default()
                },
            );
        })
    };
    let grid = TronGrid::start();
    fill(&grid, true);
    let node = TronGrid::start_node();
    fill(&node, false);
    let dir = DataDir::new();
    dir.holdings(&[
        "chain", "add", "devtron", "--family", "tron", "--rpc", &grid.url, "--rpc", &node.url,
    ])
    .assert()
    .success();
    for owner in [&holder, &empty] {
        dir.holdings(&["wallet", "add", owner, "--chain", "devtron"])
            .assert()
            .success();
    }
    dir.holdings(&["sync"]).assert().success();
    let endpoints = dir.chain("devtron")["endpoints"].clone();
    assert_eq!(
        (
            &endpoints[0]["lists_accounts"],
            &endpoints[1]["lists_accounts"]
        ),
        (&true.into(), &false.into()),
        "what each serves is remembered"
    );
    assert_eq!(row(&dir.all_balances(), &holder, "USDT")["raw"], "2500000");

    drop(grid);
    node.ledger(|ledger| ledger.accounts.get_mut(&holder).unwrap().sun = Some(7));
    dir.holdings(&["preload"]).assert().success();
    let rows = dir.all_balances();
    assert_eq!(row(&rows, &holder, "TRX")["raw"], "7", "read from the node");
    assert_eq!(row(&rows, &holder, "USDT")["raw"], "2500000");
    assert_eq!(row(&rows, &empty, "TRX")["raw"], "0", "no account yet");
    assert!(
        rows.iter().all(|row| row["freshness"] == "fresh"),
        "{rows:?}"
    );
    assert_eq!(node.requests_to("/wallet/getaccount"), 2);
    let probes = (1..=2)
        .map(|seed| node.requests_to(&format!("/v1/accounts/{}", address(seed))))
        .sum::<usize>();
    assert_eq!(probes, 1, "asked once, in the first sync");
}
