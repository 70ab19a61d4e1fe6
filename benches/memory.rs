//! Resident memory of an engine with 10,000 balances loaded (target ≤ 100 MB), read from
//! /proc/self/status before and after. Run with `cargo bench --bench memory`.

#[path = "support/seed.rs"]
mod seed;

use holdings::sync::{Read, Scope};

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    seed::seed(dir.path());
    let before = resident_kib();
    let engine =
        holdings::sync::Engine::open(dir.path(), holdings::sync::EngineConfig::default()).unwrap();
    // Through the engine, as the window's first paint reads them: its cache fills. The balances
    // stay alive while memory is read, as a shown list does.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let loaded = runtime
        .block_on(engine.balances(Scope::All, Read::CachedOnly))
        .unwrap();
    let after = resident_kib();
    println!("engine memory: {} balances loaded", loaded.len());
    println!(
        "  resident before opening: {:.1} MB",
        before as f64 / 1024.0
    );
    println!(
        "  resident with the engine: {:.1} MB (target ≤ 100 MB)",
        after as f64 / 1024.0
    );
    assert_eq!(loaded.len(), seed::ADDRESSES * (seed::TOKENS + 1));
    assert!(
        loaded
            .iter()
            .all(|balance| engine.cached(balance.view.balance.key).is_some()),
        "every balance measured was in the cache"
    );
}
