//! The REST client: how every kubeling component talks to an API server (ours or kind's).
//!
//! Two layers, as in client-go:
//!
//! - [`Client`] sends HTTP requests: it adds the user agent and bearer token, waits for the
//!   client-side rate limiter (a token bucket, 50 requests/s with bursts of 100 by default, so a
//!   buggy controller cannot flood the server), retries what is safe to retry, and turns every
//!   error answer into a typed [`ApiError`] read from the server's `Status`.
//!   Mirrors `k8s.io/client-go/rest/{client,request}.go`.
//! - [`Api<K>`](api::Api) knows Kubernetes URLs: `Api::<Pod>::namespaced(client, "default")`
//!   gets, lists, watches, creates, updates, patches and deletes pods, with k8s-openapi types.
//!   Mirrors the typed clientsets (`k8s.io/client-go/kubernetes/typed/...`).

pub mod api;
pub mod config;
pub mod kubeconfig;
pub mod tls;

pub use api::{Api, DeleteParams, ListParams, Object, Patch};
pub use config::Config;

use crate::flowcontrol::TokenBucket;
use crate::ApiError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;

/// How many times a retryable request is retried (client-go's default `maxRetries`).
const MAX_RETRIES: u32 = 10;

/// What can go wrong talking to an API server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The server answered with an error `Status` (404, 409, 422, ...).
    #[error("{0}")]
    Api(ApiError),
    /// No answer: connection refused, reset, TLS failure, timeout.
    #[error("cannot reach the API server: {0}")]
    Transport(String),
    /// An answer we could not read as the type we expected.
    #[error("unexpected answer from the API server: {0}")]
    Decode(String),
}

impl Error {
    /// The HTTP code of an `Api` error (e.g. 404), if this is one.
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.code),
            _ => None,
        }
    }

    /// 404 NotFound.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }

    /// 409 Conflict (a stale resourceVersion).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Api(e) if e.reason == "Conflict")
    }

    /// 409 AlreadyExists.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Error::Api(e) if e.reason == "AlreadyExists")
    }

    /// 410 Gone / Expired: history was compacted; list again.
    pub fn is_expired(&self) -> bool {
        self.code() == Some(410)
    }
}

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// A client for one API server. Cloning is cheap and shares the connection pool and limiter.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: HttpClient<Https, Full<Bytes>>,
    limiter: TokenBucket,
}

/// A streaming response body (watches, logs).
pub type Body = hyper::body::Incoming;

impl Client {
    /// A client for `config`.
    pub fn new(config: Config) -> Client {
        let http = HttpClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(config::https_connector(&config));
        let limiter = TokenBucket::new(config.qps, config.burst);
        Client {
            inner: Arc::new(Inner {
                config,
                http,
                limiter,
            }),
        }
    }

    /// The configuration this client was made from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The namespace the kubeconfig's context names ("default" if none).
    pub fn default_namespace(&self) -> &str {
        &self.inner.config.default_namespace
    }

    /// Send one request and read the whole answer. Non-2xx answers become [`Error::Api`].
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes, Error> {
        let resp = self
            .send_streaming(method, path, content_type, body)
            .await?;
        resp.into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .map_err(|e| Error::Transport(e.to_string()))
    }

