//! JSON-RPC 2.0 over an endpoint pool: single calls and batches, with every answer checked before it
//! is believed — each request answered exactly once, by id, and nothing else.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alloy_json_rpc::{ErrorPayload, Id, Request, Response, ResponsePayload};
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::Instrument;

use super::pool::{BATCH_REFUSAL, EndpointPool, Failure, PoolError};

/// One method call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: &'static str,
    pub params: Value,
    /// Its answer may be large (an owner's every token account): a larger cap applies.
    pub large_answer: bool,
}

impl Call {
    pub fn new(method: &'static str, params: Value) -> Self {
        Self {
            method,
            params,
            large_answer: false,
        }
    }

    /// The same call, expecting a large answer.
    pub fn with_large_answer(self) -> Self {
        Self {
            large_answer: true,
            ..self
        }
    }

    /// About how many bytes the call adds to a request body.
    fn encoded_len(&self) -> usize {
        const ENVELOPE: usize = 48; // {"jsonrpc":"2.0","id":…,"method":"…","params":…}
        ENVELOPE
            + self.method.len()
            + serde_json::to_string(&self.params).map_or(0, |params| params.len())
    }
}

/// The answer to one call: its result, or the error the node returned for it.
pub type Answer = Result<Box<RawValue>, ErrorPayload>;

pub struct JsonRpc {
    pool: Arc<EndpointPool>,
    next_id: AtomicU64,
}

impl JsonRpc {
    pub fn new(pool: Arc<EndpointPool>) -> Self {
        Self {
            pool,
            next_id: AtomicU64::new(1),
        }
    }

    pub fn pool(&self) -> &EndpointPool {
        &self.pool
    }

    /// Sends `calls` as one batch request and returns their answers in the same order. `check` looks
    /// at the answers and rejects them (as from a lying endpoint, which is then failed over) with a
    /// reason.
    pub async fn batch(
        &self,
        calls: &[Call],
        check: impl Fn(&[Answer]) -> Result<(), String>,
    ) -> Result<Vec<Answer>, PoolError> {
        let first = self
            .next_id
            .fetch_add(calls.len() as u64, Ordering::Relaxed);
        let ids: Vec<u64> = (first..first + calls.len() as u64).collect();
        let requests: Vec<Request<&Value>> = calls
            .iter()
            .zip(&ids)
            .map(|(call, id)| Request::new(call.method, Id::Number(*id), &call.params))
            .collect();
        let body = serde_json::to_vec(&requests).expect("requests serialize");
        let span = tracing::debug_span!("batch", calls = calls.len(), bytes = body.len());
        let mut methods: Vec<&'static str> = calls.iter().map(|call| call.method).collect();
        methods.sort_unstable();
        methods.dedup();
        let large_answer = calls.iter().any(|call| call.large_answer);
        self.pool
            .post(&body, &methods, large_answer, |_, bytes| {
                let answers = read_batch(bytes, &ids)?;
                check(&answers).map_err(Failure::Garbled)?;
                Ok(answers)
            })
            .instrument(span)
            .await
    }

    /// Sends one call on its own (for endpoints that refuse batches).
    pub async fn single(
        &self,
        call: &Call,
        check: impl Fn(&Answer) -> Result<(), String>,
    ) -> Result<Answer, PoolError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::to_vec(&Request::new(call.method, Id::Number(id), &call.params))
            .expect("request serializes");
        self.pool
            .post(&body, &[call.method], call.large_answer, |_, bytes| {
                let response: Response =
                    serde_json::from_slice(bytes).map_err(|_| not_json_rpc())?;
                if response.id != Id::Number(id) {
                    return Err(Failure::Garbled(format!(
                        "the answer is for request {}, not {id}",
                        response.id
                    )));
                }
                let answer = into_answer(response.payload);
                check(&answer).map_err(Failure::Garbled)?;
                Ok(answer)
            })
            .await
    }
}

fn not_json_rpc() -> Failure {
    Failure::Garbled("the answer is not JSON-RPC (truncated or malformed)".into())
}

fn into_answer(payload: ResponsePayload) -> Answer {
    match payload {
        ResponsePayload::Success(result) => Ok(result),
        ResponsePayload::Failure(error) => Err(error),
    }
}

