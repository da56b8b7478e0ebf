//! [`HiveError`]: why a hive cannot be read, with the file offset of the fault when known.

use std::path::PathBuf;

/// Why a hive cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HiveError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the hive: {source}")]
    Io {
        /// The hive's path, or its name inside a disk image (`IMAGE: partition N: PATH`).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are damaged or not a hive, at a known place.
    #[error("{path}: offset {offset:#010x}: {message}")]
    Corrupt {
        /// The hive's path, or its name inside a disk image.
        path: PathBuf,
        /// The byte offset of the fault from the start of the file (of the hive as replayed from
        /// its logs, when it was dirty).
        offset: usize,
        /// What is wrong there.
        message: String,
    },
    /// The hive cannot be read, at no particular offset: not a regular file, too large, a
    /// `Select\Current` naming a missing control set, a cycle or runaway nesting in the subkey
    /// lists, a reader panic.
    #[error("{path}: {message}")]
    Invalid {
        /// The hive's path, or its name inside a disk image.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
