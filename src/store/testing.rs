//! Helpers for the store's tests: every test runs on an in-memory and on a file database, with every
//! statement traced so its query plan is checked afterwards.

use super::Store;
use super::query_plans::{assert_indexed, finish_tracing, start_tracing};
use crate::model::{ChainName, Family};
use crate::store::NewChain;

/// Runs `test` on a fresh in-memory store and on a fresh file store, then checks that every statement
/// it made is served by an index.
pub(crate) fn each_store(test: impl Fn(&mut Store)) {
    let mut in_memory = Store::open_in_memory().expect("open in-memory store");
    run_traced(&mut in_memory, &test);

    let dir = tempfile::tempdir().expect("temp dir");
    let mut on_disk = Store::open(&dir.path().join("holdings.db")).expect("open file store");
    run_traced(&mut on_disk, &test);
}

fn run_traced(store: &mut Store, test: &impl Fn(&mut Store)) {
    start_tracing(&store.conn);
    test(store);
    for sql in finish_tracing(&store.conn) {
        assert_indexed(&store.conn, &sql);
    }
}

pub(crate) const MULTICALL3: &str = "0xcA11bde05977b3631167028862bE2a173976CA11";

pub(crate) fn evm_chain(name: &str, chain_id: u64) -> NewChain {
    NewChain {
        name: name.parse::<ChainName>().unwrap(),
        family: Family::Evm,
        evm_chain_id: Some(chain_id),
        bitcoin_network: None,
        native_symbol: "ETH".into(),
        native_name: "Ether".into(),
        native_decimals: 18,
        multicall: Some(MULTICALL3.parse().unwrap()),
        endpoints: vec!["http://127.0.0.1:1/".parse().unwrap()],
        pricing: Default::default(),
    }
}

pub(crate) fn usdc(chain: crate::store::ChainId) -> crate::store::NewToken {
    crate::store::NewToken {
        chain,
        contract: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48".into(),
        symbol: "USDC".into(),
        name: "USD Coin".into(),
        decimals: 6,
    }
}

/// A chain with a token and one address registered on it: the (native, token) balance keys.
pub(crate) fn registered_pair(
    store: &mut Store,
) -> (crate::store::BalanceKey, crate::store::BalanceKey) {
    let chain = store.insert_chain(&evm_chain("devnet", 31337)).unwrap();
    let token = store.insert_token(&usdc(chain)).unwrap();
    let address =
        crate::model::Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap();
    store
        .register(
            &[crate::store::Registration {
                address,
                label: None,
                chains: vec![chain],
            }],
            0,
        )
        .unwrap();
    let address = store.addresses().unwrap()[0].id;
    let native = store.assets_of_chain(chain).unwrap()[0].id;
    (
        crate::store::BalanceKey {
            address,
            asset: native,
        },
        crate::store::BalanceKey {
            address,
            asset: token,
        },
    )
}

pub(crate) fn bitcoin_chain(name: &str) -> NewChain {
    NewChain {
        name: name.parse::<ChainName>().unwrap(),
        family: Family::Bitcoin,
        evm_chain_id: None,
        bitcoin_network: Some(crate::model::BitcoinNetwork::Mainnet),
        native_symbol: "BTC".into(),
        native_name: "Bitcoin".into(),
        native_decimals: 8,
        multicall: None,
        endpoints: vec!["http://127.0.0.1:1/".parse().unwrap()],
        pricing: Default::default(),
    }
}
