//! The endpoints of one chain, used as one. A request goes to the healthiest endpoint, under that
//! endpoint's rate limits, within a time budget: it is retried with jittered backoff while the
//! failure is passing, waits out a 429's Retry-After (clamped) while the budget allows, is also
//! sent to the next endpoint when it has not been answered in a few seconds (the first usable
//! answer wins), and fails over otherwise. Answers are read up to a size cap and never followed
//! through a redirect.
//!
//! What a good answer is belongs to the caller: it reads every response body and says whether it is
//! usable, so a garbled, truncated or lying answer counts against the endpoint like an outage.
//!
//! An endpoint is an HTTP API, or an Electrum server (`tcp://`, `ssl://`) spoken to over a kept
//! connection (`electrum`): the same limits, budget, retries, failover and standing apply to both;
//! a caller asks the endpoints of one protocol at a time ([`EndpointPool::send_over`]).

mod attempt;
mod electrum;
mod pinning;
mod rates;
mod request;

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use url::Url;

use crate::model::is_cleartext;

pub use pinning::Fingerprint;
pub use rates::{published_batch_limit, published_method_rate, published_rate};

/// How one attempt at one endpoint went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// A 5xx, or a connection reset mid-request: try again.
    #[error("{0}")]
    Transient(String),
    /// The endpoint cannot be reached at all (connection refused, no such host).
    #[error("{0}")]
    Down(String),
    /// No answer in time: the endpoint may be down, or the request too big for it. Another endpoint
    /// is asked; when every one times out, the request is taken to be too big and split.
    #[error("timed out")]
    TimedOut,
    /// 429: the endpoint asks to wait (for `Retry-After`, when it says).
    #[error("rate-limited (HTTP 429)")]
    RateLimited(Option<Duration>),
    /// An answer that cannot be right: not JSON, truncated, ids that do not match, another chain.
    /// It is retried like a 5xx, at another endpoint first when there is one.
    #[error("{0}")]
    Garbled(String),
    /// The answer is larger than this request may be answered with (bytes): it is not read further.
    #[error("the answer is larger than {0} bytes")]
    Oversized(usize),
    /// The endpoint refuses requests of this kind or refuses us (HTTP 4xx, a redirect, batches
    /// disabled).
    #[error("{0}")]
    Refused(String),
    /// The request is too large for the endpoint; a smaller one may pass.
    #[error("{0}")]
    TooLarge(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The request was too large for endpoint `endpoint`: split it and send the parts.
    #[error("the request is too large for {endpoint_url}: {reason}")]
    TooLarge {
        endpoint: usize,
        endpoint_url: String,
        reason: String,
    },
    /// Endpoint `endpoint` refuses this kind of request (for example batches); ask differently.
    #[error("{endpoint_url} refuses the request: {reason}")]
    Refused {
        endpoint: usize,
        endpoint_url: String,
        reason: String,
    },
    /// Every endpoint failed; each is named (without any secret in its URL) with its last failure.
    #[error("no endpoint answered: {}", .0.iter().map(|(url, why)| format!("{url} ({why})")).collect::<Vec<_>>().join(", "))]
    Unreachable(Vec<(String, String)>),
}

/// Timeouts, retries and limits; the defaults suit free public endpoints.
#[derive(Debug, Clone)]
pub struct PoolPolicy {
    /// One attempt's limit, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Every attempt of one request, at every endpoint, waits included, ends within this.
    pub budget: Duration,
    /// A request not answered after this long is also sent to the next endpoint.
    pub hedge_after: Duration,
    /// Attempts in a row at one endpoint before the next is asked.
    pub attempts_per_endpoint: usize,
    /// Whether a garbled answer (cut off, not the format asked, lying) is asked again like a 5xx.
    /// A source whose next pass comes soon, such as prices, may let that pass ask instead.
    pub retry_garbled: bool,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A Retry-After longer than this is not waited for: the endpoint is skipped instead.
    pub max_retry_after: Duration,
    /// Requests allowed to each endpoint (a rate and a burst).
    pub rate: Quota,
    /// The most bytes an answer may have; a larger one fails its request alone.
    pub max_answer_bytes: usize,
    /// The same, for requests known to have large answers (an owner's every token account).
    pub max_large_answer_bytes: usize,
}

impl Default for PoolPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            budget: Duration::from_secs(30),
            hedge_after: Duration::from_secs(3),
            attempts_per_endpoint: 3,
            retry_garbled: true,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            rate: Quota::per_second(NonZeroU32::new(10).expect("non-zero")),
            max_answer_bytes: 4 << 20,
            max_large_answer_bytes: 32 << 20,
        }
    }
}

/// What the pool learned about one endpoint while using it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Learned {
    /// The largest number of calls per multicall that it answered.
    pub chunk: Option<usize>,
    /// The most calls per JSON-RPC batch it answered.
    pub batch: Option<usize>,
    /// The most bytes per JSON-RPC batch it answered.
    pub batch_bytes: Option<usize>,
    /// It answered a batch with a refusal: send single requests.
    pub no_batches: bool,
    /// Whether it serves an index of accounts beside the node's own API (TronGrid's
    /// `/v1/accounts`); `None` until asked.
    pub lists_accounts: Option<bool>,
}

