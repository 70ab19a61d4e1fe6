//! Solana, read frugally. A refresh reads accounts only, up to 100 a `getMultipleAccounts` call
//! with a data slice on a token account's amount (bytes 64..72, the same in Token-2022): owners'
//! SOL and their token accounts side by side in the same calls, since an owner's own account holds
//! no data and its slice comes back empty. The token accounts are those an owner's listing found
//! (`getTokenAccountsByOwner`, one call per token program, run on the discovery schedule), and the
//! associated token account of a watched mint it had none of. All calls of a sweep go out in
//! JSON-RPC batches.

mod source;

pub use source::FAMILY;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::json;
use solana_pubkey::Pubkey;

use crate::chains::jsonrpc::{Answer, Call, CallFailure, Guard, JsonRpc};
use crate::chains::pool::EndpointPool;
use crate::model::{Address, Amount, Family};

pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
/// The owner of every wallet's own account, and of an address that was sent lamports only.
const SYSTEM_PROGRAM: &str = "11111111111111111111111111111111";

/// `getMultipleAccounts` takes at most this many keys.
const ACCOUNTS_PER_CALL: usize = 100;
/// Where a token account keeps its amount, a little-endian u64, in both token programs.
const AMOUNT_OFFSET: usize = 64;
const AMOUNT_LEN: usize = 8;

/// One account of a `getMultipleAccounts` answer, with its data sliced to the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlicedAccount {
    pub lamports: u64,
    /// The program that owns the account.
    pub owner: String,
    pub data: Vec<u8>,
}

impl SlicedAccount {
    /// The token amount the account holds: a token account's sliced amount, or none at all in an
    /// account of the system program (an address that was only ever sent lamports). Anything else
    /// is no token account, and its amount unknown.
    pub fn token_amount(&self) -> Result<u64, String> {
        match self.owner.as_str() {
            TOKEN_PROGRAM | TOKEN_2022_PROGRAM => {
                <[u8; AMOUNT_LEN]>::try_from(self.data.as_slice())
                    .map(u64::from_le_bytes)
                    .map_err(|_| {
                        format!(
                            "a token account sent {} bytes of its amount, not {AMOUNT_LEN}",
                            self.data.len()
                        )
                    })
            }
            SYSTEM_PROGRAM if self.data.is_empty() => Ok(0),
            other => Err(format!("the account is kept by {other}, no token program")),
        }
    }
}

/// An account as read at a slot: `None` when it does not exist (never made, or closed).
pub type AccountAt = Result<(Option<SlicedAccount>, u64), String>;

/// A token account an owner's listing found, with its amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTokenAccount {
    pub account: String,
    pub mint: String,
    pub program: &'static str,
    pub amount: alloy_primitives::U256,
}

/// Every token account of one owner, as listed at a slot, or why it could not be.
pub type OwnerListing = Result<(Vec<ListedTokenAccount>, u64), String>;

