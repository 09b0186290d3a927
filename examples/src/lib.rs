//! Support code for the example infrastructure files in `src/bin/`.

pub mod static_site {
    //! A tiny static HTTP server, so the quickstart serves a real page with nothing installed:
    //! the quickstart binary runs itself as `quickstart serve CONFIG` under the supervisor.

    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::{Path, PathBuf};

    /// `serve CONFIG`: a tiny static HTTP server reading `port` and `root` from CONFIG.
    pub fn serve(config: &Path) -> Result<(), String> {
        let text =
            std::fs::read_to_string(config).map_err(|e| format!("{}: {e}", config.display()))?;
        let mut port = None;
        let mut root = PathBuf::from(".");
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "port" => port = value.parse::<u16>().ok(),
                "root" => root = PathBuf::from(value),
                _ => {}
            }
        }
        let port = port.ok_or("config has no valid `port`")?;
        let listener =
            TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("bind port {port}: {e}"))?;
        println!("serving {} on http://127.0.0.1:{port}/", root.display());
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = answer(conn, &root);
            });
        }
        Ok(())
    }

    fn answer(mut conn: TcpStream, root: &Path) -> std::io::Result<()> {
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut request = String::new();
        reader.read_line(&mut request)?;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
                break;
            }
        }
        let path = request.split_whitespace().nth(1).unwrap_or("/");
        let path = path
            .split('?')
            .next()
            .unwrap_or("/")
            .trim_start_matches('/');
        let path = if path.is_empty() { "index.html" } else { path };
        let safe = !path.split('/').any(|part| part == ".." || part.is_empty());
        let (status, body) = match safe.then(|| std::fs::read(root.join(path))) {
            Some(Ok(body)) => ("200 OK", body),
            _ => ("404 Not Found", b"not found\n".to_vec()),
        };
        write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        conn.write_all(&body)
    }
}
