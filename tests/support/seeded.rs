//! Many owners × tokens on a real anvil, every balance a function of its owner and asset so that
//! each row `balances --json` prints can be checked; registered on a devnet in a data dir.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;
use serde_json::{Value, json};

use super::DataDir;
use super::anvil::Anvil;

/// `balanceOf` is the fourth state variable of the test token (after symbol, name, decimals).
pub const BALANCE_SLOT: u64 = 3;

/// Owners are the addresses 0x1000_0001, 0x1000_0002, …, so a row's owner tells its index.
const FIRST_OWNER: u64 = 0x1000_0000;

pub struct Seeded {
    pub anvil: Anvil,
    pub owners: Vec<Address>,
    pub tokens: Vec<Address>,
}

impl Seeded {
    /// Anvil with Multicall3, `owners` funded owners and `tokens` tokens (symbols T0, T1, …) each
    /// of them holds.
    pub fn start(owners: usize, tokens: usize) -> Self {
        let anvil = Anvil::start();
        anvil.install_multicall3();
        let owners: Vec<Address> = (1..=owners as u64)
            .map(|i| Address::from_word(B256::from(U256::from(FIRST_OWNER + i))))
            .collect();
        let tokens: Vec<Address> = (0..tokens)
            .map(|i| anvil.deploy_token(&format!("T{i}"), "Token", 18))
            .collect();
        let seeded = Self {
            anvil,
            owners,
            tokens,
        };
        seeded.seed();
        seeded
    }

    pub fn balances(&self) -> usize {
        self.owners.len() * (self.tokens.len() + 1)
    }

    /// Adds the devnet over `rpcs` to `dir`, imports the owners onto it and watches the tokens.
    pub fn register(&self, dir: &DataDir, rpcs: &[&str]) {
        let run = |args: &[&str]| {
            let output = dir.holdings(args).output().unwrap();
            assert!(
                output.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        dir.add_devnet(rpcs);
        let wallets = dir.path().join("wallets.txt");
        let lines: Vec<String> = self.owners.iter().map(ToString::to_string).collect();
        std::fs::write(&wallets, lines.join("\n")).unwrap();
        run(&[
            "wallet",
            "import",
            wallets.to_str().unwrap(),
            "--chain",
            "devnet",
        ]);
        let list = json!({ "name": "seeded", "tokens": self.tokens.iter().enumerate().map(|(i, token)| json!({
            "chainId": 31337, "address": token.to_string(), "symbol": format!("T{i}"), "name": "Token", "decimals": 18
        })).collect::<Vec<_>>() });
        let list_file = dir.path().join("tokens.json");
        std::fs::write(&list_file, list.to_string()).unwrap();
        run(&["token", "import", list_file.to_str().unwrap()]);
    }

    /// Native balances with `anvil_setBalance`, token balances straight into the `balanceOf`
    /// slots: thousands of writes in a few batched requests.
    fn seed(&self) {
        let mut calls = Vec::new();
        for (i, owner) in self.owners.iter().enumerate() {
            let index = i as u64 + 1;
            calls.push(("anvil_setBalance", json!([owner, amount_for(index, 0)])));
            for (t, token) in self.tokens.iter().enumerate() {
                let slot = keccak256((*owner, U256::from(BALANCE_SLOT)).abi_encode());
                let value = B256::from(amount_for(index, t as u64 + 1));
                calls.push(("anvil_setStorageAt", json!([token, slot, value])));
            }
        }
        self.anvil.batch(&calls);
    }
}

/// Seeded amounts are a function of the owner's index and the asset (0 the native coin, then the
/// tokens from 1), so every row can be checked.
fn amount_for(owner_index: u64, asset: u64) -> U256 {
    U256::from(owner_index * 1_000 + asset)
}

/// The raw amount a row of `balances --json` must show.
pub fn expected_raw(row: &Value) -> Value {
    let owner: Address = row["address"].as_str().unwrap().parse().unwrap();
    let index = U256::from_be_slice(owner.as_slice()).to::<u64>() - FIRST_OWNER;
    let asset = match row["symbol"].as_str().unwrap() {
        "ETH" => 0,
        symbol => symbol[1..].parse::<u64>().unwrap() + 1,
    };
    json!(amount_for(index, asset).to_string())
}

/// Of `balances --json --all` rows: how many hold a value, and how many hold a wrong one (a value
/// that is not the seeded one, or a value shown without being read).
pub fn read_and_wrong(rows: &[Value]) -> (usize, usize) {
    let read = rows.iter().filter(|row| !row["raw"].is_null()).count();
    let wrong = rows
        .iter()
        .filter(|row| !row["raw"].is_null() && row["raw"] != expected_raw(row))
        .count();
    (read, wrong)
}
