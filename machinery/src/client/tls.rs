//! TLS for talking to an API server: turning the PEM blobs from a kubeconfig into a
//! `rustls::ClientConfig`.
//!
//! Mirrors `k8s.io/client-go/transport/transport.go` (`TLSConfigFor`, `loadTLSFiles`) and
//! `k8s.io/client-go/rest/transport.go`. Upstream hands PEM bytes to Go's `crypto/tls`; we
//! hand DER bytes to rustls, so this file also does the PEM decoding Go gets for free.
//!
//! Three questions decide a client's TLS setup, and each maps to kubeconfig fields:
//! 1. *Whom do I trust?* `certificate-authority(-data)`: the cluster's own CA. A cluster
//!    signs its API server's certificate with a private CA, not a public one, so the
//!    client must be told which CA to trust. (We have no bundle of public CAs at all.)
//! 2. *What name must the server's certificate carry?* The host of `server`, unless
//!    `tls-server-name` says otherwise. kind serves on `https://127.0.0.1:PORT`, and its
//!    certificate lists `127.0.0.1` as an IP SAN, which rustls checks like a DNS name.
//! 3. *Who am I?* `client-certificate(-data)` + `client-key(-data)`: the API server reads
//!    the user name from the certificate's CN and the groups from its O fields
//!    (kind's admin is `CN=kubernetes-admin, O=system:masters`).
//!
//! [`https_connector`] then hands the result to hyper-rustls, so every client dials the
//! same way.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;

use super::config::{Config, ConfigError};

/// The TLS half of a kubeconfig's cluster and user, already read from files or decoded
/// from base64: PEM bytes and one flag.
#[derive(Default)]
pub(crate) struct TlsMaterial {
    /// `certificate-authority(-data)`: the CA(s) the server's certificate must chain to.
    pub ca_pem: Option<Vec<u8>>,
    /// `insecure-skip-tls-verify`: trust any server certificate. See [`InsecureVerifier`].
    pub insecure_skip_verify: bool,
    /// `client-certificate(-data)` and `client-key(-data)`: our identity, if any.
    pub client_cert_pem: Option<Vec<u8>>,
    pub client_key_pem: Option<Vec<u8>>,
}

/// The crypto provider every kubeling TLS config uses. We name it explicitly instead of
/// relying on rustls's process-wide default, so the choice is visible and no other crate
/// in the binary can change it behind our back.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Builds the rustls client configuration for an `https` `server`. The origins name the
/// kubeconfig entries the material came from (`cluster "kind" in /home/me/.kube/config`),
/// so every error says where to look. Mirrors `TLSConfigFor` in client-go's transport.go.
pub(crate) fn client_config(
    material: TlsMaterial,
    server: &str,
    cluster_origin: &str,
    user_origin: &str,
) -> Result<ClientConfig, ConfigError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(cluster_origin, e.to_string()))?;

    // Whom do we trust? Exactly one of a CA or the insecure flag.
    let builder = match (material.ca_pem, material.insecure_skip_verify) {
        (Some(ca), false) => builder.with_root_certificates(root_store(&ca, cluster_origin)?),
        (None, true) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(InsecureVerifier::new())),
        // client-go refuses this pair too ("specifying a root certificates file with the
        // insecure flag is not allowed"): we cannot tell which of the two the user meant.
        (Some(_), true) => {
            return Err(tls_error(
                cluster_origin,
                "both a certificate authority and insecure-skip-tls-verify are set; remove one"
                    .to_string(),
            ))
        }
        // Upstream would fall back to the operating system's public CAs, which never sign
        // a cluster's own certificate anyway. We carry no such bundle, so we say so.
        (None, false) => {
            return Err(ConfigError::NoCertificateAuthority {
                server: server.to_string(),
                origin: cluster_origin.to_string(),
            })
        }
    };

    // Who are we? A certificate and its key come as a pair, or not at all.
    match (material.client_cert_pem, material.client_key_pem) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), Some(key)) => {
            let chain = certificates(&cert, "client certificate", user_origin)?;
            let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
                tls_error(
                    user_origin,
                    format!("client key is not a PEM private key: {e}"),
                )
            })?;
            // rustls checks here that the key matches the certificate's public key, so a
            // mismatched pair fails now, with a message, rather than at the handshake.
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_error(user_origin, format!("client certificate and key: {e}")))
        }
        (Some(_), None) => Err(tls_error(
            user_origin,
            "a client certificate is set but no client-key or client-key-data".to_string(),
        )),
        (None, Some(_)) => Err(tls_error(
            user_origin,
            "a client key is set but no client-certificate or client-certificate-data".to_string(),
        )),
    }
}

fn tls_error(origin: &str, message: String) -> ConfigError {
    ConfigError::Tls {
        origin: origin.to_string(),
        message,
    }
}

