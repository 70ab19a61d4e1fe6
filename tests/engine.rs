//! The sync engine in-process, against a real anvil behind the counting proxy: TTLs on an injected
//! clock, the cache, coalesced validation reads, the scheduler's backoff, leases between processes.

mod support;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, U256, address};
use holdings::clock::{Clock, ManualClock, SystemClock};
use holdings::model::Freshness;
use holdings::store::{BalanceKey, Store};
use holdings::sync::{Engine, EngineConfig, Event, Read, ReadError, Scope};
use support::DataDir;
use support::anvil::Anvil;
use support::proxy::{Fault, Proxy};

const OWNERS: [Address; 2] = [
    address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
];

struct Setup {
    anvil: Anvil,
    proxy: Proxy,
    dir: DataDir,
    token: Address,
}

/// A devnet with Multicall3, a token, and two owners with native and token balances.
fn setup() -> Setup {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let proxy = Proxy::start(&anvil.url);
    let dir = DataDir::new();
    dir.add_devnet(&[&proxy.url]);
    let token = anvil.deploy_token("USDC", "USD Coin", 6);
    dir.holdings(&["token", "add", "devnet", &token.to_string()])
        .assert()
        .success();
    for (i, owner) in OWNERS.iter().enumerate() {
        dir.holdings(&["wallet", "add", &owner.to_string(), "--chain", "devnet"])
            .assert()
            .success();
        anvil.set_native_balance(*owner, U256::from(100 + i));
        anvil.set_token_balance(token, *owner, U256::from(200 + i));
    }
    // No price pass after each sweep: these tests time the schedule of balances alone.
    dir.holdings(&["price", "source", "none"])
        .assert()
        .success();
    proxy.reset_counts();
    Setup {
        anvil,
        proxy,
        dir,
        token,
    }
}

fn engine_with(dir: &DataDir, clock: Arc<ManualClock>) -> Engine {
    Engine::open(
        dir.path(),
        EngineConfig {
            clock,
            ..EngineConfig::default()
        },
    )
    .unwrap()
}

fn now_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(SystemClock.now()))
}

fn key_of(engine: &Engine, owner: Address, symbol: &str) -> BalanceKey {
    engine.with_store(|store| {
        store
            .all_balances()
            .unwrap()
            .into_iter()
            .find(|view| view.address == owner.to_string() && view.symbol == symbol)
            .unwrap()
            .balance
            .key
    })
}

#[tokio::test]
async fn stored_balances_are_served_before_any_request() {
    let setup = setup();
    setup.dir.holdings(&["sync"]).assert().success();
    setup.proxy.reset_counts();
    let engine = engine_with(&setup.dir, now_clock());
    let key = key_of(&engine, OWNERS[1], "USDC");
    let all = engine.balances(Scope::All, Read::CachedOnly).await.unwrap();
    assert_eq!(all.len(), 4);
    let cached = engine.cached(key).expect("read through into the cache");
    assert_eq!(cached.view.balance.raw, Some(U256::from(201)));
    assert_eq!(
        setup.proxy.requests(),
        0,
        "nothing was asked of the network"
    );
    engine.shutdown().await.unwrap();
}

