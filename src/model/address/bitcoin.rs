//! Bitcoin addresses: P2PKH and P2SH in base58check, P2WPKH and P2WSH in bech32, P2TR in bech32m.
//! Parsing and checksums are the `bitcoin` crate's; this module decides what holdings accepts and
//! which network an address belongs to.

use std::fmt;

use bitcoin::address::{AddressType, NetworkUnchecked};

use super::AddressError;
use crate::model::BitcoinNetwork;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BitcoinAddress(bitcoin::Address<NetworkUnchecked>);

impl BitcoinAddress {
    /// Whether this address can receive coins on `network` (testnet and signet share their forms).
    pub fn is_valid_for(&self, network: BitcoinNetwork) -> bool {
        self.0.is_valid_for_network(network.to_bitcoin())
    }

    /// The networks whose chains this address can be registered on, as words for messages.
    pub fn network_words(&self) -> &'static str {
        if self.is_valid_for(BitcoinNetwork::Mainnet) {
            "mainnet"
        } else if self.is_valid_for(BitcoinNetwork::Regtest)
            && !self.is_valid_for(BitcoinNetwork::Testnet)
        {
            "regtest"
        } else {
            "testnet or signet"
        }
    }
}

const EXTENDED_KEY_PREFIXES: [&str; 10] = [
    "xpub", "ypub", "zpub", "tpub", "upub", "vpub", "Ypub", "Zpub", "Upub", "Vpub",
];

pub(super) fn is_extended_key_or_descriptor(text: &str) -> bool {
    EXTENDED_KEY_PREFIXES
        .iter()
        .any(|prefix| text.starts_with(prefix))
        || text.contains('(')
}

pub(super) fn looks_like_segwit(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["bc1", "tb1", "bcrt1"]
        .iter()
        .any(|hrp| lower.starts_with(hrp))
}

/// Base58 version bytes of P2PKH and P2SH on mainnet (0x00, 0x05) and the test networks (0x6f, 0xc4).
pub(super) fn is_base58_version(version: u8) -> bool {
    matches!(version, 0x00 | 0x05 | 0x6f | 0xc4)
}

pub(super) fn parse(text: &str) -> Result<BitcoinAddress, AddressError> {
    let address: bitcoin::Address<NetworkUnchecked> = text
        .parse()
        .map_err(|err: bitcoin::address::ParseError| AddressError::Bitcoin(err.to_string()))?;
    match address.assume_checked_ref().address_type() {
        Some(
            AddressType::P2pkh
            | AddressType::P2sh
            | AddressType::P2wpkh
            | AddressType::P2wsh
            | AddressType::P2tr,
        ) => Ok(BitcoinAddress(address)),
        _ => Err(AddressError::BitcoinType),
    }
}

/// The canonical spelling; bech32 in lower case whatever case was typed.
impl fmt::Display for BitcoinAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.assume_checked_ref().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_type_parses_on_its_network() {
        let mainnet = [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",         // P2PKH
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",         // P2SH
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", // P2WPKH
            "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", // P2WSH
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", // P2TR
        ];
        for text in mainnet {
            let address = parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert!(address.is_valid_for(BitcoinNetwork::Mainnet), "{text}");
            assert!(!address.is_valid_for(BitcoinNetwork::Testnet), "{text}");
            assert_eq!(address.to_string(), text);
        }
        let testnet = [
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
        ];
        for text in testnet {
            let address = parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert!(address.is_valid_for(BitcoinNetwork::Testnet), "{text}");
            assert!(!address.is_valid_for(BitcoinNetwork::Mainnet), "{text}");
            assert_eq!(address.network_words(), "testnet or signet");
        }
    }

    #[test]
    fn upper_case_bech32_is_normalised_to_lower_case() {
        let address = parse("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ").unwrap();
        assert_eq!(
            address.to_string(),
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        );
    }

    #[test]
    fn a_bad_checksum_is_refused() {
        assert!(matches!(
            parse("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdz"),
            Err(AddressError::Bitcoin(_))
        ));
        assert!(matches!(
            parse("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),
            Err(AddressError::Bitcoin(_))
        ));
    }
}