/// Where `owner`'s associated token account of `mint` under `program` is, or `None` for a key
/// that is no address.
pub fn associated_token_account(owner: &str, mint: &str, program: &str) -> Option<String> {
    let key = |text: &str| text.parse::<Pubkey>().ok();
    let address =
        spl_associated_token_account_interface::address::get_associated_token_address_with_program_id(
            &key(owner)?,
            &key(mint)?,
            &key(program)?,
        );
    Some(address.to_string())
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
struct EncodedAccount {
    lamports: u64,
    owner: String,
    /// `[data, "base64"]`
    data: (String, String),
}

#[derive(Deserialize)]
struct KeyedAccount {
    pubkey: String,
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

    /// Reads each account, its data sliced to where a token account keeps its amount; one outcome
    /// per key, in order.
    pub async fn read_accounts(&self, keys: &[String]) -> Vec<AccountAt> {
        let calls: Vec<Call> = keys
            .chunks(ACCOUNTS_PER_CALL)
            .map(|chunk| {
                Call::new(
                    "getMultipleAccounts",
                    json!([chunk, { "encoding": "base64", "commitment": "confirmed",
                        "dataSlice": { "offset": AMOUNT_OFFSET, "length": AMOUNT_LEN } }]),
                )
            })
            .collect();
        let outcomes = self.run(&calls).await;
        let mut accounts = Vec::with_capacity(keys.len());
        for (chunk, outcome) in keys.chunks(ACCOUNTS_PER_CALL).zip(&outcomes) {
            match read_sliced_accounts(outcome, chunk.len()) {
                Ok((values, slot)) => {
                    accounts.extend(values.into_iter().map(|account| Ok((account, slot))));
                }
                Err(why) => accounts.extend(std::iter::repeat_n(Err(why), chunk.len())),
            }
        }
        accounts
    }

    /// Lists every token account of each owner, under both token programs; one outcome per
    /// owner, in order.
    pub async fn list(&self, owners: &[String]) -> Vec<OwnerListing> {
        let programs = [TOKEN_PROGRAM, TOKEN_2022_PROGRAM];
        let calls: Vec<Call> = owners
            .iter()
            .flat_map(|owner| {
                programs.map(|program| {
                    Call::new(
                        "getTokenAccountsByOwner",
                        json!([owner, { "programId": program }, { "encoding": "jsonParsed", "commitment": "confirmed" }]),
                    )
                    .with_large_answer()
                })
            })
            .collect();
        let outcomes = self.run(&calls).await;
        owners
            .iter()
            .zip(outcomes.chunks(programs.len()))
            .map(|(owner, lists)| {
                let mut accounts = Vec::new();
                let mut slot = u64::MAX;
                for (program, list) in programs.into_iter().zip(lists) {
                    let (listed, at) = read_token_accounts(list, program, owner)?;
                    accounts.extend(listed);
                    slot = slot.min(at);
                }
                Ok((accounts, slot))
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
        for (chunk, outcome) in mints.chunks(ACCOUNTS_PER_CALL).zip(&outcomes) {
            match read_mint_decimals(outcome, chunk.len()) {
                Ok(read) => decimals.extend(read),
                Err(why) => decimals.extend(std::iter::repeat_n(Err(why), chunk.len())),
            }
        }
        decimals
    }
}

/// The accounts of a `getMultipleAccounts` answer (`None` for one that does not exist), with the
/// slot they were read at. An answer for another number of accounts, or with data that is no
/// base64 slice of at most the asked length, fails the whole answer.
fn read_sliced_accounts(
    outcome: &Result<Box<serde_json::value::RawValue>, CallFailure>,
    expected: usize,
) -> Result<(Vec<Option<SlicedAccount>>, u64), String> {
    let raw = outcome.as_ref().map_err(ToString::to_string)?;
    let answer: WithContext<Vec<Option<EncodedAccount>>> = serde_json::from_str(raw.get())
        .map_err(|_| "getMultipleAccounts sent a malformed answer".to_owned())?;
    if answer.value.len() != expected {
        return Err(format!(
            "getMultipleAccounts answered for {} accounts, not {expected}",
            answer.value.len()
        ));
    }
    let accounts = answer
        .value
        .into_iter()
        .map(|account| {
            account
                .map(|account| {
                    let (text, encoding) = account.data;
                    let data = BASE64
                        .decode(text)
                        .ok()
                        .filter(|data| encoding == "base64" && data.len() <= AMOUNT_LEN)
                        .ok_or("getMultipleAccounts sent account data that is no slice it was asked for")?;
                    Ok(SlicedAccount {
                        lamports: account.lamports,
                        owner: account.owner,
                        data,
                    })
                })
                .transpose()
        })
        .collect::<Result<_, String>>()?;
    Ok((accounts, answer.context.slot))
}

/// The decimals of each mint account of a jsonParsed `getMultipleAccounts` answer; an account
/// that does not exist, or is no mint of a token program, has none. An answer for another number
/// of accounts fails whole.
fn read_mint_decimals(
    outcome: &Result<Box<serde_json::value::RawValue>, CallFailure>,
    expected: usize,
) -> Result<Vec<Result<u8, String>>, String> {
    let raw = outcome.as_ref().map_err(ToString::to_string)?;
    let answer: WithContext<Vec<Option<ParsedAccount>>> = serde_json::from_str(raw.get())
        .map_err(|_| "getMultipleAccounts sent a malformed answer".to_owned())?;
    if answer.value.len() != expected {
        return Err("an answer for other accounts".to_owned());
    }
    Ok(answer
        .value
        .into_iter()
        .map(|account| {
            let account = account.ok_or("the mint account does not exist")?;
            account.data["parsed"]["info"]["decimals"]
                .as_u64()
                .and_then(|decimals| u8::try_from(decimals).ok())
                .filter(|_| account.data["parsed"]["type"] == "mint")
                .filter(|_| [TOKEN_PROGRAM, TOKEN_2022_PROGRAM].contains(&account.owner.as_str()))
                .ok_or_else(|| "not a mint account".to_owned())
        })
        .collect())
}

/// The token accounts of a `getTokenAccountsByOwner` answer. Any account that is not a token
/// account of `program` held by `owner`, or whose amount is not a count of base units, fails the
/// whole answer: a listing with a part missing would be taken for the whole truth.
fn read_token_accounts(
    outcome: &Result<Box<serde_json::value::RawValue>, CallFailure>,
    program: &'static str,
    owner: &str,
) -> Result<(Vec<ListedTokenAccount>, u64), String> {
    let raw = outcome.as_ref().map_err(ToString::to_string)?;
    let answer: WithContext<Vec<KeyedAccount>> = serde_json::from_str(raw.get())
        .map_err(|_| "getTokenAccountsByOwner sent a malformed answer".to_owned())?;
    let mut accounts = Vec::with_capacity(answer.value.len());
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
        // The mint and the account are used and stored as addresses: one that is none makes the
        // answer a lie.
        let as_address = |text: Option<&str>| {
            text.and_then(|text| Address::parse_as(Family::Solana, text).ok())
                .map(|address| address.to_string())
        };
        let mint = as_address(parsed["info"]["mint"].as_str())
            .ok_or("a token account without a mint address")?;
        let account = as_address(Some(&keyed.pubkey))
            .ok_or("getTokenAccountsByOwner listed an account without an address")?;
        let amount = parsed["info"]["tokenAmount"]["amount"]
            .as_str()
            .and_then(|text| Amount::parse_raw(text).ok())
            .ok_or_else(|| format!("a token account of {mint} has no readable amount"))?;
        accounts.push(ListedTokenAccount {
            account,
            mint,
            program,
            amount,
        });
    }
    Ok((accounts, answer.context.slot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chains::test_support::pool;
    use crate::chains::test_support::solana::{SolanaServer, TEST_GENESIS, TokenAccount};

    /// A deterministic, valid Solana address (any 32 bytes are one).
    fn key(seed: u32) -> String {
        let mut bytes = [7u8; 32];
        bytes[..4].copy_from_slice(&seed.to_be_bytes());
        bs58::encode(bytes).into_string()
    }

    fn reader(server: &SolanaServer, genesis: Option<&str>) -> SolanaReader {
        SolanaReader::new(Arc::new(pool(&server.url)), genesis.map(str::to_owned))
    }

    #[tokio::test]
    async fn accounts_are_read_sliced_to_the_amount_a_hundred_a_call() {
        let server = SolanaServer::start();
        let (owner, mint) = (key(1), key(2));
        server.ledger(|ledger| {
            ledger.lamports.insert(owner.clone(), 42);
            ledger.mints.insert(mint.clone(), 6);
            ledger.token_accounts = vec![TokenAccount::new(
                &key(3),
                &owner,
                &mint,
                "1500000",
                TOKEN_2022_PROGRAM,
            )];
        });
        let mut keys = vec![owner.clone(), key(3), key(4)];
        keys.extend((100..300).map(key));
        let read = reader(&server, Some(TEST_GENESIS))
            .read_accounts(&keys)
            .await;
        assert_eq!(read.len(), keys.len());
        assert_eq!(
            server.calls_of("getMultipleAccounts"),
            3,
            "203 keys, 100 a call"
        );
        let slot = crate::chains::test_support::solana::SLOT;
        let (own, at) = read[0].clone().unwrap();
        assert_eq!((own.as_ref().map(|own| own.lamports), at), (Some(42), slot));
        assert_eq!(
            own.unwrap().data,
            Vec::<u8>::new(),
            "an owner's account holds no data"
        );
        let (token, _) = read[1].clone().unwrap();
        let token = token.unwrap();
        assert_eq!(
            (token.owner.as_str(), token.token_amount()),
            (TOKEN_2022_PROGRAM, Ok(1_500_000))
        );
        assert_eq!(read[2], Ok((None, slot)), "no such account");
        assert_eq!(read[202], Ok((None, slot)));
    }

    #[tokio::test]
    async fn a_cluster_other_than_the_chains_is_not_believed() {
        let server = SolanaServer::start();
        server.ledger(|ledger| {
            ledger.lamports.insert(key(1), 42);
        });
        let expected = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG";
        let read = reader(&server, Some(expected))
            .read_accounts(&[key(1)])
            .await;
        assert_eq!(
            read,
            vec![Err(format!(
                "no endpoint answered: {} (the endpoint serves the cluster of genesis {TEST_GENESIS}, not {expected})",
                server.url
            ))]
        );

        // Unknown yet, the cluster is learned from the first answer.
        let learning = reader(&server, None);
        assert_eq!(learning.learned_genesis(), None);
        assert!(learning.read_accounts(&[key(1)]).await[0].is_ok());
        assert_eq!(learning.learned_genesis().as_deref(), Some(TEST_GENESIS));
        assert!(
            learning.read_accounts(&[key(1)]).await[0].is_ok(),
            "the same again"
        );
        // Learned, it holds: an endpoint answering for another cluster later is not believed.
        server.ledger(|ledger| ledger.genesis = expected.into());
        assert_eq!(
            learning.read_accounts(&[key(1)]).await,
            vec![Err(format!(
                "no endpoint answered: {} (the endpoints serve different clusters)",
                server.url
            ))]
        );
        assert_eq!(learning.learned_genesis().as_deref(), Some(TEST_GENESIS));
        server.ledger(|ledger| ledger.genesis.clear());
        // Known, it is what every answer is checked against, and nothing is learned.
        let knowing = reader(&server, Some(TEST_GENESIS));
        assert!(knowing.read_accounts(&[key(1)]).await[0].is_ok());
        assert_eq!(knowing.learned_genesis(), None);
    }

    #[tokio::test]
    async fn an_owner_is_listed_under_both_programs_and_a_lie_fails_it_alone() {
        let server = SolanaServer::start();
        let (honest, liar, mint) = (key(1), key(2), key(3));
        server.ledger(|ledger| {
            ledger.mints.insert(mint.clone(), 6);
            ledger.token_accounts = vec![
                TokenAccount::new(&key(10), &honest, &mint, "5", TOKEN_PROGRAM),
                TokenAccount::new(&key(11), &honest, &mint, "7", TOKEN_2022_PROGRAM),
                TokenAccount::new(&key(12), &liar, &mint, "-1", TOKEN_PROGRAM),
            ];
        });
        let listed = reader(&server, Some(TEST_GENESIS))
            .list(&[honest.clone(), liar, key(4)])
            .await;
        assert_eq!(server.calls_of("getTokenAccountsByOwner"), 6);
        let slot = crate::chains::test_support::solana::SLOT;
        let account = |account: u32, program, amount: u64| ListedTokenAccount {
            account: key(account),
            mint: mint.clone(),
            program,
            amount: alloy_primitives::U256::from(amount),
        };
        assert_eq!(
            listed,
            vec![
                Ok((
                    vec![
                        account(10, TOKEN_PROGRAM, 5),
                        account(11, TOKEN_2022_PROGRAM, 7)
                    ],
                    slot
                )),
                Err(format!("a token account of {mint} has no readable amount")),
                Ok((Vec::new(), slot)),
            ]
        );
    }

    #[test]
    fn a_listed_account_must_be_the_owners_token_account_of_the_program_asked() {
        let (owner, mint, account) = (key(1), key(2), key(3));
        let listing = |program: &str, kind: &str, holder: &str| {
            answer(&format!(
                r#"{{"context":{{"slot":5}},"value":[{{"pubkey":"{account}","account":{{"owner":"{program}",
                "data":{{"parsed":{{"type":"{kind}","info":{{"owner":"{holder}","mint":"{mint}","tokenAmount":{{"amount":"12"}}}}}}}}}}}}]}}"#
            ))
        };
        let honest = ListedTokenAccount {
            account: account.clone(),
            mint: mint.clone(),
            program: TOKEN_PROGRAM,
            amount: alloy_primitives::U256::from(12),
        };
        assert_eq!(
            read_token_accounts(
                &listing(TOKEN_PROGRAM, "account", &owner),
                TOKEN_PROGRAM,
                &owner
            ),
            Ok((vec![honest], 5))
        );
        let lie =
            Err("getTokenAccountsByOwner listed an account that is not a token account".to_owned());
        for (program, kind, holder) in [
            (TOKEN_2022_PROGRAM, "account", owner.as_str()),
            (TOKEN_PROGRAM, "mint", owner.as_str()),
            (TOKEN_PROGRAM, "account", account.as_str()),
        ] {
            assert_eq!(
                read_token_accounts(&listing(program, kind, holder), TOKEN_PROGRAM, &owner),
                lie,
                "{program} {kind} {holder}"
            );
        }
    }

    #[test]
    fn mint_decimals_are_believed_only_of_a_mint_and_an_answer_for_as_many() {
        let mint = |decimals: u64, kind: &str, owner: &str| {
            format!(
                r#"{{"data":{{"parsed":{{"info":{{"decimals":{decimals}}},"type":"{kind}"}}}},"owner":"{owner}"}}"#
            )
        };
        let text = format!(
            r#"{{"context":{{"slot":1}},"value":[{},{},{},{},null]}}"#,
            mint(6, "mint", TOKEN_PROGRAM),
            mint(9, "mint", TOKEN_2022_PROGRAM),
            mint(6, "account", TOKEN_PROGRAM),
            mint(256, "mint", TOKEN_PROGRAM),
        );
        let not_a_mint = Err("not a mint account".to_owned());
        assert_eq!(
            read_mint_decimals(&answer(&text), 5),
            Ok(vec![
                Ok(6),
                Ok(9),
                not_a_mint.clone(),
                not_a_mint,
                Err("the mint account does not exist".into())
            ])
        );
        let elsewhere = format!(
            r#"{{"context":{{"slot":1}},"value":[{}]}}"#,
            mint(6, "mint", SYSTEM_PROGRAM)
        );
        assert_eq!(
            read_mint_decimals(&answer(&elsewhere), 1),
            Ok(vec![Err("not a mint account".into())])
        );
        for expected in [4, 6] {
            assert_eq!(
                read_mint_decimals(&answer(&text), expected),
                Err("an answer for other accounts".into())
            );
        }
    }

    #[tokio::test]
    async fn decimals_come_from_mint_accounts_only() {
        let server = SolanaServer::start();
        let (mint, wallet) = (key(1), key(2));
        server.ledger(|ledger| {
            ledger.mints.insert(mint.clone(), 9);
            ledger.lamports.insert(wallet.clone(), 1);
        });
        let mut asked = vec![mint, wallet, key(3)];
        asked.extend((100..200).map(key));
        let decimals = reader(&server, Some(TEST_GENESIS))
            .mint_decimals(&asked)
            .await;
        assert_eq!(
            server.calls_of("getMultipleAccounts"),
            2,
            "103 keys, 100 a call"
        );
        assert_eq!(decimals[0], Ok(9));
        assert_eq!(decimals[1], Err("not a mint account".into()));
        assert_eq!(decimals[2], Err("the mint account does not exist".into()));
        assert_eq!(decimals.len(), 103);
    }

    #[test]
    fn the_associated_token_account_is_where_the_program_derives_it() {
        // The USDC account of a wallet, as Solana.Swift's tests know it (metaplex-foundation).
        assert_eq!(
            associated_token_account(
                "3h1zGmCwsRJnVk5BuRNMLsPaQu1y2aqXqXDWYCgrp5UG",
                "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
                TOKEN_PROGRAM,
            )
            .as_deref(),
            Some("3uetDDizgTtadDHZzyy9BqxrjQcozMEkxzbKhfZF4tG3")
        );
        // Another program keeps its accounts elsewhere.
        assert_ne!(
            associated_token_account(
                "3h1zGmCwsRJnVk5BuRNMLsPaQu1y2aqXqXDWYCgrp5UG",
                "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
                TOKEN_2022_PROGRAM,
            )
            .as_deref(),
            Some("3uetDDizgTtadDHZzyy9BqxrjQcozMEkxzbKhfZF4tG3")
        );
        assert_eq!(
            associated_token_account(
                "not-a-key",
                "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
                TOKEN_PROGRAM
            ),
            None
        );
    }

    fn account(owner: &str, data: &[u8]) -> SlicedAccount {
        SlicedAccount {
            lamports: 2_039_280,
            owner: owner.into(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn a_token_accounts_amount_is_its_little_endian_slice() {
        let amount = 18_446_744_073_709_551_615u64 - 1;
        assert_eq!(
            account(TOKEN_PROGRAM, &amount.to_le_bytes()).token_amount(),
            Ok(amount)
        );
        assert_eq!(
            account(TOKEN_2022_PROGRAM, &7u64.to_le_bytes()).token_amount(),
            Ok(7)
        );
        assert_eq!(account(SYSTEM_PROGRAM, &[]).token_amount(), Ok(0));
        assert_eq!(
            account(TOKEN_PROGRAM, &[1, 2, 3]).token_amount(),
            Err("a token account sent 3 bytes of its amount, not 8".into())
        );
        assert_eq!(
            account(TOKEN_PROGRAM, &[]).token_amount(),
            Err("a token account sent 0 bytes of its amount, not 8".into())
        );
        assert_eq!(
            account(SYSTEM_PROGRAM, &[0; 8]).token_amount(),
            Err(format!(
                "the account is kept by {SYSTEM_PROGRAM}, no token program"
            ))
        );
        assert_eq!(
            account("Stake11111111111111111111111111111111111111", &[0; 8]).token_amount(),
            Err("the account is kept by Stake11111111111111111111111111111111111111, no token program".into())
        );
    }

    fn answer(text: &str) -> Result<Box<serde_json::value::RawValue>, CallFailure> {
        Ok(serde_json::value::RawValue::from_string(text.to_owned()).unwrap())
    }

    #[test]
    fn sliced_accounts_are_read_and_a_missing_one_is_none() {
        let text = r#"{"context":{"slot":9},"value":[
            {"data":["AQAAAAAAAAA=","base64"],"executable":false,"lamports":2039280,"owner":"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA","rentEpoch":0,"space":165},
            null,
            {"data":["","base64"],"executable":false,"lamports":42,"owner":"11111111111111111111111111111111","rentEpoch":0,"space":0}]}"#;
        let (accounts, slot) = read_sliced_accounts(&answer(text), 3).unwrap();
        assert_eq!(slot, 9);
        assert_eq!(
            accounts[0],
            Some(account(TOKEN_PROGRAM, &1u64.to_le_bytes()))
        );
        assert_eq!(accounts[1], None);
        assert_eq!(
            accounts[2].as_ref().map(|account| account.lamports),
            Some(42)
        );
        assert_eq!(
            read_sliced_accounts(&answer(text), 2),
            Err("getMultipleAccounts answered for 3 accounts, not 2".into())
        );
    }

    #[test]
    fn account_data_that_is_no_asked_slice_fails_the_answer() {
        for data in [
            r#"["!!","base64"]"#,
            r#"["AQAAAAAAAAAA","base64"]"#,
            r#"["AQAAAAAAAAA=","base58"]"#,
            r#""AQAAAAAAAAA=""#,
        ] {
            let text = format!(
                r#"{{"context":{{"slot":9}},"value":[{{"data":{data},"lamports":1,"owner":"{TOKEN_PROGRAM}"}}]}}"#
            );
            assert!(
                read_sliced_accounts(&answer(&text), 1)
                    .is_err_and(|why| why.starts_with("getMultipleAccounts sent")),
                "{data}"
            );
        }
    }
}
