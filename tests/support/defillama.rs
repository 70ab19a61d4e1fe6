//! A local DefiLlama coins API for tests (no internet here). It answers as DefiLlama's documented
//! `GET /prices/current/{coins}?searchWidth=…` does: the coins comma-separated in the path
//! (`coingecko:{id}` or `{platform}:{address}`), and
//! `{"coins": {"<id as asked>": {"decimals"?, "symbol", "price", "timestamp", "confidence"}}}` with
//! the price a JSON number, `timestamp` in Unix seconds and `confidence` from 0 to 1; ids it has no
//! price for are left out of `coins`. Its errors are injected a request at a time: `429 Too Many
//! Requests` with a `Retry-After` in seconds, a `5xx`, a truncated JSON body, an HTML page, and
//! (no documented error, but a broken server) an answer of megabytes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

/// A coin's entry, as the answer carries it.
#[derive(Debug, Clone)]
pub struct Coin {
    /// The JSON number's text, exactly as sent (`3456.78`, `1.2e-7`, or a wrong `-1`).
    pub price: String,
    pub symbol: String,
    /// Unix seconds.
    pub timestamp: u64,
    pub confidence: String,
    pub decimals: Option<u8>,
}

/// What the next request is answered with instead of prices.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    RateLimited {
        retry_after_seconds: u64,
    },
    ServerError(u16),
    /// The documented answer, cut off halfway.
    Truncated,
    /// A 200 that is not JSON (a proxy's page).
    Html,
    /// The documented answer padded with whitespace to 2 MiB: no price list is that large.
    Huge,
}

/// One request, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub ids: Vec<String>,
    pub search_width: Option<String>,
}

#[derive(Default)]
struct State {
    coins: Mutex<HashMap<String, Coin>>,
    faults: Mutex<VecDeque<Fault>>,
    requests: Mutex<Vec<Asked>>,
}

pub struct DefiLlama {
    pub url: String,
    state: Arc<State>,
    _server: super::http::Server,
}

/// Now, in Unix seconds.
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl DefiLlama {
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

    /// Prices `id` at `price` (a JSON number's text), observed 10 s ago, with confidence 0.99.
    pub fn price(&self, id: &str, price: &str) {
        self.set(
            id,
            Coin {
                price: price.to_owned(),
                symbol: "X".into(),
                timestamp: now_seconds() - 10,
                confidence: "0.99".into(),
                decimals: None,
            },
        );
    }

    pub fn set(&self, id: &str, coin: Coin) {
        self.state.coins.lock().unwrap().insert(id.to_owned(), coin);
    }

    /// Answers the next requests with these faults, one each, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.state.faults.lock().unwrap().extend(faults);
    }

    pub fn requests(&self) -> Vec<Asked> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(coins) = request.uri().path().strip_prefix("/prices/current/") else {
        return super::http::json(404, "Not Found".into());
    };
    let ids: Vec<String> = coins.split(',').map(str::to_owned).collect();
    let search_width = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("searchWidth="))
            .map(str::to_owned)
    });
    state.requests.lock().unwrap().push(Asked {
        ids: ids.clone(),
        search_width,
    });
    let body = documented_answer(&state.coins.lock().unwrap(), &ids);
    match state.faults.lock().unwrap().pop_front() {
        None => super::http::json(200, body),
        Some(Fault::RateLimited {
            retry_after_seconds,
        }) => Response::builder()
            .status(429)
            .header("Retry-After", retry_after_seconds.to_string())
            .body(Full::new(Bytes::from("Too Many Requests")))
            .unwrap(),
        Some(Fault::ServerError(status)) => {
            super::http::json(status, "Internal Server Error".into())
        }
        Some(Fault::Truncated) => super::http::json(200, body[..body.len() / 2].to_owned()),
        Some(Fault::Huge) => super::http::json(200, format!("{body}{}", " ".repeat(2 << 20))),
        Some(Fault::Html) => super::http::json(
            200,
            "<html><body>Checking your browser…</body></html>".into(),
        ),
    }
}

/// `{"coins": {…}}` for the ids asked that have a price; the others are left out.
fn documented_answer(coins: &HashMap<String, Coin>, ids: &[String]) -> String {
    let entries: Vec<String> = ids
        .iter()
        .filter_map(|id| {
            let coin = coins.get(id)?;
            let decimals = coin
                .decimals
                .map(|decimals| format!("\"decimals\":{decimals},"))
                .unwrap_or_default();
            Some(format!(
                "{}:{{{decimals}\"symbol\":{},\"price\":{},\"timestamp\":{},\"confidence\":{}}}",
                serde_json::to_string(id).unwrap(),
                serde_json::to_string(&coin.symbol).unwrap(),
                coin.price,
                coin.timestamp,
                coin.confidence
            ))
        })
        .collect();
    format!("{{\"coins\":{{{}}}}}", entries.join(","))
}
