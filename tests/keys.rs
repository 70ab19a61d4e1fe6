//! API keys in endpoint URLs (`…/v3/KEY`, `?apikey=…`): kept in the OS keyring, never in the data
//! dir, put back in every request, sent only over https (or to this machine), and the data dir
//! readable by its owner only. The keyring tests need the Secret Service `scripts/test` starts.

mod support;

use alloy_primitives::{U256, address};
use support::DataDir;
use support::anvil::Anvil;
use support::proxy::Proxy;

/// Every byte of every file of the data dir, logs included.
fn stored_bytes(dir: &DataDir) -> Vec<u8> {
    let mut stored = Vec::new();
    let mut pending = vec![dir.path().to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
        } else {
            stored.extend(std::fs::read(&path).unwrap());
        }
    }
    stored
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn keys_in_an_endpoint_url_live_in_the_keyring_and_go_with_every_request() {
    let anvil = Anvil::start();
    anvil.install_multicall3();
    let owner = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    anvil.set_native_balance(owner, U256::from(13));
    let proxy = Proxy::start(&anvil.url);
    let path_key = format!("{:032x}", u128::from(std::process::id()) << 64 | 0xfeed);
    let query_key = format!("q{}", std::process::id());
    let keyed = format!("{}/v3/{path_key}?apikey={query_key}", proxy.url);
    let dir = DataDir::new();
    dir.add_devnet(&[&keyed]);
    dir.holdings(&["wallet", "add", &owner.to_string(), "--chain", "devnet"])
        .assert()
        .success();
    dir.holdings(&["sync"]).assert().success();

    assert_eq!(dir.all_balances()[0]["raw"], "13");
    let targets: Vec<String> = proxy.seen().into_iter().map(|seen| seen.target).collect();
    assert_eq!(
        targets,
        [format!("/v3/{path_key}?apikey={query_key}")],
        "the keys went with the request"
    );
    let stored = stored_bytes(&dir);
    for key in [&path_key, &query_key] {
        assert!(!holds(&stored, key), "{key} is in the data dir");
    }
    let endpoint = &dir.chain("devnet")["endpoints"][0];
    let reference = endpoint["api_key_ref"].as_str().unwrap().to_owned();
    assert_eq!(
        reference,
        format!(
            "api-key:devnet:http://127.0.0.1:{}",
            proxy.url.rsplit(':').next().unwrap()
        ),
        "the entry is named by scheme, host and port"
    );
    assert_eq!(
        holdings::secrets::load_url_keys(&reference).unwrap(),
        Some(vec![path_key.clone(), query_key.clone()])
    );

    // Removing the endpoint forgets its keys.
    let holdings = holdings::api::Holdings::open(dir.path()).unwrap();
    let devnet = holdings
        .chains()
        .unwrap()
        .into_iter()
        .find(|chain| chain.name == "devnet")
        .unwrap();
    holdings.add_endpoint(devnet.id, &anvil.url).unwrap();
    let keyed_endpoint = holdings::api::EndpointRef {
        position: 0,
        shown: devnet.endpoints[0].shown.clone(),
    };
    holdings
        .remove_endpoint(devnet.id, &keyed_endpoint)
        .unwrap();
    assert_eq!(holdings::secrets::load_url_keys(&reference).unwrap(), None);
}

#[test]
fn a_key_in_a_plain_http_url_to_another_host_is_refused() {
    let dir = DataDir::new();
    dir.holdings(&["chain", "list"]).assert().success();
    let before = dir.content();
    for rpc in [
        "http://rpc.example.invalid/v3/0123456789abcdef0123456789abcdef",
        "http://rpc.example.invalid/?apikey=s3cret",
    ] {
        let output = dir
            .holdings(&[
                "chain",
                "add",
                "keyed",
                "--family",
                "evm",
                "--chain-id",
                "5",
                "--rpc",
                rpc,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{rpc}");
        assert!(stderr.contains("only over https"), "{rpc}: {stderr}");
        assert!(
            !stderr.contains("s3cret") && !stderr.contains("0123456789abcdef"),
            "{stderr}"
        );
        assert_eq!(dir.content(), before, "{rpc} changed the database");
    }
}

#[cfg(unix)]
#[test]
fn the_data_dir_and_database_are_the_owner_s_alone() {
    use std::os::unix::fs::PermissionsExt;

    let parent = DataDir::new();
    let data = parent.path().join("nested").join("holdings");
    assert_cmd::Command::cargo_bin("holdings")
        .unwrap()
        .arg("--data-dir")
        .arg(&data)
        .args(["chain", "list"])
        .assert()
        .success();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}
