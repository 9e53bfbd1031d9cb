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
//! The TLS half (PEM -> rustls, and the hyper connector) lives in [`super::tls`].
//!
//! What we leave out: merging several kubeconfig files, `exec` and `auth-provider`
//! credential plugins, basic auth, impersonation and `proxy-url`. A user that relies on a
//! plugin gets a clear error instead of silently talking to the server anonymously.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;

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
    /// Whole-request timeout; `None` waits forever (watches need that).
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

    fn with_defaults(server: String) -> Config {
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

/// Which kubeconfig [`Config::infer`] loads; `Err` says where it looked, for the error
/// message if in-cluster config is not available either.
fn choose_kubeconfig(
    flag: Option<&Path>,
    env: Option<&std::ffi::OsStr>,
    home: Option<&Path>,
) -> Result<PathBuf, String> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Some(list) = env.filter(|l| !l.is_empty()) {
        // Like upstream, a set $KUBECONFIG replaces ~/.kube/config entirely, even when
        // none of its files exist.
        return std::env::split_paths(list)
            .find(|p| !p.as_os_str().is_empty() && p.is_file())
            .ok_or_else(|| format!("no file in $KUBECONFIG ({}) exists", list.to_string_lossy()));
    }
    let Some(home) = home else {
        return Err("$HOME is unset, so there is no ~/.kube/config".to_string());
    };
    let path = home.join(".kube").join("config");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} does not exist", path.display()))
    }
}

// ---------------------------------------------------------------------------------------
// The kubeconfig schema (clientcmd/api/v1/types.go). serde ignores fields we do not list.
// Lists are `Option` because `kubectl config view` writes `users: null` for an empty list.
// ---------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Kubeconfig {
    current_context: Option<String>,
    clusters: Option<Vec<NamedCluster>>,
    users: Option<Vec<NamedUser>>,
    contexts: Option<Vec<NamedContext>>,
}

#[derive(Deserialize)]
struct NamedCluster {
    name: String,
    #[serde(default)]
    cluster: Cluster,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    server: Option<String>,
    tls_server_name: Option<String>,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
    certificate_authority: Option<String>,
    certificate_authority_data: Option<String>,
}

#[derive(Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: User,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct User {
    client_certificate: Option<String>,
    client_certificate_data: Option<String>,
    client_key: Option<String>,
    client_key_data: Option<String>,
    token: Option<String>,
    #[serde(rename = "tokenFile")]
    token_file: Option<String>,
    exec: Option<serde_yaml::Value>,
    auth_provider: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
struct NamedContext {
    name: String,
    #[serde(default)]
    context: Context,
}

#[derive(Deserialize, Default)]
struct Context {
    cluster: Option<String>,
    user: Option<String>,
    namespace: Option<String>,
}

/// Go treats an empty string like a missing one (`len(x) == 0`); so do we.
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|s| !s.is_empty())
}

