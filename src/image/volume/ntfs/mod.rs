//! One NTFS volume, read with the `ntfs` crate: paths looked up component by component
//! through the folders' indexes (case-insensitively, with the volume's $UpCase table, as
//! Windows does), and a file's unnamed $DATA stream handed out as a [`ReadAt`] that maps
//! file offsets to volume offsets through the data runs (all extents of an
//! $ATTRIBUTE_LIST, sparse runs as zeros, bytes past the valid data length as zeros). Reads
//! of file data are positioned reads of the volume: no cursor, no lock.
//!
//! The crate reads through a cursor with a read budget ([`READ_BUDGET`] per lookup), so a
//! folder index whose nodes point at each other ends in an error instead of a hang, and a
//! panic inside the crate (crafted input) comes back as an error too.

use super::VolumeError;
use crate::source::{check_range, ReadAt};
use ntfs::indexes::NtfsFileNameIndex;
use ntfs::structured_values::{NtfsAttributeList, NtfsFileNamespace};
use ntfs::{Ntfs, NtfsAttribute, NtfsAttributeFlags, NtfsAttributeType, NtfsFile};
use std::io;
use std::sync::Arc;

/// The most bytes the `ntfs` crate may read for one lookup or one file's run map.
pub const READ_BUDGET: u64 = 64 << 20;
/// The most data runs a file may have (a hive with more is not worth reading).
pub const MAX_RUNS: usize = 1 << 20;
/// The MFT record number of the root folder.
const ROOT: u64 = 5;

/// An NTFS volume: its bytes and what its boot sector and $UpCase say.
pub struct NtfsVolume {
    label: String,
    /// Where the volume starts in the disk (for messages).
    offset: u64,
    volume: Arc<dyn ReadAt>,
    ntfs: Ntfs,
}

/// A folder entry found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The MFT record number.
    pub record: u64,
    /// The name as stored on the volume (the long name when there is also an 8.3 alias).
    pub name: String,
    /// Whether the entry is a folder.
    pub is_dir: bool,
}

impl NtfsVolume {
    /// Opens the NTFS volume `volume`, which starts at `offset` in the disk `label`: reads
    /// the boot sector and the $UpCase table.
    pub fn open(
        volume: Arc<dyn ReadAt>,
        offset: u64,
        label: &str,
    ) -> Result<NtfsVolume, VolumeError> {
        let err = |message: String| VolumeError::Ntfs {
            label: label.to_string(),
            volume: offset,
            message,
        };
        let mut fs = FsCursor::new(&*volume);
        let ntfs = quietly(|| -> Result<Ntfs, String> {
            let mut ntfs =
                Ntfs::new(&mut fs).map_err(|e| format!("the boot sector is not usable: {e}"))?;
            ntfs.read_upcase_table(&mut fs)
                .map_err(|e| format!("the $UpCase table cannot be read: {e}"))?;
            Ok(ntfs)
        })
        .map_err(err)?;
        if ntfs.size() > volume.size() {
            return Err(err(format!(
                "the boot sector says the volume is {} bytes, more than the {} bytes of its partition",
                ntfs.size(),
                volume.size()
            )));
        }
        Ok(NtfsVolume {
            label: label.to_string(),
            offset,
            volume,
            ntfs,
        })
    }

    /// The volume's bytes.
    pub fn volume(&self) -> &Arc<dyn ReadAt> {
        &self.volume
    }

    /// The cluster size in bytes.
    pub fn cluster_size(&self) -> u32 {
        self.ntfs.cluster_size()
    }

    fn error(&self, message: String) -> VolumeError {
        VolumeError::Ntfs {
            label: self.label.clone(),
            volume: self.offset,
            message,
        }
    }

    fn file_error(&self, path: &str, message: String) -> VolumeError {
        VolumeError::File {
            label: self.label.clone(),
            volume: self.offset,
            path: path.to_string(),
            message,
        }
    }

