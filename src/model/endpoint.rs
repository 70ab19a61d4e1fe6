//! Endpoint URLs: the base URL of a chain's API, or an Electrum server's address, checked before it
//! is stored.

use url::{Host, Url};

use super::Family;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointUrlError {
    #[error("{text:?} is not a URL: {reason}")]
    Malformed { text: String, reason: String },
    #[error("{0:?} is not an http(s) URL")]
    NotHttp(String),
    #[error("the endpoint's API key is not in the OS keyring (any more); add the endpoint again")]
    MissingKey,
    /// A `tcp://` or `ssl://` URL that is not an Electrum server's address, or given to a family
    /// that has none.
    #[error("{text:?} is not an Electrum server: {reason}")]
    NotElectrum { text: String, reason: &'static str },
}

/// Whether a URL names an Electrum server (`tcp://HOST:PORT`, or `ssl://HOST:PORT` over TLS) rather
/// than an HTTP API.
pub fn is_electrum(url: &Url) -> bool {
    matches!(url.scheme(), "tcp" | "ssl")
}

/// Parses an endpoint of a chain of `family`: an http(s) API base, or for Bitcoin also an Electrum
/// server as Electrum wallets spell one, `tcp://HOST:PORT` or `ssl://HOST:PORT` (nothing after the
/// port: the protocol has no paths).
pub fn parse_chain_endpoint_url(family: Family, text: &str) -> Result<Url, EndpointUrlError> {
    let trimmed = text.trim();
    let scheme = trimmed.split_once("://").map(|(scheme, _)| scheme);
    if !scheme.is_some_and(|scheme| ["tcp", "ssl"].contains(&scheme.to_ascii_lowercase().as_str()))
    {
        return parse_endpoint_url(text);
    }
    let refused = |reason| EndpointUrlError::NotElectrum {
        text: text.to_owned(),
        reason,
    };
    if family != Family::Bitcoin {
        return Err(refused(
            "tcp:// and ssl:// are Electrum servers, which serve Bitcoin only",
        ));
    }
    let url = Url::parse(trimmed).map_err(|err| EndpointUrlError::Malformed {
        text: text.to_owned(),
        reason: err.to_string(),
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refused("it names no host"));
    }
    if url.port().is_none_or(|port| port == 0) {
        return Err(refused(
            "it names no port (Electrum servers use 50001 for tcp, 50002 for ssl)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("the protocol takes no user name or password"));
    }
    if !url.path().is_empty() || url.query().is_some() || url.fragment().is_some() {
        return Err(refused("nothing may follow HOST:PORT"));
    }
    Ok(url)
}

/// Parses an endpoint URL; only `http` and `https` with a host are accepted.
pub fn parse_endpoint_url(text: &str) -> Result<Url, EndpointUrlError> {
    let url = Url::parse(text.trim()).map_err(|err| EndpointUrlError::Malformed {
        text: text.to_owned(),
        reason: err.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointUrlError::NotHttp(text.to_owned()));
    }
    Ok(url)
}

/// What stands in a stored endpoint URL where an API key was: the key itself is in the OS keyring.
pub const KEY_PLACEHOLDER: &str = "KEY-IN-KEYRING";

/// An endpoint URL with the API keys in its path or query taken out, each replaced by
/// [`KEY_PLACEHOLDER`], and the keys in the order they stood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedUrl {
    pub without_keys: Url,
    pub keys: Vec<String>,
}

/// Takes the API keys out of an endpoint URL: path segments that look like keys (Infura's
/// `/v3/KEY`, Alchemy's `/v2/KEY`, QuickNode's `/TOKEN/`) and query values that are named or look
/// like keys (`?apikey=`, `?api-key=`, `?token=`). Parts are kept as written (percent-encoded), so
/// [`with_keys`] gives back the very URL.
pub fn without_keys(url: &Url) -> KeyedUrl {
    let mut keys = Vec::new();
    let mut stripped = url.clone();
    if let Some(segments) = url.path_segments() {
        let segments: Vec<&str> = segments
            .map(|segment| {
                if looks_like_key(segment) {
                    keys.push(segment.to_owned());
                    KEY_PLACEHOLDER
                } else {
                    segment
                }
            })
            .collect();
        if !keys.is_empty() {
            stripped.set_path(&segments.join("/"));
        }
    }
    if let Some(query) = url.query() {
        let before = keys.len();
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value))
                    if !value.is_empty() && (names_a_key(name) || looks_like_key(value)) =>
                {
                    keys.push(value.to_owned());
                    format!("{name}={KEY_PLACEHOLDER}")
                }
                _ => pair.to_owned(),
            })
            .collect();
        if keys.len() > before {
            stripped.set_query(Some(&pairs.join("&")));
        }
    }
    KeyedUrl {
        without_keys: stripped,
        keys,
    }
}

/// The URL a stored one stands for, its keys put back in order.
pub fn with_keys(stored: &str, keys: &[String]) -> Result<Url, EndpointUrlError> {
    let mut url = stored.to_owned();
    for key in keys {
        url = url.replacen(KEY_PLACEHOLDER, key, 1);
    }
    if url.contains(KEY_PLACEHOLDER) {
        return Err(EndpointUrlError::MissingKey);
    }
    parse_endpoint_url(&url)
}

/// Whether a URL sends what it carries in clear across a network: plain http to another host.
pub fn is_cleartext(url: &Url) -> bool {
    url.scheme() != "https"
        && !matches!(url.host(), Some(Host::Ipv4(ip)) if ip.is_loopback())
        && !matches!(url.host(), Some(Host::Ipv6(ip)) if ip.is_loopback())
        && url.host_str() != Some("localhost")
}

