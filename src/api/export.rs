//! Every balance, for a spreadsheet or a script: CSV or JSON, one row per balance with its wallet,
//! label, chain, address, asset, exact amounts, block, when it was read, how fresh it is, and its
//! price and value where it has them.

use serde::Serialize;

use super::{AppResult, BalanceRow, Holdings};
use crate::clock::UnixMillis;
use crate::model::CURRENCY;

/// The formats `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// One exported balance; the field names are a public interface (the CSV's header too).
#[derive(Debug, Clone, Serialize)]
struct ExportedRow {
    wallet: String,
    label: Option<String>,
    chain: String,
    address: String,
    asset: String,
    symbol: String,
    decimals: u8,
    raw: Option<String>,
    amount: Option<String>,
    block: Option<u64>,
    read_at: Option<String>,
    freshness: &'static str,
    currency: &'static str,
    price: Option<String>,
    value: Option<String>,
    price_updated_at: Option<String>,
}

impl Holdings {
    /// Every balance held, read or not, as `format`.
    pub async fn export(&self, format: ExportFormat) -> AppResult<String> {
        let wallets = self.wallets()?;
        let rows = self.balances().await?;
        let exported: Vec<ExportedRow> = rows
            .iter()
            .map(|row| {
                let wallet = wallets.iter().find(|wallet| wallet.id == row.wallet);
                exported_row(row, wallet.map(|w| (w.source.clone(), w.label.clone())))
            })
            .collect();
        Ok(match format {
            ExportFormat::Json => {
                let json = serde_json::to_string_pretty(&exported)
                    .map_err(|err| anyhow::anyhow!("cannot write JSON: {err}"))?;
                json + "\n"
            }
            ExportFormat::Csv => csv_of(&exported)?,
        })
    }

    /// Writes the export to the file at `path` (one the user chose).
    pub async fn export_to(&self, path: &std::path::Path, format: ExportFormat) -> AppResult<()> {
        let text = self.export(format).await?;
        std::fs::write(path, text).map_err(|err| {
            super::AppError::new(
                super::ErrorCode::InvalidInput,
                format!("cannot write {}: {err}", path.display()),
            )
        })
    }
}

fn exported_row(row: &BalanceRow, wallet: Option<(String, Option<String>)>) -> ExportedRow {
    let (wallet, label) = wallet.unwrap_or_default();
    ExportedRow {
        wallet,
        label,
        chain: row.chain.clone(),
        address: row.address.clone(),
        asset: row.contract.clone().unwrap_or_else(|| "native".into()),
        symbol: row.symbol.clone(),
        decimals: row.decimals,
        raw: row.raw.clone(),
        amount: row.amount.clone(),
        block: row.block,
        read_at: row.read_at.map(rfc3339),
        freshness: row.freshness.as_str(),
        currency: CURRENCY,
        price: row.price.clone(),
        value: row.value.clone(),
        price_updated_at: row.price_updated_at.map(rfc3339),
    }
}

fn rfc3339(at: UnixMillis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// The rows as CSV with a header. A cell a spreadsheet would take for a formula (`=`, `+`, `-`,
/// `@`, or a tab or carriage return first) is escaped with a leading `'`, so a hostile label or
/// symbol cannot become one.
fn csv_of(rows: &[ExportedRow]) -> AppResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let mut escaped = row.clone();
        escaped.wallet = defuse(&escaped.wallet);
        escaped.label = escaped.label.as_deref().map(defuse);
        escaped.symbol = defuse(&escaped.symbol);
        escaped.address = defuse(&escaped.address);
        escaped.asset = defuse(&escaped.asset);
        writer
            .serialize(escaped)
            .map_err(|err| anyhow::anyhow!("cannot write CSV: {err}"))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| anyhow::anyhow!("cannot write CSV: {err}"))?;
    Ok(String::from_utf8(bytes).map_err(|err| anyhow::anyhow!("cannot write CSV: {err}"))?)
}

fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_would_be_a_formula_is_escaped() {
        for hostile in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx"] {
            assert_eq!(defuse(hostile), format!("'{hostile}"));
        }
        assert_eq!(defuse("Savings"), "Savings");
        assert_eq!(defuse("0xA0b8"), "0xA0b8");
    }
}
