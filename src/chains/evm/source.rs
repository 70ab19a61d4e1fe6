//! EVM chains as a [`Source`]: every leased row at one pinned block.

use anyhow::{Context, Result};
use futures::future::BoxFuture;

use super::{BalanceAsk, EvmReader};
use crate::chains::{Discovery, FamilyDef, Row, RowsRead, Source, SourceContext, TokenMetadata};
use crate::model::{Address, Family};

pub const FAMILY: FamilyDef = FamilyDef {
    family: Family::Evm,
    native: ("ETH", "Ether", 18),
    // EVM providers put their keys in the URL.
    key_header: None,
    discovery: Discovery::Candidates,
    open,
};

fn open(context: SourceContext<'_>) -> Result<Box<dyn Source>> {
    let chain = context.chain;
    let chain_id = chain
        .evm_chain_id
        .context("an EVM chain without a chain id")?;
    let multicall = chain
        .multicall
        .as_deref()
        .map(str::parse::<alloy_primitives::Address>)
        .transpose()
        .context("the stored Multicall3 address")?;
    Ok(Box::new(EvmReader::new(context.pool, chain_id, multicall)))
}

impl Source for EvmReader {
    fn read<'a>(&'a self, rows: &'a [Row]) -> BoxFuture<'a, RowsRead> {
        Box::pin(read(self, rows))
    }

    fn token<'a>(&'a self, contract: &'a str) -> BoxFuture<'a, Result<TokenMetadata, String>> {
        Box::pin(async move {
            let token = evm_address(contract)?;
            self.token_metadata(token).await
        })
    }
}

async fn read(reader: &EvmReader, rows: &[Row]) -> RowsRead {
    let asks: Vec<Result<BalanceAsk, String>> = rows.iter().map(ask).collect();
    let readable: Vec<BalanceAsk> = asks
        .iter()
        .filter_map(|ask| ask.as_ref().ok().copied())
        .collect();
    let readings = reader.balances(&readable).await;
    let mut values = readings
        .as_ref()
        .map(|readings| readings.values.clone())
        .unwrap_or_default()
        .into_iter();
    let readings_per_row = asks
        .iter()
        .map(|ask| match (ask, &readings) {
            (Err(why), _) | (Ok(_), Err(why)) => Err(why.clone()),
            (Ok(_), Ok(readings)) => values
                .next()
                .expect("a value per readable ask")
                .map(|raw| (raw, readings.block)),
        })
        .collect();
    RowsRead {
        readings: readings_per_row,
        unreachable: readings.err(),
        ..RowsRead::default()
    }
}

/// What to ask an EVM chain for a leased row; a stored address that no longer parses fails that row.
fn ask(row: &Row) -> Result<BalanceAsk, String> {
    Ok(BalanceAsk {
        owner: evm_address(&row.address)?,
        token: row.contract.as_deref().map(evm_address).transpose()?,
    })
}

fn evm_address(text: &str) -> Result<alloy_primitives::Address, String> {
    match Address::parse_as(Family::Evm, text) {
        Ok(Address::Evm(address)) => Ok(address),
        _ => Err(format!("the stored address {text:?} is not an EVM address")),
    }
}