#[tokio::test]
async fn freshness_follows_the_injected_clock() {
    let setup = setup();
    let clock = now_clock();
    let engine = engine_with(&setup.dir, clock.clone());
    let key = key_of(&engine, OWNERS[0], "ETH");
    engine.balances(Scope::All, Read::CachedOnly).await.unwrap();
    assert_eq!(engine.cached(key).unwrap().freshness, Freshness::Never);
    engine.preload(Scope::All).await.unwrap();
    assert_eq!(engine.cached(key).unwrap().freshness, Freshness::Fresh);
    clock.advance(30_000);
    let cached = engine.cached(key).unwrap();
    assert_eq!(cached.freshness, Freshness::Cached);
    assert_eq!(cached.age, Some(Duration::from_secs(30)));
    clock.advance(570_000);
    assert_eq!(engine.cached(key).unwrap().freshness, Freshness::Stale);
    engine.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_current_read_asks_only_for_what_is_older_than_its_ttl() {
    let setup = setup();
    let clock = now_clock();
    let engine = engine_with(&setup.dir, clock.clone());
    engine.preload(Scope::All).await.unwrap();
    setup.proxy.reset_counts();
    let validation = Read::validation(&engine.ttls());

    clock.advance(4_000);
    let balances = engine.balances(Scope::All, validation).await.unwrap();
    assert_eq!(balances.len(), 4);
    assert_eq!(setup.proxy.requests(), 0, "4 s old is current enough");

    clock.advance(2_000);
    setup.anvil.set_native_balance(OWNERS[0], U256::from(999));
    let balances = engine.balances(Scope::All, validation).await.unwrap();
    assert_eq!(
        setup.proxy.requests(),
        1,
        "6 s old is read again, in one request"
    );
    let eth = balances
        .iter()
        .find(|b| b.view.symbol == "ETH" && b.view.address == OWNERS[0].to_string())
        .unwrap();
    assert_eq!(eth.view.balance.raw, Some(U256::from(999)));
    assert_eq!(eth.freshness, Freshness::Fresh);
    engine.shutdown().await.unwrap();
}

#[tokio::test]
async fn fifty_concurrent_validation_reads_make_one_request() {
    let setup = setup();
    let clock = now_clock();
    let engine = engine_with(&setup.dir, clock.clone());
    engine.preload(Scope::All).await.unwrap();
    clock.advance(10_000);
    setup
        .proxy
        .set(|behaviour| behaviour.latency = Duration::from_millis(200));
    setup.proxy.reset_counts();
    let key = key_of(&engine, OWNERS[0], "USDC");
    let validation = Read::validation(&engine.ttls());
    let reads = (0..50).map(|_| engine.balances(Scope::Balance(key), validation));
    let results = futures::future::join_all(reads).await;
    assert!(
        results
            .iter()
            .all(|result| result.as_ref().unwrap()[0].view.balance.raw == Some(U256::from(200)))
    );
    assert_eq!(setup.proxy.requests(), 1, "{:?}", setup.proxy.seen());
    engine.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_current_read_that_cannot_reach_the_chain_is_an_error_not_a_guess() {
    let setup = setup();
    let clock = now_clock();
    let engine = engine_with(&setup.dir, clock.clone());
    engine.preload(Scope::All).await.unwrap();
    clock.advance(6_000);
    setup
        .proxy
        .set(|behaviour| behaviour.always = Some(Fault::Status(503)));
    let key = key_of(&engine, OWNERS[0], "ETH");
    let result = engine
        .balances(Scope::Balance(key), Read::validation(&engine.ttls()))
        .await;
    let Err(ReadError::NotCurrent(failures)) = result else {
        panic!("a stale value was returned: {result:?}")
    };
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("no endpoint answered"), "{failures:?}");
    // The cached-only read still shows the last value, as stale.
    let last = engine
        .balances(Scope::Balance(key), Read::CachedOnly)
        .await
        .unwrap();
    assert_eq!(last[0].view.balance.raw, Some(U256::from(100)));
    assert_eq!(last[0].freshness, Freshness::Stale);
    engine.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_ui_read_of_old_values_shows_them_as_cached_and_refreshes_them() {
    let setup = setup();
    let clock = now_clock();
    let engine = engine_with(&setup.dir, clock.clone());
    let mut events = engine.subscribe();
    engine.start();
    // The start-up preload.
    while !matches!(events.recv().await.unwrap(), Event::BalancesChanged { .. }) {}
    clock.advance(31_000);
    setup
        .anvil
        .set_token_balance(setup.token, OWNERS[1], U256::from(7));
    let shown = engine.balances(Scope::All, Read::Ui).await.unwrap();
    assert!(
        shown
            .iter()
            .all(|balance| balance.freshness == Freshness::Cached)
    );
    let usdc = shown
        .iter()
        .find(|b| b.view.symbol == "USDC" && b.view.address == OWNERS[1].to_string())
        .unwrap();
    assert_eq!(
        usdc.view.balance.raw,
        Some(U256::from(201)),
        "the stored value, shown at once"
    );
    // The queued refresh.
    while !matches!(events.recv().await.unwrap(), Event::BalancesChanged { .. }) {}
    let refreshed = engine
        .balances(Scope::Balance(usdc.view.balance.key), Read::CachedOnly)
        .await
        .unwrap();
    assert_eq!(refreshed[0].view.balance.raw, Some(U256::from(7)));
    assert_eq!(refreshed[0].freshness, Freshness::Fresh);
    engine.shutdown().await.unwrap();
}

#[tokio::test]
async fn failures_back_off_and_progress_is_reported() {
    let setup = setup();
    let reverting = setup.anvil.deploy("RevertingToken", &[]);
    let list = serde_json::json!({"tokens": [{"chainId": 31337, "address": reverting.to_string(), "symbol": "REV", "name": "Rev", "decimals": 18}]});
    let file = setup.dir.path().join("list.json");
    std::fs::write(&file, list.to_string()).unwrap();
    setup
        .dir
        .holdings(&["token", "import", file.to_str().unwrap()])
        .assert()
        .success();
    let clock = now_clock();
    let engine = engine_with(&setup.dir, clock.clone());
    let mut events = engine.subscribe();
    engine.preload(Scope::All).await.unwrap();
    assert_eq!(
        events.recv().await.unwrap(),
        Event::SyncProgress {
            chain: "devnet".into(),
            done: 0,
            total: 6
        }
    );
    assert_eq!(
        events.recv().await.unwrap(),
        Event::SyncProgress {
            chain: "devnet".into(),
            done: 6,
            total: 6
        }
    );
    let key = key_of(&engine, OWNERS[0], "REV");
    let row =
        |engine: &Engine| engine.with_store(|store: &Store| store.balance(key).unwrap().unwrap());
    let first = row(&engine);
    assert_eq!(first.next_due_at - first.last_error_at.unwrap(), 30_000);
    clock.advance(30_000);
    engine.sync_due(None).await.unwrap();
    let second = row(&engine);
    assert_eq!(
        (
            second.error_count,
            second.next_due_at - second.last_error_at.unwrap()
        ),
        (2, 60_000)
    );
    let usdc = key_of(&engine, OWNERS[0], "USDC");
    let good = engine.with_store(|store: &Store| store.balance(usdc).unwrap().unwrap());
    assert_eq!(
        good.next_due_at - good.fetched_at.unwrap(),
        300_000,
        "a warm address: every 5 minutes"
    );
    engine.shutdown().await.unwrap();
}

/// An endpoint that never answers costs one timeout, then the next endpoint reads everything.
#[tokio::test]
async fn a_silent_endpoint_times_out_and_fails_over() {
    let setup = setup();
    let silent = Proxy::start_with(
        &setup.anvil.url,
        support::proxy::Behaviour {
            latency: Duration::from_secs(60),
            ..Default::default()
        },
    );
    let dir = DataDir::new();
    dir.add_devnet(&[&silent.url, &setup.proxy.url]);
    dir.holdings(&["wallet", "add", &OWNERS[0].to_string(), "--chain", "devnet"])
        .assert()
        .success();
    let policy = holdings::chains::pool::PoolPolicy {
        timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let engine = Engine::open(
        dir.path(),
        EngineConfig {
            policy,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let reports = engine.preload(Scope::All).await.unwrap();
    let devnet = reports
        .iter()
        .find(|report| report.chain == "devnet")
        .unwrap();
    assert_eq!((devnet.read, devnet.failed), (1, 0));
    assert_eq!(
        silent.requests(),
        1,
        "one timeout, no halving on a silent endpoint"
    );
    engine.shutdown().await.unwrap();
}

/// Two real processes on one database: `holdings watch` is killed with SIGKILL in the middle of a
/// sweep, holding leases; the next `holdings sync` takes them back at once and reads everything.
#[test]
fn a_killed_process_s_leases_are_taken_back_at_once() {
    let setup = setup();
    setup
        .proxy
        .set(|behaviour| behaviour.latency = Duration::from_secs(30));
    let mut watch = std::process::Command::new(env!("CARGO_BIN_EXE_holdings"))
        .arg("--data-dir")
        .arg(setup.dir.path())
        .arg("watch")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    setup.proxy.wait_for_requests(1, Duration::from_secs(30));
    watch.kill().unwrap(); // SIGKILL: no clean-up runs
    watch.wait().unwrap();
    let leased = Store::open(&setup.dir.database())
        .unwrap()
        .health(SystemClock.now(), 0)
        .unwrap()
        .leases_held;
    assert_eq!(leased, 4, "the killed sweep left its leases behind");

    setup
        .proxy
        .set(|behaviour| behaviour.latency = Duration::ZERO);
    let output = setup.dir.holdings(&["sync"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("devnet: 4 read, 0 failed"));
    let health = Store::open(&setup.dir.database())
        .unwrap()
        .health(SystemClock.now(), 0)
        .unwrap();
    assert_eq!((health.leases_held, health.never_read), (0, 0));
}

/// Two processes syncing one database at once never read the same row twice: while the first
/// one's request is held at the proxy (its rows leased, nothing written yet), a second runs to
/// its end and finds nothing to claim.
#[test]
fn two_processes_never_read_the_same_row() {
    let setup = setup();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_holdings"))
            .arg("--data-dir")
            .arg(setup.dir.path())
            .arg("sync")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Only the first request is held: one the second process sent would be answered, and seen.
    setup.proxy.hold_next(1);
    let first = spawn();
    setup.proxy.wait_for_requests(1, Duration::from_secs(60));
    let second = spawn().wait_with_output().unwrap();
    let second_stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        setup.proxy.requests(),
        1,
        "the second process sent no request: {second_stdout}"
    );
    assert!(
        second_stdout.starts_with("nothing is due"),
        "the second process read 0 rows: {second_stdout}"
    );
    setup.proxy.release();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success());
    let first_stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first_stdout.starts_with("devnet: 4 read, 0 failed"),
        "{first_stdout}"
    );
    let store = Store::open(&setup.dir.database()).unwrap();
    let rows = store.all_balances().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter().all(|row| row.balance.sync_count == 1),
        "each row read exactly once"
    );
    assert_eq!(setup.proxy.requests(), 1, "the first sweep did the reading");
}

/// `holdings watch` syncs, and on Ctrl-C (SIGINT) stops cleanly: exit 0, leases and its
/// registration released.
#[test]
fn watch_runs_until_interrupted_then_exits_cleanly() {
    use std::io::{BufRead, BufReader};

    let setup = setup();
    let mut watch = std::process::Command::new(env!("CARGO_BIN_EXE_holdings"))
        .arg("--data-dir")
        .arg(setup.dir.path())
        .arg("watch")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let first_sweep = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.starts_with("devnet:"));
    assert_eq!(first_sweep.as_deref(), Some("devnet: 4 read, 0 failed"));
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest.last().map(String::as_str), Some("stopped"), "{rest:?}");
    assert!(watch.wait().unwrap().success());
    let health = Store::open(&setup.dir.database())
        .unwrap()
        .health(SystemClock.now(), 0)
        .unwrap();
    assert_eq!(health.leases_held, 0);
    let instances = std::fs::read_dir(setup.dir.path().join("instances"))
        .unwrap()
        .count();
    assert_eq!(instances, 0, "the registration is gone");
}