struct Endpoint {
    url: Url,
    limiter: DefaultDirectRateLimiter,
    /// A provider's limit per JSON-RPC method, beside the limit on all requests.
    method_limiter: Option<DefaultKeyedRateLimiter<&'static str>>,
    health: Mutex<Health>,
    /// An API key sent as a header (marked sensitive, so it is never printed); names in lower case.
    credential: std::sync::OnceLock<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    /// Set for an Electrum server: asked over its own connection, not HTTP.
    electrum: Option<electrum::ElectrumLink>,
}

/// How an endpoint is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP: JSON-RPC posted, or a REST API such as Esplora's.
    Http,
    /// An Electrum server: JSON-RPC lines on a TCP or TLS connection.
    Electrum,
}

#[derive(Default)]
struct Health {
    consecutive_failures: u32,
    answered: bool,
    /// Until then, the endpoint asked not to be asked (a 429's Retry-After).
    cooling_until: Option<Instant>,
    /// Until then, it is asked only after the others: it lied or refused us.
    suspect_until: Option<Instant>,
    learned: Learned,
}

/// How an endpoint has done in this pool's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not asked anything yet.
    Untried,
    /// Its last answer was usable.
    Answering,
    /// Its last attempts failed.
    Failing,
}

/// One HTTP request, to whichever endpoint serves it: a path under the endpoint's base URL (empty
/// for the base itself), a JSON body to POST (or none to GET), the JSON-RPC methods it calls (for
/// limits per method), and whether its answer may be large.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub path: &'a str,
    pub body: Option<&'a [u8]>,
    pub methods: &'a [&'static str],
    pub large_answer: bool,
}

impl<'a> Ask<'a> {
    pub fn get(path: &'a str) -> Self {
        Self {
            path,
            body: None,
            methods: &[],
            large_answer: false,
        }
    }

    pub fn post(path: &'a str, body: &'a [u8]) -> Self {
        Self {
            body: Some(body),
            ..Self::get(path)
        }
    }
}

pub struct EndpointPool {
    endpoints: Vec<Endpoint>,
    http: reqwest::Client,
    policy: PoolPolicy,
    requests: AtomicU64,
}

impl EndpointPool {
    /// A pool over `urls`, preferred in the order given.
    pub fn new(urls: Vec<Url>, policy: PoolPolicy) -> Self {
        let endpoints = urls
            .into_iter()
            .map(|url| Endpoint {
                limiter: RateLimiter::direct(published_rate(&url).unwrap_or(policy.rate)),
                method_limiter: published_method_rate(&url).map(RateLimiter::keyed),
                electrum: electrum::ElectrumLink::new(&url),
                url,
                health: Mutex::default(),
                credential: std::sync::OnceLock::new(),
            })
            .collect();
        let http = reqwest::Client::builder()
            .user_agent(concat!("holdings/", env!("CARGO_PKG_VERSION")))
            // A redirect is a refusal: following one would send the request, and any key in it,
            // to a host nobody chose.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .expect("an HTTP client with static settings");
        Self {
            endpoints,
            http,
            policy,
            requests: AtomicU64::new(0),
        }
    }

    /// Requests sent so far, retries included: HTTP requests, and messages to Electrum servers.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The endpoint the next request goes to first.
    pub fn preferred(&self) -> usize {
        self.ranked().first().copied().unwrap_or(0)
    }

    pub fn standing(&self, endpoint: usize) -> Standing {
        let health = self.endpoints[endpoint].health();
        match (health.consecutive_failures, health.answered) {
            (0, true) => Standing::Answering,
            (0, false) => Standing::Untried,
            _ => Standing::Failing,
        }
    }

    /// Sends `key` in the `header` of every request to `endpoint` (an API key such as TronGrid's),
    /// unless the endpoint is plain http to another host: a key crosses no network in clear.
    pub fn authorize(
        &self,
        endpoint: usize,
        header: &'static str,
        key: &str,
    ) -> Result<(), String> {
        if is_cleartext(&self.endpoints[endpoint].url) {
            tracing::warn!(endpoint = %self.display_url(endpoint), "plain http: asking without its API key");
            return Ok(());
        }
        let mut value = reqwest::header::HeaderValue::from_str(key)
            .map_err(|_| "the API key has characters a header cannot carry")?;
        value.set_sensitive(true);
        let _ = self.endpoints[endpoint]
            .credential
            .set((reqwest::header::HeaderName::from_static(header), value));
        Ok(())
    }

    pub fn protocol(&self, endpoint: usize) -> Protocol {
        match self.endpoints[endpoint].electrum {
            Some(_) => Protocol::Electrum,
            None => Protocol::Http,
        }
    }

    /// Whether any endpoint speaks `protocol`.
    pub fn speaks(&self, protocol: Protocol) -> bool {
        (0..self.len()).any(|index| self.protocol(index) == protocol)
    }

