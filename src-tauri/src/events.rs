//! The one place engine events become window events. They are small "this changed" notes; the
//! window reads the details back through commands.

use holdings::api::Event;
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_specta::Event as _;
use tokio::sync::broadcast::{self, error::RecvError};

/// Balances were written: of one chain, or (with `None`) possibly of any.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct BalancesChanged {
    pub chain: Option<String>,
}

/// A sweep of a chain went on: `done` of `total` balances.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SyncProgress {
    pub chain: String,
    pub done: u32,
    pub total: u32,
}

/// An endpoint of the chain stopped or started answering.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ConnectivityChanged {
    pub chain: String,
}

/// Prices were read: values changed.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct PricesChanged {
    pub written: u32,
}

/// Passes the engine's events to the window for as long as the engine runs.
pub fn forward(app: AppHandle, mut events: broadcast::Receiver<Event>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let sent = match events.recv().await {
                Ok(event) => emit(&app, event),
                // Too many at once: whatever was missed, re-reading everything covers it.
                Err(RecvError::Lagged(_)) => BalancesChanged { chain: None }.emit(&app),
                Err(RecvError::Closed) => break,
            };
            if let Err(err) = sent {
                tracing::warn!(error = %err, "an event could not reach the window");
            }
        }
    });
}

fn emit(app: &AppHandle, event: Event) -> tauri::Result<()> {
    match event {
        Event::BalancesChanged { chain, .. } => BalancesChanged { chain: Some(chain) }.emit(app),
        Event::SyncProgress { chain, done, total } => SyncProgress {
            chain,
            done: u32::try_from(done).unwrap_or(u32::MAX),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        }
        .emit(app),
        Event::EndpointOffline { chain, .. } | Event::EndpointOnline { chain, .. } => {
            ConnectivityChanged { chain }.emit(app)
        }
        Event::PricesChanged { written } => PricesChanged {
            written: u32::try_from(written).unwrap_or(u32::MAX),
        }
        .emit(app),
    }
}
