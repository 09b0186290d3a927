//! What may be printed: credentials in URLs masked, terminal control characters escaped, and the
//! logging filter that keeps other crates' debug and trace output (request and message payloads)
//! off the operator's terminal at any verbosity.

use std::borrow::Cow;
use std::fmt::Write as _;

pub use harmony_dsl::value::mask_url_credentials;

/// `text` with terminal control characters escaped (`ESC` is shown as `\u{1b}`), so that a file's
/// content shown in a plan cannot move the cursor, clear the screen or retitle the terminal.
/// Tabs are kept; bidirectional overrides and zero-width characters are escaped too.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether events of `target` (a module path) may be shown at `level`: Harmony's own at any
/// level, other crates' (NATS, Kubernetes, HTTP, TLS, PostgreSQL clients, which log messages and
/// request bodies at debug and trace) at info and above only.
pub fn log_allowed(target: &str, level: &tracing::Level) -> bool {
    target.starts_with("harmony") || *level <= tracing::Level::INFO
}

/// Sets up logging on stderr: `verbose` 0 warnings, 1 info, 2 debug, 3+ trace (`RUST_LOG`
/// overrides), other crates capped at info whatever is asked ([`log_allowed`]), and every line
/// passed through [`mask_url_credentials`].
pub fn init_logging(verbose: u8) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::{EnvFilter, Layer as _};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(match verbose {
            // The Kubernetes client logs every failed request at ERROR, retried or not; the step
            // report already says what failed. `-v` shows them.
            0 => "warn,kube_client=off",
            1 => "info",
            2 => "debug",
            _ => "trace",
        })
    });
    let cap =
        tracing_subscriber::filter::filter_fn(|meta| log_allowed(meta.target(), meta.level()));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(|| MaskingWriter(std::io::stderr()))
        // No colours: every escape sequence in a log line then comes from logged data, and is
        // shown escaped.
        .with_ansi(false)
        .with_target(false)
        .with_filter(cap)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Writes log lines with URL credentials masked.
struct MaskingWriter<W>(W);

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let masked = mask_url_credentials(&text);
        self.0.write_all(escape_log(&masked).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Control characters escaped in a log line, the line's own newline kept.
fn escape_log(text: &str) -> Cow<'_, str> {
    match text.strip_suffix('\n') {
        Some(line) => match escape_control(line) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(mut escaped) => {
                escaped.push('\n');
                Cow::Owned(escaped)
            }
        },
        None => escape_control(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\x1b[2Jb\tc"), "a\\u{1b}[2Jb\tc");
        assert_eq!(escape_control("x\u{202e}y\r"), "x\\u{202e}y\\u{d}");
        assert_eq!(escape_log("ok\n"), "ok\n");
    }

    #[test]
    fn other_crates_are_capped_at_info() {
        use tracing::Level;
        assert!(!log_allowed("async_nats::connector", &Level::TRACE));
        assert!(!log_allowed("async_nats", &Level::DEBUG));
        assert!(log_allowed("async_nats", &Level::INFO));
        assert!(log_allowed("harmony_runtime::executor", &Level::TRACE));
    }
}
