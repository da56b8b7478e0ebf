//! Offline hive files: read whole into memory, or (for clean hives opened with
//! [`HiveFile::open_lazy`]) only the cells a request reaches; the base block checked by us
//! before nt-hive sees it (nt-hive panics on some corrupt headers), dirty hives replayed
//! from their transaction logs, keys looked up by a linear, case-insensitive scan (nt-hive's
//! binary search misses subkeys stored out of order), and the wanted keys copied into a
//! [`MemRegistry`] or walked.
//!
//! The face is [`HiveFile`]. Inside, dependencies point one way: `base` (the base block,
//! the one definition of dirty), `error` and `request` at the floor; [`logs`] and
//! `prefetch` read base blocks; `walk` (the one traversal) and `query` read keys; this file
//! ties them together and nothing below imports it.

mod base;
mod error;
pub mod logs;
mod prefetch;
mod query;
mod request;
mod source;
mod volume;
mod walk;
mod zip;

pub use base::{is_dirty, Header};
pub use error::HiveError;
pub use request::Request;
pub use source::{HiveSource, Logs};
pub use volume::{find_hives, HivePaths};
pub use walk::WalkEvent;
pub use zip::{ZipData, ZipEvent};

use crate::keypath::{same_name, SELECT};
use crate::memreg::MemRegistry;
use crate::quiet::quietly;
use base::{u32_at, BaseBlock, BASE_BLOCK, TYPE_PRIMARY};
use nt_hive::Hive;
use std::path::{Path, PathBuf};
use walk::{Faults, Guard, Reader};

/// A hive file in memory.
pub struct HiveFile {
    /// What errors and reports call the hive: its path, or its name inside a disk image
    /// (`IMAGE: partition N: PATH`).
    pub path: PathBuf,
    /// Where it was read from (read again when a lazily opened hive is read whole).
    source: Option<HiveSource>,
    /// The base block of the bytes read: the file's, or for a hive recovered from its logs
    /// the replayed one (see [`Header::dirty`] and [`HiveFile::recovery`]).
    pub header: Header,
    /// What was done about a dirty hive.
    pub recovery: Recovery,
    bytes: Vec<u8>,
    /// Set while `bytes` holds only the cells read so far (see `prefetch`).
    lazy: Option<prefetch::Lazy>,
}

/// How a hive was read with respect to its transaction logs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Recovery {
    /// The hive was clean.
    Clean,
    /// Dirty, and its logs were replayed in memory.
    Recovered {
        /// The labels of the logs applied, in order ([`logs::Recovery::logs_used`]).
        logs: Vec<String>,
        /// Log entries (new format) or 512-byte dirty pages (old format) applied.
        entries: usize,
        /// The log format: `"new (HvLE)"` or `"old (DIRT)"`.
        format: String,
    },
    /// Dirty, but no log lies beside it: newer data may be lost.
    DirtyNoLogs,
    /// Dirty, and its logs hold nothing newer than the hive.
    LogsNotNewer {
        /// The labels of the logs found.
        logs: Vec<String>,
    },
    /// Dirty, and its logs could not be replayed; the primary was read as it is.
    LogsFailed {
        /// Why nothing could be replayed ([`logs::LogError`], as text).
        error: String,
    },
    /// Dirty, read as it is because recovery was turned off (`--no-recover`).
    NotRecovered,
}

impl Recovery {
    /// One sentence for reports.
    pub fn describe(&self) -> String {
        match self {
            Recovery::Clean => "clean".into(),
            Recovery::Recovered { logs, entries, format } => {
                format!("dirty; recovered in memory from {} ({entries} {} in the {format} log format)", logs.join(", "), if format.starts_with("old") { "dirty pages" } else { "log entries" })
            }
            Recovery::DirtyNoLogs => "dirty, and no .LOG1/.LOG2/.LOG lies beside it: newer data may be missing; the values read may be stale".into(),
            Recovery::LogsNotNewer { logs } => format!("dirty, but {} hold nothing newer than the hive", logs.join(", ")),
            Recovery::LogsFailed { error } => format!("dirty, and its logs could not be replayed ({error}); the hive was read as it is and may be stale"),
            Recovery::NotRecovered => "dirty; read as it is (--no-recover): the values read may be stale".into(),
        }
    }

