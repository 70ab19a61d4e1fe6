//! `holdings export`: every balance as CSV or JSON, the same as `balances --json --all` shows, with
//! the wallet and its label, and no cell a spreadsheet would run as a formula.

mod support;

use std::collections::BTreeMap;

use alloy_primitives::U256;
use serde_json::Value;
use support::DataDir;
use support::anvil::Anvil;

const ALICE: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const HOSTILE: &str = "=HYPERLINK(\"https://evil.example\",\"Savings\")";

/// (chain, address, asset) → the fields both outputs share.
type Rows = BTreeMap<(String, String, String), Vec<String>>;

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn shared(row: &serde_json::Map<String, Value>) -> ((String, String, String), Vec<String>) {
    let key = (
        text(&row["chain"]),
        text(&row["address"]),
        text(&row["asset"]),
    );
    let fields = [
        "symbol",
        "decimals",
        "raw",
        "amount",
        "block",
        "freshness",
        "price",
        "value",
    ]
    .map(|field| text(&row[field]))
    .to_vec();
    (key, fields)
}

#[test]
fn the_export_holds_every_balance_as_balances_shows_it_and_defuses_formulas() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let usdc = anvil.deploy_token("USDC", "USD Coin", 6);
    let alice = ALICE.parse().unwrap();
    anvil.set_native_balance(alice, U256::from(10).pow(U256::from(18)));
    anvil.set_token_balance(usdc, alice, U256::from(2_500_000));
    let dir = DataDir::new();
    dir.add_devnet(&[&anvil.url]);
    dir.holdings(&["token", "add", "devnet", &usdc.to_string()])
        .assert()
        .success();
    dir.holdings(&[
        "wallet", "add", ALICE, "--chain", "devnet", "--label", HOSTILE,
    ])
    .assert()
    .success();
    dir.holdings(&["sync"]).assert().success();

    let balances: Rows = dir
        .all_balances()
        .iter()
        .map(|row| shared(row.as_object().unwrap()))
        .collect();
    assert_eq!(balances.len(), 2);

    let output = dir
        .holdings(&["export", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let exported: Rows = json
        .as_array()
        .unwrap()
        .iter()
        .map(|row| shared(row.as_object().unwrap()))
        .collect();
    assert_eq!(exported, balances);
    let first = &json.as_array().unwrap()[0];
    assert_eq!(first["label"], HOSTILE, "JSON keeps the label as it is");
    assert_eq!(first["wallet"], ALICE);

    let file = dir.path().join("holdings.csv");
    dir.holdings(&[
        "export",
        "--format",
        "csv",
        "--output",
        file.to_str().unwrap(),
    ])
    .assert()
    .success();
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "wallet",
            "label",
            "chain",
            "address",
            "asset",
            "symbol",
            "decimals",
            "raw",
            "amount",
            "block",
            "read_at",
            "freshness",
            "currency",
            "price",
            "value",
            "price_updated_at"
        ]
    );
    let mut from_csv = Rows::new();
    for record in reader.records() {
        let record = record.unwrap();
        let row: serde_json::Map<String, Value> = header
            .iter()
            .zip(record.iter())
            .map(|(name, cell)| (name.clone(), Value::String(cell.to_owned())))
            .collect();
        assert_eq!(
            &row["label"],
            &format!("'{HOSTILE}"),
            "the formula is escaped"
        );
        from_csv.insert(shared(&row).0, shared(&row).1);
    }
    assert_eq!(from_csv, balances);
}

#[test]
fn an_export_to_a_place_that_cannot_be_written_says_so() {
    let dir = DataDir::new();
    let output = dir
        .holdings(&[
            "export",
            "--format",
            "csv",
            "--output",
            "/nonexistent/dir/x.csv",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot write /nonexistent/dir/x.csv")
    );
}