/// Reads a batch answer: one response per request id, in any order, and nothing else.
fn read_batch(bytes: &[u8], ids: &[u64]) -> Result<Vec<Answer>, Failure> {
    let responses: Vec<Response> = match serde_json::from_slice(bytes) {
        Ok(responses) => responses,
        Err(_) => {
            // A single error object answers the whole batch: too large, or batches not served.
            let response: Response = serde_json::from_slice(bytes).map_err(|_| not_json_rpc())?;
            return Err(match response.payload {
                ResponsePayload::Failure(error)
                    if is_rate_limit(&error.message) || error.code == -32005 =>
                {
                    Failure::RateLimited(None)
                }
                ResponsePayload::Failure(error) if is_refusal(&error.message) => {
                    Failure::Refused(format!("the endpoint refuses us: {}", error.message))
                }
                ResponsePayload::Failure(error) if refuses_batches(&error.message) => {
                    Failure::Refused(format!("{BATCH_REFUSAL}: {}", error.message))
                }
                // Anything else ("Invalid request" is anvil's word for a body over its limit) is
                // taken as "too large": halving finds the size that passes.
                ResponsePayload::Failure(error) => Failure::TooLarge(error.message.to_string()),
                ResponsePayload::Success(_) => {
                    Failure::Garbled("a batch was answered with a single result".into())
                }
            });
        }
    };
    if responses.len() != ids.len() {
        return Err(Failure::Garbled(format!(
            "{} answers to {} requests",
            responses.len(),
            ids.len()
        )));
    }
    let mut by_id: HashMap<u64, ResponsePayload> = HashMap::with_capacity(responses.len());
    for response in responses {
        let Id::Number(id) = response.id else {
            return Err(Failure::Garbled(format!(
                "an answer has the id {}, which was not sent",
                response.id
            )));
        };
        if by_id.insert(id, response.payload).is_some() {
            return Err(Failure::Garbled(format!("request {id} was answered twice")));
        }
    }
    ids.iter()
        .map(|id| {
            by_id
                .remove(id)
                .map(into_answer)
                .ok_or_else(|| Failure::Garbled(format!("request {id} was not answered")))
        })
        .collect()
}

