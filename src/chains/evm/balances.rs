//! Balances of many (owner, asset) pairs at one pinned block.

use std::ops::Range;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use serde_json::json;

use super::abi::{IERC20, IMulticall3, read_amount};
use super::{DEFAULT_CHUNK, EvmReader, eth_call};
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

impl EvmReader {
    /// Reads every ask at the latest block. Fails as a whole only when no block can be read; every
    /// other failure belongs to the asks it touched, and no ask ever gets a value it was not given.
    pub async fn balances(&self, asks: &[BalanceAsk]) -> Result<Readings, String> {
        let head = self.head().await?;
        let block = format!("{:#x}", head.block);
        let values = match head.multicall {
            Some(multicall) => self.through_multicall(multicall, asks, &block).await,
            None => self.one_call_each(asks, &block).await,
        };
        Ok(Readings {
            block: head.block,
            values,
        })
    }

    async fn through_multicall(
        &self,
        multicall: Address,
        asks: &[BalanceAsk],
        block: &str,
    ) -> Vec<Result<U256, String>> {
        let mut values: Vec<Option<Result<U256, String>>> = vec![None; asks.len()];
        let chunk = self
            .pool()
            .learned(self.pool().preferred())
            .chunk
            .unwrap_or(DEFAULT_CHUNK)
            .max(1);
        let mut pending: Vec<Range<usize>> = (0..asks.len())
            .step_by(chunk)
            .map(|start| start..(start + chunk).min(asks.len()))
            .collect();
        while !pending.is_empty() {
            let calls: Vec<Call> = pending
                .iter()
                .map(|range| {
                    eth_call(
                        multicall,
                        aggregate3(multicall, &asks[range.clone()]),
                        block,
                    )
                })
                .collect();
            // An answer with another number of results than calls sent is a lie, not a reading.
            let expected: Vec<usize> = pending.iter().map(Range::len).collect();
            let check = |index: usize, answer: &Answer| match answer {
                Ok(raw) => decode_aggregate3(raw.get()).and_then(|results| {
                    (results.len() == expected[index])
                        .then_some(())
                        .ok_or_else(|| {
                            format!(
                                "a multicall of {} calls was answered with {} results",
                                expected[index],
                                results.len()
                            )
                        })
                }),
                Err(_) => Ok(()),
            };
            let outcomes = self.run(&calls, &check).await;
            let mut split = Vec::new();
            for (range, outcome) in pending.iter().zip(outcomes) {
                match outcome {
                    Ok(raw) => {
                        let results = decode_aggregate3(raw.get()).expect("checked above");
                        for (index, result) in range.clone().zip(results) {
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
                        split.push(range.start..range.start + half);
                        split.push(range.start + half..range.end);
                    }
                    Err(failure) => {
                        for value in &mut values[range.clone()] {
                            *value = Some(Err(failure.to_string()));
                        }
                    }
                }
            }
            pending = split;
        }
        values
            .into_iter()
            .map(|value| value.expect("every ask has a value"))
            .collect()
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
        let outcomes = self.run(&calls, &|_, _| Ok(())).await;
        asks.iter()
            .zip(outcomes)
            .map(|(ask, outcome)| match (ask.token, outcome) {
                (None, Ok(raw)) => serde_json::from_str::<U256>(raw.get())
                    .map_err(|_| "eth_getBalance sent a malformed amount".to_owned()),
                (Some(_), Ok(raw)) => match serde_json::from_str::<Bytes>(raw.get()) {
                    Ok(data) => read_amount("balanceOf", true, &data),
                    Err(_) => Err("balanceOf sent malformed data".to_owned()),
                },
                (Some(_), Err(CallFailure::Node(error))) => {
                    Err(format!("balanceOf reverted: {}", error.message))
                }
                (_, Err(failure)) => Err(failure.to_string()),
            })
            .collect()
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

fn aggregate3(multicall: Address, asks: &[BalanceAsk]) -> Vec<u8> {
    let calls = asks
        .iter()
        .map(|ask| match ask.token {
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
        })
        .collect();
    IMulticall3::aggregate3Call { calls }.abi_encode()
}

/// Decodes the answer of an `eth_call` to `aggregate3`.
pub(super) fn decode_aggregate3(raw: &str) -> Result<Vec<IMulticall3::Result>, String> {
    let data: Bytes =
        serde_json::from_str(raw).map_err(|_| "the multicall answer is not hex data".to_owned())?;
    IMulticall3::aggregate3Call::abi_decode_returns(&data)
        .map_err(|_| "the multicall answer does not decode".to_owned())
}
