//! [`HiveError`]: why a hive cannot be read, with the file offset of the fault when known.

use std::path::PathBuf;

/// Why a hive cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HiveError {
    #[error("{path}: cannot read the hive: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: offset {offset:#010x}: {message}")]
    Corrupt {
        path: PathBuf,
        offset: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}
