//! Solana balances through the real `holdings` binary, against `support::solana`, a local server
//! that answers as Solana's documented JSON-RPC methods do.

mod support;

use serde_json::Value;
use support::DataDir;
use support::solana::{SLOT, SolanaServer, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, TokenAccount};

/// A deterministic, valid Solana address (any 32 bytes are one).
fn key(seed: u32) -> String {
    let mut bytes = [7u8; 32];
    bytes[..4].copy_from_slice(&seed.to_be_bytes());
    bs58::encode(bytes).into_string()
}

fn devsol(server: &SolanaServer) -> DataDir {
    let dir = DataDir::new();
    dir.holdings(&[
        "chain",
        "add",
        "devsol",
        "--family",
        "solana",
        "--rpc",
        &server.url,
    ])
    .assert()
    .success();
    dir
}

/// A server where `owner` holds 42 lamports and 9 of `mint` (6 decimals), and a data dir watching
/// `owner` through it.
fn one_owner_holding(owner: &str, mint: &str) -> (SolanaServer, DataDir) {
    let server = SolanaServer::start();
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.to_owned(), 42);
        ledger.mints.insert(mint.to_owned(), 6);
        ledger.token_accounts = vec![TokenAccount::new(
            &key(200),
            owner,
            mint,
            "9",
            TOKEN_PROGRAM,
        )];
    });
    let dir = devsol(&server);
    dir.holdings(&["wallet", "add", owner, "--chain", "devsol"])
        .assert()
        .success();
    (server, dir)
}

fn row<'a>(rows: &'a [Value], owner: &str, asset: &str) -> &'a Value {
    rows.iter()
        .find(|row| row["address"] == owner && row["asset"] == asset)
        .unwrap_or_else(|| panic!("no row for {owner} {asset}: {rows:#?}"))
}

#[test]
fn sol_and_every_held_token_are_read_exactly_with_their_slot() {
    let server = SolanaServer::start();
    let owner = key(1);
    let (usdc, bonk, extended) = (key(100), key(101), key(102));
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.clone(), 5_000_000_001);
        ledger
            .mints
            .extend([(usdc.clone(), 6), (bonk.clone(), 5), (extended.clone(), 9)]);
        ledger.token_accounts = vec![
            // Two accounts of one mint add up to one balance.
            TokenAccount::new(&key(200), &owner, &usdc, "1500000", TOKEN_PROGRAM),
            TokenAccount::new(&key(201), &owner, &usdc, "2500000", TOKEN_PROGRAM),
            TokenAccount::new(&key(202), &owner, &bonk, "7", TOKEN_PROGRAM),
            TokenAccount::new(
                &key(203),
                &owner,
                &extended,
                "18446744073709551615",
                TOKEN_2022_PROGRAM,
            ),
            TokenAccount::new(&key(204), &owner, &extended, "1", TOKEN_2022_PROGRAM),
        ];
    });
    let dir = devsol(&server);
    dir.holdings(&["wallet", "add", &owner, "--chain", "devsol"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();

    assert_eq!(
        server.calls_of("getTokenAccountsByOwner"),
        2,
        "3 SPL and 2 Token-2022 accounts: one call per program"
    );
    assert_eq!(
        server.calls_of("getMultipleAccounts"),
        2,
        "one for SOL, one for the new mints' decimals"
    );
    assert_eq!(
        server.requests(),
        2,
        "the owner calls share the first request"
    );

    let rows = dir.all_balances();
    assert_eq!(rows.len(), 4, "SOL and the three mints held");
    let sol = row(&rows, &owner, "native");
    assert_eq!(
        (
            sol["raw"].as_str(),
            sol["amount"].as_str(),
            sol["block"].as_u64()
        ),
        (Some("5000000001"), Some("5.000000001"), Some(SLOT))
    );
    let usdc_row = row(&rows, &owner, &usdc);
    assert_eq!(
        (
            usdc_row["raw"].as_str(),
            usdc_row["decimals"].as_u64(),
            usdc_row["amount"].as_str()
        ),
        (Some("4000000"), Some(6), Some("4"))
    );
    assert_eq!(row(&rows, &owner, &bonk)["raw"], "7");
    assert_eq!(
        row(&rows, &owner, &extended)["raw"],
        "18446744073709551616",
        "summed past u64 exactly"
    );
    assert!(rows.iter().all(|row| row["freshness"] == "fresh"));

    // The mints are known now: their decimals are not read again.
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(server.calls_of("getMultipleAccounts"), 3);
}

#[test]
fn two_hundred_fifty_owners_take_three_account_calls_and_a_missing_account_is_zero() {
    let server = SolanaServer::start();
    let owners: Vec<String> = (0..250).map(key).collect();
    server.ledger(|ledger| {
        for (i, owner) in owners.iter().enumerate().skip(1) {
            ledger.lamports.insert(owner.clone(), i as u64);
        }
    });
    let dir = devsol(&server);
    let file = dir.path().join("owners.txt");
    std::fs::write(&file, owners.join("\n")).unwrap();
    dir.holdings(&[
        "wallet",
        "import",
        file.to_str().unwrap(),
        "--chain",
        "devsol",
    ])
    .assert()
    .success();
    dir.holdings(&["sync"]).assert().success();
    assert_eq!(server.calls_of("getMultipleAccounts"), 3, "100 keys a call");
    let rows = dir.all_balances();
    assert_eq!(rows.len(), 250);
    assert_eq!(
        row(&rows, &owners[0], "native")["raw"],
        "0",
        "no account holds zero"
    );
    assert_eq!(row(&rows, &owners[0], "native")["freshness"], "fresh");
    assert_eq!(row(&rows, &owners[249], "native")["raw"], "249");
}

#[test]
fn a_bad_token_listing_writes_nothing_for_its_tokens() {
    for (amount, kind) in [
        ("-5", "account"),
        ("12abc", "account"),
        ("", "account"),
        ("100", "mint"),
    ] {
        let owner = key(1);
        let usdc = key(100);
        let (server, dir) = one_owner_holding(&owner, &usdc);
        dir.holdings(&["sync"]).assert().success();
        assert_eq!(row(&dir.all_balances(), &owner, &usdc)["raw"], "9");

        server.ledger(|ledger| {
            ledger.token_accounts[0].amount = amount.into();
            ledger.token_accounts[0].kind = kind;
        });
        dir.holdings(&["preload"]).assert().success();
        let rows = dir.all_balances();
        let token = row(&rows, &owner, &usdc);
        assert_eq!(
            token["raw"], "9",
            "{amount:?}/{kind}: the last good value stays"
        );
        assert_eq!(token["freshness"], "stale", "{amount:?}/{kind}");
        let expected = if kind == "account" {
            format!("a token account of {usdc} has no readable amount")
        } else {
            "getTokenAccountsByOwner listed an account that is not a token account".to_owned()
        };
        assert_eq!(
            token["error"], expected,
            "{amount:?}/{kind}: the error is recorded"
        );
        assert_eq!(
            row(&rows, &owner, "native")["freshness"],
            "fresh",
            "SOL was still read"
        );
    }
}

#[test]
fn a_rate_limited_endpoint_writes_nothing_and_is_named() {
    let server = SolanaServer::start();
    let owner = key(1);
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.clone(), 42);
        ledger.rate_limited = Some(60);
    });
    let dir = devsol(&server);
    dir.holdings(&["wallet", "add", &owner, "--chain", "devsol"])
        .assert()
        .success();
    let output = dir.holdings(&["sync"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&server.url) && stderr.contains("429"),
        "{stderr}"
    );
    assert!(dir.all_balances().iter().all(|row| row["raw"].is_null()));
}

