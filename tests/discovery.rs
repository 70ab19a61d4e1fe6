//! Tokens found without configuration: the bundled candidate lists of a new data dir, discovery of
//! the candidates each address holds (against a real anvil, requests counted at a proxy), tokens
//! added by contract on every family, and found tokens on no list kept out of the way.

mod support;

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use serde_json::Value;
use support::DataDir;
use support::anvil::Anvil;
use support::proxy::Proxy;

const CANDIDATES: usize = 300;
const OWNERS: u8 = 50;

/// Owner `k` holds three of the candidates, each an amount of its own.
fn holdings_of(owner: u8) -> [(usize, U256); 3] {
    let k = usize::from(owner);
    [
        ((k * 7) % CANDIDATES, U256::from(1_000 * k + 1)),
        ((k * 7 + 1) % CANDIDATES, U256::from(1_000 * k + 2)),
        (
            (k * 13 + 152) % CANDIDATES,
            U256::from(10).pow(U256::from(30)) + U256::from(k),
        ),
    ]
}

fn owner(k: u8) -> Address {
    Address::repeat_byte(k)
}

/// A token list of `tokens` on anvil's chain.
fn list(dir: &DataDir, tokens: &[Address]) -> String {
    let list = serde_json::json!({
        "name": "test candidates",
        "tokens": tokens.iter().enumerate().map(|(i, address)| serde_json::json!({
            "chainId": 31337, "address": address.to_string(), "symbol": format!("T{i}"),
            "name": format!("Token {i}"), "decimals": 18
        })).collect::<Vec<_>>()
    });
    let file = dir.path().join("candidates.json");
    std::fs::write(&file, list.to_string()).unwrap();
    file.to_str().unwrap().to_owned()
}

