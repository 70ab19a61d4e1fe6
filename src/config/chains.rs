//! The chains a new database starts with: the popular EVM chains, Solana, TRON and Bitcoin, each with
//! free public endpoints that answer without a key today (at least two, so one can fail over to
//! the next). Gone: `polygon-rpc.com`, which answers 401 without a key since February 2026, and
//! `eth.llamarpc.com`, dropped from Chainlist.

use crate::model::{BitcoinNetwork, ChainName, Family};
use crate::store::{ChainPricing, NewChain};

/// Multicall3's address: the same on every chain it is deployed to by its presigned transaction.
pub const MULTICALL3: &str = "0xcA11bde05977b3631167028862bE2a173976CA11";

struct Default {
    name: &'static str,
    family: Family,
    evm_chain_id: Option<u64>,
    native_symbol: &'static str,
    native_name: &'static str,
    native_decimals: u8,
    endpoints: &'static [&'static str],
    /// The price source's platform name for its tokens, and its native coin's CoinGecko id.
    pricing: (Option<&'static str>, &'static str),
}

const fn evm(
    name: &'static str,
    chain_id: u64,
    (native_symbol, native_name): (&'static str, &'static str),
    (price_platform, native_price_id): (&'static str, &'static str),
    endpoints: &'static [&'static str],
) -> Default {
    Default {
        name,
        family: Family::Evm,
        evm_chain_id: Some(chain_id),
        native_symbol,
        native_name,
        native_decimals: 18,
        endpoints,
        pricing: (Some(price_platform), native_price_id),
    }
}

const DEFAULTS: [Default; 10] = [
    evm(
        "ethereum",
        1,
        ("ETH", "Ether"),
        ("ethereum", "ethereum"),
        &[
            "https://ethereum-rpc.publicnode.com",
            "https://eth.drpc.org",
        ],
    ),
    evm(
        "bsc",
        56,
        ("BNB", "BNB"),
        ("bsc", "binancecoin"),
        &[
            "https://bsc-dataseed.bnbchain.org",
            "https://bsc-rpc.publicnode.com",
            "https://bsc.drpc.org",
        ],
    ),
    evm(
        "polygon",
        137,
        ("POL", "Polygon Ecosystem Token"),
        ("polygon", "polygon-ecosystem-token"),
        &[
            "https://polygon-bor-rpc.publicnode.com",
            "https://polygon.drpc.org",
        ],
    ),
    evm(
        "arbitrum",
        42161,
        ("ETH", "Ether"),
        ("arbitrum", "ethereum"),
        &[
            "https://arb1.arbitrum.io/rpc",
            "https://arbitrum-one-rpc.publicnode.com",
            "https://arbitrum.drpc.org",
        ],
    ),
    evm(
        "optimism",
        10,
        ("ETH", "Ether"),
        ("optimism", "ethereum"),
        &[
            "https://mainnet.optimism.io",
            "https://optimism-rpc.publicnode.com",
            "https://optimism.drpc.org",
        ],
    ),
    evm(
        "base",
        8453,
        ("ETH", "Ether"),
        ("base", "ethereum"),
        &[
            "https://mainnet.base.org",
            "https://base-rpc.publicnode.com",
            "https://base.drpc.org",
        ],
    ),
    evm(
        "avalanche",
        43114,
        ("AVAX", "Avalanche"),
        ("avax", "avalanche-2"),
        &[
            "https://api.avax.network/ext/bc/C/rpc",
            "https://avalanche-c-chain-rpc.publicnode.com",
            "https://avalanche.drpc.org",
        ],
    ),
    Default {
        name: "solana",
        family: Family::Solana,
        evm_chain_id: None,
        native_symbol: "SOL",
        native_name: "Solana",
        native_decimals: 9,
        endpoints: &[
            "https://api.mainnet-beta.solana.com",
            "https://solana-rpc.publicnode.com",
        ],
        pricing: (Some("solana"), "solana"),
    },
    Default {
        name: "tron",
        family: Family::Tron,
        evm_chain_id: None,
        native_symbol: "TRX",
        native_name: "TRON",
        native_decimals: 6,
        endpoints: &["https://api.trongrid.io", "https://tron-rpc.publicnode.com"],
        pricing: (Some("tron"), "tron"),
    },
    Default {
        name: "bitcoin",
        family: Family::Bitcoin,
        evm_chain_id: None,
        native_symbol: "BTC",
        native_name: "Bitcoin",
        native_decimals: 8,
        // Electrum servers first (a batch answers a whole wallet), then Esplora APIs: blockstream's
        // electrs and Emzy's ElectrumX, both in Electrum's own list of servers for years.
        endpoints: &[
            "ssl://electrum.blockstream.info:50002",
            "ssl://electrum.emzy.de:50002",
            "https://blockstream.info/api",
            "https://mempool.space/api",
        ],
        // Bitcoin has no tokens to price
        pricing: (None, "bitcoin"),
    },
];

