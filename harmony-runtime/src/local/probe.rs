//! Health probes: TCP connect, and an HTTP(S) GET through the runtime's hyper client.

use std::time::Duration;

use harmony_dsl::resource::Probe;
use tokio::net::TcpStream;

/// Time allowed for one probe attempt.
const ATTEMPT: Duration = Duration::from_secs(2);

/// A probe's URL: `http://` or `https://` with a host.
fn parse_http_url(url: &str) -> Result<hyper::Uri, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("`{url}`: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(format!(
                "`{url}`: only http:// and https:// URLs can be probed"
            ));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("`{url}`: no host"));
    }
    Ok(uri)
}

/// One GET of `uri` through the runtime's HTTP client ([`crate::http`]: hyper, rustls with the
/// system's roots for `https://`): `Ok` on a 2xx answer. Only the status is read.
async fn http_get(uri: hyper::Uri) -> Result<(), String> {
    use http_body_util::Empty;
    use hyper::body::Bytes;
    let request = hyper::Request::get(uri.clone())
        .header(hyper::header::USER_AGENT, "harmony")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("`{uri}`: {e}"))?;
    let answer = if uri.scheme_str() == Some("https") {
        let client = crate::http::client::<Empty<Bytes>>()
            .map_err(|e| format!("cannot load the system's root certificates: {e}"))?;
        client.request(request).await
    } else {
        // Plain http needs no root certificates (a device may have none installed).
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http::<Empty<Bytes>>()
            .request(request)
            .await
    };
    let status = answer
        .map_err(|e| {
            let mut message = format!("GET {uri}: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        })?
        .status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP status {}", status.as_u16()))
    }
}

/// One HTTP GET of `url` (`http://` or `https://`): `Ok` on a 2xx answer, otherwise why not.
pub async fn http_ok(url: &str) -> Result<(), String> {
    let uri = parse_http_url(url)?;
    tokio::time::timeout(ATTEMPT, http_get(uri))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", ATTEMPT.as_secs())))
}

/// The TCP port on this machine `probe` connects to: a TCP probe's, or an HTTP probe's when its
/// host is `localhost` or a loopback address. `None` for another host, whose listener cannot be
/// looked up here.
pub(crate) fn loopback_port(probe: &Probe) -> Option<u16> {
    match probe {
        Probe::Tcp { port } => Some(port.get()),
        Probe::Http { url } => {
            let uri = parse_http_url(url.as_ref()).ok()?;
            let host = uri.host()?;
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            let default = if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            };
            loopback.then_some(uri.port_u16().unwrap_or(default))
        }
    }
}

/// One attempt of `probe`: `Ok` when it passes, otherwise why not.
pub async fn probe_once(probe: &Probe) -> Result<(), String> {
    let attempt = async {
        match probe {
            Probe::Tcp { port } => TcpStream::connect(("127.0.0.1", port.get()))
                .await
                .map(drop)
                .map_err(|e| format!("connect 127.0.0.1:{port}: {e}")),
            Probe::Http { url } => http_get(parse_http_url(url.as_ref())?).await,
        }
    };
    tokio::time::timeout(ATTEMPT, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", ATTEMPT.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn parses_http_and_https_urls() {
        let uri = parse_http_url("http://127.0.0.1:8080/health?x=1").unwrap();
        assert_eq!(uri.host(), Some("127.0.0.1"));
        assert_eq!(uri.port_u16(), Some(8080));
        assert_eq!(uri.path_and_query().unwrap().as_str(), "/health?x=1");
        assert!(parse_http_url("https://example.org/").is_ok());
        let url = |u: &str| Probe::Http {
            url: u.parse().unwrap(),
        };
        assert_eq!(loopback_port(&url("http://localhost:81/")), Some(81));
        assert_eq!(loopback_port(&url("http://[::1]:82/")), Some(82));
        assert_eq!(loopback_port(&url("https://localhost/")), Some(443));
        assert_eq!(loopback_port(&url("http://example.org:83/")), None);
        assert!(
            parse_http_url("ftp://x/")
                .unwrap_err()
                .contains("only http:// and https://")
        );
    }

    #[tokio::test]
    async fn http_probe_checks_the_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            for answer in ["HTTP/1.1 200 OK\r\n\r\nok", "HTTP/1.1 503 Busy\r\n\r\n"] {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let n = conn.read(&mut buf).await.unwrap();
                assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /h HTTP/1.1\r\n"));
                conn.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        let url = format!("http://127.0.0.1:{port}/h");
        assert_eq!(http_ok(&url).await, Ok(()));
        assert_eq!(http_ok(&url).await, Err("HTTP status 503".to_string()));
        server.await.unwrap();
    }

    /// `https://` goes through TLS: a server that speaks plain HTTP on that port fails the
    /// handshake instead of being read as an answer.
    #[tokio::test]
    async fn https_probe_speaks_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let n = conn.read(&mut buf).await.unwrap();
            // A TLS ClientHello: a handshake record (22), TLS major version 3.
            assert_eq!(&buf[..2.min(n)], &[22, 3]);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        });
        let err = http_ok(&format!("https://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(!err.contains("only http"), "{err}");
        if err.contains("root certificates") {
            // No system roots here: the client was not built, so no handshake to look at.
            server.abort();
            return;
        }
        server.await.unwrap();
    }
}