    /// Trusts only this certificate from Electrum endpoint `endpoint` over TLS (it was pinned on
    /// first use before).
    pub fn pin(&self, endpoint: usize, fingerprint: Fingerprint) {
        if let Some(link) = &self.endpoints[endpoint].electrum {
            link.pin(fingerprint);
        }
    }

    /// The certificates this pool pinned on first use, by endpoint, for the store to keep.
    pub fn learned_pins(&self) -> Vec<(usize, Fingerprint)> {
        self.endpoints
            .iter()
            .enumerate()
            .filter_map(|(index, endpoint)| {
                Some((index, endpoint.electrum.as_ref()?.learned_pin()?))
            })
            .collect()
    }

    /// Starts an endpoint as failing (it was offline when last used), so others are asked first.
    pub fn known_offline(&self, endpoint: usize) {
        self.endpoints[endpoint].health().consecutive_failures = 1;
    }

    pub fn learned(&self, endpoint: usize) -> Learned {
        self.endpoints[endpoint].health().learned
    }

    pub fn learn(&self, endpoint: usize, update: impl FnOnce(&mut Learned)) {
        update(&mut self.endpoints[endpoint].health().learned);
    }

    /// The URL of an endpoint for messages and logs: scheme, host and port only, since paths and
    /// queries often carry API keys.
    pub fn display_url(&self, endpoint: usize) -> String {
        redact(&self.endpoints[endpoint].url)
    }

    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// Posts a JSON `body` calling `methods` to the endpoints' base URL (JSON-RPC) and hands the
    /// answer to `read`, which says whether it is usable.
    pub async fn post<T>(
        &self,
        body: &[u8],
        methods: &[&'static str],
        large_answer: bool,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        let ask = Ask {
            methods,
            large_answer,
            ..Ask::post("", body)
        };
        self.send(ask, read).await
    }

    /// Endpoints in the order to try them: not cooling down, not suspect, fewest recent failures,
    /// then preference.
    fn ranked(&self) -> Vec<usize> {
        let now = Instant::now();
        let mut order: Vec<usize> = (0..self.endpoints.len()).collect();
        order.sort_by_key(|&index| {
            let health = self.endpoints[index].health();
            (
                health.cooling_until.is_some_and(|until| until > now),
                health.suspect_until.is_some_and(|until| until > now),
                health.consecutive_failures,
                index,
            )
        });
        order
    }
}

/// `path` under `base`, keeping the base's own path: an Esplora base such as
/// `https://mempool.space/api` takes `address/…` as `https://mempool.space/api/address/…`.
fn under(base: &Url, path: &str) -> Url {
    if path.is_empty() {
        return base.clone();
    }
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined).unwrap_or_else(|_| base.clone())
}

/// The prefix of a refusal that asks the caller to send single requests instead of a batch.
pub const BATCH_REFUSAL: &str = "batch requests are refused";

/// The prefix of a refusal of a path the endpoint does not serve (HTTP 404 or 405): an API it
/// lacks, such as TronGrid's `/v1/…` on a plain TRON node.
pub const NO_SUCH_PATH: &str = "the endpoint serves no such path";

impl Endpoint {
    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        // Health is a few counters: one left half-updated by a panic is still usable.
        self.health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cooling_for(&self) -> Option<Duration> {
        let until = self.health().cooling_until?;
        until.checked_duration_since(Instant::now())
    }

    fn cool_down(&self, wait: Duration) {
        self.health().cooling_until = Instant::now().checked_add(wait);
    }

    fn succeeded(&self) {
        let mut health = self.health();
        health.consecutive_failures = 0;
        health.answered = true;
        health.suspect_until = None;
    }

    fn failed(&self, failure: &Failure, suspect_for: Duration) {
        let mut health = self.health();
        health.consecutive_failures += 1;
        // An endpoint that lied or refused us is asked after the others for a while.
        if matches!(
            failure,
            Failure::Garbled(_) | Failure::Refused(_) | Failure::Oversized(_)
        ) {
            health.suspect_until = Instant::now().checked_add(suspect_for);
        }
    }
}

/// Scheme, host and port of a URL, with a marker where a path or query was left out.
pub fn redact(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    if url.path().len() > 1 || url.query().is_some() {
        shown.push_str("/…");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_paths_or_queries() {
        let url: Url = "https://mainnet.infura.io/v3/0123456789abcdef?key=secret"
            .parse()
            .unwrap();
        assert_eq!(redact(&url), "https://mainnet.infura.io/…");
        assert_eq!(
            redact(&"http://127.0.0.1:8545/".parse().unwrap()),
            "http://127.0.0.1:8545"
        );
    }

    #[test]
    fn paths_go_under_the_base_url() {
        let esplora: Url = "https://mempool.space/api".parse().unwrap();
        assert_eq!(
            under(&esplora, "address/bc1x").as_str(),
            "https://mempool.space/api/address/bc1x"
        );
        let trongrid: Url = "https://api.trongrid.io/".parse().unwrap();
        assert_eq!(
            under(&trongrid, "/v1/accounts/T1").as_str(),
            "https://api.trongrid.io/v1/accounts/T1"
        );
        assert_eq!(under(&trongrid, ""), trongrid);
    }
}
