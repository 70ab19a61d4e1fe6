//! A JSON-RPC proxy in front of a node, for tests: it counts HTTP requests and JSON-RPC calls, and
//! injects what public endpoints do on bad days — latency, 5xx, 429 with Retry-After, truncated
//! JSON, answers for the wrong chain or with the wrong ids, refused or too-large batches,
//! "response size exceeded" for large calls, a rate limit, and random faults from a seed (the
//! same faults in the same order on every run).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_sol_types::{SolCall, sol};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{Value, json};

/// What to do to one HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and answer truthfully.
    Pass,
    /// Answer with this HTTP status and no JSON.
    Status(u16),
    /// Answer 429 with `Retry-After: seconds`.
    RateLimited { retry_after: u64 },
    /// Forward it, then cut the answer off halfway.
    Truncate,
    /// Forward it, then claim to be chain 1.
    WrongChainId,
    /// Forward it, then answer with an id that was not asked.
    WrongId,
    /// Forward it, then replace the result of every call to `method` with `"0x"` (which lenient
    /// parsers read as zero); the other calls, such as the chain id guard, are answered truly.
    EmptyResults { method: &'static str },
}

/// Faults that last: the proxy's standing behaviour.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    pub latency: Duration,
    /// Applied to every request before the queue is consulted.
    pub always: Option<Fault>,
    /// One fault per request, in order; `Pass` once empty.
    pub queue: VecDeque<Fault>,
    /// Batches of more calls are answered with one error "batch size too large".
    pub max_batch: Option<usize>,
    /// Batches are answered with one error "batch requests are not supported".
    pub refuse_batches: bool,
    /// An `eth_call` whose data is longer (in bytes) is answered "response size exceeded".
    pub max_call_data: Option<usize>,
    /// Faults drawn at random, from a seed, for requests neither `always` nor `queue` decide.
    pub random: Option<RandomFaults>,
    /// Requests beyond this rate are answered 429 with `Retry-After: 1`.
    pub rate_limit: Option<RateLimit>,
    /// A request whose body contains this text is answered 503, every time.
    pub poison: Option<String>,
}

/// Of every 100 requests, about `unavailable` are answered 503 and `truncated` cut off halfway,
/// drawn from a seeded generator.
#[derive(Debug, Clone)]
pub struct RandomFaults {
    rng: TestRng,
    unavailable: u32,
    truncated: u32,
}

impl RandomFaults {
    pub fn new(seed: u8, unavailable: u32, truncated: u32) -> Self {
        Self {
            rng: TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
            unavailable,
            truncated,
        }
    }

    fn draw(&mut self) -> Fault {
        match self.rng.next_u32() % 100 {
            roll if roll < self.unavailable => Fault::Status(503),
            roll if roll < self.unavailable + self.truncated => Fault::Truncate,
            _ => Fault::Pass,
        }
    }
}

/// A limit of requests per second, as a public endpoint enforces it.
#[derive(Clone)]
pub struct RateLimit(Arc<DefaultDirectRateLimiter>);

impl RateLimit {
    pub fn per_second(requests: u32) -> Self {
        let quota = Quota::per_second(std::num::NonZeroU32::new(requests).unwrap());
        Self(Arc::new(RateLimiter::direct(quota)))
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RateLimit")
    }
}

/// One HTTP request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    /// When the answer left; `None` while it is being answered.
    pub answered_at: Option<Instant>,
    pub methods: Vec<String>,
    /// The `eth_call`s, in order.
    pub eth_calls: Vec<EthCall>,
    /// What the proxy did to it.
    pub fault: Fault,
    /// The path and query it was sent to.
    pub target: String,
}

/// One `eth_call` the proxy saw.
#[derive(Debug, Clone)]
pub struct EthCall {
    /// Its data's size in bytes.
    pub size: usize,
    /// How many calls it makes, when it is Multicall3's `aggregate3`.
    pub aggregated: Option<usize>,
    /// Whether the proxy answered it "response size exceeded" instead of forwarding it.
    pub too_large: bool,
}

sol! {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }
    function aggregate3(Call3[] calls);
}

struct State {
    upstream: String,
    client: reqwest::Client,
    behaviour: Mutex<Behaviour>,
    seen: Mutex<Vec<Seen>>,
    arrived: std::sync::Condvar,
    /// While true, the requests picked to be held are recorded as they arrive but not answered.
    held: tokio::sync::watch::Sender<bool>,
    /// How many of the next requests are picked to be held.
    to_hold: Mutex<usize>,
}

pub struct Proxy {
    pub url: String,
    state: Arc<State>,
    _server: super::http::Server,
}

