//! What sled leaves short of the disk: its flush ends with `sync_file_range`, and it never syncs
//! the directories it creates. [`Log`] takes each flush, and the entries of a new data dir, to
//! stable storage.

use std::fs::File;
use std::path::Path;

/// sled's log file (`db/db`), held open to be fdatasync'd after every flush.
pub struct Log(File);

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
        File::open(&log).map(Self).map_err(|e| format!("cannot open {}: {e}", log.display()))
    }

    /// fdatasync of the log: what sled flushed is on the disk once this returns.
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn sync(&self) -> Result<(), String> {
        self.0.sync_data().map_err(|e| format!("fdatasync of the database log failed: {e}"))
    }
}
