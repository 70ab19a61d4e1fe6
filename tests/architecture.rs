//! The layering rules of ARCHITECTURE.md that a reading of the sources can check.

use std::path::{Path, PathBuf};

fn sources_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources_under(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of `files` that name any of `forbidden`, as "file: line".
fn naming(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.lines()
                .filter(|line| forbidden.iter().any(|name| line.contains(name)))
                .map(|line| format!("{}: {}", file.display(), line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_cli_reaches_the_engine_only_through_the_api() {
    let mut files = sources_under(&root().join("src/cli"));
    files.push(root().join("src/main.rs"));
    assert!(files.len() > 5, "the CLI's sources were found: {files:?}");
    let found = naming(&files, &["crate::store", "crate::chains", "crate::sync"]);
    assert!(found.is_empty(), "the CLI goes around the API: {found:#?}");
    let uses_api = naming(&files, &["crate::api"]);
    assert!(!uses_api.is_empty(), "the CLI names the API");
}

#[test]
fn the_desktop_shell_reaches_the_engine_only_through_the_api() {
    let files = sources_under(&root().join("src-tauri/src"));
    assert!(files.len() > 3, "the shell's sources were found: {files:?}");
    let found = naming(
        &files,
        &["holdings::store", "holdings::chains", "holdings::sync"],
    );
    assert!(
        found.is_empty(),
        "the shell goes around the API: {found:#?}"
    );
}

#[test]
fn sweeps_know_no_family() {
    let files = sources_under(&root().join("src/sync"));
    let families = [
        "Family::Evm",
        "Family::Solana",
        "Family::Tron",
        "Family::Bitcoin",
        "chains::evm",
        "chains::solana",
        "chains::tron",
        "chains::bitcoin",
    ];
    let found = naming(&files, &families);
    assert!(found.is_empty(), "the engine names a family: {found:#?}");
}
