//! What holdings are worth, exactly: a price as the exact decimal a source sent, and a value as
//! raw × price ÷ 10^decimals, with no float anywhere and nothing rounded until it is shown.
//!
//! The decimal type is `bigdecimal`'s, of any size: a 36-decimal token can hold a 78-digit raw
//! amount, which times a 17-digit price needs about 95 significant digits; a 96-bit decimal (28
//! digits, as `rust_decimal`'s) cannot hold even the amount.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::U256;
use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, RoundingMode, Zero};

/// The one currency values are in, as sources and the CLI spell it.
pub const CURRENCY: &str = "usd";

/// The most a price may be: above this it is not a price but a mistake (or a lie).
const MAX_PRICE_DIGITS: i64 = 12;

/// Decimal places a price may carry: a float's 17 significant digits of a price as small as 10^-30.
const MAX_PRICE_SCALE: i64 = 48;

/// The longest number text read as a price or confidence; longer is no number a source means.
const MAX_TEXT: usize = 64;

/// The lowest confidence a price is used at (DefiLlama's `confidence`, 0 to 1).
const MIN_CONFIDENCE: &str = "0.5";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
    #[error("a price cannot be negative ({0})")]
    Negative(String),
    #[error("{0} is not a believable price (more than 10^12)")]
    Absurd(String),
    #[error("{0} has more decimal places than any price needs")]
    TooPrecise(String),
    #[error("a confidence is between 0 and 1, not {0}")]
    Confidence(String),
}

/// A price of one whole unit of an asset, exactly as received: non-negative, at most 10^12.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price(BigDecimal);

impl Price {
    /// Reads the text of a JSON number (`3456.78`, `1.2e-7`) exactly.
    pub fn parse(text: &str) -> Result<Price, PriceError> {
        let price = decimal(text)?;
        if price.sign() == Sign::Minus {
            return Err(PriceError::Negative(text.to_owned()));
        }
        // 1 × 10^12
        if price > BigDecimal::new(BigInt::from(1u8), -MAX_PRICE_DIGITS) {
            return Err(PriceError::Absurd(text.to_owned()));
        }
        if price.fractional_digit_count() > MAX_PRICE_SCALE {
            return Err(PriceError::TooPrecise(text.to_owned()));
        }
        Ok(Price(price))
    }
}

impl fmt::Display for Price {
    /// Plain decimal digits, without an exponent or trailing zeros: what is stored and shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_plain_string())
    }
}

impl FromStr for Price {
    type Err = PriceError;

    fn from_str(text: &str) -> Result<Price, PriceError> {
        Price::parse(text)
    }
}

/// How sure a source is of a price, 0 to 1; below one half a price is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confidence(BigDecimal);

impl Confidence {
    pub fn parse(text: &str) -> Result<Confidence, PriceError> {
        let confidence = decimal(text)?;
        if confidence.sign() == Sign::Minus || confidence > 1 {
            return Err(PriceError::Confidence(text.to_owned()));
        }
        Ok(Confidence(confidence))
    }

    pub fn is_enough(&self) -> bool {
        self.0 >= BigDecimal::from_str(MIN_CONFIDENCE).expect("a decimal")
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_plain_string())
    }
}

impl FromStr for Confidence {
    type Err = PriceError;

    fn from_str(text: &str) -> Result<Confidence, PriceError> {
        Confidence::parse(text)
    }
}

/// An amount of money, exact; sums of values stay exact, and only [`Money::cents`] rounds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(BigDecimal);

impl Money {
    /// What `raw` base units of a token with `decimals` are worth at `price`: raw × price ÷ 10^decimals.
    pub fn value_of(raw: U256, decimals: u8, price: &Price) -> Money {
        let amount = BigDecimal::new(big(raw), i64::from(decimals));
        Money((amount * &price.0).normalized())
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// Less than one whole unit of the currency (a dollar).
    pub fn is_below_one(&self) -> bool {
        self.0 < 1
    }

    /// Rounded to cents, half up, with two decimals: the one rounding, for display.
    pub fn cents(&self) -> String {
        self.0
            .with_scale_round(2, RoundingMode::HalfUp)
            .to_plain_string()
    }
}

impl FromStr for Money {
    type Err = PriceError;

    /// An exact value as [`Money`]'s `Display` writes it.
    fn from_str(text: &str) -> Result<Money, PriceError> {
        let value = decimal(text)?;
        if value.sign() == Sign::Minus {
            return Err(PriceError::Negative(text.to_owned()));
        }
        Ok(Money(value))
    }
}

impl std::ops::AddAssign<&Money> for Money {
    fn add_assign(&mut self, other: &Money) {
        self.0 = (&self.0 + &other.0).normalized();
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(values: I) -> Money {
        values.fold(Money::default(), |mut total, value| {
            total += &value;
            total
        })
    }
}

impl fmt::Display for Money {
    /// Exact plain decimal digits, without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_plain_string())
    }
}

/// Base units of one asset summed over addresses, exactly: a sum of 256-bit amounts can pass 256 bits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSum(BigInt);

impl RawSum {
    pub fn add(&mut self, raw: U256) {
        self.0 += big(raw);
    }

