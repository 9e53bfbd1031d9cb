//! End-to-end checks of `machinery::client::config` against a real TLS server.
//!
//! Each test builds a small PKI with rcgen, the way kind (via kubeadm) does for a real
//! cluster: one CA, a serving certificate for `127.0.0.1`/`localhost` signed by it, and an
//! admin client certificate `CN=kubernetes-admin, O=system:masters` signed by it. A tiny
//! HTTPS server (tokio-rustls) plays the API server and, like kube-apiserver with
//! `--client-ca-file`, asks for a client certificate and checks it against the CA.
//! The client side is exactly what kubeling components use: a kubeconfig, `Config`, and
//! `https_connector` under a hyper-util client.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use machinery::client::config::{https_connector, Config, ConfigError};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A cluster's worth of PEM: CA, serving cert + key, admin client cert + key.
struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn new_pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "kubernetes");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = params.self_signed(&ca_key).unwrap();

    // kube-apiserver's certificate lists the addresses clients dial; kind's kubeconfig
    // dials 127.0.0.1, so that IP must be a SAN (rcgen turns "127.0.0.1" into an IP SAN).
    let server_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params.signed_by(&server_key, &ca, &ca_key).unwrap();

    // The API server takes the user name from CN and the groups from O.
    let client_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "kubernetes-admin");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "system:masters");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = params.signed_by(&client_key, &ca, &ca_key).unwrap();

    Pki {
        ca: ca.pem(),
        server_cert: server_cert.pem(),
        server_key: server_key.serialize_pem(),
        client_cert: client_cert.pem(),
        client_key: client_key.serialize_pem(),
    }
}

/// Starts an HTTPS server on 127.0.0.1:<random> that answers every request with a
/// `/version`-like JSON body reporting how many client certificates it saw. With
/// `require_client_cert` it refuses handshakes without a certificate signed by the CA.
async fn start_server(pki: &Pki, require_client_cert: bool) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.as_bytes()).unwrap())
        .unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let verifier = if require_client_cert {
        verifier.build().unwrap()
    } else {
        verifier.allow_unauthenticated().build().unwrap()
    };
    let chain = vec![CertificateDer::from_pem_slice(pki.server_cert.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(pki.server_key.as_bytes()).unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(server_config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A failed handshake (no or bad client certificate) just drops the
                // connection after rustls has sent its alert; the client sees an error.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let client_certs = tls.get_ref().1.peer_certificates().map_or(0, <[_]>::len);
                // Read the request head; our clients send GETs without a body.
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = format!(
                    r#"{{"major":"1","minor":"32","gitVersion":"v1.32.0","clientCerts":{client_certs}}}"#
                );
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

/// GET {server}/version through `https_connector`, as the REST client does.
async fn get_version(config: &Config) -> Result<String, String> {
    let client: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(https_connector(config));
    let uri = format!("{}/version", config.server).parse().unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), client.get(uri))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(response.status(), 200);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(String::from_utf8(body.to_bytes().to_vec()).unwrap())
}

fn b64(pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pem)
}

/// A kubeconfig shaped like the one `kind create cluster` writes.
fn kubeconfig(port: u16, cluster_extra: &str, user: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
preferences: {{}}
current-context: kind-kind
clusters:
- name: kind-kind
  cluster:
    server: https://127.0.0.1:{port}
{cluster_extra}
contexts:
- name: kind-kind
  context:
    cluster: kind-kind
    user: kind-kind
users:
- name: kind-kind
  user:
{user}
"
    )
}

fn ca_data(pem: &str) -> String {
    format!("    certificate-authority-data: {}", b64(pem))
}

fn client_cert_data(pki: &Pki) -> String {
    format!(
        "    client-certificate-data: {}\n    client-key-data: {}",
        b64(&pki.client_cert),
        b64(&pki.client_key)
    )
}

/// Writes `yaml` to `<dir>/kubeconfig` and loads it with `context`.
fn load(dir: &tempfile::TempDir, yaml: &str, context: Option<&str>) -> Result<Config, ConfigError> {
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, yaml).unwrap();
    Config::from_kubeconfig_file(&path, context)
}

