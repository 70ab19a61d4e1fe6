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
mod source;

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U64, U256};
use serde_json::json;

pub use balances::{BalanceAsk, Readings};
pub use source::FAMILY;

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
    pub fn new(pool: Arc<EndpointPool>, chain_id: u64, multicall: Option<Address>) -> Self {
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
        let check = |_: usize, answer: &Answer| {
            answer
                .as_ref()
                .map_or(Ok(()), |raw| quantity(raw.get()).map(drop))
        };
        let outcome = self
            .run(&[Call::new("eth_blockNumber", json!([]))], &check)
            .await
            .remove(0);
        let raw = outcome.map_err(|failure| failure.to_string())?;
        let block = quantity(raw.get())?;
        u64::try_from(block).map_err(|_| "the endpoint sent an impossible block number".to_owned())
    }
}

/// A JSON-RPC quantity, strictly: a string of `0x` and 1 to 64 hex digits. Lenient parsers read
/// `"0x"` as zero, which would turn a garbled answer into a zero balance.
pub(crate) fn quantity(raw: &str) -> Result<U256, String> {
    let digits = raw
        .strip_prefix("\"0x")
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|digits| {
            (1..=64).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_hexdigit())
        })
        .ok_or_else(|| format!("{} is not a JSON-RPC quantity", shorten(raw)))?;
    U256::from_str_radix(digits, 16)
        .map_err(|_| format!("{} is not a JSON-RPC quantity", shorten(raw)))
}

/// JSON-RPC data, strictly: a string of `0x` and an even number of hex digits.
pub(crate) fn data(raw: &str) -> Result<Bytes, String> {
    let digits = raw
        .strip_prefix("\"0x")
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|digits| digits.len() % 2 == 0)
        .ok_or_else(|| format!("{} is not JSON-RPC data", shorten(raw)))?;
    alloy_primitives::hex::decode(digits)
        .map(Bytes::from)
        .map_err(|_| format!("{} is not JSON-RPC data", shorten(raw)))
}

fn shorten(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// An `eth_call` at a block, with the gas cap.
fn eth_call(to: Address, data: Vec<u8>, block: &str) -> Call {
    let data = alloy_primitives::Bytes::from(data);
    Call::new(
        "eth_call",
        json!([{ "to": to, "data": data, "gas": format!("{CALL_GAS_CAP:#x}") }, block]),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn quantities_are_read_strictly() {
        assert_eq!(quantity("\"0x1f\""), Ok(U256::from(31)));
        assert_eq!(quantity("\"0x0\""), Ok(U256::ZERO));
        for garbled in [
            "\"0x\"", "\"\"", "\"100\"", "\"0xzz\"", "100", "null", "\"0x-1\"",
        ] {
            assert!(quantity(garbled).is_err(), "{garbled}");
        }
        assert!(
            quantity(&format!("\"0x1{}\"", "0".repeat(64))).is_err(),
            "more than 256 bits"
        );
    }

    #[test]
    fn data_is_read_strictly() {
        assert_eq!(data("\"0x\"").unwrap().len(), 0);
        assert_eq!(data("\"0x0102\"").unwrap().to_vec(), [1, 2]);
        for garbled in ["\"0x1\"", "\"01\"", "null", "\"0xgg\""] {
            assert!(data(garbled).is_err(), "{garbled}");
        }
    }

    proptest! {
        #[test]
        fn any_text_is_a_quantity_or_data_or_refused(
            raw in prop_oneof![any::<String>(), "\"0x[0-9a-fA-FgG]{0,70}\"", "\"?0?x?[ -~]{0,10}\"?"],
        ) {
            if let Ok(value) = quantity(&raw) {
                prop_assert_eq!(quantity(&format!("\"{value:#x}\"")), Ok(value));
            }
            if let Ok(bytes) = data(&raw) {
                prop_assert_eq!(data(&format!("\"{bytes}\"")), Ok(bytes));
            }
        }
    }
}
