//! EVM chains, read at the request floor: every balance of a sweep at one pinned block, through
//! Multicall3's `aggregate3` in chunks as large as the endpoint takes, those chunks in JSON-RPC
//! batches; without Multicall3, the balance calls themselves in batches.

mod abi;
mod balances;
mod metadata;

use alloy_primitives::{Address, U64};
use serde_json::json;

pub use balances::{BalanceAsk, Readings};
pub use metadata::TokenMetadata;

use super::jsonrpc::{Answer, Call, CallFailure, Guard, JsonRpc};
use super::pool::EndpointPool;

/// The largest `eth_call` gas holdings asks for: nodes that follow EIP-7825 refuse more.
pub const CALL_GAS_CAP: u64 = 16_777_216;

/// Calls per multicall chunk before an endpoint has said what it takes.
pub const DEFAULT_CHUNK: usize = 2_000;

pub struct EvmReader {
    rpc: JsonRpc,
    chain_id: u64,
    multicall: Option<Address>,
}

/// The block a sweep reads at, and whether Multicall3 is there to read through.
struct Head {
    block: u64,
    multicall: Option<Address>,
}

impl EvmReader {
    pub fn new(pool: EndpointPool, chain_id: u64, multicall: Option<Address>) -> Self {
        Self {
            rpc: JsonRpc::new(pool),
            chain_id,
            multicall,
        }
    }

    pub fn pool(&self) -> &EndpointPool {
        self.rpc.pool()
    }

    /// Proves with every batch that the endpoint serves this chain.
    fn check_chain_id(&self, answer: &Answer) -> Result<(), String> {
        let reported = answer
            .as_ref()
            .ok()
            .and_then(|raw| serde_json::from_str::<U64>(raw.get()).ok())
            .ok_or("the endpoint did not tell its chain id")?;
        if reported != U64::from(self.chain_id) {
            return Err(format!(
                "the endpoint serves chain {reported}, not {}",
                self.chain_id
            ));
        }
        Ok(())
    }

    async fn run(
        &self,
        calls: &[Call],
        check: super::jsonrpc::AnswerCheck<'_>,
    ) -> Vec<Result<Box<serde_json::value::RawValue>, CallFailure>> {
        let check_chain_id = |answer: &Answer| self.check_chain_id(answer);
        let guard = Guard {
            call: Call::new("eth_chainId", json!([])),
            check: &check_chain_id,
        };
        self.rpc.run_all(calls, Some(&guard), check).await
    }

    /// The latest block, and whether Multicall3 has code (when the chain is configured with it).
    async fn head(&self) -> Result<Head, String> {
        let mut calls = vec![Call::new("eth_blockNumber", json!([]))];
        if let Some(multicall) = self.multicall {
            calls.push(Call::new("eth_getCode", json!([multicall, "latest"])));
        }
        let mut outcomes = self.run(&calls, &|_, _| Ok(())).await.into_iter();
        let block = match outcomes.next().expect("one outcome per call") {
            Ok(raw) => serde_json::from_str::<U64>(raw.get())
                .map_err(|_| "the endpoint sent a malformed block number")?,
            Err(failure) => return Err(failure.to_string()),
        };
        let multicall = match outcomes.next() {
            Some(Ok(code)) => self
                .multicall
                .filter(|_| !matches!(code.get(), "\"0x\"" | "\"\"")),
            Some(Err(failure)) => return Err(failure.to_string()),
            None => None,
        };
        if self.multicall.is_some() && multicall.is_none() {
            tracing::info!(
                chain_id = self.chain_id,
                "no Multicall3 code at the configured address; using batches"
            );
        }
        Ok(Head {
            block: block.to::<u64>(),
            multicall,
        })
    }
}

/// An `eth_call` at a block, with the gas cap.
fn eth_call(to: Address, data: Vec<u8>, block: &str) -> Call {
    let data = alloy_primitives::Bytes::from(data);
    Call::new(
        "eth_call",
        json!([{ "to": to, "data": data, "gas": format!("{CALL_GAS_CAP:#x}") }, block]),
    )
}