/// Whether a node's error says we asked too often.
fn is_rate_limit(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "rate limit",
        "too many requests",
        "request limit",
        "daily request",
        "quota",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// Whether a node's error says it will not serve us at all (a missing or wrong API key).
fn is_refusal(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "unauthorized",
        "forbidden",
        "api key",
        "apikey",
        "not allowed to access",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// Whether a node's error to a batch says it serves no batches at all.
fn refuses_batches(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("batch")
        && [
            "not supported",
            "unsupported",
            "disabled",
            "not allowed",
            "not enabled",
        ]
        .iter()
        .any(|word| message.contains(word))
}

/// Whether a node's error means "this request was too big": out of gas, return data or response
/// too large, a limit on work or time. Splitting the request may succeed where this failed.
pub fn is_size_error(message: &str) -> bool {
    const MARKERS: [&str; 14] = [
        "out of gas",
        "outofgas",
        "gas required exceeds",
        "gas limit",
        "return data",
        "response size",
        "response too large",
        "too large",
        "too big",
        "exceeds",
        "limit exceeded",
        "timeout",
        "timed out",
        "too many",
    ];
    !is_rate_limit(message) && {
        let message = message.to_ascii_lowercase();
        MARKERS.iter().any(|marker| message.contains(marker))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::chains::pool::PoolPolicy;
    use crate::chains::test_support::http;

    /// What the echo node refuses, as nodes do: batches of more calls ("batch size too large", as
    /// geth says), bodies of more bytes (anvil's "Invalid request"), or batches at all.
    #[derive(Default, Clone, Copy)]
    struct Limits {
        max_calls: Option<usize>,
        max_bytes: Option<usize>,
        no_batches: bool,
        /// Answers every request with this id instead of the one asked.
        wrong_id: bool,
    }

    /// A JSON-RPC 2.0 node whose every call's result is its params; it records the methods of each
    /// request it is sent.
    struct EchoNode {
        url: String,
        requests: Arc<Mutex<Vec<Vec<String>>>>,
        _server: http::Server,
    }

    impl EchoNode {
        fn start(limits: Limits) -> Self {
            let requests = Arc::new(Mutex::new(Vec::new()));
            let seen = requests.clone();
            let server = http::serve(move |request: hyper::Request<hyper::body::Incoming>| {
                let seen = seen.clone();
                async move {
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    let answer = |call: &Value| {
                        let id = if limits.wrong_id {
                            json!(999)
                        } else {
                            call["id"].clone()
                        };
                        json!({ "jsonrpc": "2.0", "id": id, "result": call["params"] })
                    };
                    let refusal = |message: &str| json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32600, "message": message } });
                    let parsed: Value = serde_json::from_slice(&body).unwrap();
                    let methods = |calls: &[Value]| -> Vec<String> {
                        calls
                            .iter()
                            .map(|call| call["method"].as_str().unwrap().to_owned())
                            .collect()
                    };
                    let reply = match &parsed {
                        Value::Array(calls) => {
                            seen.lock().unwrap().push(methods(calls));
                            if calls.is_empty() {
                                // The JSON-RPC 2.0 spec's answer to an empty batch.
                                refusal("Invalid Request")
                            } else if limits.no_batches {
                                refusal("batch requests are not supported")
                            } else if limits.max_calls.is_some_and(|max| calls.len() > max) {
                                refusal("batch size too large")
                            } else if limits.max_bytes.is_some_and(|max| body.len() > max) {
                                refusal("Invalid request")
                            } else {
                                Value::Array(calls.iter().map(answer).collect())
                            }
                        }
                        call => {
                            seen.lock()
                                .unwrap()
                                .push(methods(std::slice::from_ref(call)));
                            answer(call)
                        }
                    };
                    hyper::Response::new(Full::new(Bytes::from(reply.to_string())))
                }
            });
            Self {
                url: format!("http://{}", server.address),
                requests,
                _server: server,
            }
        }

        /// The calls of each request, in the order they came.
        fn requests(&self) -> Vec<usize> {
            self.methods().iter().map(Vec::len).collect()
        }

        fn methods(&self) -> Vec<Vec<String>> {
            self.requests.lock().unwrap().clone()
        }
    }

    fn rpc_with(url: &str, policy: PoolPolicy) -> JsonRpc {
        // A request that cannot be answered fails within seconds, not the public endpoints' 30.
        let policy = PoolPolicy {
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            budget: Duration::from_secs(5),
            ..policy
        };
        JsonRpc::new(Arc::new(EndpointPool::new(
            vec![url.parse().unwrap()],
            policy,
        )))
    }

    fn rpc(url: &str) -> JsonRpc {
        rpc_with(url, PoolPolicy::default())
    }

    /// Calls whose params are their index, padded to about `bytes` each.
    fn numbered(count: usize, bytes: usize) -> Vec<Call> {
        (0..count)
            .map(|index| Call::new("echo", json!([index, "x".repeat(bytes)])))
            .collect()
    }

    /// Each answer must be the echo of its own call: a wrong index or answer fails the batch.
    fn echoes(calls: &[Call]) -> impl Fn(usize, &Answer) -> Result<(), String> + Sync + '_ {
        move |index, answer| match answer {
            Ok(raw)
                if serde_json::from_str::<Value>(raw.get()).ok()
                    == Some(calls[index].params.clone()) =>
            {
                Ok(())
            }
            _ => Err(format!("call {index} was answered {answer:?}")),
        }
    }

    fn guard_check(answer: &Answer) -> Result<(), String> {
        match answer {
            Ok(raw) if raw.get() == "[]" => Ok(()),
            _ => Err("the guard was not echoed".into()),
        }
    }

    fn guard() -> Guard<'static> {
        Guard {
            call: Call::new("eth_chainId", json!([])),
            check: &guard_check,
        }
    }

    /// The outcomes as the echoed index, or the failure's words.
    fn indices(outcomes: Vec<Result<Box<RawValue>, CallFailure>>) -> Vec<Result<u64, String>> {
        outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Ok(raw) => Ok(serde_json::from_str::<Value>(raw.get()).unwrap()[0]
                    .as_u64()
                    .unwrap()),
                Err(failure) => Err(failure.to_string()),
            })
            .collect()
    }

    fn all_read(count: u64) -> Vec<Result<u64, String>> {
        (0..count).map(Ok).collect()
    }

    #[test]
    fn a_call_s_size_is_its_method_params_and_envelope() {
        let call = Call::new("eth_call", json!([1, "ab"]));
        assert_eq!(
            call.encoded_len(),
            48 + "eth_call".len() + r#"[1,"ab"]"#.len()
        );
        assert!(!call.large_answer);
        assert!(call.with_large_answer().large_answer);
    }

    #[tokio::test]
    async fn calls_go_in_one_batch_behind_the_guard_answered_in_order() {
        let node = EchoNode::start(Limits::default());
        let rpc = rpc(&node.url);
        let calls = numbered(5, 1);
        let outcomes = rpc.run_all(&calls, Some(&guard()), &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(5));
        assert_eq!(node.requests(), [6], "the guard and 5 calls, once");
        let outcomes = rpc.run_all(&calls, None, &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(5));
        assert_eq!(node.requests(), [6, 5]);
    }

    #[tokio::test]
    async fn a_batch_too_large_by_count_is_halved_and_the_size_that_passed_remembered() {
        let node = EchoNode::start(Limits {
            max_calls: Some(4),
            ..Limits::default()
        });
        let rpc = rpc(&node.url);
        // More than 1,280 bytes in all, less than 256 KiB: refused for its count, not its bytes.
        let calls = numbered(10, 200);
        let outcomes = rpc.run_all(&calls, Some(&guard()), &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(10));
        // 10 (and the guard) refused, halves of 5 refused, then quarters of 2 and 3 (sent as 2
        // and 1) passed: the last half learned was 2.
        let learned = rpc.pool().learned(0);
        assert_eq!((learned.batch, learned.batch_bytes), (Some(2), None));
        let mut requests = node.requests();
        requests.sort_unstable();
        assert_eq!(requests, [2, 2, 3, 3, 3, 3, 6, 6, 11]);
        // The next run starts at the learned size: nothing refused.
        let outcomes = rpc.run_all(&calls, Some(&guard()), &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(10));
        assert_eq!(node.requests().len(), 9 + 5, "5 batches of 2, at once");
    }

    #[tokio::test]
    async fn a_batch_too_large_by_bytes_is_halved_by_bytes() {
        let node = EchoNode::start(Limits {
            max_bytes: Some(200_000),
            ..Limits::default()
        });
        let rpc = rpc(&node.url);
        // 4 calls of about 100 KB: 400 KB in one body, over anvil-like limits.
        let calls = numbered(4, 100_000);
        let outcomes = rpc.run_all(&calls, None, &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(4));
        let bytes: usize = calls.iter().map(Call::encoded_len).sum();
        // Refused at 400 KB (over 256 KiB: for its bytes), then at 200 KB (under: for its count).
        let learned = rpc.pool().learned(0);
        assert_eq!(
            (learned.batch, learned.batch_bytes),
            (Some(1), Some(bytes / 2))
        );
        // Halves by bytes (2 calls, still over 200 KB), then one call a batch.
        let mut requests = node.requests();
        requests.sort_unstable();
        assert_eq!(requests, [1, 1, 1, 1, 2, 2, 4]);
    }

    /// Calls of `bytes` each, as `encoded_len` counts them.
    fn sized(count: usize, bytes: usize) -> Vec<Call> {
        let base = Call::new("echo", json!([0, ""])).encoded_len();
        (0..count)
            .map(|index| Call::new("echo", json!([index, "x".repeat(bytes - base)])))
            .collect()
    }

    #[tokio::test]
    async fn bodies_are_split_before_the_first_try_at_the_common_limit() {
        let node = EchoNode::start(Limits::default());
        let rpc = rpc(&node.url);
        // Two calls filling the limit exactly go together; three of 800 KB go as two and one.
        let exact = sized(2, MAX_BATCH_BYTES / 2);
        assert_eq!(
            exact.iter().map(Call::encoded_len).sum::<usize>(),
            MAX_BATCH_BYTES
        );
        let outcomes = rpc.run_all(&exact, None, &echoes(&exact)).await;
        assert_eq!(indices(outcomes), all_read(2));
        assert_eq!(node.requests(), [2]);
        let three = sized(3, 800_000);
        let outcomes = rpc.run_all(&three, None, &echoes(&three)).await;
        assert_eq!(indices(outcomes), all_read(3));
        let mut requests = node.requests()[1..].to_vec();
        requests.sort_unstable();
        assert_eq!(requests, [1, 2]);
    }

    #[tokio::test]
    async fn a_call_larger_than_the_byte_limit_goes_alone() {
        let node = EchoNode::start(Limits::default());
        let rpc = rpc(&node.url);
        // Over the limit by itself: it cannot share a body, and must still be sent (not skipped,
        // nor put back before the same limit for ever).
        let mut calls = sized(3, 100);
        calls[1] = sized(2, MAX_BATCH_BYTES + 1).pop().unwrap();
        let outcomes = rpc.run_all(&calls, None, &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(3));
        assert_eq!(node.requests(), [1, 1, 1], "one wave of three bodies");
    }

    #[tokio::test]
    async fn a_refused_body_of_exactly_the_large_size_is_refused_for_its_count() {
        let node = EchoNode::start(Limits {
            max_calls: Some(1),
            ..Limits::default()
        });
        let rpc = rpc(&node.url);
        let calls = sized(2, LARGE_BODY / 2);
        assert_eq!(
            calls.iter().map(Call::encoded_len).sum::<usize>(),
            LARGE_BODY
        );
        let outcomes = rpc.run_all(&calls, None, &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(2));
        // Not larger than LARGE_BODY: its count is what was refused, and the half is learned.
        let learned = rpc.pool().learned(0);
        assert_eq!((learned.batch, learned.batch_bytes), (Some(1), None));
        let mut requests = node.requests();
        requests.sort_unstable();
        assert_eq!(requests, [1, 1, 2]);
    }

    #[tokio::test]
    async fn no_calls_send_no_request() {
        // An empty batch is no valid JSON-RPC request: the spec answers it with one error.
        let node = EchoNode::start(Limits::default());
        let rpc = rpc(&node.url);
        let outcomes = rpc.run_all(&[], None, &echoes(&[])).await;
        assert!(outcomes.is_empty());
        assert!(node.requests().is_empty(), "{:?}", node.requests());
    }

    #[tokio::test]
    async fn a_call_too_large_alone_fails_alone() {
        let node = EchoNode::start(Limits {
            max_bytes: Some(50_000),
            ..Limits::default()
        });
        let rpc = rpc(&node.url);
        let mut calls = numbered(2, 10);
        calls.push(Call::new("echo", json!([2, "x".repeat(60_000)])));
        let outcomes = indices(rpc.run_all(&calls, None, &echoes(&calls)).await);
        assert_eq!(outcomes[..2], [Ok(0), Ok(1)]);
        assert_eq!(outcomes[2], Err("Invalid request".into()));
    }

    #[tokio::test]
    async fn an_endpoint_refusing_batches_gets_single_calls_behind_the_guard() {
        let node = EchoNode::start(Limits {
            no_batches: true,
            ..Limits::default()
        });
        let rpc = rpc(&node.url);
        let calls = numbered(3, 1);
        let outcomes = rpc.run_all(&calls, Some(&guard()), &echoes(&calls)).await;
        assert_eq!(indices(outcomes), all_read(3));
        assert!(rpc.pool().learned(0).no_batches);
        assert_eq!(
            node.requests(),
            [4, 1, 1, 1, 1],
            "refused, then the guard and each call"
        );

        // A guard that fails fails every call, and none is sent.
        let unchecked = |_: &Answer| Err::<(), _>("wrong network".to_owned());
        let lying = Guard {
            call: Call::new("eth_chainId", json!([])),
            check: &unchecked,
        };
        let outcomes = indices(rpc.run_all(&calls, Some(&lying), &echoes(&calls)).await);
        assert_eq!(outcomes.len(), 3);
        assert!(
            outcomes.iter().all(|outcome| outcome
                .as_ref()
                .is_err_and(|why| why.contains("wrong network"))),
            "{outcomes:?}"
        );
        let after = &node.methods()[5..];
        assert!(
            !after.is_empty() && after.iter().all(|methods| *methods == ["eth_chainId"]),
            "the guard alone, tried again: {after:?}"
        );
    }

    #[tokio::test]
    async fn an_answer_for_another_request_is_garbled() {
        let node = EchoNode::start(Limits {
            wrong_id: true,
            ..Limits::default()
        });
        let rpc = rpc(&node.url);
        let call = Call::new("echo", json!([1]));
        let err = rpc.single(&call, |_| Ok(())).await.unwrap_err();
        assert!(
            err.to_string().contains("the answer is for request 999"),
            "{err}"
        );
        let err = rpc
            .batch(&[call.clone(), call], |_| Ok(()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("answered twice"), "{err}");
    }

    #[tokio::test]
    async fn only_a_call_said_to_have_a_large_answer_may_have_one() {
        let node = EchoNode::start(Limits::default());
        let policy = PoolPolicy {
            max_answer_bytes: 1_000,
            max_large_answer_bytes: 100_000,
            ..PoolPolicy::default()
        };
        let rpc = rpc_with(&node.url, policy);
        let call = Call::new("echo", json!([0, "x".repeat(5_000)]));
        let large = call.clone().with_large_answer();
        assert!(rpc.single(&call, |_| Ok(())).await.is_err());
        assert!(
            rpc.batch(std::slice::from_ref(&call), |_| Ok(()))
                .await
                .is_err()
        );
        assert!(rpc.single(&large, |_| Ok(())).await.unwrap().is_ok());
        assert_eq!(
            rpc.batch(&[call, large], |_| Ok(())).await.unwrap().len(),
            2,
            "one large answer makes the batch's cap large"
        );
    }

    #[tokio::test]
    async fn an_endpoint_that_does_not_answer_fails_every_call() {
        let rpc = rpc("http://127.0.0.1:9/");
        let calls = numbered(2, 1);
        let outcomes = indices(rpc.run_all(&calls, None, &echoes(&calls)).await);
        assert!(
            outcomes.iter().all(|outcome| outcome
                .as_ref()
                .is_err_and(|why| why.contains("127.0.0.1:9"))),
            "{outcomes:?}"
        );
    }

    fn ok(bytes: &str, ids: &[u64]) -> Vec<String> {
        read_batch(bytes.as_bytes(), ids)
            .unwrap()
            .into_iter()
            .map(|answer| {
                answer
                    .map(|raw| raw.get().to_owned())
                    .unwrap_or_else(|err| err.message.to_string())
            })
            .collect()
    }

    #[test]
    fn answers_come_back_in_request_order() {
        let body = r#"[{"jsonrpc":"2.0","id":8,"result":"0x2"},{"jsonrpc":"2.0","id":7,"error":{"code":3,"message":"execution reverted"}}]"#;
        assert_eq!(ok(body, &[7, 8]), ["execution reverted", "\"0x2\""]);
    }

    #[test]
    fn mismatched_ids_are_garbled() {
        let missing =
            r#"[{"jsonrpc":"2.0","id":7,"result":"0x1"},{"jsonrpc":"2.0","id":9,"result":"0x2"}]"#;
        assert!(matches!(
            read_batch(missing.as_bytes(), &[7, 8]),
            Err(Failure::Garbled(_))
        ));
        let twice =
            r#"[{"jsonrpc":"2.0","id":7,"result":"0x1"},{"jsonrpc":"2.0","id":7,"result":"0x2"}]"#;
        assert!(matches!(
            read_batch(twice.as_bytes(), &[7, 8]),
            Err(Failure::Garbled(_))
        ));
        let short = r#"[{"jsonrpc":"2.0","id":7,"result":"0x1"}]"#;
        assert!(matches!(
            read_batch(short.as_bytes(), &[7, 8]),
            Err(Failure::Garbled(_))
        ));
    }

    #[test]
    fn truncated_json_is_garbled() {
        let cut = r#"[{"jsonrpc":"2.0","id":7,"result":"0x1"},{"jsonrpc":"2.0","id":8,"res"#;
        assert!(matches!(
            read_batch(cut.as_bytes(), &[7, 8]),
            Err(Failure::Garbled(_))
        ));
        assert!(matches!(
            read_batch(b"<html>502 Bad Gateway</html>", &[7]),
            Err(Failure::Garbled(_))
        ));
    }

    #[test]
    fn a_single_error_for_a_batch_is_a_size_limit_or_a_refusal() {
        let too_big = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch size too large"}}"#;
        assert!(matches!(
            read_batch(too_big.as_bytes(), &[1, 2]),
            Err(Failure::TooLarge(_))
        ));
        let refused = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}"#;
        assert!(
            matches!(read_batch(refused.as_bytes(), &[1, 2]), Err(Failure::Refused(reason)) if reason.starts_with(BATCH_REFUSAL))
        );
        let limited = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"daily request count exceeded"}}"#;
        assert!(matches!(
            read_batch(limited.as_bytes(), &[1, 2]),
            Err(Failure::RateLimited(None))
        ));
        // EIP-1474's -32005 "Limit exceeded" is a rate limit by its code alone, and the words
        // alone tell one under another code.
        let by_code =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"Limit exceeded"}}"#;
        assert!(matches!(
            read_batch(by_code.as_bytes(), &[1, 2]),
            Err(Failure::RateLimited(None))
        ));
        let by_words =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Too Many Requests"}}"#;
        assert!(matches!(
            read_batch(by_words.as_bytes(), &[1, 2]),
            Err(Failure::RateLimited(None))
        ));
        let other_code =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":32005,"message":"Limit exceeded"}}"#;
        assert!(matches!(
            read_batch(other_code.as_bytes(), &[1, 2]),
            Err(Failure::TooLarge(_))
        ));
        let keyless =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid API key"}}"#;
        assert!(
            matches!(read_batch(keyless.as_bytes(), &[1, 2]), Err(Failure::Refused(reason)) if !reason.starts_with(BATCH_REFUSAL))
        );
        let anvil_over_limit =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}"#;
        assert!(matches!(
            read_batch(anvil_over_limit.as_bytes(), &[1, 2]),
            Err(Failure::TooLarge(_))
        ));
    }

    /// A batch answer as an endpoint might send it: responses with ids sent or not, results or
    /// errors of any shape, cut off anywhere.
    fn batch_answer() -> impl Strategy<Value = Vec<u8>> {
        let payload = prop_oneof![
            Just(json!({ "result": "0x1" })),
            any::<i64>().prop_map(|n| json!({ "result": n })),
            ".{0,8}".prop_map(|text| json!({ "error": { "code": 3, "message": text } })),
            Just(json!({ "error": "not an object" })),
            Just(json!({})),
        ];
        let response = (0u64..5, payload).prop_map(|(id, mut payload)| {
            payload["jsonrpc"] = json!("2.0");
            payload["id"] = json!(id);
            payload
        });
        (
            proptest::collection::vec(response, 0..5),
            any::<bool>(),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(responses, single, cut)| {
                let value = if single {
                    responses.into_iter().next().unwrap_or(Value::Null)
                } else {
                    Value::Array(responses)
                };
                let mut bytes = serde_json::to_vec(&value).unwrap();
                bytes.truncate(cut.index(bytes.len() + 1));
                bytes
            })
    }

    proptest! {
        #[test]
        fn any_bytes_are_an_answer_to_each_request_or_refused(
            bytes in prop_oneof![proptest::collection::vec(any::<u8>(), 0..256), batch_answer()],
        ) {
            if let Ok(answers) = read_batch(&bytes, &[1, 2, 3]) {
                prop_assert_eq!(answers.len(), 3);
            }
        }
    }

    #[test]
    fn size_errors_are_told_from_reverts() {
        assert!(is_size_error("out of gas"));
        assert!(is_size_error("EVM error OutOfGas"));
        assert!(is_size_error("Return data too large"));
        assert!(is_size_error("query timeout exceeded"));
        assert!(!is_size_error("execution reverted"));
        assert!(!is_size_error("invalid opcode"));
        assert!(!is_size_error("rate limit exceeded"));
        assert!(!is_size_error("Too many requests"));
    }
}

