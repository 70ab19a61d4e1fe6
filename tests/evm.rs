//! EVM balances against a real anvil node, through the real `holdings` binary, with a counting and
//! fault-injecting proxy in front of the node where a test needs one.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use alloy_primitives::{Address, U256, address};
use alloy_sol_types::SolValue;
use serde_json::Value;
use support::DataDir;
use support::anvil::Anvil;
use support::contracts::MULTICALL3;
use support::proxy::{Behaviour, EthCall, Fault, Proxy};

const OWNERS: [Address; 3] = [
    address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
    address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
];

/// A data dir with one devnet chain over `rpcs` and the test owners registered on it.
fn devnet(rpcs: &[&str], multicall: bool) -> DataDir {
    let dir = DataDir::new();
    let mut args = vec![
        "chain",
        "add",
        "devnet",
        "--family",
        "evm",
        "--chain-id",
        "31337",
    ];
    for rpc in rpcs {
        args.extend(["--rpc", rpc]);
    }
    args.push(if multicall {
        "--multicall"
    } else {
        "--no-multicall"
    });
    if multicall {
        args.push(MULTICALL3);
    }
    dir.holdings(&args).assert().success();
    let file = dir.path().join("owners.txt");
    std::fs::write(&file, OWNERS.map(|owner| owner.to_string()).join("\n")).unwrap();
    dir.holdings(&[
        "wallet",
        "import",
        file.to_str().unwrap(),
        "--chain",
        "devnet",
    ])
    .assert()
    .success();
    dir
}

/// Watches tokens without reading the chain, as a user's token list does.
fn import_tokens(dir: &DataDir, tokens: &[(Address, &str, u8)]) {
    let list = serde_json::json!({
        "name": "test tokens",
        "tokens": tokens.iter().map(|(address, symbol, decimals)| serde_json::json!({
            "chainId": 31337, "address": address.to_string(), "symbol": symbol, "name": symbol, "decimals": decimals
        })).collect::<Vec<_>>()
    });
    let file = dir.path().join("tokens.json");
    std::fs::write(&file, list.to_string()).unwrap();
    dir.holdings(&["token", "import", file.to_str().unwrap()])
        .assert()
        .success();
}

