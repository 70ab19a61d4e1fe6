//! Endpoint URLs: the base URL of a chain's API, checked before it is stored.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointUrlError {
    #[error("{text:?} is not a URL: {reason}")]
    Malformed { text: String, reason: String },
    #[error("{0:?} is not an http(s) URL")]
    NotHttp(String),
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
}