/// Why one call of [`JsonRpc::run_all`] has no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallFailure {
    /// The node answered the call with an error (a revert, an unknown block…).
    #[error("{}", .0.message)]
    Node(ErrorPayload),
    /// The call never got a usable answer: every endpoint failed.
    #[error("{0}")]
    Transport(String),
    /// The call alone was too large for the endpoint (it timed out, or its answer was too big).
    #[error("{0}")]
    TooLarge(String),
}

/// A call sent ahead of every batch whose answer proves the endpoint serves the right network (an
/// EVM endpoint's chain id); a wrong answer fails the whole batch over to the next endpoint.
pub struct Guard<'a> {
    pub call: Call,
    pub check: &'a (dyn Fn(&Answer) -> Result<(), String> + Sync),
}

/// Checks one answer (by the index of its call); an error rejects the whole response as a lie.
pub type AnswerCheck<'a> = &'a (dyn Fn(usize, &Answer) -> Result<(), String> + Sync);

/// Batches larger than this are split before the first try; endpoints that take less say so.
const MAX_BATCH: usize = 1_000;
/// Request bodies larger than this are split before the first try: common node limits are 2 MB
/// and up (anvil's is 2 MB), and a refused body costs a round trip.
const MAX_BATCH_BYTES: usize = 1_900_000;
/// A refused batch larger than this is taken to be refused for its bytes, not its count.
const LARGE_BODY: usize = 256 * 1024;
/// Batch requests in flight at once: independent parts of a sweep need not wait for each other.
const BATCHES_IN_FLIGHT: usize = 4;
/// Single requests in flight at once for an endpoint that refuses batches.
const SINGLE_CONCURRENCY: usize = 8;

