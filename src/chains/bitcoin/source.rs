//! Bitcoin chains as a [`Source`]: native rows only, at the tip's height, with what each address
//! has seen used (for watch keys' gap limit) and what the mempool would change.

use anyhow::Result;
use futures::future::BoxFuture;

use super::BitcoinReader;
use crate::chains::{Discovery, FamilyDef, Reading, Row, RowsRead, Source, SourceContext};
use crate::model::Family;

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Bitcoin,
    native: ("BTC", "Bitcoin", 8),
    // Esplora providers put their keys in the URL.
    key_header: None,
    discovery: Discovery::Candidates,
    open,
};

fn open(context: SourceContext<'_>) -> Result<Box<dyn Source>> {
    Ok(Box::new(BitcoinReader::new(context.pool)))
}

impl Source for BitcoinReader {
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead> {
        Box::pin(read(self, rows))
    }
}

async fn read(reader: &BitcoinReader, rows: &[Row]) -> RowsRead {
    let height = match reader.tip_height().await {
        Ok(height) => height,
        Err(why) => return RowsRead::failed(rows.len(), why),
    };
    let addresses: Vec<String> = rows.iter().map(|row| row.address.clone()).collect();
    let read = reader.addresses(&addresses).await;
    let mut used = Vec::new();
    let mut pending = Vec::new();
    for (row, read) in rows.iter().zip(&read) {
        if let Ok(read) = read {
            if read.used {
                used.push(row.key.address);
            }
            pending.push((row.key, read.pending));
        }
    }
    let readings: Vec<Reading> = read
        .into_iter()
        .map(|read| read.map(|read| (read.confirmed, height)))
        .collect();
    RowsRead {
        used,
        pending,
        ..RowsRead::of(readings)
    }
}
