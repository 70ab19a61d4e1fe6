//! holdings: the engine behind the desktop app and the `holdings` CLI.
//!
//! Layers, each ignorant of the ones above it:
//! - [`model`]: chains, addresses, amounts and freshness — pure values, no I/O;
//! - [`store`]: the SQLite database and its migrations;
//! - [`chains`]: reading balances from chains, frugally, through pools of endpoints, a folder per family;
//! - [`config`]: the chains and endpoints a new database starts with;
//! - [`prices`]: which assets are priced, reading prices from a price source, and values;
//! - [`registry`]: which chains an address is watched on;
//! - [`secrets`]: API keys in the OS keyring;
//! - [`data_dir`]: where the database lives, shared by the app and the CLI;
//! - [`watchlist`]: adding addresses, keys and files of them, checked;
//! - [`sync`]: sweeps that read chains and write the store;
//! - [`api`]: the one API both clients use: the desktop app's commands and the CLI wrap it;
//! - [`cli`]: the `holdings` command line, a thin client of [`api`].
//!
//! Nothing here knows Tauri exists.

pub mod api;
pub mod chains;
pub mod cli;
pub mod clock;
pub mod config;
pub mod data_dir;
pub mod logging;
pub mod model;
pub mod prices;
pub mod registry;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod watchlist;
