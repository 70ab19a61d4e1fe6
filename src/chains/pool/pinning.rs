//! Certificates of Electrum servers over TLS, checked as Electrum does: a certificate the platform's
//! roots verify is trusted as any https site's is; one they do not (a home node's self-signed
//! certificate) is trusted on first use and pinned by its SHA-256 fingerprint; a pinned endpoint
//! is then trusted only with that very certificate, whatever else it shows.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use alloy_primitives::hex;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// The SHA-256 of a certificate's DER bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(certificate: &[u8]) -> Self {
        Self(Sha256::digest(certificate).into())
    }

    /// Lower-case hex, 64 digits: how it is stored.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// The fingerprint `to_hex` wrote.
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 64 {
            return None;
        }
        hex::decode_to_array(text).ok().map(Self)
    }
}

/// As browsers and `openssl x509 -fingerprint -sha256` show one: upper-case pairs and colons.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self.0.iter().map(|byte| format!("{byte:02X}")).collect();
        f.write_str(&pairs.join(":"))
    }
}

/// What one handshake made of the server's certificate, for the connection to act on once the
/// handshake is done (a verifier can only say yes or no).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The platform's roots verify it: nothing to pin.
    Verified,
    /// The pinned certificate.
    Pinned,
    /// Not verifiable and nothing pinned: trusted on first use, to pin once the handshake is done.
    FirstUse(Fingerprint),
    /// Another certificate than the pinned one: refused.
    Changed {
        pinned: Fingerprint,
        presented: Fingerprint,
    },
}

/// The verifier of one handshake with one endpoint.
#[derive(Debug)]
pub struct PinningVerifier {
    platform: Arc<rustls_platform_verifier::Verifier>,
    algorithms: WebPkiSupportedAlgorithms,
    pinned: Option<Fingerprint>,
    seen: Mutex<Option<Seen>>,
}

impl PinningVerifier {
    pub fn new(
        platform: Arc<rustls_platform_verifier::Verifier>,
        provider: &CryptoProvider,
        pinned: Option<Fingerprint>,
    ) -> Self {
        Self {
            platform,
            algorithms: provider.signature_verification_algorithms,
            pinned,
            seen: Mutex::new(None),
        }
    }

    /// What the handshake found, once it ran.
    pub fn seen(&self) -> Option<Seen> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn saw(&self, seen: Seen) {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(seen);
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity);
        if let Some(pinned) = self.pinned {
            if pinned == presented {
                self.saw(Seen::Pinned);
                return Ok(ServerCertVerified::assertion());
            }
            self.saw(Seen::Changed { pinned, presented });
            return Err(rustls::Error::General(
                "the certificate is not the one pinned".into(),
            ));
        }
        match self.platform.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => {
                self.saw(Seen::Verified);
                Ok(verified)
            }
            Err(why) => {
                tracing::debug!(%why, "the certificate does not verify; trusting it on first use");
                self.saw(Seen::FirstUse(presented));
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    // The handshake's signatures are checked whatever the certificate: the server must hold the
    // key of the certificate it shows, pinned or not.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_round_trip_through_hex_and_show_as_pairs() {
        let fingerprint = Fingerprint::of(b"a certificate");
        assert_eq!(
            Fingerprint::from_hex(&fingerprint.to_hex()),
            Some(fingerprint)
        );
        let shown = fingerprint.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert!(shown.split(':').all(|pair| pair.len() == 2));
        for bad in ["", "00", &"g".repeat(64), &"0".repeat(63), &"0".repeat(65)] {
            assert_eq!(Fingerprint::from_hex(bad), None, "{bad}");
        }
    }
}
