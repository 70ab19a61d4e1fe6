//! Bitcoin through Electrum servers (ElectrumX, Fulcrum, electrs), as the Electrum protocol's
//! methods are documented: per address, `blockchain.scripthash.get_balance` (`confirmed` and
//! `unconfirmed` sats; the latter shown apart as pending) and `blockchain.scripthash.get_history`
//! (any transaction, mempool ones too, makes it used), with `blockchain.headers.subscribe` for the
//! tip the reading is at; all of them in JSON-RPC batches, each a round trip on the endpoint's one
//! connection.
//!
//! An address is asked by its script hash: the SHA-256 of its output script, byte-reversed, in hex.
//! An answer is believed only whole: one answer per call, each id asked once, every amount a whole
//! number of sats (the confirmed one not negative), and no balance on an address without history.
//! A batch that fails any of that fails its rows, and nothing of it is written.

use std::collections::HashMap;

use alloy_primitives::{U256, hex};
use bitcoin::hashes::{Hash, sha256};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AddressReading;
use crate::chains::pool::{Ask, EndpointPool, Failure, Protocol};

/// Addresses per batch: two calls each and the tip make 101 calls, well within what servers take
/// in one batch (Fulcrum's `max_batch` defaults to 345), and small answers for a 4 MiB cap.
const PER_BATCH: usize = 50;

const TIP: &str = "blockchain.headers.subscribe";
const BALANCE: &str = "blockchain.scripthash.get_balance";
const HISTORY: &str = "blockchain.scripthash.get_history";

/// Each address's reading and the tip's height it is at, in order, from the pool's Electrum
/// endpoints; batches one after another on the endpoint's connection.
pub async fn read(
    pool: &EndpointPool,
    addresses: &[String],
) -> Vec<Result<(AddressReading, u64), String>> {
    let hashes: Vec<Result<String, String>> = addresses.iter().map(|a| script_hash(a)).collect();
    // Those with no script hash fail as they are; every other is set by its batch below.
    let mut read: Vec<Result<(AddressReading, u64), String>> = hashes
        .iter()
        .map(|hash| Err(hash.clone().err().unwrap_or_default()))
        .collect();
    let asked: Vec<(usize, &str)> = hashes
        .iter()
        .enumerate()
        .filter_map(|(index, hash)| Some((index, hash.as_deref().ok()?)))
        .collect();
    for chunk in asked.chunks(PER_BATCH) {
        let hashes: Vec<&str> = chunk.iter().map(|(_, hash)| *hash).collect();
        let outcome = read_batch(pool, &hashes).await;
        for (position, (index, _)) in chunk.iter().enumerate() {
            read[*index] = match &outcome {
                Ok((height, readings)) => {
                    readings[position].clone().map(|reading| (reading, *height))
                }
                Err(why) => Err(why.clone()),
            };
        }
    }
    read
}

/// One batch: the tip, then each script hash's balance and history.
async fn read_batch(
    pool: &EndpointPool,
    hashes: &[&str],
) -> Result<(u64, Vec<Result<AddressReading, String>>), String> {
    let body = batch(hashes).to_string();
    // Its methods go unnamed: they would feed only the pool's limits per method, which are
    // Solana's public RPC's alone (`pool::rates`), so naming them would change nothing.
    let ask = Ask::post("", body.as_bytes());
    pool.send_over(Protocol::Electrum, ask, |_, answer| {
        read_answer(answer, hashes.len())
    })
    .await
    .map_err(|err| err.to_string())
}

/// The calls of a batch: id 0 the tip, then ids `1 + 2i` and `2 + 2i` address `i`'s balance and
/// history.
fn batch(hashes: &[&str]) -> Value {
    let call = |id: usize, method: &str, params: Value| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let mut calls = vec![call(0, TIP, json!([]))];
    for (i, hash) in hashes.iter().enumerate() {
        calls.push(call(1 + 2 * i, BALANCE, json!([hash])));
        calls.push(call(2 + 2 * i, HISTORY, json!([hash])));
    }
    Value::Array(calls)
}

/// The script hash Electrum servers index an address by.
fn script_hash(address: &str) -> Result<String, String> {
    let address: bitcoin::Address<bitcoin::address::NetworkUnchecked> = address
        .parse()
        .map_err(|_| format!("{address} is not a Bitcoin address"))?;
    // Its network was checked against the chain's when it was added.
    let script = address.assume_checked().script_pubkey();
    let mut hash = sha256::Hash::hash(script.as_bytes()).to_byte_array();
    hash.reverse();
    Ok(hex::encode(hash))
}

