//! The contract interfaces holdings calls, and how their answers are read.

use alloy_primitives::U256;
use alloy_sol_types::{SolType, sol, sol_data};

sol! {
    /// Multicall3 (the canonical deployment at 0xcA11bde05977b3631167028862bE2a173976CA11).
    interface IMulticall3 {
        struct Call3 {
            address target;
            bool allowFailure;
            bytes callData;
        }

        struct Result {
            bool success;
            bytes returnData;
        }

        function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData);
        function getEthBalance(address addr) external view returns (uint256 balance);
        function getBlockNumber() external view returns (uint256 blockNumber);
    }

    /// The ERC-20 functions holdings reads.
    interface IERC20 {
        function balanceOf(address owner) external view returns (uint256);
        function decimals() external view returns (uint8);
        function symbol() external view returns (string);
        function name() external view returns (string);
    }
}

/// Reads a `uint256` answer of `function`, saying in words why it is not one.
pub fn read_amount(function: &str, success: bool, data: &[u8]) -> Result<U256, String> {
    if !success {
        return Err(format!("{function} reverted"));
    }
    match data.len() {
        0 => Err(format!(
            "{function} returned nothing (is there a token contract at this address?)"
        )),
        length if length < 32 => Err(format!(
            "{function} returned {length} bytes, not a 32-byte amount"
        )),
        _ => Ok(U256::from_be_slice(&data[..32])),
    }
}

/// Reads a `string` answer, or a `bytes32` one as old tokens such as MKR return their symbol.
pub fn read_text(data: &[u8]) -> Option<String> {
    if let Ok(text) = sol_data::String::abi_decode(data) {
        return Some(text);
    }
    let word: [u8; 32] = data.try_into().ok()?;
    let end = word.iter().position(|&byte| byte == 0).unwrap_or(32);
    String::from_utf8(word[..end].to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolValue;

    use super::*;

    #[test]
    fn amounts_are_read_or_refused_in_words() {
        let word = U256::from(42).abi_encode();
        assert_eq!(read_amount("balanceOf", true, &word), Ok(U256::from(42)));
        assert_eq!(
            read_amount("balanceOf", false, &word),
            Err("balanceOf reverted".into())
        );
        assert!(
            read_amount("balanceOf", true, &[])
                .unwrap_err()
                .contains("returned nothing")
        );
        assert!(
            read_amount("balanceOf", true, &[1; 31])
                .unwrap_err()
                .contains("31 bytes")
        );
    }

    #[test]
    fn text_is_read_as_string_or_bytes32() {
        assert_eq!(
            read_text(&"USDC".to_owned().abi_encode()),
            Some("USDC".into())
        );
        let mut mkr = [0u8; 32];
        mkr[..3].copy_from_slice(b"MKR");
        assert_eq!(read_text(&mkr), Some("MKR".into()));
        assert_eq!(read_text(&[0xff; 32]), None);
        assert_eq!(read_text(&[1, 2, 3]), None);
    }
}