/// Resolves a kubeconfig's chosen context into a [`Config`], the way
/// `DirectClientConfig.ClientConfig` in `client_config.go` does. `origin` names the file
/// in error messages.
fn load(
    yaml: &str,
    base_dir: &Path,
    context: Option<&str>,
    origin: &str,
) -> Result<Config, ConfigError> {
    let kc: Kubeconfig = if yaml.trim().is_empty() {
        Kubeconfig::default()
    } else {
        serde_yaml::from_str(yaml).map_err(|source| ConfigError::Parse {
            origin: origin.to_string(),
            source,
        })?
    };
    let invalid = |message: String| ConfigError::Invalid {
        origin: origin.to_string(),
        message,
    };

    // 1. The context: --context wins over current-context.
    let ctx_name = context
        .filter(|c| !c.is_empty())
        .or(given(&kc.current_context))
        .ok_or_else(|| ConfigError::NoContext {
            origin: origin.to_string(),
        })?;
    let ctx = kc.contexts.iter().flatten().find(|c| c.name == ctx_name);
    let ctx = &ctx
        .ok_or_else(|| ConfigError::ContextNotFound {
            name: ctx_name.to_string(),
            origin: origin.to_string(),
        })?
        .context;

    // 2. The cluster it names: where the server is and how to trust it.
    let cluster_name = given(&ctx.cluster)
        .ok_or_else(|| invalid(format!("context {ctx_name:?} names no cluster")))?;
    let cluster = &kc
        .clusters
        .iter()
        .flatten()
        .find(|c| c.name == cluster_name)
        .ok_or_else(|| ConfigError::ClusterNotFound {
            name: cluster_name.to_string(),
            context: ctx_name.to_string(),
            origin: origin.to_string(),
        })?
        .cluster;
    let cluster_origin = format!("cluster {cluster_name:?} in {origin}");

    // 3. The user it names: who we are. Upstream requires a user; we let a context
    //    without one mean "anonymous", which is what an empty user means anyway.
    let user = match given(&ctx.user) {
        None => User::default(),
        Some(user_name) => {
            let found = kc.users.into_iter().flatten().find(|u| u.name == user_name);
            found
                .ok_or_else(|| ConfigError::UserNotFound {
                    name: user_name.to_string(),
                    context: ctx_name.to_string(),
                    origin: origin.to_string(),
                })?
                .user
        }
    };
    let user_origin = format!("user {:?} in {origin}", ctx.user.as_deref().unwrap_or(""));
    if user.exec.is_some() || user.auth_provider.is_some() {
        return Err(invalid(format!(
            "{user_origin} authenticates with an exec or auth-provider plugin, which kubeling \
             does not support; use a client certificate or a token"
        )));
    }

    let ca = file_or_data(
        (&cluster.certificate_authority, "certificate-authority"),
        (
            &cluster.certificate_authority_data,
            "certificate-authority-data",
        ),
        base_dir,
        &cluster_origin,
    )?;
    let cert = file_or_data(
        (&user.client_certificate, "client-certificate"),
        (&user.client_certificate_data, "client-certificate-data"),
        base_dir,
        &user_origin,
    )?;
    let key = file_or_data(
        (&user.client_key, "client-key"),
        (&user.client_key_data, "client-key-data"),
        base_dir,
        &user_origin,
    )?;

    let raw_server = given(&cluster.server)
        .ok_or_else(|| invalid(format!("no server found for cluster {cluster_name:?}")))?;
    let tls_hinted = ca.is_some() || cluster.insecure_skip_tls_verify || cert.is_some();
    let mut config = Config::with_defaults(normalize_server(raw_server, tls_hinted)?);
    if let Some(ns) = given(&ctx.namespace) {
        config.default_namespace = ns.to_string();
    }
    // client-go reads the user's credentials only when the transport is TLS: a token or
    // client certificate is never sent to a plain-http server, where anyone on the path
    // could copy it. kubeling's dev cluster is plain http and needs none.
    if !config.server.starts_with("https://") {
        if cert.is_some() || given(&user.token).is_some() || given(&user.token_file).is_some() {
            tracing::warn!(
                "{user_origin} has credentials, but {} is plain http: not sending them",
                config.server
            );
        }
        return Ok(config);
    }

    // 4. TLS: whom to trust, which name to verify, and who we are (see tls.rs).
    if let Some(name) = given(&cluster.tls_server_name) {
        tls::server_name(name)
            .map_err(|e| invalid(format!("{cluster_origin}: tls-server-name {e}")))?;
        config.tls_server_name = Some(name.to_string());
    }
    let material = TlsMaterial {
        ca_pem: ca,
        insecure_skip_verify: cluster.insecure_skip_tls_verify,
        client_cert_pem: cert,
        client_key_pem: key,
    };
    let tls = tls::client_config(material, &config.server, &cluster_origin, &user_origin)?;
    config.tls = Some(Arc::new(tls));

    // 5. The bearer token: `token` wins over `tokenFile`, as in client_config.go.
    if let Some(token) = given(&user.token) {
        config.bearer_token = Some(token.to_string());
    } else if let Some(file) = given(&user.token_file) {
        let path = resolve(base_dir, file);
        config.bearer_token = Some(token_from_bytes(&read_file(&path, "tokenFile")?, &path)?);
    }
    Ok(config)
}

