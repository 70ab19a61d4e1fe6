//! TRON through a TronGrid-style HTTP API: the block once a sweep (`/wallet/getnowblock`), each
//! owner's TRX and TRC-20 holdings (`/v1/accounts/{address}`, which also discovers its tokens), and
//! `balanceOf` through `/wallet/triggerconstantcontract` for watched tokens the list lacks. An
//! endpoint without TronGrid's account index (a plain node, such as publicnode's) is found out once
//! and remembered; from it TRX comes from `/wallet/getaccount` and every TRC-20 from its contract.
//! TRON's API takes no batches, so requests go a few at a time under each endpoint's rate limit.

mod source;

pub use source::FAMILY;

use std::collections::BTreeMap;

use std::sync::Arc;

use alloy_primitives::U256;
use alloy_sol_types::SolValue;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::chains::TokenMetadata;
use crate::chains::pool::{Ask, EndpointPool, Failure, NO_SUCH_PATH, PoolError};
use crate::model::token_list::{MAX_DECIMALS, presentable};
use crate::model::{Address, Amount, Family};

/// Requests in flight at once: TronGrid limits bursts, more so without an API key.
const IN_FLIGHT: usize = 4;

/// What one owner holds: TRX in sun, and the TRC-20 amounts its account lists, by contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TronAccount {
    pub sun: U256,
    pub trc20: BTreeMap<String, U256>,
}

pub struct TronReader {
    pool: Arc<EndpointPool>,
}

impl TronReader {
    pub fn new(pool: Arc<EndpointPool>) -> Self {
        Self { pool }
    }

    /// The number of the latest block.
    pub async fn block(&self) -> Result<u64, String> {
        self.pool
            .send(Ask::post("wallet/getnowblock", b"{}"), |_, body| {
                let block: Value =
                    serde_json::from_slice(body).map_err(|_| garbled("the block"))?;
                block["block_header"]["raw_data"]["number"]
                    .as_u64()
                    .ok_or_else(|| garbled("the block"))
            })
            .await
            .map_err(|err| err.to_string())
    }

    /// Each owner's account, in order; an account that does not exist yet holds nothing.
    pub async fn accounts(&self, owners: &[String]) -> Vec<Result<TronAccount, String>> {
        if let Some(first) = owners.first() {
            self.learn_account_index(first).await;
        }
        // Futures made up front (not in a stream's closure) keep the whole sweep `Send`.
        let reads: Vec<_> = owners.iter().map(|owner| self.account(owner)).collect();
        futures::stream::iter(reads)
            .buffered(IN_FLIGHT)
            .collect()
            .await
    }

    /// Asks each endpoint not asked before whether it serves TronGrid's account index (for the
    /// account of `owner`); the pool remembers, and the sweep stores, what each answered.
    async fn learn_account_index(&self, owner: &str) {
        let path = format!("v1/accounts/{owner}");
        for endpoint in 0..self.pool.len() {
            if self.pool.learned(endpoint).lists_accounts.is_some() {
                continue;
            }
            let lists = match self
                .pool
                .send_to(endpoint, Ask::get(&path), |_, body| read_account(body))
                .await
            {
                Ok(_) => true,
                Err(PoolError::Unreachable(failures))
                    if failures
                        .iter()
                        .any(|(_, why)| why.starts_with(NO_SUCH_PATH)) =>
                {
                    tracing::info!(endpoint = %self.pool.display_url(endpoint), "no account index; reading accounts from the node's own API");
                    false
                }
                // Not answering now says nothing of what it serves: asked again next time.
                Err(_) => continue,
            };
            self.pool
                .learn(endpoint, |learned| learned.lists_accounts = Some(lists));
        }
    }

    /// An owner's account: from TronGrid's index where the endpoint has it (TRX and the TRC-20
    /// list), else from the node's `/wallet/getaccount` (TRX; its tokens are asked of their
    /// contracts).
    async fn account(&self, owner: &str) -> Result<TronAccount, String> {
        let path = format!("v1/accounts/{owner}");
        let body = json!({ "address": owner, "visible": true }).to_string();
        let indexed = |endpoint| self.pool.learned(endpoint).lists_accounts != Some(false);
        self.pool
            .send_each(
                |endpoint| {
                    if indexed(endpoint) {
                        Ask::get(&path)
                    } else {
                        Ask::post("wallet/getaccount", body.as_bytes())
                    }
                },
                |endpoint, answer| {
                    if indexed(endpoint) {
                        read_account(answer)
                    } else {
                        read_node_account(answer, owner)
                    }
                },
            )
            .await
            .map_err(|err| err.to_string())
    }

