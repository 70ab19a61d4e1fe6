//! A local Solana JSON-RPC server for tests (no Solana node can be installed here). It answers as
//! the documented methods of the public RPC API do — `getMultipleAccounts` (base64 of each
//! account's data, cut to the `dataSlice` asked for as the validator cuts it: empty past the data's
//! end; or jsonParsed for mints, falling back to base64 for accounts no parser knows, as the
//! documentation says), `getTokenAccountsByOwner` (jsonParsed) — with the same field
//! names, nesting and number encodings: lamports as JSON integers, token amounts as decimal strings,
//! a `context.slot` on every answer, `null` for an account that does not exist, and the documented
//! error for more than 100 keys (`-32602 "Too many inputs provided; max 100"`). Token accounts hold
//! the SPL Token layout (mint, owner, then the amount as a little-endian u64 at byte 64, 165 bytes
//! in all), mints the Mint layout (decimals at byte 44, 82 bytes). Batches are served like single
//! requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};

pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
pub const SLOT: u64 = 341_197_053;
/// The genesis hash the server reports unless a test sets another.
pub const TEST_GENESIS: &str = "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY";

#[derive(Debug, Clone)]
pub struct TokenAccount {
    pub pubkey: String,
    pub owner: String,
    pub mint: String,
    /// As the API sends it: a decimal string (a test may make it anything else).
    pub amount: String,
    pub program: &'static str,
    /// The parsed type the API reports: `"account"` for a token account.
    pub kind: &'static str,
}

impl TokenAccount {
    /// The account's data in the SPL Token layout: mint, owner, amount (little-endian), then the
    /// rest zeroed, 165 bytes. An amount a test made no u64 cuts the data short before it, so
    /// that the slice read is garbled as the listing is.
    fn data(&self) -> Vec<u8> {
        let key = |text: &str| {
            let mut bytes = bs58::decode(text).into_vec().unwrap_or_default();
            bytes.resize(32, 0);
            bytes
        };
        let mut data = key(&self.mint);
        data.extend(key(&self.owner));
        if let Ok(amount) = self.amount.parse::<u64>() {
            data.extend(amount.to_le_bytes());
            data.resize(165, 0);
        }
        data
    }

    pub fn new(pubkey: &str, owner: &str, mint: &str, amount: &str, program: &'static str) -> Self {
        Self {
            pubkey: pubkey.into(),
            owner: owner.into(),
            mint: mint.into(),
            amount: amount.into(),
            program,
            kind: "account",
        }
    }
}

#[derive(Debug, Default)]
pub struct Ledger {
    pub lamports: HashMap<String, u64>,
    pub token_accounts: Vec<TokenAccount>,
    /// Mint → decimals.
    pub mints: HashMap<String, u8>,
    /// Answer every request with HTTP 429 and this Retry-After, while set.
    pub rate_limited: Option<u64>,
    /// The cluster's genesis hash (`getGenesisHash`); empty means the local test cluster's.
    pub genesis: String,
}

#[derive(Default)]
struct State {
    ledger: Mutex<Ledger>,
    calls: Mutex<Vec<String>>,
    requests: Mutex<usize>,
}

pub struct SolanaServer {
    pub url: String,
    state: Arc<State>,
    _server: super::http::Server,
}

impl SolanaServer {
    pub fn start() -> Self {
        let state = Arc::new(State::default());
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

    /// How many calls of `method` were made.
    pub fn calls_of(&self, method: &str) -> usize {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|call| *call == method)
            .count()
    }

    pub fn requests(&self) -> usize {
        *self.state.requests.lock().unwrap()
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let body = request
        .into_body()
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    *state.requests.lock().unwrap() += 1;
    if let Some(seconds) = state.ledger.lock().unwrap().rate_limited {
        let response = Response::builder()
            .status(429)
            .header("retry-after", seconds.to_string())
            .body(Full::new(Bytes::from_static(
                b"Too many requests for a specific RPC call",
            )))
            .unwrap();
        return response;
    }
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = match &parsed {
        Value::Array(calls) => {
            Value::Array(calls.iter().map(|call| answer(&state, call)).collect())
        }
        call => answer(&state, call),
    };
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(&answer).unwrap())))
        .unwrap()
}

fn answer(state: &State, call: &Value) -> Value {
    let method = call["method"].as_str().unwrap_or_default();
    state.calls.lock().unwrap().push(method.to_owned());
    let ledger = state.ledger.lock().unwrap();
    let result = match method {
        "getMultipleAccounts" => multiple_accounts(&ledger, &call["params"]),
        "getTokenAccountsByOwner" => Ok(token_accounts(&ledger, &call["params"])),
        "getGenesisHash" if ledger.genesis.is_empty() => Ok(json!(TEST_GENESIS)),
        "getGenesisHash" => Ok(json!(ledger.genesis)),
        _ => Err(json!({ "code": -32601, "message": "Method not found" })),
    };
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "result": result, "id": call["id"] }),
        Err(error) => json!({ "jsonrpc": "2.0", "error": error, "id": call["id"] }),
    }
}

