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
    dir.holdings(&["sync"])
        .assert()
        .success()
        .stdout(predicates::str::contains("3 token(s) found"));

    assert_eq!(
        server.calls_of("getTokenAccountsByOwner"),
        2,
        "a new owner is listed: 3 SPL and 2 Token-2022 accounts, one call per program"
    );
    assert_eq!(
        server.calls_of("getMultipleAccounts"),
        2,
        "one for SOL, one for the new mints' decimals"
    );
    assert_eq!(
        server.requests(),
        3,
        "the sweep's, the listing's (both programs in one batch), the decimals'"
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

    // The mints and the owner's accounts are known now: a refresh reads the five accounts and
    // the owner's in one call, and lists nothing.
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(server.calls_of("getMultipleAccounts"), 3);
    assert_eq!(server.calls_of("getTokenAccountsByOwner"), 2);
    assert_eq!(
        without(dir.all_balances(), &["updated_at", "age_seconds"]),
        without(rows, &["updated_at", "age_seconds"])
    );
}

/// The rows with these fields taken out.
fn without(mut rows: Vec<Value>, fields: &[&str]) -> Vec<Value> {
    for row in &mut rows {
        row.as_object_mut()
            .unwrap()
            .retain(|field, _| !fields.contains(&field.as_str()));
    }
    rows
}