    /// `balanceOf(owner)` of each (owner, contract), in order.
    pub async fn balances_of(&self, pairs: &[(String, String)]) -> Vec<Result<U256, String>> {
        let reads: Vec<_> = pairs
            .iter()
            .map(|(owner, contract)| self.balance_of(owner, contract))
            .collect();
        futures::stream::iter(reads)
            .buffered(IN_FLIGHT)
            .collect()
            .await
    }

    async fn balance_of(&self, owner: &str, contract: &str) -> Result<U256, String> {
        let Ok(Address::Tron(holder)) = Address::parse_as(Family::Tron, owner) else {
            return Err(format!("{owner:?} is not a TRON address"));
        };
        let parameter =
            alloy_primitives::hex::encode(alloy_primitives::Address::from(holder.0).abi_encode());
        let result = self
            .constant_call(owner, contract, "balanceOf(address)", &parameter)
            .await?;
        read_balance(&result)
    }

    /// A token's symbol, name and decimals, read from its contract; one whose decimals or symbol
    /// could not be shown right is refused.
    pub async fn token(&self, contract: &str) -> Result<TokenMetadata, String> {
        let decimals = self
            .constant_call(contract, contract, "decimals()", "")
            .await?;
        let symbol = self
            .constant_call(contract, contract, "symbol()", "")
            .await?;
        let decimals = decimals
            .get(..32)
            .map(U256::from_be_slice)
            .and_then(|value| u8::try_from(value).ok())
            .filter(|&decimals| decimals <= MAX_DECIMALS)
            .ok_or("decimals() did not return a possible number of decimals")?;
        let symbol = String::abi_decode(&symbol)
            .ok()
            .filter(|symbol| presentable(symbol))
            .ok_or("symbol() did not return presentable text")?;
        // A token without a readable name() is named by its symbol.
        let name = match self.constant_call(contract, contract, "name()", "").await {
            Ok(name) => String::abi_decode(&name)
                .ok()
                .filter(|name| presentable(name)),
            Err(_) => None,
        }
        .unwrap_or_else(|| symbol.clone());
        Ok(TokenMetadata {
            symbol,
            name,
            decimals,
            named: true,
        })
    }

    /// Calls a view function; the data it returned, or why there is none.
    async fn constant_call(
        &self,
        owner: &str,
        contract: &str,
        function: &str,
        parameter: &str,
    ) -> Result<Vec<u8>, String> {
        let body = json!({
            "owner_address": owner,
            "contract_address": contract,
            "function_selector": function,
            "parameter": parameter,
            "visible": true
        })
        .to_string();
        let answer = self
            .pool
            .send(
                Ask::post("wallet/triggerconstantcontract", body.as_bytes()),
                |_, body| {
                    serde_json::from_slice::<Value>(body).map_err(|_| garbled("a contract call"))
                },
            )
            .await
            .map_err(|err| err.to_string())?;
        read_call(function, &answer)
    }
}

/// Reads what `balanceOf` returned: an amount in its first 32 bytes.
fn read_balance(data: &[u8]) -> Result<U256, String> {
    if data.len() < 32 {
        return Err(format!(
            "balanceOf returned {} bytes, not a 32-byte amount",
            data.len()
        ));
    }
    Ok(U256::from_be_slice(&data[..32]))
}

/// Reads a `/wallet/triggerconstantcontract` answer: the data `function` returned, or why there is
/// none (it could not run, it reverted or failed, or it returned nothing).
fn read_call(function: &str, answer: &Value) -> Result<Vec<u8>, String> {
    if answer["result"]["result"] != true {
        let message = answer["result"]["message"].as_str().unwrap_or_default();
        let message = alloy_primitives::hex::decode(message)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_else(|| message.to_owned());
        return Err(format!("{function} failed: {message}"));
    }
    // java-tron leaves a success's result out; a revert says FAILED and REVERT.
    let ret = &answer["transaction"]["ret"][0];
    if ret["ret"] == "FAILED" || ret["contractRet"] == "REVERT" {
        return Err(format!("{function} reverted"));
    }
    let hex = answer["constant_result"][0]
        .as_str()
        .ok_or_else(|| format!("{function} returned nothing"))?;
    alloy_primitives::hex::decode(hex).map_err(|_| format!("{function} returned malformed data"))
}

