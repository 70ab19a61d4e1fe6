//! The transport of an Electrum endpoint (`tcp://HOST:PORT`, `ssl://HOST:PORT`): newline-delimited
//! JSON-RPC 2.0 on one kept connection, as the Electrum protocol has it ("Protocol basics"). A
//! message goes out as one line and its answer is the next line that is not a notification (a
//! `blockchain.headers.subscribe` caller is sent one per new block); the answer is the caller's to
//! check, as an HTTP body is.
//!
//! Why not the `electrum-client` crate: it is blocking (a thread per call, outside the pool's
//! deadlines and hedging), it reads each answer line whole however long it is (no cap on answers),
//! and its TLS is all or nothing (`validate_domain`), with no sight of the server's certificate, so
//! trust on first use could not be built on it. This transport is tokio, rustls (with
//! [`PinningVerifier`]) and serde_json, and a line reader capped as HTTP answers are.
//!
//! A connection is opened on first use, says `server.version` first (the protocol asks that of
//! every connection), and is kept for later messages, across sweeps; any failure drops it. A kept
//! connection the server closed meanwhile (servers drop idle sessions) is opened anew once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use rustls::pki_types::ServerName;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use url::{Host, Url};

use super::Failure;
use super::pinning::{Fingerprint, PinningVerifier, Seen};

/// The protocol version asked for: 1.4 has every method read here, and every server since 2019
/// speaks it.
const PROTOCOL: &str = "1.4";

/// The id of the `server.version` call, apart from any a caller's batch uses.
const VERSION_ID: &str = "holdings-version";

/// A connection's two directions, whether plain TCP or TLS over it.
trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

type Connection = BufReader<Box<dyn Duplex>>;

/// An Electrum endpoint: where it is, its kept connection, and its pinned certificate.
pub(super) struct ElectrumLink {
    host: Host<String>,
    port: u16,
    tls: bool,
    connection: tokio::sync::Mutex<Option<Connection>>,
    pin: Mutex<Pin>,
    /// The platform's certificate verifier, made on first TLS use.
    platform: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, String>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Pin {
    fingerprint: Option<Fingerprint>,
    /// Learned by this link (trusted on first use), not given from the store.
    learned: bool,
}

/// How one message on a connection went.
enum Outcome {
    Answered(Vec<u8>),
    /// The connection ended before any byte of the answer: on a kept connection, the server
    /// closed it while idle.
    Closed,
}

impl ElectrumLink {
    /// The link of an Electrum URL (checked by `model::parse_chain_endpoint_url`); `None` for
    /// any other.
    pub(super) fn new(url: &Url) -> Option<Self> {
        let tls = match url.scheme() {
            "ssl" => true,
            "tcp" => false,
            _ => return None,
        };
        Some(Self {
            host: url.host()?.to_owned(),
            port: url.port()?,
            tls,
            connection: tokio::sync::Mutex::new(None),
            pin: Mutex::new(Pin::default()),
            platform: OnceLock::new(),
        })
    }

    /// Pins the certificate the store knows for this endpoint.
    pub(super) fn pin(&self, fingerprint: Fingerprint) {
        *self.pin_state() = Pin {
            fingerprint: Some(fingerprint),
            learned: false,
        };
    }

    /// The certificate pinned on first use by this link, to be stored.
    pub(super) fn learned_pin(&self) -> Option<Fingerprint> {
        let pin = *self.pin_state();
        pin.fingerprint.filter(|_| pin.learned)
    }

    /// Sends `message` (one JSON value) and returns the answer, read up to `cap` bytes, all by
    /// `deadline`. `requests` counts each message sent, the connection's `server.version` too.
    pub(super) async fn exchange(
        &self,
        message: &[u8],
        cap: usize,
        deadline: Instant,
        requests: &AtomicU64,
    ) -> Result<Vec<u8>, Failure> {
        let mut slot = self.connection.lock().await;
        let exchanged = tokio::time::timeout_at(deadline.into(), async {
            if let Some(connection) = slot.as_mut() {
                requests.fetch_add(1, Ordering::Relaxed);
                if let Outcome::Answered(answer) = ask(connection, message, cap).await? {
                    return Ok(answer);
                }
                tracing::debug!("the kept connection was closed; connecting again");
                *slot = None;
            }
            let connection = slot.insert(self.connect(cap, requests).await?);
            requests.fetch_add(1, Ordering::Relaxed);
            match ask(connection, message, cap).await? {
                Outcome::Answered(answer) => Ok(answer),
                Outcome::Closed => Err(Failure::Transient(
                    "the server closed the connection without answering".into(),
                )),
            }
        })
        .await
        .unwrap_or(Err(Failure::TimedOut));
        if exchanged.is_err() {
            // Whatever is left on it (half an answer, a late one) must not be read as the next.
            *slot = None;
        }
        exchanged
    }