#[test]
fn a_refresh_reads_the_listed_accounts_and_a_closed_one_holds_zero() {
    let server = SolanaServer::start();
    let owner = key(1);
    let (usdc, bonk) = (key(100), key(101));
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.clone(), 1);
        ledger.mints.extend([(usdc.clone(), 6), (bonk.clone(), 5)]);
        ledger.token_accounts = vec![
            TokenAccount::new(&key(200), &owner, &usdc, "1500000", TOKEN_PROGRAM),
            TokenAccount::new(&key(201), &owner, &usdc, "2500000", TOKEN_PROGRAM),
            TokenAccount::new(&key(202), &owner, &bonk, "7", TOKEN_2022_PROGRAM),
        ];
    });
    let dir = devsol(&server);
    dir.holdings(&["wallet", "add", &owner, "--chain", "devsol"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();
    assert_eq!(row(&dir.all_balances(), &owner, &usdc)["raw"], "4000000");

    // One USDC account is spent down, the BONK account closed.
    server.ledger(|ledger| {
        ledger.token_accounts[1].amount = "500000".into();
        ledger.token_accounts.remove(2);
    });
    let (listings, accounts) = (
        server.calls_of("getTokenAccountsByOwner"),
        server.calls_of("getMultipleAccounts"),
    );
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(
        server.calls_of("getTokenAccountsByOwner"),
        listings,
        "no listing"
    );
    assert_eq!(server.calls_of("getMultipleAccounts"), accounts + 1);
    let rows = dir.all_balances();
    assert_eq!(
        row(&rows, &owner, &usdc)["raw"],
        "2000000",
        "both accounts add up"
    );
    assert_eq!(
        row(&rows, &owner, &bonk)["raw"],
        "0",
        "a closed account holds zero"
    );
    assert!(
        rows.iter().all(|row| row["freshness"] == "fresh"),
        "{rows:#?}"
    );
}

#[test]
fn a_watched_mint_is_read_at_the_owners_associated_account() {
    let server = SolanaServer::start();
    let owner = key(1);
    let usdc = key(100);
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.clone(), 1);
        ledger.mints.insert(usdc.clone(), 6);
    });
    let dir = devsol(&server);
    dir.holdings(&["token", "add", "devsol", &usdc])
        .assert()
        .success();
    dir.holdings(&["wallet", "add", &owner, "--chain", "devsol"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();
    let rows = dir.all_balances();
    assert_eq!(
        (
            row(&rows, &owner, &usdc)["raw"].as_str(),
            row(&rows, &owner, &usdc)["freshness"].as_str()
        ),
        (Some("0"), Some("fresh")),
        "no account at either program's associated address: zero"
    );

    // The owner is sent USDC, which makes its associated account: read at once, unlisted.
    let associated =
        holdings::chains::solana::associated_token_account(&owner, &usdc, TOKEN_PROGRAM).unwrap();
    server.ledger(|ledger| {
        ledger.token_accounts = vec![TokenAccount::new(
            &associated,
            &owner,
            &usdc,
            "3000000",
            TOKEN_PROGRAM,
        )];
    });
    let listings = server.calls_of("getTokenAccountsByOwner");
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(server.calls_of("getTokenAccountsByOwner"), listings);
    assert_eq!(row(&dir.all_balances(), &owner, &usdc)["raw"], "3000000");
}

/// Owners registered from a file of one address a line, on `devsol`.
fn import_owners(dir: &DataDir, owners: &[String]) {
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
}

/// Seed 003's load, and the first target: 250 owners with 9 token accounts among them and
/// one watched mint refresh in 6 `getMultipleAccounts` calls (≤ 8) and list nobody: 250 owners'
/// own accounts, the 9 listed, and the 247 associated accounts of the watched mint where the
/// owner has none listed, 506 keys at 100 a call.
#[test]
fn two_hundred_fifty_owners_with_nine_token_accounts_refresh_in_six_calls() {
    let server = SolanaServer::start();
    let owners: Vec<String> = (0..250).map(key).collect();
    let (usdc, bonk) = (key(1_000), key(1_001));
    server.ledger(|ledger| {
        ledger.mints.extend([(usdc.clone(), 6), (bonk.clone(), 5)]);
        for (i, owner) in owners.iter().enumerate() {
            ledger.lamports.insert(owner.clone(), i as u64);
        }
        // Three owners hold USDC, six hold BONK.
        for i in 0..9u32 {
            let mint = if i < 3 { &usdc } else { &bonk };
            let owner = &owners[i as usize * 20];
            ledger.token_accounts.push(TokenAccount::new(
                &key(2_000 + i),
                owner,
                mint,
                &(i + 1).to_string(),
                TOKEN_PROGRAM,
            ));
        }
    });
    let dir = devsol(&server);
    dir.holdings(&["token", "add", "devsol", &usdc])
        .assert()
        .success();
    import_owners(&dir, &owners);
    dir.holdings(&["sync"]).assert().success();
    assert_eq!(
        server.calls_of("getTokenAccountsByOwner"),
        500,
        "each new owner listed once"
    );

    let (listings, accounts) = (
        server.calls_of("getTokenAccountsByOwner"),
        server.calls_of("getMultipleAccounts"),
    );
    let requests = server.requests();
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(server.calls_of("getMultipleAccounts") - accounts, 6);
    assert_eq!(server.calls_of("getTokenAccountsByOwner"), listings);
    assert_eq!(
        server.requests() - requests,
        1,
        "the six calls in one batch"
    );
    let rows = dir.all_balances();
    assert_eq!(
        rows.len(),
        250 + 250 + 6,
        "SOL, the watched USDC, and BONK where held"
    );
    assert!(rows.iter().all(|row| row["freshness"] == "fresh"));
    assert_eq!(row(&rows, &owners[40], &usdc)["raw"], "3");
    assert_eq!(row(&rows, &owners[41], &usdc)["raw"], "0");
    assert_eq!(row(&rows, &owners[160], &bonk)["raw"], "9");
    assert_eq!(row(&rows, &owners[249], "native")["raw"], "249");
}

/// The second target: 1,000 owners with 3 token accounts each refresh in 40 calls (≤ 40):
/// 4,000 accounts, 100 a call.
#[test]
fn a_thousand_owners_with_three_token_accounts_each_refresh_in_forty_calls() {
    let server = SolanaServer::start();
    let owners: Vec<String> = (0..1_000).map(key).collect();
    let mints: Vec<String> = (0..3).map(|i| key(10_000 + i)).collect();
    server.ledger(|ledger| {
        ledger
            .mints
            .extend(mints.iter().map(|mint| (mint.clone(), 6)));
        for (i, owner) in owners.iter().enumerate() {
            ledger.lamports.insert(owner.clone(), 1);
            for (j, mint) in mints.iter().enumerate() {
                let account = key(20_000 + (i * 3 + j) as u32);
                ledger.token_accounts.push(TokenAccount::new(
                    &account,
                    owner,
                    mint,
                    &(i * 3 + j).to_string(),
                    TOKEN_PROGRAM,
                ));
            }
        }
    });
    let dir = devsol(&server);
    import_owners(&dir, &owners);
    dir.holdings(&["sync"]).assert().success();

    let (listings, accounts) = (
        server.calls_of("getTokenAccountsByOwner"),
        server.calls_of("getMultipleAccounts"),
    );
    dir.holdings(&["preload"]).assert().success();
    assert_eq!(server.calls_of("getMultipleAccounts") - accounts, 40);
    assert_eq!(server.calls_of("getTokenAccountsByOwner"), listings);
    let rows = dir.all_balances();
    assert_eq!(rows.len(), 4_000);
    assert_eq!(row(&rows, &owners[999], &mints[2])["raw"], "2999");
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
    import_owners(&dir, &owners);
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

/// A listing with one account that is no honest token account is believed in no part: the
/// owner's tokens keep their values and accounts, and `discover` says why it found nothing.
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
        let before = without(dir.all_balances(), &["age_seconds"]);
        assert_eq!(row(&before, &owner, &usdc)["raw"], "9");

        server.ledger(|ledger| {
            ledger.token_accounts.push(TokenAccount {
                amount: amount.into(),
                kind,
                ..TokenAccount::new(&key(201), &owner, &usdc, "", TOKEN_PROGRAM)
            });
        });
        let expected = if kind == "account" {
            format!("a token account of {usdc} has no readable amount")
        } else {
            "getTokenAccountsByOwner listed an account that is not a token account".to_owned()
        };
        dir.holdings(&["discover"])
            .assert()
            .code(1)
            .stderr(predicates::str::contains(expected.as_str()));
        assert_eq!(
            without(dir.all_balances(), &["age_seconds"]),
            before,
            "{amount:?}/{kind}: nothing written"
        );

        // The listed account is still the one read: the bad one was never taken in.
        server.ledger(|ledger| ledger.token_accounts[0].amount = "10".into());
        dir.holdings(&["preload"]).assert().success();
        assert_eq!(
            row(&dir.all_balances(), &owner, &usdc)["raw"],
            "10",
            "{amount:?}/{kind}"
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