/// A path segment or query value that is a key: 20 characters or more of a key's alphabet with a
/// digit among them, or 32 or more of it whatever they are.
fn looks_like_key(text: &str) -> bool {
    let alphabet = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    alphabet && (text.len() >= 32 || (text.len() >= 20 && has_digit))
}

/// A query parameter whose name says it holds a key or token.
fn names_a_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["key", "token", "secret", "auth", "password"]
        .iter()
        .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_are_accepted() {
        assert!(parse_endpoint_url("https://mempool.space/api").is_ok());
        assert!(parse_endpoint_url("http://127.0.0.1:8545").is_ok());
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "ws://127.0.0.1:8546",
            "file:///etc/passwd",
            "ftp://example.org",
            "mailto:x@y.z",
            "localhost:8545",
        ] {
            assert_eq!(
                parse_endpoint_url(text),
                Err(EndpointUrlError::NotHttp(text.into())),
                "{text}"
            );
        }
        for text in ["", "https://", "not a url", "http://exa mple.org"] {
            assert!(
                matches!(
                    parse_endpoint_url(text),
                    Err(EndpointUrlError::Malformed { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn bitcoin_chains_take_electrum_servers_by_tcp_or_ssl() {
        for text in [
            "tcp://127.0.0.1:50001",
            "ssl://electrum.blockstream.info:50002",
            "SSL://[::1]:50002",
            " tcp://node.local:50001 ",
        ] {
            let url = parse_chain_endpoint_url(Family::Bitcoin, text).unwrap();
            assert!(is_electrum(&url), "{text}");
        }
        let esplora = parse_chain_endpoint_url(Family::Bitcoin, "https://mempool.space/api");
        assert!(!is_electrum(&esplora.unwrap()), "http(s) stays Esplora");
    }

    #[test]
    fn an_electrum_url_with_no_port_a_path_or_another_family_is_refused() {
        for (family, text, reason) in [
            (Family::Bitcoin, "tcp://127.0.0.1", "no port"),
            (Family::Bitcoin, "ssl://host.example:0", "no port"),
            (
                Family::Bitcoin,
                "ssl://host.example:50002/",
                "nothing may follow",
            ),
            (
                Family::Bitcoin,
                "tcp://host.example:50001/api",
                "nothing may follow",
            ),
            (
                Family::Bitcoin,
                "tcp://host.example:50001?x=1",
                "nothing may follow",
            ),
            (
                Family::Bitcoin,
                "tcp://me:secret@host.example:50001",
                "user name",
            ),
            (Family::Bitcoin, "tcp://:50001", "empty host"),
            (Family::Evm, "tcp://127.0.0.1:8545", "Bitcoin only"),
            (Family::Solana, "ssl://127.0.0.1:50002", "Bitcoin only"),
        ] {
            let err = parse_chain_endpoint_url(family, text).unwrap_err();
            assert!(
                matches!(
                    &err,
                    EndpointUrlError::NotElectrum { .. } | EndpointUrlError::Malformed { .. }
                ),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains(reason), "{text}: {err}");
        }
        assert_eq!(
            parse_chain_endpoint_url(Family::Bitcoin, "ws://127.0.0.1:50001"),
            Err(EndpointUrlError::NotHttp("ws://127.0.0.1:50001".into()))
        );
    }

    #[test]
    fn keys_in_paths_and_queries_are_taken_out_and_put_back() {
        for (text, stored, keys) in [
            (
                "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef",
                "https://mainnet.infura.io/v3/KEY-IN-KEYRING",
                vec!["0123456789abcdef0123456789abcdef"],
            ),
            (
                "https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
                "https://eth-mainnet.g.alchemy.com/v2/KEY-IN-KEYRING",
                vec!["AbCdEfGhIjKlMnOpQrStUvWxYz012345"],
            ),
            (
                "https://mainnet.helius-rpc.com/?api-key=short1&cluster=main",
                "https://mainnet.helius-rpc.com/?api-key=KEY-IN-KEYRING&cluster=main",
                vec!["short1"],
            ),
            (
                "https://x.quiknode.pro/a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0/?token=t%2B1",
                "https://x.quiknode.pro/KEY-IN-KEYRING/?token=KEY-IN-KEYRING",
                vec!["a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0", "t%2B1"],
            ),
        ] {
            let url = parse_endpoint_url(text).unwrap();
            let split = without_keys(&url);
            assert_eq!(split.without_keys.as_str(), stored, "{text}");
            assert_eq!(split.keys, keys, "{text}");
            assert_eq!(with_keys(stored, &split.keys).unwrap(), url, "{text}");
        }
    }

    #[test]
    fn urls_without_keys_are_left_alone() {
        for text in [
            "https://ethereum-rpc.publicnode.com",
            "https://api.avax.network/ext/bc/C/rpc",
            "https://mempool.space/api",
            "https://api.mainnet-beta.solana.com/?commitment=confirmed",
        ] {
            let url = parse_endpoint_url(text).unwrap();
            assert_eq!(without_keys(&url).without_keys, url, "{text}");
            assert!(without_keys(&url).keys.is_empty(), "{text}");
        }
        assert_eq!(
            with_keys("https://x.io/v3/KEY-IN-KEYRING", &[]),
            Err(EndpointUrlError::MissingKey)
        );
    }

    #[test]
    fn only_plain_http_to_another_host_is_cleartext() {
        for (text, cleartext) in [
            ("http://rpc.example.org/v3/k", true),
            ("https://rpc.example.org/v3/k", false),
            ("http://127.0.0.1:8545", false),
            ("http://[::1]:8545", false),
            ("http://localhost:8545", false),
            ("http://192.168.1.5:8545", true),
        ] {
            assert_eq!(
                is_cleartext(&parse_endpoint_url(text).unwrap()),
                cleartext,
                "{text}"
            );
        }
    }
}
