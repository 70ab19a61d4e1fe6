//! Which assets are priced, and the id a price source knows each by.

use std::fmt;

use anyhow::{Result, ensure};

use crate::model::Family;
use crate::store::ChainPricing;

/// An asset as price sources name it, spelled as DefiLlama's coins API does: `coingecko:{id}` for a
/// coin by its CoinGecko id (native coins), `{platform}:{contract}` for a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoinId {
    Coingecko(String),
    Token { platform: String, contract: String },
}

impl fmt::Display for CoinId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoinId::Coingecko(id) => write!(f, "coingecko:{id}"),
            CoinId::Token { platform, contract } => write!(f, "{platform}:{contract}"),
        }
    }
}

/// Whether an asset is priced at all: only what is trusted is. Native coins always are; a token is
/// when a bundled list or the user vouches for it (verified) and it is not hidden (spam, or one the
/// user does not care about).
pub fn priceable(contract: Option<&str>, hidden: bool, verified: bool) -> bool {
    contract.is_none() || (verified && !hidden)
}

/// The id of an asset of a chain of `family` priced as `pricing` says, if the chain is priced.
/// EVM contracts are asked for in lower case; Solana mints and TRON addresses are case-sensitive.
pub fn coin_id_of(
    pricing: &ChainPricing,
    family: Family,
    contract: Option<&str>,
) -> Option<CoinId> {
    match contract {
        None => pricing.native_price_id.clone().map(CoinId::Coingecko),
        Some(contract) => Some(CoinId::Token {
            platform: pricing.price_platform.clone()?,
            contract: match family {
                Family::Evm => contract.to_ascii_lowercase(),
                _ => contract.to_owned(),
            },
        }),
    }
}

/// A price platform or CoinGecko id as a user gives one: lower-case letters, digits and hyphens, so
/// that it can stand in a URL's path or query as it is. A `coingecko:` prefix is allowed on an id.
pub fn checked_name<'a>(what: &str, text: &'a str) -> Result<&'a str> {
    let name = text.strip_prefix("coingecko:").unwrap_or(text);
    let well_formed = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ensure!(
        well_formed,
        "{what} {text:?} is not a price source's name: use lower-case letters, digits and hyphens"
    );
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priced(platform: Option<&str>, native: Option<&str>) -> ChainPricing {
        ChainPricing {
            price_platform: platform.map(str::to_owned),
            native_price_id: native.map(str::to_owned),
        }
    }

    #[test]
    fn ids_are_spelled_as_defillama_asks_them() {
        let base = priced(Some("base"), Some("ethereum"));
        assert_eq!(
            coin_id_of(&base, Family::Evm, None).unwrap().to_string(),
            "coingecko:ethereum"
        );
        assert_eq!(
            coin_id_of(
                &base,
                Family::Evm,
                Some("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
            )
            .unwrap()
            .to_string(),
            "base:0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
        );
        let solana = priced(Some("solana"), Some("solana"));
        let usdc = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
        assert_eq!(
            coin_id_of(&solana, Family::Solana, Some(usdc))
                .unwrap()
                .to_string(),
            format!("solana:{usdc}"),
            "Solana mints keep their case"
        );
        let devnet = priced(None, None);
        assert_eq!(coin_id_of(&devnet, Family::Evm, None), None);
        assert_eq!(coin_id_of(&devnet, Family::Evm, Some("0xabc")), None);
    }

    #[test]
    fn only_native_coins_and_verified_tokens_not_hidden_are_priced() {
        assert!(priceable(None, false, true));
        assert!(priceable(None, true, false));
        assert!(priceable(Some("0xabc"), false, true));
        assert!(!priceable(Some("0xabc"), true, true));
        assert!(!priceable(Some("0xabc"), false, false), "unverified");
    }

    #[test]
    fn names_must_fit_a_url_as_they_are() {
        assert_eq!(checked_name("id", "avalanche-2").unwrap(), "avalanche-2");
        assert_eq!(
            checked_name("id", "coingecko:ethereum").unwrap(),
            "ethereum"
        );
        for bad in ["", "Ethereum", "eth/../x", "a,b", "a b", &"x".repeat(65)] {
            assert!(checked_name("id", bad).is_err(), "{bad:?}");
        }
    }
}
