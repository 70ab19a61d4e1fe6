//! Reading chains: the endpoint pool every source shares, JSON-RPC over it, and one module per family.

pub mod bitcoin;
pub mod evm;
pub mod jsonrpc;
pub mod pool;
pub mod solana;
pub mod tron;