fn garbled(what: &str) -> Failure {
    Failure::Garbled(format!("{what} answer is malformed"))
}

/// Reads a `/v1/accounts/{address}` answer. TRX comes as a JSON integer, absent when zero; each
/// TRC-20 amount as a decimal string, and one that is not a count of base units fails the answer.
fn read_account(body: &[u8]) -> Result<TronAccount, Failure> {
    let answer: Value = serde_json::from_slice(body).map_err(|_| garbled("the account"))?;
    if answer["success"] != true {
        return Err(garbled("the account"));
    }
    let Some(account) = answer["data"]
        .as_array()
        .ok_or_else(|| garbled("the account"))?
        .first()
    else {
        return Ok(TronAccount {
            sun: U256::ZERO,
            trc20: BTreeMap::new(),
        });
    };
    let sun = match &account["balance"] {
        Value::Null => U256::ZERO,
        balance => U256::from(balance.as_u64().ok_or_else(|| garbled("the TRX balance"))?),
    };
    let mut trc20 = BTreeMap::new();
    for entry in account["trc20"].as_array().into_iter().flatten() {
        for (contract, amount) in entry
            .as_object()
            .ok_or_else(|| garbled("the TRC-20 list"))?
        {
            // The contract is used and stored as an address: one that is none makes the answer a lie.
            let contract = match Address::parse_as(Family::Tron, contract) {
                Ok(address) => address.to_string(),
                Err(_) => return Err(garbled("the TRC-20 list")),
            };
            let amount = amount
                .as_str()
                .and_then(|text| Amount::parse_raw(text).ok())
                .ok_or_else(|| {
                    Failure::Garbled(format!("the TRC-20 amount of {contract} is not a count"))
                })?;
            trc20.insert(contract, amount);
        }
    }
    Ok(TronAccount { sun, trc20 })
}

