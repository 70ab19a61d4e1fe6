//! The endpoints of one chain, used as one: each request goes to the healthiest endpoint, under that
//! endpoint's rate limit and timeout, is retried with jittered exponential backoff when the failure
//! is passing, waits out a 429's Retry-After, and fails over to the next endpoint otherwise.
//!
//! What a good answer is belongs to the caller: it reads every response body and says whether it is
//! usable, so a garbled, truncated or lying answer counts against the endpoint like an outage.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use tracing::Instrument;
use url::Url;

/// How one attempt at one endpoint went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Connection refused or reset, a 5xx: try again.
    #[error("{0}")]
    Transient(String),
    /// No answer in time: the endpoint may be down, or the request too big for it. Another endpoint
    /// is asked; when every one times out, the request is taken to be too big and split.
    #[error("timed out")]
    TimedOut,
    /// 429: the endpoint asks to wait (for `Retry-After`, when it says).
    #[error("rate-limited (HTTP 429)")]
    RateLimited(Option<Duration>),
    /// An answer that cannot be right: not JSON, truncated, ids that do not match, another chain.
    #[error("{0}")]
    Garbled(String),
    /// The endpoint refuses requests of this kind or refuses us (HTTP 4xx, batches disabled).
    #[error("{0}")]
    Refused(String),
    /// The request is too large for the endpoint; a smaller one may pass.
    #[error("{0}")]
    TooLarge(String),
}

impl Failure {
    fn is_retryable(&self) -> bool {
        matches!(self, Failure::Transient(_) | Failure::RateLimited(_))
    }
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
    pub timeout: Duration,
    /// Attempts at one endpoint before failing over to the next.
    pub attempts_per_endpoint: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A Retry-After longer than this is not waited for: the endpoint is skipped instead.
    pub max_retry_after: Duration,
    /// Requests allowed to each endpoint (a rate and a burst).
    pub rate: Quota,
    /// The largest answer read; a larger one is not read on, and counts as garbled.
    pub max_answer_bytes: usize,
}

impl Default for PoolPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            attempts_per_endpoint: 3,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            rate: Quota::per_second(NonZeroU32::new(10).expect("non-zero")),
            // a multicall chunk's answer is at most a few MB; an endpoint sending more is broken
            max_answer_bytes: 64 << 20,
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
}

struct Endpoint {
    url: Url,
    limiter: DefaultDirectRateLimiter,
    health: Mutex<Health>,
    /// An API key sent as a header (marked sensitive, so it is never printed); names in lower case.
    credential: std::sync::OnceLock<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
}

