//! What identifies a chain besides its family: its name, and for Bitcoin the network.

use std::fmt;
use std::str::FromStr;

/// A chain's name as users type it: `ethereum`, `base`, `my-devnet`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a chain name: use 1 to 32 lower-case letters, digits and hyphens, starting with a letter"
)]
pub struct ChainNameError(pub String);

impl ChainName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ChainName {
    type Err = ChainNameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let valid = (1..=32).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(ChainNameError(text.to_owned()))
        }
    }
}

impl fmt::Display for ChainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Bitcoin network a chain runs; addresses of one network are refused on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitcoinNetwork {
    Mainnet,
    Testnet,
    Signet,
    Regtest,
}

impl BitcoinNetwork {
    pub const ALL: [BitcoinNetwork; 4] = [
        BitcoinNetwork::Mainnet,
        BitcoinNetwork::Testnet,
        BitcoinNetwork::Signet,
        BitcoinNetwork::Regtest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BitcoinNetwork::Mainnet => "mainnet",
            BitcoinNetwork::Testnet => "testnet",
            BitcoinNetwork::Signet => "signet",
            BitcoinNetwork::Regtest => "regtest",
        }
    }

    pub fn to_bitcoin(self) -> bitcoin::Network {
        match self {
            BitcoinNetwork::Mainnet => bitcoin::Network::Bitcoin,
            BitcoinNetwork::Testnet => bitcoin::Network::Testnet,
            BitcoinNetwork::Signet => bitcoin::Network::Signet,
            BitcoinNetwork::Regtest => bitcoin::Network::Regtest,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Bitcoin network: expected mainnet, testnet, signet or regtest")]
pub struct UnknownNetwork(pub String);

impl FromStr for BitcoinNetwork {
    type Err = UnknownNetwork;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|network| network.as_str() == text)
            .ok_or_else(|| UnknownNetwork(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_are_plain_identifiers() {
        for good in ["ethereum", "bsc", "my-devnet-2", "a"] {
            assert!(good.parse::<ChainName>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "Ethereum",
            "2chain",
            "eth net",
            "eth_net",
            "x".repeat(33).as_str(),
            "-x",
        ] {
            assert!(bad.parse::<ChainName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn networks_round_trip() {
        for network in BitcoinNetwork::ALL {
            assert_eq!(network.as_str().parse::<BitcoinNetwork>(), Ok(network));
        }
        assert!("main".parse::<BitcoinNetwork>().is_err());
    }
}
