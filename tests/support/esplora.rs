//! A local Esplora server for tests (no Bitcoin node can be installed here), serving under `/api`
//! as mempool.space does. It answers as Esplora's documented REST API: `GET /blocks/tip/height` as a
//! plain-text integer, `GET /address/:address` as JSON with `chain_stats` and `mempool_stats`
//! (`funded_txo_count`, `funded_txo_sum`, `spent_txo_count`, `spent_txo_sum`, `tx_count`, amounts in
//! sats as JSON integers; each count the outputs or transactions behind its sums, so an address
//! never seen has zeros and one paid only in the mempool has a mempool `tx_count`), and
//! `400 Invalid Bitcoin address` for text that is not one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::json;

pub const TIP: u64 = 870_123;

/// An address's confirmed funded and spent sums, and its mempool's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub funded: i64,
    pub spent: i64,
    /// What unconfirmed transactions pay it: one mempool transaction when not zero.
    pub mempool_funded: i64,
    /// How many confirmed transactions touched it (used addresses have some).
    pub tx_count: u64,
}

#[derive(Default)]
struct State {
    addresses: Mutex<HashMap<String, Stats>>,
    requests: Mutex<Vec<String>>,
    latency: Mutex<Duration>,
}

pub struct Esplora {
    /// The API base, with its `/api` path.
    pub url: String,
    state: Arc<State>,
    _server: super::http::Server,
}

impl Esplora {
    pub fn start() -> Self {
        let state = Arc::new(State::default());
        let serving = state.clone();
        let server = super::http::serve(move |request| handle(serving.clone(), request));
        Self {
            url: format!("http://{}/api", server.address),
            state,
            _server: server,
        }
    }

    pub fn set(&self, address: &str, stats: Stats) {
        self.state
            .addresses
            .lock()
            .unwrap()
            .insert(address.to_owned(), stats);
    }

    /// Waits this long before each answer (the benchmark's network).
    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().unwrap() = latency;
    }

    /// The paths requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    state.requests.lock().unwrap().push(path.clone());
    let latency = *state.latency.lock().unwrap();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (status, body) = if path == "/api/blocks/tip/height" {
        (200, TIP.to_string())
    } else if let Some(address) = path.strip_prefix("/api/address/") {
        if address
            .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
            .is_err()
        {
            (400, "Invalid Bitcoin address".to_owned())
        } else {
            let stats = state
                .addresses
                .lock()
                .unwrap()
                .get(address)
                .copied()
                .unwrap_or_default();
            // One output carries each sum that is not zero, one transaction each mempool fund.
            let outputs = |sum: i64| u64::from(sum != 0);
            let body = json!({
                "address": address,
                "chain_stats": { "funded_txo_count": outputs(stats.funded), "funded_txo_sum": stats.funded,
                    "spent_txo_count": outputs(stats.spent), "spent_txo_sum": stats.spent, "tx_count": stats.tx_count },
                "mempool_stats": { "funded_txo_count": outputs(stats.mempool_funded), "funded_txo_sum": stats.mempool_funded,
                    "spent_txo_count": 0, "spent_txo_sum": 0, "tx_count": outputs(stats.mempool_funded) }
            });
            (200, body.to_string())
        }
    } else {
        (404, "Not found".to_owned())
    };
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}
