//! The Solidity fixtures of `tests/contracts/`, compiled once per test binary with the npm `solc`
//! (offline), and deployed to anvil from its unlocked dev account.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolValue, sol};
use serde_json::{Value, json};

use super::anvil::{Anvil, FUNDED};

/// Multicall3's canonical address.
pub const MULTICALL3: &str = "0xcA11bde05977b3631167028862bE2a173976CA11";

sol! {
    function setBalance(address owner, uint256 amount);
}

/// Creation and runtime code of every fixture contract, by name.
pub struct Compiled {
    creation: HashMap<String, Vec<u8>>,
    runtime: HashMap<String, Vec<u8>>,
}

pub fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(compile)
}

fn compile() -> Compiled {
    let root = super::workspace_root();
    let mut sources = serde_json::Map::new();
    for file in ["Multicall3.sol", "Tokens.sol"] {
        let content =
            std::fs::read_to_string(root.join("tests/contracts").join(file)).expect("read fixture");
        sources.insert(file.into(), json!({ "content": content }));
    }
    let input = json!({
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": { "enabled": true, "runs": 200 },
            "evmVersion": "cancun",
            "outputSelection": { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] } }
        }
    });
    let solc = root.join("node_modules/.bin/solcjs");
    assert!(
        solc.exists(),
        "solc is missing at {}: run scripts/setup",
        solc.display()
    );
    let mut child = Command::new(solc)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start solc");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("solc output");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    // solcjs may print a note before the JSON.
    let output: Value =
        serde_json::from_str(&text[text.find('{').expect("JSON output")..]).expect("solc JSON");
    let errors: Vec<&Value> = output["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter(|error| error["severity"] == "error")
                .collect()
        })
        .unwrap_or_default();
    assert!(errors.is_empty(), "the fixtures do not compile: {errors:?}");
    let mut compiled = Compiled {
        creation: HashMap::new(),
        runtime: HashMap::new(),
    };
    for contracts in output["contracts"].as_object().unwrap().values() {
        for (name, contract) in contracts.as_object().unwrap() {
            let hex = |field: &str| {
                alloy_primitives::hex::decode(contract["evm"][field]["object"].as_str().unwrap())
                    .unwrap()
            };
            compiled.creation.insert(name.clone(), hex("bytecode"));
            compiled
                .runtime
                .insert(name.clone(), hex("deployedBytecode"));
        }
    }
    compiled
}

impl Anvil {
    /// Deploys a fixture with ABI-encoded constructor arguments; returns its address.
    pub fn deploy(&self, contract: &str, constructor_args: &[u8]) -> Address {
        let mut data = compiled()
            .creation
            .get(contract)
            .unwrap_or_else(|| panic!("no fixture {contract}"))
            .clone();
        data.extend_from_slice(constructor_args);
        let receipt = self.transact(json!({ "from": FUNDED, "data": Bytes::from(data) }));
        assert_eq!(receipt["status"], "0x1", "deploying {contract} failed");
        receipt["contractAddress"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Deploys the standard test token.
    pub fn deploy_token(&self, symbol: &str, name: &str, decimals: u8) -> Address {
        self.deploy(
            "Token",
            &(symbol.to_owned(), name.to_owned(), U256::from(decimals)).abi_encode_params(),
        )
    }

    /// Puts Multicall3 at its canonical address.
    pub fn install_multicall3(&self) {
        let code = Bytes::from(compiled().runtime["Multicall3"].clone());
        self.rpc("anvil_setCode", json!([MULTICALL3, code]));
    }

    pub fn set_token_balance(&self, token: Address, owner: Address, amount: U256) {
        let data = Bytes::from(alloy_sol_types::SolCall::abi_encode(&setBalanceCall {
            owner,
            amount,
        }));
        let receipt = self.transact(json!({ "from": FUNDED, "to": token, "data": data }));
        assert_eq!(receipt["status"], "0x1", "setting a token balance failed");
    }

    /// Sends `transaction` and returns its receipt once it is mined. Anvil mines a transaction as
    /// it is sent, but answers with its hash before the block is in: on a busy machine the receipt
    /// is `null` for a moment, and a read that soon would see the state before it.
    fn transact(&self, transaction: Value) -> Value {
        let hash = self.rpc("eth_sendTransaction", json!([transaction]));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "transaction {hash} not mined in 30 s"
            );
            std::thread::yield_now();
        }
    }

    pub fn set_native_balance(&self, owner: Address, amount: U256) {
        self.rpc("anvil_setBalance", json!([owner, amount]));
    }
}
