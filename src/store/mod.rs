//! The SQLite database of a data dir: schema migrations on open, and one module per table with the
//! queries the engine makes of it. Every query is backed by an index; `query_plans` proves it.

mod assets;
mod balances;
mod chains;
mod discovery;
mod health;
mod history;
mod ids;
mod leases;
mod pins;
mod prices;
mod settings;
mod sync_runs;
mod token_accounts;
mod wallets;

#[cfg(test)]
mod query_plans;
#[cfg(test)]
pub(crate) mod testing;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations, SchemaVersion};

pub use assets::{AssetRecord, NewToken, TokenMode, Trust};
pub use balances::{
    BalanceFailure, BalanceKey, BalanceRead, BalanceRow, BalanceView, SweepOutcome,
};
pub use chains::{ChainPricing, ChainRecord, EndpointLimits, EndpointRecord, NewChain};
pub use discovery::{Candidate, ChainAddress};
pub use health::Health;
pub use history::HistoryRow;
pub use ids::{AddressId, AssetId, ChainId, WalletId};
pub use leases::{LeasedBalance, Pick};
pub use prices::{AssetValue, DayTotal, HeldAsset, NewPrice, PriceRecord, PriceSourceRecord};
pub use sync_runs::SyncRun;
pub use token_accounts::TokenAccount;
pub use wallets::{AddressRecord, DerivedAddress, Registration, WalletRecord};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database was written by a newer holdings (schema version {found}; this one knows up to \
         {supported}): update holdings to open it"
    )]
    TooNew { found: usize, supported: usize },
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot update the database schema: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The change would duplicate or contradict what is stored; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// Entry `index` of a batch would duplicate what is stored; nothing of the batch was written.
    #[error("{message}")]
    EntryConflict { index: usize, message: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The schema, one numbered file a step, applied in order on open.
const MIGRATION_STEPS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_initial.sql")),
    M::up(include_str!(
        "../../migrations/0002_endpoint_batch_bytes.sql"
    )),
    M::up(include_str!("../../migrations/0003_endpoint_offline.sql")),
    M::up(include_str!("../../migrations/0004_derived_addresses.sql")),
    M::up(include_str!("../../migrations/0005_pending.sql")),
    M::up(include_str!("../../migrations/0006_chain_genesis.sql")),
    M::up(include_str!("../../migrations/0007_derivations.sql")),
    M::up(include_str!("../../migrations/0008_settings.sql")),
    M::up(include_str!("../../migrations/0009_discovery.sql")),
    M::up(include_str!("../../migrations/0010_prices.sql")),
    M::up(include_str!(
        "../../migrations/0011_endpoint_lists_accounts.sql"
    )),
    M::up(include_str!("../../migrations/0012_token_accounts.sql")),
    M::up(include_str!("../../migrations/0013_electrum.sql")),
];
const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_STEPS);

/// How long a statement waits for another process's write lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One connection to the database. Writes go through [`Store::write`], so each runs in one
/// transaction that takes the write lock up front.
pub struct Store {
    conn: Connection,
    created: bool,
    /// Set while [`Store::atomically`] holds a transaction the writes inside it join.
    in_batch: bool,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        Self::init(conn)
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version = MIGRATIONS.current_version(&conn)?;
        if let SchemaVersion::Outside(found) = version {
            return Err(StoreError::TooNew {
                found: found.get(),
                supported: Self::schema_version(),
            });
        }
        MIGRATIONS.to_latest(&mut conn)?;
        Ok(Self {
            conn,
            created: version == SchemaVersion::NoneSet,
            in_batch: false,
        })
    }

    /// The newest schema version this build knows.
    pub fn schema_version() -> usize {
        MIGRATION_STEPS.len()
    }

    /// Whether this open created the schema, i.e. the database was new.
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// Runs `writes` as one transaction: every write inside joins it, and all of them commit
    /// together or not at all. An error from a write must end `writes` (it is rolled back whole);
    /// savepoints would let one be caught, but they cost each write a second journal.
    pub fn atomically<T, E: From<StoreError>>(
        &mut self,
        writes: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let sql = |store: &Store, statement: &str| {
            store
                .conn
                .execute_batch(statement)
                .map_err(|err| E::from(err.into()))
        };
        sql(self, "BEGIN IMMEDIATE")?;
        self.in_batch = true;
        let result = writes(self);
        self.in_batch = false;
        match result {
            Ok(value) => sql(self, "COMMIT").map(|()| value),
            Err(err) => {
                sql(self, "ROLLBACK")?;
                Err(err)
            }
        }
    }

    /// Starts a write that takes the database's write lock at once, so two processes never deadlock
    /// upgrading read locks; it rolls back unless committed. Inside [`Store::atomically`] it joins
    /// the transaction under way.
    fn write(&mut self) -> Result<Write<'_>> {
        Ok(if self.in_batch {
            Write::Joined(&self.conn)
        } else {
            Write::Whole(
                self.conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?,
            )
        })
    }
}

/// A write under way: a transaction of its own, or part of a larger one that commits it.
enum Write<'a> {
    Whole(Transaction<'a>),
    Joined(&'a Connection),
}

impl Write<'_> {
    fn commit(self) -> Result<()> {
        match self {
            Write::Whole(transaction) => transaction.commit()?,
            Write::Joined(_) => {}
        }
        Ok(())
    }
}

impl std::ops::Deref for Write<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Write::Whole(transaction) => transaction,
            Write::Joined(connection) => connection,
        }
    }
}

/// Reads a TEXT column into a type that parses from its stored spelling.
fn parse_column<T>(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(err))
    })
}

