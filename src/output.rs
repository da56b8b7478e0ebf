//! Writing outputs safely: a regular file (or a new path) atomically (a temporary file in
//! the same folder, then a rename); a character device or FIFO in place (`/dev/null`,
//! `/dev/stdout`, a pipe), never replaced by a file; a symlink followed to what it names;
//! anything else (a directory, a block device, a socket, a dangling link) refused. Never
//! over a file that was read as input. And comparing for `--check` drift detection.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output could not be written or compared.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output path is a file that was read as input (or a hard or symbolic link to one).
    #[error("refusing to write {0}: it is one of the inputs")]
    WouldOverwriteInput(PathBuf),
    /// The output's folder could not be created.
    #[error("cannot create the output folder {path}: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output, or its temporary file, could not be written, synced or put in place.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output path holds something that is neither a regular file nor a character device or
    /// FIFO (a directory, a block device, a socket, a dangling symlink); for a comparison, anything
    /// but a regular file.
    #[error("refusing to write {path}: it is {what}, not a file")]
    NotAFile {
        /// The output path.
        path: PathBuf,
        /// What is there, in words (`"a directory"`, `"a symbolic link to nothing"`).
        what: &'static str,
    },
    /// The existing file could not be read for a comparison.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The result of comparing one output with what is on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Drift {
    /// The file holds exactly these bytes.
    UpToDate,
    /// There is no file at the path.
    Missing,
    /// The file holds other bytes (or another length).
    Differs,
}

/// Whether two paths name the same file: the same device and inode on Unix (so a hard
/// link or a symlink to an input is that input), the same canonical path elsewhere.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Where an output goes, decided from what is at its path now.
enum Target {
    /// A regular file or a new path (the symlink, if any, resolved): replaced atomically.
    File(PathBuf),
    /// A character device or a FIFO: written in place, never replaced.
    InPlace(PathBuf),
}

/// Decides how `path` is written; refuses an input, a directory, a block device, a socket
/// and a dangling symlink.
fn target(path: &Path, inputs: &[PathBuf]) -> Result<Target, OutputError> {
    if inputs.iter().any(|i| same_file(i, path)) {
        return Err(OutputError::WouldOverwriteInput(path.to_path_buf()));
    }
    let werr = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    // What is there decides how it is written; a symlink is followed to what it names.
    let resolved = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(source) => return Err(werr(source)),
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(path) {
            Ok(t) => t,
            Err(_) => {
                return Err(OutputError::NotAFile {
                    path: path.to_path_buf(),
                    what: "a symbolic link to nothing",
                })
            }
        },
        Ok(_) => path.to_path_buf(),
    };
    match fs::metadata(&resolved) {
        Ok(m) if m.is_file() => Ok(Target::File(resolved)),
        Ok(m) => match special_kind(&m) {
            None => Ok(Target::InPlace(resolved)),
            Some(what) => Err(OutputError::NotAFile {
                path: path.to_path_buf(),
                what,
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Target::File(resolved)),
        Err(source) => Err(werr(source)),
    }
}

/// `None` for what may be written in place (a character device, a FIFO), else what it is.
fn special_kind(meta: &fs::Metadata) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() || t.is_fifo() {
            None
        } else if t.is_block_device() {
            Some("a block device")
        } else if t.is_socket() {
            Some("a socket")
        } else if t.is_dir() {
            Some("a directory")
        } else {
            Some("not a regular file")
        }
    }
    #[cfg(not(unix))]
    {
        Some(if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        })
    }
}

