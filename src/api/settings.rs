//! Chains and their endpoints as the Settings page shows and changes them. Endpoint URLs may carry
//! API keys in their path or query, so the page sees them redacted and names them by position and
//! that redacted form.

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use super::AppError;
use crate::chains;
use crate::chains::pool::redact;
use crate::clock::UnixMillis;
use crate::model::{Family, is_cleartext, parse_endpoint_url};
use crate::secrets;
use url::Url;

use crate::store::{ChainId, ChainRecord, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChainSettings {
    pub id: ChainId,
    pub name: String,
    pub family: Family,
    pub active: bool,
    /// In the order they are tried.
    pub endpoints: Vec<EndpointSettings>,
    /// Whether its endpoints take an API key apart from the URL (TRON's header).
    pub takes_api_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct EndpointSettings {
    /// Scheme, host and port only.
    pub shown: String,
    /// Whether an API key for it is saved in the OS keyring.
    pub has_api_key: bool,
    /// Since when it has not answered (Unix milliseconds).
    pub offline_since: Option<UnixMillis>,
}

impl ChainSettings {
    pub fn new(chain: &ChainRecord) -> Self {
        Self {
            id: chain.id,
            name: chain.name.clone(),
            family: chain.family,
            active: chain.active,
            endpoints: chain
                .endpoints
                .iter()
                .map(|endpoint| EndpointSettings {
                    shown: shown_url(&endpoint.url),
                    has_api_key: endpoint.api_key_ref.is_some(),
                    offline_since: endpoint.offline_since,
                })
                .collect(),
            takes_api_key: takes_api_key(chain.family),
        }
    }
}

/// Whether the family's endpoints take an API key apart from their URL.
fn takes_api_key(family: Family) -> bool {
    chains::family(family).key_header.is_some()
}

/// An endpoint URL without what may hold a key: its path and query.
pub fn shown_url(url: &str) -> String {
    url.parse()
        .map(|url| redact(&url))
        .unwrap_or_else(|_| "(not a URL)".into())
}

/// The chain with this id.
pub fn chain(store: &Store, id: ChainId) -> Result<ChainRecord> {
    store
        .chains()?
        .into_iter()
        .find(|chain| chain.id == id)
        .context("there is no such chain any more")
}

/// An endpoint as the page names it: where it stood in the order, and how it was shown there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EndpointRef {
    pub position: u32,
    pub shown: String,
}

/// The URL of the endpoint the page names, if it is still where the page saw it.
pub fn endpoint_url(chain: &ChainRecord, endpoint: &EndpointRef) -> Result<String, AppError> {
    chain
        .endpoints
        .get(endpoint.position as usize)
        .filter(|stored| shown_url(&stored.url) == endpoint.shown)
        .map(|stored| stored.url.clone())
        .ok_or_else(|| {
            AppError::not_found(format!(
                "the endpoints of {} changed meanwhile; look at them again",
                chain.name
            ))
        })
}

/// The endpoint `url` of `chain`, checked to be one that takes an API key apart from its URL.
pub fn api_key_endpoint(chain: &ChainRecord, url: &str) -> Result<Url> {
    // Only TRON's API takes its key in a header; EVM, Solana and Esplora providers put it in the URL.
    ensure!(
        takes_api_key(chain.family),
        "{} takes no API key apart from its URL; only TRON endpoints do",
        chain.name
    );
    let url = parse_endpoint_url(url)?;
    if !chain
        .endpoints
        .iter()
        .any(|endpoint| endpoint.url == url.as_str())
    {
        bail!("{} has no endpoint {}", chain.name, redact(&url));
    }
    Ok(url)
}

/// Saves the API key of an endpoint (from [`api_key_endpoint`]) in the OS keyring, and records only
/// the entry's name in the database. Returns that name.
pub fn save_endpoint_key(
    store: &mut Store,
    chain: &ChainRecord,
    endpoint: &Url,
    key: &str,
) -> Result<String> {
    let key = key.trim();
    ensure!(!key.is_empty(), "the API key is empty");
    ensure!(
        !key.chars().any(char::is_control),
        "an API key is one line of text"
    );
    ensure!(
        !is_cleartext(endpoint),
        "{} is plain http: an API key is sent only over https (or to this machine)",
        redact(endpoint)
    );
    let reference = secrets::reference(&chain.name, endpoint);
    secrets::save(&reference, key)?;
    store.set_endpoint_key_ref(chain.id, endpoint.as_str(), &reference)?;
    Ok(reference)
}
