//! VMDK images (VMware): hosted sparse extents (monolithicSparse, and the extents of
//! twoGbMaxExtentSparse), and descriptor files naming flat, sparse or zero extents
//! (monolithicFlat, twoGbMaxExtentFlat, vmfs).
//!
//! From VMware's "Virtual Disk Format 1.1" (VMware Technical Note); numbers little-endian:
//! - A **hosted sparse extent** starts with a 512-byte header: magic `KDMV` (0, u32
//!   0x564D444B), version (4, u32, 1 to 3), flags (8, u32: bit 0 valid newline test, bit 1
//!   redundant grain table, bit 2 "zeroed-grain" grain table entries, bit 16 compressed
//!   grains, bit 17 markers), capacity (12, u64 sectors), grain size (20, u64 sectors, a
//!   power of two), descriptor offset and size (28, 36, u64 sectors), number of grain
//!   table entries per grain table (44, u32, 512), redundant grain directory offset (48,
//!   u64 sectors), grain directory offset (56, u64 sectors; all ones in a
//!   stream-optimized extent, whose directory is in a footer), overhead (64), unclean
//!   shutdown (72, u8), newline test characters (73-76), compression algorithm (77, u16:
//!   0 none, 1 deflate).
//! - The **grain directory** is an array of u32 sector offsets of grain tables, one per
//!   `grain size × entries per table` sectors of the disk; a **grain table** is an array
//!   of u32 sector offsets of grains. 0 is a grain never written (zeros here: tlsreg reads
//!   no parent disks); 1, when flag bit 2 is set, is a grain written as zeros.
//! - **Stream-optimized** extents (OVF/OVA exports) have compressed grains (flag bit 16,
//!   compression algorithm 1: deflate in a zlib wrapper, RFC 1950/1951); with flag bit 17
//!   each grain starts with a 12-byte grain marker (its disk sector, u64; its compressed
//!   length, u32). A grain directory offset of all ones means the directory is named by
//!   the footer, a copy of the header 1024 bytes before the end of the file.
//! - A **descriptor** is text starting `# Disk DescriptorFile` (embedded in a sparse
//!   extent at its descriptor offset, or a file of its own): `key=value` lines
//!   (`createType`, `parentCID`: `ffffffff` when the disk has no parent) and extent lines
//!   `ACCESS SECTORS TYPE "FILE" [OFFSET]` (access RW, RDONLY or NOACCESS; type FLAT,
//!   VMFS, SPARSE, ZERO, or the ESX kinds VMFSSPARSE, VMFSRDM, VMFSRAW, SESPARSE, which
//!   are refused). The disk is the extents one after another; a flat extent's data starts
//!   OFFSET sectors into its file.
//!
//! Extent files are named relative to the descriptor's folder; absolute names and names
//! with `..` are refused (an image is its own folder), and each file is opened through
//! [`crate::input::open`], so a device or FIFO is refused too.

use super::error::ContainerError;
use super::file::{
    bytes, div_ceil, inflate, le16, le32, le64, ImageFile, Inflated, Map, Mapped, Run, MAX_DISK,
};
use super::{Container, Format};
use crate::source::{ReadAt, Slice};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The hosted sparse extent's magic, as its bytes appear at offset 0.
pub const SPARSE_MAGIC: &[u8; 4] = b"KDMV";
/// How a descriptor file starts.
pub const DESCRIPTOR_MAGIC: &[u8] = b"# Disk DescriptorFile";
const SECTOR: u64 = 512;
/// Largest descriptor read (VMware's are under 1 KiB; twoGbMaxExtent ones list a few
/// hundred extents at most).
const MAX_DESCRIPTOR: u64 = 64 * 1024;
/// Most extents one descriptor may name.
const MAX_EXTENTS: usize = 4096;
const FLAG_ZERO_GRAIN: u32 = 1 << 2;
const FLAG_COMPRESSED: u32 = 1 << 16;
const FLAG_MARKERS: u32 = 1 << 17;
const GD_AT_END: u64 = u64::MAX;

