//! A local Electrum server for tests (no Bitcoin node nor ElectrumX can run here), over TCP or over
//! TLS with a self-signed certificate made at start (and changeable, as a reinstalled home node's
//! is). It answers as the Electrum protocol's documentation ("Protocol basics", "Protocol
//! methods") says:
//! - newline-delimited JSON-RPC 2.0: one message a line, a batch as an array, answered by an array
//!   (here in reverse order, which the protocol allows: answers are matched by id);
//! - `server.version` must be the first message on the wire ("Protocol basics", 1.6); a
//!   connection that starts otherwise gets an error and is closed;
//! - `blockchain.headers.subscribe` → `{"height": N, "hex": "<80-byte header>"}`, and after it a
//!   `blockchain.headers.subscribe` notification (method and params `[header]`, no id) when the
//!   tip moves;
//! - `blockchain.scripthash.get_balance` → `{"confirmed": sats, "unconfirmed": sats}` (the
//!   latter may be negative);
//! - `blockchain.scripthash.get_history` → `[{"tx_hash", "height"}, …]`, mempool ones at height 0;
//! - errors as ElectrumX gives them: `-32700` for a line that is not JSON (id null), `-32601`
//!   for an unknown method, `1` (bad request) for a script hash that is not 64 hex digits.
//!
//! It counts connections, round trips (messages, a batch being one) and calls, and can lie in the
//! ways `Fault` names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::hashes::{Hash, sha256};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

pub const TIP: u64 = 870_123;

/// What an address has: confirmed and unconfirmed sats, and transactions (confirmed and in the
/// mempool) that touched it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Script {
    pub confirmed: i64,
    pub unconfirmed: i64,
    pub transactions: u32,
}

/// Ways to answer a batch wrongly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An answer's id is one not asked.
    WrongId,
    /// One answer of the batch is left out.
    MissingAnswer,
    /// A balance answer has neither result nor error.
    NoResult,
    /// Every confirmed balance is negative.
    NegativeBalance,
    /// Every confirmed balance is a fraction.
    FractionalBalance,
    /// The answer line is cut in half, and the connection closed.
    Truncated,
}

#[derive(Default)]
struct State {
    scripts: Mutex<HashMap<String, Script>>,
    tip: Mutex<u64>,
    fault: Mutex<Option<Fault>>,
    /// Script hashes whose calls get an error of the server's (as a too-long history does).
    failing: Mutex<HashMap<String, String>>,
    latency: Mutex<Duration>,
    blocks_after_batches: Mutex<bool>,
    close_after_batches: Mutex<bool>,
    connections: Mutex<usize>,
    round_trips: Mutex<usize>,
    calls: Mutex<Vec<String>>,
    tls: Mutex<Option<(tokio_rustls::TlsAcceptor, String)>>,
}

pub struct Electrum {
    /// `tcp://127.0.0.1:PORT` or `ssl://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<State>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Electrum {
    pub fn tcp() -> Self {
        Self::start(false)
    }

    /// Over TLS, with a new self-signed certificate.
    pub fn ssl() -> Self {
        Self::start(true)
    }

    fn start(tls: bool) -> Self {
        let state = Arc::new(State::default());
        *state.tip.lock().unwrap() = TIP;
        let server = Self::serving(state, tls);
        if tls {
            server.new_certificate();
        }
        server
    }

