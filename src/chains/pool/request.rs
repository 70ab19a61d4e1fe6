//! One request over the pool: turns at the endpoints, in the order of their health, within the
//! request's time budget.
//!
//! A turn is a few attempts at one endpoint with jittered backoff, while the failure is passing (a
//! 5xx, a 429 waited out within the budget). A garbled answer ends the turn when another endpoint
//! can be asked, and is retried in place like a 5xx when none can. An endpoint whose turn failed
//! that way may have more turns (three in all) once the others had theirs; one that is down, timed out, sent
//! too much or refused us is not asked again by this request. A turn that has not ended after
//! `hedge_after` has the next endpoint's turn run beside it, and the first usable answer wins.

use std::pin::pin;
use std::time::Instant;

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tracing::Instrument;

use super::{Ask, BATCH_REFUSAL, EndpointPool, Failure, PoolError, Protocol};

/// Turns one request gives an endpoint at most.
const MAX_TURNS: u32 = 3;

impl EndpointPool {
    /// Sends `ask` as the module says, and hands the answer to `read`, which says whether it is
    /// usable.
    pub async fn send<T>(
        &self,
        ask: Ask<'_>,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        self.request(self.ranked(), |_| ask, read).await
    }

    /// Like [`EndpointPool::send`], asking only the endpoints that speak `protocol` (a Bitcoin
    /// chain's Electrum servers apart from its Esplora APIs).
    pub async fn send_over<T>(
        &self,
        protocol: Protocol,
        ask: Ask<'_>,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        let order = self
            .ranked()
            .into_iter()
            .filter(|&index| self.protocol(index) == protocol)
            .collect();
        self.request(order, |_| ask, read).await
    }

    /// Like [`EndpointPool::send`], asking each endpoint as `ask` says for it (what an endpoint
    /// serves may differ from another's); `read` is told which endpoint answered.
    pub async fn send_each<'a, T>(
        &self,
        ask: impl Fn(usize) -> Ask<'a>,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        self.request(self.ranked(), ask, read).await
    }

    /// Sends `ask` to endpoint `endpoint` alone, retried but never failed over: to learn what
    /// that endpoint serves.
    pub async fn send_to<T>(
        &self,
        endpoint: usize,
        ask: Ask<'_>,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        self.request(vec![endpoint], |_| ask, read).await
    }

    async fn request<'a, T>(
        &self,
        order: Vec<usize>,
        ask: impl Fn(usize) -> Ask<'a>,
        read: impl Fn(usize, &[u8]) -> Result<T, Failure>,
    ) -> Result<T, PoolError> {
        let deadline = Instant::now() + self.policy.budget;
        let mut plan = Plan::new(order, self.endpoints.len(), self.policy.retry_garbled);
        let mut turns = FuturesUnordered::new();
        let start = |plan: &mut Plan, index: usize| {
            let repeat = plan.start(index);
            let alone = plan.is_alone(index);
            self.turn(index, ask(index), &read, deadline, repeat, alone)
        };
        if let Some(first) = plan.next() {
            turns.push(start(&mut plan, first));
        }
        let mut hedge = pin!(tokio::time::sleep(self.policy.hedge_after));
        let mut out_of_time = pin!(tokio::time::sleep_until(deadline.into()));
        while !turns.is_empty() {
            tokio::select! {
                Some((index, outcome)) = turns.next() => match outcome {
                    Ok(value) => {
                        self.endpoints[index].succeeded();
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
                        self.endpoints[index].failed(&failure, self.policy.max_retry_after);
                        plan.failed(index, failure);
                        // Fail over at once to an endpoint not asked yet; give one a second turn
                        // only when nothing else is under way.
                        if let Some(next) = plan.next().filter(|&next| plan.is_untried(next) || turns.is_empty()) {
                            turns.push(start(&mut plan, next));
                            hedge.as_mut().reset((Instant::now() + self.policy.hedge_after).into());
                        }
                    }
                },
                () = &mut hedge, if plan.next().is_some() => {
                    let next = plan.next().expect("checked by the guard");
                    tracing::debug!(endpoint = %self.display_url(next), "no answer yet; asking the next endpoint too");
                    turns.push(start(&mut plan, next));
                    hedge.as_mut().reset((Instant::now() + self.policy.hedge_after).into());
                }
                () = &mut out_of_time => {
                    plan.out_of_time();
                    break;
                }
            }
        }
        Err(plan.into_error(self))
    }

    /// Endpoint `index`'s turn at the request, after a pause when it had one before.
    async fn turn<T>(
        &self,
        index: usize,
        ask: Ask<'_>,
        read: &impl Fn(usize, &[u8]) -> Result<T, Failure>,
        deadline: Instant,
        repeat: bool,
        alone: bool,
    ) -> (usize, Result<T, Failure>) {
        if repeat {
            let pause = self
                .backoff()
                .build()
                .nth(self.policy.attempts_per_endpoint);
            let until = pause.map_or(deadline, |pause| (Instant::now() + pause).min(deadline));
            tokio::time::sleep_until(until.into()).await;
        }
        let attempt = || {
            let span = tracing::debug_span!("request", endpoint = %self.display_url(index), path = ask.path);
            self.attempt(index, ask, read, deadline).instrument(span)
        };
        // Attempts that failed, 429s aside: being asked to wait is no failure of the endpoint, and
        // the budget bounds the waiting.
        let mut failed = 0;
        let outcome = attempt
            .retry(self.backoff())
            .when(|failure| match failure {
                Failure::Transient(_) | Failure::Down(_) | Failure::RateLimited(_) => true,
                Failure::Garbled(_) => alone && self.policy.retry_garbled,
                _ => false,
            })
            .adjust(|failure, backoff| {
                let wait = match failure {
                    Failure::RateLimited(Some(retry_after)) => {
                        Some((*retry_after).max(self.policy.min_backoff))
                    }
                    Failure::RateLimited(None) => backoff,
                    _ => {
                        failed += 1;
                        backoff.filter(|_| failed < self.policy.attempts_per_endpoint)
                    }
                };
                wait.filter(|wait| {
                    *wait <= self.policy.max_retry_after && Instant::now() + *wait < deadline
                })
            })
            .await;
        (index, outcome)
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.policy.min_backoff)
            .with_max_delay(self.policy.max_backoff)
            .with_max_times(usize::MAX)
            .with_jitter()
    }
}

