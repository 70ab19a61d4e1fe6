//! Adding what a user watches, from what they typed or a file: the checks and the registration both
//! the CLI and the desktop app go through. Bad input is refused with the reason and writes nothing.

use anyhow::{Context, Result, anyhow, bail};

use crate::clock::UnixMillis;
use crate::model::{Address, GAP_LIMIT, WatchKey};
use crate::registry;
use crate::store::{DerivedAddress, Store, StoreError, WalletId};

/// A wallet just added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub wallet: WalletId,
    /// What is watched: the normalised address, or the key as typed.
    pub source: String,
    /// Addresses watched now (a key's first ones; syncs add more as they are used).
    pub addresses: usize,
    /// The chains it is watched on.
    pub chains: Vec<String>,
}

/// What `text` is, in words, or why it cannot be watched: the check made as a user types.
pub fn describe(text: &str) -> Result<String> {
    if WatchKey::looks_like(text) {
        WatchKey::parse(text)?;
        return Ok("a Bitcoin watch key: its addresses are found as they are used".into());
    }
    let address = Address::parse(text)?;
    Ok(format!(
        "{} address",
        capitalised(address.family().with_article())
    ))
}

fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Watches an address, extended key or descriptor: on the chains named, or on every active chain
/// that can watch it.
pub fn add(
    store: &mut Store,
    text: &str,
    label: Option<String>,
    chains: &[String],
    now: UnixMillis,
) -> Result<Added> {
    if WatchKey::looks_like(text) {
        return add_watch_key(store, text, label, chains, now);
    }
    let address = Address::parse(text)?;
    let registration = registry::plan(&store.chains()?, address, label, chains)?;
    let wallets = store
        .register(std::slice::from_ref(&registration), now)
        .map_err(|err| match err {
            StoreError::EntryConflict { message, .. } => anyhow!(message),
            other => other.into(),
        })?;
    let chains = store
        .find_address(&registration.address)?
        .map(|record| record.chains)
        .unwrap_or_default();
    Ok(Added {
        wallet: wallets[0],
        source: registration.address.to_string(),
        addresses: 1,
        chains,
    })
}

/// Watches an extended key or descriptor: its first `GAP_LIMIT` addresses of each branch now, more as
/// syncs find them used.
fn add_watch_key(
    store: &mut Store,
    text: &str,
    label: Option<String>,
    chains: &[String],
    now: UnixMillis,
) -> Result<Added> {
    let key = WatchKey::parse(text)?;
    let known = store.chains()?;
    let (network, chosen) = registry::plan_watch_key(&known, &key, chains)?;
    let mut first = Vec::new();
    for branch in key.branches() {
        for index in 0..GAP_LIMIT {
            let address = key
                .watched_address(branch, index, network)
                .with_context(|| format!("cannot derive address {index} of the key"))?;
            first.push(DerivedAddress {
                address,
                derivation: format!("{}/{index}", branch.number()),
            });
        }
    }
    let ids: Vec<_> = chosen.iter().map(|chain| chain.id).collect();
    let wallet = store.register_watch_key(key.as_str(), label.as_deref(), &first, &ids, now)?;
    Ok(Added {
        wallet,
        source: key.as_str().to_owned(),
        addresses: first.len(),
        chains: chosen.iter().map(|chain| chain.name.clone()).collect(),
    })
}

/// One address line of a file: where it stands, the address, and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    pub number: usize,
    pub address: Address,
    pub label: Option<String>,
}

/// Reads a file's text of addresses: one a line, an optional label after a space; blank lines and
/// `#` comments are skipped. The first bad line is named (`name`, line N). Needs no store, so a
/// file is read whole before the store is locked.
pub fn parse_file(name: &str, text: &str) -> Result<Vec<FileLine>> {
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (address_text, label) = match line.split_once(char::is_whitespace) {
            Some((address, label)) => (address, Some(label.trim().to_owned())),
            None => (line, None),
        };
        let address =
            Address::parse(address_text).with_context(|| format!("{name}, line {number}"))?;
        lines.push(FileLine {
            number,
            address,
            label,
        });
    }
    if lines.is_empty() {
        bail!("{name} has no addresses");
    }
    Ok(lines)
}

/// Watches every address of a file (from [`parse_file`]). All or nothing: the first line that
/// cannot be watched is named (`name`, line N) and nothing is written. Returns how many addresses
/// were added.
pub fn import(
    store: &mut Store,
    name: &str,
    lines: &[FileLine],
    chains: &[String],
    now: UnixMillis,
) -> Result<usize> {
    let known_chains = store.chains()?;
    let registrations = lines
        .iter()
        .map(|line| {
            registry::plan(
                &known_chains,
                line.address.clone(),
                line.label.clone(),
                chains,
            )
            .with_context(|| format!("{name}, line {}", line.number))
        })
        .collect::<Result<Vec<_>>>()?;
    store
        .register(&registrations, now)
        .map_err(|err| match err {
            StoreError::EntryConflict { index, message } => {
                anyhow!("{name}, line {}: {message}", lines[index].number)
            }
            other => other.into(),
        })?;
    Ok(registrations.len())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn typed_text_is_described_or_refused_in_words() {
        assert_eq!(
            describe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap(),
            "An EVM address"
        );
        assert_eq!(
            describe("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq").unwrap(),
            "A Bitcoin address"
        );
        let refused = describe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267").unwrap_err();
        assert!(format!("{refused:#}").contains("checksum"), "{refused:#}");
        assert!(describe("hello").is_err());
    }

    proptest! {
        #[test]
        fn any_file_is_its_addresses_or_an_error_naming_a_line(
            text in prop_oneof![
                any::<String>(),
                proptest::collection::vec(
                    prop_oneof![
                        Just("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 main".to_owned()),
                        Just("# a comment".to_owned()),
                        Just(String::new()),
                        "[ -~\u{80}-\u{10ffff}]{0,60}",
                    ],
                    0..8,
                )
                .prop_map(|lines| lines.join("\n")),
            ],
        ) {
            match parse_file("wallets.txt", &text) {
                Ok(lines) => {
                    prop_assert!(!lines.is_empty());
                    prop_assert!(lines.iter().all(|line| line.number <= text.lines().count()));
                }
                Err(err) => {
                    let message = format!("{err:#}");
                    prop_assert!(message.starts_with("wallets.txt"), "{}", message);
                }
            }
        }
    }
}