/// `balances --json --all`, keyed by (owner, asset symbol).
fn balances(dir: &DataDir) -> HashMap<(String, String), Value> {
    let output = dir
        .holdings(&["balances", "--json", "--all"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    rows.into_iter()
        .map(|row| {
            (
                (
                    row["address"].as_str().unwrap().to_owned(),
                    row["symbol"].as_str().unwrap().to_owned(),
                ),
                row,
            )
        })
        .collect()
}

fn raw_of(rows: &HashMap<(String, String), Value>, owner: Address, symbol: &str) -> Value {
    rows[&(owner.to_string(), symbol.to_owned())]["raw"].clone()
}

fn sync(dir: &DataDir) -> std::process::Output {
    dir.holdings(&["sync"]).output().unwrap()
}

fn assert_ok(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_balance_is_read_exactly_broken_tokens_as_errors() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let faulty = Proxy::start(&anvil.url);
    let proxy = Proxy::start(&anvil.url);
    let dir = devnet(&[&faulty.url, &proxy.url], true);

    let zero = anvil.deploy_token("ZERO", "Zero Decimals", 0);
    let usdc = anvil.deploy_token("USDC", "USD Coin", 6);
    let weth = anvil.deploy_token("WETH", "Wrapped Ether", 18);
    let wide = anvil.deploy_token("WIDE", "Thirty-six", 36);
    let mut mkr_symbol = [0u8; 32];
    mkr_symbol[..3].copy_from_slice(b"MKR");
    let mut mkr_name = [0u8; 32];
    mkr_name[..5].copy_from_slice(b"Maker");
    let mkr = anvil.deploy("Bytes32Token", &(mkr_symbol, mkr_name).abi_encode_params());
    for token in [zero, usdc, weth, wide, mkr] {
        dir.holdings(&["token", "add", "devnet", &token.to_string()])
            .assert()
            .success();
    }
    let reverting = anvil.deploy("RevertingToken", &[]);
    let silent = anvil.deploy("SilentToken", &[]);
    let short = anvil.deploy("ShortToken", &[]);
    let no_code = address!("0x000000000000000000000000000000000000dEaD");
    import_tokens(
        &dir,
        &[
            (reverting, "REV", 18),
            (silent, "SIL", 18),
            (short, "SHO", 18),
            (no_code, "DEAD", 18),
        ],
    );

    let near_max = (U256::from(1) << 255) + U256::from(12_345);
    let expected: Vec<(Address, Address, U256)> = vec![
        (zero, OWNERS[0], U256::from(7)),
        (usdc, OWNERS[0], U256::from(1_234_567_890u64)),
        (
            weth,
            OWNERS[1],
            U256::from(10).pow(U256::from(18)) * U256::from(3),
        ),
        (wide, OWNERS[2], near_max),
        (mkr, OWNERS[2], U256::from(42)),
    ];
    for (token, owner, amount) in &expected {
        anvil.set_token_balance(*token, *owner, *amount);
    }
    anvil.set_native_balance(OWNERS[0], U256::from(5));
    anvil.set_native_balance(OWNERS[1], U256::ZERO);

    // The first endpoint fails twice (a 502, then a truncated answer), so the sweep fails over.
    faulty.set(|behaviour| behaviour.queue = [Fault::Status(502), Fault::Truncate].into());
    faulty.reset_counts();
    proxy.reset_counts();
    let output = sync(&dir);
    assert_ok(&output);
    assert_eq!(
        faulty.requests(),
        2,
        "a retry after the 502, then the failover"
    );
    assert_eq!(
        proxy.requests(),
        1,
        "every balance and its block in one request: {:?}",
        proxy.seen()
    );

    let rows = balances(&dir);
    assert_eq!(rows.len(), 3 * 10, "3 owners × (native + 9 tokens)");
    assert_eq!(raw_of(&rows, OWNERS[0], "ETH"), "5");
    assert_eq!(
        raw_of(&rows, OWNERS[1], "ETH"),
        "0",
        "a read zero is a zero"
    );
    let symbols = ["ZERO", "USDC", "WETH", "WIDE", "MKR"];
    for ((_, owner, amount), symbol) in expected.iter().zip(symbols) {
        assert_eq!(
            raw_of(&rows, *owner, symbol),
            amount.to_string(),
            "{symbol}"
        );
    }
    let wide_row = &rows[&(OWNERS[2].to_string(), "WIDE".to_owned())];
    assert_eq!(wide_row["decimals"], 36);
    let whole = near_max / U256::from(10).pow(U256::from(36));
    assert!(
        wide_row["amount"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{whole}."))
    );
    assert_eq!(
        rows[&(OWNERS[0].to_string(), "USDC".to_owned())]["amount"],
        "1234.56789"
    );
    assert_eq!(
        rows[&(OWNERS[0].to_string(), "ZERO".to_owned())]["amount"],
        "7"
    );
    let block = rows[&(OWNERS[0].to_string(), "ETH".to_owned())]["block"].clone();
    assert!(
        rows.values()
            .filter(|row| !row["raw"].is_null())
            .all(|row| row["block"] == block),
        "one pinned block"
    );

    for (symbol, message) in [
        ("REV", "reverted"),
        ("SIL", "returned nothing"),
        ("SHO", "16 bytes"),
        ("DEAD", "returned nothing"),
    ] {
        for owner in OWNERS {
            let row = &rows[&(owner.to_string(), symbol.to_owned())];
            assert_eq!(
                row["raw"],
                Value::Null,
                "{symbol}: a failed read is not a zero"
            );
            assert_eq!(row["freshness"], "error", "{symbol}");
            assert!(
                row["error"].as_str().unwrap().contains(message),
                "{symbol}: {}",
                row["error"]
            );
        }
    }
}

#[test]
fn token_metadata_is_read_and_bad_tokens_are_refused() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let dir = devnet(&[&anvil.url], true);
    let mut symbol = [0u8; 32];
    symbol[..3].copy_from_slice(b"MKR");
    let mkr = anvil.deploy("Bytes32Token", &(symbol, [0u8; 32]).abi_encode_params());
    dir.holdings(&["token", "add", "devnet", &mkr.to_string()])
        .assert()
        .success()
        .stdout(predicates::str::contains("watching MKR"));

    let before = dir.content();
    let no_decimals = anvil.deploy("NoDecimalsToken", &[]);
    for (token, message) in [
        (
            "0x000000000000000000000000000000000000dEaD".to_owned(),
            "no contract",
        ),
        (no_decimals.to_string(), "not an ERC-20 token"),
        (mkr.to_string(), "already watched"),
        ("0x1234".to_owned(), "40 hex digits"),
    ] {
        let output = dir
            .holdings(&["token", "add", "devnet", &token])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{token}");
        assert!(stderr.contains(message), "{token}: {stderr}");
        assert_eq!(stderr.lines().count(), 1);
        assert_eq!(dir.content(), before, "{token} changed the database");
    }
}

#[test]
fn without_multicall_balances_come_in_json_rpc_batches() {
    let anvil = Anvil::start();
    let proxy = Proxy::start(&anvil.url);
    let dir = devnet(&[&proxy.url], false);
    let usdc = anvil.deploy_token("USDC", "USD Coin", 6);
    dir.holdings(&["token", "add", "devnet", &usdc.to_string()])
        .assert()
        .success();
    anvil.set_token_balance(usdc, OWNERS[1], U256::from(99));
    anvil.set_native_balance(OWNERS[2], U256::from(77));
    proxy.reset_counts();
    assert_ok(&sync(&dir));
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let methods = &seen[1].methods;
    assert_eq!(
        methods
            .iter()
            .filter(|method| *method == "eth_getBalance")
            .count(),
        3
    );
    assert_eq!(
        methods
            .iter()
            .filter(|method| *method == "eth_call")
            .count(),
        3
    );
    let rows = balances(&dir);
    assert_eq!(raw_of(&rows, OWNERS[1], "USDC"), "99");
    assert_eq!(raw_of(&rows, OWNERS[2], "ETH"), "77");
}

#[test]
fn a_chain_without_multicall_code_falls_back_to_batches() {
    let anvil = Anvil::start(); // Multicall3 not installed
    let dir = devnet(&[&anvil.url], true);
    anvil.set_native_balance(OWNERS[0], U256::from(3));
    assert_ok(&sync(&dir));
    assert_eq!(raw_of(&balances(&dir), OWNERS[0], "ETH"), "3");
}

#[test]
fn batch_sizes_are_learned_and_refused_batches_become_single_calls() {
    let anvil = Anvil::start();
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            max_batch: Some(3),
            ..Behaviour::default()
        },
    );
    let dir = devnet(&[&proxy.url], false);
    anvil.set_native_balance(OWNERS[2], U256::from(11));
    proxy.reset_counts();
    assert_ok(&sync(&dir));
    assert_eq!(raw_of(&balances(&dir), OWNERS[2], "ETH"), "11");
    let devnet = dir.chain("devnet");
    // The chain id guard, then the block number; the guard and 3 balances, refused as too large
    // for 3 calls a batch; then halves: the guard and 1 balance, three times.
    let sizes: Vec<usize> = proxy.seen().iter().map(|seen| seen.methods.len()).collect();
    assert_eq!(sizes, [2, 4, 2, 2, 2], "{:?}", proxy.seen());
    // The size remembered is the half that passed, not 0 (which would mean "refuses batches").
    assert_eq!(
        devnet["endpoints"][0]["batch_size"].as_u64(),
        Some(1),
        "{devnet}"
    );

    proxy.set(|behaviour| {
        behaviour.max_batch = None;
        behaviour.refuse_batches = true;
    });
    anvil.set_native_balance(OWNERS[2], U256::from(12));
    proxy.reset_counts();
    assert_ok(&dir.holdings(&["preload"]).output().unwrap());
    assert_eq!(raw_of(&balances(&dir), OWNERS[2], "ETH"), "12");
    assert!(
        proxy
            .seen()
            .iter()
            .skip(1)
            .all(|seen| seen.methods.len() == 1),
        "single calls after the refusal"
    );
}

