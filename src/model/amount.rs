//! Exact token amounts: an unsigned 256-bit integer of base units and the token's decimals.
//!
//! Conversions work on decimal digits, never through a float, and never through `10^decimals` (which
//! does not fit 256 bits once decimals pass 77).

use std::fmt;

use alloy_primitives::U256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    pub raw: U256,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("an amount is written with the digits 0-9 and at most one decimal point; {0:?} is not")]
    Malformed(String),
    #[error("{text:?} has {digits} decimal places; this token has only {decimals}")]
    TooPrecise {
        text: String,
        digits: usize,
        decimals: u8,
    },
    #[error("{0:?} is larger than an unsigned 256-bit amount can hold")]
    TooLarge(String),
}

impl Amount {
    pub fn new(raw: U256, decimals: u8) -> Self {
        Self { raw, decimals }
    }

    /// Parses a count of base units as stored and as chains return it: decimal digits only.
    pub fn parse_raw(text: &str) -> Result<U256, AmountError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::Malformed(text.to_owned()));
        }
        U256::from_str_radix(text, 10).map_err(|_| AmountError::TooLarge(text.to_owned()))
    }

    /// Parses a decimal amount of whole units (`"1.5"` of a 6-decimal token is 1,500,000 base units).
    pub fn parse(text: &str, decimals: u8) -> Result<Self, AmountError> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let well_formed = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && !(text.contains('.') && fraction.is_empty());
        if !well_formed {
            return Err(AmountError::Malformed(text.to_owned()));
        }
        // Trailing zeros add no precision: "0.010" of a 2-decimal token is exactly 0.01.
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > usize::from(decimals) {
            return Err(AmountError::TooPrecise {
                text: text.to_owned(),
                digits: fraction.len(),
                decimals,
            });
        }
        let padding = usize::from(decimals) - fraction.len();
        let digits = format!("{whole}{fraction}{}", "0".repeat(padding));
        let raw = Self::parse_raw(&digits).map_err(|_| AmountError::TooLarge(text.to_owned()))?;
        Ok(Self { raw, decimals })
    }

    pub fn is_zero(&self) -> bool {
        self.raw.is_zero()
    }

    /// Dust: more than nothing but less than a millionth of a whole unit. Without prices this is the
    /// one threshold that means "too small to matter" for every token alike.
    pub fn is_dust(&self) -> bool {
        const DUST_PLACES: usize = 6;
        let places_below_dust = usize::from(self.decimals).saturating_sub(DUST_PLACES);
        // raw < 10^places  <=>  raw has at most `places` digits
        !self.is_zero() && self.raw.to_string().len() <= places_below_dust
    }
}

/// The exact value in whole units, with no trailing zeros: `1.5`, `0.000001`, `42`.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.raw.to_string();
        let decimals = usize::from(self.decimals);
        let padded = if digits.len() <= decimals {
            format!("{}{digits}", "0".repeat(decimals + 1 - digits.len()))
        } else {
            digits
        };
        let (whole, fraction) = padded.split_at(padded.len() - decimals);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            f.write_str(whole)
        } else {
            write!(f, "{whole}.{fraction}")
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn amount(raw: &str, decimals: u8) -> Amount {
        Amount::new(Amount::parse_raw(raw).unwrap(), decimals)
    }

    #[test]
    fn formats_exactly() {
        assert_eq!(amount("1500000", 6).to_string(), "1.5");
        assert_eq!(amount("1", 6).to_string(), "0.000001");
        assert_eq!(amount("0", 18).to_string(), "0");
        assert_eq!(amount("42", 0).to_string(), "42");
        assert_eq!(amount("1000000000000000000", 18).to_string(), "1");
        assert_eq!(
            U256::MAX.to_string(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        assert_eq!(
            Amount::new(U256::MAX, 77).to_string(),
            "1.15792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        assert_eq!(
            Amount::new(U256::from(5), 80).to_string(),
            format!("0.{}5", "0".repeat(79))
        );
    }

    #[test]
    fn malformed_text_is_refused() {
        for text in [
            "", "-1", "1e18", "1.", ".5", "1.2.3", " 1", "0x10", "+1", "1,5",
        ] {
            assert_eq!(
                Amount::parse(text, 18),
                Err(AmountError::Malformed(text.into())),
                "{text:?}"
            );
        }
        assert!(matches!(
            Amount::parse("0.1234567", 6),
            Err(AmountError::TooPrecise { digits: 7, .. })
        ));
        assert!(matches!(
            Amount::parse(&format!("{}0", U256::MAX), 0),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            Amount::parse("2", 77),
            Err(AmountError::TooLarge(_))
        ));
        assert_eq!(
            Amount::parse_raw("-5"),
            Err(AmountError::Malformed("-5".into()))
        );
    }

    #[test]
    fn dust_is_below_a_millionth_of_a_unit() {
        assert!(amount("999999999999", 18).is_dust());
        assert!(!amount("1000000000000", 18).is_dust());
        assert!(!amount("0", 18).is_dust());
        assert!(
            !amount("1", 6).is_dust(),
            "a token with 6 decimals has no dust"
        );
        assert!(amount("1", 36).is_dust());
    }

    fn any_u256() -> impl Strategy<Value = U256> {
        prop_oneof![
            any::<[u64; 4]>().prop_map(U256::from_limbs),
            any::<u64>().prop_map(U256::from),
            (0usize..256).prop_map(|bit| U256::from(1) << bit),
        ]
    }

    proptest! {
        #[test]
        fn any_text_is_an_amount_that_reads_back_or_an_error(
            text in prop_oneof![any::<String>(), "[0-9]{0,90}(\\.[0-9]{0,40})?", "[-+0-9eE., x]{0,20}"],
            decimals in any::<u8>(),
        ) {
            if let Ok(raw) = Amount::parse_raw(&text) {
                prop_assert!(text.bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(Amount::parse_raw(&raw.to_string()), Ok(raw));
            }
            if let Ok(amount) = Amount::parse(&text, decimals) {
                prop_assert_eq!(Amount::parse(&amount.to_string(), decimals), Ok(amount));
            }
        }

        #[test]
        fn format_then_parse_is_identity(raw in any_u256(), decimals in 0u8..=90) {
            let original = Amount::new(raw, decimals);
            prop_assert_eq!(Amount::parse(&original.to_string(), decimals), Ok(original));
        }

        #[test]
        fn raw_text_round_trips(raw in any_u256()) {
            prop_assert_eq!(Amount::parse_raw(&raw.to_string()), Ok(raw));
        }

        #[test]
        fn trailing_zeros_do_not_change_the_value(raw in any::<u64>(), decimals in 2u8..=30) {
            let original = Amount::new(U256::from(raw), decimals);
            let text = original.to_string();
            let padded = if text.contains('.') { format!("{text}0") } else { format!("{text}.0") };
            prop_assert_eq!(Amount::parse(&padded, decimals), Ok(original));
        }
    }
}