/// Opens a file that starts with `KDMV` as the whole disk.
pub(super) fn open_sparse(file: Arc<ImageFile>) -> Result<Arc<dyn ReadAt>, ContainerError> {
    let (_, disk) = sparse(file, true)?;
    Ok(disk)
}

/// A sparse extent's disk and capacity in bytes. `whole` when the file is the whole image
/// (its embedded descriptor then says whether the disk has a parent).
fn sparse(file: Arc<ImageFile>, whole: bool) -> Result<(u64, Arc<dyn ReadAt>), ContainerError> {
    let h = file.read("VMDK sparse extent header", 0, 512)?;
    if &h[0..4] != SPARSE_MAGIC {
        return Err(file.invalid(0, "the VMDK sparse extent does not start with \"KDMV\""));
    }
    let version = le32(&h, 4);
    let flags = le32(&h, 8);
    let capacity = le64(&h, 12);
    let grain = le64(&h, 20);
    let (desc_at, desc_len) = (le64(&h, 28), le64(&h, 36));
    let gtes = u64::from(le32(&h, 44));
    let gd_at = le64(&h, 56);
    let compression = le16(&h, 77);
    if !(1..=3).contains(&version) {
        return Err(file.unsupported(format!(
            "the VMDK sparse extent is version {version}; tlsreg reads versions 1 to 3"
        )));
    }
    let compressed = flags & FLAG_COMPRESSED != 0;
    if compression > 1 || (compressed && compression != 1) {
        return Err(file.unsupported(format!(
            "the VMDK grains are compressed with algorithm {compression}; tlsreg inflates only deflate (1)"
        )));
    }
    // A stream-optimized extent written in one pass keeps its grain directory offset in
    // the footer: the header copy 1024 bytes before the end of the file.
    let gd_at = if gd_at == GD_AT_END {
        let at = file.size().saturating_sub(1024);
        let footer = file.read("VMDK footer", at, 512)?;
        if &footer[0..4] != SPARSE_MAGIC {
            return Err(file.invalid(
                at,
                "the VMDK header says its grain directory is given in the footer, but there is no footer (\"KDMV\") 1024 bytes before the end of the file",
            ));
        }
        le64(&footer, 56)
    } else {
        gd_at
    };
    if whole && desc_at != 0 && desc_len != 0 {
        let at = desc_at.checked_mul(SECTOR);
        let len = desc_len.saturating_mul(SECTOR).min(MAX_DESCRIPTOR);
        if let Some(at) = at {
            let text = file.read("embedded VMDK descriptor", at, len as usize)?;
            let d = Descriptor::parse(&file, &text)?;
            d.refuse_parent(&file)?;
        }
    }
    let capacity_bytes = capacity
        .checked_mul(SECTOR)
        .filter(|&c| c <= MAX_DISK)
        .ok_or_else(|| {
            file.invalid(
                12,
                format!("the VMDK capacity is {capacity} sectors, more than the {} tlsreg accepts; the header is damaged", bytes(MAX_DISK)),
            )
        })?;
    if !grain.is_power_of_two() || grain > 1 << 16 || (compressed && grain > 4096) {
        return Err(file.invalid(
            20,
            format!(
                "the VMDK grain size is {grain} sectors; it must be a power of two up to 65536"
            ),
        ));
    }
    if !(1..=65536).contains(&gtes) {
        return Err(file.invalid(
            44,
            format!("the VMDK grain table has {gtes} entries; it must have 1 to 65536"),
        ));
    }
    let grain_bytes = grain * SECTOR;
    let span = grain_bytes * gtes;
    let tables = div_ceil(capacity_bytes, span);
    let gd_at = gd_at
        .checked_mul(SECTOR)
        .ok_or_else(|| file.invalid(56, "the VMDK grain directory offset is past any file"))?;
    file.check("VMDK grain directory", gd_at, tables * 4)?;
    let map = Sparse {
        file: file.clone(),
        size: capacity_bytes,
        grain: grain_bytes,
        gtes,
        gd_at,
        zero_grain: flags & FLAG_ZERO_GRAIN != 0,
        compressed,
        markers: flags & FLAG_MARKERS != 0,
        inflated: Inflated::default(),
    };
    Ok((
        capacity_bytes,
        Arc::new(Mapped {
            file,
            size: capacity_bytes,
            map,
        }),
    ))
}

