//! The sync benchmark, on a real anvil behind a proxy that adds 50 ms to every request:
//! - 2,000 addresses × 6 assets (12,000 balances), one `holdings sync`;
//! - discovery: 100 addresses × 1,000 candidate tokens (each address holds 3), one `holdings discover`;
//! - Solana, on `support::solana`'s server behind the same proxy: a refresh (`holdings preload`)
//!   of 250 owners with 9 token accounts among them and a watched mint, and of 1,000 owners with 3
//!   token accounts each, after a first `sync` that listed them.
//! - Bitcoin: 3 addresses and a BIP84 zpub with 25 used receive and 3 used change addresses (gap
//!   20), one `holdings sync`, over a local Electrum server (TLS) and over a local Esplora server,
//!   each waiting 50 ms before every answer.
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
use support::electrum::{Electrum, Script};
use support::esplora::{Esplora, Stats};
use support::proxy::{Behaviour, Proxy};
use support::seeded::{BALANCE_SLOT, Seeded, read_and_wrong};

const ADDRESSES: usize = 2_000;
const TOKENS: usize = 5;
const LATENCY: Duration = Duration::from_millis(50);

fn main() {
    sync_12_000_balances();
    discover_100_addresses_among_1_000_candidates();
    solana_refresh(
        "250 owners, 9 token accounts, 1 watched mint",
        250,
        |owner| usize::from(owner % 20 == 0 && owner < 180),
        true,
    );
    solana_refresh("1,000 owners × 3 token accounts", 1_000, |_| 3, false);
    bitcoin_zpub_and_three_addresses();
}