#[cfg(test)]
mod tests {
    use super::testing::{each_store, evm_chain};
    use super::*;

    #[test]
    fn writes_made_atomically_all_roll_back_with_a_failure() {
        each_store(|store| {
            let failed: Result<(), StoreError> = store.atomically(|store| {
                store.insert_chain(&evm_chain("first", 1))?;
                store.insert_chain(&evm_chain("first", 2)).map(drop)
            });
            assert!(matches!(failed, Err(StoreError::Conflict(_))));
            assert!(
                store.chains().unwrap().is_empty(),
                "the first insert went with the second"
            );
            store
                .atomically(|store| store.insert_chain(&evm_chain("second", 3)).map(drop))
                .unwrap();
            assert_eq!(store.chains().unwrap().len(), 1);
        });
    }

    /// Tokens found held before discovery existed were watched by their holders only: the
    /// migration makes them unverified candidates, and leaves the user's watched tokens alone.
    #[test]
    fn found_tokens_become_unverified_candidates_by_the_migration() {
        let mut conn = Connection::open_in_memory().unwrap();
        // the schema of 0001 to 0008
        let before_discovery = 8;
        MIGRATIONS.to_version(&mut conn, before_discovery).unwrap();
        conn.execute_batch(
            "INSERT INTO chains (id, name, family, native_symbol, native_decimals) \
                 VALUES (1, 'devsol', 'solana', 'SOL', 9);
             INSERT INTO wallets (id, source, family, created_at) VALUES (1, 'a', 'solana', 0), (2, 'b', 'solana', 0);
             INSERT INTO addresses (id, wallet_id, family, address, added_at) \
                 VALUES (1, 1, 'solana', 'a', 0), (2, 2, 'solana', 'b', 0);
             INSERT INTO address_chains VALUES (1, 1), (2, 1);
             INSERT INTO assets (id, chain_id, contract, symbol, name, decimals) \
                 VALUES (1, 1, NULL, 'SOL', 'Solana', 9), (2, 1, 'chosen', 'C', 'C', 6), (3, 1, 'found', 'F', 'F', 6);
             INSERT INTO balances (address_id, asset_id) VALUES (1, 1), (2, 1), (1, 2), (2, 2), (1, 3);",
        )
        .unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let mut statement = conn
            .prepare("SELECT id, mode, verified, hidden FROM assets ORDER BY id")
            .unwrap();
        let assets: Vec<(i64, String, bool, bool)> = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            assets,
            [
                (1, "watched".into(), true, false),
                (2, "watched".into(), true, false),
                (3, "candidate".into(), false, true),
            ]
        );
    }

    #[test]
    fn default_chains_stored_before_prices_are_priced_as_new_ones_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("holdings.db");
        let defaults = crate::config::chains::default_chains();
        {
            // a database of the schema before prices, with the default chains
            let mut conn = Connection::open(&path).unwrap();
            Migrations::from_slice(&MIGRATION_STEPS[..9])
                .to_latest(&mut conn)
                .unwrap();
            for chain in &defaults {
                conn.execute(
                    "INSERT INTO chains (name, family, evm_chain_id, bitcoin_network, native_symbol, native_decimals) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 18)",
                    rusqlite::params![
                        chain.name.as_str(),
                        chain.family.as_str(),
                        chain.evm_chain_id.map(|id| id as i64),
                        chain.bitcoin_network.map(crate::model::BitcoinNetwork::as_str),
                        chain.native_symbol,
                    ],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        let migrated = store.chains().unwrap();
        assert_eq!(migrated.len(), defaults.len());
        for (stored, default) in migrated.iter().zip(&defaults) {
            assert_eq!(stored.pricing, default.pricing, "{}", stored.name);
        }
    }

    /// The schema before Electrum (0001 to 0011), with a bitcoin chain of these endpoints.
    fn bitcoin_before_electrum(endpoints: &[&str]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        MIGRATIONS.to_version(&mut conn, 11).unwrap();
        conn.execute(
            "INSERT INTO chains (id, name, family, bitcoin_network, native_symbol, native_decimals) \
             VALUES (1, 'bitcoin', 'bitcoin', 'mainnet', 'BTC', 8)",
            [],
        )
        .unwrap();
        for (priority, url) in endpoints.iter().enumerate() {
            conn.execute(
                "INSERT INTO endpoints (chain_id, url, priority) VALUES (1, ?1, ?2)",
                rusqlite::params![url, priority],
            )
            .unwrap();
        }
        conn
    }

    fn endpoints_in_order(conn: &Connection) -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT url FROM endpoints WHERE chain_id = 1 ORDER BY priority")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn the_old_default_bitcoin_endpoints_get_the_electrum_servers_ahead() {
        let mut conn =
            bitcoin_before_electrum(&["https://blockstream.info/api", "https://mempool.space/api"]);
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let bitcoin = crate::config::chains::default_chains()
            .into_iter()
            .find(|chain| chain.name.as_str() == "bitcoin")
            .unwrap();
        let defaults: Vec<String> = bitcoin
            .endpoints
            .iter()
            .map(|url| url.to_string())
            .collect();
        assert_eq!(
            endpoints_in_order(&conn),
            defaults,
            "as a new database has them"
        );
    }

    #[test]
    fn bitcoin_endpoints_of_one_s_own_are_left_alone() {
        let own = ["http://192.168.1.5:3002", "https://mempool.space/api"];
        let mut conn = bitcoin_before_electrum(&own);
        MIGRATIONS.to_latest(&mut conn).unwrap();
        assert_eq!(endpoints_in_order(&conn), own);
    }
}
