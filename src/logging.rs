//! Logs to files in the data dir (`logs/holdings.YYYY-MM-DD.log`, a new file a day, a week kept).
//! Endpoint URLs are only ever logged through `chains::pool::redact`, so no API key in a path or
//! query reaches a log line.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// The environment variable that sets what is logged, in `tracing` filter syntax.
pub const LOG_ENV: &str = "HOLDINGS_LOG";

/// Starts logging to `data_dir/logs`; keep the guard alive until exit so the last lines are written.
pub fn to_data_dir(data_dir: &Path) -> Result<WorkerGuard> {
    let logs = data_dir.join("logs");
    crate::data_dir::create_private_dir(&logs)
        .with_context(|| format!("cannot create {}", logs.display()))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("holdings")
        .filename_suffix("log")
        .max_log_files(7)
        .build(logs)
        .context("cannot open the log directory")?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("holdings=info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok();
    Ok(guard)
}