/// What a default chain's endpoints must say they serve: Solana mainnet-beta's genesis hash.
pub fn default_genesis(chain: &str) -> Option<&'static str> {
    (chain == "solana").then_some("5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d")
}

/// The default chains, ready to insert.
pub fn default_chains() -> Vec<NewChain> {
    DEFAULTS
        .iter()
        .map(|chain| NewChain {
            name: chain
                .name
                .parse::<ChainName>()
                .expect("default chain names are valid"),
            family: chain.family,
            evm_chain_id: chain.evm_chain_id,
            bitcoin_network: (chain.family == Family::Bitcoin).then_some(BitcoinNetwork::Mainnet),
            native_symbol: chain.native_symbol.to_owned(),
            native_name: chain.native_name.to_owned(),
            native_decimals: chain.native_decimals,
            multicall: (chain.family == Family::Evm)
                .then(|| MULTICALL3.parse().expect("a valid address")),
            endpoints: chain
                .endpoints
                .iter()
                .map(|url| url.parse().expect("default URLs are valid"))
                .collect(),
            pricing: ChainPricing {
                price_platform: chain.pricing.0.map(str::to_owned),
                native_price_id: Some(chain.pricing.1.to_owned()),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    use crate::model::parse_chain_endpoint_url;

    #[test]
    fn every_default_has_two_https_endpoints_or_more() {
        for chain in default_chains() {
            let https = chain.endpoints.iter().filter(|url| url.scheme() == "https");
            assert!(https.count() >= 2, "{}", chain.name);
            for url in &chain.endpoints {
                // over TLS, and as `chain add` would take it
                assert!(["https", "ssl"].contains(&url.scheme()), "{url}");
                assert!(parse_chain_endpoint_url(chain.family, url.as_str()).is_ok());
            }
        }
    }

    #[test]
    fn bitcoin_asks_two_electrum_servers_before_its_esplora_apis() {
        let bitcoin = default_chains()
            .into_iter()
            .find(|chain| chain.name.as_str() == "bitcoin")
            .unwrap();
        let schemes: Vec<&str> = bitcoin.endpoints.iter().map(Url::scheme).collect();
        assert_eq!(schemes, ["ssl", "ssl", "https", "https"]);
    }

    #[test]
    fn endpoints_that_stopped_serving_keyless_requests_are_not_defaults() {
        for chain in default_chains() {
            for url in &chain.endpoints {
                let host = url.host_str().unwrap();
                assert!(
                    !["polygon-rpc.com", "eth.llamarpc.com"].contains(&host),
                    "{url}"
                );
            }
        }
    }

    #[test]
    fn the_issue_s_chains_are_all_there_with_their_ids() {
        let chains = default_chains();
        let evm: Vec<_> = chains
            .iter()
            .filter_map(|chain| chain.evm_chain_id.map(|id| (chain.name.as_str(), id)))
            .collect();
        assert_eq!(
            evm,
            [
                ("ethereum", 1),
                ("bsc", 56),
                ("polygon", 137),
                ("arbitrum", 42161),
                ("optimism", 10),
                ("base", 8453),
                ("avalanche", 43114)
            ]
        );
        for family in [Family::Solana, Family::Tron, Family::Bitcoin] {
            assert_eq!(
                chains.iter().filter(|chain| chain.family == family).count(),
                1,
                "{family}"
            );
        }
        assert!(
            chains
                .iter()
                .filter(|chain| chain.family == Family::Evm)
                .all(|chain| chain.multicall.is_some())
        );
    }
}
