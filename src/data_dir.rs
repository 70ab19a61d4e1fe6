//! The data dir the desktop app and the CLI share: where it is, and opening its database.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::chains::{default_chains, default_genesis};
use crate::config::tokens::add_bundled_lists;
use crate::store::{Store, StoreError};

/// The environment variable that overrides the default data dir.
pub const DATA_DIR_ENV: &str = "HOLDINGS_DATA_DIR";

const DATABASE_FILE: &str = "holdings.db";

/// The platform's data directory for holdings (`~/.local/share/holdings` on Linux).
pub fn default_data_dir() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|dir| dir.join("holdings"))
        .context("this system has no data directory; pass --data-dir or set HOLDINGS_DATA_DIR")
}

/// Opens the database in `dir`, creating both on first use; a new database gets the default chains,
/// and any database the bundled token lists it lacks.
pub fn open(dir: &Path) -> Result<Store> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    let mut store = Store::open(&dir.join(DATABASE_FILE))?;
    if store.was_created() {
        for chain in default_chains() {
            match store.insert_chain(&chain) {
                Ok(id) => {
                    if let Some(genesis) = default_genesis(chain.name.as_str()) {
                        store.set_chain_genesis(id, genesis)?;
                    }
                }
                // Another process that opened the new database at the same moment added it first.
                Err(StoreError::Conflict(_)) => {}
                Err(err) => return Err(err).context("cannot add the default chains"),
            }
        }
    }
    add_bundled_lists(&mut store).context("cannot add the bundled token lists")?;
    Ok(store)
}