    fn serving(state: Arc<State>, tls: bool) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a test server");
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let (shutdown, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            *serving.connections.lock().unwrap() += 1;
                            let state = serving.clone();
                            tokio::spawn(async move {
                                if tls {
                                    let acceptor = state.tls.lock().unwrap().as_ref().unwrap().0.clone();
                                    if let Ok(stream) = acceptor.accept(stream).await {
                                        serve(state, stream).await;
                                    }
                                } else {
                                    serve(state, stream).await;
                                }
                            });
                        }
                    }
                }
            });
        });
        let scheme = if tls { "ssl" } else { "tcp" };
        Self {
            url: format!("{scheme}://{address}"),
            state,
            _shutdown: shutdown,
        }
    }

    /// Serves a new self-signed certificate from now on (as a reinstalled node would).
    pub fn new_certificate(&self) {
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .unwrap();
        let der = certified.cert.der().clone();
        let fingerprint = sha256::Hash::hash(&der)
            .to_byte_array()
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
        *self.state.tls.lock().unwrap() = Some((
            tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            fingerprint,
        ));
    }

    /// The SHA-256 of the certificate served, as `AA:BB:…`.
    pub fn fingerprint(&self) -> String {
        self.state.tls.lock().unwrap().as_ref().unwrap().1.clone()
    }

    pub fn set(&self, address: &str, script: Script) {
        self.state
            .scripts
            .lock()
            .unwrap()
            .insert(script_hash(address), script);
    }

    /// Calls about `address` get this error of the server's.
    pub fn fail(&self, address: &str, message: &str) {
        self.state
            .failing
            .lock()
            .unwrap()
            .insert(script_hash(address), message.to_owned());
    }

    /// A block is found after each batch answered: the tip moves, and a subscribed connection is
    /// told (a notification) before its next answer.
    pub fn find_a_block_after_each_batch(&self) {
        *self.state.blocks_after_batches.lock().unwrap() = true;
    }

    /// Closes each connection after answering a batch, without a word (as servers drop sessions
    /// idle too long).
    pub fn close_after_each_batch(&self) {
        *self.state.close_after_batches.lock().unwrap() = true;
    }

    pub fn set_fault(&self, fault: Option<Fault>) {
        *self.state.fault.lock().unwrap() = fault;
    }

    /// Waits this long before each answer.
    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().unwrap() = latency;
    }

    pub fn connections(&self) -> usize {
        *self.state.connections.lock().unwrap()
    }

    /// Messages received (a batch is one), `server.version` included.
    pub fn round_trips(&self) -> usize {
        *self.state.round_trips.lock().unwrap()
    }

    /// The methods called, each call of a batch apart.
    pub fn calls(&self) -> Vec<String> {
        self.state.calls.lock().unwrap().clone()
    }

    pub fn reset_counts(&self) {
        *self.state.connections.lock().unwrap() = 0;
        *self.state.round_trips.lock().unwrap() = 0;
        self.state.calls.lock().unwrap().clear();
    }
}

