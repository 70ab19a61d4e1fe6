//! A panic in one sweep, caught: it becomes that sweep's error, logged and reported like any
//! other, and never ends the scheduler, the other chains' sweeps or the app.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

/// Runs `work`, turning a panic in it into an error that names it a bug.
pub(super) async fn caught<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    // Unwind safety: what a sweep shares (the store, the cache, the pools) is behind locks that
    // tolerate poisoning, and its leases are released by the caller on any error.
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            tracing::error!(panic = %message, "a sweep stopped on a bug");
            Err(anyhow::anyhow!("the sweep stopped on a bug: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_that_says_so() {
        let outcome = caught(async {
            // The slicing that once panicked on a Solana mint of non-ASCII text.
            let mint = std::hint::black_box("é1");
            Ok(mint[..1].len())
        })
        .await;
        let error = outcome.unwrap_err().to_string();
        assert!(
            error
                .starts_with("the sweep stopped on a bug: end byte index 1 is not a char boundary"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn what_does_not_panic_passes_through() {
        assert_eq!(caught(async { Ok(7) }).await.unwrap(), 7);
        let failed: anyhow::Result<()> = caught(async { anyhow::bail!("no endpoint") }).await;
        assert_eq!(failed.unwrap_err().to_string(), "no endpoint");
    }
}
