//! EVM addresses: `0x` and 40 hex digits. All-lower and all-upper texts carry no checksum and are
//! accepted as typed; a mixed-case text claims an EIP-55 checksum and must pass it.

use alloy_primitives::Address;

use super::AddressError;

pub(super) fn parse(text: &str) -> Result<Address, AddressError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or(AddressError::EvmNoPrefix)?;
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(AddressError::EvmNotHex(bad));
    }
    if digits.len() != 40 {
        return Err(AddressError::EvmLength(digits.len()));
    }
    let address: Address = digits.parse().expect("40 hex digits are an address");
    let has_lower = digits.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = digits.chars().any(|c| c.is_ascii_uppercase());
    if has_lower && has_upper && address.to_checksum(None)[2..] != *digits {
        return Err(AddressError::EvmChecksum);
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vectors of EIP-55 itself.
    const EIP55_VECTORS: [&str; 8] = [
        // all caps
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        // all lower
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        // normal
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn eip55_vectors_are_accepted_and_normalised_to_their_checksum() {
        for vector in EIP55_VECTORS {
            let address = parse(vector).unwrap_or_else(|err| panic!("{vector}: {err}"));
            assert_eq!(
                address.to_checksum(None).to_lowercase(),
                vector.to_lowercase()
            );
        }
        // The mixed-case vectors are their own checksum.
        for vector in &EIP55_VECTORS[4..] {
            assert_eq!(parse(vector).unwrap().to_checksum(None), *vector);
        }
    }

    #[test]
    fn one_flipped_case_in_a_mixed_case_vector_fails_the_checksum() {
        for vector in &EIP55_VECTORS[4..] {
            let position = vector[2..].find(|c: char| c.is_ascii_alphabetic()).unwrap() + 2;
            let mut flipped = vector.to_string();
            let c = flipped.as_bytes()[position] as char;
            let swapped = if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            flipped.replace_range(position..=position, &swapped.to_string());
            assert_eq!(parse(&flipped), Err(AddressError::EvmChecksum), "{flipped}");
        }
    }

    #[test]
    fn malformed_texts_say_what_is_wrong() {
        assert_eq!(
            parse("52908400098527886E0F7030069857D2E4169EE7"),
            Err(AddressError::EvmNoPrefix)
        );
        assert_eq!(parse("0x1234"), Err(AddressError::EvmLength(4)));
        assert_eq!(
            parse("0x52908400098527886E0F7030069857D2E4169EE71"),
            Err(AddressError::EvmLength(41))
        );
        assert_eq!(
            parse("0xg2908400098527886E0F7030069857D2E4169EE7"),
            Err(AddressError::EvmNotHex('g'))
        );
    }
}