/// The script hash the protocol indexes an address by: SHA-256 of its output script, reversed.
pub fn script_hash(address: &str) -> String {
    let address: bitcoin::Address<bitcoin::address::NetworkUnchecked> = address.parse().unwrap();
    let script = address.assume_checked().script_pubkey();
    let mut hash = sha256::Hash::hash(script.as_bytes()).to_byte_array();
    hash.reverse();
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn serve(state: Arc<State>, stream: impl AsyncRead + AsyncWrite + Unpin) {
    let mut stream = BufReader::new(stream);
    let mut versioned = false;
    // The tip this connection was last told, once it subscribed.
    let mut told: Option<u64> = None;
    loop {
        let mut line = String::new();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        *state.round_trips.lock().unwrap() += 1;
        let latency = *state.latency.lock().unwrap();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let tip = *state.tip.lock().unwrap();
        if told.is_some_and(|told| told != tip) {
            let notification = json!({ "jsonrpc": "2.0", "method": "blockchain.headers.subscribe",
                "params": [{ "height": tip, "hex": header_hex(tip) }] });
            if write_line(&mut stream, &notification.to_string())
                .await
                .is_err()
            {
                return;
            }
            told = Some(tip);
        }
        let message: Value = match serde_json::from_str(&line) {
            Ok(message) => message,
            Err(_) => {
                let error = json!({ "jsonrpc": "2.0", "id": null,
                    "error": { "code": -32700, "message": "invalid JSON" } });
                let _ = write_line(&mut stream, &error.to_string()).await;
                continue;
            }
        };
        let first_is_version = message["method"] == "server.version";
        if !versioned && !first_is_version {
            let error = json!({ "jsonrpc": "2.0", "id": message.get("id").cloned().unwrap_or(Value::Null),
                "error": { "code": -32600, "message": "server.version must be the first message" } });
            let _ = write_line(&mut stream, &error.to_string()).await;
            return;
        }
        versioned = true;
        let fault = *state.fault.lock().unwrap();
        let answer = match message {
            Value::Array(calls) => {
                let mut answers: Vec<Value> = calls
                    .iter()
                    .map(|call| answer(&state, call, tip, &mut told))
                    .collect();
                lie(&mut answers, fault);
                answers.reverse();
                Value::Array(answers)
            }
            call => answer(&state, &call, tip, &mut told),
        };
        let text = answer.to_string();
        if fault == Some(Fault::Truncated) && answer.is_array() {
            let _ = stream
                .get_mut()
                .write_all(&text.as_bytes()[..text.len() / 2])
                .await;
            return;
        }
        if write_line(&mut stream, &text).await.is_err() {
            return;
        }
        if answer.is_array() && *state.blocks_after_batches.lock().unwrap() {
            *state.tip.lock().unwrap() += 1;
        }
        if answer.is_array() && *state.close_after_batches.lock().unwrap() {
            return;
        }
    }
}

async fn write_line(
    stream: &mut BufReader<impl AsyncRead + AsyncWrite + Unpin>,
    text: &str,
) -> std::io::Result<()> {
    let stream = stream.get_mut();
    stream.write_all(text.as_bytes()).await?;
    stream.write_all(b"\n").await?;
    stream.flush().await
}

fn answer(state: &State, call: &Value, tip: u64, told: &mut Option<u64>) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call["method"].as_str().unwrap_or("").to_owned();
    state.calls.lock().unwrap().push(method.clone());
    let result = |result: Value| json!({ "jsonrpc": "2.0", "id": id, "result": result });
    let error = |code: i64, message: String| json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } });
    let hash = call["params"][0].as_str().unwrap_or("").to_owned();
    let is_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    match method.as_str() {
        "server.version" => result(json!(["ElectrumX 1.16.0", "1.4"])),
        "blockchain.headers.subscribe" => {
            *told = Some(tip);
            result(json!({ "height": tip, "hex": header_hex(tip) }))
        }
        "blockchain.scripthash.get_balance" | "blockchain.scripthash.get_history" if !is_hash => {
            error(1, format!("{hash} is not a valid script hash"))
        }
        "blockchain.scripthash.get_balance" | "blockchain.scripthash.get_history" => {
            if let Some(message) = state.failing.lock().unwrap().get(&hash) {
                return error(1, message.clone());
            }
            let script = state
                .scripts
                .lock()
                .unwrap()
                .get(&hash)
                .copied()
                .unwrap_or_default();
            if method.ends_with("get_balance") {
                result(json!({ "confirmed": script.confirmed, "unconfirmed": script.unconfirmed }))
            } else {
                let history: Vec<Value> = (0..script.transactions)
                    .map(|n| {
                        let height = if script.unconfirmed != 0 && n + 1 == script.transactions {
                            0
                        } else {
                            tip - u64::from(n)
                        };
                        json!({ "tx_hash": format!("{n:064x}"), "height": height })
                    })
                    .collect();
                result(Value::Array(history))
            }
        }
        other => error(-32601, format!("unknown method \"{other}\"")),
    }
}

/// Makes a batch's answers wrong as `fault` says.
fn lie(answers: &mut Vec<Value>, fault: Option<Fault>) {
    fn balances(answers: &mut [Value]) -> impl Iterator<Item = &mut Value> {
        answers
            .iter_mut()
            .filter(|answer| answer["result"].get("unconfirmed").is_some())
    }
    match fault {
        Some(Fault::WrongId) => answers[0]["id"] = json!(9_999),
        Some(Fault::MissingAnswer) => {
            answers.pop();
        }
        Some(Fault::NoResult) => {
            if let Some(balance) = balances(answers).next() {
                balance.as_object_mut().unwrap().remove("result");
            }
        }
        Some(Fault::NegativeBalance) => {
            balances(answers).for_each(|b| b["result"]["confirmed"] = json!(-5));
        }
        Some(Fault::FractionalBalance) => {
            balances(answers).for_each(|b| b["result"]["confirmed"] = json!(0.5));
        }
        Some(Fault::Truncated) | None => {}
    }
}

/// An 80-byte header's hex (holdings reads the height, not the header).
fn header_hex(height: u64) -> String {
    format!("{height:0160x}")
}
