//! The integration tests' local servers, for unit tests of a reader's requests: the same servers,
//! answering as the public APIs document, not copies of them.
#![allow(dead_code)] // each unit test uses its own part of them

#[path = "../../../tests/support/electrum.rs"]
pub mod electrum;
#[path = "../../../tests/support/esplora.rs"]
pub mod esplora;
#[path = "../../../tests/support/http.rs"]
pub mod http;
#[path = "../../../tests/support/solana.rs"]
pub mod solana;
#[path = "../../../tests/support/trongrid.rs"]
pub mod trongrid;

use std::time::Duration;

use super::pool::{EndpointPool, PoolPolicy};

/// A pool of the one endpoint at `url`, for a reader's unit tests: retries a millisecond apart, and
/// a request that cannot be answered fails within 5 s, not the public endpoints' 30.
pub fn pool(url: &str) -> EndpointPool {
    let policy = PoolPolicy {
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        budget: Duration::from_secs(5),
        ..PoolPolicy::default()
    };
    EndpointPool::new(vec![url.parse().unwrap()], policy)
}
