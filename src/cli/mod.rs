//! The `holdings` command line: argument parsing and one module per command group, each a thin
//! client of the one API (`crate::api`) that the desktop app wraps too: parse, call, print.
//! Spellings are a public interface (DESIGN.md, "The CLI").

mod balances;
mod chain;
mod output;
mod prices;
mod status;
mod sync;
mod token;
mod wallet;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::api::{ExportFormat, Holdings};
use crate::data_dir::{DATA_DIR_ENV, default_data_dir};

#[derive(Debug, Parser)]
#[command(
    name = "holdings",
    version,
    about = "Watch-only balances of every wallet on every chain"
)]
struct Cli {
    /// Where the database lives (shared with the desktop app).
    #[arg(long, global = true, env = DATA_DIR_ENV, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add and list chains.
    #[command(subcommand)]
    Chain(chain::ChainCommand),
    /// Add, list, hide and show tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Look now for every token the addresses may hold (of one chain, or of all).
    Discover {
        #[arg(long, value_name = "NAME")]
        chain: Option<String>,
    },
    /// Add, import and list watch-only wallets.
    #[command(subcommand)]
    Wallet(wallet::WalletCommand),
    /// Read what is due once, then exit.
    Sync {
        #[arg(long, value_name = "NAME")]
        chain: Option<String>,
    },
    /// Read everything once, TTLs ignored, then exit.
    Preload {
        #[arg(long, value_name = "NAME")]
        chain: Option<String>,
    },
    /// Keep syncing on schedule until Ctrl-C.
    Watch,
    /// Show balances from the database.
    Balances(balances::BalancesArgs),
    /// Write every balance as CSV or JSON, to a file or standard output.
    Export {
        #[arg(long, value_enum)]
        format: ExportChoice,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Health: stale rows, errors, leases, last sweeps.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Where prices are read from.
    #[command(subcommand)]
    Price(prices::PriceCommand),
    /// Every price held, with its source and age.
    Prices {
        #[arg(long)]
        json: bool,
    },
    /// What everything is worth: the total, by wallet, chain and asset, largest first.
    Portfolio {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportChoice {
    Csv,
    Json,
}

/// Writes the export to `output`, or to standard output.
async fn export(
    holdings: &Holdings,
    format: ExportChoice,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let format = match format {
        ExportChoice::Csv => ExportFormat::Csv,
        ExportChoice::Json => ExportFormat::Json,
    };
    match output {
        Some(path) => Ok(holdings.export_to(path, format).await?),
        None => {
            use std::io::Write;
            let text = holdings.export(format).await?;
            Ok(std::io::stdout().lock().write_all(text.as_bytes())?)
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let rendered = err.render().to_string();
            eprintln!(
                "{}",
                rendered
                    .lines()
                    .next()
                    .unwrap_or("error: invalid arguments")
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`holdings balances | head`) is not a failure.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", output::one_line(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    // Logging is best effort: a data dir that cannot hold logs fails where it matters, below.
    let _log_guard = crate::logging::to_data_dir(&dir).ok();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let holdings = Holdings::open(&dir)?;
        let outcome = dispatch(&holdings, cli.command).await;
        // Leases go back and the instance unregisters, whatever the command's outcome.
        let closed = holdings.shutdown().await;
        outcome?;
        Ok(closed?)
    })
}

async fn dispatch(holdings: &Holdings, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Chain(command) => chain::run(holdings, command),
        Command::Wallet(command) => wallet::run(holdings, command),
        Command::Balances(args) => balances::run(holdings, &args).await,
        Command::Status { json } => status::run(holdings, json),
        Command::Token(command) => token::run(holdings, command).await,
        Command::Discover { chain } => sync::discover(holdings, chain.as_deref()).await,
        Command::Price(command) => prices::run(holdings, command),
        Command::Prices { json } => prices::prices(holdings, json),
        Command::Portfolio { json } => prices::portfolio(holdings, json).await,
        Command::Sync { chain } => sync::run(holdings, chain.as_deref(), sync::Pass::Due).await,
        Command::Preload { chain } => {
            sync::run(holdings, chain.as_deref(), sync::Pass::Everything).await
        }
        Command::Watch => sync::watch(holdings).await,
        Command::Export { format, output } => export(holdings, format, output.as_deref()).await,
    }
}