#[test]
fn balances_with_a_max_age_read_again_or_fail() {
    let setup = setup();
    setup.dir.holdings(&["sync"]).assert().success();
    setup.anvil.set_native_balance(OWNERS[0], U256::from(5_000));
    let output = setup
        .dir
        .holdings(&["balances", "--json", "--all", "--max-age", "0"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let eth = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["address"] == OWNERS[0].to_string() && row["symbol"] == "ETH")
        .unwrap();
    assert_eq!(eth["raw"], "5000", "read again, not the stored 100");

    setup
        .proxy
        .set(|behaviour| behaviour.always = Some(Fault::Status(503)));
    let output = setup
        .dir
        .holdings(&["balances", "--json", "--all", "--max-age", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("4 balance(s) could not be read just now"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no older value is shown instead");
}

#[test]
fn status_names_the_endpoints_that_stopped_answering() {
    let setup = setup();
    setup
        .proxy
        .set(|behaviour| behaviour.always = Some(Fault::Status(503)));
    setup.dir.holdings(&["sync"]).assert().code(1);
    let output = setup.dir.holdings(&["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status["endpoints_offline"], 1);
    assert_eq!(status["failing"], 4);
    let devnet = status["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|chain| chain["chain"] == "devnet")
        .unwrap();
    assert_eq!(
        devnet["endpoints_offline"],
        serde_json::json!([setup.proxy.url])
    );
    assert_eq!(devnet["last_sweep"]["balances_failed"], 4);

    setup.proxy.set(|behaviour| behaviour.always = None);
    let output = setup.dir.holdings(&["preload"]).output().unwrap();
    assert!(output.status.success());
    let status: serde_json::Value = serde_json::from_slice(
        &setup
            .dir
            .holdings(&["status", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(status["endpoints_offline"], 0, "back online");
}

/// API keys live in endpoint URLs (paths and queries); no log line, message or output carries them.
#[test]
fn no_api_key_reaches_a_log_line() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let proxy = Proxy::start(&anvil.url);
    let dir = DataDir::new();
    let keyed = format!("{}/v3/SECRETPATHKEY?apikey=SECRETQUERYKEY", proxy.url);
    let dead = "http://127.0.0.1:9/v2/SECRETDEADKEY";
    dir.add_devnet(&[dead, &keyed]);
    dir.holdings(&["wallet", "add", &OWNERS[0].to_string()])
        .assert()
        .success();
    let mut outputs = String::new();
    for filter in ["holdings=trace", "info"] {
        let output = dir
            .holdings(&["sync"])
            .env("HOLDINGS_LOG", filter)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push_str(&String::from_utf8_lossy(&output.stdout));
        outputs.push_str(&String::from_utf8_lossy(&output.stderr));
        dir.holdings(&["preload"])
            .env("HOLDINGS_LOG", filter)
            .assert()
            .success();
    }
    let listed = dir.holdings(&["chain", "list", "--json"]).output().unwrap();
    outputs.push_str(&String::from_utf8_lossy(&listed.stdout));
    let mut logs = String::new();
    for entry in std::fs::read_dir(dir.path().join("logs")).unwrap() {
        logs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(logs.contains("sweep done"), "the logs were written: {logs}");
    assert!(
        logs.contains("http://127.0.0.1:9"),
        "the failing endpoint is named: {logs}"
    );
    for text in [&logs, &outputs] {
        assert!(!text.contains("SECRET"), "a key leaked: {text}");
    }
}
