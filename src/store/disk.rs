//! What sled leaves short of the disk: its flush ends with `sync_file_range`, and it never syncs
//! the directories it creates. [`Log`] takes each flush, and the entries of a new data dir, to
//! stable storage.

use std::fs::File;
use std::path::Path;

/// sled's log file (`db/db`), held open to be fdatasync'd after every flush.
pub struct Log {
    file: File,
    /// Test builds: how many of the next syncs fail, as on a disk that returns EIO.
    #[cfg(feature = "fault-injection")]
    failing: std::sync::atomic::AtomicU32,
}

impl Log {
    /// Opens the log of the database in `dir` and syncs the directories that hold it (their
    /// entries are new on the first start).
    ///
    /// # Errors
    /// A message naming the file or directory that could not be opened or synced.
    pub fn open(dir: &Path) -> Result<Self, String> {
        let db = dir.join("db");
        for d in [dir, db.as_path()] {
            File::open(d).and_then(|f| f.sync_all()).map_err(|e| format!("cannot sync {}: {e}", d.display()))?;
        }
        let log = db.join("db");
        let file = File::open(&log).map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        Ok(Self {
            file,
            #[cfg(feature = "fault-injection")]
            failing: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// fdatasync of the log: what sled flushed is on the disk once this returns.
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn sync(&self) -> Result<(), String> {
        #[cfg(feature = "fault-injection")]
        {
            use std::sync::atomic::Ordering;
            if self.failing.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok() {
                return Err("fdatasync of the database log failed: injected fault (EIO)".into());
            }
        }
        self.file.sync_data().map_err(|e| format!("fdatasync of the database log failed: {e}"))
    }

    /// Test builds: the next `n` syncs fail.
    #[cfg(feature = "fault-injection")]
    pub fn fail_next_syncs(&self, n: u32) {
        self.failing.store(n, std::sync::atomic::Ordering::Release);
    }
}