/// A temporary file beside `target`, created like any new file (0666 less the umask, not
/// tempfile's private 0600).
fn temp_beside(path: &Path, target: &Path) -> Result<tempfile::NamedTempFile, OutputError> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|source| OutputError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
        .prefix(".tlsreg-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes `bytes` to `path` atomically. Fails if `path` is one of `inputs`.
pub fn write_atomic(path: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<(), OutputError> {
    stage(path, bytes, inputs)?.commit()
}

/// One output written to its temporary file and not yet in place ([`stage`]). Dropping it
/// removes the temporary file: nothing reaches the output path.
pub struct Staged {
    path: PathBuf,
    how: Staging,
}

enum Staging {
    Temp {
        tmp: tempfile::NamedTempFile,
        target: PathBuf,
    },
    InPlace {
        target: PathBuf,
        bytes: Vec<u8>,
    },
}

/// Prepares writing `bytes` to `path` without touching `path`: a regular file's bytes go to
/// a synced temporary file beside it; a device or FIFO is only checked (it is written by
/// [`Staged::commit`]). Every refusal and most write errors (a full disk) come here, so a
/// set of outputs can be staged first and committed only when all staged.
pub fn stage(path: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<Staged, OutputError> {
    let werr = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let how = match target(path, inputs)? {
        Target::InPlace(target) => Staging::InPlace {
            target,
            bytes: bytes.to_vec(),
        },
        Target::File(target) => {
            let mut tmp = temp_beside(path, &target)?;
            tmp.write_all(bytes).map_err(werr)?;
            tmp.as_file().sync_all().map_err(werr)?;
            Staging::Temp { tmp, target }
        }
    };
    Ok(Staged {
        path: path.to_path_buf(),
        how,
    })
}

impl Staged {
    /// Whether this output is written in place (a device or FIFO), where a failure cannot
    /// be undone: commit those first.
    pub fn in_place(&self) -> bool {
        matches!(self.how, Staging::InPlace { .. })
    }

    /// Puts the output in place: renames the temporary file over the target, or writes a
    /// device or FIFO.
    pub fn commit(self) -> Result<(), OutputError> {
        let werr = |source| OutputError::Write {
            path: self.path.clone(),
            source,
        };
        match self.how {
            Staging::Temp { tmp, target } => {
                tmp.persist(&target).map(|_| ()).map_err(|e| werr(e.error))
            }
            Staging::InPlace { target, bytes } => {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(werr)?;
                f.write_all(&bytes).map_err(werr)?;
                f.flush().map_err(werr)
            }
        }
    }
}

/// Writes `path` atomically from a writer callback (for outputs too large to hold in
/// memory). Fails if `path` is one of `inputs`; on any error nothing is left behind.
pub fn write_atomic_with<E: From<OutputError>>(
    path: &Path,
    inputs: &[PathBuf],
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    let werr = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    match target(path, inputs)? {
        Target::InPlace(target) => {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(werr)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            write(&mut w)?;
            w.into_inner().map_err(|e| werr(e.into_error()))?;
            Ok(())
        }
        Target::File(target) => {
            let tmp = temp_beside(path, &target)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
            write(&mut w)?;
            let tmp = w.into_inner().map_err(|e| werr(e.into_error()))?;
            tmp.as_file().sync_all().map_err(werr)?;
            tmp.persist(&target).map_err(|e| werr(e.error))?;
            Ok(())
        }
    }
}

/// Compares `bytes` with the file at `path`. Only a regular file (or a symlink to one) is
/// compared, and only when its size matches: a FIFO, a device or a directory there is an
/// error, never read (a FIFO would block, `/dev/zero` would never end).
pub fn check(path: &Path, bytes: &[u8]) -> Result<Drift, OutputError> {
    let read_err = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Drift::Missing),
        Err(source) => return Err(read_err(source)),
        Ok(m) => m,
    };
    if !meta.is_file() {
        return Err(OutputError::NotAFile {
            path: path.to_path_buf(),
            what: if meta.is_dir() {
                "a directory"
            } else {
                "not a regular file"
            },
        });
    }
    if meta.len() != bytes.len() as u64 {
        return Ok(Drift::Differs);
    }
    match fs::read(path) {
        Ok(old) if old == bytes => Ok(Drift::UpToDate),
        Ok(_) => Ok(Drift::Differs),
        Err(source) => Err(read_err(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_and_check() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/a.reg");
        assert_eq!(check(&p, b"x").unwrap(), Drift::Missing);
        write_atomic(&p, b"x", &[]).unwrap();
        assert_eq!(check(&p, b"x").unwrap(), Drift::UpToDate);
        assert_eq!(check(&p, b"y").unwrap(), Drift::Differs);
        assert!(matches!(
            write_atomic(&p, b"y", std::slice::from_ref(&p)),
            Err(OutputError::WouldOverwriteInput(_))
        ));
        assert_eq!(fs::read(&p).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_ne!(mode, 0o600, "outputs are readable like any new file");
        }
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    /// A symlink is followed (the link stays a link), a dangling one and a directory are
    /// refused, a character device is written in place and stays a device.
    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_replaced() {
        use std::os::unix::fs::{symlink, FileTypeExt};
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.reg");
        fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.reg");
        symlink(&real, &link).unwrap();
        write_atomic(&link, b"new", &[]).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
        // An input reached through a link is still an input.
        assert!(matches!(
            write_atomic(&link, b"x", std::slice::from_ref(&real)),
            Err(OutputError::WouldOverwriteInput(_))
        ));
        let dangling = dir.path().join("dangling.reg");
        symlink(dir.path().join("nowhere/x"), &dangling).unwrap();
        assert!(matches!(
            write_atomic(&dangling, b"x", &[]),
            Err(OutputError::NotAFile { .. })
        ));
        assert!(matches!(
            write_atomic(dir.path(), b"x", &[]),
            Err(OutputError::NotAFile {
                what: "a directory",
                ..
            })
        ));
        let null = Path::new("/dev/null");
        if null.exists() {
            write_atomic(null, b"x", &[]).unwrap();
            assert!(fs::metadata(null).unwrap().file_type().is_char_device());
        }
        // --check never reads what is not a regular file.
        assert!(matches!(
            check(null, b"x"),
            Err(OutputError::NotAFile { .. })
        ));
        let full = Path::new("/dev/full");
        if full.exists() {
            let e = write_atomic(full, b"x", &[]).unwrap_err().to_string();
            assert!(e.contains("No space left on device"), "{e}");
            assert!(fs::metadata(full).unwrap().file_type().is_char_device());
        }
    }
}
