//! The kubeconfig file: its schema and how a context becomes a [`Config`].
//!
//! A kubeconfig names *clusters* (server + how to trust it), *users* (credentials) and
//! *contexts* (a cluster, a user and a default namespace); `current-context` picks one.
//! Relative file paths inside it are relative to the kubeconfig's own directory.
//! Upstream: `k8s.io/client-go/tools/clientcmd/api/types.go` (the schema),
//! `clientcmd/loader.go` (which file, relative paths) and `clientcmd/client_config.go`
//! (context + cluster + user -> `rest.Config`).

use super::config::{Config, ConfigError};
use super::tls::{self, TlsMaterial};
use base64::Engine as _;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which kubeconfig [`Config::infer`] loads; `Err` says where it looked, for the error
/// message if in-cluster config is not available either.
pub(super) fn choose_kubeconfig(
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
pub(super) fn load(
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
pub(super) fn normalize_server(raw: &str, tls_hinted: bool) -> Result<String, ConfigError> {
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
pub(super) fn resolve(base_dir: &Path, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

pub(super) fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::ReadFile {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    })
}

/// A token file holds the token and usually a trailing newline, which must not be sent.
pub(super) fn token_from_bytes(bytes: &[u8], path: &Path) -> Result<String, ConfigError> {
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
pub(super) fn file_or_data(
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
    use crate::client::config::*;

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
