//! Bitcoin, read from Electrum servers (`electrum`: every address's balance and history in a few
//! batches on one connection, as Electrum and Sparrow scan) or Esplora REST APIs (`esplora`: a
//! request per address). A chain may have both; a sweep asks the protocol of its healthiest
//! endpoint first, and what it could not read there is asked of the other (`source`).

mod electrum;
mod esplora;
mod source;

pub use source::FAMILY;

use alloy_primitives::U256;

/// What a sweep learns of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressReading {
    /// Confirmed balance in sats.
    pub confirmed: U256,
    /// What unconfirmed transactions would add (or, negative, take): shown apart, never summed in.
    pub pending: i128,
    /// Whether any transaction, confirmed or not, has touched it (what a gap limit counts).
    pub used: bool,
}
