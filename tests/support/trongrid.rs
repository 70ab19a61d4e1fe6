//! A local TronGrid-style server for tests (no TRON node can be installed here). It answers as
//! TronGrid's documented HTTP API: `POST /wallet/getnowblock` (`block_header.raw_data.number`),
//! `GET /v1/accounts/{address}` (`{"data":[…],"success":true,"meta":{…}}`, TRX `balance` in sun as a
//! JSON integer left out when zero, `trc20` as a list of one-entry objects of decimal strings, and
//! `"data":[]` for an account that does not exist), and `POST /wallet/triggerconstantcontract`
//! (`constant_result` hex words; `result.code`/`result.message` for a call that could not run; a
//! revert as java-tron reports one, see [`reverted`]; messages as UTF-8 text when the request asked
//! for `visible`, hex-encoded otherwise).
//! Started as a plain node (`TronGrid::start_node`, as publicnode's TRON endpoint is), it has no
//! `/v1/…` paths (404) and answers `POST /wallet/getaccount` (`{"address", "visible": true}`) with
//! the account's base58 `address` and `balance` in sun, left out when zero, or `{}` for an account
//! that does not exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::U256;
use alloy_sol_types::SolValue;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};

pub const BLOCK: u64 = 66_123_456;

/// A TRON address (base58check of 0x41 and 20 bytes) made from a seed.
pub fn address(seed: u8) -> String {
    let mut payload = [seed; 21];
    payload[0] = 0x41;
    bs58::encode(payload).with_check().into_string()
}

#[derive(Debug, Clone, Default)]
pub struct Account {
    /// TRX in sun; `None` leaves the field out, as the API does for zero.
    pub sun: Option<u64>,
    /// The account's TRC-20 list: contract and amount as sent (a decimal string, normally).
    pub trc20: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Contract {
    pub symbol: String,
    /// Empty: the contract has no `name()` (the call reverts).
    pub name: String,
    pub decimals: u8,
    /// `balanceOf` by owner (base58).
    pub balances: HashMap<String, U256>,
    /// `balanceOf` reverts (with a reason) for every owner.
    pub balance_of_reverts: bool,
}

#[derive(Default)]
pub struct Ledger {
    pub accounts: HashMap<String, Account>,
    pub contracts: HashMap<String, Contract>,
}

#[derive(Default)]
struct State {
    /// A plain node: no TronGrid index (`/v1/…`).
    node_only: bool,
    ledger: Mutex<Ledger>,
    paths: Mutex<Vec<String>>,
    /// The `TRON-PRO-API-KEY` header of each request, if it had one.
    keys: Mutex<Vec<Option<String>>>,
}

pub struct TronGrid {
    pub url: String,
    state: Arc<State>,
    _server: super::http::Server,
}

impl TronGrid {
    pub fn start() -> Self {
        Self::start_with(State::default())
    }

    /// A plain TRON node's HTTP API: the node's `/wallet/…` paths, no TronGrid index.
    pub fn start_node() -> Self {
        Self::start_with(State {
            node_only: true,
            ..State::default()
        })
    }

    fn start_with(state: State) -> Self {
        let state = Arc::new(state);
        let serving = state.clone();
        let server = super::http::serve(move |request| handle(serving.clone(), request));
        Self {
            url: format!("http://{}", server.address),
            state,
            _server: server,
        }
    }

    pub fn ledger(&self, change: impl FnOnce(&mut Ledger)) {
        change(&mut self.state.ledger.lock().unwrap());
    }

    /// The API key each request carried.
    pub fn keys(&self) -> Vec<Option<String>> {
        self.state.keys.lock().unwrap().clone()
    }