    /// Whether the hive as read may miss newer data.
    pub fn stale(&self) -> bool {
        matches!(
            self,
            Recovery::DirtyNoLogs | Recovery::LogsFailed { .. } | Recovery::NotRecovered
        )
    }
}

/// The control sets `SYSTEM\Select` names. `Current` is the one a running Windows calls
/// `CurrentControlSet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ControlSets {
    /// The number N of the `ControlSet00N` a running Windows calls `CurrentControlSet`
    /// (`Select\Current`).
    pub current: u32,
    /// `Select\Default`; `None` when absent or not a REG_DWORD.
    pub default: Option<u32>,
    /// `Select\LastKnownGood`; `None` when absent or not a REG_DWORD.
    pub last_known_good: Option<u32>,
}

impl Drop for HiveFile {
    /// A hive read lazily gives its buffer back, zeroed where it was written, for the next
    /// hive on this thread (`prefetch::Lazy::recycle`).
    fn drop(&mut self) {
        if let Some(lazy) = self.lazy.take() {
            lazy.recycle(std::mem::take(&mut self.bytes));
        }
    }
}

impl HiveFile {
    /// Reads and checks a hive file. A dirty or badly check-summed header is accepted (see
    /// [`Header`]); anything nt-hive could not read safely is an error with its offset.
    pub fn open(path: &Path) -> Result<HiveFile, HiveError> {
        Self::open_reusing(path, Vec::new())
    }

    /// Like [`HiveFile::open`], reading into `buf`'s memory: reading a second hive into the
    /// first one's buffer saves the page faults of a fresh allocation, most of the cost of
    /// reading a hive that is in the page cache.
    pub fn open_reusing(path: &Path, buf: Vec<u8>) -> Result<HiveFile, HiveError> {
        Self::open_with(path, buf, true)
    }

    /// Reads a hive; when it is dirty and `recover` is set, replays the `.LOG1`/`.LOG2`/`.LOG`
    /// files beside it in memory (nothing is ever written). [`HiveFile::recovery`] says
    /// what happened.
    pub fn open_with(path: &Path, buf: Vec<u8>, recover: bool) -> Result<HiveFile, HiveError> {
        Self::open_source_with(&HiveSource::file(path)?, buf, recover)
    }

    /// Like [`HiveFile::open_with`], from any source (a hive inside a disk image).
    pub fn open_source_with(
        src: &HiveSource,
        buf: Vec<u8>,
        recover: bool,
    ) -> Result<HiveFile, HiveError> {
        let path = src.path.as_path();
        let bytes = Self::read_into(src, buf)?;
        let done = |h: HiveFile| h.with_source(src);
        if !is_dirty(&bytes) {
            return Self::from_bytes(path, bytes).map(done);
        }
        if !recover {
            return Self::from_bytes(path, bytes)
                .map(|h| done(h).with_recovery(Recovery::NotRecovered));
        }
        if !src.has_logs() {
            return Self::from_bytes(path, bytes)
                .map(|h| done(h).with_recovery(Recovery::DirtyNoLogs));
        }
        let files = src.read_logs();
        if files.is_empty() {
            return Self::from_bytes(path, bytes)
                .map(|h| done(h).with_recovery(Recovery::DirtyNoLogs));
        }
        let labels: Vec<String> = files.iter().map(|l| l.label.clone()).collect();
        match logs::recover(&bytes, &files) {
            Ok(Some(r)) => {
                let state = Recovery::Recovered {
                    logs: r.logs_used.clone(),
                    entries: r.entries,
                    format: r.format.to_string(),
                };
                Self::from_bytes(path, r.bytes).map(|h| done(h).with_recovery(state))
            }
            Ok(None) => Self::from_bytes(path, bytes)
                .map(|h| done(h).with_recovery(Recovery::LogsNotNewer { logs: labels })),
            Err(e) => Self::from_bytes(path, bytes).map(|h| {
                done(h).with_recovery(Recovery::LogsFailed {
                    error: e.to_string(),
                })
            }),
        }
    }