/// Token rows of `balances --json` (with `extra` flags), as (owner, token) → raw.
fn token_rows(dir: &DataDir, extra: &[&str]) -> BTreeMap<(String, String), String> {
    let mut args = vec!["balances"];
    args.extend(extra);
    dir.json(&args)
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["asset"] != "native")
        .map(|row| {
            (
                (
                    row["address"].as_str().unwrap().to_owned(),
                    row["asset"].as_str().unwrap().to_owned(),
                ),
                row["raw"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_new_data_dir_checks_its_addresses_for_the_bundled_tokens() {
    let dir = DataDir::new();
    let tokens = dir.json(&["token", "list", "--chain", "ethereum"]);
    let tokens = tokens.as_array().unwrap();
    assert!(tokens.len() > 1_000, "{} on Ethereum", tokens.len());
    let usdc = tokens
        .iter()
        .find(|token| token["address"] == "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
        .expect("USDC is a candidate");
    assert_eq!(usdc["symbol"], "USDC");
    assert_eq!(usdc["decimals"], 6);
    assert_eq!(usdc["mode"], "candidate");
    assert_eq!(usdc["verified"], true);
    assert_eq!(usdc["hidden"], false);

    let all = dir.json(&["token", "list"]);
    let count_on = |chain: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .filter(|token| token["chain"] == chain && token["mode"] == "candidate")
            .count()
    };
    for chain in ["bsc", "polygon", "arbitrum", "optimism", "avalanche"] {
        assert!(count_on(chain) >= 100, "{chain}: {}", count_on(chain));
    }
    assert!(count_on("base") > 1_000);
    let optimism = all.as_array().unwrap().iter().find(|token| {
        token["chain"] == "optimism"
            && token["address"] == "0x01bFF41798a0BcF287b996046Ca68b395DbC1071"
    });
    assert_eq!(optimism.unwrap()["symbol"], "USDT0");
    let polygon_usdt = all.as_array().unwrap().iter().find(|token| {
        token["chain"] == "polygon"
            && token["address"] == "0xc2132D05D31c914a87C6611C10748AEb04B58e8F"
    });
    assert_eq!(polygon_usdt.unwrap()["name"], "USDT0");

    // A new address gets rows for what is watched (the native coins), not for the candidates.
    dir.holdings(&[
        "wallet",
        "add",
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    ])
    .assert()
    .success();
    let rows = dir.all_balances();
    assert!(rows.iter().all(|row| row["asset"] == "native"), "{rows:?}");
}

#[test]
fn one_sync_finds_exactly_the_held_tokens_and_discover_finds_one_received_later() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let tokens: Vec<Address> = (0..CANDIDATES)
        .map(|i| anvil.deploy_token(&format!("T{i}"), &format!("Token {i}"), 18))
        .collect();
    for k in 1..=OWNERS {
        for (token, amount) in holdings_of(k) {
            anvil.set_token_balance(tokens[token], owner(k), amount);
        }
    }
    let proxy = Proxy::start(&anvil.url);
    let dir = DataDir::new();
    dir.add_devnet(&[&proxy.url]);
    let owners = dir.path().join("owners.txt");
    let lines: Vec<String> = (1..=OWNERS).map(|k| owner(k).to_string()).collect();
    std::fs::write(&owners, lines.join("\n")).unwrap();
    let imported = dir
        .holdings(&[
            "wallet",
            "import",
            owners.to_str().unwrap(),
            "--chain",
            "devnet",
        ])
        .output()
        .unwrap();
    assert!(imported.status.success());
    let file = list(&dir, &tokens);
    dir.holdings(&["token", "import", &file, "--discover"])
        .assert()
        .success()
        .stdout(predicates::str::contains("looking for 300 new token(s)"));
    assert!(
        token_rows(&dir, &["--all"]).is_empty(),
        "candidates have no rows yet"
    );

    proxy.reset_counts();
    let output = dir.holdings(&["sync"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("150 token(s) found"), "{stdout}");
    let requests = proxy.requests();
    assert!(
        requests <= 10,
        "{requests} requests for 50 addresses × 300 candidates"
    );
    let expected: BTreeMap<(String, String), String> = (1..=OWNERS)
        .flat_map(|k| {
            holdings_of(k).map(|(token, amount)| {
                (
                    (owner(k).to_string(), tokens[token].to_string()),
                    amount.to_string(),
                )
            })
        })
        .collect();
    assert_eq!(expected.len(), 150);
    assert_eq!(
        token_rows(&dir, &["--all"]),
        expected,
        "exactly the held tokens, exact, and no row for the others"
    );

    // Received later: not due again so soon at a sync, found at once by `discover`.
    let late = (tokens[299], owner(1), U256::from(77));
    assert!(!expected.contains_key(&(late.1.to_string(), late.0.to_string())));
    anvil.set_token_balance(late.0, late.1, late.2);
    proxy.reset_counts();
    dir.holdings(&["sync"]).assert().success();
    assert!(!token_rows(&dir, &["--all"]).contains_key(&(late.1.to_string(), late.0.to_string())));
    dir.holdings(&["discover", "--chain", "devnet"])
        .assert()
        .success()
        .stdout(predicates::str::contains("devnet: 1 token(s) found"));
    assert_eq!(
        token_rows(&dir, &["--all"])[&(late.1.to_string(), late.0.to_string())],
        "77"
    );

    // Spent later: the row stays, zero, under --all only.
    let (spent, _) = holdings_of(2)[2];
    anvil.set_token_balance(tokens[spent], owner(2), U256::ZERO);
    dir.holdings(&["preload"]).assert().success();
    let key = (owner(2).to_string(), tokens[spent].to_string());
    assert!(!token_rows(&dir, &[]).contains_key(&key));
    assert_eq!(token_rows(&dir, &["--all"])[&key], "0");
}

#[test]
fn a_failed_discovery_records_nothing_and_removes_nothing() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let token = anvil.deploy_token("HELD", "Held", 18);
    let unheld = anvil.deploy_token("NOPE", "Not held", 18);
    anvil.set_token_balance(
        token,
        owner(1),
        U256::from(5) * U256::from(10).pow(U256::from(18)),
    );
    let proxy = Proxy::start(&anvil.url);
    let dir = DataDir::new();
    dir.add_devnet(&[&proxy.url]);
    dir.holdings(&["wallet", "add", &owner(1).to_string(), "--chain", "devnet"])
        .assert()
        .success();
    let file = list(&dir, &[token, unheld]);
    dir.holdings(&["token", "import", &file, "--discover"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();
    let found = token_rows(&dir, &["--all"]);
    assert_eq!(found.len(), 1);

    // What discovery knows: rows, assets and checks (endpoints may be marked offline).
    let known = |dir: &DataDir| -> Vec<String> {
        dir.content()
            .into_iter()
            .filter(|line| {
                ["balances:", "assets:", "discovery_checks:"]
                    .iter()
                    .any(|table| line.starts_with(table))
            })
            .collect()
    };
    drop(anvil);
    let before = known(&dir);
    let output = dir.holdings(&["discover"]).output().unwrap();
    assert!(!output.status.success(), "nothing could be read");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nothing could be read"), "{stderr}");
    assert_eq!(known(&dir), before, "a failed discovery writes nothing");
    assert_eq!(token_rows(&dir, &["--all"]), found, "and removes nothing");
}

#[test]
fn a_token_whose_decimals_lie_is_not_added() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let liar = anvil.deploy_token("LIE", "Liar", 78);
    let dir = DataDir::new();
    dir.add_devnet(&[&anvil.url]);
    let before = dir.content();
    let output = dir
        .holdings(&["token", "add", "devnet", &liar.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("claims 78 decimals; at most 77"),
        "{stderr}"
    );
    assert_eq!(dir.content(), before);
}

#[test]
fn a_token_list_entry_with_impossible_decimals_refuses_the_list() {
    let dir = DataDir::new();
    let file = dir.path().join("list.json");
    let list = serde_json::json!({"tokens": [
        {"chainId": 1, "address": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "symbol": "USDC", "name": "USD Coin", "decimals": 6},
        {"chainId": 1, "address": "0x6B175474E89094C44Da98b954EedeAC495271d0F", "symbol": "DAI", "name": "Dai", "decimals": 78}
    ]});
    std::fs::write(&file, list.to_string()).unwrap();
    dir.holdings(&["chain", "list"]).assert().success();
    let before = dir.content();
    for flags in [&[][..], &["--discover"][..]] {
        let mut args = vec!["token", "import", file.to_str().unwrap()];
        args.extend(flags);
        let output = dir.holdings(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains("token 2") && stderr.contains("more than 77"),
            "{stderr}"
        );
        assert_eq!(dir.content(), before);
    }
}

fn token_of<'a>(tokens: &'a Value, address: &str) -> &'a Value {
    tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["address"] == address)
        .unwrap_or_else(|| panic!("no token {address} in {tokens}"))
}

#[test]
fn a_trc20_contract_is_added_with_its_metadata_and_watched_by_every_address() {
    use support::trongrid::{Account, Contract, TronGrid, address};

    let server = TronGrid::start();
    let contract = address(200);
    let holder = address(1);
    let other = address(2);
    server.ledger(|ledger| {
        ledger.contracts.insert(
            contract.clone(),
            Contract {
                symbol: "JST".into(),
                name: "JUST".into(),
                decimals: 18,
                balances: [(holder.clone(), U256::from(9))].into(),
                ..Contract::default()
            },
        );
        ledger.accounts.insert(
            holder.clone(),
            Account {
                sun: Some(1),
                trc20: vec![],
            },
        );
    });
    let dir = DataDir::new();
    dir.add_chain("devtron", "tron", &server.url);
    for owner in [&holder, &other] {
        dir.watch(owner, "devtron");
    }
    dir.holdings(&["token", "add", "devtron", &contract])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "watching JST (JUST, 18 decimals)",
        ));
    let tokens = dir.json(&["token", "list", "--chain", "devtron"]);
    let added = token_of(&tokens, &contract);
    assert_eq!(added["mode"], "watched");
    assert_eq!(added["verified"], true);

    dir.holdings(&["preload"]).assert().success();
    let rows = token_rows(&dir, &["--all"]);
    assert_eq!(rows[&(holder.clone(), contract.clone())], "9");
    assert_eq!(
        rows[&(other.clone(), contract.clone())],
        "0",
        "an owner without it shows 0"
    );

    let before = dir.content();
    let output = dir
        .holdings(&["token", "add", "devtron", &address(201)])
        .output()
        .unwrap();
    assert!(!output.status.success(), "no contract there");
    assert_eq!(dir.content(), before);
}

