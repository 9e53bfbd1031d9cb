//! The REST client's retry rules, against a scripted HTTP server: it retries what the server
//! says to retry (429/5xx with Retry-After) and connections that were refused, and nothing else.

use k8s_openapi::api::core::v1::ConfigMap;
use machinery::client::{Api, Client, Config};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CM: &str = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default","resourceVersion":"7"}}"#;

/// One scripted answer: status code, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

fn status(code: u16, reason: &str) -> String {
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"scripted {reason}","reason":"{reason}","code":{code}}}"#
    )
}

/// Serve one scripted answer per connection (each with `Connection: close`), in order; the
/// last answer repeats. Returns the port, a request counter and the request heads seen.
async fn scripted(
    listener: tokio::net::TcpListener,
    answers: Vec<Answer>,
) -> (Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let count = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (c, h) = (count.clone(), heads.clone());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let n = c.fetch_add(1, SeqCst);
            let (code, headers, body) = answers[n.min(answers.len() - 1)].clone();
            let mut buf = vec![0u8; 8192];
            let read = conn.read(&mut buf).await.unwrap_or(0);
            h.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..read]).into_owned());
            let mut resp = format!("HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
            for (k, v) in headers {
                resp.push_str(&format!("{k}: {v}\r\n"));
            }
            resp.push_str("\r\n");
            resp.push_str(&body);
            let _ = conn.write_all(resp.as_bytes()).await;
        }
    });
    (count, heads)
}

async fn api_on(port: u16) -> Api<ConfigMap> {
    let config = Config::new(&format!("http://127.0.0.1:{port}"))
        .expect("config")
        .with_user_agent("kubeling-test/1");
    Api::namespaced(Client::new(config), "default")
}

#[tokio::test]
async fn a_503_with_retry_after_is_retried_until_it_succeeds() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let busy = (
        503,
        vec![("Retry-After", "0".to_string())],
        status(503, "ServiceUnavailable"),
    );
    let (count, heads) = scripted(
        listener,
        vec![busy.clone(), busy, (200, vec![], CM.to_string())],
    )
    .await;
    let cm = api_on(port)
        .await
        .get("c")
        .await
        .expect("succeeds on the third try");
    assert_eq!(cm.metadata.resource_version.as_deref(), Some("7"));
    assert_eq!(count.load(SeqCst), 3);
    assert!(heads.lock().unwrap()[0]
        .to_ascii_lowercase()
        .contains("user-agent: kubeling-test/1"));
}

#[tokio::test]
async fn a_404_is_a_typed_error_and_is_not_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (count, _) = scripted(listener, vec![(404, vec![], status(404, "NotFound"))]).await;
    let err = api_on(port).await.get("c").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.to_string(), "scripted NotFound");
    assert_eq!(count.load(SeqCst), 1);
    assert_eq!(
        api_on(port)
            .await
            .get_opt("c")
            .await
            .expect("None for NotFound"),
        None
    );
}

#[tokio::test]
async fn a_500_without_retry_after_is_not_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (count, _) = scripted(listener, vec![(500, vec![], status(500, "InternalError"))]).await;
    let err = api_on(port).await.get("c").await.unwrap_err();
    assert_eq!(err.code(), Some(500));
    assert_eq!(count.load(SeqCst), 1, "the server did not ask for a retry");
}

#[tokio::test]
async fn a_create_is_retried_while_the_connection_is_refused() {
    // Find a free port, and start serving on it only after the client has begun.
    let port = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        scripted(listener, vec![(201, vec![], CM.to_string())]).await;
        std::future::pending::<()>().await;
    });
    let cm: ConfigMap = serde_json::from_str(CM).unwrap();
    let created = api_on(port)
        .await
        .create(&cm)
        .await
        .expect("created once the server is up");
    assert_eq!(created.metadata.name.as_deref(), Some("c"));
}