    /// Opens a hive to read only the cells that [`HiveFile::extract`] requests reach, as a
    /// memory map would: an audit of a 15 MB SYSTEM hive reads a few hundred kilobytes.
    /// Dirty hives (replayed from their logs), short files and damaged roots are read
    /// whole, as [`HiveFile::open_with`] does; the results never differ.
    pub fn open_lazy(path: &Path, recover: bool) -> Result<HiveFile, HiveError> {
        Self::open_source_lazy(&HiveSource::file(path)?, recover)
    }

    /// Like [`HiveFile::open_lazy`], from any source: a hive inside a disk image is read
    /// cell by cell through the image's layers.
    pub fn open_source_lazy(src: &HiveSource, recover: bool) -> Result<HiveFile, HiveError> {
        if let Some((lazy, bytes)) = prefetch::Lazy::open(src.data.clone()) {
            // A dirty hive is read as it is when recovery is off or no log lies beside it;
            // replaying logs needs the whole file.
            let state = if !is_dirty(&bytes[..BASE_BLOCK]) {
                Some(Recovery::Clean)
            } else if !recover {
                Some(Recovery::NotRecovered)
            } else if !src.has_logs() {
                Some(Recovery::DirtyNoLogs)
            } else {
                None
            };
            if let Some(state) = state {
                if let Ok(mut h) = Self::from_bytes(&src.path, bytes) {
                    h.lazy = Some(lazy);
                    return Ok(h.with_source(src).with_recovery(state));
                }
            }
        }
        Self::open_source_with(src, Vec::new(), recover)
    }

    /// Every file on disk this hive was read from, its logs included (for a hive inside a
    /// disk image, the image's files): no output may replace one.
    pub fn input_files(&self) -> Vec<PathBuf> {
        match &self.source {
            Some(s) => s.input_files(),
            None => {
                let mut out = vec![self.path.clone()];
                out.extend(logs::find_logs(&self.path).unwrap_or_default());
                out
            }
        }
    }

    /// Whether only part of the file has been read so far ([`HiveFile::open_lazy`]).
    pub fn is_partial(&self) -> bool {
        self.lazy.is_some()
    }

    /// Reads the rest of a lazily opened hive (nothing when it was read whole).
    pub fn read_whole(&mut self) -> Result<(), HiveError> {
        self.materialize()
    }

    /// Reads the rest of a lazily opened hive: the whole file, checked again.
    fn materialize(&mut self) -> Result<(), HiveError> {
        if self.lazy.take().is_some() {
            let src = match &self.source {
                Some(s) => s.clone(),
                None => HiveSource::file(&self.path)?,
            };
            let bytes = Self::read_into(&src, std::mem::take(&mut self.bytes))?;
            let mut fresh = Self::from_bytes(&self.path, bytes)?;
            self.header = fresh.header;
            self.bytes = std::mem::take(&mut fresh.bytes);
        }
        Ok(())
    }

    fn with_source(mut self, src: &HiveSource) -> Self {
        self.source = Some(src.clone());
        self
    }

    fn with_recovery(mut self, r: Recovery) -> Self {
        self.recovery = r;
        self
    }

