//! Addresses of every family: parsed, checked and normalised, so one address has one spelling in the
//! store whatever case or form the user typed.

mod bitcoin;
mod evm;
mod solana;
mod tron;

use std::fmt;

pub use self::bitcoin::BitcoinAddress;
pub use self::solana::SolanaAddress;
pub use self::tron::TronAddress;
use super::Family;

/// A watch-only address of one of the supported families.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    Evm(alloy_primitives::Address),
    Solana(SolanaAddress),
    Tron(TronAddress),
    Bitcoin(BitcoinAddress),
}

/// Why a text is not an address; the message says what is wrong in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the address is empty")]
    Empty,
    #[error("an address is at most {LONGEST_ADDRESS} characters; this has {0}")]
    TooLong(usize),
    #[error("an EVM address is 0x followed by 40 hex digits; this has {0} characters after 0x")]
    EvmLength(usize),
    #[error("an EVM address is 0x followed by 40 hex digits; {0:?} is not a hex digit")]
    EvmNotHex(char),
    #[error("an EVM address starts with 0x")]
    EvmNoPrefix,
    #[error(
        "this mixed-case EVM address fails its EIP-55 checksum, so it probably has a typo; \
         check it, or enter it all in lower case to skip the check"
    )]
    EvmChecksum,
    #[error("{0:?} is not a base58 character (base58 has no 0, O, I or l)")]
    NotBase58(char),
    #[error("a Solana address is 32 bytes in base58; this decodes to {0} bytes")]
    SolanaLength(usize),
    #[error("this TRON address fails its base58check checksum, so it probably has a typo")]
    TronChecksum,
    #[error("a TRON address starts with T (version byte 0x41); this one has version byte {0:#04x}")]
    TronVersion(u8),
    #[error("a TRON address is 21 bytes (0x41 and 20 bytes); this decodes to {0} bytes")]
    TronLength(usize),
    #[error("a TRON hex address is 41 followed by 40 hex digits")]
    TronHex,
    #[error("not a valid Bitcoin address: {0}")]
    Bitcoin(String),
    #[error(
        "this Bitcoin address type is not supported (only P2PKH, P2SH, P2WPKH, P2WSH and P2TR are)"
    )]
    BitcoinType,
    #[error(
        "extended public keys and output descriptors are not supported yet; add single addresses"
    )]
    ExtendedKey,
    #[error("this is {} address, not {} one", found.with_article(), expected.with_article())]
    WrongFamily { expected: Family, found: Family },
    #[error("not an EVM, Solana, TRON or Bitcoin address")]
    Unrecognised,
}

impl Address {
    /// Parses an address of any family, telling the family from the text's form.
    ///
    /// The forms do not overlap: EVM addresses start with `0x`; base58 texts decode to 32 bytes
    /// (Solana) or to 25 bytes whose version byte tells TRON (0x41) from Bitcoin.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let text = checked_length(text)?;
        if text.starts_with("0x") || text.starts_with("0X") {
            return evm::parse(text).map(Address::Evm);
        }
        if tron::looks_like_hex(text) {
            return tron::parse(text).map(Address::Tron);
        }
        if bitcoin::is_extended_key_or_descriptor(text) {
            return Err(AddressError::ExtendedKey);
        }
        if bitcoin::looks_like_segwit(text) {
            return bitcoin::parse(text).map(Address::Bitcoin);
        }
        let bytes = match decode_base58(text) {
            Ok(bytes) => bytes,
            // The length of a base58 address with a typo in it: say which character is wrong.
            Err(err) if BASE58_ADDRESS_LENGTHS.contains(&text.len()) => return Err(err),
            Err(_) => return Err(AddressError::Unrecognised),
        };
        match (bytes.len(), bytes.first()) {
            (32, _) => solana::parse(text).map(Address::Solana),
            (25, Some(&tron::VERSION)) => tron::parse(text).map(Address::Tron),
            (25, Some(version)) if bitcoin::is_base58_version(*version) => {
                bitcoin::parse(text).map(Address::Bitcoin)
            }
            _ => Err(AddressError::Unrecognised),
        }
    }

    /// Parses an address that must be of `family`, with that family's own error when it is not.
    pub fn parse_as(family: Family, text: &str) -> Result<Self, AddressError> {
        let text = checked_length(text)?;
        let parsed = match family {
            Family::Evm => evm::parse(text).map(Address::Evm),
            Family::Solana => solana::parse(text).map(Address::Solana),
            Family::Tron => tron::parse(text).map(Address::Tron),
            Family::Bitcoin => bitcoin::parse(text).map(Address::Bitcoin),
        };
        match parsed {
            Ok(address) => Ok(address),
            // A valid address of another family is a clearer story than a format error.
            Err(err) => match Address::parse(text) {
                Ok(other) => Err(AddressError::WrongFamily {
                    expected: family,
                    found: other.family(),
                }),
                Err(_) => Err(err),
            },
        }
    }

    pub fn family(&self) -> Family {
        match self {
            Address::Evm(_) => Family::Evm,
            Address::Solana(_) => Family::Solana,
            Address::Tron(_) => Family::Tron,
            Address::Bitcoin(_) => Family::Bitcoin,
        }
    }
}