impl Proxy {
    pub fn start(upstream: &str) -> Self {
        Self::start_with(upstream, Behaviour::default())
    }

    pub fn start_with(upstream: &str, behaviour: Behaviour) -> Self {
        let state = Arc::new(State {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            behaviour: Mutex::new(behaviour),
            seen: Mutex::new(Vec::new()),
            arrived: std::sync::Condvar::new(),
            held: tokio::sync::watch::Sender::new(false),
            to_hold: Mutex::new(0),
        });
        let serving = state.clone();
        let server = super::http::serve(move |request| handle(serving.clone(), request));
        Self {
            url: format!("http://{}", server.address),
            state,
            _server: server,
        }
    }

    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.state.behaviour.lock().unwrap());
    }

    /// Holds every request from now on, unanswered, until [`Proxy::release`]: the network is slow
    /// for as long as a test needs to look at what shows meanwhile.
    pub fn hold(&self) {
        self.hold_next(usize::MAX);
    }

    /// Holds the next `count` requests, unanswered, until [`Proxy::release`]; the ones after them
    /// are answered as they come. A test can then act while a request is in flight, and see
    /// whatever else is sent meanwhile answered.
    pub fn hold_next(&self, count: usize) {
        *self.state.to_hold.lock().unwrap() = count;
        self.state.held.send_replace(true);
    }

    /// Answers the held requests, and every later one as it comes.
    pub fn release(&self) {
        *self.state.to_hold.lock().unwrap() = 0;
        self.state.held.send_replace(false);
    }

    /// Every HTTP request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Blocks until `count` requests have arrived (answered or not); panics after `limit`.
    pub fn wait_for_requests(&self, count: usize, limit: Duration) {
        let seen = self.state.seen.lock().unwrap();
        let (seen, timeout) = self
            .state
            .arrived
            .wait_timeout_while(seen, limit, |seen| seen.len() < count)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{count} request(s) did not arrive within {limit:?}"
        );
        drop(seen);
    }

    pub fn requests(&self) -> usize {
        self.state.seen.lock().unwrap().len()
    }

    /// The round trips the requests took: the most of them that ran one after another, none
    /// overlapping the next (requests in flight together count once).
    pub fn round_trips(&self) -> usize {
        let mut spans: Vec<(Instant, Instant)> = self
            .seen()
            .iter()
            .map(|seen| (seen.at, seen.answered_at.unwrap_or(seen.at)))
            .collect();
        spans.sort_by_key(|(_, end)| *end);
        let mut trips = 0;
        let mut free_from: Option<Instant> = None;
        for (start, end) in spans {
            if free_from.is_none_or(|free| start >= free) {
                trips += 1;
                free_from = Some(end);
            }
        }
        trips
    }

    pub fn calls(&self) -> usize {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|seen| seen.methods.len())
            .sum()
    }

    pub fn reset_counts(&self) {
        self.state.seen.lock().unwrap().clear();
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(String::new, ToString::to_string);
    let body = request
        .into_body()
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let calls: Vec<Value> = match &parsed {
        Value::Array(calls) => calls.clone(),
        single => vec![single.clone()],
    };
    let (behaviour, fault) = {
        let mut behaviour = state.behaviour.lock().unwrap();
        let limited = behaviour
            .rate_limit
            .as_ref()
            .is_some_and(|limit| limit.0.check().is_err());
        let poisoned = behaviour.poison.as_ref().is_some_and(|text| {
            body.windows(text.len())
                .any(|window| window == text.as_bytes())
        });
        let fault = if limited {
            Fault::RateLimited { retry_after: 1 }
        } else if poisoned {
            Fault::Status(503)
        } else {
            behaviour
                .always
                .clone()
                .or_else(|| behaviour.queue.pop_front())
                .or_else(|| behaviour.random.as_mut().map(RandomFaults::draw))
                .unwrap_or(Fault::Pass)
        };
        (behaviour.clone(), fault)
    };
    let number = {
        let mut seen = state.seen.lock().unwrap();
        seen.push(Seen {
            at: Instant::now(),
            answered_at: None,
            methods: calls
                .iter()
                .map(|call| call["method"].as_str().unwrap_or("?").to_owned())
                .collect(),
            eth_calls: calls
                .iter()
                .filter(|call| call["method"] == "eth_call")
                .map(|call| EthCall {
                    size: call_data_size(call),
                    aggregated: aggregated_calls(call),
                    too_large: is_too_large(&behaviour, call),
                })
                .collect(),
            fault: fault.clone(),
            target,
        });
        state.arrived.notify_all();
        seen.len() - 1
    };
    let picked = {
        let mut to_hold = state.to_hold.lock().unwrap();
        let picked = *to_hold > 0;
        *to_hold = to_hold.saturating_sub(1);
        picked
    };
    if picked {
        // the sender lives in `state`, which this request holds: waiting cannot fail
        let _ = state.held.subscribe().wait_for(|held| !held).await;
    }
    let response = answer(&state, &parsed, &calls, &behaviour, &fault).await;
    if let Some(seen) = state.seen.lock().unwrap().get_mut(number) {
        seen.answered_at = Some(Instant::now());
    }
    response
}

