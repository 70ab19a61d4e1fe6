//! A local CoinGecko API for tests (no internet here). It answers as CoinGecko's documented
//! `GET /simple/price?ids=…&vs_currencies=usd&include_last_updated_at=true` and
//! `GET /simple/token_price/{platform}?contract_addresses=…&vs_currencies=usd&include_last_updated_at=true`:
//! `{"<id or lower-case address>": {"usd": <number>, "last_updated_at": <Unix seconds>}}`, leaving
//! out what it has no price for. It records the demo key each request carried in `x-cg-demo-api-key`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

#[derive(Default)]
struct State {
    /// Prices by coin id, or by `{platform}:{lower-case address}`.
    prices: Mutex<HashMap<String, String>>,
    /// Each request's path and query, and its demo key.
    requests: Mutex<Vec<(String, Option<String>)>>,
}

pub struct CoinGecko {
    /// The API base, with its `/api/v3` path.
    pub url: String,
    state: Arc<State>,
    _server: super::http::Server,
}

impl CoinGecko {
    pub fn start() -> Self {
        let state = Arc::new(State::default());
        let serving = state.clone();
        let server = super::http::serve(move |request| handle(serving.clone(), request));
        Self {
            url: format!("http://{}/api/v3", server.address),
            state,
            _server: server,
        }
    }

    /// Prices a coin by its id (`ethereum`), or a token as `{platform}:{address}`.
    pub fn price(&self, key: &str, price: &str) {
        self.state
            .prices
            .lock()
            .unwrap()
            .insert(key.to_lowercase(), price.to_owned());
    }

    pub fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let uri = request.uri();
    let key = request
        .headers()
        .get("x-cg-demo-api-key")
        .and_then(|key| key.to_str().ok())
        .map(str::to_owned);
    let path_and_query = uri.path_and_query().map(|pq| pq.as_str().to_owned());
    state
        .requests
        .lock()
        .unwrap()
        .push((path_and_query.unwrap_or_default(), key));
    let query: HashMap<&str, &str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let (prefix, list) = match uri.path() {
        "/api/v3/simple/price" => (String::new(), query.get("ids")),
        path => match path.strip_prefix("/api/v3/simple/token_price/") {
            Some(platform) => (format!("{platform}:"), query.get("contract_addresses")),
            None => return super::http::json(404, "{\"error\":\"Not Found\"}".into()),
        },
    };
    let Some(list) = list.filter(|_| query.get("vs_currencies") == Some(&"usd")) else {
        return super::http::json(400, "{\"error\":\"Missing parameter\"}".into());
    };
    let prices = state.prices.lock().unwrap();
    let entries: Vec<String> = list
        .split(',')
        .filter_map(|asked| {
            let price = prices.get(&format!("{prefix}{}", asked.to_lowercase()))?;
            Some(format!(
                "{}:{{\"usd\":{price},\"last_updated_at\":{}}}",
                serde_json::to_string(&asked.to_lowercase()).unwrap(),
                super::defillama::now_seconds() - 30
            ))
        })
        .collect();
    super::http::json(200, format!("{{{}}}", entries.join(",")))
}
