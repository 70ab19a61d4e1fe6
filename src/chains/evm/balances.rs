//! Balances of many (owner, asset) pairs at one pinned block.

use std::ops::Range;
use std::sync::atomic::Ordering;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serde_json::json;

use super::abi::{IERC20, IMulticall3, read_amount};
use super::{DEFAULT_CHUNK, EvmReader, data, eth_call, quantity};
use crate::chains::jsonrpc::{Answer, Call, CallFailure, is_size_error};

/// One balance to read: an owner's native coin (`token: None`) or one of its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceAsk {
    pub owner: Address,
    pub token: Option<Address>,
}

/// What a sweep read: the block, and per ask (in order) its amount or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readings {
    pub block: u64,
    pub values: Vec<Result<U256, String>>,
}

/// Rounds a chunk that ran at another block is read again at the pinned one, at most.
const MAX_REREADS: u32 = 3;

/// Why the multicall path gave up as a whole.
enum MulticallFailed {
    /// The configured address has no code: read without it.
    Missing,
    /// No chunk could be read; the message names the endpoints.
    Unreachable(String),
}

impl EvmReader {
    /// Reads every ask at one block. Fails as a whole only when nothing at all could be read; every
    /// other failure belongs to the asks it touched, and no ask ever gets a value it was not given.
    pub async fn balances(&self, asks: &[BalanceAsk]) -> Result<Readings, String> {
        if let Some(multicall) = self
            .multicall
            .filter(|_| !self.multicall_missing.load(Ordering::Relaxed))
        {
            match self.through_multicall(multicall, asks).await {
                Ok(readings) => return Ok(readings),
                Err(MulticallFailed::Unreachable(why)) => return Err(why),
                Err(MulticallFailed::Missing) => {
                    tracing::info!(chain_id = self.chain_id, %multicall, "no Multicall3 code there; reading with batches");
                    self.multicall_missing.store(true, Ordering::Relaxed);
                }
            }
        }
        let block = self.block_number().await?;
        let values = self.one_call_each(asks, &format!("{block:#x}")).await;
        Ok(Readings { block, values })
    }

    async fn through_multicall(
        &self,
        multicall: Address,
        asks: &[BalanceAsk],
    ) -> Result<Readings, MulticallFailed> {
        let mut values: Vec<Option<Result<U256, String>>> = vec![None; asks.len()];
        let chunk = self
            .pool()
            .learned(self.pool().preferred())
            .chunk
            .unwrap_or(DEFAULT_CHUNK)
            .max(1);
        let mut pending: Vec<(Range<usize>, u32)> = (0..asks.len())
            .step_by(chunk)
            .map(|start| (start..(start + chunk).min(asks.len()), 0))
            .collect();
        // The first round runs at "latest" and learns its block; later rounds run at that block.
        let mut pinned: Option<u64> = None;
        let mut read_anything = false;
        let mut last_transport_failure = None;
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let tag = pinned.map_or_else(|| "latest".to_owned(), |block| format!("{block:#x}"));
            let calls: Vec<Call> = pending
                .iter()
                .map(|(range, _)| {
                    eth_call(multicall, aggregate3(multicall, &asks[range.clone()]), &tag)
                })
                .collect();
            // An answer with another number of results than calls sent is a lie, not a reading,
            // and so is one asked at the pinned block that ran at another; an empty one means
            // there is no Multicall3 at the address.
            let expected: Vec<usize> = pending.iter().map(|(range, _)| range.len() + 1).collect();
            let check = |index: usize, answer: &Answer| match answer {
                Ok(raw) if is_empty_data(raw.get()) => Ok(()),
                Ok(raw) => {
                    let (block, _) = decode_chunk(raw.get(), expected[index])?;
                    match pinned {
                        Some(pinned) if block != pinned => Err(format!(
                            "asked at block {pinned}, the multicall ran at block {block}"
                        )),
                        _ => Ok(()),
                    }
                }
                Err(_) => Ok(()),
            };
            let outcomes = self.run(&calls, &check).await;
            let every_one_empty = outcomes
                .iter()
                .all(|outcome| outcome.as_ref().is_ok_and(|raw| is_empty_data(raw.get())));
            if round == 1 && every_one_empty {
                return Err(MulticallFailed::Missing);
            }
            let mut next = Vec::new();
            for ((range, rereads), outcome) in pending.iter().zip(outcomes) {
                let (range, rereads) = (range.clone(), *rereads);
                match outcome {
                    Ok(raw) if is_empty_data(raw.get()) => {
                        fail(&mut values[range], "the multicall answered with no data");
                    }
                    Ok(raw) => {
                        let (block, results) =
                            decode_chunk(raw.get(), range.len() + 1).expect("checked above");
                        let pinned = *pinned.get_or_insert(block);
                        if block != pinned {
                            // A block arrived between two chunks: read this one again at the
                            // pinned block, a few times at most.
                            if rereads < MAX_REREADS {
                                next.push((range, rereads + 1));
                            } else {
                                fail(
                                    &mut values[range],
                                    &format!(
                                        "the endpoints kept answering at blocks other than {pinned}"
                                    ),
                                );
                            }
                            continue;
                        }
                        read_anything = true;
                        for (index, result) in range.zip(results) {
                            let function = if asks[index].token.is_some() {
                                "balanceOf"
                            } else {
                                "getEthBalance"
                            };
                            values[index] =
                                Some(read_amount(function, result.success, &result.returnData));
                        }
                    }
                    // Too much for one call: out of gas, answer too large, too slow. Halve it.
                    Err(failure) if range.len() > 1 && is_splittable(&failure) => {
                        let half = range.len() / 2;
                        let endpoint = self.pool().preferred();
                        self.pool().learn(endpoint, |learned| {
                            learned.chunk = Some(learned.chunk.unwrap_or(usize::MAX).min(half))
                        });
                        tracing::debug!(calls = range.len(), "multicall chunk too large; halving");
                        next.push((range.start..range.start + half, rereads));
                        next.push((range.start + half..range.end, rereads));
                    }
                    // This chunk's rows fail alone; the other chunks' stand.
                    Err(failure) => {
                        if matches!(failure, CallFailure::Transport(_)) {
                            last_transport_failure = Some(failure.to_string());
                        }
                        fail(&mut values[range], &failure.to_string());
                    }
                }
            }
            pending = next;
        }
        match (pinned, read_anything) {
            (Some(block), true) => Ok(Readings {
                block,
                values: values
                    .into_iter()
                    .map(|value| value.expect("every ask has a value"))
                    .collect(),
            }),
            _ => Err(MulticallFailed::Unreachable(
                last_transport_failure
                    .or_else(|| values.into_iter().flatten().find_map(Result::err))
                    .unwrap_or_else(|| "nothing could be read".into()),
            )),
        }
    }

    async fn one_call_each(&self, asks: &[BalanceAsk], block: &str) -> Vec<Result<U256, String>> {
        let calls: Vec<Call> = asks
            .iter()
            .map(|ask| match ask.token {
                None => Call::new("eth_getBalance", json!([ask.owner, block])),
                Some(token) => eth_call(
                    token,
                    IERC20::balanceOfCall { owner: ask.owner }.abi_encode(),
                    block,
                ),
            })
            .collect();
        // A garbled answer is the endpoint's fault: it fails over instead of becoming a value.
        let check = |index: usize, answer: &Answer| match (asks[index].token, answer) {
            (None, Ok(raw)) => quantity(raw.get()).map(drop),
            (Some(_), Ok(raw)) => data(raw.get()).map(drop),
            (_, Err(_)) => Ok(()),
        };
        let outcomes = self.run(&calls, &check).await;
        asks.iter()
            .zip(outcomes)
            .map(|(ask, outcome)| match (ask.token, outcome) {
                (None, Ok(raw)) => quantity(raw.get()),
                (Some(_), Ok(raw)) => {
                    data(raw.get()).and_then(|data| read_amount("balanceOf", true, &data))
                }
                (Some(_), Err(CallFailure::Node(error))) => {
                    Err(format!("balanceOf reverted: {}", error.message))
                }
                (_, Err(failure)) => Err(failure.to_string()),
            })
            .collect()
    }
}

