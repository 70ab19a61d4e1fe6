//! Which engines are alive. Each running engine holds an exclusive OS lock on a file of its own in
//! `instances/`; the OS drops the lock the moment the process dies, however it dies. So any engine
//! can tell at once that another has crashed, and take back the rows it had leased, instead of
//! waiting for the leases to expire.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

use crate::clock::{Clock, SystemClock};

/// This process's registration; unregistered when dropped.
#[derive(Debug)]
pub struct Instance {
    id: String,
    path: PathBuf,
    _lock: File,
}

impl Instance {
    /// Registers a new instance in `data_dir`.
    pub fn register(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join("instances");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // Unique even for engines opened by one process in the same millisecond.
        static OPENED: AtomicU64 = AtomicU64::new(0);
        let id = format!(
            "{}-{}-{}",
            std::process::id(),
            SystemClock.now(),
            OPENED.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(format!("{id}.lock"));
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        file.try_lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(Self {
            id,
            path,
            _lock: file,
        })
    }

    /// The id this instance leases rows under.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The ids of instances registered in `data_dir` whose process is gone. Their lock files are
    /// removed; the caller releases their leases.
    pub fn find_dead(&self) -> Vec<String> {
        let Some(dir) = self.path.parent() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut dead = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(id) = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .map(str::to_owned)
            else {
                continue;
            };
            if id == self.id || path.extension().is_none_or(|extension| extension != "lock") {
                continue;
            }
            let Ok(file) = File::open(&path) else {
                continue;
            };
            match file.try_lock() {
                Ok(()) => {
                    // Nobody holds it: its process is gone.
                    let _ = std::fs::remove_file(&path);
                    dead.push(id);
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(err)) => {
                    tracing::warn!(path = %path.display(), %err, "cannot check an instance")
                }
            }
        }
        dead
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_instance_is_not_dead_and_a_released_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let first = Instance::register(dir.path()).unwrap();
        let second = Instance::register(dir.path()).unwrap();
        assert!(first.find_dead().is_empty(), "both hold their locks");
        // A crashed process leaves its file behind, unlocked.
        let crashed = dir.path().join("instances/4242-1.lock");
        std::fs::write(&crashed, "").unwrap();
        assert_eq!(second.find_dead(), ["4242-1"]);
        assert!(!crashed.exists());
        drop(first);
        assert!(
            second.find_dead().is_empty(),
            "a clean exit removes its own file"
        );
    }
}
