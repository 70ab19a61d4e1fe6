//! The sync benchmark, on a real anvil behind a proxy that adds 50 ms to every request:
//! - 2,000 addresses × 6 assets (12,000 balances), one `holdings sync`;
//! - discovery: 100 addresses × 1,000 candidate tokens (each address holds 3), one `holdings discover`.
//!
//! Prints the HTTP requests, the wall time, and the floor (round trips × 50 ms) of each. Run with
//! `cargo bench --bench sync`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;
use serde_json::{Value, json};
use support::DataDir;
use support::anvil::Anvil;
use support::contracts::MULTICALL3;
use support::proxy::{Behaviour, Proxy};

const ADDRESSES: usize = 2_000;
const TOKENS: usize = 5;
const LATENCY: Duration = Duration::from_millis(50);
/// `balanceOf` is the fourth state variable of the test token (after symbol, name, decimals).
const BALANCE_SLOT: u64 = 3;

fn main() {
    sync_12_000_balances();
    discover_100_addresses_among_1_000_candidates();
}

fn sync_12_000_balances() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let owners: Vec<Address> = (1..=ADDRESSES as u64)
        .map(|i| Address::from_word(B256::from(U256::from(0x1000_0000 + i))))
        .collect();
    let tokens: Vec<Address> = (0..TOKENS)
        .map(|i| anvil.deploy_token(&format!("T{i}"), "Token", 18))
        .collect();
    seed(&anvil, &owners, &tokens);

    let dir = DataDir::new();
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            latency: LATENCY,
            ..Behaviour::default()
        },
    );
    let run = |args: &[&str]| {
        let output = dir.holdings(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&[
        "chain",
        "add",
        "devnet",
        "--family",
        "evm",
        "--chain-id",
        "31337",
        "--rpc",
        &proxy.url,
        "--multicall",
        MULTICALL3,
    ]);
    let wallets = dir.path().join("wallets.txt");
    std::fs::write(
        &wallets,
        owners
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    run(&[
        "wallet",
        "import",
        wallets.to_str().unwrap(),
        "--chain",
        "devnet",
    ]);
    let list = json!({ "name": "bench", "tokens": tokens.iter().enumerate().map(|(i, token)| json!({
        "chainId": 31337, "address": token.to_string(), "symbol": format!("T{i}"), "name": "Token", "decimals": 18
    })).collect::<Vec<_>>() });
    let list_file = dir.path().join("tokens.json");
    std::fs::write(&list_file, list.to_string()).unwrap();
    run(&["token", "import", list_file.to_str().unwrap()]);

    proxy.reset_counts();
    let started = Instant::now();
    run(&["sync"]);
    let wall = started.elapsed();
    let requests = proxy.requests();
    let round_trips = proxy.round_trips();
    let floor = LATENCY * round_trips as u32;

    let output = dir
        .holdings(&["balances", "--json", "--all"])
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let read = rows.iter().filter(|row| !row["raw"].is_null()).count();
    let wrong = rows
        .iter()
        .filter(|row| row["raw"] != expected_raw(row))
        .count();

    println!(
        "sync benchmark: {} balances ({ADDRESSES} addresses × {} assets), {}ms latency per request",
        rows.len(),
        TOKENS + 1,
        LATENCY.as_millis()
    );
    println!("  balances read:   {read} ({wrong} differ from what was seeded)");
    println!(
        "  HTTP requests:   {requests} (JSON-RPC calls: {}; target ≤ 10)",
        proxy.calls()
    );
    println!("  wall time:       {} ms", wall.as_millis());
    println!(
        "  floor:           {} ms ({round_trips} round trips × {} ms)",
        floor.as_millis(),
        LATENCY.as_millis()
    );
    println!(
        "  wall / floor:    {:.2} (target ≤ 2)",
        wall.as_secs_f64() / floor.as_secs_f64()
    );
    // The requests of one round trip go out together; counted one after another, the floor is:
    let sequential = LATENCY * requests as u32;
    println!(
        "  per request:     {} ms floor, wall / floor {:.2}",
        sequential.as_millis(),
        wall.as_secs_f64() / sequential.as_secs_f64()
    );
    assert_eq!(read, ADDRESSES * (TOKENS + 1), "every balance read");
    assert_eq!(wrong, 0, "every balance exact");
}

const DISCOVERY_OWNERS: usize = 100;
const CANDIDATES: usize = 1_000;

/// Owner `k` holds three of the candidates.
fn held_by(k: usize) -> [usize; 3] {
    [
        (k * 7) % CANDIDATES,
        (k * 7 + 1) % CANDIDATES,
        (k * 13 + 500) % CANDIDATES,
    ]
}

fn discover_100_addresses_among_1_000_candidates() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    // One token deployed, its code put at 1,000 addresses: candidates that answer `balanceOf`.
    let template = anvil.deploy_token("T", "Token", 18);
    let code = anvil.rpc("eth_getCode", json!([template, "latest"]));
    let tokens: Vec<Address> = (0..CANDIDATES as u64)
        .map(|i| Address::from_word(B256::from(U256::from(0xCA00_0000 + i))))
        .collect();
    let owners: Vec<Address> = (1..=DISCOVERY_OWNERS as u64)
        .map(|i| Address::from_word(B256::from(U256::from(0x2000_0000 + i))))
        .collect();
    let mut calls: Vec<(&str, Value)> = tokens
        .iter()
        .map(|token| ("anvil_setCode", json!([token, code])))
        .collect();
    for (k, owner) in owners.iter().enumerate() {
        for token in held_by(k) {
            let slot = keccak256((*owner, U256::from(BALANCE_SLOT)).abi_encode());
            calls.push((
                "anvil_setStorageAt",
                json!([tokens[token], slot, B256::from(U256::from(k + 1))]),
            ));
        }
    }
    batch(&anvil, &calls);

    let dir = DataDir::new();
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            latency: LATENCY,
            ..Behaviour::default()
        },
    );
    dir.add_devnet(&[&proxy.url]);
    let wallets = dir.path().join("wallets.txt");
    let lines: Vec<String> = owners.iter().map(ToString::to_string).collect();
    std::fs::write(&wallets, lines.join("\n")).unwrap();
    let run = |args: &[&str]| {
        let output = dir.holdings(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&[
        "wallet",
        "import",
        wallets.to_str().unwrap(),
        "--chain",
        "devnet",
    ]);
    let list = json!({ "name": "bench", "tokens": tokens.iter().enumerate().map(|(i, token)| json!({
        "chainId": 31337, "address": token.to_string(), "symbol": format!("C{i}"), "name": "Candidate", "decimals": 18
    })).collect::<Vec<_>>() });
    let list_file = dir.path().join("candidates.json");
    std::fs::write(&list_file, list.to_string()).unwrap();
    run(&["token", "import", list_file.to_str().unwrap(), "--discover"]);

    proxy.reset_counts();
    let started = Instant::now();
    run(&["discover"]);
    let wall = started.elapsed();
    let requests = proxy.requests();
    let round_trips = proxy.round_trips();
    let rows = dir.all_balances();
    let found = rows.iter().filter(|row| row["asset"] != "native").count();
    let expected: usize = (0..DISCOVERY_OWNERS)
        .map(|k| {
            let mut held = held_by(k).to_vec();
            held.sort();
            held.dedup();
            held.len()
        })
        .sum();
    println!(
        "discovery benchmark: {DISCOVERY_OWNERS} addresses × {CANDIDATES} candidates, {}ms latency per request",
        LATENCY.as_millis()
    );
    println!("  held tokens found: {found} of {expected}");
    println!(
        "  HTTP requests:     {requests} (JSON-RPC calls: {})",
        proxy.calls()
    );
    println!("  wall time:         {} ms", wall.as_millis());
    println!(
        "  floor:             {} ms ({round_trips} round trips × {} ms)",
        (LATENCY * round_trips as u32).as_millis(),
        LATENCY.as_millis()
    );
    assert_eq!(
        found, expected,
        "every held candidate found, and nothing else"
    );
}