    /// How many requests went to a path ending in `suffix`.
    pub fn requests_to(&self, suffix: &str) -> usize {
        self.state
            .paths
            .lock()
            .unwrap()
            .iter()
            .filter(|path| path.ends_with(suffix))
            .count()
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let key = request
        .headers()
        .get("TRON-PRO-API-KEY")
        .and_then(|key| key.to_str().ok())
        .map(str::to_owned);
    state.keys.lock().unwrap().push(key);
    let body = request
        .into_body()
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    state.paths.lock().unwrap().push(path.clone());
    let ledger = state.ledger.lock().unwrap();
    let answer = if path == "/wallet/getnowblock" {
        json!({ "blockID": "0000000003f0f1c0", "block_header": { "raw_data": { "number": BLOCK, "timestamp": 1_763_700_000_000u64,
            "version": 31 }, "witness_signature": "00" } })
    } else if path == "/wallet/getaccount" {
        let asked: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let owner = asked["address"].as_str().unwrap_or_default();
        match ledger.accounts.get(owner) {
            None => json!({}),
            Some(account) => {
                let mut entry = json!({ "address": owner, "create_time": 1_600_000_000_000u64 });
                if let Some(sun) = account.sun {
                    entry["balance"] = json!(sun);
                }
                entry
            }
        }
    } else if let Some(owner) = path
        .strip_prefix("/v1/accounts/")
        .filter(|_| !state.node_only)
    {
        let data: Vec<Value> = ledger
            .accounts
            .get(owner)
            .map(|account| {
                let mut entry = json!({ "address": owner, "create_time": 1_600_000_000_000u64,
                    "trc20": account.trc20.iter().map(|(contract, amount)| json!({ contract.clone(): amount })).collect::<Vec<_>>() });
                if let Some(sun) = account.sun {
                    entry["balance"] = json!(sun);
                }
                entry
            })
            .into_iter()
            .collect();
        json!({ "data": data, "success": true, "meta": { "at": 1_763_700_000_000u64, "page_size": data.len() } })
    } else if path == "/wallet/triggerconstantcontract" {
        trigger(
            &ledger,
            &serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    } else {
        return Response::builder()
            .status(404)
            .body(Full::new(Bytes::from_static(b"Not Found")))
            .unwrap();
    };
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(answer.to_string())))
        .unwrap()
}

fn trigger(ledger: &Ledger, call: &Value) -> Value {
    let Some(contract) = call["contract_address"]
        .as_str()
        .and_then(|address| ledger.contracts.get(address))
    else {
        let message = text(call, "Smart contract is not exist.");
        return json!({ "result": { "code": "CONTRACT_VALIDATE_ERROR", "message": message } });
    };
    let word = match call["function_selector"].as_str().unwrap_or_default() {
        "balanceOf(address)" if contract.balance_of_reverts => {
            return reverted(call, "balanceOf is paused");
        }
        "balanceOf(address)" => {
            // The parameter is the owner's 20 bytes in an ABI word; find the owner it encodes.
            let parameter = call["parameter"].as_str().unwrap_or_default();
            let amount = contract
                .balances
                .iter()
                .find(|(owner, _)| {
                    let bytes = bs58::decode(owner).with_check(None).into_vec().unwrap();
                    parameter.ends_with(&alloy_primitives::hex::encode(&bytes[1..]))
                })
                .map(|(_, amount)| *amount)
                .unwrap_or_default();
            amount.abi_encode()
        }
        "decimals()" => U256::from(contract.decimals).abi_encode(),
        "symbol()" => contract.symbol.abi_encode(),
        "name()" if !contract.name.is_empty() => contract.name.abi_encode(),
        _ => return reverted(call, "no such function"),
    };
    json!({ "result": { "result": true }, "energy_used": 900, "constant_result": [alloy_primitives::hex::encode(word)],
        "transaction": { "ret": [{}], "visible": true } })
}

/// java-tron's answer to a call that reverted: the run itself went through (`result.result`),
/// `result.message` says "REVERT opcode executed", `constant_result` carries the revert data
/// (`Error(string)` with the reason), and the transaction's `ret` is FAILED with `contractRet`
/// REVERT. The revert data is 100 bytes: a reader that missed the revert would take a balance
/// from it.
fn reverted(call: &Value, reason: &str) -> Value {
    let mut data = alloy_primitives::hex!("08c379a0").to_vec();
    data.extend(reason.to_owned().abi_encode());
    json!({ "result": { "result": true, "message": text(call, "REVERT opcode executed") }, "energy_used": 300,
        "constant_result": [alloy_primitives::hex::encode(data)],
        "transaction": { "ret": [{ "ret": "FAILED", "contractRet": "REVERT" }], "visible": call["visible"] == true } })
}

/// Text in an answer as java-tron writes it: UTF-8 when the request asked for `visible`, hex if not.
fn text(call: &Value, text: &str) -> String {
    if call["visible"] == true {
        text.to_owned()
    } else {
        alloy_primitives::hex::encode(text)
    }
}
