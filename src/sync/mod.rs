//! The sync engine: it reads chains on schedule and on demand, writes the store, keeps the cache,
//! and says how fresh every balance is.

mod cache;
mod discovery;
mod engine;
mod events;
mod instance;
mod live_ttls;
mod panics;
mod price_pass;
mod schedule;
mod state;
mod sweep;
mod watch_keys;

pub use engine::{Balance, Engine, EngineConfig, Read, ReadError, Scope};
pub use events::Event;
pub use price_pass::PriceReport;
pub use schedule::Tier;
pub use sweep::{Selection, SweepReport};