    /// The hive's bytes, read within the bound its header allows (`base::primary_len`).
    fn read_into(src: &HiveSource, mut buf: Vec<u8>) -> Result<Vec<u8>, HiveError> {
        let io = |source| HiveError::Io {
            path: src.path.clone(),
            source,
        };
        let size = src.data.size();
        buf.clear();
        let head = (BASE_BLOCK as u64).min(size) as usize;
        buf.resize(head, 0);
        src.data.read_exact_at(&mut buf, 0).map_err(io)?;
        let len = base::primary_len(size, &buf).min(size);
        let len = usize::try_from(len).map_err(|_| HiveError::Invalid {
            path: src.path.clone(),
            message: format!("cannot read the hive: it is {len} bytes"),
        })?;
        if len > buf.len() {
            buf.reserve_exact(len - buf.len());
            let at = buf.len();
            buf.resize(len, 0);
            src.data
                .read_exact_at(&mut buf[at..], at as u64)
                .map_err(io)?;
        }
        Ok(buf)
    }

    /// Gives the memory back for the next hive.
    pub fn into_bytes(mut self) -> Vec<u8> {
        self.lazy = None;
        std::mem::take(&mut self.bytes)
    }

    /// Checks bytes already read.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<HiveFile, HiveError> {
        let corrupt = |offset: usize, message: String| HiveError::Corrupt {
            path: path.to_path_buf(),
            offset,
            message,
        };
        if bytes.len() < 4 || &bytes[..4] != b"regf" {
            let found: Vec<u8> = bytes.iter().take(4).copied().collect();
            return Err(corrupt(
                0,
                format!("not a registry hive: the file starts with {found:02x?}, not \"regf\""),
            ));
        }
        let base = match BaseBlock::read(&bytes) {
            Some(b) if bytes.len() >= BASE_BLOCK + 32 => b,
            _ => {
                return Err(corrupt(
                    bytes.len(),
                    format!(
                        "the file ends after {} bytes, inside the base block or the first hive bin",
                        bytes.len()
                    ),
                ))
            }
        };
        let (major, minor) = (base.header.major, base.header.minor);
        if major != 1 || !(3..=6).contains(&minor) {
            return Err(corrupt(
                base::MAJOR_AT,
                format!(
                    "hive format version {major}.{minor} is not one Windows writes (1.3 to 1.6)"
                ),
            ));
        }
        if base.file_type != TYPE_PRIMARY {
            return Err(corrupt(
                base::FILE_TYPE_AT,
                format!(
                    "file type {} is a transaction log, not a primary hive",
                    base.file_type
                ),
            ));
        }
        let root = base.root_cell as usize;
        let bins = bytes.len() - BASE_BLOCK;
        if root.checked_add(0x50).is_none_or(|end| end > bins) {
            return Err(corrupt(
                base::ROOT_CELL_AT,
                format!("the root key offset {root:#x} lies outside the {bins} bytes of hive bins"),
            ));
        }
        // The root cell: an allocated (negative size) nk cell large enough for its header.
        let cell = BASE_BLOCK + root;
        let size = u32_at(&bytes, cell) as i32;
        if size >= 0 || size.unsigned_abs() < 0x50 || &bytes[cell + 4..cell + 6] != b"nk" {
            return Err(corrupt(cell, format!("the root key cell is not an allocated key node (size {size}, signature {:02x?})", &bytes[cell + 4..cell + 6])));
        }
        Ok(HiveFile {
            path: path.to_path_buf(),
            source: None,
            header: base.header,
            recovery: Recovery::Clean,
            bytes,
            lazy: None,
        })
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            path: &self.path,
            bytes: &self.bytes,
        }
    }

    /// Copies what the requests name into a registry model; key paths there start with
    /// `prefix` (e.g. `HKEY_LOCAL_MACHINE\SYSTEM`). Requests are relative to the hive root.
    ///
    /// On a lazily opened hive the cells the requests reach are loaded first; should that
    /// stop on anything unusual, or nt-hive fail on the partial bytes, the whole file is
    /// read and the extraction runs again, so errors are those of a whole read.
    pub fn extract(
        &mut self,
        prefix: &str,
        requests: &[Request],
    ) -> Result<MemRegistry, HiveError> {
        if let Some(lazy) = self.lazy.as_mut() {
            if lazy.prefetch(&mut self.bytes, requests).is_ok() {
                if let Ok(reg) = self.extract_loaded(prefix, requests) {
                    return Ok(reg);
                }
            }
            self.materialize()?;
        }
        self.extract_loaded(prefix, requests)
    }

    fn extract_loaded(&self, prefix: &str, requests: &[Request]) -> Result<MemRegistry, HiveError> {
        self.guarded(|| query::extract(&self.reader(), prefix, requests))
    }

    /// The control sets `Select` names (`Current`, `Default`, `LastKnownGood`, each a
    /// REG_DWORD), read from a SYSTEM hive whose keys are named under `root` (e.g.
    /// `HKEY_LOCAL_MACHINE\SYSTEM`). `None` when there is no `Select` key or its `Current`
    /// is not a DWORD; `Default` and `LastKnownGood` are `None` when they are not DWORDs.
    /// A `Current` that names a control set the hive does not have is an error: what
    /// Windows would boot with is unknown, and reading nothing would judge defaults.
    pub fn control_sets(&mut self, root: &str) -> Result<Option<ControlSets>, HiveError> {
        let sel = self.extract(root, &[Request::Key(SELECT.into())])?;
        let key = format!(r"{root}\{SELECT}");
        let dword = |name: &str| {
            sel.get(&key, name)
                .and_then(|(t, b)| crate::value::dword(t, b))
        };
        let Some(current) = dword("Current") else {
            return Ok(None);
        };
        let sets = ControlSets {
            current,
            default: dword("Default"),
            last_known_good: dword("LastKnownGood"),
        };
        let names = self
            .extract("R", &[Request::Children(String::new())])?
            .subkeys("R");
        let wanted = crate::keypath::control_set_name(current);
        if names.iter().any(|n| same_name(n, &wanted)) {
            return Ok(Some(sets));
        }
        let mut existing: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.len() == 13
                    && n.is_char_boundary(10)
                    && same_name(&n[..10], "ControlSet")
                    && n[10..].bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        existing.sort();
        let has = if existing.is_empty() {
            "the hive has no ControlSetNNN key at all".to_string()
        } else {
            let list: Vec<&str> = existing.iter().map(|s| s.as_str()).collect();
            format!("the hive has {}", list.join(", "))
        };
        let other = |what: &str, n: Option<u32>| {
            n.map(|n| {
                format!(
                    "; Select\\{what} names {}",
                    crate::keypath::control_set_name(n)
                )
            })
            .unwrap_or_default()
        };
        Err(HiveError::Invalid {
            path: self.path.clone(),
            message: format!(
                "Select\\Current is {current}, but there is no {wanted} key ({has}{}{}): the control set Windows would use is unknown",
                other("Default", sets.default),
                other("LastKnownGood", sets.last_known_good)
            ),
        })
    }

    /// Walks the tree below `start` (relative to the root; `""` for the whole hive), key
    /// paths starting with `prefix`. Damaged values and subkeys are reported and skipped;
    /// cycles in subkey lists and nesting beyond 512 levels stop that branch with an error
    /// event. `Ok(false)` when `start` does not exist.
    pub fn walk(
        &mut self,
        prefix: &str,
        start: &str,
        f: &mut dyn FnMut(WalkEvent<'_>),
    ) -> Result<bool, HiveError> {
        self.materialize()?;
        let run = || -> Result<bool, HiveError> {
            let r = self.reader();
            let hive = Hive::without_validation(r.bytes).map_err(|e| r.nt_error(e))?;
            let root = hive.root_key_node().map_err(|e| r.nt_error(e))?;
            let Some(node) = r.find(&root, start)? else {
                return Ok(false);
            };
            let full = if start.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}\\{start}")
            };
            // Faults are events here: the traversal itself never fails.
            r.tree(&node, &full, &mut Guard::new(Faults::Skip), f)?;
            Ok(true)
        };
        self.guarded(run)
    }

    /// Compares two hives' trees in one paired walk (see `zip.rs`): every value that is not
    /// the same on both sides, and every shadowed value, comes to `f` as it is found. Either
    /// side may be absent (everything on the other differs). Each side names its
    /// `current` control set `CurrentControlSet`; keys are named under `prefix`. Both hives
    /// must have been read whole ([`HiveFile::read_whole`]); nothing else of their size is
    /// held.
    pub fn zip(
        prefix: &str,
        a: Option<(&HiveFile, Option<u32>)>,
        b: Option<(&HiveFile, Option<u32>)>,
        f: &mut dyn FnMut(ZipEvent<'_>),
    ) -> Result<(), HiveError> {
        for (h, _) in a.iter().chain(b.iter()) {
            if h.lazy.is_some() {
                return Err(HiveError::Invalid {
                    path: h.path.clone(),
                    message: "compared before it was read whole (HiveFile::read_whole)".into(),
                });
            }
        }
        fn side<'x>(s: &Option<(&'x HiveFile, Option<u32>)>) -> Option<zip::ZipSide<'x>> {
            s.as_ref().map(|(h, current)| zip::ZipSide {
                reader: h.reader(),
                current: *current,
            })
        }
        let (za, zb) = (side(&a), side(&b));
        let path = za
            .as_ref()
            .or(zb.as_ref())
            .map(|z| z.reader.path.to_path_buf())
            .unwrap_or_default();
        quietly(|| zip::zip(prefix, za.as_ref(), zb.as_ref(), f)).unwrap_or_else(|_| {
            Err(HiveError::Invalid {
                path,
                message:
                    "the hive's structure could not be read (the reader stopped on damaged data)"
                        .into(),
            })
        })
    }

    /// Runs a read of this hive; nt-hive has panicked on crafted input before, and no panic
    /// may reach the user, so one becomes an error (silently: the library prints nothing).
    fn guarded<T>(&self, run: impl FnOnce() -> Result<T, HiveError>) -> Result<T, HiveError> {
        quietly(run).unwrap_or_else(|_| {
            Err(HiveError::Invalid {
                path: self.path.clone(),
                message:
                    "the hive's structure could not be read (the reader stopped on damaged data)"
                        .into(),
            })
        })
    }
}