    /// The entries along `path` from the root folder (each component matched
    /// case-insensitively), or `None` when a component is missing or a file stands where
    /// a folder should.
    pub fn lookup(&self, path: &[&str]) -> Result<Option<Vec<Entry>>, VolumeError> {
        let mut dir = ROOT;
        let mut out = Vec::with_capacity(path.len());
        for (i, name) in path.iter().enumerate() {
            if i > 0 && !out.last().is_some_and(|e: &Entry| e.is_dir) {
                return Ok(None);
            }
            match self.child(dir, name)? {
                Some(e) => {
                    dir = e.record;
                    out.push(e);
                }
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    /// The entry called `name` (any case) in the folder at MFT record `dir`.
    pub fn child(&self, dir: u64, name: &str) -> Result<Option<Entry>, VolumeError> {
        let mut fs = FsCursor::new(&*self.volume);
        let ntfs = &self.ntfs;
        quietly(|| -> Result<Option<Entry>, String> {
            let folder = ntfs
                .file(&mut fs, dir)
                .map_err(|e| format!("MFT record {dir} cannot be read: {e}"))?;
            let index = folder
                .directory_index(&mut fs)
                .map_err(|e| format!("the index of the folder at MFT record {dir}: {e}"))?;
            let mut finder = index.finder();
            let found = match NtfsFileNameIndex::find(&mut finder, ntfs, &mut fs, name) {
                None => return Ok(None),
                Some(found) => found.map_err(|e| {
                    format!("looking up \"{name}\" in the folder at MFT record {dir}: {e}")
                })?,
            };
            let key_name = match found.key() {
                Some(Ok(k)) => Some(k.name().to_string_lossy()),
                _ => None,
            };
            let file = found.to_file(ntfs, &mut fs).map_err(|e| {
                format!("\"{name}\" in the folder at MFT record {dir} cannot be read: {e}")
            })?;
            // Prefer the long name in this folder over an 8.3 alias the index may have hit.
            let long = [
                NtfsFileNamespace::Win32,
                NtfsFileNamespace::Win32AndDos,
                NtfsFileNamespace::Posix,
            ]
            .into_iter()
            .find_map(|ns| match file.name(&mut fs, Some(ns), Some(dir)) {
                Some(Ok(n)) => Some(n.name().to_string_lossy()),
                _ => None,
            });
            Ok(Some(Entry {
                record: file.file_record_number(),
                name: long.or(key_name).unwrap_or_else(|| name.to_string()),
                is_dir: file.is_directory(),
            }))
        })
        .map_err(|m| self.error(m))
    }

    /// The unnamed $DATA stream of the file at MFT record `record` (`path` names it in
    /// messages). Compressed and encrypted files are refused; a run map that points
    /// outside the volume or overlaps itself is an error.
    pub fn data(&self, record: u64, path: &str) -> Result<FileData, VolumeError> {
        let mut fs = FsCursor::new(&*self.volume);
        let ntfs = &self.ntfs;
        let volume_size = self.volume.size();
        let at = |m: String| format!("(MFT record {record}) {m}");
        let (size, initialized, map) = quietly(|| -> Result<(u64, u64, DataMap), String> {
            let file = ntfs
                .file(&mut fs, record)
                .map_err(|e| at(format!("cannot be read: {e}")))?;
            if file.is_directory() {
                return Err(at("is a folder, not a file".into()));
            }
            let item = match file.data(&mut fs, "") {
                None => return Err(at("has no unnamed $DATA stream".into())),
                Some(item) => item.map_err(|e| at(format!("its $DATA stream: {e}")))?,
            };
            let attr = item
                .to_attribute()
                .map_err(|e| at(format!("its $DATA attribute: {e}")))?;
            refuse_flags(&attr).map_err(at)?;
            if attr.is_resident() {
                let value = attr
                    .value(&mut fs)
                    .map_err(|e| at(format!("its resident $DATA: {e}")))?;
                let mut bytes = Vec::new();
                if let ntfs::attribute_value::NtfsAttributeValue::Resident(v) = value {
                    bytes.extend_from_slice(v.data());
                }
                let n = bytes.len() as u64;
                return Ok((n, n, DataMap::Resident(bytes.into())));
            }
            let (runs, size, initialized) = match extents(ntfs, &mut fs, &file, &*self.volume) {
                Some(list) => list.map_err(at)?,
                None => {
                    let size = attr.value_length();
                    let value = attr
                        .value(&mut fs)
                        .map_err(|e| at(format!("its $DATA attribute: {e}")))?;
                    let runs = match value {
                        ntfs::attribute_value::NtfsAttributeValue::NonResident(v) => {
                            collect_runs(v.data_runs()).map_err(at)?
                        }
                        _ => return Err(at("its $DATA attribute is not non-resident".into())),
                    };
                    let initialized = valid_data_length(&*self.volume, &file, &attr, size);
                    (runs, size, initialized)
                }
            };
            let runs = run_map(runs, size, volume_size).map_err(at)?;
            Ok((size, initialized, DataMap::Runs(runs)))
        })
        .map_err(|m| self.file_error(path, m))?;
        Ok(FileData {
            volume: self.volume.clone(),
            size,
            initialized,
            map,
        })
    }
}

fn refuse_flags(attr: &NtfsAttribute) -> Result<(), String> {
    let flags = attr.flags();
    if flags.contains(NtfsAttributeFlags::COMPRESSED) {
        return Err("is NTFS-compressed, which tlsreg does not read".into());
    }
    if flags.contains(NtfsAttributeFlags::ENCRYPTED) {
        return Err("is EFS-encrypted, which tlsreg cannot read".into());
    }
    Ok(())
}

/// The data runs (length, volume offset or `None` when sparse) of every extent of the
/// file's unnamed non-resident $DATA when the file has an $ATTRIBUTE_LIST, in VCN order,
/// with the size and valid data length the first extent gives; `None` when it has no list
/// (the base record's $DATA attribute holds every run).
///
/// Read here from the list itself: `NtfsFile::data` of ntfs 0.4 yields the extents in
/// other records before the one in the base record, so it can hand out a later extent
/// (whose size field is 0) as the stream.
type Extents = (Vec<RawRun>, u64, u64);

/// A data run as the crate gives it: allocated length, volume offset (`None`: sparse).
type RawRun = (u64, Option<u64>);

fn extents(
    ntfs: &Ntfs,
    fs: &mut FsCursor,
    file: &NtfsFile,
    volume: &dyn ReadAt,
) -> Option<Result<Extents, String>> {
    // The raw iterator gives the same error again on every call (it does not move past
    // a damaged attribute): stop at the first one.
    let mut list_attr = None;
    for a in file.attributes_raw() {
        match a {
            Ok(a) if a.ty().ok() == Some(NtfsAttributeType::AttributeList) => {
                list_attr = Some(a);
                break;
            }
            Ok(_) => {}
            Err(e) => return Some(Err(format!("its attributes: {e}"))),
        }
    }
    let list_attr = list_attr?;
    Some((|| {
        let list = list_attr
            .structured_value::<_, NtfsAttributeList>(fs)
            .map_err(|e| format!("its $ATTRIBUTE_LIST: {e}"))?;
        let mut entries = list.entries();
        let mut parts: Vec<(i64, Vec<RawRun>)> = Vec::new();
        let mut first = None;
        while let Some(entry) = entries.next(fs) {
            let entry = entry.map_err(|e| format!("its $ATTRIBUTE_LIST: {e}"))?;
            if entry.ty().ok() != Some(NtfsAttributeType::Data) || entry.name_length() != 0 {
                continue;
            }
            let wanted = entry.base_file_reference().file_record_number();
            let holder = entry
                .to_file(ntfs, fs)
                .map_err(|e| format!("MFT record {wanted} of its $DATA: {e}"))?;
            if holder.file_record_number() != wanted {
                return Err(format!(
                    "MFT record {wanted} of its $DATA says it is record {}",
                    holder.file_record_number()
                ));
            }
            let attr = entry
                .to_attribute(&holder)
                .map_err(|e| format!("the $DATA extent in MFT record {wanted}: {e}"))?;
            refuse_flags(&attr)?;
            if attr.is_resident() {
                return Err(format!(
                    "the $DATA extent in MFT record {wanted} is resident in an attribute list"
                ));
            }
            let value = attr
                .value(fs)
                .map_err(|e| format!("the $DATA extent in MFT record {wanted}: {e}"))?;
            let runs = match value {
                ntfs::attribute_value::NtfsAttributeValue::NonResident(v) => {
                    collect_runs(v.data_runs())?
                }
                _ => {
                    return Err(format!(
                        "the $DATA extent in MFT record {wanted} is not non-resident"
                    ))
                }
            };
            if parts.len() >= MAX_RUNS {
                return Err(format!("its $DATA has more than {MAX_RUNS} extents"));
            }
            let vcn = entry.lowest_vcn().value();
            if vcn == 0 && first.is_none() {
                let size = attr.value_length();
                first = Some((size, valid_data_length(volume, &holder, &attr, size)));
            }
            parts.push((vcn, runs));
        }
        let (size, initialized) =
            first.ok_or_else(|| "its $DATA has no extent at VCN 0".to_string())?;
        parts.sort_by_key(|(vcn, _)| *vcn);
        let cluster = ntfs.cluster_size() as u64;
        let mut out = Vec::new();
        let mut next_vcn: u64 = 0;
        for (vcn, runs) in parts {
            if vcn < 0 || vcn as u64 != next_vcn {
                return Err(format!(
                    "its $DATA extents do not follow each other (an extent starts at VCN {vcn}, the one before ends at VCN {next_vcn})"
                ));
            }
            for (len, at) in runs {
                next_vcn = next_vcn.saturating_add(len / cluster);
                out.push((len, at));
                if out.len() > MAX_RUNS {
                    return Err(format!("its $DATA has more than {MAX_RUNS} data runs"));
                }
            }
        }
        Ok((out, size, initialized))
    })())
}

fn collect_runs(
    runs: ntfs::attribute_value::NtfsDataRuns,
) -> Result<Vec<(u64, Option<u64>)>, String> {
    let mut out = Vec::new();
    for run in runs {
        let run = run.map_err(|e| format!("its data runs: {e}"))?;
        if out.len() >= MAX_RUNS {
            return Err(format!("its $DATA has more than {MAX_RUNS} data runs"));
        }
        out.push((
            run.allocated_size(),
            run.data_position().value().map(|p| p.get()),
        ));
    }
    Ok(out)
}

/// The valid data length of a non-resident $DATA (bytes past it read as zeros), read from
/// the attribute header on the volume; the data size when it cannot be read safely (the
/// field crosses an update-sequence fixup, or the header does not look as expected).
fn valid_data_length(volume: &dyn ReadAt, file: &NtfsFile, attr: &NtfsAttribute, size: u64) -> u64 {
    let (Some(record), Some(at)) = (file.position().value(), attr.position().value()) else {
        return size;
    };
    let (record, at) = (record.get(), at.get());
    let Some(in_record) = at.checked_sub(record) else {
        return size;
    };
    // The last two bytes of each 512-byte stride of a record are fixups on disk.
    let clean = |o: u64, n: u64| (in_record + o) % 512 + n <= 510;
    if !clean(8, 1) || !clean(0x30, 16) {
        return size;
    }
    let mut h = [0u8; 0x40];
    if volume.read_exact_at(&mut h, at).is_err() || h[8] != 1 {
        return size;
    }
    let data_size = u64::from_le_bytes(h[0x30..0x38].try_into().expect("8 bytes"));
    let valid = u64::from_le_bytes(h[0x38..0x40].try_into().expect("8 bytes"));
    if data_size != size {
        return size;
    }
    valid.min(size)
}

/// One piece of a file: `len` bytes from `file_offset`, at `volume_offset` in the volume,
/// or zeros (a sparse run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// The run's first byte in the file.
    pub file_offset: u64,
    /// The run's length in bytes.
    pub len: u64,
    /// The run's first byte in the volume; `None` for a sparse run, read as zeros.
    pub volume_offset: Option<u64>,
}

/// The run map of a file of `size` bytes from its data runs (allocated length, volume
/// offset or `None` for sparse) in order. Refused: a run past the end of the volume, runs
/// that overlap each other, runs that cover less than the file, more than [`MAX_RUNS`].
pub fn run_map(
    runs: impl IntoIterator<Item = (u64, Option<u64>)>,
    size: u64,
    volume_size: u64,
) -> Result<Vec<Run>, String> {
    let mut out: Vec<Run> = Vec::new();
    let mut file_offset: u64 = 0;
    for (i, (len, at)) in runs.into_iter().enumerate() {
        if out.len() >= MAX_RUNS {
            return Err(format!("has more than {MAX_RUNS} data runs"));
        }
        if len == 0 {
            return Err(format!("data run {i} is empty"));
        }
        if let Some(at) = at {
            if at.checked_add(len).is_none_or(|end| end > volume_size) {
                return Err(format!(
                    "data run {i} (volume offset {at:#x}, {len} bytes) reaches past the end of the volume ({volume_size:#x} bytes)"
                ));
            }
        }
        out.push(Run {
            file_offset,
            len,
            volume_offset: at,
        });
        file_offset = file_offset
            .checked_add(len)
            .ok_or_else(|| format!("data run {i} makes the file larger than 2^64 bytes"))?;
    }
    if file_offset < size {
        return Err(format!(
            "has data runs covering {file_offset} bytes, less than its size of {size} bytes"
        ));
    }
    let mut placed: Vec<(u64, u64, usize)> = out
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.volume_offset.map(|at| (at, at + r.len, i)))
        .collect();
    placed.sort_unstable();
    for w in placed.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(format!(
                "has data runs {} and {} that overlap at volume offset {:#x}",
                w[0].2.min(w[1].2),
                w[0].2.max(w[1].2),
                w[1].0
            ));
        }
    }
    Ok(out)
}

