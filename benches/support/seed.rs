//! A data dir holding 10,000 read balances (2,500 addresses × native + 3 tokens on one chain), built
//! straight through the store so the benchmarks measure reading, not setting up.

use std::path::Path;

use alloy_primitives::{Address, B256, U256};
use holdings::model::{Address as AnyAddress, ChainName, Family};
use holdings::store::{BalanceRead, NewChain, NewToken, Registration, Store};

pub const ADDRESSES: usize = 2_500;
pub const TOKENS: usize = 3;

pub fn seed(dir: &Path) {
    let mut store = holdings::data_dir::open(dir).expect("open the data dir");
    let chain = store
        .insert_chain(&NewChain {
            name: "benchnet".parse::<ChainName>().unwrap(),
            family: Family::Evm,
            evm_chain_id: Some(31337),
            bitcoin_network: None,
            native_symbol: "ETH".into(),
            native_name: "Ether".into(),
            native_decimals: 18,
            multicall: None,
            endpoints: vec!["http://127.0.0.1:1/".parse().unwrap()],
            pricing: Default::default(),
        })
        .unwrap();
    let tokens: Vec<NewToken> = (0..TOKENS)
        .map(|i| NewToken {
            chain,
            contract: Address::from_word(B256::from(U256::from(0xAAAA_0000u64 + i as u64)))
                .to_checksum(None),
            symbol: format!("T{i}"),
            name: format!("Token {i}"),
            decimals: 6,
        })
        .collect();
    store.insert_tokens(&tokens).unwrap();
    let registrations: Vec<Registration> = (0..ADDRESSES)
        .map(|i| Registration {
            address: AnyAddress::Evm(Address::from_word(B256::from(U256::from(
                0x1000_0000u64 + i as u64,
            )))),
            label: Some(format!("wallet {i}")),
            chains: vec![chain],
        })
        .collect();
    store.register(&registrations, 0).unwrap();
    let rows = store
        .claim(chain, "seed", 0, 1, holdings::store::Pick::All, usize::MAX)
        .unwrap();
    let reads: Vec<BalanceRead> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| BalanceRead {
            key: row.key,
            raw: U256::from(i as u64 * 1_000_003),
            block: 1,
            fetched_at: 1,
            next_due_at: i64::MAX,
        })
        .collect();
    store.record_sweep("seed", &reads, &[]).unwrap();
    assert_eq!(
        store.all_balances().unwrap().len(),
        ADDRESSES * (TOKENS + 1)
    );
}

#[allow(dead_code)] // each benchmark uses its own part
pub fn open_store(dir: &Path) -> Store {
    Store::open(&dir.join("holdings.db")).unwrap()
}
