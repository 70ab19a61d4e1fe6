//! A real anvil node for a test: the binary from the npm package `@foundry-rs/anvil-linux-amd64`
//! (installed by `scripts/setup`), on a free port, killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

pub struct Anvil {
    child: Child,
    pub url: String,
}

/// The first of anvil's well-known dev accounts, unlocked, with 10,000 ETH.
pub const FUNDED: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

fn binary() -> PathBuf {
    let path = super::workspace_root().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        path.exists(),
        "anvil is missing at {}: run scripts/setup",
        path.display()
    );
    path
}

impl Anvil {
    /// Starts anvil with the EIP-7825 gas cap that mainnet nodes enforce.
    pub fn start() -> Self {
        Self::start_with(&["--enable-tx-gas-limit"])
    }

    pub fn start_with(extra: &[&str]) -> Self {
        let mut child = Command::new(binary())
            .args(["--port", "0", "--host", "127.0.0.1", "--chain-id", "31337"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start anvil");
        // anvil prints "Listening on 127.0.0.1:PORT" once it accepts connections.
        let stdout = child.stdout.take().expect("anvil's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("anvil exited before listening")
                .expect("read anvil's output");
            if let Some(address) = line.strip_prefix("Listening on ") {
                break address.trim().to_owned();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            url: format!("http://{address}"),
        }
    }

    /// Sends the node these calls in batches of a thousand; panics on any error answer.
    pub fn batch(&self, calls: &[(&str, Value)]) {
        let client = reqwest::blocking::Client::new();
        for batch in calls.chunks(1_000) {
            let body: Vec<Value> = batch
                .iter()
                .enumerate()
                .map(|(id, (method, params))| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
                .collect();
            let answers: Vec<Value> = client
                .post(&self.url)
                .json(&body)
                .send()
                .unwrap()
                .json()
                .unwrap();
            assert!(
                answers.iter().all(|answer| answer.get("error").is_none()),
                "a batch failed"
            );
        }
    }

    /// One JSON-RPC call, straight to the node; panics on an error answer.
    pub fn rpc(&self, method: &str, params: Value) -> Value {
        rpc(&self.url, method, params)
    }
}

/// One JSON-RPC call over a blocking client, on a thread of its own so that async tests may call it.
pub fn rpc(url: &str, method: &str, params: Value) -> Value {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let answer: Value = reqwest::blocking::Client::new()
                    .post(url)
                    .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }))
                    .send()
                    .expect("send to anvil")
                    .json()
                    .expect("a JSON answer");
                assert!(answer.get("error").is_none(), "{method} failed: {answer}");
                answer["result"].clone()
            })
            .join()
            .expect("the RPC thread")
    })
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
