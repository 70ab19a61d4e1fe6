//! API keys, kept in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager
//! on Windows) and never in the database, which holds only the name of the keyring entry.

use keyring::Entry;

/// The keyring service every holdings entry is filed under.
const SERVICE: &str = "holdings";

#[derive(Debug, thiserror::Error)]
#[error("the OS keyring cannot be used: {0}")]
pub struct KeyringError(String);

/// The name of the keyring entry for an endpoint's key: the chain and the endpoint's host.
pub fn reference(chain: &str, host: &str) -> String {
    format!("api-key:{chain}:{host}")
}

/// Saves a key under `reference`, replacing any key there.
pub fn save(reference: &str, key: &str) -> Result<(), KeyringError> {
    entry(reference)?
        .set_password(key)
        .map_err(|err| KeyringError(err.to_string()))
}

/// The key saved under `reference`, if there is one.
pub fn load(reference: &str) -> Result<Option<String>, KeyringError> {
    match entry(reference)?.get_password() {
        Ok(key) => Ok(Some(key)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(KeyringError(err.to_string())),
    }
}

/// Forgets the key saved under `reference`; that there is none is fine.
pub fn delete(reference: &str) -> Result<(), KeyringError> {
    match entry(reference)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(KeyringError(err.to_string())),
    }
}

fn entry(reference: &str) -> Result<Entry, KeyringError> {
    Entry::new(SERVICE, reference).map_err(|err| KeyringError(err.to_string()))
}