    /// A new connection, over TLS for `ssl://`, that has said `server.version`.
    async fn connect(&self, cap: usize, requests: &AtomicU64) -> Result<Connection, Failure> {
        let tcp = match &self.host {
            Host::Domain(name) => TcpStream::connect((name.as_str(), self.port)).await,
            Host::Ipv4(ip) => TcpStream::connect((*ip, self.port)).await,
            Host::Ipv6(ip) => TcpStream::connect((*ip, self.port)).await,
        }
        .map_err(|_| Failure::Down("cannot connect".into()))?;
        // Small messages, each awaited: no waiting to fill a segment.
        let _ = tcp.set_nodelay(true);
        let (stream, first_use): (Box<dyn Duplex>, _) = if self.tls {
            let (tls, first_use) = self.handshake(tcp).await?;
            (Box::new(tls), first_use)
        } else {
            (Box::new(tcp), None)
        };
        let mut connection = BufReader::new(stream);
        requests.fetch_add(1, Ordering::Relaxed);
        negotiate(&mut connection, cap).await?;
        // Pinned only once the server proved it holds the certificate's key and speaks Electrum.
        if let Some(fingerprint) = first_use {
            tracing::info!(%fingerprint, "pinned the certificate of an Electrum server on first use");
            *self.pin_state() = Pin {
                fingerprint: Some(fingerprint),
                learned: true,
            };
        }
        Ok(connection)
    }

    /// The TLS handshake, and the certificate to pin when it was trusted on first use.
    async fn handshake(
        &self,
        tcp: TcpStream,
    ) -> Result<
        (
            tokio_rustls::client::TlsStream<TcpStream>,
            Option<Fingerprint>,
        ),
        Failure,
    > {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let platform = self
            .platform
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new(provider.clone())
                    .map(Arc::new)
                    .map_err(|err| format!("cannot set up certificate checks: {err}"))
            })
            .clone()
            .map_err(Failure::Refused)?;
        let pinned = self.pin_state().fingerprint;
        let verifier = Arc::new(PinningVerifier::new(platform, &provider, pinned));
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| Failure::Refused(format!("cannot set up TLS: {err}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        let name = match &self.host {
            Host::Domain(name) => ServerName::try_from(name.clone())
                .map_err(|_| Failure::Refused("the host is not a name TLS can check".into()))?,
            Host::Ipv4(ip) => ServerName::IpAddress((*ip).into()),
            Host::Ipv6(ip) => ServerName::IpAddress((*ip).into()),
        };
        let handshake = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await;
        match (handshake, verifier.seen()) {
            (Err(_), Some(Seen::Changed { pinned, presented })) => Err(Failure::Refused(format!(
                "its certificate is not the one pinned on first use (pinned SHA-256 {pinned}, \
                 presented {presented}): nothing is read from it; if its certificate was changed \
                 on purpose, remove the endpoint and add it again"
            ))),
            (Err(err), _) => Err(Failure::Down(format!("TLS handshake failed: {err}"))),
            (Ok(tls), Some(Seen::FirstUse(fingerprint))) => Ok((tls, Some(fingerprint))),
            (Ok(tls), _) => Ok((tls, None)),
        }
    }