#[derive(Deserialize)]
struct Answer {
    id: Value,
    result: Option<Value>,
    error: Option<Value>,
}

/// A batch's answer: the tip's height, and each address's reading or the server's error for it.
fn read_answer(
    body: &[u8],
    addresses: usize,
) -> Result<(u64, Vec<Result<AddressReading, String>>), Failure> {
    let garbled = |why: &str| Failure::Garbled(why.to_owned());
    let answers: Vec<Answer> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(answers)) => answers
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(|_| garbled("the batch answer is malformed"))?,
        // A whole batch refused answers one error (too many calls, too much asked at once).
        Ok(Value::Object(single)) if single.contains_key("error") => {
            return Err(Failure::Refused(format!(
                "it refused the batch: {}",
                message(&single["error"])
            )));
        }
        _ => return Err(garbled("the batch answer is malformed")),
    };
    let calls = 1 + 2 * addresses;
    if answers.len() != calls {
        return Err(Failure::Garbled(format!(
            "the batch answer has {} answers for {calls} calls",
            answers.len()
        )));
    }
    // Answers come in any order: each is placed by its id, which must be one asked, once.
    let mut by_id: HashMap<usize, Result<Value, String>> = HashMap::with_capacity(calls);
    for answer in answers {
        let id = answer
            .id
            .as_u64()
            .and_then(|id| usize::try_from(id).ok())
            .filter(|&id| id < calls)
            .ok_or_else(|| garbled("an answer has an id that was not asked"))?;
        let outcome = match (answer.result, answer.error) {
            (Some(result), None) => Ok(result),
            (None, Some(error)) => Err(message(&error)),
            _ => return Err(garbled("an answer has neither a result nor an error")),
        };
        if by_id.insert(id, outcome).is_some() {
            return Err(garbled("two answers have the same id"));
        }
    }
    let mut take = |id: usize| by_id.remove(&id).expect("every id answered once");
    let height = match take(0) {
        Ok(header) => header
            .get("height")
            .and_then(Value::as_u64)
            .ok_or_else(|| garbled("the tip's header has no height"))?,
        Err(why) => {
            return Err(Failure::Transient(format!(
                "it did not tell its tip: {why}"
            )));
        }
    };
    let mut readings = Vec::with_capacity(addresses);
    for i in 0..addresses {
        readings.push(match (take(1 + 2 * i), take(2 + 2 * i)) {
            (Ok(balance), Ok(history)) => Ok(reading(&balance, &history)?),
            (Err(why), _) => Err(format!("the server did not tell the balance: {why}")),
            (_, Err(why)) => Err(format!("the server did not tell the history: {why}")),
        });
    }
    Ok((height, readings))
}

/// An address's reading from its balance and history, or why the answer cannot be right.
fn reading(balance: &Value, history: &Value) -> Result<AddressReading, Failure> {
    let garbled = |why: &str| Failure::Garbled(why.to_owned());
    // Whole numbers only: 1.5, "100" or a number past i64 are no amounts of sats.
    let sats = |field: &str| {
        balance
            .get(field)
            .and_then(Value::as_i64)
            .ok_or_else(|| garbled("a balance is not a whole number of sats"))
    };
    let confirmed = sats("confirmed")?;
    let unconfirmed = sats("unconfirmed")?;
    let confirmed =
        u64::try_from(confirmed).map_err(|_| garbled("a confirmed balance is negative"))?;
    let transactions = history
        .as_array()
        .ok_or_else(|| garbled("a history is not a list"))?;
    if transactions.is_empty() && (confirmed != 0 || unconfirmed != 0) {
        return Err(garbled("an address without history has a balance"));
    }
    Ok(AddressReading {
        confirmed: U256::from(confirmed),
        pending: i128::from(unconfirmed),
        used: !transactions.is_empty(),
    })
}