    /// Send one request and return the response with its body unread (watches, logs).
    pub async fn send_streaming(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Result<hyper::Response<Body>, Error> {
        let body = Bytes::from(body.unwrap_or_default());
        let mut attempt = 0;
        loop {
            self.inner.limiter.acquire().await;
            let result = self.once(&method, path, content_type, body.clone()).await;
            let retry_after = match &result {
                Ok(resp) if resp.status().is_success() => None,
                // Only answers that say "try again later" are retried: the server did not act.
                Ok(resp) if matches!(resp.status().as_u16(), 429 | 500..=599) => retry_after(resp),
                Ok(_) => None,
                // Refused: nothing reached the server, so any verb may be retried. Other
                // transport errors are retried only for reads, which cannot do harm twice.
                Err(TransportError { refused, .. }) if *refused || method == Method::GET => {
                    Some(backoff(attempt))
                }
                Err(_) => None,
            };
            match (retry_after, attempt < MAX_RETRIES) {
                (Some(wait), true) => {
                    attempt += 1;
                    tracing::debug!(%method, path, attempt, ?wait, "retrying request");
                    tokio::time::sleep(wait).await;
                }
                _ => return finish(result).await,
            }
        }
    }

    async fn once(
        &self,
        method: &Method,
        path: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<hyper::Response<Body>, TransportError> {
        let config = &self.inner.config;
        let mut req = hyper::Request::builder()
            .method(method.clone())
            .uri(format!("{}{}", config.server, path))
            .header("user-agent", &config.user_agent)
            .header("accept", "application/json");
        if !body.is_empty() {
            req = req.header("content-type", content_type);
        }
        if let Some(token) = &config.bearer_token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let req = req.body(Full::new(body)).map_err(|e| TransportError {
            message: e.to_string(),
            refused: false,
        })?;
        let sent = self.inner.http.request(req);
        let result = match config.timeout {
            Some(limit) => tokio::time::timeout(limit, sent)
                .await
                .map_err(|_| TransportError {
                    message: format!("no answer within {limit:?}"),
                    refused: false,
                })?,
            None => sent.await,
        };
        result.map_err(|e| {
            let message = error_chain(&e);
            let refused = message.contains("Connection refused");
            TransportError { message, refused }
        })
    }
}

struct TransportError {
    message: String,
    refused: bool,
}

/// Turn the last attempt into the caller's result, reading error bodies as `Status`.
async fn finish(
    result: Result<hyper::Response<Body>, TransportError>,
) -> Result<hyper::Response<Body>, Error> {
    let resp = result.map_err(|e| Error::Transport(e.message))?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let code = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Err(Error::Api(status_error(code, &body)))
}

/// The `ApiError` an error answer carries; a non-Status body still gets a sensible error.
fn status_error(code: StatusCode, body: &[u8]) -> ApiError {
    serde_json::from_slice(body)
        .ok()
        .and_then(|v| ApiError::from_status(&v))
        .unwrap_or_else(|| {
            let mut e = ApiError::internal(String::from_utf8_lossy(body).into_owned());
            e.code = code.as_u16();
            e.reason = code.canonical_reason().unwrap_or("Unknown").to_string();
            e.message = format!(
                "the server answered {code}: {}",
                String::from_utf8_lossy(body).trim()
            );
            e
        })
}

/// The wait a 429/5xx answer asks for (`Retry-After`), or `None` when it does not invite a retry.
fn retry_after(resp: &hyper::Response<Body>) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs.min(60)))
}

/// Exponential backoff with jitter: about 100 ms, 200 ms, 400 ms ... capped at 10 s.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(7)).min(10_000);
    let jitter = rand::random::<u64>() % (base / 2 + 1);
    Duration::from_millis(base + jitter)
}

/// hyper's errors hide their cause; walk the chain for a readable message.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_with_a_status_becomes_a_typed_error() {
        let body = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"p\" not found","reason":"NotFound","code":404}"#;
        let err = Error::Api(status_error(StatusCode::NOT_FOUND, body));
        assert!(err.is_not_found());
        assert_eq!(err.to_string(), "pods \"p\" not found");
    }

    #[test]
    fn an_error_answer_without_a_status_keeps_its_code_and_text() {
        let e = status_error(StatusCode::BAD_GATEWAY, b"upstream broke");
        assert_eq!((e.code, e.reason.as_str()), (502, "Bad Gateway"));
        assert!(e.message.contains("upstream broke"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(
            backoff(0) >= Duration::from_millis(100) && backoff(0) <= Duration::from_millis(150)
        );
        assert!(backoff(3) >= Duration::from_millis(800));
        assert!(backoff(30) <= Duration::from_millis(15_000));
    }
}