/// A sparse extent's map: grain directory and grain tables.
struct Sparse {
    file: Arc<ImageFile>,
    size: u64,
    grain: u64,
    gtes: u64,
    gd_at: u64,
    zero_grain: bool,
    compressed: bool,
    /// Each compressed grain starts with a grain marker: its sector (u64) and compressed
    /// length (u32).
    markers: bool,
    inflated: Inflated,
}

impl Map for Sparse {
    fn map(&self, pos: u64, _want: u64) -> Result<(Run, u64), ContainerError> {
        let index = pos / self.grain;
        let within = pos % self.grain;
        let len = (self.grain - within).min(self.size - pos);
        let gd_entry_at = self.gd_at + 4 * (index / self.gtes);
        let gt = self
            .file
            .u32_le("VMDK grain directory entry", gd_entry_at)?;
        if gt == 0 {
            return Ok((Run::Zeros, len));
        }
        let gt_entry_at = u64::from(gt) * SECTOR + 4 * (index % self.gtes);
        let g = self.file.u32_le("VMDK grain table entry", gt_entry_at)?;
        if g == 0 || (g == 1 && self.zero_grain) {
            return Ok((Run::Zeros, len));
        }
        let at = u64::from(g) * SECTOR;
        if !self.compressed {
            return Ok((Run::Data(at + within), len));
        }
        let grain_start = pos - within;
        let buf = self
            .inflated
            .get(at, || self.inflate(at, gt_entry_at, grain_start))?;
        Ok((Run::Buffer(buf, within as usize), len))
    }
}

impl Sparse {
    /// The inflated bytes of the compressed grain at `at` (the grain of disk offset
    /// `grain_start`).
    fn inflate(
        &self,
        at: u64,
        gt_entry_at: u64,
        grain_start: u64,
    ) -> Result<Vec<u8>, ContainerError> {
        let grain = self.grain as usize;
        // Deflate never grows data by more than a few bytes per 16 KiB block.
        let max_in = self.grain + 4096;
        let (data_at, data_len) = if self.markers {
            let m = self.file.read("VMDK grain marker", at, 12)?;
            let n = u64::from(le32(&m, 8));
            if n == 0 || n > max_in {
                return Err(self.file.invalid(
                    at,
                    format!("the VMDK grain marker of disk offset {grain_start:#x} gives {n} bytes of compressed data for a grain of {grain} bytes"),
                ));
            }
            (at + 12, n)
        } else {
            (at, max_in.min(self.file.size().saturating_sub(at)))
        };
        let input = self
            .file
            .read("VMDK compressed grain", data_at, data_len as usize)?;
        // The last grain of the disk may hold fewer bytes.
        let need = grain.min((self.size - grain_start) as usize);
        match inflate(&input, grain, true) {
            Ok((out, n)) if n >= need => Ok(out),
            Ok((_, n)) => Err(self.file.invalid(
                data_at,
                format!("the VMDK compressed grain of disk offset {grain_start:#x} (grain table entry at {gt_entry_at:#x}) inflates to {n} bytes instead of {need}"),
            )),
            Err(why) => Err(self.file.invalid(
                data_at,
                format!("the VMDK compressed grain of disk offset {grain_start:#x} (grain table entry at {gt_entry_at:#x}) is damaged: {why}"),
            )),
        }
    }
}

/// One extent line.
struct Extent {
    line: usize,
    sectors: u64,
    kind: String,
    file: Option<String>,
    offset: u64,
}

/// A parsed descriptor.
struct Descriptor {
    parent_cid: Option<String>,
    extents: Vec<Extent>,
}

