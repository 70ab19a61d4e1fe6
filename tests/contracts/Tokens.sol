// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// An ERC-20 as far as holdings reads one: balances the test sets, and the metadata functions.
contract Token {
    string public symbol;
    string public name;
    uint8 public decimals;
    mapping(address => uint256) public balanceOf;

    constructor(string memory symbol_, string memory name_, uint8 decimals_) {
        symbol = symbol_;
        name = name_;
        decimals = decimals_;
    }

    function setBalance(address owner, uint256 amount) external {
        balanceOf[owner] = amount;
    }
}

/// An old token that returns its symbol and name as bytes32, as MKR does.
contract Bytes32Token {
    bytes32 public symbol;
    bytes32 public name;
    uint8 public constant decimals = 18;
    mapping(address => uint256) public balanceOf;

    constructor(bytes32 symbol_, bytes32 name_) {
        symbol = symbol_;
        name = name_;
    }

    function setBalance(address owner, uint256 amount) external {
        balanceOf[owner] = amount;
    }
}

/// balanceOf always reverts.
contract RevertingToken {
    function balanceOf(address) external pure returns (uint256) {
        revert("no balances here");
    }
}

/// A token whose metadata reads well but whose balanceOf always reverts: its rows fail.
contract FrozenToken {
    string public symbol = "FRZ";
    string public name = "Frozen";
    uint8 public decimals = 18;

    function balanceOf(address) external pure returns (uint256) {
        revert("frozen");
    }
}

/// balanceOf succeeds but returns no data at all.
contract SilentToken {
    function balanceOf(address) external pure {}
}

/// balanceOf returns 16 bytes instead of 32.
contract ShortToken {
    function balanceOf(address) external pure returns (uint256) {
        assembly {
            mstore(0, 0x1234)
            return(16, 16)
        }
    }
}

/// balanceOf spends every unit of gas it is given: one such call starves a whole multicall.
contract GasGuzzlerToken {
    function balanceOf(address) external pure returns (uint256) {
        while (true) {}
    }
}

/// decimals reverts: not a token holdings can show.
contract NoDecimalsToken {
    function symbol() external pure returns (string memory) {
        return "NOPE";
    }

    function decimals() external pure returns (uint8) {
        revert();
    }
}
