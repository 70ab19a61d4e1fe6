//! Pure values of the domain: what a chain, an address, an amount, a balance's freshness and a value are.
//! No I/O happens here, so every rule is tested directly.

pub mod address;
pub mod amount;
pub mod chain;
pub mod endpoint;
pub mod family;
pub mod freshness;
pub mod price_source;
pub mod token_list;
pub mod value;
pub mod watch_key;

pub use address::{Address, AddressError};
pub use amount::{Amount, AmountError};
pub use chain::{BitcoinNetwork, ChainName, ChainNameError};
pub use endpoint::{
    EndpointUrlError, KEY_PLACEHOLDER, KeyedUrl, is_cleartext, is_electrum,
    parse_chain_endpoint_url, parse_endpoint_url, with_keys, without_keys,
};
pub use family::Family;
pub use freshness::{DEFAULT_PRICE_TTL, Freshness, TtlError, Ttls, checked_price_ttl};
pub use price_source::{PriceSourceKind, PriceSourceKindError};
pub use token_list::{CheckedToken, TokenEntry, TokenList};
pub use value::{CURRENCY, Confidence, Money, Price, PriceError, RawSum};
pub use watch_key::{Branch, GAP_LIMIT, WatchKey, WatchKeyError};
