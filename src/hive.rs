//! Offline hive files: read whole into memory, or (for clean hives opened with
//! [`HiveFile::open_lazy`]) only the cells a request reaches; the base block checked by us
//! before nt-hive sees it (nt-hive panics on some corrupt headers), keys looked up by a
//! linear, case-insensitive scan (nt-hive's binary search misses subkeys stored out of
//! order), and the wanted keys copied into a [`MemRegistry`].

use crate::memreg::MemRegistry;
use nt_hive::{Hive, KeyNode, KeyValueData, NtHiveError};
use std::path::{Path, PathBuf};

/// The base block is 4 KiB; hive bins follow.
pub(crate) const BASE_BLOCK: usize = 4096;
/// Windows' own limit on key nesting.
pub const MAX_DEPTH: usize = 512;
/// Most keys one tree request copies.
const MAX_KEYS: usize = 200_000;

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

/// What the base block says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    pub primary_sequence: u32,
    pub secondary_sequence: u32,
    pub major: u32,
    pub minor: u32,
    pub checksum_ok: bool,
    /// Bytes of hive bins the header declares.
    pub data_size: u32,
}

impl Header {
    /// Primary and secondary sequence numbers differ: newer data may sit in the logs.
    pub fn dirty(&self) -> bool {
        self.primary_sequence != self.secondary_sequence
    }
}

/// A hive file in memory.
pub struct HiveFile {
    pub path: PathBuf,
    pub header: Header,
    /// What was done about a dirty hive.
    pub recovery: Recovery,
    bytes: Vec<u8>,
    /// Set while `bytes` holds only the cells read so far (see [`crate::prefetch`]).
    lazy: Option<crate::prefetch::Lazy>,
}

/// How a hive was read with respect to its transaction logs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Recovery {
    /// The hive was clean.
    Clean,
    /// Dirty, and its logs were replayed in memory.
    Recovered {
        logs: Vec<String>,
        entries: usize,
        format: String,
    },
    /// Dirty, but no log lies beside it: newer data may be lost.
    DirtyNoLogs,
    /// Dirty, and its logs hold nothing newer than the hive.
    LogsNotNewer { logs: Vec<String> },
    /// Dirty, and its logs could not be replayed; the primary was read as it is.
    LogsFailed { error: String },
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

/// The largest log file read (logs are a fraction of their hive; this bounds hostile input).
const MAX_LOG_BYTES: u64 = 1 << 30;

pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// The file offset an nt-hive error names, if any.
fn nt_offset(e: &NtHiveError) -> Option<usize> {
    match e {
        NtHiveError::InvalidDataSize { offset, .. }
        | NtHiveError::InvalidFourByteSignature { offset, .. }
        | NtHiveError::InvalidHeaderSize { offset, .. }
        | NtHiveError::InvalidSizeField { offset, .. }
        | NtHiveError::InvalidSizeFieldAlignment { offset, .. }
        | NtHiveError::InvalidTwoByteSignature { offset, .. }
        | NtHiveError::UnallocatedCell { offset, .. }
        | NtHiveError::UnsupportedKeyValueDataType { offset, .. } => Some(*offset),
        _ => None,
    }
}