/// Which endpoints one request has asked, which it may ask next, and how each failed.
struct Plan {
    /// Endpoints in the order to ask them.
    order: Vec<usize>,
    turns: Vec<u32>,
    running: Vec<bool>,
    /// Not to be asked again by this request.
    done: Vec<bool>,
    /// Whether an endpoint that sent a garbled answer may be asked again.
    retry_garbled: bool,
    /// Each endpoint's last failure, in the order they were first asked.
    failures: Vec<(usize, Failure)>,
}

impl Plan {
    /// A plan asking the endpoints of `order` (of a pool of `endpoints`), in that order.
    fn new(order: Vec<usize>, endpoints: usize, retry_garbled: bool) -> Self {
        Self {
            retry_garbled,
            order,
            turns: vec![0; endpoints],
            running: vec![false; endpoints],
            done: vec![false; endpoints],
            failures: Vec::new(),
        }
    }

    fn can_start(&self, index: usize) -> bool {
        !self.running[index] && !self.done[index] && self.turns[index] < MAX_TURNS
    }

    /// The endpoint to ask next: of those that may be asked, the one with the fewest turns, then
    /// the healthiest.
    fn next(&self) -> Option<usize> {
        self.order
            .iter()
            .copied()
            .filter(|&index| self.can_start(index))
            .min_by_key(|&index| self.turns[index])
    }

    fn is_untried(&self, index: usize) -> bool {
        self.turns[index] == 0
    }

    /// Whether no endpoint but `index` could be asked now: a garbled answer is then retried there.
    fn is_alone(&self, index: usize) -> bool {
        !self
            .order
            .iter()
            .any(|&other| other != index && self.can_start(other))
    }