/// The rows of a chunk that could not be read, each with why.
fn fail(values: &mut [Option<Result<U256, String>>], why: &str) {
    for value in values {
        *value = Some(Err(why.to_owned()));
    }
}

fn is_splittable(failure: &CallFailure) -> bool {
    match failure {
        CallFailure::TooLarge(_) => true,
        // With allowFailure on every call, aggregate3 itself fails only for size or node limits.
        CallFailure::Node(error) => {
            is_size_error(&error.message) || error.message.contains("revert")
        }
        CallFailure::Transport(_) => false,
    }
}

fn is_empty_data(raw: &str) -> bool {
    matches!(raw, "\"0x\"" | "\"\"")
}

/// `aggregate3` over the asks, after a first call to `getBlockNumber()`.
fn aggregate3(multicall: Address, asks: &[BalanceAsk]) -> Vec<u8> {
    let block_number = IMulticall3::Call3 {
        target: multicall,
        allowFailure: false,
        callData: IMulticall3::getBlockNumberCall {}.abi_encode().into(),
    };
    let calls = std::iter::once(block_number)
        .chain(asks.iter().map(|ask| {
            match ask.token {
                None => IMulticall3::Call3 {
                    target: multicall,
                    allowFailure: true,
                    callData: IMulticall3::getEthBalanceCall { addr: ask.owner }
                        .abi_encode()
                        .into(),
                },
                Some(token) => IMulticall3::Call3 {
                    target: token,
                    allowFailure: true,
                    callData: IERC20::balanceOfCall { owner: ask.owner }
                        .abi_encode()
                        .into(),
                },
            }
        }))
        .collect();
    IMulticall3::aggregate3Call { calls }.abi_encode()
}

/// Decodes a chunk's answer into the block it ran at and the results of its asks.
fn decode_chunk(raw: &str, expected: usize) -> Result<(u64, Vec<IMulticall3::Result>), String> {
    let mut results = decode_aggregate3(raw)?;
    if results.len() != expected {
        return Err(format!(
            "a multicall of {expected} calls was answered with {} results",
            results.len()
        ));
    }
    let first = results.remove(0);
    let block = read_amount("getBlockNumber", first.success, &first.returnData)?;
    let block = u64::try_from(block)
        .map_err(|_| "the multicall reported an impossible block number".to_owned())?;
    Ok((block, results))
}

/// Decodes the answer of an `eth_call` to `aggregate3`.
pub(super) fn decode_aggregate3(raw: &str) -> Result<Vec<IMulticall3::Result>, String> {
    let data = data(raw)?;
    IMulticall3::aggregate3Call::abi_decode_returns(&data)
        .map_err(|_| "the multicall answer does not decode".to_owned())
}
