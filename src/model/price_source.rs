//! Which source prices are read from, as the CLI and the store spell it.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum PriceSourceKind {
    /// DefiLlama's coins API, keyless: the default.
    DefiLlama,
    /// CoinGecko's public API, with an optional demo key.
    CoinGecko,
    /// No prices are read; those held stay in use, with their age.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a price source: defillama, coingecko or none")]
pub struct PriceSourceKindError(String);

impl PriceSourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceSourceKind::DefiLlama => "defillama",
            PriceSourceKind::CoinGecko => "coingecko",
            PriceSourceKind::None => "none",
        }
    }

    /// Whether it takes an API key (CoinGecko's demo key, sent as a header).
    pub fn takes_api_key(self) -> bool {
        self == PriceSourceKind::CoinGecko
    }
}

impl fmt::Display for PriceSourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriceSourceKind {
    type Err = PriceSourceKindError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "defillama" => PriceSourceKind::DefiLlama,
            "coingecko" => PriceSourceKind::CoinGecko,
            "none" => PriceSourceKind::None,
            other => return Err(PriceSourceKindError(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_spelled_as_the_cli_spells_them() {
        for kind in [
            PriceSourceKind::DefiLlama,
            PriceSourceKind::CoinGecko,
            PriceSourceKind::None,
        ] {
            assert_eq!(kind.as_str().parse::<PriceSourceKind>(), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!("llama".parse::<PriceSourceKind>().is_err());
    }
}
