//! TRON addresses: base58check of the version byte 0x41 and a 20-byte account id, convertible to the
//! hex form `41…` that TRON's HTTP API also speaks, and to the 20 bytes its contracts see.

use std::fmt;

use super::{AddressError, decode_base58};

pub(super) const VERSION: u8 = 0x41;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TronAddress(pub [u8; 20]);

impl TronAddress {
    /// The hex form: `41` and 40 hex digits.
    pub fn to_hex(&self) -> String {
        let mut hex = format!("{VERSION:02x}");
        for byte in self.0 {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }
}

pub(super) fn looks_like_hex(text: &str) -> bool {
    text.len() == 42 && text.starts_with("41") && text.chars().all(|c| c.is_ascii_hexdigit())
}

pub(super) fn parse(text: &str) -> Result<TronAddress, AddressError> {
    if looks_like_hex(text) {
        return parse_hex(text);
    }
    let raw = decode_base58(text)?;
    if raw.len() != 25 {
        return Err(AddressError::TronLength(raw.len().saturating_sub(4)));
    }
    let payload = bs58::decode(text)
        .with_check(None)
        .into_vec()
        .map_err(|_| AddressError::TronChecksum)?;
    if payload[0] != VERSION {
        return Err(AddressError::TronVersion(payload[0]));
    }
    Ok(TronAddress(
        payload[1..].try_into().expect("21-byte payload"),
    ))
}

fn parse_hex(text: &str) -> Result<TronAddress, AddressError> {
    let mut id = [0u8; 20];
    for (index, byte) in id.iter_mut().enumerate() {
        let pair = &text[2 + 2 * index..4 + 2 * index];
        *byte = u8::from_str_radix(pair, 16).map_err(|_| AddressError::TronHex)?;
    }
    Ok(TronAddress(id))
}

impl fmt::Display for TronAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut payload = [0u8; 21];
        payload[0] = VERSION;
        payload[1..].copy_from_slice(&self.0);
        f.write_str(&bs58::encode(payload).with_check().into_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// USDT's TRC-20 contract, in both forms as TRON's explorers print them.
    const USDT_BASE58: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
    const USDT_HEX: &str = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c";

    #[test]
    fn base58_and_hex_forms_convert_both_ways() {
        let from_base58 = parse(USDT_BASE58).unwrap();
        let from_hex = parse(USDT_HEX).unwrap();
        assert_eq!(from_base58, from_hex);
        assert_eq!(from_hex.to_string(), USDT_BASE58);
        assert_eq!(from_base58.to_hex(), USDT_HEX);
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        assert_eq!(
            parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"),
            Err(AddressError::TronChecksum)
        );
    }

    #[test]
    fn another_version_byte_is_refused() {
        // A valid base58check payload of 21 bytes with version 0x00 (a Bitcoin P2PKH address).
        assert_eq!(
            parse("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
            Err(AddressError::TronVersion(0x00))
        );
    }
}
