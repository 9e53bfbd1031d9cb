//! Client configuration: where the API server is, how to trust it, and who we are.
//!
//! Every kubeling component (and kubectl) needs the same three facts before its first
//! request, and reads them from a *kubeconfig* file or, inside a pod, from the service
//! account files the kubelet mounts. This module turns either source into one [`Config`].
//!
//! Upstream splits this over several files; read them side by side with this one:
//! - `k8s.io/client-go/rest/config.go`: `rest.Config` (our [`Config`]) and `InClusterConfig`.
//! - `k8s.io/client-go/tools/clientcmd/api/types.go`: the kubeconfig schema (our `Kubeconfig`).
//! - `k8s.io/client-go/tools/clientcmd/loader.go`: which file to load, and relative paths.
//! - `k8s.io/client-go/tools/clientcmd/client_config.go`: context + cluster + user -> `rest.Config`.
//!
//! The kubeconfig schema and loading live in [`super::kubeconfig`]; the TLS half (PEM ->
//! rustls, and the hyper connector) in [`super::tls`].
//!
//! What we leave out: merging several kubeconfig files, `exec` and `auth-provider`
//! credential plugins, basic auth, impersonation and `proxy-url`. A user that relies on a
//! plugin gets a clear error instead of silently talking to the server anonymously.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::kubeconfig::{choose_kubeconfig, load, normalize_server, read_file, token_from_bytes};
/// Re-exported so the REST client finds the connector next to the [`Config`] it reads.
pub use super::tls::https_connector;
use super::tls::{self, TlsMaterial};

/// Where the kubelet mounts a pod's service account token, CA bundle and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Everything a REST client needs to reach one API server as one user.
/// Mirrors `rest.Config` in `k8s.io/client-go/rest/config.go`.
#[derive(Clone)]
pub struct Config {
    /// Scheme, host and port, with no trailing slash: `https://127.0.0.1:6443`.
    pub server: String,
    /// The context's namespace, else `"default"`. Used when a request names none.
    pub default_namespace: String,
    /// Some for `https` servers (whom to trust, and our client certificate if any).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Overrides the name the server's certificate must carry (and the SNI we send);
    /// from the cluster's `tls-server-name`. [`https_connector`] applies it.
    pub tls_server_name: Option<String>,
    /// Sent as `Authorization: Bearer <token>`.
    pub bearer_token: Option<String>,
    /// Client-side rate limit: sustained requests per second ...
    pub qps: f64,
    /// ... and how many may go at once after a quiet spell (token bucket size).
    pub burst: u32,
    /// `User-Agent` header; components replace it with [`Config::with_user_agent`].
    pub user_agent: String,
    /// How long to wait for the response headers of each attempt; `None` waits forever. (The
    /// body is not covered: a watch body lasts minutes by design.)
    pub timeout: Option<Duration>,
}

/// Why a [`Config`] could not be built. Every message names the file, context or field
/// to fix, because the person reading it is usually staring at a kubeconfig.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {what} {}: {source}", path.display())]
    ReadFile {
        what: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse kubeconfig {origin}: {source}")]
    Parse {
        origin: String,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("no context chosen: {origin} has no current-context (pass --context)")]
    NoContext { origin: String },
    #[error("context {name:?} not found in {origin}")]
    ContextNotFound { name: String, origin: String },
    #[error("cluster {name:?} (used by context {context:?}) not found in {origin}")]
    ClusterNotFound {
        name: String,
        context: String,
        origin: String,
    },
    #[error("user {name:?} (used by context {context:?}) not found in {origin}")]
    UserNotFound {
        name: String,
        context: String,
        origin: String,
    },
    #[error("invalid kubeconfig {origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("invalid server URL {server:?}: {message}")]
    InvalidServer { server: String, message: String },
    #[error(
        "server {server} uses https, but {origin} gives no certificate authority: set \
         certificate-authority or certificate-authority-data (or, for tests only, \
         insecure-skip-tls-verify: true)"
    )]
    NoCertificateAuthority { server: String, origin: String },
    #[error("TLS setup for {origin}: {message}")]
    Tls { origin: String, message: String },
    #[error(
        "not running inside a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT \
         must be set"
    )]
    NotInCluster,
    #[error(
        "no configuration found: no --kubeconfig given, {looked_at}, and not running inside \
         a cluster (KUBERNETES_SERVICE_HOST is unset)"
    )]
    NoConfiguration { looked_at: String },
}

impl Config {
    /// A client for `server` with no credentials. Fine for `http://` (kubeling's own dev
    /// cluster); an `https://` server needs a CA, which only a kubeconfig can give.
    pub fn new(server: &str) -> Result<Config, ConfigError> {
        let server = normalize_server(server, false)?;
        if server.starts_with("https://") {
            return Err(ConfigError::NoCertificateAuthority {
                server,
                origin: "Config::new".to_string(),
            });
        }
        Ok(Config::with_defaults(server))
    }

    /// Loads `path` and builds the config for `context` (or the file's `current-context`).
    /// Relative file names inside it are relative to the file's own directory.
    pub fn from_kubeconfig_file(path: &Path, context: Option<&str>) -> Result<Config, ConfigError> {
        let yaml = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            what: "kubeconfig".to_string(),
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        load(&yaml, base_dir, context, &path.display().to_string())
    }

