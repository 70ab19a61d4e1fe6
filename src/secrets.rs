//! API keys, kept in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager
//! on Windows) and never in the database, which holds only the name of the keyring entry.

use keyring::Entry;
use url::Url;

/// The keyring service every holdings entry is filed under.
const SERVICE: &str = "holdings";

#[derive(Debug, thiserror::Error)]
#[error("the OS keyring cannot be used: {0}")]
pub struct KeyringError(String);

/// The name of the keyring entry for an endpoint's key: the chain, and the endpoint's scheme, host
/// and port (so `http://` and `https://`, or two ports of one host, never share a key).
pub fn reference(chain: &str, endpoint: &Url) -> String {
    format!(
        "api-key:{chain}:{}://{}:{}",
        endpoint.scheme(),
        endpoint.host_str().unwrap_or_default(),
        endpoint.port_or_known_default().unwrap_or_default()
    )
}

/// Saves the keys of an endpoint URL (its path or query parts, in order) under `reference`.
pub fn save_url_keys(reference: &str, keys: &[String]) -> Result<(), KeyringError> {
    // A URL's parts never hold a newline, which makes it a safe separator.
    save(reference, &keys.join("\n"))
}

/// The keys of an endpoint URL saved under `reference`, if there are any.
pub fn load_url_keys(reference: &str) -> Result<Option<Vec<String>>, KeyringError> {
    Ok(load(reference)?.map(|keys| keys.split('\n').map(str::to_owned).collect()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_carry_the_scheme_host_and_port() {
        let name = |url: &str| reference("ethereum", &url.parse().unwrap());
        assert_eq!(
            name("https://mainnet.infura.io/v3/KEY-IN-KEYRING"),
            "api-key:ethereum:https://mainnet.infura.io:443"
        );
        assert_eq!(
            name("http://127.0.0.1:8545"),
            "api-key:ethereum:http://127.0.0.1:8545"
        );
        assert_ne!(name("http://node.example:80"), name("https://node.example"));
        assert_ne!(
            name("https://node.example:8443"),
            name("https://node.example")
        );
    }
}
