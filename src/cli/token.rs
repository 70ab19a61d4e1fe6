//! `holdings token add|import|list|hide|show` and `holdings discover`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use super::output::printable;
use crate::api::Holdings;

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// Watch a token; its symbol, name and decimals are read from the chain.
    Add { chain: String, address: String },
    /// Add every token of a token list file (Token Lists JSON schema): watched, or with
    /// --discover as candidates each address is checked for.
    Import {
        file: PathBuf,
        #[arg(long)]
        discover: bool,
    },
    /// List the tokens of every chain, or of one.
    List {
        #[arg(long, value_name = "NAME")]
        chain: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Hide a token: still read, shown only with --all, never summed.
    Hide { chain: String, address: String },
    /// Show a hidden token again.
    Show { chain: String, address: String },
}

pub(super) async fn run(holdings: &Holdings, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Add { chain, address } => add(holdings, &chain, &address).await,
        TokenCommand::Import { file, discover } => import(holdings, &file, discover),
        TokenCommand::List { chain, json } => list(holdings, chain.as_deref(), json),
        TokenCommand::Hide { chain, address } => {
            holdings.set_token_hidden(&chain, &address, true)?;
            say(&format!("hid {} on {chain}", printable(&address)))
        }
        TokenCommand::Show { chain, address } => {
            holdings.set_token_hidden(&chain, &address, false)?;
            say(&format!("showing {} on {chain}", printable(&address)))
        }
    }
}

fn say(line: &str) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}

async fn add(holdings: &Holdings, chain: &str, text: &str) -> Result<()> {
    let added = holdings.add_token(chain, text).await?;
    say(&format!(
        "watching {} ({}, {} decimals) at {} on {}",
        printable(&added.symbol),
        printable(&added.name),
        added.decimals,
        added.contract,
        added.chain
    ))
}

fn import(holdings: &Holdings, file: &Path, as_candidates: bool) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let imported = holdings.import_tokens(&name, &text, as_candidates)?;
    let mut out = std::io::stdout().lock();
    if as_candidates {
        write!(
            out,
            "looking for {} new token(s) from {name} at the next sync",
            imported.added
        )?;
    } else {
        write!(out, "watching {} new token(s) from {name}", imported.added)?;
    }
    if imported.elsewhere > 0 {
        write!(
            out,
            "; {} are for chains not added here",
            imported.elsewhere
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn list(holdings: &Holdings, chain: Option<&str>, json: bool) -> Result<()> {
    let tokens = holdings.tokens(chain)?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&tokens)?)?;
        return Ok(());
    }
    for token in tokens {
        let trust = match (token.verified, token.hidden) {
            (false, _) => "unverified",
            (true, true) => "hidden",
            (true, false) => "",
        };
        writeln!(
            out,
            "{:<10} {:<44} {:<12} {:>3} {:<9} {}",
            token.chain,
            token.address,
            printable(&token.symbol),
            token.decimals,
            match token.mode {
                crate::api::TokenMode::Watched => "watched",
                crate::api::TokenMode::Candidate => "candidate",
            },
            trust
        )?;
    }
    Ok(())
}
