//! A cloneable cancellation token: once cancelled, the executor starts nothing new.

use tokio_util::sync::CancellationToken;

/// Cancels a run. Clones share the same state; cancelling any clone cancels all. A
/// [`CancellationToken`] of `tokio-util` with the runtime's signal handling added.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: CancellationToken,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the run. Idempotent.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// Completes once the token is cancelled (immediately if it already is).
    pub async fn cancelled(&self) {
        self.inner.cancelled().await;
    }

    /// Cancels the token on Ctrl-C (SIGINT) or SIGTERM, from a background task. A second
    /// signal exits the process at once with code 130 (the state is saved after every step).
    pub fn cancel_on_signals(&self) {
        let token = self.clone();
        tokio::spawn(async move {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(e) => {
                        tracing::warn!("cannot listen for SIGTERM: {e}");
                        let _ = tokio::signal::ctrl_c().await;
                        token.cancel();
                        return;
                    }
                };
            let mut signals = 0;
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                signals += 1;
                if signals == 1 {
                    eprintln!(
                        "interrupted: starting nothing new, waiting for running steps (again to exit now)"
                    );
                    tracing::warn!("cancelled by signal");
                    token.cancel();
                } else {
                    eprintln!("interrupted again: exiting now");
                    std::process::exit(130);
                }
            }
        });
    }
}
