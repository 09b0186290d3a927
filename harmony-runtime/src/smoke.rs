//! The prober that performs scores' smoke tests ([`harmony_dsl::smoke`]): HTTP GETs, TCP
//! connects and custom checks, on tokio. [`cli`](crate::cli) installs it; call [`install`] when
//! running plans through the executor directly.

use std::sync::Arc;
use std::time::Duration;

use harmony_dsl::BoxFuture;
use harmony_dsl::smoke::{Check, Prober};

/// Performs checks on the tokio runtime.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioProber;

/// How long one try may take.
const TRY_TIMEOUT: Duration = Duration::from_secs(5);

impl Prober for TokioProber {
    fn probe<'a>(&'a self, check: &'a Check) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            match check {
                Check::Http { url } => crate::local::http_ok(url.as_ref())
                    .await
                    .map(|()| "2xx".to_string()),
                Check::Tcp { host, port } => {
                    let connect = tokio::net::TcpStream::connect((host.as_str(), port.get()));
                    match tokio::time::timeout(TRY_TIMEOUT, connect).await {
                        Ok(Ok(_)) => Ok(format!("connected to {host}:{port}")),
                        Ok(Err(e)) => Err(format!("connect {host}:{port}: {e}")),
                        Err(_) => Err(format!("connect {host}:{port}: no answer within 5s")),
                    }
                }
                Check::Custom { run: Some(run), .. } => run().await,
                Check::Custom { name, run: None } => Err(format!(
                    "custom check `{name}` is code and is not kept in a saved plan: run it from the program that defines it"
                )),
            }
        })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Installs [`TokioProber`] for smoke tests (idempotent).
pub fn install() {
    harmony_dsl::smoke::install_prober(Arc::new(TokioProber));
}