async fn answer(
    state: &State,
    parsed: &Value,
    calls: &[Value],
    behaviour: &Behaviour,
    fault: &Fault,
) -> Response<Full<Bytes>> {
    if !behaviour.latency.is_zero() {
        tokio::time::sleep(behaviour.latency).await;
    }
    match fault {
        Fault::Status(status) => return reply(*status, "upstream trouble".into(), None),
        Fault::RateLimited { retry_after } => {
            return reply(429, "slow down".into(), Some(*retry_after));
        }
        _ => {}
    }
    let is_batch = parsed.is_array();
    if is_batch && behaviour.refuse_batches {
        return json_reply(&error(
            Value::Null,
            -32600,
            "batch requests are not supported",
        ));
    }
    if is_batch && behaviour.max_batch.is_some_and(|max| calls.len() > max) {
        return json_reply(&error(Value::Null, -32600, "batch size too large"));
    }
    // Calls the proxy refuses itself, and the rest forwarded in one request.
    let too_big = |call: &Value| is_too_large(behaviour, call);
    let forwarded: Vec<Value> = calls
        .iter()
        .filter(|call| !too_big(call))
        .cloned()
        .collect();
    let mut answers: Vec<Value> = if forwarded.is_empty() {
        Vec::new()
    } else {
        let Ok(response) = state
            .client
            .post(&state.upstream)
            .json(&forwarded)
            .send()
            .await
        else {
            return reply(502, "upstream unreachable".into(), None);
        };
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default().to_vec();
        // The node's own refusals (such as 413 for a body over its limit) pass through as they are.
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(answers)) if status == 200 => answers,
            _ => return reply(status, body, None),
        }
    };
    answers.extend(
        calls
            .iter()
            .filter(|call| too_big(call))
            .map(|call| error(call["id"].clone(), -32000, "response size exceeded")),
    );
    for answer in &mut answers {
        let asked_chain_id = calls
            .iter()
            .any(|call| call["id"] == answer["id"] && call["method"] == "eth_chainId");
        if *fault == Fault::WrongChainId && asked_chain_id {
            answer["result"] = json!("0x1");
        }
    }
    if let Fault::EmptyResults { method } = fault {
        for answer in &mut answers {
            let asked = calls
                .iter()
                .any(|call| call["id"] == answer["id"] && call["method"] == *method);
            if asked && answer.get("result").is_some() {
                answer["result"] = json!("0x");
            }
        }
    }
    if *fault == Fault::WrongId
        && let Some(first) = answers.first_mut()
    {
        first["id"] = json!(999_999_999);
    }
    let answer = if is_batch {
        Value::Array(answers)
    } else {
        answers.into_iter().next().unwrap_or(Value::Null)
    };
    let mut text = serde_json::to_vec(&answer).unwrap();
    if *fault == Fault::Truncate {
        text.truncate(text.len() / 2);
    }
    reply(200, text, None)
}

fn call_data_size(call: &Value) -> usize {
    call["params"][0]["data"]
        .as_str()
        .map(|hex| hex.len().saturating_sub(2) / 2)
        .unwrap_or(0)
}

/// Whether the proxy answers this call "response size exceeded" itself.
fn is_too_large(behaviour: &Behaviour, call: &Value) -> bool {
    call["method"] == "eth_call"
        && behaviour
            .max_call_data
            .is_some_and(|max| call_data_size(call) > max)
}

/// How many calls an `eth_call` of Multicall3's `aggregate3` makes; `None` for any other call.
fn aggregated_calls(call: &Value) -> Option<usize> {
    let data = alloy_primitives::hex::decode(call["params"][0]["data"].as_str()?).ok()?;
    aggregate3Call::abi_decode(&data)
        .ok()
        .map(|aggregate| aggregate.calls.len())
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn json_reply(value: &Value) -> Response<Full<Bytes>> {
    reply(200, serde_json::to_vec(value).unwrap(), None)
}

fn reply(status: u16, body: Vec<u8>, retry_after: Option<u64>) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json");
    if let Some(seconds) = retry_after {
        response = response.header("retry-after", seconds.to_string());
    }
    response.body(Full::new(Bytes::from(body))).unwrap()
}
