//! Writing outputs safely: atomically (a temporary file in the same folder, then a rename),
//! never over a file that was read as input, and comparing for `--check` drift detection.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output could not be written or compared.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("refusing to write {0}: it is one of the inputs")]
    WouldOverwriteInput(PathBuf),
    #[error("cannot create the output folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The result of comparing one output with what is on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Drift {
    UpToDate,
    Missing,
    Differs,
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Writes `bytes` to `path` atomically. Fails if `path` is one of `inputs`.
pub fn write_atomic(path: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<(), OutputError> {
    write_atomic_with(path, inputs, |w| {
        w.write_all(bytes).map_err(|source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Writes `path` atomically from a writer callback (for outputs too large to hold in
/// memory). Fails if `path` is one of `inputs`; on any error nothing is left behind.
pub fn write_atomic_with<E: From<OutputError>>(
    path: &Path,
    inputs: &[PathBuf],
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    if inputs.iter().any(|i| same_file(i, path)) {
        return Err(OutputError::WouldOverwriteInput(path.to_path_buf()).into());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|source| OutputError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let werr = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut builder = tempfile::Builder::new();
    // Created like any new file (0666 less the umask), not with tempfile's private 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .prefix(".tlsreg-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(werr)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
    write(&mut w)?;
    let tmp = w.into_inner().map_err(|e| werr(e.into_error()))?;
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
}

/// Compares `bytes` with the file at `path`.
pub fn check(path: &Path, bytes: &[u8]) -> Result<Drift, OutputError> {
    match fs::read(path) {
        Ok(old) if old == bytes => Ok(Drift::UpToDate),
        Ok(_) => Ok(Drift::Differs),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Drift::Missing),
        Err(source) => Err(OutputError::Read {
            path: path.to_path_buf(),
            source,
        }),
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
}
