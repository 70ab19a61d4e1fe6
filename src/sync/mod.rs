//! The sync engine: sweeps that read what is due on a chain and write it to the store.

mod sweep;

pub use sweep::{SweepMode, SweepReport, evm_reader, sweep_chain};
