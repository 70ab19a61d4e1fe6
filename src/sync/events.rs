//! What the engine tells its listeners: small "this changed" notes; listeners read the details back.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// Balances of a chain were written (read, or failed to read).
    BalancesChanged {
        chain: String,
        written: usize,
        failed: usize,
    },
    /// A sweep of a chain went on: `done` of `total` balances.
    SyncProgress {
        chain: String,
        done: usize,
        total: usize,
    },
    /// An endpoint stopped answering (its URL shown without path or query).
    EndpointOffline { chain: String, endpoint: String },
    /// An endpoint answered again.
    EndpointOnline { chain: String, endpoint: String },
    /// Prices were read and written (with the day's values).
    PricesChanged { written: usize },
}
