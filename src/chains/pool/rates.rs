//! The limits public endpoints' providers publish, applied before the endpoint has to say so.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;
use url::Url;

/// Solana's public clusters, whose limits solana.com publishes ("Clusters and public RPC
/// endpoints"): 100 requests per 10 s per IP, and 40 per 10 s per IP for a single method.
const SOLANA_PUBLIC: [&str; 3] = [
    "api.mainnet-beta.solana.com",
    "api.devnet.solana.com",
    "api.testnet.solana.com",
];

/// dRPC's free tier answers a batch of more than 3 calls with an error (drpc.org, "Free tier").
const DRPC_FREE_BATCH: usize = 3;

/// The request rate a public endpoint's provider publishes, where it publishes one; others get the
/// pool's default.
pub fn published_rate(url: &Url) -> Option<Quota> {
    SOLANA_PUBLIC
        .contains(&url.host_str()?)
        .then(|| per_ten_seconds(100))
}

/// The rate of each JSON-RPC method a provider publishes, beside its rate of all requests.
pub fn published_method_rate(url: &Url) -> Option<Quota> {
    SOLANA_PUBLIC
        .contains(&url.host_str()?)
        .then(|| per_ten_seconds(40))
}

/// The most calls a provider takes in one JSON-RPC batch, where it publishes it.
pub fn published_batch_limit(url: &Url) -> Option<usize> {
    let host = url.host_str()?;
    (host == "drpc.org" || host.ends_with(".drpc.org")).then_some(DRPC_FREE_BATCH)
}

/// `requests` per 10 s, spread evenly, with a burst of as many.
fn per_ten_seconds(requests: u32) -> Quota {
    let requests = NonZeroU32::new(requests).expect("non-zero");
    Quota::with_period(Duration::from_secs(10) / requests.get())
        .expect("a positive period")
        .allow_burst(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solana_s_public_rpc_allows_100_requests_in_10_seconds() {
        let quota =
            published_rate(&"https://api.mainnet-beta.solana.com".parse().unwrap()).unwrap();
        assert_eq!(quota.burst_size().get(), 100);
        assert_eq!(quota.replenish_interval() * 100, Duration::from_secs(10));
        assert_eq!(
            published_rate(&"http://127.0.0.1:8899".parse().unwrap()),
            None,
            "one's own node: the default"
        );
    }

    #[test]
    fn solana_s_public_rpc_allows_40_calls_of_one_method_in_10_seconds() {
        let quota =
            published_method_rate(&"https://api.mainnet-beta.solana.com".parse().unwrap()).unwrap();
        assert_eq!(quota.burst_size().get(), 40);
        assert_eq!(quota.replenish_interval() * 40, Duration::from_secs(10));
        assert_eq!(
            published_method_rate(&"https://solana-rpc.publicnode.com".parse().unwrap()),
            None
        );
    }

    #[test]
    fn drpc_s_free_tier_takes_batches_of_three() {
        for url in ["https://eth.drpc.org", "https://polygon.drpc.org/"] {
            assert_eq!(
                published_batch_limit(&url.parse().unwrap()),
                Some(3),
                "{url}"
            );
        }
        for url in ["https://ethereum-rpc.publicnode.com", "https://notdrpc.org"] {
            assert_eq!(published_batch_limit(&url.parse().unwrap()), None, "{url}");
        }
    }
}
