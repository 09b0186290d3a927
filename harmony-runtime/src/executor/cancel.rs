//! A cloneable cancellation token: once cancelled, the executor starts nothing new.

use std::sync::Arc;

use tokio::sync::watch;

/// Cancels a run. Clones share the same state; cancelling any clone cancels all.
#[derive(Debug, Clone)]
pub struct CancelToken {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken {
            sender: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Cancels the run. Idempotent.
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        *self.sender.borrow()
    }

    /// Completes once the token is cancelled (immediately if it already is).
    pub async fn cancelled(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as `self`, so `wait_for` cannot fail with a closed channel.
        let _ = receiver.wait_for(|cancelled| *cancelled).await;
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