/// Opens a hive file: a regular file only (a FIFO would block, a device never end).
pub(crate) fn open_input(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), HiveError> {
    crate::input::open(path).map_err(|e| match e {
        crate::input::InputError::Io { path, source } => HiveError::Io { path, source },
        crate::input::InputError::NotAFile { path, kind } => HiveError::Invalid {
            path,
            message: format!("cannot read the hive: it is a {kind}, not a regular file"),
        },
        crate::input::InputError::TooLarge {
            path, size, limit, ..
        } => HiveError::Invalid {
            path,
            message: format!("cannot read the hive: it is {size} bytes, more than {limit}"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/audit/{name}.hive"))
    }

    #[test]
    fn control_sets_come_from_select() {
        let root = crate::keypath::SYSTEM_ROOT;
        let mut h = HiveFile::open_lazy(&fixture("ccs2-system"), true).unwrap();
        assert_eq!(
            h.control_sets(root).unwrap(),
            Some(ControlSets {
                current: 2,
                default: Some(2),
                last_known_good: Some(1),
            })
        );
        // The same from a whole read, under any root the keys are named by.
        let mut h = HiveFile::open(&fixture("ccs2-system")).unwrap();
        assert_eq!(h.control_sets("").unwrap().map(|c| c.current), Some(2));
        // A SOFTWARE hive has no Select key.
        let mut h = HiveFile::open(&fixture("empty-20348-software")).unwrap();
        assert_eq!(h.control_sets(root).unwrap(), None);
    }
}
