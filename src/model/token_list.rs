//! Token lists in the Token Lists JSON schema (<https://tokenlists.org>), as users import them and as
//! holdings ships them: parsed, and each entry checked for the family of the chain it lands on.

use serde::Deserialize;

use super::{Address, Family};

/// A token list; only the fields holdings uses.
#[derive(Debug, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<TokenEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenEntry {
    pub chain_id: u64,
    pub address: String,
    pub symbol: String,
    pub name: String,
    pub decimals: u16,
}

/// An entry that passed its checks: its contract spelt as the family's parser spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedToken {
    pub contract: String,
    pub symbol: String,
    pub name: String,
    pub decimals: u8,
}

/// Why an entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenEntryError {
    #[error("{0}")]
    Address(#[from] super::AddressError),
    #[error("{0} decimals is more than 255")]
    DecimalsOverflow(u16),
    #[error("{0} decimals is more than 77: no 256-bit amount has that many digits")]
    ImpossibleDecimals(u16),
    #[error("the {0} {1:?} is empty, too long or has control characters")]
    Unpresentable(&'static str, String),
}

/// The most decimals a token can have: 10^77 is the largest power of ten below 2^256.
pub const MAX_DECIMALS: u8 = 77;

impl TokenList {
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl TokenEntry {
    /// Checks the entry as a token of a chain of `family`.
    pub fn check(&self, family: Family) -> Result<CheckedToken, TokenEntryError> {
        let contract = Address::parse_as(family, &self.address)?.to_string();
        let decimals = u8::try_from(self.decimals)
            .map_err(|_| TokenEntryError::DecimalsOverflow(self.decimals))?;
        if decimals > MAX_DECIMALS {
            return Err(TokenEntryError::ImpossibleDecimals(self.decimals));
        }
        for (what, text) in [("symbol", &self.symbol), ("name", &self.name)] {
            if !presentable(text) {
                return Err(TokenEntryError::Unpresentable(what, text.clone()));
            }
        }
        Ok(CheckedToken {
            contract,
            symbol: self.symbol.clone(),
            name: self.name.clone(),
            decimals,
        })
    }
}

/// Shown as it is without harm: not blank, at most 64 characters, no control characters.
pub fn presentable(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= 64 && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(address: &str, decimals: u16) -> TokenEntry {
        TokenEntry {
            chain_id: 1,
            address: address.into(),
            symbol: "USDC".into(),
            name: "USD Coin".into(),
            decimals,
        }
    }

    const USDC: &str = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";

    #[test]
    fn an_entry_is_checked_for_its_family() {
        let checked = entry(&USDC.to_lowercase(), 6).check(Family::Evm).unwrap();
        assert_eq!(checked.contract, USDC, "spelt with its checksum");
        assert_eq!(checked.decimals, 6);
        assert!(matches!(
            entry(USDC, 6).check(Family::Tron),
            Err(TokenEntryError::Address(_))
        ));
        let usdt = entry("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6);
        assert_eq!(usdt.check(Family::Tron).unwrap().contract, usdt.address);
    }

    #[test]
    fn impossible_decimals_and_unpresentable_text_are_refused() {
        assert_eq!(entry(USDC, 77).check(Family::Evm).unwrap().decimals, 77);
        assert_eq!(
            entry(USDC, 78).check(Family::Evm),
            Err(TokenEntryError::ImpossibleDecimals(78))
        );
        assert_eq!(
            entry(USDC, 300).check(Family::Evm),
            Err(TokenEntryError::DecimalsOverflow(300))
        );
        let mut lure = entry(USDC, 6);
        lure.name = "claim\nnow".into();
        assert!(matches!(
            lure.check(Family::Evm),
            Err(TokenEntryError::Unpresentable("name", _))
        ));
        lure.name = " ".into();
        assert!(lure.check(Family::Evm).is_err());
        lure.name = "x".repeat(65);
        assert!(lure.check(Family::Evm).is_err());
    }
}
