//! A chain's endpoint pool, built from what the store knows of its endpoints: their order, which
//! were offline, their API keys (from the OS keyring) and what each was found to take.

use anyhow::{Context, Result};

use super::family;
use super::pool::{EndpointPool, Learned, PoolPolicy, published_batch_limit};
use crate::secrets;
use crate::store::ChainRecord;

/// A new pool over a chain's endpoints, starting from what they were found to take before.
pub fn pool_for(chain: &ChainRecord, policy: PoolPolicy) -> Result<EndpointPool> {
    let urls = chain
        .endpoints
        .iter()
        .map(|endpoint| {
            endpoint
                .url
                .parse()
                .with_context(|| format!("a stored endpoint of {} is not a URL", chain.name))
        })
        .collect::<Result<Vec<url::Url>>>()?;
    let pool = EndpointPool::new(urls.clone(), policy);
    let key_header = family(chain.family).key_header;
    for (index, (endpoint, url)) in chain.endpoints.iter().zip(&urls).enumerate() {
        if endpoint.offline_since.is_some() {
            pool.known_offline(index);
        }
        if let (Some(header), Some(reference)) = (key_header, &endpoint.api_key_ref) {
            match secrets::load(reference) {
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
