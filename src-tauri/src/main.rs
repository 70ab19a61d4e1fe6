//! The holdings desktop app: a window over the holdings engine. This shell holds no logic: it opens
//! the engine, hands commands to it and passes its events on.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod commands;
mod events;

use std::process::ExitCode;

use holdings::app::Holdings;
use holdings::data_dir::{DATA_DIR_ENV, default_data_dir};
use tauri::{Manager, RunEvent};

fn main() -> ExitCode {
    let dir = match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) => dir.into(),
        None => match default_data_dir() {
            Ok(dir) => dir,
            Err(err) => return fail(&err),
        },
    };
    let _log_guard = holdings::logging::to_data_dir(&dir).ok();
    let holdings = match Holdings::open(&dir) {
        Ok(holdings) => holdings,
        Err(err) => return fail(&err),
    };
    let events = holdings.subscribe();
    let commands = bindings::builder();
    let app = tauri::Builder::default()
        .invoke_handler(commands.invoke_handler())
        .manage(holdings)
        .setup(move |app| {
            commands.mount_events(app);
            events::forward(app.handle().clone(), events);
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => {
            app.run(|app, event| {
                if let RunEvent::Exit = event {
                    let stopped =
                        tauri::async_runtime::block_on(app.state::<Holdings>().shutdown());
                    if let Err(err) = stopped {
                        tracing::warn!(error = %err, "the engine did not stop cleanly");
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
