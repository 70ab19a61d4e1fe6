//! Sweeps against endpoints as free public ones behave on bad days, through a fault-injecting proxy
//! in front of a real anvil: random 503s and truncated answers with a rate limit (the fault
//! matrix), a single fault among parallel requests, a chunk that cannot be read at all, and an
//! endpoint that heals after its rows went into backoff. Every value written is checked against
//! what was seeded.

mod support;

use std::time::Instant;

use alloy_primitives::U256;
use serde_json::Value;
use support::DataDir;
use support::anvil::Anvil;
use support::proxy::{Behaviour, Fault, Proxy, RandomFaults, RateLimit};
use support::seeded::{Seeded, read_and_wrong};

fn run(dir: &DataDir, args: &[&str]) -> std::process::Output {
    dir.holdings(args).output().unwrap()
}

fn assert_ok(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The fault matrix: one endpoint answering 30% of requests with 503 and 10% with a truncated
/// answer, at most 5 requests a second (429 beyond), in front of 300 addresses × 7 assets. One
/// `sync` reads at least 99% of the 2,100 balances, a second reads the rest, and no value is ever
/// wrong. Its figures: `cargo test --test faults fault_matrix -- --nocapture`.
#[test]
fn fault_matrix() {
    fault_matrix_over(Behaviour::default(), "one batch takes all");
}

/// The same, where the endpoint also takes 10 calls a batch and 8 kB of call data an `eth_call`
/// (so a multicall carries about 30 balances), as many free tiers limit them: dozens of requests,
/// each of which may fail on its own.
#[test]
fn fault_matrix_in_small_requests() {
    fault_matrix_over(
        Behaviour {
            max_batch: Some(10),
            max_call_data: Some(8_000),
            ..Behaviour::default()
        },
        "10 calls a batch, 8 kB a call",
    );
}

fn fault_matrix_over(limits: Behaviour, name: &str) {
    let seeded = Seeded::start(300, 6);
    let proxy = Proxy::start_with(
        &seeded.anvil.url,
        Behaviour {
            random: Some(RandomFaults::new(13, 30, 10)),
            rate_limit: Some(RateLimit::per_second(5)),
            ..limits
        },
    );
    let dir = DataDir::new();
    seeded.register(&dir, &[&proxy.url]);
    let total = seeded.balances();
    assert_eq!(total, 2_100);

    let mut read_before = 0;
    for (pass, at_least) in [(1, total * 99 / 100), (2, total)] {
        proxy.reset_counts();
        let started = Instant::now();
        let output = run(&dir, &["sync"]);
        let wall = started.elapsed();
        assert_ok(&output);
        let rows = dir.all_balances();
        let (read, wrong) = read_and_wrong(&rows);
        let seen = proxy.seen();
        let count = |fault: &Fault| seen.iter().filter(|seen| seen.fault == *fault).count();
        println!(
            "fault matrix ({name}), sync {pass}: {} read ({read} of {total} in all, {wrong} wrong), \
             {} HTTP requests ({} answered 503, {} truncated, {} 429), {} ms",
            read - read_before,
            seen.len(),
            count(&Fault::Status(503)),
            count(&Fault::Truncate),
            count(&Fault::RateLimited { retry_after: 1 }),
            wall.as_millis()
        );
        assert_eq!(wrong, 0, "sync {pass}: no value is ever wrong");
        assert!(
            read >= at_least,
            "sync {pass} read {read} of {total}: {}; errors: {:?}",
            String::from_utf8_lossy(&output.stdout),
            rows.iter()
                .filter_map(|row| row["error"].as_str())
                .collect::<std::collections::BTreeSet<_>>()
        );
        read_before = read;
    }
}

/// The case: 2,000 addresses × 7 assets, read in parallel requests, one of which is
/// answered with a truncated body: it is retried, and every balance is read.
#[test]
fn a_single_fault_among_parallel_requests_costs_one_retry() {
    let seeded = Seeded::start(2_000, 6);
    let proxy = Proxy::start_with(
        &seeded.anvil.url,
        Behaviour {
            queue: [Fault::Truncate].into(),
            ..Behaviour::default()
        },
    );
    let dir = DataDir::new();
    seeded.register(&dir, &[&proxy.url]);
    proxy.reset_counts();
    assert_ok(&run(&dir, &["preload"]));
    let (read, wrong) = read_and_wrong(&dir.all_balances());
    assert_eq!((read, wrong), (14_000, 0));
    let batches = proxy.seen().len();
    assert!(batches > 1, "parallel requests: {batches}");

    // A chunk that no attempt can read fails its rows alone, each with its own error; the rows
    // of every other chunk are read and written.
    let poisoned = seeded.owners[1_234];
    proxy.set(|behaviour| {
        behaviour.poison = Some(alloy_primitives::hex::encode(poisoned));
    });
    seeded
        .anvil
        .set_native_balance(seeded.owners[0], U256::from(1));
    let output = run(&dir, &["preload"]);
    assert_ok(&output);
    let rows = dir.all_balances();
    let failed: Vec<&Value> = rows.iter().filter(|row| !row["error"].is_null()).collect();
    assert!(
        !failed.is_empty() && failed.len() < rows.len() / 2,
        "{} failed: {}",
        failed.len(),
        String::from_utf8_lossy(&output.stdout)
    );
    for row in &failed {
        assert!(row["error"].as_str().unwrap().contains("HTTP 503"), "{row}");
        assert_eq!(
            row["freshness"], "stale",
            "the last good value stays, marked: {row}"
        );
    }
    assert!(
        failed
            .iter()
            .any(|row| row["address"] == poisoned.to_string()),
        "the poisoned owner's rows are among the failed"
    );
    let first = rows
        .iter()
        .find(|row| row["address"] == seeded.owners[0].to_string() && row["symbol"] == "ETH")
        .unwrap();
    assert_eq!(first["raw"], "1", "a sibling chunk was read anew");
}

/// A truncated answer from the only endpoint is retried, not taken as final.
#[test]
fn a_truncated_answer_from_the_only_endpoint_is_retried() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            queue: [Fault::Truncate, Fault::Truncate].into(),
            ..Behaviour::default()
        },
    );
    let dir = DataDir::new();
    dir.add_devnet(&[&proxy.url]);
    let owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    dir.holdings(&["wallet", "add", owner, "--chain", "devnet"])
        .assert()
        .success();
    anvil.set_native_balance(owner.parse().unwrap(), U256::from(21));
    assert_ok(&run(&dir, &["sync"]));
    assert_eq!(proxy.requests(), 3, "two truncated answers, then the read");
    assert_eq!(dir.all_balances()[0]["raw"], "21");
}

