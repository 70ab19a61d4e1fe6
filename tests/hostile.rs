//! A hostile first endpoint with an honest one behind it, through the real `holdings` binary and a
//! real anvil: an endless or hugely announced answer, one that trickles a byte a second, a
//! redirect to another host, and a Retry-After of 2^64 − 1 seconds. None panics, none costs more
//! than the cap in memory or more than a few seconds, the honest endpoint serves every balance
//! exactly, and with no honest endpoint nothing is written.

mod support;

use std::time::Duration;

use alloy_primitives::{Address, U256, address};
use support::DataDir;
use support::anvil::Anvil;
use support::hostile::{Hostile, Hostility};
use support::proxy::Proxy;

const OWNER: Address = address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906");

/// The most an answer is read: the pool's default cap.
const ANSWER_CAP: u64 = 4 << 20;

/// What the loopback sockets' buffers may take beyond what the client read before it hung up
/// (here up to 4 MiB sent and 32 MiB received, as `tcp_wmem` and `tcp_rmem` allow).
const SOCKET_BUFFERS: u64 = 40 << 20;

struct Setup {
    anvil: Anvil,
    honest: Proxy,
}

fn setup() -> Setup {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    anvil.set_native_balance(OWNER, U256::from(55));
    let honest = Proxy::start(&anvil.url);
    Setup { anvil, honest }
}

/// A data dir watching `OWNER` on a devnet over `rpcs`.
fn devnet(rpcs: &[&str]) -> DataDir {
    let dir = DataDir::new();
    dir.add_devnet(rpcs);
    dir.holdings(&["wallet", "add", &OWNER.to_string(), "--chain", "devnet"])
        .assert()
        .success();
    dir
}

/// Syncs `dir`; the honest endpoint must have served the balance exactly, without a panic.
fn sync_reads_the_truth(dir: &DataDir) {
    let output = dir.holdings(&["sync"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rows = dir.all_balances();
    assert_eq!(rows[0]["raw"], "55", "{rows:?}");
}

/// With the hostile endpoint alone, the sync fails naming it, writes nothing, and does not panic.
fn alone_it_writes_nothing(hostile: &Hostile) {
    let dir = devnet(&[&hostile.url]);
    let output = dir.holdings(&["sync"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&hostile.url), "{stderr}");
    let rows = dir.all_balances();
    assert!(rows.iter().all(|row| row["raw"].is_null()), "{rows:?}");
}

#[test]
fn a_huge_answer_is_dropped_at_the_cap_not_held() {
    let setup = setup();
    for hostility in [Hostility::Endless, Hostility::Announced(300 << 20)] {
        let hostile = Hostile::start(hostility.clone());
        let dir = devnet(&[&hostile.url, &setup.honest.url]);
        sync_reads_the_truth(&dir);
        hostile.wait_for_hang_up(Duration::from_secs(30));
        let sent = hostile.bytes_sent();
        println!("{hostility:?}: {sent} bytes sent before the client hung up");
        assert!(
            sent < ANSWER_CAP + SOCKET_BUFFERS,
            "{hostility:?}: {sent} bytes sent before the client hung up"
        );
        assert_eq!(
            hostile.requests(),
            1,
            "{hostility:?}: an oversized answer is not asked again"
        );
        alone_it_writes_nothing(&hostile);
    }
    assert_eq!(setup.honest.requests(), 2, "one sync each");
}

#[test]
fn a_trickling_endpoint_is_overtaken_by_a_hedged_request() {
    let setup = setup();
    let hostile = Hostile::start(Hostility::Trickle);
    let dir = devnet(&[&hostile.url, &setup.honest.url]);
    sync_reads_the_truth(&dir);
    let hung_up = hostile.wait_for_hang_up(Duration::from_secs(30));
    let asked = setup.honest.seen()[0].at;
    assert!(
        asked < hung_up,
        "the honest endpoint was asked while the trickle was still under way, not after it"
    );
    assert_eq!(hostile.requests(), 1);
    assert_eq!(setup.honest.requests(), 1);
}

#[test]
fn a_redirect_is_a_refusal_and_no_referer_is_sent() {
    let setup = setup();
    let elsewhere = Proxy::start(&setup.anvil.url);
    let hostile = Hostile::start(Hostility::Redirect(format!(
        "{}/?from=holdings",
        elsewhere.url
    )));
    let dir = devnet(&[&hostile.url, &setup.honest.url]);
    sync_reads_the_truth(&dir);
    assert_eq!(elsewhere.requests(), 0, "the redirect was not followed");
    assert_eq!(hostile.requests(), 1, "a refusal is not asked again");
    assert_eq!(hostile.referers(), [None]);
    alone_it_writes_nothing(&hostile);
    assert_eq!(elsewhere.requests(), 0);
}

#[test]
fn an_endless_retry_after_is_clamped_and_the_next_endpoint_asked() {
    let setup = setup();
    let hostile = Hostile::start(Hostility::RetryAfter("18446744073709551615".into()));
    let dir = devnet(&[&hostile.url, &setup.honest.url]);
    sync_reads_the_truth(&dir);
    assert_eq!(hostile.requests(), 1, "not waited for, not asked again");
    assert_eq!(setup.honest.requests(), 1);
    alone_it_writes_nothing(&hostile);
}
