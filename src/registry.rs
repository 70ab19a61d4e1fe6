//! Deciding which chains an address is watched on: the ones the user named, or else every active
//! chain of its family (and, for Bitcoin, of its network).

use crate::model::{Address, BitcoinNetwork, Family, WatchKey};
use crate::store::{ChainRecord, Registration};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("there is no chain named {0:?}; `holdings chain list` shows them")]
    UnknownChain(String),
    #[error("the chain {0} is not active")]
    InactiveChain(String),
    #[error("the chain {chain} is {}, and this is {} address", chain_family.display_name(), address_family.with_article())]
    WrongFamily {
        chain: String,
        chain_family: Family,
        address_family: Family,
    },
    #[error("the chain {chain} is Bitcoin {network}, and this is a {address_network} address")]
    WrongNetwork {
        chain: String,
        network: String,
        address_network: &'static str,
    },
    #[error("no active chain can watch this {} address; add one with `holdings chain add`", .0.display_name())]
    NoChain(Family),
}

/// Plans the registration of `address` on the chains named in `requested`, or on every chain that
/// can watch it when none is named.
pub fn plan(
    chains: &[ChainRecord],
    address: Address,
    label: Option<String>,
    requested: &[String],
) -> Result<Registration, RegistrationError> {
    let chosen = if requested.is_empty() {
        let fitting: Vec<_> = chains
            .iter()
            .filter(|chain| chain.active && fits(chain, &address).is_ok())
            .collect();
        if fitting.is_empty() {
            return Err(RegistrationError::NoChain(address.family()));
        }
        fitting
    } else {
        let mut named = Vec::with_capacity(requested.len());
        for name in requested {
            let chain = chains
                .iter()
                .find(|chain| chain.name == *name)
                .ok_or_else(|| RegistrationError::UnknownChain(name.clone()))?;
            if !chain.active {
                return Err(RegistrationError::InactiveChain(chain.name.clone()));
            }
            fits(chain, &address)?;
            named.push(chain);
        }
        named
    };
    let mut ids: Vec<_> = chosen.iter().map(|chain| chain.id).collect();
    ids.dedup();
    Ok(Registration {
        address,
        label,
        chains: ids,
    })
}

/// The chains a Bitcoin watch key is watched on: those named, or every active Bitcoin chain of its
/// network. All of one network, so one derivation serves them all.
pub fn plan_watch_key<'a>(
    chains: &'a [ChainRecord],
    key: &WatchKey,
    requested: &[String],
) -> Result<(BitcoinNetwork, Vec<&'a ChainRecord>), RegistrationError> {
    let network_of = |chain: &ChainRecord| {
        chain
            .bitcoin_network
            .as_deref()
            .and_then(|text| text.parse::<BitcoinNetwork>().ok())
    };
    let chosen: Vec<&ChainRecord> = if requested.is_empty() {
        chains
            .iter()
            .filter(|chain| {
                chain.active && network_of(chain).is_some_and(|network| key.serves(network))
            })
            .collect()
    } else {
        let mut named = Vec::with_capacity(requested.len());
        for name in requested {
            let chain = chains
                .iter()
                .find(|chain| chain.name == *name)
                .ok_or_else(|| RegistrationError::UnknownChain(name.clone()))?;
            if !chain.active {
                return Err(RegistrationError::InactiveChain(chain.name.clone()));
            }
            if chain.family != Family::Bitcoin {
                return Err(RegistrationError::WrongFamily {
                    chain: chain.name.clone(),
                    chain_family: chain.family,
                    address_family: Family::Bitcoin,
                });
            }
            if !network_of(chain).is_some_and(|network| key.serves(network)) {
                return Err(RegistrationError::WrongNetwork {
                    chain: chain.name.clone(),
                    network: chain.bitcoin_network.clone().unwrap_or_default(),
                    address_network: "key's",
                });
            }
            named.push(chain);
        }
        named
    };
    let network = chosen
        .first()
        .and_then(|chain| network_of(chain))
        .ok_or(RegistrationError::NoChain(Family::Bitcoin))?;
    // Testnet and signet share their addresses; regtest's differ, so it is never mixed with them.
    Ok((
        network,
        chosen
            .into_iter()
            .filter(|chain| network_of(chain) == Some(network))
            .collect(),
    ))
}

/// Whether `chain` can watch `address`: same family, and for Bitcoin the same network.
fn fits(chain: &ChainRecord, address: &Address) -> Result<(), RegistrationError> {
    if chain.family != address.family() {
        return Err(RegistrationError::WrongFamily {
            chain: chain.name.clone(),
            chain_family: chain.family,
            address_family: address.family(),
        });
    }
    if let Address::Bitcoin(bitcoin) = address {
        let network = chain
            .bitcoin_network
            .as_deref()
            .and_then(|text| text.parse::<BitcoinNetwork>().ok());
        if !network.is_some_and(|network| bitcoin.is_valid_for(network)) {
            return Err(RegistrationError::WrongNetwork {
                chain: chain.name.clone(),
                network: chain.bitcoin_network.clone().unwrap_or_default(),
                address_network: bitcoin.network_words(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::chains::default_chains;
    use crate::store::{ChainId, Store};

    fn default_records() -> Vec<ChainRecord> {
        let mut store = Store::open_in_memory().unwrap();
        for chain in default_chains() {
            store.insert_chain(&chain).unwrap();
        }
        store.chains().unwrap()
    }

    fn names(chains: &[ChainRecord], ids: &[ChainId]) -> Vec<String> {
        ids.iter()
            .map(|id| chains.iter().find(|c| c.id == *id).unwrap().name.clone())
            .collect()
    }

    #[test]
    fn an_evm_address_goes_on_every_evm_chain() {
        let chains = default_records();
        let address = Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap();
        let plan = plan(&chains, address, None, &[]).unwrap();
        assert_eq!(
            names(&chains, &plan.chains),
            [
                "ethereum",
                "bsc",
                "polygon",
                "arbitrum",
                "optimism",
                "base",
                "avalanche"
            ]
        );
    }

    #[test]
    fn named_chains_are_checked() {
        let chains = default_records();
        let evm = || Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap();
        let plan = plan(&chains, evm(), None, &["base".into()]).unwrap();
        assert_eq!(names(&chains, &plan.chains), ["base"]);
        assert_eq!(
            super::plan(&chains, evm(), None, &["nope".into()]),
            Err(RegistrationError::UnknownChain("nope".into()))
        );
        let err = super::plan(&chains, evm(), None, &["solana".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the chain solana is Solana, and this is an EVM address"
        );
    }

    #[test]
    fn a_testnet_bitcoin_address_finds_no_mainnet_chain() {
        let chains = default_records();
        let testnet = Address::parse("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx").unwrap();
        assert_eq!(
            plan(&chains, testnet.clone(), None, &[]),
            Err(RegistrationError::NoChain(Family::Bitcoin))
        );
        let err = plan(&chains, testnet, None, &["bitcoin".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the chain bitcoin is Bitcoin mainnet, and this is a testnet or signet address"
        );
    }
}
