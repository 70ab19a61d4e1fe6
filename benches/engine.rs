//! Criterion benchmarks of the engine's reads over 10,000 stored balances:
//! a cached single-balance read (target p50 ≤ 2 µs) and the `balances --all` query from SQLite with a
//! cold cache (target ≤ 20 ms), and what the window reads at launch. Run with
//! `cargo bench --bench engine`.

#[path = "support/seed.rs"]
mod seed;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use holdings::sync::{Engine, EngineConfig, Read, Scope};

fn reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    seed::seed(dir.path());

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    // Reading everything once fills the cache, as a dashboard's first paint does.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let loaded = runtime
        .block_on(engine.balances(Scope::All, Read::CachedOnly))
        .unwrap();
    let keys: Vec<_> = loaded
        .iter()
        .map(|balance| balance.view.balance.key)
        .collect();
    let mut next = 0;
    c.bench_function("cached single-balance read (10,000 loaded)", |b| {
        b.iter(|| {
            next = (next + 7_919) % keys.len();
            engine.cached(keys[next]).expect("cached")
        })
    });
    drop(engine);

    c.bench_function("balances --all from SQLite, cold (10,000 rows)", |b| {
        b.iter_batched(
            || seed::open_store(dir.path()),
            |store| store.all_balances().unwrap(),
            BatchSize::PerIteration,
        )
    });
}

/// What the window reads at launch and after each change, as the app hands it over (JSON).
fn window_reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    seed::seed(dir.path());
    let holdings = holdings::api::Holdings::open(dir.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function(
        "the window's overview (10,000 balances of 2,500 wallets), as JSON",
        |b| b.iter(|| serde_json::to_vec(&runtime.block_on(holdings.overview()).unwrap()).unwrap()),
    );
    c.bench_function("the window's connectivity, as JSON", |b| {
        b.iter(|| serde_json::to_vec(&holdings.connectivity().unwrap()).unwrap())
    });
}

criterion_group!(benches, reads, window_reads);
criterion_main!(benches);