    /// In whole units, exact, without trailing zeros (as [`crate::model::Amount`] shows one amount).
    pub fn whole_units(&self, decimals: u8) -> String {
        BigDecimal::new(self.0.clone(), i64::from(decimals))
            .normalized()
            .to_plain_string()
    }
}

impl fmt::Display for RawSum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn big(raw: U256) -> BigInt {
    BigInt::from_bytes_be(Sign::Plus, &raw.to_be_bytes::<32>())
}

/// A decimal number's text, read exactly; bounded, so no exponent can make it enormous.
fn decimal(text: &str) -> Result<BigDecimal, PriceError> {
    let not_a_number = || PriceError::NotANumber(text.to_owned());
    let number_like = !text.is_empty()
        && text.len() <= MAX_TEXT
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if !number_like {
        return Err(not_a_number());
    }
    let parsed = BigDecimal::from_str(text).map_err(|_| not_a_number())?;
    // An exponent of thousands writes no price anyone means, and its digits would be written out.
    let scale = parsed.fractional_digit_count();
    if !(-(MAX_TEXT as i64)..=4 * MAX_TEXT as i64).contains(&scale) {
        return Err(not_a_number());
    }
    Ok(parsed.normalized())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(raw: &str, decimals: u8, price: &str) -> Money {
        Money::value_of(
            U256::from_str_radix(raw, 10).unwrap(),
            decimals,
            &Price::parse(price).unwrap(),
        )
    }

    #[test]
    fn values_are_exact_for_0_6_18_and_36_decimals() {
        let zero = value("7", 0, "12.345");
        assert_eq!(zero.to_string(), "86.415");
        assert_eq!(zero.cents(), "86.42");
        let usdc = value("2000250000", 6, "0.999712");
        assert_eq!(usdc.to_string(), "1999.673928");
        assert_eq!(usdc.cents(), "1999.67");
        let eth = value("1500000000000000001", 18, "3456.78");
        assert_eq!(eth.to_string(), "5185.17000000000000345678");
        assert_eq!(eth.cents(), "5185.17");
        // the largest amount a 256-bit balance holds, of a 36-decimal token
        let huge = value(&U256::MAX.to_string(), 36, "0.000001234567890123");
        assert_eq!(
            huge.to_string(),
            "142953195302647591623095579264496693.222994567234944434758476815610000338595844327632862005"
        );
        assert_eq!(huge.cents(), "142953195302647591623095579264496693.22");
    }

    #[test]
    fn exponents_are_read_exactly_and_rounding_is_half_up_once() {
        assert_eq!(Price::parse("1.2e-7").unwrap().to_string(), "0.00000012");
        assert_eq!(Price::parse("2.50E+3").unwrap().to_string(), "2500");
        assert_eq!(value("1", 0, "0.005").cents(), "0.01");
        assert_eq!(value("1", 0, "0.0049999").cents(), "0.00");
        // sums stay exact: three values of 0.004 round to 0.01 together, not 0.00 each
        let sum: Money = (0..3).map(|_| value("4", 3, "1")).sum();
        assert_eq!(sum.to_string(), "0.012");
        assert_eq!(sum.cents(), "0.01");
    }

    #[test]
    fn a_negative_absurd_or_garbled_price_is_refused() {
        assert!(matches!(Price::parse("-1"), Err(PriceError::Negative(_))));
        assert!(matches!(
            Price::parse("1000000000001"),
            Err(PriceError::Absurd(_))
        ));
        assert!(Price::parse("1000000000000").is_ok(), "10^12 itself");
        for garbled in [
            "", "abc", "1.2.3", "NaN", "Infinity", "0x10", "1e99999", "\"1\"",
        ] {
            assert!(Price::parse(garbled).is_err(), "{garbled:?}");
        }
        assert!(matches!(
            Price::parse(&format!("0.{}1", "0".repeat(50))),
            Err(PriceError::TooPrecise(_))
        ));
    }

    #[test]
    fn amounts_summed_over_addresses_pass_256_bits_exactly() {
        let mut sum = RawSum::default();
        sum.add(U256::MAX);
        sum.add(U256::from(1));
        assert_eq!(
            sum.to_string(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"
        );
        let mut usdc = RawSum::default();
        usdc.add(U256::from(1_500_000));
        usdc.add(U256::from(250_000));
        assert_eq!(usdc.whole_units(6), "1.75");
        assert_eq!(RawSum::default().whole_units(18), "0");
    }

    #[test]
    fn confidence_below_one_half_is_not_enough() {
        assert!(Confidence::parse("0.99").unwrap().is_enough());
        assert!(Confidence::parse("0.5").unwrap().is_enough());
        assert!(!Confidence::parse("0.49").unwrap().is_enough());
        assert!(Confidence::parse("1.01").is_err());
        assert!(Confidence::parse("-0.1").is_err());
    }
}