fn context() -> Value {
    json!({ "apiVersion": "2.0.15", "slot": SLOT })
}

fn multiple_accounts(ledger: &Ledger, params: &Value) -> Result<Value, Value> {
    let keys = params[0].as_array().cloned().unwrap_or_default();
    if keys.len() > 100 {
        return Err(json!({ "code": -32602, "message": "Too many inputs provided; max 100" }));
    }
    let parsed = params[1]["encoding"] == "jsonParsed";
    let slice = &params[1]["dataSlice"];
    let cut = |data: Vec<u8>| -> String {
        let data = match (slice["offset"].as_u64(), slice["length"].as_u64()) {
            (Some(offset), Some(length)) => {
                let start = (offset as usize).min(data.len());
                let end = start.saturating_add(length as usize).min(data.len());
                data[start..end].to_vec()
            }
            _ => data,
        };
        BASE64.encode(data)
    };
    let value: Vec<Value> = keys
        .iter()
        .map(|key| {
            let key = key.as_str().unwrap_or_default();
            if let Some(decimals) = ledger.mints.get(key) {
                let program = mint_program(ledger, key);
                let data = if parsed {
                    json!({ "parsed": { "info": { "decimals": decimals, "freezeAuthority": null, "isInitialized": true,
                        "mintAuthority": null, "supply": "1000000000" }, "type": "mint" }, "program": "spl-token", "space": 82 })
                } else {
                    let mut data = vec![0u8; 82];
                    data[44] = *decimals;
                    data[45] = 1;
                    json!([cut(data), "base64"])
                };
                return Some(json!({ "data": data, "executable": false, "lamports": 1_461_600,
                    "owner": program, "rentEpoch": u64::MAX, "space": 82 }));
            }
            if let Some(account) = ledger.token_accounts.iter().find(|account| account.pubkey == key) {
                // jsonParsed is not served for token accounts here: the reader never asks for it.
                return Some(json!({ "data": [cut(account.data()), "base64"], "executable": false,
                    "lamports": 2_039_280, "owner": account.program, "rentEpoch": u64::MAX, "space": 165 }));
            }
            ledger.lamports.get(key).map(|lamports| {
                json!({ "data": [cut(Vec::new()), "base64"], "executable": false, "lamports": lamports,
                    "owner": "11111111111111111111111111111111", "rentEpoch": u64::MAX, "space": 0 })
            })
        })
        .map(|account| account.unwrap_or(Value::Null))
        .collect();
    Ok(json!({ "context": context(), "value": value }))
}

/// The program that owns a mint: the one its token accounts belong to.
fn mint_program(ledger: &Ledger, mint: &str) -> &'static str {
    ledger
        .token_accounts
        .iter()
        .find(|account| account.mint == mint)
        .map_or(TOKEN_PROGRAM, |account| account.program)
}

fn token_accounts(ledger: &Ledger, params: &Value) -> Value {
    let owner = params[0].as_str().unwrap_or_default();
    let program = params[1]["programId"].as_str().unwrap_or_default();
    let value: Vec<Value> = ledger
        .token_accounts
        .iter()
        .filter(|account| account.owner == owner && account.program == program)
        .map(|account| {
            let decimals = ledger.mints.get(&account.mint).copied().unwrap_or(0);
            json!({
                "account": {
                    "data": { "parsed": { "info": { "isNative": false, "mint": account.mint, "owner": account.owner,
                        "state": "initialized", "tokenAmount": { "amount": account.amount, "decimals": decimals,
                        "uiAmount": ui_amount(&account.amount, decimals), "uiAmountString": ui_amount_string(&account.amount, decimals) } }, "type": account.kind },
                        "program": if program == TOKEN_PROGRAM { "spl-token" } else { "spl-token-2022" }, "space": 165 },
                    "executable": false, "lamports": 2_039_280, "owner": program, "rentEpoch": u64::MAX, "space": 165
                },
                "pubkey": account.pubkey
            })
        })
        .collect();
    json!({ "context": context(), "value": value })
}

/// `uiAmountString`: the amount in whole tokens, as the RPC writes it — the raw count with the
/// mint's decimals put in, trailing zeros and a bare point trimmed ("1500000", 6 → "1.5"). An
/// amount a test made garbled is sent as it is.
fn ui_amount_string(amount: &str, decimals: u8) -> String {
    if amount.is_empty() || !amount.bytes().all(|byte| byte.is_ascii_digit()) {
        return amount.to_owned();
    }
    let decimals = usize::from(decimals);
    let digits = format!("{amount:0>width$}", width = decimals + 1);
    let (whole, fraction) = digits.split_at(digits.len() - decimals);
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    match fraction.trim_end_matches('0') {
        "" => whole.to_owned(),
        fraction => format!("{whole}.{fraction}"),
    }
}

/// `uiAmount` (deprecated in the docs, still sent): the same as a JSON number, `null` when the
/// amount is no number.
fn ui_amount(amount: &str, decimals: u8) -> Value {
    ui_amount_string(amount, decimals)
        .parse::<f64>()
        .map_or(Value::Null, |ui| json!(ui))
}