#[test]
fn a_solana_mint_is_added_and_an_account_that_is_no_mint_refused() {
    use support::solana::SolanaServer;

    let server = SolanaServer::start();
    let mint = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
    let wallet = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
    server.ledger(|ledger| {
        ledger.mints.insert(mint.into(), 6);
        ledger.lamports.insert(wallet.into(), 5);
    });
    let dir = DataDir::new();
    dir.add_chain("devsol", "solana", &server.url);
    dir.watch(wallet, "devsol");
    dir.holdings(&["token", "add", "devsol", mint])
        .assert()
        .success()
        .stdout(predicates::str::contains("6 decimals"));
    let tokens = dir.json(&["token", "list", "--chain", "devsol"]);
    assert_eq!(token_of(&tokens, mint)["mode"], "watched");

    let before = dir.content();
    let output = dir
        .holdings(&["token", "add", "devsol", wallet])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("not a mint account"), "{stderr}");
    assert_eq!(dir.content(), before);
}

#[test]
fn a_token_found_held_on_no_list_is_unverified_hidden_and_can_be_shown() {
    use support::solana::{SolanaServer, TOKEN_PROGRAM, TokenAccount};

    let server = SolanaServer::start();
    let owner = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
    let lure = "So11111111111111111111111111111111111111112";
    server.ledger(|ledger| {
        ledger.lamports.insert(owner.into(), 5);
        ledger.mints.insert(lure.into(), 9);
        ledger.token_accounts.push(TokenAccount::new(
            "Gh9ZwEmdLJ8DscKNTkTqPbNwLNNBjuSzaG9Vp2KGtKJr",
            owner,
            lure,
            "1000",
            TOKEN_PROGRAM,
        ));
    });
    let dir = DataDir::new();
    dir.add_chain("devsol", "solana", &server.url);
    dir.watch(owner, "devsol");
    dir.holdings(&["sync"]).assert().success();

    let tokens = dir.json(&["token", "list", "--chain", "devsol"]);
    let found = token_of(&tokens, lure);
    assert_eq!(found["verified"], false);
    assert_eq!(found["hidden"], true);
    assert_eq!(found["mode"], "candidate");
    let key = (owner.to_owned(), lure.to_owned());
    assert!(
        !token_rows(&dir, &[]).contains_key(&key),
        "hidden unless --all"
    );
    assert_eq!(token_rows(&dir, &["--all"])[&key], "1000");

    dir.holdings(&["token", "show", "devsol", lure])
        .assert()
        .success();
    assert_eq!(
        token_rows(&dir, &[])[&key],
        "1000",
        "shown once the user says so"
    );
    let missing = dir
        .holdings(&["token", "hide", "devsol", owner])
        .output()
        .unwrap();
    assert!(!missing.status.success(), "no such token");
}
