//! Which engines are alive. Each running engine holds an exclusive OS lock on a file of its own in
//! `instances/`; the OS drops the lock the moment the process dies, however it dies. So any engine
//! can tell at once that another has crashed, and take back the rows it had leased, instead of
//! waiting for the leases to expire.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

use crate::clock::{Clock, SystemClock};

/// This process's registration.
#[derive(Debug)]
pub struct Instance {
    id: String,
    path: PathBuf,
    _lock: File,
}

/// An instance whose process is gone; its lock is held here until its leases are released.
#[derive(Debug)]
pub struct DeadInstance {
    id: String,
    path: PathBuf,
    _lock: File,
}

impl Instance {
    /// Registers a new instance in `data_dir`. The lock file is locked before it takes its name,
    /// so no other process can ever see it unlocked and take it for dead.
    pub fn register(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join("instances");
        crate::data_dir::create_private_dir(&dir)
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
        let staging = dir.join(format!("{id}.new"));
        let file = File::create(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        file.try_lock()
            .with_context(|| format!("cannot lock {}", staging.display()))?;
        std::fs::rename(&staging, &path)
            .with_context(|| format!("cannot create {}", path.display()))?;
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

    /// Instances registered beside this one whose process is gone.
    pub fn find_dead(&self) -> Vec<DeadInstance> {
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
                // Nobody holds it: its process is gone.
                Ok(()) => dead.push(DeadInstance {
                    id,
                    path,
                    _lock: file,
                }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(err)) => {
                    tracing::warn!(path = %path.display(), %err, "cannot check an instance")
                }
            }
        }
        dead
    }

    /// Removes the registration, once this instance's leases are released. An instance dropped
    /// without it (a panic) leaves its file, unlocked, for the next one to clean up.
    pub fn unregister(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl DeadInstance {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Removes its registration; call once its leases are released.
    pub fn forget(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(dead: Vec<DeadInstance>) -> Vec<String> {
        dead.into_iter()
            .map(|instance| instance.id().to_owned())
            .collect()
    }

    #[test]
    fn a_live_instance_is_not_dead_and_a_released_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let first = Instance::register(dir.path()).unwrap();
        let second = Instance::register(dir.path()).unwrap();
        assert!(first.find_dead().is_empty(), "both hold their locks");
        // A crashed process leaves its file behind, unlocked.
        let crashed = dir.path().join("instances/4242-1-0.lock");
        std::fs::write(&crashed, "").unwrap();
        let dead = second.find_dead();
        assert_eq!(
            dead.iter().map(DeadInstance::id).collect::<Vec<_>>(),
            ["4242-1-0"]
        );
        assert!(crashed.exists(), "still there until forgotten");
        dead.into_iter().for_each(DeadInstance::forget);
        assert!(!crashed.exists());
        first.unregister();
        drop(first);
        assert!(
            second.find_dead().is_empty(),
            "a clean exit removes its own file"
        );
    }

    #[test]
    fn a_dropped_instance_is_found_dead() {
        let dir = tempfile::tempdir().unwrap();
        let survivor = Instance::register(dir.path()).unwrap();
        let crashed = Instance::register(dir.path()).unwrap();
        let id = crashed.id().to_owned();
        drop(crashed); // its lock goes with it, its file stays
        assert_eq!(ids(survivor.find_dead()), [id]);
    }
}