#[test]
fn an_oversized_multicall_is_halved_until_it_passes() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    // An endpoint whose calls may carry 1,000 bytes: one balance call is about 100.
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            max_call_data: Some(1_000),
            ..Behaviour::default()
        },
    );
    let dir = devnet(&[&proxy.url], true);
    let tokens: Vec<Address> = (0..5)
        .map(|i| anvil.deploy_token(&format!("T{i}"), "Token", 18))
        .collect();
    import_tokens(
        &dir,
        &tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, ["T0", "T1", "T2", "T3", "T4"][i], 18))
            .collect::<Vec<_>>(),
    );
    for (i, token) in tokens.iter().enumerate() {
        anvil.set_token_balance(*token, OWNERS[i % 3], U256::from(1_000 + i));
    }
    assert_ok(&sync(&dir));
    let rows = balances(&dir);
    assert!(
        rows.values().all(|row| !row["raw"].is_null()),
        "every balance read"
    );
    for (i, _) in tokens.iter().enumerate() {
        assert_eq!(
            raw_of(&rows, OWNERS[i % 3], &format!("T{i}")),
            (1_000 + i).to_string()
        );
    }
    let calls: Vec<EthCall> = proxy
        .seen()
        .iter()
        .flat_map(|seen| seen.eth_calls.clone())
        .collect();
    // 3 owners × (ETH + 5 tokens): the first try asks all 18 balances (after the block number).
    assert_eq!(calls[0].aggregated, Some(18 + 1), "{calls:?}");
    assert!(calls[0].too_large, "the first try was large: {calls:?}");
    // Each chunk makes `getBlockNumber()`, then its balance calls.
    let answered: Vec<usize> = calls
        .iter()
        .filter(|call| !call.too_large)
        .map(|call| call.aggregated.expect("every call is a multicall") - 1)
        .collect();
    assert_eq!(
        answered.iter().sum::<usize>(),
        18,
        "each balance answered once: {calls:?}"
    );
    // A chunk of n balances takes 260 + 224·n bytes: 3 fit in 1,000, 4 do not. Halving 18 gives
    // 9, then 4 (refused), then 2: the size remembered is the half that passed.
    let devnet = dir.chain("devnet");
    let learned = devnet["endpoints"][0]["chunk_size"].as_u64();
    assert_eq!(learned, Some(2), "{calls:?}");
    assert!(
        answered.contains(&2),
        "the proxy answered chunks of 2: {calls:?}"
    );

    // The next pass starts at the remembered size: no chunk is refused.
    proxy.reset_counts();
    assert_ok(&dir.holdings(&["preload"]).output().unwrap());
    let calls: Vec<EthCall> = proxy
        .seen()
        .iter()
        .flat_map(|seen| seen.eth_calls.clone())
        .collect();
    assert_eq!(calls.len(), 9, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|call| !call.too_large && call.aggregated == Some(2 + 1)),
        "{calls:?}"
    );
}

