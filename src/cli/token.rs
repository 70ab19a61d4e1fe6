//! `holdings token add|import`: tokens to watch.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::output::printable;
use crate::api::Holdings;

pub(super) async fn add(holdings: &Holdings, chain: &str, text: &str) -> Result<()> {
    let added = holdings.add_token(chain, text).await?;
    writeln!(
        std::io::stdout().lock(),
        "watching {} ({}, {} decimals) at {} on {}",
        printable(&added.symbol),
        printable(&added.name),
        added.decimals,
        added.contract,
        added.chain
    )?;
    Ok(())
}

pub(super) fn import(holdings: &Holdings, file: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let imported = holdings.import_tokens(&name, &text)?;
    let mut out = std::io::stdout().lock();
    write!(out, "watching {} new token(s) from {name}", imported.added)?;
    if imported.elsewhere > 0 {
        write!(
            out,
            "; {} are for chains not added here",
            imported.elsewhere
        )?;
    }
    writeln!(out)?;
    Ok(())
}