#[test]
fn an_endpoint_of_another_cluster_is_caught_by_its_genesis_hash() {
    let server = SolanaServer::start();
    let owner = key(1);
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.clone(), 42);
    });
    let dir = devsol(&server);
    dir.holdings(&["wallet", "add", &owner, "--chain", "devsol"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();
    let devsol = dir.chain("devsol");
    assert_eq!(
        devsol["genesis"],
        support::solana::TEST_GENESIS,
        "learned on first contact"
    );

    // The same URL now answers for another cluster, where the account does not exist.
    server.ledger(|ledger| {
        ledger.genesis = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG".into();
        ledger.lamports.clear();
    });
    let output = dir.holdings(&["preload"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("another cluster") || stderr.contains("cluster of genesis"),
        "{stderr}"
    );
    assert_eq!(
        row(&dir.all_balances(), &owner, "native")["raw"],
        "42",
        "not a zero from the wrong cluster"
    );
}

#[test]
fn the_default_solana_chain_expects_mainnet_beta() {
    let dir = DataDir::new();
    let solana = dir.chain("solana");
    assert_eq!(
        solana["genesis"],
        "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"
    );
}

/// A token account whose mint is not an address (here text that is not even ASCII, which once
/// panicked where a symbol was cut from it) makes the owner's token listing a lie: nothing is
/// discovered or written from it, the sync does not panic, and SOL is still read.
#[test]
fn a_token_account_whose_mint_is_no_address_is_not_believed() {
    for mint in ["ééé", "not-a-mint", "", &"1".repeat(200)] {
        let owner = key(1);
        let (_server, dir) = one_owner_holding(&owner, mint);
        let output = dir.holdings(&["sync"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{mint:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{mint:?}: {stderr}");
        let rows = dir.all_balances();
        assert_eq!(rows.len(), 1, "{mint:?}: no token discovered: {rows:?}");
        assert_eq!(row(&rows, &owner, "native")["raw"], "42");
    }
}
