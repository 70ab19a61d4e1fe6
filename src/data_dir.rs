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
/// and any database the bundled token lists it lacks. The dir is readable by its owner only, and
/// so is the database (what it holds says what one owns).
pub fn open(dir: &Path) -> Result<Store> {
    create_private_dir(dir)
        .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    let database = dir.join(DATABASE_FILE);
    private_database(&database)?;
    let mut store = Store::open(&database)?;
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

/// Creates a dir of the data dir (and any missing parent, the data dir itself included) readable
/// by its owner only. A dir that exists is left as it is: it may be one the user chose, such as a
/// shared one.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;

    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Makes the database readable by its owner only, creating it so when new; SQLite gives its
/// journal files the database's mode.
#[cfg(unix)]
fn private_database(database: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(database)
        .with_context(|| format!("cannot open {}", database.display()))?;
    for path in [
        database.to_owned(),
        database.with_extension("db-wal"),
        database.with_extension("db-shm"),
    ] {
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private", path.display()))?;
        }
    }
    Ok(())
}

/// Elsewhere the user's profile directory is private already.
#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(not(unix))]
fn private_database(_database: &Path) -> Result<()> {
    Ok(())
}
