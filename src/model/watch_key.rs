//! Extended public keys (xpub, ypub, zpub and their testnet forms) and output descriptors: watch-only
//! Bitcoin wallets that stand for many addresses. Derivation is the `miniscript` and `bitcoin`
//! crates'; this module turns what people paste into descriptors and says which networks they serve.

use std::str::FromStr;

use bitcoin::NetworkKind;
use bitcoin::base58;
use miniscript::ForEachKey;
use miniscript::descriptor::{Descriptor, DescriptorPublicKey};

use super::{Address, BitcoinNetwork, Family};

/// How many unused addresses past the last used one of a branch stay watched (BIP44's gap limit).
pub const GAP_LIMIT: u32 = 20;

/// The receive chain (`…/0/*`) or the change chain (`…/1/*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Branch {
    Receive,
    Change,
}

impl Branch {
    /// The branch's step in a derivation path, as stored: `0/17` is the 18th receive address.
    pub fn number(self) -> u32 {
        match self {
            Branch::Receive => 0,
            Branch::Change => 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WatchKey {
    text: String,
    receive: Descriptor<DescriptorPublicKey>,
    change: Option<Descriptor<DescriptorPublicKey>>,
    network: NetworkKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchKeyError {
    #[error("not an extended public key: {0}")]
    Key(String),
    #[error(
        "an xpub does not say which addresses it makes: add it as a descriptor, such as \
         wpkh(xpub…/<0;1>/*) for native SegWit, sh(wpkh(xpub…/<0;1>/*)) for nested SegWit, \
         pkh(xpub…/<0;1>/*) for legacy or tr(xpub…/<0;1>/*) for Taproot"
    )]
    Ambiguous,
    #[error("not an output descriptor: {0}")]
    Descriptor(String),
    #[error("the descriptor derives no addresses (it needs a key ending in /*)")]
    NoWildcard,
    #[error(
        "a descriptor with {0} paths in a <…> step; holdings takes one, or two (receive;change)"
    )]
    Paths(usize),
}

/// The longest extended key read (they are 111 characters), and the longest descriptor (a
/// multisig of 15 keys fits).
const LONGEST_KEY: usize = 128;
const LONGEST_DESCRIPTOR: usize = 4_096;

/// The version bytes of the extended keys the `bitcoin` crate reads.
const XPUB: [u8; 4] = [0x04, 0x88, 0xb2, 0x1e];
const TPUB: [u8; 4] = [0x04, 0x35, 0x87, 0xcf];

impl WatchKey {
    /// Whether `text` looks like an extended key or a descriptor (rather than an address).
    pub fn looks_like(text: &str) -> bool {
        let text = text.trim();
        text.contains('(')
            || ["xpub", "ypub", "zpub", "tpub", "upub", "vpub"]
                .iter()
                .any(|prefix| text.starts_with(prefix))
    }

    pub fn parse(text: &str) -> Result<Self, WatchKeyError> {
        let text = text.trim();
        if text.contains('(') {
            if text.len() > LONGEST_DESCRIPTOR {
                return Err(WatchKeyError::Descriptor(format!(
                    "it has {} characters; a descriptor holdings reads has at most {LONGEST_DESCRIPTOR}",
                    text.len()
                )));
            }
            return Self::from_descriptor(text);
        }
        // An extended key is 111 characters of base58, whose decoding costs the square of its
        // length: longer text is refused unread.
        if text.len() > LONGEST_KEY {
            return Err(WatchKeyError::Key(format!(
                "it has {} characters, and an extended key has 111",
                text.len()
            )));
        }
        // SLIP-132 prefixes name the script type; the key itself is the same BIP32 key. A bare xpub
        // or tpub names none for sure (wallets export them for SegWit accounts too), so it must
        // come as a descriptor rather than be guessed.
        let (script, version) = match text.get(..4) {
            Some("ypub") => ("sh(wpkh", XPUB),
            Some("zpub") => ("wpkh", XPUB),
            Some("upub") => ("sh(wpkh", TPUB),
            Some("vpub") => ("wpkh", TPUB),
            Some("xpub" | "tpub") => return Err(WatchKeyError::Ambiguous),
            _ => {
                return Err(WatchKeyError::Key(
                    "it starts with none of ypub, zpub, upub, vpub".into(),
                ));
            }
        };
        let mut payload =
            base58::decode_check(text).map_err(|err| WatchKeyError::Key(err.to_string()))?;
        if payload.len() != 78 {
            return Err(WatchKeyError::Key(format!(
                "it decodes to {} bytes, not 78",
                payload.len()
            )));
        }
        payload[..4].copy_from_slice(&version);
        let key = base58::encode_check(&payload);
        let closing = if script.contains('(') { "))" } else { ")" };
        let branch = |index: u32| format!("{script}({key}/{index}/*{closing}");
        let parse = |text: String| {
            Descriptor::<DescriptorPublicKey>::from_str(&text)
                .map_err(|err| WatchKeyError::Key(err.to_string()))
        };
        let receive = parse(branch(0))?;
        let network = network_of(&receive);
        Ok(Self {
            text: text.to_owned(),
            receive,
            change: Some(parse(branch(1))?),
            network,
        })
    }

    fn from_descriptor(text: &str) -> Result<Self, WatchKeyError> {
        let descriptor = Descriptor::<DescriptorPublicKey>::from_str(text)
            .map_err(|err| WatchKeyError::Descriptor(err.to_string()))?;
        if !descriptor.has_wildcard() {
            return Err(WatchKeyError::NoWildcard);
        }
        let network = network_of(&descriptor);
        let mut singles = descriptor
            .into_single_descriptors()
            .map_err(|err| WatchKeyError::Descriptor(err.to_string()))?;
        let (receive, change) = match singles.len() {
            1 => (singles.remove(0), None),
            2 => {
                let change = singles.pop();
                (singles.remove(0), change)
            }
            paths => return Err(WatchKeyError::Paths(paths)),
        };
        Ok(Self {
            text: text.to_owned(),
            receive,
            change,
            network,
        })
    }

