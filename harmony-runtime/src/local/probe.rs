//! Health probes: TCP connect, and a minimal HTTP/1.1 GET written over a tokio `TcpStream`.

use std::time::Duration;

use harmony_dsl::resource::Probe;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Time allowed for one probe attempt.
const ATTEMPT: Duration = Duration::from_secs(2);

/// An `http://host[:port]/path` URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HttpTarget {
    host: String,
    port: u16,
    path: String,
}

fn parse_http_url(url: &str) -> Result<HttpTarget, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}`: only http:// URLs can be probed"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let bad_port = |p: &str| {
        p.parse::<u16>()
            .map_err(|e| format!("`{url}`: bad port: {e}"))
    };
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("`{url}`: unclosed `[`"))?;
        match after.strip_prefix(':') {
            Some(port) => (host, bad_port(port)?),
            None => (host, 80),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, bad_port(port)?),
            None => (authority, 80),
        }
    };
    if host.is_empty() {
        return Err(format!("`{url}`: no host"));
    }
    Ok(HttpTarget {
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

async fn http_get(target: &HttpTarget) -> Result<(), String> {
    let mut stream = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| format!("connect {}:{}: {e}", target.host, target.port))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: harmony\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        target.path, target.host, target.port
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send request: {e}"))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read answer: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > 8192 {
            break;
        }
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or_default();
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| line.starts_with("HTTP/1."))
        .ok_or_else(|| format!("not an HTTP answer: `{line}`"))?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP status {status}"))
    }
}

/// One HTTP GET of `url` (http:// only): `Ok` on a 2xx answer, otherwise why not.
pub async fn http_ok(url: &str) -> Result<(), String> {
    let target = parse_http_url(url)?;
    tokio::time::timeout(ATTEMPT, http_get(&target))
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
            let target = parse_http_url(url.as_ref()).ok()?;
            let host = target.host.as_str();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            loopback.then_some(target.port)
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
            Probe::Http { url } => http_get(&parse_http_url(url.as_ref())?).await,
        }
    };
    tokio::time::timeout(ATTEMPT, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", ATTEMPT.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_urls() {
        assert_eq!(
            parse_http_url("http://127.0.0.1:8080/health?x=1").unwrap(),
            HttpTarget {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/health?x=1".into()
            }
        );
        assert_eq!(
            parse_http_url("http://localhost").unwrap(),
            HttpTarget {
                host: "localhost".into(),
                port: 80,
                path: "/".into()
            }
        );
        assert_eq!(parse_http_url("http://[::1]:9/").unwrap().host, "::1");
        let url = |u: &str| Probe::Http {
            url: u.parse().unwrap(),
        };
        assert_eq!(loopback_port(&url("http://localhost:81/")), Some(81));
        assert_eq!(loopback_port(&url("http://[::1]:82/")), Some(82));
        assert_eq!(loopback_port(&url("http://example.org:83/")), None);
        assert!(
            parse_http_url("https://x/")
                .unwrap_err()
                .contains("only http://")
        );
    }

    #[tokio::test]
    async fn http_probe_checks_the_status_line() {
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
        let target = HttpTarget {
            host: "127.0.0.1".into(),
            port,
            path: "/h".into(),
        };
        assert_eq!(http_get(&target).await, Ok(()));
        assert_eq!(http_get(&target).await, Err("HTTP status 503".to_string()));
        server.await.unwrap();
    }
}
