//! The window's first overview, read while its web view starts. The page asks for it as soon as
//! its script runs, a few hundred milliseconds after the app starts, and then waited on the read
//! and valuation of every stored balance (~100 ms at 10,000). Nothing writes the store before
//! that first read: the page starts syncing only once it has painted it. So the overview read
//! early is the one the page would have read, but for ages younger by those few hundred
//! milliseconds, which its next re-read puts right.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use holdings::api::{AppResult, Overview};
use tauri::async_runtime::JoinHandle;

/// What the first overview command answers.
pub type FirstOverview = FirstRead<AppResult<Overview>>;

/// A read started before anyone asks, for its first asker alone.
pub struct FirstRead<T>(Mutex<Option<JoinHandle<T>>>);

impl<T: Send + 'static> FirstRead<T> {
    pub fn start(read: impl Future<Output = T> + Send + 'static) -> Self {
        Self(Mutex::new(Some(tauri::async_runtime::spawn(read))))
    }

    /// The early read's answer, to the first caller; `None` to every later one, and to the first
    /// should the read have panicked, so that each reads anew.
    pub async fn take(&self) -> Option<T> {
        let read = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        read.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_caller_alone_gets_the_early_answer() {
        let first = FirstRead::start(async { 7 });
        assert_eq!(first.take().await, Some(7));
        assert_eq!(first.take().await, None);
    }

    #[tokio::test]
    async fn a_read_that_panicked_is_no_answer() {
        let first = FirstRead::<u32>::start(async { panic!("the store is gone") });
        assert_eq!(first.take().await, None);
    }
}
