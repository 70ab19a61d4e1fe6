//! A chain's endpoint pool, built from what the store knows of its endpoints: their order, which
//! were offline, their API keys (from the OS keyring), what each was found to take, and the
//! certificates of Electrum servers pinned on first use.

use anyhow::{Context, Result};

use super::family;
use super::pool::{EndpointPool, Fingerprint, Learned, PoolPolicy, published_batch_limit, redact};
use crate::model::{KEY_PLACEHOLDER, with_keys};
use crate::secrets;
use crate::store::{ChainRecord, EndpointRecord};

/// A new pool over a chain's endpoints, starting from what they were found to take before; `pins`
/// are the certificates pinned (URL, SHA-256 in hex), as the store keeps them.
pub fn pool_for(
    chain: &ChainRecord,
    pins: &[(String, String)],
    policy: PoolPolicy,
) -> Result<EndpointPool> {
    let urls = chain
        .endpoints
        .iter()
        .map(|endpoint| url_of(chain, endpoint))
        .collect::<Result<Vec<url::Url>>>()?;
    let pool = EndpointPool::new(urls.clone(), policy);
    let key_header = family(chain.family).key_header;
    for (index, (endpoint, url)) in chain.endpoints.iter().zip(&urls).enumerate() {
        if endpoint.offline_since.is_some() {
            pool.known_offline(index);
        }
        let header_key = key_header.filter(|_| !endpoint.url.contains(KEY_PLACEHOLDER));
        if let (Some(header), Some(reference)) = (header_key, &endpoint.api_key_ref) {
            match secrets::load(reference) {
                // A key crosses no network in clear, whatever the endpoint was saved as.
                Ok(Some(key)) => pool
                    .authorize(index, header, &key)
                    .map_err(anyhow::Error::msg)?,
                Ok(None) => tracing::warn!(
                    endpoint = index,
                    "its API key is not in the keyring; asking without it"
                ),
                Err(err) => tracing::warn!(%err, "asking without the endpoint's API key"),
            }
        }
        if let Some((_, pin)) = pins.iter().find(|(url, _)| *url == endpoint.url) {
            // A pin that cannot be read must not turn into trusting whatever is shown.
            let fingerprint = Fingerprint::from_hex(pin).with_context(|| {
                format!(
                    "the pinned certificate of an endpoint of {} is unreadable",
                    chain.name
                )
            })?;
            pool.pin(index, fingerprint);
        }
        let limits = endpoint.limits;
        let widen = |size: Option<u32>| size.map(|size| size as usize);
        pool.learn(index, |learned| {
            *learned = Learned {
                chunk: widen(limits.chunk_size),
                // What the endpoint was found to take, else what its provider publishes.
                batch: widen(limits.batch_size.filter(|&size| size > 0))
                    .or_else(|| published_batch_limit(url)),
                batch_bytes: widen(limits.batch_bytes),
                no_batches: limits.batch_size == Some(0),
                lists_accounts: limits.lists_accounts,
            }
        });
    }
    Ok(pool)
}

/// The URL requests go to: the stored one, with the keys it carries back from the OS keyring where
/// placeholders stand for them. One whose keys cannot be had is used as stored, and fails alone.
fn url_of(chain: &ChainRecord, endpoint: &EndpointRecord) -> Result<url::Url> {
    let stored = endpoint
        .url
        .parse()
        .with_context(|| format!("a stored endpoint of {} is not a URL", chain.name))?;
    if !endpoint.url.contains(KEY_PLACEHOLDER) {
        return Ok(stored);
    }
    let keys = match endpoint.api_key_ref.as_deref().map(secrets::load_url_keys) {
        Some(Ok(Some(keys))) => keys,
        Some(Ok(None)) | None => {
            tracing::warn!(endpoint = %redact(&stored), "its API key is not in the keyring; asking without it");
            return Ok(stored);
        }
        Some(Err(err)) => {
            tracing::warn!(endpoint = %redact(&stored), %err, "asking without the endpoint's API key");
            return Ok(stored);
        }
    };
    with_keys(&endpoint.url, &keys).or_else(|err| {
        tracing::warn!(endpoint = %redact(&stored), %err, "asking without the endpoint's API key");
        Ok(stored)
    })
}
