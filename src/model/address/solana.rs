//! Solana addresses: a 32-byte public key (or program-derived address) in base58.

use std::fmt;

use super::{AddressError, decode_base58};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SolanaAddress(pub [u8; 32]);

pub(super) fn parse(text: &str) -> Result<SolanaAddress, AddressError> {
    let bytes = decode_base58(text)?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| AddressError::SolanaLength(bytes.len()))?;
    Ok(SolanaAddress(key))
}

impl fmt::Display for SolanaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_keys_round_trip() {
        for text in [
            "11111111111111111111111111111111",
            "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
            "So11111111111111111111111111111111111111112",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        ] {
            assert_eq!(parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn wrong_length_and_alphabet_are_refused() {
        assert_eq!(
            parse("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt"),
            Err(AddressError::SolanaLength(31))
        );
        assert_eq!(
            parse("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt0v"),
            Err(AddressError::NotBase58('0'))
        );
    }
}