    fn pin_state(&self) -> std::sync::MutexGuard<'_, Pin> {
        self.pin.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Says `server.version`, as the protocol asks first on every connection, and checks the answer:
/// `[server_software_version, protocol_version]`, or an error when no version is shared.
async fn negotiate(connection: &mut Connection, cap: usize) -> Result<(), Failure> {
    let message = serde_json::json!({
        "jsonrpc": "2.0",
        "method": "server.version",
        "params": [concat!("holdings/", env!("CARGO_PKG_VERSION")), PROTOCOL],
        "id": VERSION_ID,
    });
    let Outcome::Answered(answer) = ask(connection, message.to_string().as_bytes(), cap).await?
    else {
        return Err(Failure::Transient(
            "the server closed the connection at server.version".into(),
        ));
    };
    #[derive(Deserialize)]
    struct Version {
        id: serde_json::Value,
        result: Option<(String, String)>,
        error: Option<serde_json::Value>,
    }
    let version: Version = serde_json::from_slice(&answer)
        .map_err(|_| Failure::Garbled("the server.version answer is malformed".into()))?;
    if version.id != VERSION_ID {
        return Err(Failure::Garbled(
            "the server.version answer has another id".into(),
        ));
    }
    match (version.result, version.error) {
        (Some(_), None) => Ok(()),
        (None, Some(error)) => Err(Failure::Refused(format!(
            "it speaks no protocol version holdings does ({PROTOCOL}): {error}"
        ))),
        _ => Err(Failure::Garbled(
            "the server.version answer is malformed".into(),
        )),
    }
}

/// Writes `message` as one line and reads the line answering it, skipping notifications.
async fn ask(connection: &mut Connection, message: &[u8], cap: usize) -> Result<Outcome, Failure> {
    let sent = async {
        let stream = connection.get_mut();
        stream.write_all(message).await?;
        stream.write_all(b"\n").await?;
        stream.flush().await
    };
    if sent.await.is_err() {
        return Ok(Outcome::Closed);
    }
    let mut first = true;
    loop {
        let Some(line) = read_line(connection, cap).await? else {
            return if first {
                Ok(Outcome::Closed)
            } else {
                Err(Failure::Garbled("the answer was cut off".into()))
            };
        };
        first = false;
        if !is_notification(&line) {
            return Ok(Outcome::Answered(line));
        }
    }
}

/// The next line, without its newline, of at most `cap` bytes; `None` when the connection ended
/// before any byte of it.
async fn read_line(connection: &mut Connection, cap: usize) -> Result<Option<Vec<u8>>, Failure> {
    let mut line = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let read = match (&mut *connection)
        .take(limit)
        .read_until(b'\n', &mut line)
        .await
    {
        Ok(read) => read,
        // A TLS connection the server closed without saying so ends in an error, not an end.
        Err(_) if line.is_empty() => 0,
        Err(_) => {
            return Err(Failure::Transient(
                "the connection failed mid-answer".into(),
            ));
        }
    };
    if read == 0 {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        return Err(if line.len() >= cap {
            Failure::Oversized(cap)
        } else {
            Failure::Garbled("the answer was cut off".into())
        });
    }
    Ok(Some(line))
}

/// A message the server sent of itself (a method and no id), not an answer.
fn is_notification(line: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Peek {
        method: Option<serde::de::IgnoredAny>,
        id: Option<serde::de::IgnoredAny>,
    }
    // Only an object can be one: a batch's answer (an array) is not looked into twice.
    line.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{')
        && serde_json::from_slice::<Peek>(line)
            .is_ok_and(|peek| peek.method.is_some() && peek.id.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_are_told_from_answers() {
        assert!(is_notification(
            br#"{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{"height":5,"hex":"00"}]}"#
        ));
        assert!(!is_notification(br#"{"jsonrpc":"2.0","result":1,"id":0}"#));
        assert!(!is_notification(
            br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"},"id":null}"#
        ));
        assert!(!is_notification(
            br#"[{"jsonrpc":"2.0","result":1,"id":0}]"#
        ));
        assert!(!is_notification(b"not json"));
    }

    #[test]
    fn only_tcp_and_ssl_urls_make_links() {
        let link = |text: &str| ElectrumLink::new(&text.parse().unwrap());
        assert!(link("ssl://electrum.blockstream.info:50002").is_some_and(|link| link.tls));
        assert!(link("tcp://[::1]:50001").is_some_and(|link| !link.tls));
        assert!(link("https://mempool.space/api").is_none());
    }

    #[tokio::test]
    async fn a_line_longer_than_the_cap_is_oversized_and_a_cut_one_garbled() {
        async fn read(bytes: &'static [u8], cap: usize) -> Result<Option<Vec<u8>>, Failure> {
            let stream: Box<dyn Duplex> = Box::new(tokio_test_stream(bytes));
            read_line(&mut BufReader::new(stream), cap).await
        }
        assert_eq!(read(b"12345\n", 5).await, Ok(Some(b"12345".to_vec())));
        assert_eq!(read(b"123456\n", 5).await, Err(Failure::Oversized(5)));
        assert_eq!(
            read(b"123", 5).await,
            Err(Failure::Garbled("the answer was cut off".into()))
        );
        assert_eq!(read(b"", 5).await, Ok(None));
    }

    /// A stream that reads `bytes` and takes any write.
    fn tokio_test_stream(bytes: &'static [u8]) -> impl Duplex {
        tokio::io::join(bytes, tokio::io::sink())
    }
}
