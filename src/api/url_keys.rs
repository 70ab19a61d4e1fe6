//! API keys that come inside endpoint URLs (`…/v3/KEY`, `?apikey=…`): kept in the OS keyring like
//! TRON's header key, the database keeping the URL with a placeholder where each key stood and the
//! name of the keyring entry; sent only over https (or to this machine).

use anyhow::{Result, ensure};
use url::Url;

use crate::chains;
use crate::chains::pool::redact;
use crate::model::{Family, is_cleartext, without_keys};
use crate::secrets;

/// An endpoint as it will be stored, and where its URL's keys go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEndpoint {
    /// The URL with a placeholder for each key.
    pub url: Url,
    /// The keyring entry and the keys to save in it, when the URL carried any.
    pub keys: Option<(String, Vec<String>)>,
}

/// Checks an endpoint URL of a chain of `family` named `chain`, and splits the keys out of it.
/// Saves nothing.
pub fn plan(chain: &str, family: Family, url: &Url) -> Result<StoredEndpoint> {
    let split = without_keys(url);
    if split.keys.is_empty() {
        return Ok(StoredEndpoint {
            url: url.clone(),
            keys: None,
        });
    }
    ensure!(
        !is_cleartext(url),
        "{} is plain http and its URL carries an API key: keys are sent only over https (or to \
         this machine)",
        redact(url)
    );
    ensure!(
        chains::family(family).key_header.is_none(),
        "{} endpoints take their API key apart from the URL: add {} without it, then save the key \
         with `holdings chain key`",
        family.display_name(),
        redact(url)
    );
    Ok(StoredEndpoint {
        url: split.without_keys,
        keys: Some((secrets::reference(chain, url), split.keys)),
    })
}

/// Saves the keys of the planned endpoints in the OS keyring; on a failure, takes back those saved.
pub fn save(endpoints: &[StoredEndpoint]) -> Result<()> {
    let keyed = endpoints
        .iter()
        .filter_map(|endpoint| endpoint.keys.as_ref());
    let mut saved: Vec<&str> = Vec::new();
    for (reference, keys) in keyed {
        if let Err(err) = secrets::save_url_keys(reference, keys) {
            forget(saved.iter().copied());
            return Err(err.into());
        }
        saved.push(reference);
    }
    Ok(())
}

/// Forgets the keys under these entries (the endpoints were not stored after all).
pub fn forget<'a>(references: impl IntoIterator<Item = &'a str>) {
    for reference in references {
        if let Err(err) = secrets::delete(reference) {
            tracing::warn!(%err, "an endpoint's API key stays in the keyring");
        }
    }
}

/// The keyring entries of planned endpoints.
pub fn references(endpoints: &[StoredEndpoint]) -> impl Iterator<Item = &str> {
    endpoints.iter().filter_map(|endpoint| {
        endpoint
            .keys
            .as_ref()
            .map(|(reference, _)| reference.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_endpoint_url;

    #[test]
    fn a_key_goes_only_over_https_and_not_in_a_tron_url() {
        let keyed = "0123456789abcdef0123456789abcdef";
        let plain = parse_endpoint_url(&format!("http://rpc.example.org/v3/{keyed}")).unwrap();
        let refused = plan("ethereum", Family::Evm, &plain)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("only over https"), "{refused}");
        let tron = parse_endpoint_url(&format!("https://api.trongrid.io/{keyed}")).unwrap();
        let refused = plan("tron", Family::Tron, &tron).unwrap_err().to_string();
        assert!(refused.contains("holdings chain key"), "{refused}");
        let local = parse_endpoint_url(&format!("http://127.0.0.1:8545/v3/{keyed}")).unwrap();
        let planned = plan("devnet", Family::Evm, &local).unwrap();
        assert_eq!(
            planned.url.as_str(),
            "http://127.0.0.1:8545/v3/KEY-IN-KEYRING"
        );
        assert_eq!(
            planned.keys,
            Some((
                "api-key:devnet:http://127.0.0.1:8545".to_owned(),
                vec![keyed.to_owned()]
            ))
        );
        let keyless = parse_endpoint_url("https://eth.drpc.org").unwrap();
        assert_eq!(plan("ethereum", Family::Evm, &keyless).unwrap().keys, None);
    }
}