/// The canonical spelling: EIP-55 for EVM, base58 for Solana and TRON, the network's own encoding
/// (bech32 in lower case) for Bitcoin.
impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Evm(address) => f.write_str(&address.to_checksum(None)),
            Address::Solana(address) => address.fmt(f),
            Address::Tron(address) => address.fmt(f),
            Address::Bitcoin(address) => address.fmt(f),
        }
    }
}

/// The longest text read as an address: the longest (bech32, 90 characters) with room to spare.
/// Longer text is refused unread, since decoding base58 costs the square of its length.
pub const LONGEST_ADDRESS: usize = 128;

/// `text` trimmed, if it is neither empty nor too long to be an address.
fn checked_length(text: &str) -> Result<&str, AddressError> {
    let text = text.trim();
    match text.len() {
        0 => Err(AddressError::Empty),
        length if length > LONGEST_ADDRESS => Err(AddressError::TooLong(length)),
        _ => Ok(text),
    }
}

/// How long base58 addresses are: Bitcoin's shortest P2SH to Solana's longest keys.
const BASE58_ADDRESS_LENGTHS: std::ops::RangeInclusive<usize> = 26..=44;

fn decode_base58(text: &str) -> Result<Vec<u8>, AddressError> {
    bs58::decode(text).into_vec().map_err(|err| match err {
        bs58::decode::Error::InvalidCharacter { character, .. } => {
            AddressError::NotBase58(character)
        }
        _ => AddressError::Unrecognised,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn each_family_is_told_from_the_form() {
        let cases = [
            ("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", Family::Evm),
            (
                "So11111111111111111111111111111111111111112",
                Family::Solana,
            ),
            ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Family::Tron),
            ("41a614f803b6fd780986a42c78ec9c7f77e6ded13c", Family::Tron),
            ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", Family::Bitcoin),
            ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Family::Bitcoin),
            (
                "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                Family::Bitcoin,
            ),
        ];
        for (text, family) in cases {
            assert_eq!(Address::parse(text).unwrap().family(), family, "{text}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        let address = Address::parse("  0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\n").unwrap();
        assert_eq!(
            address.to_string(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
    }

    #[test]
    fn nonsense_is_refused_in_words() {
        assert_eq!(Address::parse(""), Err(AddressError::Empty));
        assert_eq!(
            Address::parse("hello world"),
            Err(AddressError::Unrecognised)
        );
        assert_eq!(
            Address::parse("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtlv"),
            Err(AddressError::NotBase58('l'))
        );
        assert_eq!(Address::parse("abc"), Err(AddressError::Unrecognised));
        assert_eq!(
            Address::parse(
                "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz"
            ),
            Err(AddressError::ExtendedKey)
        );
    }

    #[test]
    fn a_base58check_address_of_another_coin_is_unrecognised() {
        // Version 0x30: a Litecoin P2PKH address, 25 bytes like Bitcoin's and TRON's.
        let mut payload = [7u8; 21];
        payload[0] = 0x30;
        let litecoin = bs58::encode(payload).with_check().into_string();
        assert!(litecoin.starts_with('L'), "{litecoin}");
        assert_eq!(Address::parse(&litecoin), Err(AddressError::Unrecognised));
    }

    #[test]
    fn text_too_long_for_an_address_is_refused_unread() {
        let long = "1".repeat(LONGEST_ADDRESS + 1);
        assert_eq!(Address::parse(&long), Err(AddressError::TooLong(129)));
        // At the limit, the text is read (and is no address).
        let longest = "1".repeat(LONGEST_ADDRESS);
        assert_eq!(Address::parse(&longest), Err(AddressError::Unrecognised));
        assert_eq!(
            Address::parse_as(Family::Solana, &"z".repeat(100_000)),
            Err(AddressError::TooLong(100_000))
        );
    }

    #[test]
    fn parse_as_names_the_family_it_found() {
        let err = Address::parse_as(Family::Solana, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
            .unwrap_err();
        assert_eq!(
            err,
            AddressError::WrongFamily {
                expected: Family::Solana,
                found: Family::Evm
            }
        );
        assert_eq!(err.to_string(), "this is an EVM address, not a Solana one");
    }

    /// Text of the shapes addresses have, and any text at all.
    fn address_like() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "0[xX][0-9a-fA-F]{0,44}",
            "41[0-9a-fA-F]{0,44}",
            "[1-9A-HJ-NP-Za-km-z]{20,50}",
            "(bc1|tb1|bcrt1)[02-9ac-hj-np-z]{0,70}",
            "[ -~\u{80}-\u{10ffff}]{0,140}",
        ]
    }

    proptest! {
        #[test]
        fn any_text_is_an_address_that_reads_back_or_an_error(text in address_like()) {
            if let Ok(address) = Address::parse(&text) {
                prop_assert_eq!(Address::parse(&address.to_string()), Ok(address.clone()));
                prop_assert_eq!(Address::parse_as(address.family(), &text), Ok(address));
            }
            for family in Family::ALL {
                if let Ok(address) = Address::parse_as(family, &text) {
                    prop_assert_eq!(address.family(), family);
                }
            }
        }
    }
}