    /// Like [`Config::from_kubeconfig_file`] for YAML already in memory; relative paths
    /// resolve against `base_dir`.
    pub fn from_kubeconfig_yaml(
        yaml: &str,
        base_dir: &Path,
        context: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let origin = format!("(YAML with base directory {})", base_dir.display());
        load(yaml, base_dir, context, &origin)
    }

    /// The config of a process running in a pod: the `kubernetes` Service's address from
    /// the environment, credentials from [`SERVICE_ACCOUNT_DIR`].
    pub fn in_cluster() -> Result<Config, ConfigError> {
        let env = |name| std::env::var(name).ok();
        let mut config = Config::in_cluster_from(
            env("KUBERNETES_SERVICE_HOST"),
            env("KUBERNETES_SERVICE_PORT"),
            Path::new(SERVICE_ACCOUNT_DIR),
        )?;
        // clientcmd's in-cluster loader lets POD_NAMESPACE (often set from the downward
        // API) win over the mounted namespace file.
        if let Some(ns) = env("POD_NAMESPACE").filter(|ns| !ns.is_empty()) {
            config.default_namespace = ns;
        }
        Ok(config)
    }

    /// [`Config::in_cluster`] with its inputs passed in, so tests need no real pod.
    ///
    /// The kubelet sets `KUBERNETES_SERVICE_HOST/PORT` in every container to the ClusterIP
    /// of the `default/kubernetes` Service, and mounts `token`, `ca.crt` and `namespace`.
    pub fn in_cluster_from(
        env_host: Option<String>,
        env_port: Option<String>,
        sa_dir: &Path,
    ) -> Result<Config, ConfigError> {
        let (Some(host), Some(port)) = (
            env_host.filter(|h| !h.is_empty()),
            env_port.filter(|p| !p.is_empty()),
        ) else {
            return Err(ConfigError::NotInCluster);
        };
        // An IPv6 address needs brackets before the port, as Go's net.JoinHostPort adds.
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let mut config =
            Config::with_defaults(normalize_server(&format!("https://{host}:{port}"), true)?);
        let origin = format!("service account directory {}", sa_dir.display());

        // Upstream falls back to the system's CA bundle when ca.crt is missing; we have no
        // such bundle, so a missing ca.crt is an error.
        let material = TlsMaterial {
            ca_pem: Some(read_file(&sa_dir.join("ca.crt"), "service account CA")?),
            ..TlsMaterial::default()
        };
        let tls = tls::client_config(material, &config.server, &origin, &origin)?;
        config.tls = Some(Arc::new(tls));
        // The token is a JWT that the API server maps to `system:serviceaccount:<ns>:<name>`.
        // A real client-go rereads this file every minute, because the kubelet rotates
        // projected tokens before they expire. We read it once, so a component that runs
        // for longer than the token lives must be restarted.
        let token = read_file(&sa_dir.join("token"), "service account token")?;
        config.bearer_token = Some(token_from_bytes(&token, &sa_dir.join("token"))?);
        if let Ok(ns) = std::fs::read_to_string(sa_dir.join("namespace")) {
            if !ns.trim().is_empty() {
                config.default_namespace = ns.trim().to_string();
            }
        }
        Ok(config)
    }

    /// The usual way a component finds its config, in kubectl's order:
    /// 1. the `--kubeconfig` flag, if given (a missing file is an error);
    /// 2. else `$KUBECONFIG`: the first existing file of its `:`-separated list;
    /// 3. else `~/.kube/config`, if it exists;
    /// 4. else the in-cluster config.
    ///
    /// Upstream (`loader.go`) *merges* every file in `$KUBECONFIG`, the first file to
    /// define a name winning. We only load the first existing file, which is the same
    /// answer whenever the first file holds the context you use.
    pub fn infer(kubeconfig_flag: Option<&Path>) -> Result<Config, ConfigError> {
        let env = std::env::var_os("KUBECONFIG");
        let home = std::env::var_os("HOME").map(PathBuf::from);
        match choose_kubeconfig(kubeconfig_flag, env.as_deref(), home.as_deref()) {
            Ok(path) => Config::from_kubeconfig_file(&path, None),
            Err(looked_at) => match Config::in_cluster() {
                Err(ConfigError::NotInCluster) => Err(ConfigError::NoConfiguration { looked_at }),
                other => other,
            },
        }
    }

    /// Replaces the `User-Agent`, e.g. `"kubeling-scheduler/0.1.0"`; the API server logs it.
    pub fn with_user_agent(mut self, ua: impl Into<String>) -> Config {
        self.user_agent = ua.into();
        self
    }

    pub(super) fn with_defaults(server: String) -> Config {
        Config {
            server,
            default_namespace: "default".to_string(),
            tls: None,
            tls_server_name: None,
            bearer_token: None,
            // client-go defaults to 5 QPS / burst 10, sized for thousands of clients
            // sharing one big cluster. Ours are few and small, so we allow more.
            qps: 50.0,
            burst: 100,
            user_agent: format!("kubeling/{}", env!("CARGO_PKG_VERSION")),
            timeout: None,
        }
    }
}

// A hand-written Debug so that printing a Config never prints the bearer token.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("server", &self.server)
            .field("default_namespace", &self.default_namespace)
            .field("tls", &self.tls.as_ref().map(|_| "rustls::ClientConfig"))
            .field("tls_server_name", &self.tls_server_name)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<redacted>"),
            )
            .field("qps", &self.qps)
            .field("burst", &self.burst)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .finish()
    }
}