    /// Starts `index`'s turn; whether it had one before.
    fn start(&mut self, index: usize) -> bool {
        self.running[index] = true;
        self.turns[index] += 1;
        self.turns[index] > 1
    }

    fn failed(&mut self, index: usize, failure: Failure) {
        self.running[index] = false;
        // Passing trouble may pass by the next turn; the rest will not within this request.
        self.done[index] = match failure {
            Failure::Transient(_) => false,
            Failure::Garbled(_) => !self.retry_garbled,
            _ => true,
        };
        match self.failures.iter_mut().find(|(asked, _)| *asked == index) {
            Some((_, last)) => *last = failure,
            None => self.failures.push((index, failure)),
        }
    }

    /// The budget ran out: the turns under way failed for time.
    fn out_of_time(&mut self) {
        for index in 0..self.running.len() {
            if self.running[index] {
                self.failed(index, Failure::TimedOut);
            }
        }
    }

    /// Why the request failed: too large for the endpoints when every one timed out (a smaller
    /// request may pass), else each endpoint's last failure.
    fn into_error(self, pool: &EndpointPool) -> PoolError {
        let every_one_timed_out = !self.failures.is_empty()
            && self
                .failures
                .iter()
                .all(|(_, failure)| *failure == Failure::TimedOut);
        if every_one_timed_out {
            let endpoint = self.failures[0].0;
            return PoolError::TooLarge {
                endpoint,
                endpoint_url: pool.display_url(endpoint),
                reason: "every endpoint timed out".into(),
            };
        }
        PoolError::Unreachable(
            self.failures
                .into_iter()
                .map(|(index, failure)| (pool.display_url(index), failure.to_string()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn endpoints_are_asked_by_health_then_again_after_the_others() {
        let mut plan = Plan::new(vec![1, 0, 2], 3, true);
        assert_eq!(plan.next(), Some(1));
        assert!(!plan.start(1));
        assert_eq!(plan.next(), Some(0), "a hedge goes to the next one");
        plan.failed(1, Failure::Transient("HTTP 503".into()));
        assert_eq!(plan.next(), Some(0), "the untried first");
        plan.start(0);
        plan.failed(0, Failure::Garbled("cut off".into()));
        plan.start(2);
        plan.failed(2, Failure::Down("cannot connect".into()));
        assert_eq!(plan.next(), Some(1), "a second turn, in order of health");
        assert!(plan.start(1));
        assert_eq!(plan.next(), Some(0));
        plan.start(0);
        plan.failed(0, Failure::Garbled("cut off".into()));
        plan.failed(1, Failure::Transient("HTTP 503".into()));
        for _ in 0..2 {
            let next = plan.next().unwrap();
            plan.start(next);
            plan.failed(next, Failure::Transient("HTTP 503".into()));
        }
        assert_eq!(
            plan.next(),
            None,
            "three turns each, and the one down not again"
        );
    }

    #[test]
    fn a_garbled_answer_is_retried_in_place_only_when_no_other_endpoint_can_be_asked() {
        let mut plan = Plan::new(vec![0, 1], 2, true);
        plan.start(0);
        assert!(!plan.is_alone(0));
        plan.start(1);
        assert!(plan.is_alone(0), "the other is under way");
        let single = Plan::new(vec![0], 1, true);
        assert!(single.is_alone(0));
    }

    #[test]
    fn a_pool_may_leave_garbled_answers_to_its_next_pass() {
        let mut plan = Plan::new(vec![0], 1, false);
        plan.start(0);
        plan.failed(0, Failure::Garbled("cut off".into()));
        assert_eq!(plan.next(), None);
    }

    #[test]
    fn refusals_timeouts_and_oversized_answers_end_an_endpoint_s_part() {
        for failure in [
            Failure::Refused("HTTP 307".into()),
            Failure::TimedOut,
            Failure::Oversized(4 << 20),
            Failure::RateLimited(Some(Duration::from_secs(3_600))),
        ] {
            let mut plan = Plan::new(vec![0], 1, true);
            plan.start(0);
            plan.failed(0, failure.clone());
            assert_eq!(plan.next(), None, "{failure:?}");
        }
    }
}