/// Checks a server URL and brings it to the form `scheme://host[:port][/path]` with no
/// trailing slash. A bare `host:port` gets `https://` when TLS settings are present and
/// `http://` otherwise, as upstream's `rest.DefaultServerURL` does.
fn normalize_server(raw: &str, tls_hinted: bool) -> Result<String, ConfigError> {
    let bad = |message: &str| ConfigError::InvalidServer {
        server: raw.to_string(),
        message: message.to_string(),
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let with_scheme = match (trimmed.contains("://"), tls_hinted) {
        (true, _) => trimmed.to_string(),
        (false, true) => format!("https://{trimmed}"),
        (false, false) => format!("http://{trimmed}"),
    };
    let uri: hyper::Uri = with_scheme.parse().map_err(|_| bad("not a URL"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(bad("the scheme must be http or https")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if uri.query().is_some() {
        return Err(bad("a server URL takes no query string"));
    }
    Ok(with_scheme)
}

/// A relative path in a kubeconfig is relative to the kubeconfig's own directory
/// (`ResolveLocalPaths` in loader.go), so a kubeconfig and its certificates can move together.
fn resolve(base_dir: &Path, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::ReadFile {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    })
}

/// A token file holds the token and usually a trailing newline, which must not be sent.
fn token_from_bytes(bytes: &[u8], path: &Path) -> Result<String, ConfigError> {
    let token = String::from_utf8_lossy(bytes).trim().to_string();
    if token.is_empty() {
        return Err(ConfigError::ReadFile {
            what: "token file".to_string(),
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is empty"),
        });
    }
    Ok(token)
}

/// Most kubeconfig secrets come as a pair: `x` (a file name) or `x-data` (the file's
/// contents, base64 encoded, as Go encodes a `[]byte` field). Returns the contents.
fn file_or_data(
    (file, file_field): (&Option<String>, &str),
    (data, data_field): (&Option<String>, &str),
    base_dir: &Path,
    owner: &str,
) -> Result<Option<Vec<u8>>, ConfigError> {
    match (given(file), given(data)) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid {
            origin: owner.to_string(),
            message: format!("both {file_field} and {data_field} are set; use only one"),
        }),
        (Some(file), None) => read_file(
            &resolve(base_dir, file),
            &format!("{file_field} of {owner}"),
        )
        .map(Some),
        (None, Some(data)) => {
            // Long base64 values are sometimes wrapped over several lines; Go ignores the
            // line breaks, so we drop all whitespace before decoding.
            let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(Some)
                .map_err(|e| ConfigError::Invalid {
                    origin: owner.to_string(),
                    message: format!("{data_field} is not valid base64: {e}"),
                })
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kubeconfig with one context `ctx` -> cluster `c` + user `u`, plus an `other`
    /// context in namespace `team-b`.
    fn kubeconfig(cluster: &str, user: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\npreferences: {{}}\ncurrent-context: ctx\n\
             clusters:\n- name: c\n  cluster:\n{cluster}\n\
             users:\n- name: u\n  user:\n{user}\n\
             contexts:\n- name: ctx\n  context: {{cluster: c, user: u}}\n\
             - name: other\n  context: {{cluster: c, user: u, namespace: team-b}}\n"
        )
    }

    fn load_ok(yaml: &str, context: Option<&str>) -> Config {
        Config::from_kubeconfig_yaml(yaml, Path::new("/nowhere"), context).unwrap()
    }

    fn load_err(yaml: &str, context: Option<&str>) -> String {
        let err = Config::from_kubeconfig_yaml(yaml, Path::new("/nowhere"), context);
        err.unwrap_err().to_string()
    }

    const HTTP: &str = "    server: http://127.0.0.1:8080/\n    some-future-field: 1";
    const INSECURE: &str = "    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true";
    const NO_USER: &str = "    {}";

    #[test]
    fn a_plain_http_cluster_gets_the_defaults() {
        let config = load_ok(&kubeconfig(HTTP, NO_USER), None);
        assert_eq!(config.server, "http://127.0.0.1:8080");
        assert_eq!(config.default_namespace, "default");
        assert!(config.tls.is_none());
        assert_eq!((config.qps, config.burst), (50.0, 100));
        assert!(config.user_agent.starts_with("kubeling/"));
        assert_eq!(config.timeout, None);
    }

    #[test]
    fn the_context_argument_wins_over_current_context() {
        let config = load_ok(&kubeconfig(HTTP, NO_USER), Some("other"));
        assert_eq!(config.default_namespace, "team-b");
    }

    #[test]
    fn no_current_context_and_no_context_argument_is_an_error() {
        let err = load_err("clusters: null\nusers: null\ncontexts: null\n", None);
        assert!(err.contains("no context chosen"), "{err}");
        assert!(load_err("", None).contains("no context chosen"));
    }

    #[test]
    fn missing_clusters_and_users_are_named() {
        let yaml =
            "current-context: a\ncontexts:\n- name: a\n  context: {cluster: gone, user: u}\n";
        let err = load_err(yaml, None);
        assert!(
            err.starts_with("cluster \"gone\" (used by context \"a\") not found"),
            "{err}"
        );
        let yaml = kubeconfig(HTTP, NO_USER).replace("user: u}", "user: ghost}");
        let err = load_err(&yaml, None);
        assert!(
            err.starts_with("user \"ghost\" (used by context \"ctx\") not found"),
            "{err}"
        );
    }

    #[test]
    fn token_wins_over_token_file_and_token_files_resolve_against_the_base_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token.txt"), "from-file\n").unwrap();
        let user = "    tokenFile: token.txt";
        let yaml = kubeconfig(INSECURE, user);
        let config = Config::from_kubeconfig_yaml(&yaml, dir.path(), None).unwrap();
        assert_eq!(config.bearer_token.as_deref(), Some("from-file"));
        assert!(config.tls.is_some());

        let yaml = kubeconfig(INSECURE, "    token: inline\n    tokenFile: token.txt");
        let config = Config::from_kubeconfig_yaml(&yaml, dir.path(), None).unwrap();
        assert_eq!(config.bearer_token.as_deref(), Some("inline"));
    }

    #[test]
    fn credentials_are_never_used_over_plain_http() {
        let config = load_ok(&kubeconfig(HTTP, "    token: secret"), None);
        assert_eq!(config.bearer_token, None);
    }

    #[test]
    fn bad_base64_names_the_field_and_the_cluster() {
        let cluster = "    server: https://k:6443\n    certificate-authority-data: '!!!'";
        let err = load_err(&kubeconfig(cluster, NO_USER), None);
        assert!(err.contains("cluster \"c\""), "{err}");
        assert!(
            err.contains("certificate-authority-data is not valid base64"),
            "{err}"
        );
    }

    #[test]
    fn a_file_and_its_data_field_together_are_refused() {
        let cluster = "    server: https://k:6443\n    certificate-authority: ca.crt\n    \
                       certificate-authority-data: eA==";
        let err = load_err(&kubeconfig(cluster, NO_USER), None);
        assert!(err.contains("both certificate-authority and certificate-authority-data"));
    }

    #[test]
    fn a_missing_ca_file_names_the_resolved_path() {
        let cluster = "    server: https://k:6443\n    certificate-authority: pki/ca.crt";
        let err = load_err(&kubeconfig(cluster, NO_USER), None);
        assert!(err.contains("/nowhere/pki/ca.crt"), "{err}");
    }

    #[test]
    fn exec_plugins_are_refused_rather_than_ignored() {
        let user = "    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}";
        let err = load_err(&kubeconfig(INSECURE, user), None);
        assert!(err.contains("exec or auth-provider plugin"), "{err}");
    }

    #[test]
    fn tls_server_name_is_kept_and_checked() {
        let cluster = format!("{INSECURE}\n    tls-server-name: kubernetes.default.svc");
        let config = load_ok(&kubeconfig(&cluster, NO_USER), None);
        assert_eq!(
            config.tls_server_name.as_deref(),
            Some("kubernetes.default.svc")
        );
        let cluster = format!("{INSECURE}\n    tls-server-name: 'no spaces please'");
        assert!(load_err(&kubeconfig(&cluster, NO_USER), None).contains("tls-server-name"));
    }

    #[test]
    fn servers_are_normalized_and_checked() {
        assert_eq!(
            normalize_server("10.0.0.1:6443", false).unwrap(),
            "http://10.0.0.1:6443"
        );
        assert_eq!(
            normalize_server("10.0.0.1:6443", true).unwrap(),
            "https://10.0.0.1:6443"
        );
        assert_eq!(
            normalize_server("https://h/prefix/", true).unwrap(),
            "https://h/prefix"
        );
        assert!(normalize_server("ftp://h", false).is_err());
        assert!(normalize_server("http://h?x=1", false).is_err());
    }

    #[test]
    fn config_new_accepts_http_and_explains_what_https_needs() {
        let config = Config::new("http://127.0.0.1:8080").unwrap();
        assert_eq!(config.server, "http://127.0.0.1:8080");
        let err = Config::new("https://127.0.0.1:6443")
            .unwrap_err()
            .to_string();
        assert!(err.contains("certificate-authority"), "{err}");
    }

    #[test]
    fn in_cluster_needs_both_environment_variables() {
        let dir = Path::new("/nowhere");
        let err = Config::in_cluster_from(Some("10.96.0.1".into()), None, dir).unwrap_err();
        assert!(matches!(err, ConfigError::NotInCluster));
        let err = Config::in_cluster_from(Some(String::new()), Some("443".into()), dir);
        assert!(matches!(err, Err(ConfigError::NotInCluster)));
    }

    #[test]
    fn kubeconfig_precedence_is_flag_then_env_then_home() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&b, "").unwrap();
        std::fs::create_dir(dir.path().join(".kube")).unwrap();
        std::fs::write(dir.path().join(".kube/config"), "").unwrap();
        let home = Some(dir.path());
        let env = std::env::join_paths([&a, &b]).unwrap();

        let chosen = choose_kubeconfig(Some(&a), Some(&env), home);
        assert_eq!(chosen.unwrap(), a, "the flag wins, even for a missing file");
        assert_eq!(choose_kubeconfig(None, Some(&env), home).unwrap(), b);
        let only_missing = a.clone().into_os_string();
        let err = choose_kubeconfig(None, Some(&only_missing), home).unwrap_err();
        assert!(
            err.contains("$KUBECONFIG"),
            "a set $KUBECONFIG hides ~/.kube/config"
        );
        let home_config = dir.path().join(".kube/config");
        assert_eq!(choose_kubeconfig(None, None, home).unwrap(), home_config);
        assert!(choose_kubeconfig(None, None, Some(Path::new("/nowhere"))).is_err());
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let mut config = Config::new("http://h").unwrap();
        config.bearer_token = Some("s3cret".to_string());
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("s3cret") && debug.contains("<redacted>"),
            "{debug}"
        );
    }
}
