//! A token's symbol, name and decimals, read from its contract in one request.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serde_json::json;

use super::abi::{IERC20, IMulticall3, read_amount, read_text};
use super::balances::decode_aggregate3;
use super::{EvmReader, data, eth_call};
use crate::chains::TokenMetadata;
use crate::chains::jsonrpc::{Call, CallFailure};
use crate::model::token_list::{MAX_DECIMALS, presentable};

/// An answer of one metadata function: `(success, data)`.
type Returned = (bool, Vec<u8>);

impl EvmReader {
    /// Reads `decimals`, `symbol` and `name` of `token`; refuses an address without code or whose
    /// `decimals` fails, since its balances could not be shown right.
    pub async fn token_metadata(&self, token: Address) -> Result<TokenMetadata, String> {
        let functions = [
            IERC20::decimalsCall {}.abi_encode(),
            IERC20::symbolCall {}.abi_encode(),
            IERC20::nameCall {}.abi_encode(),
        ];
        let mut calls = vec![Call::new("eth_getCode", json!([token, "latest"]))];
        match self.multicall {
            Some(multicall) => {
                let batch = functions
                    .iter()
                    .map(|data| IMulticall3::Call3 {
                        target: token,
                        allowFailure: true,
                        callData: data.clone().into(),
                    })
                    .collect();
                calls.push(eth_call(
                    multicall,
                    IMulticall3::aggregate3Call { calls: batch }.abi_encode(),
                    "latest",
                ));
            }
            None => calls.extend(
                functions
                    .iter()
                    .map(|data| eth_call(token, data.clone(), "latest")),
            ),
        }
        let mut outcomes = self.run(&calls, &|_, _| Ok(())).await.into_iter();
        let code = outcomes
            .next()
            .expect("one outcome per call")
            .map_err(|failure| failure.to_string())?;
        if matches!(code.get(), "\"0x\"" | "\"\"") {
            return Err(format!("there is no contract at {token}"));
        }
        let returned: Vec<Returned> = match self.multicall {
            Some(_) => match outcomes.next().expect("the multicall's outcome") {
                Ok(raw) => decode_aggregate3(raw.get())?
                    .into_iter()
                    .map(|result| (result.success, result.returnData.to_vec()))
                    .collect(),
                Err(failure) => return Err(failure.to_string()),
            },
            None => outcomes.map(plain_answer).collect::<Result<_, _>>()?,
        };
        let [decimals, symbol, name]: [Returned; 3] = returned
            .try_into()
            .map_err(|_| "the multicall answer has the wrong number of results".to_owned())?;
        let decimals = read_amount("decimals", decimals.0, &decimals.1)
            .map_err(|why| format!("{token} is not an ERC-20 token: {why}"))?;
        let decimals = u8::try_from(decimals.min(U256::from(u16::MAX)).to::<u16>())
            .ok()
            .filter(|&decimals| decimals <= MAX_DECIMALS)
            .ok_or_else(|| {
                format!("{token} claims {decimals} decimals; at most {MAX_DECIMALS} make sense")
            })?;
        let symbol = symbol
            .0
            .then(|| read_text(&symbol.1))
            .flatten()
            .filter(|text| presentable(text))
            .ok_or_else(|| format!("{token} has no readable symbol()"))?;
        let name = name
            .0
            .then(|| read_text(&name.1))
            .flatten()
            .filter(|text| presentable(text))
            .unwrap_or_else(|| symbol.clone());
        Ok(TokenMetadata {
            symbol,
            name,
            decimals,
            named: true,
        })
    }
}

fn plain_answer(
    outcome: Result<Box<serde_json::value::RawValue>, CallFailure>,
) -> Result<Returned, String> {
    match outcome {
        Ok(raw) => data(raw.get()).map(|data| (true, data.to_vec())),
        Err(CallFailure::Node(_)) => Ok((false, Vec::new())),
        Err(failure) => Err(failure.to_string()),
    }
}
