//! Why an image container could not be opened or read: every message names the image file
//! and, where one is at fault, the file offset, and says what is wrong in a sentence.

use crate::input::InputError;
use std::io;
use std::path::PathBuf;

/// Why a disk image could not be opened (or, wrapped in an [`io::Error`], read).
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// The image (or a VMDK extent it names) is not a readable regular file.
    #[error(transparent)]
    Input(#[from] InputError),

    /// A read of the image file failed.
    #[error("{}: cannot read {len} bytes at offset {offset:#x} (the {what}): {source}", path.display())]
    Read {
        /// The image file.
        path: PathBuf,
        /// What was being read (`VHD footer`, `QCOW2 L2 table entry`).
        what: String,
        /// Where in the file.
        offset: u64,
        /// How many bytes.
        len: u64,
        /// The OS error (or the end of the file).
        #[source]
        source: io::Error,
    },

    /// A structure the image's metadata points to lies (partly) past the end of the file.
    #[error("{}: the {what} at offset {offset:#x} ({len} bytes) reaches past the end of the file ({size} bytes); the image is truncated or damaged", path.display())]
    Truncated {
        /// The image file.
        path: PathBuf,
        /// What lies there (`grain directory`, `BAT region`).
        what: String,
        /// Where it starts in the file.
        offset: u64,
        /// Its length.
        len: u64,
        /// The file's size.
        size: u64,
    },

    /// The metadata is inconsistent or out of range: a damaged or hostile image.
    #[error("{}: offset {offset:#x}: {detail}", path.display())]
    Invalid {
        /// The image file.
        path: PathBuf,
        /// The file offset of the faulty field or structure.
        offset: u64,
        /// What is wrong, as a sentence.
        detail: String,
    },

    /// A valid image that uses something tlsreg does not read (a parent disk, a backing
    /// file, compression, encryption, a log to replay).
    #[error("{}: {detail}", path.display())]
    Unsupported {
        /// The image file.
        path: PathBuf,
        /// What it uses and what to do about it, as a sentence.
        detail: String,
    },

    /// Reading the disk's bytes at a disk offset failed (a read of a [`super::Container`]'s
    /// disk returns this inside an [`io::Error`]).
    #[error("{}: cannot read the virtual disk at disk offset {disk_offset:#x}: {source}", path.display())]
    Disk {
        /// The image file.
        path: PathBuf,
        /// The offset in the virtual disk.
        disk_offset: u64,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ContainerError {
    /// This error as an [`io::Error`] (what [`crate::source::ReadAt`] returns), keeping the
    /// kind of an I/O error inside (so the end of a truncated file stays `UnexpectedEof`).
    pub fn into_io(self) -> io::Error {
        let kind = match &self {
            ContainerError::Read { source, .. } => source.kind(),
            ContainerError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            ContainerError::Disk { source, .. } => source
                .downcast_ref::<io::Error>()
                .map_or(io::ErrorKind::InvalidData, io::Error::kind),
            ContainerError::Unsupported { .. } => io::ErrorKind::Unsupported,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }
}