#[tokio::test]
async fn a_kind_style_kubeconfig_with_a_client_certificate_gets_the_version() {
    let pki = new_pki();
    let port = start_server(&pki, true).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = kubeconfig(port, &ca_data(&pki.ca), &client_cert_data(&pki));
    let config = load(&dir, &yaml, None).unwrap();
    assert_eq!(config.server, format!("https://127.0.0.1:{port}"));
    assert_eq!(config.default_namespace, "default");

    let body = get_version(&config).await.unwrap();
    assert!(body.contains(r#""gitVersion":"v1.32.0""#), "{body}");
    assert!(
        body.contains(r#""clientCerts":1"#),
        "the server saw our certificate: {body}"
    );
}

#[tokio::test]
async fn without_a_client_certificate_the_server_rejects_the_request() {
    let pki = new_pki();
    let port = start_server(&pki, true).await;
    let dir = tempfile::tempdir().unwrap();
    let config = load(&dir, &kubeconfig(port, &ca_data(&pki.ca), "    {}"), None).unwrap();
    // Usually `AlertReceived(CertificateRequired)`: with TLS 1.3 the client finishes its
    // side of the handshake, sends the request, and only then reads the server's alert.
    // If the server's socket closes first, the client may see a reset instead, so we
    // only insist that the request failed, and quickly.
    let err = get_version(&config).await.unwrap_err();
    assert_ne!(err, "timed out");
}

#[tokio::test]
async fn a_server_signed_by_another_ca_fails_verification() {
    let (pki, stranger) = (new_pki(), new_pki());
    let port = start_server(&pki, true).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = kubeconfig(port, &ca_data(&stranger.ca), &client_cert_data(&pki));
    let config = load(&dir, &yaml, None).unwrap();
    let err = get_version(&config).await.unwrap_err();
    // Both CAs are called CN=kubernetes, as every kubeadm/kind CA is, so rustls finds a CA
    // with the right name and then rejects the signature (BadSignature). With different
    // names it would say UnknownIssuer. Either way: an invalid certificate.
    assert!(err.contains("InvalidCertificate"), "{err}");
}

#[tokio::test]
async fn insecure_skip_tls_verify_trusts_a_server_from_an_unknown_ca() {
    let pki = new_pki();
    let port = start_server(&pki, true).await;
    let dir = tempfile::tempdir().unwrap();
    // No CA at all: the client has no way to know the server's CA, and does not check.
    let insecure = "    insecure-skip-tls-verify: true";
    let config = load(
        &dir,
        &kubeconfig(port, insecure, &client_cert_data(&pki)),
        None,
    )
    .unwrap();
    let body = get_version(&config).await.unwrap();
    assert!(body.contains(r#""clientCerts":1"#), "{body}");

    // A wrong CA *and* the insecure flag: like client-go, we refuse to guess which was meant.
    let both = format!("{}\n{insecure}", ca_data(&new_pki().ca));
    let err = load(&dir, &kubeconfig(port, &both, "    {}"), None).unwrap_err();
    assert!(
        err.to_string().contains("insecure-skip-tls-verify"),
        "{err}"
    );
}

#[tokio::test]
async fn relative_file_paths_resolve_against_the_kubeconfig_directory() {
    let pki = new_pki();
    let port = start_server(&pki, true).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pki")).unwrap();
    for (name, pem) in [
        ("ca.crt", &pki.ca),
        ("admin.crt", &pki.client_cert),
        ("admin.key", &pki.client_key),
    ] {
        std::fs::write(dir.path().join("pki").join(name), pem).unwrap();
    }
    let cluster = "    certificate-authority: pki/ca.crt";
    let user = format!(
        "    client-certificate: {}\n    client-key: pki/admin.key",
        dir.path().join("pki/admin.crt").display() // absolute paths work too
    );
    let config = load(&dir, &kubeconfig(port, cluster, &user), None).unwrap();
    let body = get_version(&config).await.unwrap();
    assert!(body.contains(r#""clientCerts":1"#), "{body}");
}

#[tokio::test]
async fn tls_server_name_changes_the_name_the_certificate_must_carry() {
    let pki = new_pki();
    let port = start_server(&pki, true).await;
    let dir = tempfile::tempdir().unwrap();
    let user = client_cert_data(&pki);
    let cluster = format!("{}\n    tls-server-name: localhost", ca_data(&pki.ca));
    let config = load(&dir, &kubeconfig(port, &cluster, &user), None).unwrap();
    assert_eq!(config.tls_server_name.as_deref(), Some("localhost"));
    get_version(&config).await.unwrap();

    let cluster = format!(
        "{}\n    tls-server-name: elsewhere.example",
        ca_data(&pki.ca)
    );
    let config = load(&dir, &kubeconfig(port, &cluster, &user), None).unwrap();
    let err = get_version(&config).await.unwrap_err();
    assert!(err.contains("NotValidForName"), "{err}");
}

#[tokio::test]
async fn in_cluster_config_reads_the_service_account_directory() {
    let pki = new_pki();
    let port = start_server(&pki, false).await;
    let sa = tempfile::tempdir().unwrap();
    std::fs::write(sa.path().join("token"), "eyJhbGciOi.fake.jwt\n").unwrap();
    std::fs::write(sa.path().join("ca.crt"), &pki.ca).unwrap();
    std::fs::write(sa.path().join("namespace"), "kube-system").unwrap();

    let config =
        Config::in_cluster_from(Some("127.0.0.1".into()), Some(port.to_string()), sa.path())
            .unwrap();
    assert_eq!(config.server, format!("https://127.0.0.1:{port}"));
    assert_eq!(config.bearer_token.as_deref(), Some("eyJhbGciOi.fake.jwt"));
    assert_eq!(config.default_namespace, "kube-system");
    let body = get_version(&config).await.unwrap();
    assert!(body.contains(r#""clientCerts":0"#), "{body}");

    std::fs::remove_file(sa.path().join("ca.crt")).unwrap();
    let err = Config::in_cluster_from(Some("10.96.0.1".into()), Some("443".into()), sa.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("ca.crt"), "{err}");
}

#[test]
fn a_missing_context_names_the_context_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(&dir, &kubeconfig(6443, "", "    {}"), Some("prod")).unwrap_err();
    let path = dir.path().join("kubeconfig");
    assert_eq!(
        err.to_string(),
        format!("context \"prod\" not found in {}", path.display())
    );
}
