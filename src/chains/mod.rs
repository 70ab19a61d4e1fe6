//! Reading chains: the endpoint pool every source shares, JSON-RPC over it, and one folder per
//! family, each implementing [`Source`] and registered in [`FAMILIES`].

pub mod bitcoin;
mod endpoints;
pub mod evm;
pub mod jsonrpc;
pub mod pool;
pub mod solana;
mod source;
pub mod tron;

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Result;

pub use endpoints::pool_for;
pub use source::{
    Discovered, Discovery, FamilyDef, ListedAccount, Listing, Reading, Row, RowsRead, Source,
    SourceContext, TokenMetadata, owners_of, rows_by_owner,
};

use crate::model::Family;
use crate::store::{ChainRecord, TokenAccount};
use pool::EndpointPool;

/// Every family holdings reads: adding one is its folder, a line here and its address parser.
pub const FAMILIES: [FamilyDef; 4] = [evm::FAMILY, solana::FAMILY, tron::FAMILY, bitcoin::FAMILY];

/// The registration of `family`.
pub fn family(family: Family) -> &'static FamilyDef {
    FAMILIES
        .iter()
        .find(|def| def.family == family)
        .expect("every family is registered")
}

/// The source of `chain`, reading over `pool`; `listed` are the tokens the chain already lists,
/// `token_accounts` the accounts its owners' listings found.
pub fn open_source(
    chain: &ChainRecord,
    pool: Arc<EndpointPool>,
    listed: HashSet<String>,
    token_accounts: Vec<TokenAccount>,
) -> Result<Box<dyn Source>> {
    (family(chain.family).open)(SourceContext {
        chain,
        pool,
        listed,
        token_accounts,
    })
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_registered_once() {
        for family in Family::ALL {
            let registered = FAMILIES.iter().filter(|def| def.family == family).count();
            assert_eq!(registered, 1, "{family}");
        }
        assert_eq!(FAMILIES.len(), Family::ALL.len());
    }
}