enum DataMap {
    Resident(Arc<[u8]>),
    Runs(Vec<Run>),
}

/// A file's unnamed $DATA stream, read lazily: resident bytes copied when the file was
/// opened, non-resident ones read from the volume through the run map on each read.
pub struct FileData {
    volume: Arc<dyn ReadAt>,
    size: u64,
    /// Bytes at and past this offset read as zeros (the valid data length).
    initialized: u64,
    map: DataMap,
}

impl std::fmt::Debug for FileData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileData")
            .field("size", &self.size)
            .field("valid_data_length", &self.initialized)
            .field("resident", &self.is_resident())
            .field("runs", &self.runs().len())
            .finish()
    }
}

impl FileData {
    /// The data runs (empty for a resident file).
    pub fn runs(&self) -> &[Run] {
        match &self.map {
            DataMap::Resident(_) => &[],
            DataMap::Runs(r) => r,
        }
    }

    /// Whether the data sits in the MFT record itself.
    pub fn is_resident(&self) -> bool {
        matches!(self.map, DataMap::Resident(_))
    }

    /// The valid data length (bytes past it read as zeros).
    pub fn valid_data_length(&self) -> u64 {
        self.initialized
    }
}

impl ReadAt for FileData {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.size)?;
        let runs = match &self.map {
            DataMap::Resident(b) => {
                let at = offset as usize;
                buf.copy_from_slice(&b[at..at + buf.len()]);
                return Ok(());
            }
            DataMap::Runs(r) => r,
        };
        let mut done = 0usize;
        let mut i = runs.partition_point(|r| r.file_offset + r.len <= offset);
        while done < buf.len() {
            let pos = offset + done as u64;
            let run = runs.get(i).ok_or_else(|| {
                io::Error::new(io::ErrorKind::UnexpectedEof, "read past the last data run")
            })?;
            let within = pos - run.file_offset;
            let n = ((run.len - within) as usize).min(buf.len() - done);
            let part = &mut buf[done..done + n];
            // Past the valid data length the bytes are zeros whatever the clusters hold.
            let valid = self.initialized.saturating_sub(pos).min(n as u64) as usize;
            match run.volume_offset {
                Some(at) if valid > 0 => {
                    self.volume.read_exact_at(&mut part[..valid], at + within)?;
                    part[valid..].fill(0);
                }
                _ => part.fill(0),
            }
            done += n;
            i += 1;
        }
        Ok(())
    }
}

