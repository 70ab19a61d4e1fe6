//! Shared helpers of the integration tests.
#![allow(dead_code)] // each test binary uses its own part of the support code

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rusqlite::Connection;
use rusqlite::types::Value;

/// The repository's root, whichever package's tests include this support code.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// A data dir of its own for one test, removed when dropped.
pub struct DataDir {
    dir: tempfile::TempDir,
}

impl DataDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn database(&self) -> PathBuf {
        self.dir.path().join("holdings.db")
    }

    /// `holdings --data-dir DIR ARGS...`, ready to run.
    pub fn holdings(&self, args: &[&str]) -> Command {
        let mut command = Command::cargo_bin("holdings").expect("the holdings binary");
        command
            .env_remove("HOLDINGS_DATA_DIR")
            .arg("--data-dir")
            .arg(self.path())
            .args(args);
        command
    }

    /// Adds the EVM chain `devnet` (anvil's chain id, the canonical Multicall3) over `rpcs`, in order.
    pub fn add_devnet(&self, rpcs: &[&str]) {
        self.add_devnet_with(rpcs, &[]);
    }

    /// Adds `devnet` priced as Ethereum is (its tokens as `ethereum:{address}`, its coin as
    /// `coingecko:ethereum`), with prices read from the DefiLlama-style API at `prices`.
    pub fn add_priced_devnet(&self, rpcs: &[&str], prices: &str) {
        let pricing = [
            "--price-platform",
            "ethereum",
            "--native-price-id",
            "ethereum",
        ];
        self.add_devnet_with(rpcs, &pricing);
        self.holdings(&["price", "source", "defillama", "--url", prices])
            .assert()
            .success();
    }

    fn add_devnet_with(&self, rpcs: &[&str], more: &[&str]) {
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
        args.extend(more);
        self.holdings(&args).assert().success();
    }

    /// Adds a chain of a family without chain ids (`solana`, `tron`, `bitcoin`) over `rpc`.
    pub fn add_chain(&self, name: &str, family: &str, rpc: &str) {
        self.holdings(&["chain", "add", name, "--family", family, "--rpc", rpc])
            .assert()
            .success();
    }

    /// Watches `address` on the chain `chain` only.
    pub fn watch(&self, address: &str, chain: &str) {
        self.holdings(&["wallet", "add", address, "--chain", chain])
            .assert()
            .success();
    }

    /// `balances --json --all`, which must succeed.
    pub fn all_balances(&self) -> Vec<serde_json::Value> {
        let output = self
            .holdings(&["balances", "--json", "--all"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// `ARGS… --json`, which must succeed, parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let output = self.holdings(&all).output().unwrap();
        assert!(
            output.status.success(),
            "{all:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// One chain of `chain list --json`, by name.
    pub fn chain(&self, name: &str) -> serde_json::Value {
        let chains = self.json(&["chain", "list"]);
        chains
            .as_array()
            .unwrap()
            .iter()
            .find(|chain| chain["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no chain {name}"))
    }

    /// Every row of every table, and the schema version: what "unchanged" is compared on.
    pub fn content(&self) -> Vec<String> {
        let conn = Connection::open(self.database()).expect("open database");
        let mut content = vec![format!(
            "user_version={}",
            conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
                .unwrap()
        )];
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for table in tables {
            let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = statement.column_count();
            let mut rows: Vec<String> = statement
                .query_map([], |row| {
                    let values: Vec<Value> =
                        (0..columns).map(|i| row.get(i)).collect::<Result<_, _>>()?;
                    Ok(format!("{table}: {values:?}"))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            content.push(format!("{table}: {} rows", rows.len()));
            content.extend(rows);
        }
        content
    }
}

pub mod anvil;
pub mod coingecko;
pub mod contracts;
pub mod defillama;
pub mod electrum;
pub mod esplora;
pub mod hostile;
pub mod http;
pub mod proxy;
pub mod seeded;
pub mod solana;
pub mod trongrid;
