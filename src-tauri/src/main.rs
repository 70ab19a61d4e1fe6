//! The holdings desktop app: a window over the holdings engine. This shell holds no logic: it opens
//! the engine, hands commands to it and passes its events on.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod commands;
mod events;
mod first_read;
#[cfg(target_os = "linux")]
mod renderer;
mod wire;

use std::process::ExitCode;
use std::time::Duration;

use holdings::api::Holdings;
use holdings::data_dir::{DATA_DIR_ENV, default_data_dir};
use tauri::{Manager, RunEvent};
use tauri_plugin_window_state::StateFlags;

use crate::first_read::FirstOverview;

/// How long closing waits for the engine to finish its writes.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    renderer::choose();
    let dir = match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) => dir.into(),
        None => match default_data_dir() {
            Ok(dir) => dir,
            Err(err) => return fail(&err),
        },
    };
    let _log_guard = match holdings::logging::to_data_dir(&dir) {
        Ok(guard) => Some(guard),
        Err(err) => {
            eprintln!("holdings: logging is off: {err:#}");
            None
        }
    };
    let holdings = match Holdings::open(&dir) {
        Ok(holdings) => holdings,
        Err(err) => return fail(&err),
    };
    let events = holdings.subscribe();
    let commands = bindings::builder();
    let app = tauri::Builder::default()
        // Size, position and maximised state only: the window's visibility and decorations are
        // the app's to set.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(commands.invoke_handler())
        .manage(holdings)
        .setup(move |app| {
            // the window's web view has just begun to start: its first read need not wait for it
            let handle = app.handle().clone();
            app.manage(FirstOverview::start(async move {
                handle.state::<Holdings>().overview().await
            }));
            commands.mount_events(app);
            events::forward(app.handle().clone(), events);
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => {
            app.run(|app, event| {
                if let RunEvent::Exit = event {
                    // A read in flight may take its endpoint's whole timeout; the window has gone
                    // by then, and leases left behind are taken back at the next start.
                    let holdings = app.state::<Holdings>();
                    let stopping = tokio::time::timeout(SHUTDOWN_LIMIT, holdings.shutdown());
                    match tauri::async_runtime::block_on(stopping) {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) => {
                            tracing::warn!(error = %err, "the engine did not stop cleanly");
                        }
                        Err(_) => {
                            tracing::warn!("the engine did not stop within {SHUTDOWN_LIMIT:?}")
                        }
                    }
                }
            });
            ExitCode::SUCCESS
        }
        Err(err) => fail(&err),
    }
}

fn fail(err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("holdings: {err}");
    ExitCode::FAILURE
}