/// Backoff paces the background scheduler only: after an endpoint that failed every row heals,
/// the user's next `sync` reads them all at once, and one with nothing due says when the next
/// read is and that `preload` reads everything now.
#[test]
fn a_sync_reads_rows_backing_off_and_says_when_nothing_is_due() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let proxy = Proxy::start_with(
        &anvil.url,
        Behaviour {
            always: Some(Fault::Status(503)),
            ..Behaviour::default()
        },
    );
    let dir = DataDir::new();
    dir.add_devnet(&[&proxy.url]);
    let owner = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    dir.holdings(&["wallet", "add", owner, "--chain", "devnet"])
        .assert()
        .success();
    anvil.set_native_balance(owner.parse().unwrap(), U256::from(34));
    assert_eq!(run(&dir, &["sync"]).status.code(), Some(1));
    assert_eq!(dir.all_balances()[0]["freshness"], "error");

    proxy.set(|behaviour| behaviour.always = None);
    let healed = run(&dir, &["sync"]);
    assert_ok(&healed);
    assert!(
        String::from_utf8_lossy(&healed.stdout).contains("devnet: 1 read, 0 failed"),
        "{}",
        String::from_utf8_lossy(&healed.stdout)
    );
    assert_eq!(dir.all_balances()[0]["raw"], "34");

    proxy.reset_counts();
    let idle = run(&dir, &["sync"]);
    assert_ok(&idle);
    let stdout = String::from_utf8_lossy(&idle.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("nothing is due; the next read is due in ")
            && stdout.contains("`holdings preload` reads everything now"),
        "{stdout}"
    );
    assert_eq!(proxy.requests(), 0);
}
