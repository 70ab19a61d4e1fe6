use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kinds of chain holdings reads; each has its own address format and its own source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Evm,
    Solana,
    Tron,
    Bitcoin,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Evm, Family::Solana, Family::Tron, Family::Bitcoin];

    /// The spelling used in the database, the CLI and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Evm => "evm",
            Family::Solana => "solana",
            Family::Tron => "tron",
            Family::Bitcoin => "bitcoin",
        }
    }

    /// How people name the family in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Family::Evm => "EVM",
            Family::Solana => "Solana",
            Family::Tron => "TRON",
            Family::Bitcoin => "Bitcoin",
        }
    }

    /// The display name with its article, for sentences: "an EVM", "a Solana".
    pub fn with_article(self) -> &'static str {
        match self {
            Family::Evm => "an EVM",
            Family::Solana => "a Solana",
            Family::Tron => "a TRON",
            Family::Bitcoin => "a Bitcoin",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown chain family {0:?}: expected one of evm, solana, tron, bitcoin")]
pub struct UnknownFamily(pub String);

impl FromStr for Family {
    type Err = UnknownFamily;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|family| family.as_str() == text)
            .ok_or_else(|| UnknownFamily(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_round_trips() {
        for family in Family::ALL {
            assert_eq!(family.as_str().parse::<Family>().unwrap(), family);
        }
    }

    #[test]
    fn unknown_family_is_named_in_the_error() {
        let err = "cosmos".parse::<Family>().unwrap_err();
        assert!(err.to_string().contains("\"cosmos\""), "{err}");
    }
}