impl Descriptor {
    fn parse(file: &ImageFile, text: &[u8]) -> Result<Descriptor, ContainerError> {
        let text = String::from_utf8_lossy(text);
        let mut d = Descriptor {
            parent_cid: None,
            extents: Vec::new(),
        };
        for (i, line) in text.split(['\n', '\r']).enumerate() {
            let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let first = line.split_whitespace().next().unwrap_or("");
            if matches!(first, "RW" | "RDONLY" | "NOACCESS") {
                if d.extents.len() >= MAX_EXTENTS {
                    return Err(file.unsupported(format!(
                        "the VMDK descriptor names more than {MAX_EXTENTS} extents"
                    )));
                }
                d.extents.push(Extent::parse(file, i + 1, line)?);
            } else if let Some((k, v)) = line.split_once('=') {
                let v = v.trim().trim_matches('"').to_string();
                if k.trim() == "parentCID" {
                    d.parent_cid = Some(v);
                }
            }
        }
        Ok(d)
    }

    /// Refuses a disk with a parent (a snapshot's delta).
    fn refuse_parent(&self, file: &ImageFile) -> Result<(), ContainerError> {
        if let Some(p) = &self.parent_cid {
            if !p.eq_ignore_ascii_case("ffffffff") {
                return Err(file.unsupported(format!(
                    "is a VMDK delta disk (its descriptor's parentCID is {p}): it has a parent disk; tlsreg reads only standalone images (consolidate the snapshots, or convert it with `qemu-img convert -O vmdk`)"
                )));
            }
        }
        Ok(())
    }
}

