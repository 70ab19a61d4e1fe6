//! EVM chains, read at the request floor: every balance of a sweep at one pinned block, through
//! Multicall3's `aggregate3` in chunks as large as the endpoint takes, those chunks in JSON-RPC
//! batches; without Multicall3, the balance calls themselves in batches.
//!
//! Each multicall chunk starts with Multicall3's `getBlockNumber()`, so the block it ran at comes
//! back inside its own answer: a sweep that fits one batch costs one request, with no separate
//! request for the block number, and chunks that ran at another block are read again at the first.

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
    /// Set once the configured Multicall3 address turned out to have no code.
    multicall_missing: std::sync::atomic::AtomicBool,
}

impl EvmReader {
    pub fn new(pool: EndpointPool, chain_id: u64, multicall: Option<Address>) -> Self {
        Self {
            rpc: JsonRpc::new(pool),
            chain_id,
            multicall,
            multicall_missing: Default::default(),
        }
    }

    pub fn pool(&self) -> &EndpointPool {
        self.rpc.pool()
    }

    /// The pool, with what it learned, once reading is done.
    pub fn into_pool(self) -> EndpointPool {
        self.rpc.into_pool()
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

    /// The latest block number.
    async fn block_number(&self) -> Result<u64, String> {
        let outcome = self
            .run(&[Call::new("eth_blockNumber", json!([]))], &|_, _| Ok(()))
            .await
            .remove(0);
        let raw = outcome.map_err(|failure| failure.to_string())?;
        let block = serde_json::from_str::<U64>(raw.get())
            .map_err(|_| "the endpoint sent a malformed block number")?;
        Ok(block.to::<u64>())
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