/// Reads a `/wallet/getaccount` answer (with `"visible": true`): the account's base58 `address` and
/// its `balance` in sun, left out when zero, or `{}` for an account that does not exist yet. It
/// lists no tokens.
fn read_node_account(body: &[u8], owner: &str) -> Result<TronAccount, Failure> {
    let answer: Value = serde_json::from_slice(body).map_err(|_| garbled("the account"))?;
    let account = answer.as_object().ok_or_else(|| garbled("the account"))?;
    if account
        .get("address")
        .is_some_and(|address| address != owner)
    {
        return Err(Failure::Garbled(
            "the answer is about another account".into(),
        ));
    }
    let sun = match account.get("balance") {
        None => U256::ZERO,
        Some(balance) => U256::from(balance.as_u64().ok_or_else(|| garbled("the TRX balance"))?),
    };
    Ok(TronAccount {
        sun,
        trc20: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::chains::pool::PoolPolicy;
    use crate::chains::test_support::trongrid::{Account, BLOCK, Contract, TronGrid, address};

    #[test]
    fn an_account_reads_trx_and_its_token_list() {
        let body = br#"{"data":[{"address":"41a614f803b6fd780986a42c78ec9c7f77e6ded13c","balance":1234567,"trc20":[{"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t":"1000000"}]}],"success":true,"meta":{"at":1,"page_size":1}}"#;
        let account = read_account(body).unwrap();
        assert_eq!(account.sun, U256::from(1_234_567));
        assert_eq!(
            account.trc20["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"],
            U256::from(1_000_000)
        );
    }

    #[test]
    fn a_missing_account_or_balance_holds_nothing() {
        let missing = br#"{"data":[],"success":true,"meta":{"at":1,"page_size":0}}"#;
        assert_eq!(read_account(missing).unwrap().sun, U256::ZERO);
        let no_trx = br#"{"data":[{"address":"41"}],"success":true,"meta":{"at":1,"page_size":1}}"#;
        assert_eq!(
            read_account(no_trx).unwrap(),
            TronAccount {
                sun: U256::ZERO,
                trc20: BTreeMap::new()
            }
        );
    }

    #[test]
    fn negative_or_malformed_amounts_are_garbled() {
        for body in [
            &br#"{"data":[{"balance":-5}],"success":true}"#[..],
            br#"{"data":[{"trc20":[{"TX":"-1"}]}],"success":true}"#,
            br#"{"data":[{"trc20":[{"TX":"1e6"}]}],"success":true}"#,
            br#"{"success":false,"error":"rate limited"}"#,
            br#"{"data":[{"balance":1"#,
        ] {
            assert!(
                matches!(read_account(body), Err(Failure::Garbled(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_node_s_account_reads_trx_and_lists_no_tokens() {
        let owner = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
        let body = format!(r#"{{"address":"{owner}","balance":42,"create_time":1}}"#);
        assert_eq!(
            read_node_account(body.as_bytes(), owner).unwrap().sun,
            U256::from(42)
        );
        assert_eq!(
            read_node_account(b"{}", owner).unwrap().sun,
            U256::ZERO,
            "no account yet"
        );
        for wrong in [
            r#"{"address":"TXYZ","balance":42}"#,
            r#"{"balance":-1}"#,
            r#"[]"#,
            r#"{"balance":"#,
        ] {
            assert!(
                matches!(
                    read_node_account(wrong.as_bytes(), owner),
                    Err(Failure::Garbled(_))
                ),
                "{wrong}"
            );
        }
    }

    fn reader(urls: &[&str]) -> TronReader {
        let urls = urls.iter().map(|url| url.parse().unwrap()).collect();
        let policy = PoolPolicy {
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            ..PoolPolicy::default()
        };
        TronReader::new(Arc::new(EndpointPool::new(urls, policy)))
    }

    fn holding(sun: u64, trc20: &[(&str, u64)]) -> TronAccount {
        TronAccount {
            sun: U256::from(sun),
            trc20: trc20
                .iter()
                .map(|(contract, amount)| ((*contract).to_owned(), U256::from(*amount)))
                .collect(),
        }
    }

    #[tokio::test]
    async fn the_block_and_accounts_come_from_trongrid_s_index() {
        let server = TronGrid::start();
        let (rich, empty, absent, token) = (address(1), address(2), address(3), address(9));
        server.ledger(|ledger| {
            ledger.accounts.insert(
                rich.clone(),
                Account {
                    sun: Some(1_234_567),
                    trc20: vec![(token.clone(), "5000".into())],
                },
            );
            ledger.accounts.insert(empty.clone(), Account::default());
        });
        let reader = reader(&[&server.url]);
        assert_eq!(reader.block().await, Ok(BLOCK));
        let owners = [rich.clone(), empty.clone(), absent.clone()];
        assert_eq!(
            reader.accounts(&owners).await,
            vec![
                Ok(holding(1_234_567, &[(&token, 5_000)])),
                Ok(holding(0, &[])),
                Ok(holding(0, &[]))
            ]
        );
        assert_eq!(reader.pool.learned(0).lists_accounts, Some(true));
        assert_eq!(server.requests_to("/wallet/getaccount"), 0);
    }

    #[tokio::test]
    async fn a_plain_node_is_found_out_once_and_read_through_its_own_api() {
        let server = TronGrid::start_node();
        let owner = address(1);
        server.ledger(|ledger| {
            ledger.accounts.insert(
                owner.clone(),
                Account {
                    sun: Some(42),
                    trc20: Vec::new(),
                },
            );
        });
        let reader = reader(&[&server.url]);
        let owners = [owner.clone(), address(2)];
        for _ in 0..2 {
            assert_eq!(
                reader.accounts(&owners).await,
                vec![Ok(holding(42, &[])), Ok(holding(0, &[]))]
            );
        }
        assert_eq!(reader.pool.learned(0).lists_accounts, Some(false));
        assert_eq!(
            server.requests_to(&format!("/v1/accounts/{owner}")),
            1,
            "asked once, remembered"
        );
        assert_eq!(server.requests_to("/wallet/getaccount"), 4);
    }

    #[tokio::test]
    async fn an_endpoint_that_does_not_answer_is_asked_again_next_time() {
        let reader = reader(&["http://127.0.0.1:9/"]);
        let accounts = reader.accounts(&[address(1)]).await;
        assert!(
            matches!(&accounts[..], [Err(why)] if why.contains("127.0.0.1:9")),
            "{accounts:?}"
        );
        assert_eq!(
            reader.pool.learned(0).lists_accounts,
            None,
            "not answering says nothing of what it serves"
        );
    }

    #[tokio::test]
    async fn balances_and_metadata_are_read_from_contracts() {
        let server = TronGrid::start();
        let (owner, other, token, odd) = (address(1), address(2), address(9), address(8));
        server.ledger(|ledger| {
            ledger.contracts.insert(
                token.clone(),
                Contract {
                    symbol: "USDT".into(),
                    name: "Tether USD".into(),
                    decimals: 6,
                    balances: [(owner.clone(), U256::from(777))].into(),
                    balance_of_reverts: false,
                },
            );
            ledger.contracts.insert(
                odd.clone(),
                Contract {
                    symbol: "ODD".into(),
                    decimals: MAX_DECIMALS + 1,
                    ..Contract::default()
                },
            );
        });
        let reader = reader(&[&server.url]);
        let pairs = [(owner, token.clone()), (other, token.clone())];
        assert_eq!(
            reader.balances_of(&pairs).await,
            vec![Ok(U256::from(777)), Ok(U256::ZERO)]
        );
        assert_eq!(
            reader.token(&token).await,
            Ok(TokenMetadata {
                symbol: "USDT".into(),
                name: "Tether USD".into(),
                decimals: 6,
                named: true,
            })
        );
        assert_eq!(
            reader.token(&odd).await,
            Err("decimals() did not return a possible number of decimals".into())
        );
    }

    #[test]
    fn a_balance_is_the_first_32_bytes_returned() {
        let word = U256::from(5).abi_encode();
        assert_eq!(read_balance(&word), Ok(U256::from(5)));
        assert_eq!(
            read_balance(&[word.clone(), word].concat()),
            Ok(U256::from(5))
        );
        assert_eq!(
            read_balance(&[1; 31]),
            Err("balanceOf returned 31 bytes, not a 32-byte amount".into())
        );
        assert!(read_balance(&[]).is_err());
    }

    #[test]
    fn a_call_that_did_not_run_reverted_or_failed_returns_no_data() {
        let ran = json!({ "result": { "result": true }, "constant_result": ["0102"], "transaction": { "ret": [{}] } });
        assert_eq!(read_call("f()", &ran), Ok(vec![1, 2]));
        // java-tron's message is hex unless the call asked for `visible`
        let not_run = json!({ "result": { "code": "CONTRACT_VALIDATE_ERROR", "message": alloy_primitives::hex::encode("Smart contract is not exist.") } });
        assert_eq!(
            read_call("f()", &not_run),
            Err("f() failed: Smart contract is not exist.".into())
        );
        let plain =
            json!({ "result": { "code": "OTHER_ERROR", "message": "class java.lang.Error" } });
        assert_eq!(
            read_call("f()", &plain),
            Err("f() failed: class java.lang.Error".into())
        );
        for ret in [
            json!({ "ret": "FAILED", "contractRet": "REVERT" }),
            json!({ "ret": "FAILED", "contractRet": "OUT_OF_TIME" }),
            json!({ "contractRet": "REVERT" }),
        ] {
            let failed = json!({ "result": { "result": true }, "constant_result": ["00".repeat(32)], "transaction": { "ret": [ret] } });
            assert_eq!(
                read_call("f()", &failed),
                Err("f() reverted".into()),
                "{failed}"
            );
        }
        let nothing = json!({ "result": { "result": true }, "transaction": { "ret": [{}] } });
        assert_eq!(
            read_call("f()", &nothing),
            Err("f() returned nothing".into())
        );
        let malformed = json!({ "result": { "result": true }, "constant_result": ["0xzz"] });
        assert_eq!(
            read_call("f()", &malformed),
            Err("f() returned malformed data".into())
        );
    }

    proptest! {
        #[test]
        fn any_answer_is_an_account_or_garbled(
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..256)
                    .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
                "\\{\"data\":\\[\\{(\"balance\":-?[0-9]{0,22},)?\"trc20\":\\[\\{\"[ -~\u{80}-\u{2ff}]{0,40}\":\"[0-9e-]{0,80}\"\\}\\]\\}\\],\"success\":(true|false)\\}",
            ],
        ) {
            if let Ok(account) = read_account(body.as_bytes()) {
                for contract in account.trc20.keys() {
                    prop_assert!(Address::parse_as(Family::Tron, contract).is_ok(), "{contract:?}");
                }
            }
        }
    }
}