/// `Read + Seek` over a volume for the `ntfs` crate: one cached 4 KiB block (the crate
/// reads records in small pieces) and a read budget, after which reads fail.
struct FsCursor<'a> {
    volume: &'a dyn ReadAt,
    pos: u64,
    block: Option<(u64, Vec<u8>)>,
    budget: u64,
}

const BLOCK: u64 = 4096;

impl<'a> FsCursor<'a> {
    fn new(volume: &'a dyn ReadAt) -> FsCursor<'a> {
        FsCursor {
            volume,
            pos: 0,
            block: None,
            budget: READ_BUDGET,
        }
    }
}

impl io::Read for FsCursor<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.volume.size();
        if self.pos >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = buf
            .len()
            .min((size - self.pos).min(usize::MAX as u64) as usize);
        if n as u64 > self.budget {
            return Err(io::Error::other(format!(
                "the NTFS structures need more than {READ_BUDGET} bytes of reads for one lookup (a loop in the volume's structures?)"
            )));
        }
        self.budget -= n as u64;
        let start = self.pos - self.pos % BLOCK;
        if self.pos + n as u64 <= start + BLOCK {
            if self.block.as_ref().is_none_or(|(at, _)| *at != start) {
                let len = BLOCK.min(size - start) as usize;
                let mut b = vec![0u8; len];
                self.volume.read_exact_at(&mut b, start)?;
                self.block = Some((start, b));
            }
            let (_, b) = self.block.as_ref().expect("just cached");
            let at = (self.pos - start) as usize;
            buf[..n].copy_from_slice(&b[at..at + n]);
        } else {
            self.volume.read_exact_at(&mut buf[..n], self.pos)?;
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for FsCursor<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let new = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(d) => self.volume.size().checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let new = new.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the volume",
            )
        })?;
        self.pos = new;
        Ok(new)
    }
}

/// Runs `f`, turning a panic of the `ntfs` crate on crafted input into an error
/// ([`crate::quiet::quietly`]).
fn quietly<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match crate::quiet::quietly(f) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "the NTFS reader failed on a damaged structure ({})",
            crate::quiet::message(p.as_ref())
        )),
    }
}

#[cfg(test)]
mod tests;