#[test]
fn a_token_that_burns_all_gas_is_isolated_by_halving() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let dir = devnet(&[&anvil.url], true);
    let guzzler = anvil.deploy("GasGuzzlerToken", &[]);
    let good = anvil.deploy_token("GOOD", "Good", 6);
    import_tokens(&dir, &[(guzzler, "GUZ", 18), (good, "GOOD", 6)]);
    for owner in OWNERS {
        anvil.set_token_balance(good, owner, U256::from(500));
    }
    assert_ok(&sync(&dir));
    let rows = balances(&dir);
    for owner in OWNERS {
        assert_eq!(
            raw_of(&rows, owner, "GOOD"),
            "500",
            "{:?}",
            rows[&(owner.to_string(), "GOOD".to_owned())]
        );
        assert_eq!(raw_of(&rows, owner, "GUZ"), Value::Null);
        assert_eq!(
            rows[&(owner.to_string(), "GUZ".to_owned())]["freshness"],
            "error"
        );
    }
}

#[test]
fn a_failing_endpoint_fails_over_to_the_next() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let broken = Proxy::start_with(
        &anvil.url,
        Behaviour {
            always: Some(Fault::Status(503)),
            ..Behaviour::default()
        },
    );
    let healthy = Proxy::start(&anvil.url);
    let dir = devnet(&[&broken.url, &healthy.url], true);
    anvil.set_native_balance(OWNERS[0], U256::from(8));
    assert_ok(&sync(&dir));
    assert_eq!(raw_of(&balances(&dir), OWNERS[0], "ETH"), "8");
    assert_eq!(
        broken.requests(),
        3,
        "three tries with backoff, then the next endpoint"
    );
    assert_eq!(healthy.requests(), 1, "every balance in one request");
}

#[test]
fn a_429_waits_for_its_retry_after() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            queue: [Fault::RateLimited { retry_after: 1 }].into(),
            ..Behaviour::default()
        },
    );
    let dir = devnet(&[&proxy.url], true);
    anvil.set_native_balance(OWNERS[0], U256::from(9));
    assert_ok(&sync(&dir));
    assert_eq!(raw_of(&balances(&dir), OWNERS[0], "ETH"), "9");
    let seen = proxy.seen();
    let waited = seen[1].at.duration_since(seen[0].at);
    assert!(
        waited >= Duration::from_secs(1),
        "the retry came after {waited:?}"
    );
}