    /// The text as given: the wallet's source.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn branches(&self) -> Vec<Branch> {
        if self.change.is_some() {
            vec![Branch::Receive, Branch::Change]
        } else {
            vec![Branch::Receive]
        }
    }

    /// Whether the key's addresses belong on a chain of `network`.
    pub fn serves(&self, network: BitcoinNetwork) -> bool {
        match self.network {
            NetworkKind::Main => network == BitcoinNetwork::Mainnet,
            NetworkKind::Test => network != BitcoinNetwork::Mainnet,
        }
    }

    /// The address at `index` of `branch`, for `network`.
    pub fn address(
        &self,
        branch: Branch,
        index: u32,
        network: BitcoinNetwork,
    ) -> Option<bitcoin::Address> {
        let descriptor = match branch {
            Branch::Receive => &self.receive,
            Branch::Change => self.change.as_ref()?,
        };
        descriptor
            .at_derivation_index(index)
            .ok()?
            .address(network.to_bitcoin())
            .ok()
    }

    /// The address at `index` of `branch`, for `network`, as holdings watches addresses.
    pub fn watched_address(
        &self,
        branch: Branch,
        index: u32,
        network: BitcoinNetwork,
    ) -> Option<Address> {
        let derived = self.address(branch, index, network)?;
        Address::parse_as(Family::Bitcoin, &derived.to_string()).ok()
    }
}

/// Test-network keys derive test-network addresses; anything else is taken as mainnet.
fn network_of(descriptor: &Descriptor<DescriptorPublicKey>) -> NetworkKind {
    let test = descriptor.for_any_key(|key| match key {
        DescriptorPublicKey::XPub(xpub) => xpub.xkey.network == NetworkKind::Test,
        DescriptorPublicKey::MultiXPub(xpub) => xpub.xkey.network == NetworkKind::Test,
        DescriptorPublicKey::Single(_) => false,
    });
    if test {
        NetworkKind::Test
    } else {
        NetworkKind::Main
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// BIP84's test vector: the account key of m/84'/0'/0' and its first addresses.
    const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

    #[test]
    fn a_zpub_derives_bip84_s_vectors() {
        let key = WatchKey::parse(BIP84_ZPUB).unwrap();
        let address = |branch, index| {
            key.address(branch, index, BitcoinNetwork::Mainnet)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            address(Branch::Receive, 0),
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
        );
        assert_eq!(
            address(Branch::Receive, 1),
            "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
        );
        assert_eq!(
            address(Branch::Change, 0),
            "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
        );
        assert!(key.serves(BitcoinNetwork::Mainnet));
        assert!(!key.serves(BitcoinNetwork::Testnet));
    }

    #[test]
    fn a_descriptor_with_receive_and_change_paths_is_two_branches() {
        let zpub = WatchKey::parse(BIP84_ZPUB).unwrap();
        let xpub = {
            let mut payload = base58::decode_check(BIP84_ZPUB).unwrap();
            payload[..4].copy_from_slice(&XPUB);
            base58::encode_check(&payload)
        };
        let descriptor = WatchKey::parse(&format!("wpkh({xpub}/<0;1>/*)")).unwrap();
        assert_eq!(descriptor.branches(), [Branch::Receive, Branch::Change]);
        for branch in [Branch::Receive, Branch::Change] {
            assert_eq!(
                descriptor.address(branch, 3, BitcoinNetwork::Mainnet),
                zpub.address(branch, 3, BitcoinNetwork::Mainnet)
            );
        }
        let receive_only = WatchKey::parse(&format!("wpkh({xpub}/0/*)")).unwrap();
        assert_eq!(receive_only.branches(), [Branch::Receive]);
    }

    #[test]
    fn bad_keys_and_descriptors_say_why() {
        assert!(matches!(
            WatchKey::parse("zpub123"),
            Err(WatchKeyError::Key(_))
        ));
        let xpub = {
            let mut payload = base58::decode_check(BIP84_ZPUB).unwrap();
            payload[..4].copy_from_slice(&XPUB);
            base58::encode_check(&payload)
        };
        assert_eq!(
            WatchKey::parse(&xpub).unwrap_err(),
            WatchKeyError::Ambiguous,
            "no guessing of the script type"
        );
        assert!(matches!(
            WatchKey::parse("wpkh(nonsense)"),
            Err(WatchKeyError::Descriptor(_))
        ));
        let fixed = "wpkh(02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5)";
        assert_eq!(
            WatchKey::parse(fixed).unwrap_err(),
            WatchKeyError::NoWildcard
        );
        assert!(
            WatchKey::looks_like(BIP84_ZPUB)
                && WatchKey::looks_like("wpkh(x)")
                && !WatchKey::looks_like("bc1q")
        );
    }

    proptest! {
        #[test]
        fn any_text_is_a_key_or_an_error(
            text in prop_oneof![
                any::<String>(),
                "(x|y|z|t|u|v)pub[1-9A-HJ-NP-Za-km-z]{0,120}",
                "(wpkh|sh\\(wpkh|pkh|tr)\\([ -~]{0,150}\\)\\)?",
                "[ -~\u{80}-\u{10ffff}]{0,8}",
            ],
        ) {
            if let Ok(key) = WatchKey::parse(&text) {
                prop_assert_eq!(key.as_str(), text.trim());
                prop_assert!(!key.branches().is_empty());
            }
        }
    }
}