/// A JSON-RPC error's message, or the error itself when it has none.
fn message(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| error.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::chains::test_support::electrum::{self as server, Electrum, Fault, Script};
    use crate::chains::test_support::pool;

    /// A distinct mainnet P2PKH address for each seed.
    fn address(seed: u8) -> String {
        let hash = bitcoin::PubkeyHash::from_byte_array([seed; 20]);
        bitcoin::Address::p2pkh(hash, bitcoin::Network::Bitcoin).to_string()
    }

    fn unused_at_tip() -> Result<(AddressReading, u64), String> {
        Ok((
            AddressReading {
                confirmed: U256::ZERO,
                pending: 0,
                used: false,
            },
            server::TIP,
        ))
    }

    #[tokio::test]
    async fn addresses_are_read_fifty_a_batch_each_in_its_place() {
        let server = Electrum::tcp();
        // 61 addresses, one of them none: 60 asked, in batches of 50 and 10.
        let mut addresses: Vec<String> = (0..60).map(address).collect();
        addresses.insert(1, "not an address".to_owned());
        server.set(
            &addresses[0],
            Script {
                confirmed: 150_000,
                unconfirmed: -20_000,
                transactions: 2,
            },
        );
        server.fail(&addresses[2], "history too large");
        server.set(
            &addresses[60],
            Script {
                confirmed: 5,
                unconfirmed: 0,
                transactions: 1,
            },
        );
        let read = read(&pool(&server.url), &addresses).await;
        assert_eq!(read.len(), 61);
        assert_eq!(
            read[0],
            Ok((
                AddressReading {
                    confirmed: U256::from(150_000),
                    pending: -20_000,
                    used: true
                },
                server::TIP
            ))
        );
        assert_eq!(
            read[1],
            Err("not an address is not a Bitcoin address".into())
        );
        assert_eq!(
            read[2],
            Err("the server did not tell the balance: history too large".into())
        );
        assert!(read[3..60].iter().all(|read| *read == unused_at_tip()));
        assert_eq!(
            read[60],
            Ok((
                AddressReading {
                    confirmed: U256::from(5),
                    pending: 0,
                    used: true
                },
                server::TIP
            )),
            "the second batch's last"
        );
        assert_eq!(server.round_trips(), 3, "server.version, then two batches");
        let calls = server.calls();
        let count = |method: &str| calls.iter().filter(|call| *call == method).count();
        assert_eq!((count(TIP), count(BALANCE), count(HISTORY)), (2, 60, 60));
    }

    #[tokio::test]
    async fn a_batch_answered_wrongly_fails_each_of_its_addresses() {
        let server = Electrum::tcp();
        server.set_fault(Some(Fault::WrongId));
        let addresses = [address(1), address(2)];
        let read = read(&pool(&server.url), &addresses).await;
        assert_eq!(read.len(), 2);
        assert_eq!(read[0], read[1]);
        assert!(
            read[0]
                .as_ref()
                .is_err_and(|why| why.contains("an answer has an id that was not asked")),
            "{read:?}"
        );
    }

    #[test]
    fn a_script_hash_is_the_reversed_sha256_of_the_output_script() {
        // The Electrum protocol documentation's example: P2PKH 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.
        assert_eq!(
            script_hash("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap(),
            "8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161"
        );
        assert!(script_hash("not an address").is_err());
    }

    #[test]
    fn a_batch_asks_the_tip_then_each_balance_and_history() {
        let calls = batch(&["aa", "bb"]);
        let methods: Vec<(u64, &str)> = calls
            .as_array()
            .unwrap()
            .iter()
            .map(|call| {
                (
                    call["id"].as_u64().unwrap(),
                    call["method"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            methods,
            [
                (0, TIP),
                (1, BALANCE),
                (2, HISTORY),
                (3, BALANCE),
                (4, HISTORY)
            ]
        );
        assert_eq!(calls[3]["params"], json!(["bb"]));
    }

    fn answer(id: usize, result: Value) -> Value {
        json!({ "jsonrpc": "2.0", "id": id, "result": result })
    }

    fn tip() -> Value {
        answer(0, json!({ "height": 870_123, "hex": "00" }))
    }

    #[test]
    fn answers_in_any_order_are_placed_by_id() {
        let body = json!([
            answer(2, json!([{ "tx_hash": "ab", "height": 5 }])),
            answer(3, json!({ "confirmed": 0, "unconfirmed": 0 })),
            tip(),
            answer(4, json!([])),
            answer(1, json!({ "confirmed": 150_000, "unconfirmed": -20_000 })),
        ]);
        let (height, readings) = read_answer(body.to_string().as_bytes(), 2).unwrap();
        assert_eq!(height, 870_123);
        assert_eq!(
            readings,
            [
                Ok(AddressReading {
                    confirmed: U256::from(150_000),
                    pending: -20_000,
                    used: true
                }),
                Ok(AddressReading {
                    confirmed: U256::ZERO,
                    pending: 0,
                    used: false
                }),
            ]
        );
    }

    #[test]
    fn a_call_the_server_failed_fails_its_address_alone() {
        let error = json!({ "jsonrpc": "2.0", "id": 1, "error": { "code": 1, "message": "history too large" } });
        let body = json!([
            tip(),
            error,
            answer(2, json!([])),
            answer(3, json!({ "confirmed": 1, "unconfirmed": 0 })),
            answer(4, json!([{ "tx_hash": "ab", "height": 5 }])),
        ]);
        let (_, readings) = read_answer(body.to_string().as_bytes(), 2).unwrap();
        assert_eq!(
            readings[0],
            Err("the server did not tell the balance: history too large".into())
        );
        assert!(readings[1].is_ok());
    }

    #[test]
    fn a_lying_or_broken_answer_fails_the_whole_batch() {
        let good_history = json!([{ "tx_hash": "ab", "height": 5 }]);
        let with_balance = |balance: Value| {
            json!([tip(), answer(1, balance), answer(2, good_history.clone())]).to_string()
        };
        let cases = [
            (
                with_balance(json!({ "confirmed": -1, "unconfirmed": 0 })),
                "a confirmed balance is negative",
            ),
            (
                with_balance(json!({ "confirmed": 1.5, "unconfirmed": 0 })),
                "a balance is not a whole number of sats",
            ),
            (
                with_balance(json!({ "confirmed": "100", "unconfirmed": 0 })),
                "a balance is not a whole number of sats",
            ),
            (
                with_balance(
                    json!({ "confirmed": 18_446_744_073_709_551_615u64, "unconfirmed": 0 }),
                ),
                "a balance is not a whole number of sats",
            ),
            (
                with_balance(json!({ "unconfirmed": 0 })),
                "a balance is not a whole number of sats",
            ),
            (
                json!([
                    tip(),
                    answer(1, json!({ "confirmed": 5, "unconfirmed": 0 })),
                    answer(2, json!([]))
                ])
                .to_string(),
                "an address without history has a balance",
            ),
            (
                json!([
                    tip(),
                    answer(1, json!({ "confirmed": 5, "unconfirmed": 0 }))
                ])
                .to_string(),
                "the batch answer has 2 answers for 3 calls",
            ),
            (
                json!([
                    tip(),
                    answer(1, json!({ "confirmed": 0, "unconfirmed": 0 })),
                    answer(7, json!([]))
                ])
                .to_string(),
                "an answer has an id that was not asked",
            ),
            (
                // The first id past the calls: not asked either.
                json!([
                    tip(),
                    answer(1, json!({ "confirmed": 0, "unconfirmed": 0 })),
                    answer(3, json!([]))
                ])
                .to_string(),
                "an answer has an id that was not asked",
            ),
            (
                json!([
                    tip(),
                    answer(1, json!({ "confirmed": 0, "unconfirmed": 0 })),
                    answer(1, json!([]))
                ])
                .to_string(),
                "two answers have the same id",
            ),
            (
                json!([tip(), answer(1, Value::Null), answer(2, json!([]))]).to_string(),
                "an answer has neither a result nor an error",
            ),
            (
                json!([
                    answer(0, json!({ "hex": "00" })),
                    answer(1, json!({ "confirmed": 0, "unconfirmed": 0 })),
                    answer(2, json!([]))
                ])
                .to_string(),
                "the tip's header has no height",
            ),
            (
                json!([
                    tip(),
                    answer(1, json!({ "confirmed": 0, "unconfirmed": 0 })),
                    answer(2, json!({}))
                ])
                .to_string(),
                "a history is not a list",
            ),
            (
                r#"[{"jsonrpc":"2.0","id":0,"result":{"height":1"#.to_owned(),
                "the batch answer is malformed",
            ),
            // One answer, not a list of them, and no error: no refusal either.
            (tip().to_string(), "the batch answer is malformed"),
        ];
        for (body, why) in cases {
            assert_eq!(
                read_answer(body.as_bytes(), 1),
                Err(Failure::Garbled(why.into())),
                "{body}"
            );
        }
        let refused = json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32600, "message": "batch too large" } });
        assert_eq!(
            read_answer(refused.to_string().as_bytes(), 1),
            Err(Failure::Refused(
                "it refused the batch: batch too large".into()
            ))
        );
    }

    proptest! {
        #[test]
        fn any_answer_is_readings_or_a_failure(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok((_, readings)) = read_answer(&body, 1) {
                prop_assert_eq!(readings.len(), 1);
            }
        }
    }
}