#[derive(Default)]
struct Health {
    consecutive_failures: u32,
    answered: bool,
    cooling_until: Option<Instant>,
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
                url,
                health: Mutex::default(),
                credential: std::sync::OnceLock::new(),
            })
            .collect();
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("holdings/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with static settings");
        Self {
            endpoints,
            http,
            policy,
            requests: AtomicU64::new(0),
        }
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The endpoint the next request goes to first.
    pub fn preferred(&self) -> usize {
        self.ranked().first().copied().unwrap_or(0)
    }

    pub fn standing(&self, endpoint: usize) -> Standing {
        let health = self.endpoints[endpoint].health.lock().expect("health lock");
        match (health.consecutive_failures, health.answered) {
            (0, true) => Standing::Answering,
            (0, false) => Standing::Untried,
            _ => Standing::Failing,
        }
    }

    /// Sends `key` in the `header` of every request to `endpoint` (an API key such as TronGrid's).
    pub fn authorize(
        &self,
        endpoint: usize,
        header: &'static str,
        key: &str,
    ) -> Result<(), String> {
        let mut value = reqwest::header::HeaderValue::from_str(key)
            .map_err(|_| "the API key has characters a header cannot carry")?;
        value.set_sensitive(true);
        let _ = self.endpoints[endpoint]
            .credential
            .set((reqwest::header::HeaderName::from_static(header), value));
        Ok(())
    }

    /// Starts an endpoint as failing (it was offline when last used), so others are asked first.
    pub fn known_offline(&self, endpoint: usize) {
        self.endpoints[endpoint]
            .health
            .lock()
            .expect("health lock")
            .consecutive_failures = 1;
    }

    pub fn learned(&self, endpoint: usize) -> Learned {
        self.endpoints[endpoint]
            .health
            .lock()
            .expect("health lock")
            .learned
    }

    pub fn learn(&self, endpoint: usize, update: impl FnOnce(&mut Learned)) {
        update(
            &mut self.endpoints[endpoint]
                .health
                .lock()
                .expect("health lock")
                .learned,
        );
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

    /// Posts a JSON `body` to the endpoints' base URL (JSON-RPC) and hands the answer to `read`,
    /// which says whether it is usable.
    pub async fn post<T>(
        &self,
        body: &[u8],
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        self.send(
            Ask {
                path: "",
                body: Some(body),
            },
            read,
        )
        .await
    }

    /// Sends `ask` to the healthiest endpoint, retrying and failing over as the module says, and
    /// hands the answer to `read`, which says whether it is usable.
    pub async fn send<T>(
        &self,
        ask: Ask<'_>,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        let mut failures = Vec::new();
        let mut every_one_timed_out = true;
        for index in self.ranked() {
            let endpoint = &self.endpoints[index];
            if let Some(wait) = endpoint.cooling_for() {
                if wait > self.policy.max_retry_after {
                    every_one_timed_out = false;
                    failures.push((self.display_url(index), "rate-limited".to_owned()));
                    continue;
                }
                // Every other endpoint failed already: honour its Retry-After, then use it.
                tokio::time::sleep(wait).await;
            }
            let attempt = || {
                let span = tracing::debug_span!("request", endpoint = %self.display_url(index), path = ask.path);
                self.attempt(index, ask, &read).instrument(span)
            };
            let result = attempt
                .retry(self.backoff())
                .when(Failure::is_retryable)
                .adjust(|failure, delay| match failure {
                    // Wait as asked while attempts remain, unless it asks for longer than we wait.
                    Failure::RateLimited(Some(retry_after)) => delay
                        .and(Some((*retry_after).max(self.policy.min_backoff)))
                        .filter(|wait| *wait <= self.policy.max_retry_after),
                    _ => delay,
                })
                .await;
            match result {
                Ok(value) => {
                    endpoint.succeeded();
                    return Ok(value);
                }
                Err(Failure::TooLarge(reason)) => {
                    return Err(PoolError::TooLarge {
                        endpoint: index,
                        endpoint_url: self.display_url(index),
                        reason,
                    });
                }
                Err(Failure::Refused(reason)) if reason.starts_with(BATCH_REFUSAL) => {
                    return Err(PoolError::Refused {
                        endpoint: index,
                        endpoint_url: self.display_url(index),
                        reason,
                    });
                }
                Err(failure) => {
                    tracing::warn!(endpoint = %self.display_url(index), %failure, "endpoint failed; trying the next");
                    every_one_timed_out &= failure == Failure::TimedOut;
                    endpoint.failed(&failure, self.policy.max_retry_after);
                    failures.push((self.display_url(index), failure.to_string()));
                }
            }
        }
        if every_one_timed_out && !failures.is_empty() {
            return Err(PoolError::TooLarge {
                endpoint: self.preferred(),
                endpoint_url: self.display_url(self.preferred()),
                reason: "every endpoint timed out".into(),
            });
        }
        Err(PoolError::Unreachable(failures))
    }

    async fn attempt<T>(
        &self,
        index: usize,
        ask: Ask<'_>,
        read: &impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let endpoint = &self.endpoints[index];
        endpoint.limiter.until_ready().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = under(&endpoint.url, ask.path);
        let mut request = match ask.body {
            Some(body) => self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec()),
            None => self.http.get(url),
        };
        if let Some((header, key)) = endpoint.credential.get() {
            request = request.header(header, key);
        }
        let mut response = request
            .send()
            .await
            .map_err(|err| classify_send_error(&err))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(parse_retry_after);
            endpoint.cool_down(retry_after);
            return Err(Failure::RateLimited(retry_after));
        }
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return Err(Failure::TooLarge("HTTP 413 payload too large".into()));
        }
        let bytes = self.body_of(&mut response).await?;
        match status {
            status if status.is_success() => read(index, &bytes),
            status if status.is_server_error() => Err(Failure::Transient(format!("HTTP {status}"))),
            // Some endpoints answer a JSON-RPC error (such as "batch too large") with a 4xx status.
            status => {
                read(index, &bytes).and_then(|_| Err(Failure::Refused(format!("HTTP {status}"))))
            }
        }
    }

    /// The answer's body, read only as far as the policy's cap.
    async fn body_of(&self, response: &mut reqwest::Response) -> Result<Vec<u8>, Failure> {
        let limit = self.policy.max_answer_bytes;
        let too_large = || Failure::Garbled(format!("the answer is larger than {limit} bytes"));
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| classify_send_error(&err))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.policy.min_backoff)
            .with_max_delay(self.policy.max_backoff)
            .with_max_times(self.policy.attempts_per_endpoint.saturating_sub(1))
            .with_jitter()
    }

    /// Endpoints in the order to try them: not cooling down, fewest recent failures, then preference.
    fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.endpoints.len()).collect();
        order.sort_by_key(|&index| {
            let health = self.endpoints[index].health.lock().expect("health lock");
            (
                health
                    .cooling_until
                    .is_some_and(|until| until > Instant::now()),
                health.consecutive_failures,
                index,
            )
        });
        order
    }
}

