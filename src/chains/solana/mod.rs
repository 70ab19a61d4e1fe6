//! Solana, read frugally: SOL of up to 100 owners per `getMultipleAccounts` call (a zero-length data
//! slice, so no account data is downloaded; a missing account holds zero), and every SPL Token and
//! Token-2022 balance of an owner with one `getTokenAccountsByOwner` call per program — which also
//! discovers the tokens it holds. All calls of a sweep go out in JSON-RPC batches.

mod source;

pub use source::FAMILY;

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::U256;
use serde::Deserialize;
use serde_json::json;

use crate::chains::jsonrpc::{Answer, Call, CallFailure, Guard, JsonRpc};
use crate::chains::pool::EndpointPool;
use crate::model::{Address, Amount, Family};

pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";

/// `getMultipleAccounts` takes at most this many keys.
const ACCOUNTS_PER_CALL: usize = 100;

/// A value and the slot it was read at.
pub type AtSlot = (U256, u64);

/// What one owner holds: lamports, and token amounts by mint (every token account of a mint summed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerReading {
    pub lamports: Result<AtSlot, String>,
    pub tokens: Result<(BTreeMap<String, U256>, u64), String>,
}

pub struct SolanaReader {
    rpc: JsonRpc,
    /// The genesis hash every endpoint must report; `None` until the chain's first contact.
    genesis: Option<String>,
    /// The genesis hash endpoints reported, when none was expected yet.
    seen_genesis: std::sync::Mutex<Option<String>>,
}

#[derive(Deserialize)]
struct WithContext<T> {
    context: Context,
    value: T,
}

#[derive(Deserialize)]
struct Context {
    slot: u64,
}

#[derive(Deserialize)]
struct Lamports {
    lamports: u64,
}

#[derive(Deserialize)]
struct KeyedAccount {
    account: ParsedAccount,
}

#[derive(Deserialize)]
struct ParsedAccount {
    data: serde_json::Value,
    owner: String,
}

impl SolanaReader {
    /// A reader that checks with every request that the endpoint serves the cluster of `genesis`
    /// (when known), as the EVM reader checks the chain id.
    pub fn new(pool: Arc<EndpointPool>, genesis: Option<String>) -> Self {
        Self {
            rpc: JsonRpc::new(pool),
            genesis,
            seen_genesis: std::sync::Mutex::new(None),
        }
    }

    /// The genesis hash learned on a first contact, to be kept for the chain.
    pub fn learned_genesis(&self) -> Option<String> {
        self.seen_genesis.lock().expect("genesis lock").clone()
    }

    fn check_genesis(&self, answer: &Answer) -> Result<(), String> {
        let reported = answer
            .as_ref()
            .ok()
            .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
            .ok_or("the endpoint did not tell its genesis hash")?;
        match &self.genesis {
            Some(expected) if *expected != reported => Err(format!(
                "the endpoint serves the cluster of genesis {reported}, not {expected}"
            )),
            Some(_) => Ok(()),
            None => {
                let mut seen = self.seen_genesis.lock().expect("genesis lock");
                match seen.as_ref() {
                    Some(first) if *first != reported => {
                        Err("the endpoints serve different clusters".into())
                    }
                    _ => {
                        *seen = Some(reported);
                        Ok(())
                    }
                }
            }
        }
    }

    async fn run(
        &self,
        calls: &[Call],
    ) -> Vec<Result<Box<serde_json::value::RawValue>, CallFailure>> {
        let check = |answer: &Answer| self.check_genesis(answer);
        let guard = Guard {
            call: Call::new("getGenesisHash", json!([])),
            check: &check,
        };
        self.rpc.run_all(calls, Some(&guard), &|_, _| Ok(())).await
    }

    /// Reads every owner's SOL and tokens; one outcome per owner, in order.
    pub async fn read(&self, owners: &[String]) -> Vec<OwnerReading> {
        let mut calls: Vec<Call> = owners
            .chunks(ACCOUNTS_PER_CALL)
            .map(|chunk| {
                Call::new(
                    "getMultipleAccounts",
                    json!([chunk, { "encoding": "base64", "dataSlice": { "offset": 0, "length": 0 }, "commitment": "confirmed" }]),
                )
            })
            .collect();
        let account_calls = calls.len();
        for owner in owners {
            for program in [TOKEN_PROGRAM, TOKEN_2022_PROGRAM] {
                calls.push(
                    Call::new(
                        "getTokenAccountsByOwner",
                        json!([owner, { "programId": program }, { "encoding": "jsonParsed", "commitment": "confirmed" }]),
                    )
                    .with_large_answer(),
                );
            }
        }
        let outcomes = self.run(&calls).await;
        let (accounts, token_lists) = outcomes.split_at(account_calls);

        let mut lamports: Vec<Result<AtSlot, String>> = Vec::with_capacity(owners.len());
        for (chunk, outcome) in owners.chunks(ACCOUNTS_PER_CALL).zip(accounts) {
            match read_lamports(outcome, chunk.len()) {
                Ok(values) => lamports.extend(values.into_iter().map(Ok)),
                Err(why) => lamports.extend(std::iter::repeat_n(Err(why), chunk.len())),
            }
        }
        lamports
            .into_iter()
            .zip(token_lists.chunks(2))
            .zip(owners)
            .map(|((lamports, lists), owner)| {
                let tokens = match (
                    read_token_accounts(&lists[0], TOKEN_PROGRAM, owner),
                    read_token_accounts(&lists[1], TOKEN_2022_PROGRAM, owner),
                ) {
                    (Ok((mut classic, slot)), Ok((extended, other_slot))) => {
                        for (mint, amount) in extended {
                            let total = classic.entry(mint).or_default();
                            *total = total.saturating_add(amount);
                        }
                        Ok((classic, slot.min(other_slot)))
                    }
                    (Err(why), _) | (_, Err(why)) => Err(why),
                };
                OwnerReading { lamports, tokens }
            })
            .collect()
    }

