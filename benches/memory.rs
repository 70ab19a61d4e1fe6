//! Resident memory of an engine with 10,000 balances loaded (target ≤ 100 MB), read from
//! /proc/self/status before and after. Run with `cargo bench --bench memory`.

#[path = "support/seed.rs"]
mod seed;

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
    let loaded = engine.with_store(|store| store.all_balances().unwrap().len());
    let after = resident_kib();
    println!("engine memory: {loaded} balances loaded");
    println!(
        "  resident before opening: {:.1} MB",
        before as f64 / 1024.0
    );
    println!(
        "  resident with the engine: {:.1} MB (target ≤ 100 MB)",
        after as f64 / 1024.0
    );
    assert!(loaded == seed::ADDRESSES * (seed::TOKENS + 1));
}