/// How a request walks the hive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The key's values (and whether it exists).
    Key(String),
    /// The key, its values and every key below it, with their values.
    Tree(String),
    /// The key and the names of its direct subkeys (no values).
    Children(String),
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
        let bytes = Self::read_into(path, buf)?;
        if !crate::logs::is_dirty(&bytes) {
            return Self::from_bytes(path, bytes);
        }
        if !recover {
            return Self::from_bytes(path, bytes).map(|h| h.with_recovery(Recovery::NotRecovered));
        }
        let found = crate::logs::find_logs(path).unwrap_or_default();
        if found.is_empty() {
            return Self::from_bytes(path, bytes).map(|h| h.with_recovery(Recovery::DirtyNoLogs));
        }
        let mut logs = Vec::new();
        for p in &found {
            let label = p.display().to_string();
            match std::fs::metadata(p) {
                Ok(m) if m.len() <= MAX_LOG_BYTES => {}
                _ => continue,
            }
            if let Ok(b) = std::fs::read(p) {
                logs.push(crate::logs::LogFile { label, bytes: b });
            }
        }
        let labels: Vec<String> = logs.iter().map(|l| l.label.clone()).collect();
        match crate::logs::recover(&bytes, &logs) {
            Ok(Some(r)) => {
                let state = Recovery::Recovered {
                    logs: r.logs_used.clone(),
                    entries: r.entries,
                    format: r.format.to_string(),
                };
                Self::from_bytes(path, r.bytes).map(|h| h.with_recovery(state))
            }
            Ok(None) => Self::from_bytes(path, bytes)
                .map(|h| h.with_recovery(Recovery::LogsNotNewer { logs: labels })),
            Err(e) => Self::from_bytes(path, bytes).map(|h| {
                h.with_recovery(Recovery::LogsFailed {
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
        let io = |source| HiveError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some((lazy, bytes)) = crate::prefetch::Lazy::open(path).map_err(io)? {
            // A dirty hive is read as it is when recovery is off or no log lies beside it;
            // replaying logs needs the whole file.
            let state = if !crate::logs::is_dirty(&bytes[..BASE_BLOCK]) {
                Some(Recovery::Clean)
            } else if !recover {
                Some(Recovery::NotRecovered)
            } else if crate::logs::find_logs(path).unwrap_or_default().is_empty() {
                Some(Recovery::DirtyNoLogs)
            } else {
                None
            };
            if let Some(state) = state {
                if let Ok(mut h) = Self::from_bytes(path, bytes) {
                    h.lazy = Some(lazy);
                    return Ok(h.with_recovery(state));
                }
            }
        }
        Self::open_with(path, Vec::new(), recover)
    }

    /// Whether only part of the file has been read so far ([`HiveFile::open_lazy`]).
    pub fn is_partial(&self) -> bool {
        self.lazy.is_some()
    }

    /// Reads the rest of a lazily opened hive: the whole file, checked again.
    fn materialize(&mut self) -> Result<(), HiveError> {
        if self.lazy.take().is_some() {
            let bytes = Self::read_into(&self.path, std::mem::take(&mut self.bytes))?;
            let fresh = Self::from_bytes(&self.path, bytes)?;
            self.header = fresh.header;
            self.bytes = fresh.bytes;
        }
        Ok(())
    }

    fn with_recovery(mut self, r: Recovery) -> Self {
        self.recovery = r;
        self
    }

    fn read_into(path: &Path, mut buf: Vec<u8>) -> Result<Vec<u8>, HiveError> {
        use std::io::Read;
        let io = |source| HiveError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = std::fs::File::open(path).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        buf.clear();
        buf.reserve_exact(usize::try_from(len).unwrap_or(usize::MAX));
        f.read_to_end(&mut buf).map_err(io)?;
        Ok(buf)
    }

    /// Gives the memory back for the next hive.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
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
        if bytes.len() < BASE_BLOCK + 32 {
            return Err(corrupt(
                bytes.len(),
                format!(
                    "the file ends after {} bytes, inside the base block or the first hive bin",
                    bytes.len()
                ),
            ));
        }
        let (major, minor) = (u32_at(&bytes, 0x14), u32_at(&bytes, 0x18));
        if major != 1 || !(3..=6).contains(&minor) {
            return Err(corrupt(
                0x14,
                format!(
                    "hive format version {major}.{minor} is not one Windows writes (1.3 to 1.6)"
                ),
            ));
        }
        let file_type = u32_at(&bytes, 0x1C);
        if file_type != 0 {
            return Err(corrupt(
                0x1C,
                format!("file type {file_type} is a transaction log, not a primary hive"),
            ));
        }
        let root = u32_at(&bytes, 0x24) as usize;
        let data_size = u32_at(&bytes, 0x28);
        let bins = bytes.len() - BASE_BLOCK;
        if root.checked_add(0x50).is_none_or(|end| end > bins) {
            return Err(corrupt(
                0x24,
                format!("the root key offset {root:#x} lies outside the {bins} bytes of hive bins"),
            ));
        }
        // The root cell: an allocated (negative size) nk cell large enough for its header.
        let cell = BASE_BLOCK + root;
        let size = i32::from_le_bytes([
            bytes[cell],
            bytes[cell + 1],
            bytes[cell + 2],
            bytes[cell + 3],
        ]);
        if size >= 0 || size.unsigned_abs() < 0x50 || &bytes[cell + 4..cell + 6] != b"nk" {
            return Err(corrupt(cell, format!("the root key cell is not an allocated key node (size {size}, signature {:02x?})", &bytes[cell + 4..cell + 6])));
        }
        let mut xor = 0u32;
        for i in 0..127 {
            xor ^= u32_at(&bytes, i * 4);
        }
        let xor = match xor {
            0 => 1,
            u32::MAX => u32::MAX - 1,
            x => x,
        };
        let header = Header {
            primary_sequence: u32_at(&bytes, 4),
            secondary_sequence: u32_at(&bytes, 8),
            major,
            minor,
            checksum_ok: xor == u32_at(&bytes, 0x1FC),
            data_size,
        };
        Ok(HiveFile {
            path: path.to_path_buf(),
            header,
            recovery: Recovery::Clean,
            bytes,
            lazy: None,
        })
    }

    fn nt_error(&self, e: NtHiveError) -> HiveError {
        match nt_offset(&e) {
            Some(offset) => HiveError::Corrupt {
                path: self.path.clone(),
                offset,
                message: e.to_string(),
            },
            None => HiveError::Invalid {
                path: self.path.clone(),
                message: e.to_string(),
            },
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
        let run = || -> Result<MemRegistry, HiveError> {
            let hive = Hive::without_validation(&self.bytes[..]).map_err(|e| self.nt_error(e))?;
            let root = hive.root_key_node().map_err(|e| self.nt_error(e))?;
            let mut out = MemRegistry::new();
            for r in requests {
                let (path, mode) = match r {
                    Request::Key(p) => (p, 0),
                    Request::Tree(p) => (p, 1),
                    Request::Children(p) => (p, 2),
                };
                let Some(node) = self.find(&root, path)? else {
                    continue;
                };
                let full = if path.is_empty() {
                    prefix.to_string()
                } else {
                    format!("{prefix}\\{path}")
                };
                match mode {
                    0 => self.copy_key(&node, &full, &mut out)?,
                    1 => {
                        let mut budget = MAX_KEYS;
                        self.copy_tree(&node, &full, &mut out, 0, &mut budget, &mut Vec::new())?
                    }
                    _ => {
                        out.create_key(&full);
                        for name in self.child_names(&node)? {
                            out.create_key(&format!("{full}\\{name}"));
                        }
                    }
                }
            }
            Ok(out)
        };
        self.guarded(run)
    }

    /// The node at `path` (backslash-separated, relative to `root`), if it exists.
    fn find<'h>(
        &self,
        root: &KeyNode<'h, &'h [u8]>,
        path: &str,
    ) -> Result<Option<KeyNode<'h, &'h [u8]>>, HiveError> {
        let mut node = root.clone();
        for comp in path.split('\\').filter(|c| !c.is_empty()) {
            match self.child(&node, comp)? {
                Some(n) => node = n,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// A direct subkey by name: a linear, case-insensitive scan, so out-of-order subkey
    /// lists are read correctly.
    fn child<'h>(
        &self,
        node: &KeyNode<'h, &'h [u8]>,
        name: &str,
    ) -> Result<Option<KeyNode<'h, &'h [u8]>>, HiveError> {
        let Some(subkeys) = node.subkeys() else {
            return Ok(None);
        };
        for k in subkeys.map_err(|e| self.nt_error(e))? {
            let k = k.map_err(|e| self.nt_error(e))?;
            if k.name().map_err(|e| self.nt_error(e))? == name {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    fn child_names(&self, node: &KeyNode<'_, &[u8]>) -> Result<Vec<String>, HiveError> {
        let Some(subkeys) = node.subkeys() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for k in subkeys.map_err(|e| self.nt_error(e))? {
            let k = k.map_err(|e| self.nt_error(e))?;
            out.push(k.name().map_err(|e| self.nt_error(e))?.to_string_lossy());
        }
        Ok(out)
    }

    fn copy_key(
        &self,
        node: &KeyNode<'_, &[u8]>,
        full: &str,
        out: &mut MemRegistry,
    ) -> Result<(), HiveError> {
        out.create_key(full);
        let Some(values) = node.values() else {
            return Ok(());
        };
        for v in values.map_err(|e| self.nt_error(e))? {
            let v = v.map_err(|e| self.nt_error(e))?;
            let name = v.name().map_err(|e| self.nt_error(e))?.to_string_lossy();
            let type_code = raw_type(&v).map_err(|e| self.nt_error(e))?;
            let bytes = self.value_bytes(&v).map_err(|e| self.nt_error(e))?;
            out.set_raw(full, &name, type_code, bytes);
        }
        Ok(())
    }

    fn copy_tree(
        &self,
        node: &KeyNode<'_, &[u8]>,
        full: &str,
        out: &mut MemRegistry,
        depth: usize,
        budget: &mut usize,
        ancestors: &mut Vec<Option<usize>>,
    ) -> Result<(), HiveError> {
        if depth > MAX_DEPTH {
            return Err(HiveError::Invalid { path: self.path.clone(), message: format!("{full}: keys nest deeper than {MAX_DEPTH} levels (a cycle in the subkey lists?)") });
        }
        if *budget == 0 {
            return Err(HiveError::Invalid {
                path: self.path.clone(),
                message: format!(
                    "{full}: more than {MAX_KEYS} keys below it (a cycle in the subkey lists?)"
                ),
            });
        }
        *budget -= 1;
        // A key that is its own ancestor: a cycle in the subkey lists.
        let id = node_id(node);
        if id.is_some() && ancestors.contains(&id) {
            return Err(HiveError::Invalid {
                path: self.path.clone(),
                message: format!("{full}: a subkey list leads back to an ancestor (a cycle)"),
            });
        }
        self.copy_key(node, full, out)?;
        let Some(subkeys) = node.subkeys() else {
            return Ok(());
        };
        ancestors.push(id);
        for k in subkeys.map_err(|e| self.nt_error(e))? {
            let k = k.map_err(|e| self.nt_error(e))?;
            let name = k.name().map_err(|e| self.nt_error(e))?.to_string_lossy();
            self.copy_tree(
                &k,
                &format!("{full}\\{name}"),
                out,
                depth + 1,
                budget,
                ancestors,
            )?;
        }
        ancestors.pop();
        Ok(())
    }
}

/// What [`HiveFile::walk`] reports, depth first in the hive's own order.
pub enum WalkEvent<'a> {
    /// A key (its full path); its values follow, then its subkeys.
    Key(&'a str),
    /// A value of the last key.
    Value {
        name: &'a str,
        type_code: u32,
        data: &'a [u8],
    },
    /// A value or subkey that could not be read (it is left out).
    Damaged {
        key: &'a str,
        what: String,
        error: HiveError,
    },
}

thread_local! {
    /// Set while this thread reads a hive inside [`quietly`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic (nt-hive has panicked on crafted input) into `Err`, with the
/// panic message silenced for this thread only: the library prints nothing, and other
/// threads' panics still print. The hook is installed once, wrapping the previous one.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// A value's type number, including those nt-hive has no name for (Windows stores device
/// property types such as 0xffff0011 as value types).
fn raw_type(v: &nt_hive::KeyValue<'_, &[u8]>) -> Result<u32, NtHiveError> {
    match v.data_type() {
        Ok(t) => Ok(t as u32),
        Err(NtHiveError::UnsupportedKeyValueDataType { actual, .. }) => Ok(actual),
        Err(e) => Err(e),
    }
}

impl HiveFile {
    /// A value's data. A zero size needs no data cell (nt-hive asserts on the 0xFFFFFFFF
    /// offset such values carry). Data over 16344 bytes is a big-data list in hive format
    /// 1.4 and later, but one plain cell in format 1.3 hives, which nt-hive does not read:
    /// that cell is read here, bounded by its own size.
    fn value_bytes(&self, v: &nt_hive::KeyValue<'_, &[u8]>) -> Result<Vec<u8>, NtHiveError> {
        let size = v.data_size() as usize;
        if size == 0 {
            return Ok(Vec::new());
        }
        match v.data() {
            Ok(KeyValueData::Small(b)) => Ok(b.to_vec()),
            Ok(KeyValueData::Big(iter)) => {
                let mut all = Vec::with_capacity(size);
                for part in iter {
                    all.extend_from_slice(part?);
                }
                Ok(all)
            }
            Err(NtHiveError::InvalidTwoByteSignature {
                offset,
                expected,
                actual,
            }) if expected == b"db" => {
                // `offset` is where the cell's data starts; its size field is 4 bytes before.
                let cell = offset.checked_sub(4).filter(|c| c + 4 <= self.bytes.len());
                let cell_size = cell.map(|c| {
                    i32::from_le_bytes([
                        self.bytes[c],
                        self.bytes[c + 1],
                        self.bytes[c + 2],
                        self.bytes[c + 3],
                    ])
                });
                match cell_size {
                    Some(cs)
                        if cs < 0
                            && (cs.unsigned_abs() as usize).saturating_sub(4) >= size
                            && offset + size <= self.bytes.len() =>
                    {
                        Ok(self.bytes[offset..offset + size].to_vec())
                    }
                    _ => Err(NtHiveError::InvalidTwoByteSignature {
                        offset,
                        expected,
                        actual,
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// A key's identity: where its name lies in the hive bytes.
fn node_id(node: &KeyNode<'_, &[u8]>) -> Option<usize> {
    match node.name().ok()? {
        nt_hive::NtHiveNameString::Latin1(b) | nt_hive::NtHiveNameString::Utf16LE(b) => {
            Some(b.as_ptr() as usize)
        }
    }
}

impl HiveFile {
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
            let hive = Hive::without_validation(&self.bytes[..]).map_err(|e| self.nt_error(e))?;
            let root = hive.root_key_node().map_err(|e| self.nt_error(e))?;
            let Some(node) = self.find(&root, start)? else {
                return Ok(false);
            };
            let full = if start.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}\\{start}")
            };
            let mut ancestors = Vec::new();
            self.walk_node(&node, &full, f, &mut ancestors);
            Ok(true)
        };
        self.guarded(run)
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

    fn walk_node(
        &self,
        node: &KeyNode<'_, &[u8]>,
        full: &str,
        f: &mut dyn FnMut(WalkEvent<'_>),
        ancestors: &mut Vec<usize>,
    ) {
        let id = node_id(node);
        if let Some(id) = id {
            if ancestors.contains(&id) {
                let error = HiveError::Invalid { path: self.path.clone(), message: format!("{full}: a subkey list leads back to an ancestor (a cycle); the branch is left out") };
                f(WalkEvent::Damaged {
                    key: full,
                    what: "subkeys".into(),
                    error,
                });
                return;
            }
        }
        if ancestors.len() >= MAX_DEPTH {
            let error = HiveError::Invalid {
                path: self.path.clone(),
                message: format!(
                    "{full}: keys nest deeper than {MAX_DEPTH} levels; the branch is left out"
                ),
            };
            f(WalkEvent::Damaged {
                key: full,
                what: "subkeys".into(),
                error,
            });
            return;
        }
        f(WalkEvent::Key(full));
        if let Some(values) = node.values() {
            match values {
                Err(e) => f(WalkEvent::Damaged {
                    key: full,
                    what: "the value list".into(),
                    error: self.nt_error(e),
                }),
                Ok(values) => {
                    for v in values {
                        let read = (|| {
                            let v = v?;
                            let name = v.name()?.to_string_lossy();
                            let t = raw_type(&v)?;
                            let bytes = self.value_bytes(&v)?;
                            Ok::<_, NtHiveError>((name, t, bytes))
                        })();
                        match read {
                            Ok((name, t, bytes)) => f(WalkEvent::Value {
                                name: &name,
                                type_code: t,
                                data: &bytes,
                            }),
                            Err(e) => f(WalkEvent::Damaged {
                                key: full,
                                what: "a value".into(),
                                error: self.nt_error(e),
                            }),
                        }
                    }
                }
            }
        }
        let Some(subkeys) = node.subkeys() else {
            return;
        };
        let subkeys = match subkeys {
            Ok(s) => s,
            Err(e) => {
                return f(WalkEvent::Damaged {
                    key: full,
                    what: "the subkey list".into(),
                    error: self.nt_error(e),
                })
            }
        };
        if let Some(id) = id {
            ancestors.push(id);
        }
        for k in subkeys {
            match k.and_then(|k| {
                let name = k.name()?.to_string_lossy();
                Ok((name, k))
            }) {
                Ok((name, k)) => self.walk_node(&k, &format!("{full}\\{name}"), f, ancestors),
                Err(e) => f(WalkEvent::Damaged {
                    key: full,
                    what: "a subkey".into(),
                    error: self.nt_error(e),
                }),
            }
        }
        if id.is_some() {
            ancestors.pop();
        }
    }
}