impl Extent {
    fn parse(file: &ImageFile, line_no: usize, line: &str) -> Result<Extent, ContainerError> {
        let bad = |why: &str| {
            file.invalid(
                0,
                format!(
                    "line {line_no} of the VMDK descriptor ({line:?}) is not an extent line: {why}"
                ),
            )
        };
        let (head, name, tail) = match line.split_once('"') {
            Some((head, r)) => {
                let (name, tail) = r
                    .split_once('"')
                    .ok_or_else(|| bad("the file name has no closing quote"))?;
                (head, Some(name.to_string()), tail)
            }
            None => (line, None, ""),
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        let [access, sectors, kind] = words[..] else {
            return Err(bad("it should read ACCESS SECTORS TYPE \"FILE\" [OFFSET]"));
        };
        let sectors = sectors
            .parse::<u64>()
            .map_err(|_| bad("the size in sectors is not a number"))?;
        let offset = match tail.split_whitespace().next() {
            None => 0,
            Some(w) => w
                .parse::<u64>()
                .map_err(|_| bad("the offset is not a number"))?,
        };
        if access == "NOACCESS" {
            return Err(file.unsupported(format!(
                "line {line_no} of the VMDK descriptor names a NOACCESS extent, whose data cannot be read"
            )));
        }
        let kind = kind.to_ascii_uppercase();
        if kind != "ZERO" && name.as_deref().is_none_or(str::is_empty) {
            return Err(bad("it names no file"));
        }
        Ok(Extent {
            line: line_no,
            sectors,
            kind,
            file: name,
            offset,
        })
    }
}

/// Opens a descriptor file: the extents it names, one after another.
pub(super) fn open_descriptor(
    file: Arc<ImageFile>,
    dir: Option<&Path>,
) -> Result<Container, ContainerError> {
    if file.size() > MAX_DESCRIPTOR {
        return Err(file.invalid(
            0,
            format!(
                "the file starts like a VMDK descriptor but is {}, more than a descriptor's {}",
                bytes(file.size()),
                bytes(MAX_DESCRIPTOR)
            ),
        ));
    }
    let text = file.read("VMDK descriptor", 0, file.size() as usize)?;
    let d = Descriptor::parse(&file, &text)?;
    d.refuse_parent(&file)?;
    if d.extents.is_empty() {
        return Err(file.invalid(0, "the VMDK descriptor names no extents"));
    }
    let mut parts: Vec<Arc<dyn ReadAt>> = Vec::new();
    let mut opened: HashMap<String, Arc<ImageFile>> = HashMap::new();
    let mut paths = Vec::new();
    let mut total = 0u64;
    let mut any_sparse = false;
    for e in &d.extents {
        let len = e
            .sectors
            .checked_mul(SECTOR)
            .and_then(|n| n.checked_add(total).map(|t| (n, t)))
            .filter(|(_, t)| *t <= MAX_DISK);
        let Some((len, new_total)) = len else {
            return Err(file.invalid(
                0,
                format!("the VMDK descriptor's extents add up to more than the {} tlsreg accepts (line {})", bytes(MAX_DISK), e.line),
            ));
        };
        total = new_total;
        let part: Arc<dyn ReadAt> = match e.kind.as_str() {
            "ZERO" => Arc::new(Zeros(len)),
            "FLAT" | "VMFS" | "SPARSE" => {
                let name = e.file.as_deref().unwrap_or("");
                let ext = match opened.get(name) {
                    Some(f) => f.clone(),
                    None => {
                        let path = extent_path(&file, dir, e, name)?;
                        let (f, _) = crate::input::open(&path)?;
                        let f = Arc::new(ImageFile::new(&path, Arc::new(f)));
                        paths.push(path);
                        opened.insert(name.to_string(), f.clone());
                        f
                    }
                };
                if e.kind == "SPARSE" {
                    any_sparse = true;
                    let (capacity, disk) = sparse(ext.clone(), false)?;
                    if capacity < len {
                        return Err(file.invalid(
                            0,
                            format!(
                                "line {} of the VMDK descriptor gives its sparse extent {} sectors, but {} holds only {} sectors",
                                e.line,
                                e.sectors,
                                ext.path().display(),
                                capacity / SECTOR
                            ),
                        ));
                    }
                    Arc::new(Slice::new(disk, 0, len).expect("within the capacity"))
                } else {
                    let at = e.offset.checked_mul(SECTOR).ok_or_else(|| {
                        file.invalid(0, format!("line {}: the extent offset is past any file", e.line))
                    })?;
                    ext.check("flat VMDK extent data", at, len)?;
                    Arc::new(Slice::new(ext.src().clone(), at, len).expect("checked"))
                }
            }
            k => {
                return Err(file.unsupported(format!(
                    "line {} of the VMDK descriptor names a {k} extent; tlsreg reads FLAT, VMFS, SPARSE and ZERO extents only",
                    e.line
                )))
            }
        };
        parts.push(part);
    }
    let format = if any_sparse {
        Format::VmdkSparse
    } else {
        Format::VmdkFlat
    };
    let mut files = vec![file.path().to_path_buf()];
    files.extend(paths);
    Ok(Container {
        format,
        disk: Arc::new(super::file::Concat::new(parts)),
        files,
    })
}

/// The path of an extent file: relative to the descriptor's folder, never absolute and
/// never climbing out of it.
fn extent_path(
    file: &ImageFile,
    dir: Option<&Path>,
    e: &Extent,
    name: &str,
) -> Result<PathBuf, ContainerError> {
    let rel = Path::new(name);
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(file.unsupported(format!(
            "line {} of the VMDK descriptor names the extent file {name:?}, which is not a plain name inside the descriptor's folder (absolute paths and `..` are refused: an image and its extents must sit in one folder)",
            e.line
        )));
    }
    let Some(dir) = dir else {
        return Err(file.unsupported(format!(
            "line {} of the VMDK descriptor names the extent file {name:?}, but the descriptor was not read from a folder, so its extents cannot be found",
            e.line
        )));
    };
    Ok(dir.join(rel))
}

/// A ZERO extent.
struct Zeros(u64);

impl ReadAt for Zeros {
    fn size(&self) -> u64 {
        self.0
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        crate::source::check_range(offset, buf.len(), self.0)?;
        buf.fill(0);
        Ok(())
    }
}
