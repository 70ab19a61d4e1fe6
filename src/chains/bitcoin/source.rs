//! Bitcoin chains as a [`Source`]: native rows only, at the tip's height, with what each address
//! has seen used (for watch keys' gap limit) and what the mempool would change.
//!
//! The rows are read over the protocol of the chain's healthiest endpoint; those that failed there
//! are read over the other, when the chain has endpoints of both: failover crosses protocols.

use std::sync::Arc;

use anyhow::Result;
use futures::future::BoxFuture;

use super::{AddressReading, electrum, esplora};
use crate::chains::pool::{EndpointPool, Protocol};
use crate::chains::{Discovery, FamilyDef, Reading, Row, RowsRead, Source, SourceContext};
use crate::model::Family;

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Bitcoin,
    native: ("BTC", "Bitcoin", 8),
    // Esplora providers put their keys in the URL; Electrum servers take none.
    key_header: None,
    discovery: Discovery::Candidates,
    open,
};

pub struct BitcoinReader {
    pool: Arc<EndpointPool>,
}

fn open(context: SourceContext<'_>) -> Result<Box<dyn Source>> {
    Ok(Box::new(BitcoinReader { pool: context.pool }))
}

impl Source for BitcoinReader {
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead> {
        Box::pin(read(&self.pool, rows))
    }
}

/// One address's reading and the height it is at, or why it could not be read.
type AddressRead = Result<(AddressReading, u64), String>;

async fn read(pool: &EndpointPool, rows: &[Row]) -> RowsRead {
    let mut read: Vec<AddressRead> = vec![Err("the chain has no endpoint".into()); rows.len()];
    for (pass, protocol) in protocols(pool).into_iter().enumerate() {
        let failed: Vec<usize> = (0..rows.len()).filter(|&i| read[i].is_err()).collect();
        if failed.is_empty() {
            break;
        }
        let addresses: Vec<String> = failed.iter().map(|&i| rows[i].address.clone()).collect();
        let again = match protocol {
            Protocol::Electrum => electrum::read(pool, &addresses).await,
            Protocol::Http => esplora::read(pool, &addresses).await,
        };
        for (index, outcome) in failed.into_iter().zip(again) {
            read[index] = match (&read[index], outcome) {
                // Both protocols failed it: say why each did.
                (Err(before), Err(why)) if pass > 0 => Err(format!("{before}; then {why}")),
                (_, outcome) => outcome,
            };
        }
    }
    let mut used = Vec::new();
    let mut pending = Vec::new();
    for (row, read) in rows.iter().zip(&read) {
        if let Ok((reading, _)) = read {
            if reading.used {
                used.push(row.key.address);
            }
            pending.push((row.key, reading.pending));
        }
    }
    let readings: Vec<Reading> = read
        .into_iter()
        .map(|read| read.map(|(reading, height)| (reading.confirmed, height)))
        .collect();
    RowsRead {
        used,
        pending,
        ..RowsRead::of(readings)
    }
}

/// The protocol of the healthiest endpoint first, then the other, if the chain has it.
fn protocols(pool: &EndpointPool) -> Vec<Protocol> {
    if pool.is_empty() {
        return Vec::new();
    }
    let first = pool.protocol(pool.preferred());
    let other = match first {
        Protocol::Electrum => Protocol::Http,
        Protocol::Http => Protocol::Electrum,
    };
    std::iter::once(first)
        .chain(pool.speaks(other).then_some(other))
        .collect()
}