    /// The decimals of each mint, from its mint account.
    pub async fn mint_decimals(&self, mints: &[String]) -> Vec<Result<u8, String>> {
        let calls: Vec<Call> = mints
            .chunks(ACCOUNTS_PER_CALL)
            .map(|chunk| {
                Call::new(
                    "getMultipleAccounts",
                    json!([chunk, { "encoding": "jsonParsed" }]),
                )
            })
            .collect();
        let outcomes = self.run(&calls).await;
        let mut decimals = Vec::with_capacity(mints.len());
        for (chunk, outcome) in mints.chunks(ACCOUNTS_PER_CALL).zip(outcomes) {
            let accounts: Result<Vec<Option<ParsedAccount>>, String> = match outcome {
                Ok(raw) => {
                    serde_json::from_str::<WithContext<Vec<Option<ParsedAccount>>>>(raw.get())
                        .map(|answer| answer.value)
                        .map_err(|_| "getMultipleAccounts sent a malformed answer".to_owned())
                }
                Err(failure) => Err(failure.to_string()),
            };
            match accounts {
                Ok(accounts) if accounts.len() == chunk.len() => {
                    decimals.extend(accounts.into_iter().map(|account| {
                        let account = account.ok_or("the mint account does not exist")?;
                        account.data["parsed"]["info"]["decimals"]
                            .as_u64()
                            .and_then(|decimals| u8::try_from(decimals).ok())
                            .filter(|_| account.data["parsed"]["type"] == "mint")
                            .filter(|_| {
                                [TOKEN_PROGRAM, TOKEN_2022_PROGRAM]
                                    .contains(&account.owner.as_str())
                            })
                            .ok_or_else(|| "not a mint account".to_owned())
                    }));
                }
                Ok(_) => decimals.extend(std::iter::repeat_n(
                    Err("an answer for other accounts".to_owned()),
                    chunk.len(),
                )),
                Err(why) => decimals.extend(std::iter::repeat_n(Err(why), chunk.len())),
            }
        }
        decimals
    }
}

/// Lamports per account of a `getMultipleAccounts` answer; a missing account holds zero.
fn read_lamports(
    outcome: &Result<Box<serde_json::value::RawValue>, CallFailure>,
    expected: usize,
) -> Result<Vec<AtSlot>, String> {
    let raw = outcome.as_ref().map_err(ToString::to_string)?;
    let answer: WithContext<Vec<Option<Lamports>>> = serde_json::from_str(raw.get())
        .map_err(|_| "getMultipleAccounts sent a malformed answer".to_owned())?;
    if answer.value.len() != expected {
        return Err(format!(
            "getMultipleAccounts answered for {} accounts, not {expected}",
            answer.value.len()
        ));
    }
    let slot = answer.context.slot;
    Ok(answer
        .value
        .into_iter()
        .map(|account| {
            (
                U256::from(account.map_or(0, |account| account.lamports)),
                slot,
            )
        })
        .collect())
}

/// Token amounts by mint of a `getTokenAccountsByOwner` answer. Any account that is not a token
/// account of `program` held by `owner`, or whose amount is not a count of base units, fails the
/// whole answer: a total with a part missing would be a wrong value.
fn read_token_accounts(
    outcome: &Result<Box<serde_json::value::RawValue>, CallFailure>,
    program: &str,
    owner: &str,
) -> Result<(BTreeMap<String, U256>, u64), String> {
    let raw = outcome.as_ref().map_err(ToString::to_string)?;
    let answer: WithContext<Vec<KeyedAccount>> = serde_json::from_str(raw.get())
        .map_err(|_| "getTokenAccountsByOwner sent a malformed answer".to_owned())?;
    let mut amounts: BTreeMap<String, U256> = BTreeMap::new();
    for keyed in answer.value {
        let parsed = &keyed.account.data["parsed"];
        if keyed.account.owner != program
            || parsed["type"] != "account"
            || parsed["info"]["owner"] != owner
        {
            return Err(
                "getTokenAccountsByOwner listed an account that is not a token account".into(),
            );
        }
        // The mint is used and stored as an address: one that is none makes the answer a lie.
        let mint = parsed["info"]["mint"]
            .as_str()
            .and_then(|mint| Address::parse_as(Family::Solana, mint).ok())
            .ok_or("a token account without a mint address")?
            .to_string();
        let amount = parsed["info"]["tokenAmount"]["amount"]
            .as_str()
            .and_then(|text| Amount::parse_raw(text).ok())
            .ok_or_else(|| format!("a token account of {mint} has no readable amount"))?;
        let total = amounts.entry(mint).or_default();
        *total = total.saturating_add(amount);
    }
    Ok((amounts, answer.context.slot))
}
