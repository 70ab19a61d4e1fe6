//! The `holdings` CLI as scripts use it: real binary, real SQLite file in a temp data dir.

mod support;

use predicates::prelude::*;
use serde_json::Value;
use support::DataDir;

const ALICE: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const BOB: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const EVM_CHAINS: [&str; 7] = [
    "ethereum",
    "bsc",
    "polygon",
    "arbitrum",
    "optimism",
    "base",
    "avalanche",
];

fn balances_json(dir: &DataDir, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["balances"];
    all.extend_from_slice(args);
    dir.json(&all).as_array().unwrap().clone()
}

#[test]
fn a_new_evm_address_has_one_never_row_per_evm_chain() {
    let dir = DataDir::new();
    dir.holdings(&["wallet", "add", ALICE]).assert().success();
    let rows = balances_json(&dir, &["--all"]);
    let chains: Vec<&str> = rows
        .iter()
        .map(|row| row["chain"].as_str().unwrap())
        .collect();
    assert_eq!(chains, EVM_CHAINS);
    for row in &rows {
        assert_eq!(row["address"], ALICE);
        assert_eq!(row["asset"], "native");
        assert_eq!(row["freshness"], "never");
        assert_eq!(row["raw"], Value::Null, "never read is not zero");
        assert_eq!(row["amount"], Value::Null);
        assert_eq!(row["error"], Value::Null);
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = [
            "chain",
            "address",
            "asset",
            "symbol",
            "decimals",
            "raw",
            "amount",
            "block",
            "updated_at",
            "age_seconds",
            "freshness",
            "error",
            "pending",
            "price",
            "value",
            "currency",
            "price_updated_at",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
    assert_eq!(rows[1]["symbol"], "BNB");
    assert!(
        balances_json(&dir, &[]).is_empty(),
        "never-read rows are left out without --all"
    );
}

#[test]
fn an_address_of_each_family_finds_its_chain() {
    let dir = DataDir::new();
    for (address, chain) in [
        ("So11111111111111111111111111111111111111112", "solana"),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "tron"),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bitcoin"),
    ] {
        dir.holdings(&["wallet", "add", address]).assert().success();
        let rows = balances_json(&dir, &["--all", "--wallet", address]);
        assert_eq!(rows.len(), 1, "{address}");
        assert_eq!(rows[0]["chain"], chain);
    }
}

#[test]
fn chain_filters_and_labels_are_kept() {
    let dir = DataDir::new();
    let label = "cold storage'); DROP TABLE wallets;-- <b>ü</b>";
    dir.holdings(&[
        "wallet",
        "add",
        &ALICE.to_lowercase(),
        "--chain",
        "base",
        "--chain",
        "optimism",
        "--label",
        label,
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains(ALICE));
    let wallets = dir.json(&["wallet", "list"]);
    assert_eq!(wallets[0]["label"], label);
    assert_eq!(wallets[0]["source"], ALICE, "stored in its EIP-55 form");
    assert_eq!(
        wallets[0]["addresses"][0]["chains"],
        serde_json::json!(["optimism", "base"])
    );
}

#[test]
fn import_takes_every_line_and_its_label() {
    let dir = DataDir::new();
    let file = dir.path().join("wallets.txt");
    std::fs::write(
        &file,
        format!("# my wallets\n{ALICE} hot wallet\n\n{BOB}\n"),
    )
    .unwrap();
    dir.holdings(&[
        "wallet",
        "import",
        file.to_str().unwrap(),
        "--chain",
        "ethereum",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("imported 2"));
    let wallets = dir.json(&["wallet", "list"]);
    assert_eq!(wallets[0]["label"], "hot wallet");
    assert_eq!(wallets[1]["label"], Value::Null);
    assert_eq!(balances_json(&dir, &["--all"]).len(), 2);
}

#[test]
fn a_user_chain_is_added_and_listed() {
    let dir = DataDir::new();
    dir.holdings(&[
        "chain",
        "add",
        "devnet",
        "--family",
        "evm",
        "--chain-id",
        "31337",
        "--rpc",
        "http://127.0.0.1:8545",
        "--rpc",
        "http://127.0.0.1:8546",
        "--no-multicall",
        "--native-symbol",
        "DEV",
    ])
    .assert()
    .success();
    let devnet = dir.chain("devnet");
    assert_eq!(devnet["evm_chain_id"], 31337);
    assert_eq!(devnet["multicall"], Value::Null);
    assert_eq!(devnet["native_symbol"], "DEV");
    assert_eq!(devnet["endpoints"].as_array().unwrap().len(), 2);
    dir.holdings(&["wallet", "add", ALICE, "--chain", "devnet"])
        .assert()
        .success();
    assert_eq!(balances_json(&dir, &["--all"])[0]["symbol"], "DEV");
}

/// Each case: arguments that must fail, and a part of the one line it prints.
#[test]
fn bad_input_fails_with_one_line_and_changes_nothing() {
    let dir = DataDir::new();
    dir.holdings(&["wallet", "add", ALICE, "--chain", "ethereum"])
        .assert()
        .success();
    let missing = dir.path().join("missing.txt");
    let bad_line = dir.path().join("bad-line.txt");
    std::fs::write(&bad_line, format!("{BOB}\n0x1234 broken\n")).unwrap();
    let duplicate_line = dir.path().join("duplicate-line.txt");
    std::fs::write(
        &duplicate_line,
        format!("{BOB}\n\n{}\n", BOB.to_lowercase()),
    )
    .unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let not_text = dir.path().join("binary.bin");
    std::fs::write(&not_text, [0xff, 0xfe, 0x00, 0x80]).unwrap();

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "wallet",
                "add",
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267",
            ],
            "EIP-55 checksum",
        ),
        (
            vec!["wallet", "add", "hello"],
            "not an EVM, Solana, TRON or Bitcoin address",
        ),
        (vec!["wallet", "add", "0x1234"], "40 hex digits"),
        (
            vec!["wallet", "add", ALICE, "--chain", "ethereum"],
            "already registered",
        ),
        (
            vec!["wallet", "add", BOB, "--chain", "nochain"],
            "no chain named \"nochain\"",
        ),
        (
            vec!["wallet", "add", BOB, "--chain", "solana"],
            "the chain solana is Solana",
        ),
        (
            vec![
                "wallet",
                "add",
                "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            ],
            "no active chain",
        ),
        (
            vec!["wallet", "import", missing.to_str().unwrap()],
            "cannot read",
        ),
        (
            vec!["wallet", "import", not_text.to_str().unwrap()],
            "cannot read",
        ),
        (
            vec!["wallet", "import", empty.to_str().unwrap()],
            "has no addresses",
        ),
        (
            vec!["wallet", "import", bad_line.to_str().unwrap()],
            "line 2",
        ),
        (
            vec!["wallet", "import", duplicate_line.to_str().unwrap()],
            "line 3",
        ),
        (
            vec![
                "chain",
                "add",
                "x",
                "--family",
                "evm",
                "--chain-id",
                "5",
                "--rpc",
                "ftp://host",
            ],
            "not an http(s) URL",
        ),
        (
            vec![
                "chain",
                "add",
                "x",
                "--family",
                "evm",
                "--chain-id",
                "5",
                "--rpc",
                "nonsense",
            ],
            "not a URL",
        ),
        (
            vec![
                "chain",
                "add",
                "x",
                "--family",
                "evm",
                "--rpc",
                "http://127.0.0.1:1",
            ],
            "needs --chain-id",
        ),
        (
            vec![
                "chain",
                "add",
                "x",
                "--family",
                "solana",
                "--chain-id",
                "5",
                "--rpc",
                "http://h",
            ],
            "EVM chains only",
        ),
        (
            vec![
                "chain", "add", "Bad Name", "--family", "solana", "--rpc", "http://h",
            ],
            "not a chain name",
        ),
        (
            vec![
                "chain",
                "add",
                "ethereum",
                "--family",
                "evm",
                "--chain-id",
                "1",
                "--rpc",
                "http://h",
            ],
            "exists already",
        ),
        (
            vec![
                "chain", "add", "x", "--family", "cosmos", "--rpc", "http://h",
            ],
            "unknown chain family",
        ),
        (vec!["balances", "--wallet", BOB], "no wallet holds"),
        (
            vec!["chain", "key", "ethereum", "--rpc", "http://127.0.0.1:1"],
            "takes no API key",
        ),
        (
            vec!["chain", "key", "tron", "--rpc", "http://127.0.0.1:1"],
            "has no endpoint",
        ),
    ];
    let before = dir.content();
    for (args, message) in cases {
        let output = dir.holdings(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert_eq!(stderr.lines().count(), 1, "{args:?} printed {stderr:?}");
        assert!(
            stderr.contains(message),
            "{args:?}: {stderr:?} lacks {message:?}"
        );
        assert_eq!(dir.content(), before, "{args:?} changed the database");
    }
}

#[test]
fn hostile_text_is_printed_escaped() {
    let dir = DataDir::new();
    let output = dir
        .holdings(&["wallet", "add", "0x\u{1b}[31mred\nline"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    // The input is named, its escape and newline shown escaped once: no `\\u{1b}`.
    assert_eq!(
        stderr,
        concat!(
            r#"error: cannot add "0x\u{1b}[31mred\nline": "#,
            r"an EVM address is 0x followed by 40 hex digits; '\u{1b}' is not a hex digit",
            "\n"
        )
    );
}

#[test]
fn a_database_from_a_newer_holdings_is_refused_untouched() {
    let dir = DataDir::new();
    dir.holdings(&["wallet", "add", ALICE]).assert().success();
    rusqlite::Connection::open(dir.database())
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let before = dir.content();
    dir.holdings(&["wallet", "list"]).assert().code(1).stderr(
        predicate::str::contains("newer holdings")
            .and(predicate::str::contains("schema version 99")),
    );
    assert_eq!(dir.content(), before);
}

#[test]
fn the_data_dir_comes_from_the_environment_without_the_flag() {
    let dir = DataDir::new();
    let mut command = assert_cmd::Command::cargo_bin("holdings").unwrap();
    command
        .env("HOLDINGS_DATA_DIR", dir.path())
        .args(["wallet", "add", ALICE, "--chain", "base"])
        .assert()
        .success();
    assert!(dir.database().exists());
    assert_eq!(balances_json(&dir, &["--all"]).len(), 1);
}

/// The shipped lists pass the same checks as a user's (EIP-55 checksums included) and land on the
/// chain their file is named for.
#[test]
fn default_token_lists_import_onto_their_chains() {
    let dir = DataDir::new();
    dir.holdings(&["wallet", "add", ALICE]).assert().success();
    let lists = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tokens");
    for chain in EVM_CHAINS {
        let file = lists.join(format!("{chain}.json"));
        let list: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let count = list["tokens"].as_array().unwrap().len();
        dir.holdings(&["token", "import", file.to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "watching {count} new token(s)"
            )));
        let rows = balances_json(&dir, &["--all"]);
        let on_chain: Vec<&Value> = rows
            .iter()
            .filter(|row| row["chain"] == chain && row["asset"] != "native")
            .collect();
        assert_eq!(on_chain.len(), count, "{chain}");
    }
}

#[test]
fn a_bad_token_list_changes_nothing() {
    let dir = DataDir::new();
    let bad_checksum = serde_json::json!({"tokens": [
        {"chainId": 1, "address": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "symbol": "USDC", "name": "USD Coin", "decimals": 6},
        {"chainId": 1, "address": "0xdAC17F958D2ee523a2206206994597C13D831Ec7", "symbol": "USDT", "name": "Tether", "decimals": 6}
    ]});
    let too_many_decimals = serde_json::json!({"tokens": [
        {"chainId": 1, "address": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "symbol": "USDC", "name": "USD Coin", "decimals": 300}
    ]});
    let cases = [
        (bad_checksum.to_string(), "token 2"),
        (too_many_decimals.to_string(), "more than 255"),
        ("{\"tokens\": [".to_owned(), "not a token list"),
    ];
    dir.holdings(&["chain", "list"]).assert().success();
    let before = dir.content();
    for (text, message) in cases {
        let file = dir.path().join("list.json");
        std::fs::write(&file, &text).unwrap();
        let output = dir
            .holdings(&["token", "import", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(message), "{stderr}");
        assert_eq!(stderr.lines().count(), 1);
        assert_eq!(dir.content(), before);
    }
}
