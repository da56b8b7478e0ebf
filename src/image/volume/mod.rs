//! Partitions, NTFS volumes and the Windows installations on them: from a disk's bytes (a
//! [`ReadAt`] the container layer gives) to the SYSTEM and SOFTWARE hives and their logs,
//! each again a [`ReadAt`] that reads only the clusters asked for. Nothing is written and
//! nothing is mounted.
//!
//! - [`partition`]: GPT (with the backup header when the primary is damaged), MBR with its
//!   extended partitions, or no table at all (a bare volume);
//! - [`ntfs`]: one NTFS volume, paths looked up case-insensitively, a file's data mapped
//!   through its data runs;
//! - [`windows`]: which volumes hold `Windows\System32\config`, and why the others do not
//!   (BitLocker, dynamic disks, Storage Spaces, other file systems).
//!
//! Every error names the image (the label the caller gives) and the offset it is about.

pub mod ntfs;
pub mod partition;
pub mod windows;

pub use partition::{PartitionInfo, Scheme, Table};
pub use windows::{find_windows, scan, HiveSource, Scan, SkipReason, Skipped, WindowsVolume};

#[cfg(doc)]
use crate::source::ReadAt;

/// What can go wrong between a disk's bytes and its hives. Each message names the image and
/// the offset (in the disk, unless it says "volume offset").
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// The disk (or a volume on it) could not be read where a structure should be.
    #[error("{label}: cannot read {what} at offset {offset:#x}: {source}")]
    Io {
        /// The image, as the caller names it.
        label: String,
        /// What was being read (`"the first sector"`).
        what: String,
        /// Its byte offset in the disk.
        offset: u64,
        /// The read error.
        source: std::io::Error,
    },
    /// A partition table that cannot be used at all (both GPT headers damaged, a protective
    /// MBR without a GPT).
    #[error("{label}: offset {offset:#x}: {message}")]
    Table {
        /// The image, as the caller names it.
        label: String,
        /// The byte offset in the disk the problem is at (0 for the disk as a whole).
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// An NTFS volume whose structures cannot be read.
    #[error("{label}: the NTFS volume at offset {volume:#x}: {message}")]
    Ntfs {
        /// The image, as the caller names it.
        label: String,
        /// The byte offset in the disk where the volume starts.
        volume: u64,
        /// What is wrong.
        message: String,
    },
    /// A file on an NTFS volume that tlsreg cannot read (compressed, encrypted, a data run
    /// outside the volume).
    #[error("{label}: the NTFS volume at offset {volume:#x}: {path}: {message}")]
    File {
        /// The image, as the caller names it.
        label: String,
        /// The byte offset in the disk where the volume starts.
        volume: u64,
        /// The file's path on the volume (`Windows\System32\config\SYSTEM`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No volume of the disk holds a Windows installation; `looked` says why, partition
    /// by partition.
    #[error("{label}: no Windows installation found: {headline}; {}", looked.join("; "))]
    NoWindows {
        /// The image, as the caller names it.
        label: String,
        /// The most telling reason, in a few words (`no NTFS partition`,
        /// `partition 2 is BitLocker-encrypted`, ...).
        headline: String,
        /// Each partition looked at and why it was set aside ([`Skipped::describe`]), then the
        /// notes, each prefixed `note: `.
        looked: Vec<String>,
    },
}