/// Sends anvil these calls in batches of a thousand.
fn batch(anvil: &Anvil, calls: &[(&str, Value)]) {
    let client = reqwest::blocking::Client::new();
    for batch in calls.chunks(1_000) {
        let body: Vec<Value> = batch
            .iter()
            .enumerate()
            .map(|(id, (method, params))| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .collect();
        let answers: Vec<Value> = client
            .post(&anvil.url)
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(
            answers.iter().all(|answer| answer.get("error").is_none()),
            "seeding failed"
        );
    }
}

/// Seeded amounts are a function of the owner, so every row can be checked.
fn amount_for(owner_index: u64, asset: u64) -> U256 {
    U256::from(owner_index * 1_000 + asset)
}

fn expected_raw(row: &Value) -> Value {
    let owner: Address = row["address"].as_str().unwrap().parse().unwrap();
    let index = U256::from_be_slice(owner.as_slice()).to::<u64>() - 0x1000_0000;
    let asset = match row["symbol"].as_str().unwrap() {
        "ETH" => 0,
        symbol => symbol[1..].parse::<u64>().unwrap() + 1,
    };
    json!(amount_for(index, asset).to_string())
}

/// Native balances with `anvil_setBalance`, token balances straight into the `balanceOf` slots:
/// thousands of writes in a few batched requests.
fn seed(anvil: &Anvil, owners: &[Address], tokens: &[Address]) {
    let mut calls = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        let index = i as u64 + 1;
        calls.push(("anvil_setBalance", json!([owner, amount_for(index, 0)])));
        for (t, token) in tokens.iter().enumerate() {
            let slot = keccak256((*owner, U256::from(BALANCE_SLOT)).abi_encode());
            let value = B256::from(amount_for(index, t as u64 + 1));
            calls.push(("anvil_setStorageAt", json!([token, slot, value])));
        }
    }
    batch(anvil, &calls);
}
