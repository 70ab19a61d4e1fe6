//! `settings`: what the user chose in Settings (the freshness TTLs and the price TTL), and which
//! version of the bundled token lists the database holds.

use std::time::Duration;

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};
use crate::model::Ttls;

const TTL_NAMES: [&str; 3] = ["ui_ttl_ms", "validation_ttl_ms", "stale_ttl_ms"];
const TOKEN_LISTS_VERSION: &str = "token_lists_version";
const PRICE_TTL: &str = "price_ttl_ms";

const SELECT: &str = "SELECT value FROM settings WHERE name = ?1";

const UPSERT: &str = "INSERT INTO settings (name, value) VALUES (?1, ?2) \
     ON CONFLICT (name) DO UPDATE SET value = excluded.value";

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
}

impl Store {
    /// The TTLs the user saved, if they did.
    pub fn saved_ttls(&self) -> Result<Option<Ttls>> {
        let mut statement = self.conn.prepare_cached(SELECT)?;
        let mut millis = Vec::with_capacity(TTL_NAMES.len());
        for name in TTL_NAMES {
            let Some(value) = statement
                .query_row([name], |row| row.get::<_, u64>(0))
                .optional()?
            else {
                return Ok(None);
            };
            millis.push(Duration::from_millis(value));
        }
        Ok(Some(Ttls {
            ui: millis[0],
            validation: millis[1],
            stale: millis[2],
        }))
    }

    /// The price TTL the user saved, if they did.
    pub fn saved_price_ttl(&self) -> Result<Option<Duration>> {
        Ok(self
            .conn
            .prepare_cached(SELECT)?
            .query_row([PRICE_TTL], |row| row.get::<_, u64>(0))
            .optional()?
            .map(Duration::from_millis))
    }

    /// Saves the price TTL (already checked with [`crate::model::checked_price_ttl`]).
    pub fn save_price_ttl(&mut self, ttl: Duration) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(UPSERT)?
            .execute(params![PRICE_TTL, millis(ttl)])?;
        tx.commit()?;
        Ok(())
    }

    /// Saves the TTLs (already checked with [`Ttls::checked`]).
    pub fn save_ttls(&mut self, ttls: &Ttls) -> Result<()> {
        let tx = self.write()?;
        let mut save = tx.prepare_cached(UPSERT)?;
        for (name, ttl) in TTL_NAMES
            .into_iter()
            .zip([ttls.ui, ttls.validation, ttls.stale])
        {
            save.execute(params![name, millis(ttl)])?;
        }
        drop(save);
        tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// The version of the bundled token lists last added to this database (0: none yet).
    pub fn token_lists_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .prepare_cached(SELECT)?
            .query_row([TOKEN_LISTS_VERSION], |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    pub fn set_token_lists_version(&mut self, version: u32) -> Result<()> {
        let tx = self.write()?;
        tx.prepare_cached(UPSERT)?
            .execute(params![TOKEN_LISTS_VERSION, version])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::each_store;

    #[test]
    fn ttls_are_saved_and_read_back() {
        each_store(|store| {
            assert_eq!(store.saved_ttls().unwrap(), None);
            let chosen = Ttls {
                ui: Duration::from_secs(60),
                validation: Duration::from_secs(10),
                stale: Duration::from_secs(3_600),
            };
            store.save_ttls(&chosen).unwrap();
            assert_eq!(store.saved_ttls().unwrap(), Some(chosen));
            store.save_ttls(&Ttls::default()).unwrap();
            assert_eq!(store.saved_ttls().unwrap(), Some(Ttls::default()));

            assert_eq!(store.saved_price_ttl().unwrap(), None);
            store.save_price_ttl(Duration::from_secs(600)).unwrap();
            assert_eq!(
                store.saved_price_ttl().unwrap(),
                Some(Duration::from_secs(600))
            );
            assert_eq!(store.saved_ttls().unwrap(), Some(Ttls::default()), "apart");
        });
    }
}