/// The hyper connector every kubeling client uses: plain TCP for `http://` servers, rustls
/// for `https://` ones (HTTP/1.1 only), with `tls-server-name` applied. Use it as
/// `hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https_connector(&config))`.
pub fn https_connector(config: &Config) -> HttpsConnector<HttpConnector> {
    // hyper-rustls wants its own copy of the rustls config (it fills in ALPN); cloning a
    // ClientConfig is cheap, its insides are reference counted.
    let tls = match &config.tls {
        Some(tls) => (**tls).clone(),
        None => trust_nobody(),
    };
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    // By default the certificate must name the URL's host. tls-server-name replaces that
    // name, for example when reaching the API server through an address (a tunnel, a load
    // balancer IP) that its certificate does not list.
    let builder = match &config.tls_server_name {
        Some(name) => {
            let name = name.clone();
            builder.with_server_name_resolver(move |_: &hyper::Uri| server_name(&name))
        }
        None => builder,
    };
    builder.enable_http1().build()
}

/// A client config that trusts nobody. `https_connector` needs *some* TLS config even for
/// a plain-http server; with this one, a stray https URL fails verification instead of
/// silently trusting something.
fn trust_nobody() -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth()
}

/// Every CA certificate in `pem` becomes a trust anchor. A kubeconfig's CA field may hold
/// several concatenated certificates (for example during CA rotation), so we take them all.
fn root_store(pem: &[u8], origin: &str) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(pem, "certificate authority", origin)? {
        roots.add(cert).map_err(|e| {
            tls_error(
                origin,
                format!("certificate authority is not a usable CA: {e}"),
            )
        })?;
    }
    Ok(roots)
}

/// Decodes every `-----BEGIN CERTIFICATE-----` block in `pem`; at least one is required.
fn certificates(
    pem: &[u8],
    what: &str,
    origin: &str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let tls_error = |message: String| ConfigError::Tls {
        origin: origin.to_string(),
        message,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("{what} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error(format!("{what} holds no PEM CERTIFICATE block")));
    }
    Ok(certs)
}

/// Parses `tls-server-name` (a DNS name or an IP address) the way rustls will use it.
pub(crate) fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(name.to_string()).map_err(|e| format!("{name:?}: {e}"))
}

/// DANGER: a server certificate verifier that accepts *any* certificate, for any name.
///
/// This is what `insecure-skip-tls-verify: true` means: the connection is encrypted, but
/// the client has no idea whom it is talking to, so anyone on the network path can
/// impersonate the API server and read every token and Secret the client sends or
/// receives. Use it only in tests and throwaway clusters. (kubectl prints a warning for
/// the same reason.)
///
/// We still check the handshake *signatures* with the ring provider: that proves the
/// server holds the private key of the certificate it showed, which costs nothing and
/// keeps the TLS state machine honest. It proves nothing about who the server is.
#[derive(Debug)]
pub(crate) struct InsecureVerifier {
    provider: Arc<CryptoProvider>,
}

impl InsecureVerifier {
    pub(crate) fn new() -> Self {
        InsecureVerifier {
            provider: provider(),
        }
    }
}

impl ServerCertVerifier for InsecureVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The one line that makes this verifier dangerous: no chain, no name, no expiry.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material(ca: Option<&[u8]>, insecure: bool) -> TlsMaterial {
        TlsMaterial {
            ca_pem: ca.map(<[u8]>::to_vec),
            insecure_skip_verify: insecure,
            ..TlsMaterial::default()
        }
    }

    fn error_of(m: TlsMaterial) -> String {
        client_config(
            m,
            "https://k:6443",
            "cluster \"c\" in kc",
            "user \"u\" in kc",
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn garbage_instead_of_a_ca_is_an_error_naming_the_cluster() {
        let err = error_of(material(Some(b"not pem at all"), false));
        assert!(err.contains("certificate authority holds no PEM"), "{err}");
        assert!(err.contains("cluster \"c\" in kc"), "{err}");
    }

    #[test]
    fn https_without_a_ca_tells_the_user_which_fields_to_set() {
        let err = error_of(material(None, false));
        assert!(err.contains("certificate-authority-data"), "{err}");
        assert!(err.contains("insecure-skip-tls-verify"), "{err}");
    }

    #[test]
    fn a_ca_together_with_insecure_skip_tls_verify_is_refused() {
        let err = error_of(material(Some(b"x"), true));
        assert!(err.contains("remove one"), "{err}");
    }

    #[test]
    fn a_client_certificate_without_a_key_is_refused() {
        let mut m = material(None, true);
        m.client_cert_pem = Some(b"cert".to_vec());
        let err = error_of(m);
        assert!(err.contains("user \"u\" in kc"), "{err}");
        assert!(err.contains("no client-key"), "{err}");
    }

    #[test]
    fn insecure_trust_needs_no_ca() {
        assert!(client_config(material(None, true), "https://k", "c", "u").is_ok());
    }

    #[test]
    fn server_names_may_be_dns_names_or_ip_addresses() {
        assert!(server_name("kubernetes.default.svc").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("not a name!").is_err());
    }
}
