//! Where a hive's bytes come from ([`HiveSource`]: a file, or a file inside a disk image)
//! and its transaction logs: beside it on disk, or given with the source; each log read
//! within a bound.

use super::{base, logs, open_input, HiveError};
use crate::source::{FileAt, ReadAt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest log file read (logs are a fraction of their hive; this bounds hostile input).
const MAX_LOG_BYTES: u64 = 1 << 30;

/// Where a hive's bytes come from: a file, or a file inside a disk image; and where its
/// transaction logs are.
#[derive(Clone)]
pub struct HiveSource {
    /// What errors and reports call it: the file's path, or the image and the path inside it.
    pub path: PathBuf,
    /// The bytes.
    pub data: Arc<dyn ReadAt>,
    /// Its logs.
    pub logs: Logs,
    /// The files on disk the bytes are read from (the hive file; a disk image and its
    /// extent files): inputs that no output may replace.
    pub files: Vec<PathBuf>,
}

/// Where a hive's `.LOG1`/`.LOG2`/`.LOG` files are.
#[derive(Clone)]
pub enum Logs {
    /// Files named like the hive, beside it on disk (looked for only when it is dirty).
    Beside,
    /// Given with their names (the files beside a hive inside a disk image).
    Given(Vec<(String, Arc<dyn ReadAt>)>),
}

impl HiveSource {
    /// A hive file on disk: a regular file only (a FIFO would block, a device never end),
    /// its logs beside it.
    pub fn file(path: &Path) -> Result<HiveSource, HiveError> {
        let (f, meta) = open_input(path)?;
        Ok(HiveSource {
            path: path.to_path_buf(),
            data: Arc::new(FileAt::new(f, meta.len())),
            logs: Logs::Beside,
            files: vec![path.to_path_buf()],
        })
    }

    /// The logs' names and bytes (each bounded, see `read_log`); an unreadable log is left
    /// out, as a missing one is.
    pub(super) fn read_logs(&self) -> Vec<logs::LogFile> {
        match &self.logs {
            Logs::Beside => logs::find_logs(&self.path)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| {
                    let (f, meta) = crate::input::open(p).ok()?;
                    let bytes = read_log(&FileAt::new(f, meta.len()))?;
                    Some(logs::LogFile {
                        label: p.display().to_string(),
                        bytes,
                    })
                })
                .collect(),
            Logs::Given(list) => list
                .iter()
                .filter_map(|(label, src)| {
                    Some(logs::LogFile {
                        label: label.clone(),
                        bytes: read_log(src.as_ref())?,
                    })
                })
                .collect(),
        }
    }

    /// Every file on disk this hive and its logs are read from: no output may replace one.
    pub fn input_files(&self) -> Vec<PathBuf> {
        let mut out = self.files.clone();
        if matches!(self.logs, Logs::Beside) {
            out.extend(logs::find_logs(&self.path).unwrap_or_default());
        }
        out
    }

    /// Whether any log may exist (cheap: no log is read).
    pub(super) fn has_logs(&self) -> bool {
        match &self.logs {
            Logs::Beside => !logs::find_logs(&self.path).unwrap_or_default().is_empty(),
            Logs::Given(list) => list.iter().any(|(_, s)| s.size() > 0),
        }
    }
}

/// A transaction log's bytes, or `None` when it cannot be read or is larger than any log
/// (a log that cannot be read is left out, as a missing one is). A file that does not
/// start like a log (`regf`, log file type 1, 2 or 6) is read no further than its base
/// block, which is enough for the replay to say why it is not one.
fn read_log(src: &dyn ReadAt) -> Option<Vec<u8>> {
    let size = src.size();
    if size > MAX_LOG_BYTES {
        return None;
    }
    let mut bytes = vec![0u8; (base::SECTOR as u64).min(size) as usize];
    src.read_exact_at(&mut bytes, 0).ok()?;
    let file_type = base::read_u32(&bytes, base::FILE_TYPE_AT);
    let looks_like_log = bytes.starts_with(b"regf")
        && matches!(
            file_type,
            Some(base::TYPE_LOG_OLD | base::TYPE_LOG_VERY_OLD | base::TYPE_LOG_NEW)
        );
    if looks_like_log && size > bytes.len() as u64 {
        let at = bytes.len();
        bytes.resize(size as usize, 0);
        src.read_exact_at(&mut bytes[at..], at as u64).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file named like a log that is not one is read no further than its first sector;
    /// a real log is read whole; a FIFO is left out without blocking.
    #[test]
    fn a_log_that_is_no_log_is_read_no_further_than_its_first_sector() {
        let d = tempfile::tempdir().unwrap();
        let src = HiveSource {
            path: d.path().join("SYSTEM"),
            data: Arc::new(Vec::new()),
            logs: Logs::Beside,
            files: Vec::new(),
        };
        let sizes = |src: &HiveSource| -> Vec<usize> {
            src.read_logs().iter().map(|l| l.bytes.len()).collect()
        };
        let junk = d.path().join("SYSTEM.LOG1");
        std::fs::write(&junk, vec![0x41u8; 2 << 20]).unwrap();
        assert_eq!(sizes(&src), [base::SECTOR]);
        let mut log = vec![0u8; 8192];
        log[..4].copy_from_slice(b"regf");
        base::put_u32(&mut log, base::FILE_TYPE_AT, base::TYPE_LOG_NEW);
        std::fs::write(&junk, &log).unwrap();
        assert_eq!(sizes(&src), [8192]);
        // The same rule for logs inside an image.
        let given = HiveSource {
            logs: Logs::Given(vec![
                ("SYSTEM.LOG1".into(), Arc::new(vec![0x41u8; 2 << 20])),
                ("SYSTEM.LOG2".into(), Arc::new(log.clone())),
            ]),
            ..src.clone()
        };
        assert_eq!(sizes(&given), [base::SECTOR, 8192]);
        #[cfg(unix)]
        {
            let fifo = d.path().join("SYSTEM.LOG2");
            let ok = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(ok.success());
            // Left out without blocking.
            assert_eq!(sizes(&src), [8192]);
        }
    }
}