impl JsonRpc {
    /// Sends every call in as few requests as the preferred endpoint takes: batches, halved when the
    /// endpoint finds them too large (the size that worked is remembered), or single requests when it
    /// refuses batches. Returns one outcome per call, in order.
    pub async fn run_all(
        &self,
        calls: &[Call],
        guard: Option<&Guard<'_>>,
        check: AnswerCheck<'_>,
    ) -> Vec<Result<Box<RawValue>, CallFailure>> {
        let mut outcomes: Vec<Option<Result<Box<RawValue>, CallFailure>>> = vec![None; calls.len()];
        let sizes: Vec<usize> = calls.iter().map(Call::encoded_len).collect();
        let mut pending = std::collections::VecDeque::new();
        pending.push_back(0..calls.len());
        while !pending.is_empty() {
            let endpoint = self.pool.preferred();
            let learned = self.pool.learned(endpoint);
            if learned.no_batches {
                for range in std::mem::take(&mut pending) {
                    self.run_singles(calls, range, guard, check, &mut outcomes)
                        .await;
                }
                continue;
            }
            // A wave: up to BATCHES_IN_FLIGHT batches within the learned limits, sent at once.
            let count_limit = learned.batch.unwrap_or(MAX_BATCH).max(1);
            let byte_limit = learned.batch_bytes.unwrap_or(MAX_BATCH_BYTES);
            let mut wave = Vec::new();
            // (Sending one batch more at once changes the endpoint's load, not any outcome: its
            // mutant is excluded in .cargo/mutants.toml.)
            while wave.len() < BATCHES_IN_FLIGHT
                && let Some(range) = pending.pop_front()
            {
                let mut taken = 0;
                let mut bytes = 0;
                for size in &sizes[range.clone()] {
                    if taken == count_limit || (taken > 0 && bytes + size > byte_limit) {
                        break;
                    }
                    taken += 1;
                    bytes += size;
                }
                if taken < range.len() {
                    pending.push_front(range.start + taken..range.end);
                }
                if taken > 0 {
                    wave.push(range.start..range.start + taken);
                }
            }
            let sent = futures::future::join_all(
                wave.iter()
                    .map(|range| self.send_range(calls, range.clone(), guard, check)),
            )
            .await;
            for (range, result) in wave.into_iter().zip(sent) {
                match result {
                    Ok(answers) => {
                        for (index, answer) in range.clone().zip(answers) {
                            outcomes[index] = Some(answer.map_err(CallFailure::Node));
                        }
                    }
                    Err(PoolError::TooLarge { endpoint, .. }) if range.len() > 1 => {
                        // A large body was refused for its bytes, a small one for its count.
                        let bytes: usize = sizes[range.clone()].iter().sum();
                        let half = range.len() / 2;
                        self.pool.learn(endpoint, |learned| {
                            if bytes > LARGE_BODY {
                                learned.batch_bytes =
                                    Some(learned.batch_bytes.unwrap_or(usize::MAX).min(bytes / 2));
                            } else {
                                learned.batch = Some(learned.batch.unwrap_or(usize::MAX).min(half));
                            }
                        });
                        pending.push_front(range.start + half..range.end);
                        pending.push_front(range.start..range.start + half);
                    }
                    Err(PoolError::TooLarge { reason, .. }) => {
                        outcomes[range.start] = Some(Err(CallFailure::TooLarge(reason)));
                    }
                    Err(PoolError::Refused { endpoint, .. }) => {
                        self.pool
                            .learn(endpoint, |learned| learned.no_batches = true);
                        pending.push_front(range);
                    }
                    Err(err) => {
                        for outcome in &mut outcomes[range] {
                            *outcome = Some(Err(CallFailure::Transport(err.to_string())));
                        }
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .map(|outcome| outcome.expect("every call has an outcome"))
            .collect()
    }

    /// Sends the calls of `range` as one batch, behind the guard; the answers of the calls only.
    async fn send_range(
        &self,
        calls: &[Call],
        range: std::ops::Range<usize>,
        guard: Option<&Guard<'_>>,
        check: AnswerCheck<'_>,
    ) -> Result<Vec<Answer>, PoolError> {
        let offset = usize::from(guard.is_some());
        let batch: Vec<Call> = guard
            .map(|guard| guard.call.clone())
            .into_iter()
            .chain(calls[range.clone()].iter().cloned())
            .collect();
        let checked = |answers: &[Answer]| {
            if let Some(guard) = guard {
                (guard.check)(&answers[0])?;
            }
            answers[offset..]
                .iter()
                .enumerate()
                .try_for_each(|(index, answer)| check(range.start + index, answer))
        };
        let mut answers = self.batch(&batch, checked).await?;
        Ok(answers.split_off(offset))
    }

    async fn run_singles(
        &self,
        calls: &[Call],
        range: std::ops::Range<usize>,
        guard: Option<&Guard<'_>>,
        check: AnswerCheck<'_>,
        outcomes: &mut [Option<Result<Box<RawValue>, CallFailure>>],
    ) {
        use futures::StreamExt;

        if let Some(guard) = guard {
            let verified = match self
                .single(&guard.call, |answer| (guard.check)(answer))
                .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) => Err(format!(
                    "the endpoint cannot tell its network: {}",
                    error.message
                )),
                Err(err) => Err(err.to_string()),
            };
            if let Err(reason) = verified {
                for outcome in &mut outcomes[range] {
                    *outcome = Some(Err(CallFailure::Transport(reason.clone())));
                }
                return;
            }
        }
        let answers: Vec<(usize, Result<Box<RawValue>, CallFailure>)> =
            futures::stream::iter(range)
                .map(|index| async move {
                    let outcome = match self
                        .single(&calls[index], |answer| check(index, answer))
                        .await
                    {
                        Ok(answer) => answer.map_err(CallFailure::Node),
                        Err(PoolError::TooLarge { reason, .. }) => {
                            Err(CallFailure::TooLarge(reason))
                        }
                        Err(err) => Err(CallFailure::Transport(err.to_string())),
                    };
                    (index, outcome)
                })
                .buffer_unordered(SINGLE_CONCURRENCY)
                .collect()
                .await;
        for (index, outcome) in answers {
            outcomes[index] = Some(outcome);
        }
    }
}