fn sync_12_000_balances() {
    let seeded = Seeded::start(ADDRESSES, TOKENS);
    let dir = DataDir::new();
    let proxy = Proxy::start_with(
        &seeded.anvil.url,
        Behaviour {
            latency: LATENCY,
            ..Behaviour::default()
        },
    );
    seeded.register(&dir, &[&proxy.url]);

    proxy.reset_counts();
    let started = Instant::now();
    let output = dir.holdings(&["sync"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let wall = started.elapsed();
    let requests = proxy.requests();
    let round_trips = proxy.round_trips();
    let floor = LATENCY * round_trips as u32;

    let rows = dir.all_balances();
    let (read, wrong) = read_and_wrong(&rows);

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

/// Runs `holdings ARGS…` on `dir`, which must succeed.
fn succeed(dir: &DataDir, args: &[&str]) {
    let output = dir.holdings(args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
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
    anvil.batch(&calls);

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
    let run = |args: &[&str]| succeed(&dir, args);
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

/// A deterministic Solana address (any 32 bytes are one).
fn solana_key(seed: u32) -> String {
    let mut bytes = [7u8; 32];
    bytes[..4].copy_from_slice(&seed.to_be_bytes());
    bs58::encode(bytes).into_string()
}

/// `owners` Solana owners, owner `k` with `accounts_of(k)` token accounts (of as many mints), and
/// with `watched` one more mint every owner has a row of: listed by a first `sync`, then refreshed
/// by the timed `preload`.
fn solana_refresh(name: &str, owners: usize, accounts_of: fn(usize) -> usize, watched: bool) {
    use support::solana::{SolanaServer, TOKEN_PROGRAM, TokenAccount};

    let server = SolanaServer::start();
    let owner_keys: Vec<String> = (0..owners as u32).map(solana_key).collect();
    let mints: Vec<String> = (0..4).map(|i| solana_key(1_000_000 + i)).collect();
    let mut expected_accounts = 0;
    server.ledger(|ledger| {
        ledger
            .mints
            .extend(mints.iter().map(|mint| (mint.clone(), 6)));
        for (k, owner) in owner_keys.iter().enumerate() {
            ledger.lamports.insert(owner.clone(), k as u64 + 1);
            for j in 0..accounts_of(k) {
                let account = solana_key(2_000_000 + expected_accounts);
                expected_accounts += 1;
                ledger.token_accounts.push(TokenAccount::new(
                    &account,
                    owner,
                    &mints[1 + j % 3],
                    "5",
                    TOKEN_PROGRAM,
                ));
            }
        }
    });
    let proxy = Proxy::start_with(
        &server.url,
        Behaviour {
            latency: LATENCY,
            ..Behaviour::default()
        },
    );
    let dir = DataDir::new();
    let run = |args: &[&str]| succeed(&dir, args);
    run(&[
        "chain", "add", "devsol", "--family", "solana", "--rpc", &proxy.url,
    ]);
    if watched {
        run(&["token", "add", "devsol", &mints[0]]);
    }
    let file = dir.path().join("owners.txt");
    std::fs::write(&file, owner_keys.join("\n")).unwrap();
    run(&[
        "wallet",
        "import",
        file.to_str().unwrap(),
        "--chain",
        "devsol",
    ]);
    run(&["sync"]);

    proxy.reset_counts();
    let (listings, accounts) = (
        server.calls_of("getTokenAccountsByOwner"),
        server.calls_of("getMultipleAccounts"),
    );
    let started = Instant::now();
    run(&["preload"]);
    let wall = started.elapsed();
    let round_trips = proxy.round_trips();
    let rows = dir.all_balances();
    println!(
        "Solana refresh benchmark: {name}, {}ms latency per request",
        LATENCY.as_millis()
    );
    println!(
        "  balances read:             {}",
        rows.iter()
            .filter(|row| row["freshness"] == "fresh")
            .count()
    );
    println!(
        "  getMultipleAccounts calls: {}, getTokenAccountsByOwner calls: {}",
        server.calls_of("getMultipleAccounts") - accounts,
        server.calls_of("getTokenAccountsByOwner") - listings
    );
    println!(
        "  HTTP requests:             {} (JSON-RPC calls: {})",
        proxy.requests(),
        proxy.calls()
    );
    println!("  wall time:                 {} ms", wall.as_millis());
    println!(
        "  floor:                     {} ms ({round_trips} round trips × {} ms)",
        (LATENCY * round_trips as u32).as_millis(),
        LATENCY.as_millis()
    );
    let expected_rows = owners * (1 + usize::from(watched)) + expected_accounts as usize;
    assert_eq!(
        rows.len(),
        expected_rows,
        "SOL, the watched mint, and each account's mint"
    );
    assert!(
        rows.iter().all(|row| row["freshness"] == "fresh"),
        "every balance read"
    );
}

/// BIP84's account key (its test vector).
const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
const PLAIN: [&str; 3] = [
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
];

/// The addresses used, with what each holds: 25 receive and 3 change addresses of the zpub, and
/// the first plain address.
fn used_bitcoin_addresses() -> Vec<(String, u64)> {
    use holdings::model::{BitcoinNetwork, Branch, WatchKey};

    let key = WatchKey::parse(BIP84_ZPUB).unwrap();
    let address = |branch, index| {
        key.address(branch, index, BitcoinNetwork::Mainnet)
            .unwrap()
            .to_string()
    };
    let mut used: Vec<(String, u64)> = (0..25)
        .map(|index| (address(Branch::Receive, index), 1_000 + u64::from(index)))
        .collect();
    used.extend((0..3).map(|index| (address(Branch::Change, index), 7)));
    used.push((PLAIN[0].to_owned(), 150_000));
    used
}

/// One `holdings sync` of the Bitcoin wallet over `rpc`; the wall time and every balance's sum.
fn sync_bitcoin(rpc: &str) -> (Duration, u64) {
    let dir = DataDir::new();
    dir.add_chain("devbtc", "bitcoin", rpc);
    for address in PLAIN.iter().chain([&BIP84_ZPUB]) {
        dir.watch(address, "devbtc");
    }
    let started = Instant::now();
    let output = dir.holdings(&["sync"]).output().unwrap();
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = dir.all_balances();
    assert_eq!(rows.len(), 3 + 45 + 23, "the gap limit scanned to the end");
    let total = rows
        .iter()
        .map(|row| row["raw"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    (wall, total)
}

fn bitcoin_zpub_and_three_addresses() {
    let used = used_bitcoin_addresses();
    let expected: u64 = used.iter().map(|(_, sats)| sats).sum();

    let electrum = Electrum::ssl();
    let esplora = Esplora::start();
    for (address, sats) in &used {
        let sats = i64::try_from(*sats).unwrap();
        electrum.set(
            address,
            Script {
                confirmed: sats,
                unconfirmed: 0,
                transactions: 1,
            },
        );
        esplora.set(
            address,
            Stats {
                funded: sats,
                tx_count: 1,
                ..Stats::default()
            },
        );
    }
    electrum.set_latency(LATENCY);
    esplora.set_latency(LATENCY);

    let (electrum_wall, electrum_total) = sync_bitcoin(&electrum.url);
    let (esplora_wall, esplora_total) = sync_bitcoin(&esplora.url);
    let round_trips = electrum.round_trips();
    let calls = electrum.calls().len();
    let floor = LATENCY * round_trips as u32;

    println!(
        "bitcoin benchmark: 3 addresses + a zpub with 25 used receive and 3 used change addresses \
         (gap 20; 71 addresses read), {}ms latency per answer",
        LATENCY.as_millis()
    );
    println!(
        "  Electrum (TLS): {round_trips} round trips on {} connection(s) (target ≤ 8), {calls} calls, \
         wall {} ms, floor {} ms ({round_trips} × {} ms), wall / floor {:.2}",
        electrum.connections(),
        electrum_wall.as_millis(),
        floor.as_millis(),
        LATENCY.as_millis(),
        electrum_wall.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "  Esplora:        {} HTTP requests, wall {} ms",
        esplora.requests().len(),
        esplora_wall.as_millis()
    );
    assert_eq!(
        electrum_total, expected,
        "every balance exact over Electrum"
    );
    assert_eq!(esplora_total, expected, "every balance exact over Esplora");
}