/// The request rate a public endpoint's provider publishes, where it publishes one; others get the
/// pool's default. Solana's public RPC allows 100 requests per 10 s per IP (solana.com, "Clusters
/// and public RPC endpoints"; its 40 per method is not enforced here).
pub fn published_rate(url: &Url) -> Option<Quota> {
    match url.host_str()? {
        "api.mainnet-beta.solana.com" | "api.devnet.solana.com" | "api.testnet.solana.com" => Some(
            Quota::with_period(Duration::from_millis(100))
                .expect("a positive period")
                .allow_burst(NonZeroU32::new(100).expect("non-zero")),
        ),
        _ => None,
    }
}

/// One HTTP request, to whichever endpoint serves it: a path under the endpoint's base URL (empty
/// for the base itself), and a JSON body to POST, or none to GET.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub path: &'a str,
    pub body: Option<&'a [u8]>,
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

impl Endpoint {
    fn cooling_for(&self) -> Option<Duration> {
        let until = self.health.lock().expect("health lock").cooling_until?;
        until.checked_duration_since(Instant::now())
    }

    fn cool_down(&self, retry_after: Option<Duration>) {
        if let Some(wait) = retry_after {
            self.health.lock().expect("health lock").cooling_until = Some(Instant::now() + wait);
        }
    }

    fn succeeded(&self) {
        let mut health = self.health.lock().expect("health lock");
        health.consecutive_failures = 0;
        health.answered = true;
        health.cooling_until = None;
    }

    fn failed(&self, failure: &Failure, cool_for: Duration) {
        let mut health = self.health.lock().expect("health lock");
        health.consecutive_failures += 1;
        // An endpoint that lied or refused us sits out a while instead of being asked first again.
        if matches!(failure, Failure::Garbled(_) | Failure::Refused(_)) {
            health.cooling_until = Some(Instant::now() + cool_for);
        }
    }
}

fn classify_send_error(err: &reqwest::Error) -> Failure {
    if err.is_timeout() {
        Failure::TimedOut
    } else if err.is_body() || err.is_decode() {
        Failure::Garbled("the answer was cut off".into())
    } else {
        // Connection refused, reset, DNS: say so without the URL (the pool names the endpoint).
        Failure::Transient(if err.is_connect() {
            "cannot connect".into()
        } else {
            "request failed".into()
        })
    }
}

/// Retry-After in seconds or as an HTTP date.
fn parse_retry_after(value: &reqwest::header::HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
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
    fn solana_s_public_rpc_allows_100_requests_in_10_seconds() {
        let quota =
            published_rate(&"https://api.mainnet-beta.solana.com".parse().unwrap()).unwrap();
        assert_eq!(quota.burst_size().get(), 100);
        assert_eq!(quota.replenish_interval() * 100, Duration::from_secs(10));
        assert_eq!(
            published_rate(&"http://127.0.0.1:8899".parse().unwrap()),
            None,
            "one's own node: the default"
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

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let seconds = reqwest::header::HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(&seconds), Some(Duration::from_secs(7)));
        let past = reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(&reqwest::header::HeaderValue::from_static("soon")),
            None
        );
    }
}
