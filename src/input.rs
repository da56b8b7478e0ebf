//! Opening input files safely: only regular files, never blocking on a FIFO, never reading
//! past a size bound derived from the format (a device such as `/dev/zero` never ends).
//!
//! Every reader of a user-named input (profiles, `.reg` files, hives, logs, roots files)
//! opens it through [`open`] or [`read`], so "it must be a regular file of sane size" is
//! decided in one place.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an input could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not found, no permission, a read error.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The input.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A directory, FIFO, socket or device: reading it could block forever or never end.
    #[error("cannot read {}: it is a {kind}, not a regular file", path.display())]
    NotAFile {
        /// The input.
        path: PathBuf,
        /// What it is instead (`directory`, `FIFO`, `character device`, ...).
        kind: &'static str,
    },
    /// Larger than its format allows.
    #[error("cannot read {}: it is {size} bytes; {what} may be at most {limit} bytes", path.display())]
    TooLarge {
        /// The input.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
        /// What kind of input, for the message (`a .reg file`).
        what: &'static str,
    },
}

impl InputError {
    /// The input this error is about.
    pub fn path(&self) -> &Path {
        match self {
            InputError::Io { path, .. }
            | InputError::NotAFile { path, .. }
            | InputError::TooLarge { path, .. } => path,
        }
    }
}

/// What a file that is not a regular file is, in words.
pub fn kind_of(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "directory";
    }
    if ft.is_symlink() {
        return "symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_char_device() {
            return "character device";
        }
        if ft.is_block_device() {
            return "block device";
        }
        if ft.is_socket() {
            return "socket";
        }
    }
    "special file"
}

/// Opens `path` (symbolic links followed) for reading, only if it is a regular file. The
/// file type is checked before opening (opening a FIFO for reading blocks until a writer
/// comes) and again on the open handle, so a swap in between is caught too.
pub fn open(path: &Path) -> Result<(File, Metadata), InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_file = |meta: &Metadata| InputError::NotAFile {
        path: path.to_path_buf(),
        kind: kind_of(meta),
    };
    let before = std::fs::metadata(path).map_err(io)?;
    if !before.is_file() {
        return Err(not_file(&before));
    }
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_file(&meta));
    }
    Ok((file, meta))
}

/// Reads the whole regular file at `path`, refusing one larger than `limit` bytes (checked
/// on its size, and the read itself stops after `limit` bytes should the file grow).
pub fn read(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    let (file, meta) = open(path)?;
    let too_large = |size| InputError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
        what,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success());
        for (p, kind) in [
            (fifo.as_path(), "FIFO"),
            (Path::new("/dev/zero"), "character device"),
            (dir.path(), "directory"),
        ] {
            match read(p, 10, "a test file") {
                Err(InputError::NotAFile { kind: k, .. }) => assert_eq!(k, kind),
                other => panic!("{}: {other:?}", p.display()),
            }
        }
    }

    #[test]
    fn a_file_over_its_bound_is_refused_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, [0u8; 11]).unwrap();
        let e = read(&p, 10, "a test file").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot read {}: it is 11 bytes; a test file may be at most 10 bytes",
                p.display()
            )
        );
        assert_eq!(read(&p, 11, "a test file").unwrap().len(), 11);
    }

    #[test]
    fn a_symlink_to_a_regular_file_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("real");
        std::fs::write(&p, b"abc").unwrap();
        let l = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        assert_eq!(read(&l, 10, "x").unwrap(), b"abc");
    }
}