#[test]
fn garbled_lying_or_absent_answers_write_no_value() {
    for fault in [
        Fault::Truncate,
        Fault::WrongChainId,
        Fault::WrongId,
        Fault::Status(500),
    ] {
        let anvil = Anvil::start();
        anvil.install_multicall3();
        let liar = Proxy::start_with(
            &anvil.url,
            Behaviour {
                always: Some(fault.clone()),
                ..Behaviour::default()
            },
        );
        let dir = devnet(&[&liar.url], true);
        anvil.set_native_balance(OWNERS[0], U256::from(4));
        let output = sync(&dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{fault:?}: {stderr}");
        assert!(
            stderr.contains(liar.url.as_str()),
            "{fault:?}: the endpoint is named: {stderr}"
        );
        let rows = balances(&dir);
        assert!(
            rows.values().all(|row| row["raw"].is_null()),
            "{fault:?}: nothing written"
        );
        assert!(
            rows.values().all(|row| row["freshness"] == "error"),
            "{fault:?}: the failure is recorded"
        );

        // With an honest endpoint behind it, the liar is failed over and the truth is written.
        let honest = Proxy::start(&anvil.url);
        let dir = devnet(&[&liar.url, &honest.url], true);
        assert_ok(&sync(&dir));
        assert_eq!(raw_of(&balances(&dir), OWNERS[0], "ETH"), "4", "{fault:?}");
    }
}

/// Without Multicall3, balances are JSON-RPC quantities: an empty `"0x"` must not become a zero.
/// Only the balances are blanked: the chain id and the block number are answered truly, so it is
/// the quantity itself that must be refused.
#[test]
fn an_empty_quantity_is_garbled_not_zero() {
    let anvil = Anvil::start();
    let liar = Proxy::start_with(
        &anvil.url,
        Behaviour {
            always: Some(Fault::EmptyResults {
                method: "eth_getBalance",
            }),
            ..Behaviour::default()
        },
    );
    let dir = devnet(&[&liar.url], false);
    let output = sync(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("devnet: 0 read, 3 failed"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = balances(&dir);
    assert_eq!(rows.len(), OWNERS.len(), "{rows:?}");
    for row in rows.values() {
        assert_eq!(row["raw"], Value::Null, "nothing written: {row}");
        assert_eq!(row["freshness"], "error", "{row}");
        let error = row["error"].as_str().unwrap();
        assert!(
            error.contains(r#""0x" is not a JSON-RPC quantity"#),
            "the error names the bad quantity: {error}"
        );
    }
    let methods: Vec<String> = liar
        .seen()
        .iter()
        .flat_map(|seen| seen.methods.clone())
        .collect();
    assert!(
        methods.iter().any(|method| method == "eth_getBalance"),
        "the balances were asked, past the chain id and the block number: {methods:?}"
    );

    let honest = Proxy::start(&anvil.url);
    let dir = devnet(&[&liar.url, &honest.url], false);
    anvil.set_native_balance(OWNERS[1], U256::from(6));
    assert_ok(&sync(&dir));
    assert_eq!(raw_of(&balances(&dir), OWNERS[1], "ETH"), "6");
}

#[test]
fn unreachable_endpoints_are_named_and_change_no_balance() {
    let dir = devnet(&["http://127.0.0.1:9/", "http://127.0.0.1:7/"], true);
    let output = sync(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("http://127.0.0.1:9") && stderr.contains("http://127.0.0.1:7"),
        "{stderr}"
    );
    assert!(balances(&dir).values().all(|row| row["raw"].is_null()));
}

#[test]
fn sync_reads_what_is_due_and_preload_reads_everything() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let proxy = Proxy::start(&anvil.url);
    let dir = devnet(&[&proxy.url], true);
    anvil.set_native_balance(OWNERS[0], U256::from(21));
    proxy.reset_counts();
    assert_ok(&sync(&dir));
    assert_eq!(proxy.requests(), 1, "the first sync read");
    let rows = balances(&dir);
    assert!(
        rows.values().all(|row| row["freshness"] == "fresh"),
        "every balance read: {rows:?}"
    );
    assert_eq!(raw_of(&rows, OWNERS[0], "ETH"), "21");
    proxy.reset_counts();
    let second = sync(&dir);
    assert_ok(&second);
    assert_eq!(proxy.requests(), 0, "nothing is due 30 s after a read");
    assert_ok(&dir.holdings(&["preload"]).output().unwrap());
    assert_eq!(proxy.requests(), 1);
}
