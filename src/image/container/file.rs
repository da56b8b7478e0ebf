//! The image file as the format readers see it: checked reads of metadata (a range past the
//! end is a [`ContainerError::Truncated`], never a short read or a huge allocation), a small
//! page cache for table entries read on demand, and the one read loop that turns a
//! format's map of the disk (runs of file data or zeros) into bytes.

use super::error::ContainerError;
use crate::source::{check_range, ReadAt};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The largest virtual disk tlsreg accepts: 64 TiB (the VHDX maximum, and far above any
/// Windows system disk). Larger sizes in a header are treated as damage.
pub const MAX_DISK: u64 = 64 << 40;

/// Bytes per cached page of table entries.
const PAGE: u64 = 4096;
/// Pages kept (256 KiB per image): enough for the tables around a hive's cells.
const PAGES: usize = 64;

/// An image file (or a VMDK extent file): its label for messages, its bytes and a page
/// cache for table entries.
pub struct ImageFile {
    path: PathBuf,
    src: Arc<dyn ReadAt>,
    size: u64,
    /// Most recently used last.
    pages: Mutex<Vec<(u64, Arc<Vec<u8>>)>>,
}

impl ImageFile {
    pub fn new(path: &Path, src: Arc<dyn ReadAt>) -> ImageFile {
        let size = src.size();
        ImageFile {
            path: path.to_path_buf(),
            src,
            size,
            pages: Mutex::new(Vec::new()),
        }
    }

    /// The label errors name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes.
    pub fn src(&self) -> &Arc<dyn ReadAt> {
        &self.src
    }

    /// The file's size when it was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// [`ContainerError::Invalid`] at `offset`.
    pub fn invalid(&self, offset: u64, detail: impl Into<String>) -> ContainerError {
        ContainerError::Invalid {
            path: self.path.clone(),
            offset,
            detail: detail.into(),
        }
    }

    /// [`ContainerError::Unsupported`].
    pub fn unsupported(&self, detail: impl Into<String>) -> ContainerError {
        ContainerError::Unsupported {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    /// Checks that `len` bytes at `offset` lie within the file.
    pub fn check(&self, what: &str, offset: u64, len: u64) -> Result<(), ContainerError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(ContainerError::Truncated {
                path: self.path.clone(),
                what: what.to_string(),
                offset,
                len,
                size: self.size,
            }),
        }
    }

    /// Reads `buf.len()` bytes at `offset` (metadata), checked against the file's size.
    pub fn read_into(&self, what: &str, offset: u64, buf: &mut [u8]) -> Result<(), ContainerError> {
        self.check(what, offset, buf.len() as u64)?;
        self.src
            .read_exact_at(buf, offset)
            .map_err(|source| self.read_error(what, offset, buf.len() as u64, source))
    }

    /// Reads `len` bytes at `offset`; callers bound `len` (a header, a descriptor), and
    /// the range is checked against the file's size before anything is allocated.
    pub fn read(&self, what: &str, offset: u64, len: usize) -> Result<Vec<u8>, ContainerError> {
        self.check(what, offset, len as u64)?;
        let mut v = vec![0u8; len];
        self.read_into(what, offset, &mut v)?;
        Ok(v)
    }

    fn read_error(&self, what: &str, offset: u64, len: u64, source: io::Error) -> ContainerError {
        ContainerError::Read {
            path: self.path.clone(),
            what: what.to_string(),
            offset,
            len,
            source,
        }
    }

    /// Fills `buf` from the table bytes at `offset` through the page cache (table entries,
    /// sector bitmaps: small reads that neighbours repeat).
    pub fn table_bytes(
        &self,
        what: &str,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), ContainerError> {
        self.check(what, offset, buf.len() as u64)?;
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset + done as u64;
            let page_at = at - at % PAGE;
            let page = self
                .page(page_at)
                .map_err(|e| self.read_error(what, offset, buf.len() as u64, e))?;
            let from = (at - page_at) as usize;
            let n = (page.len() - from).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&page[from..from + n]);
            done += n;
        }
        Ok(())
    }

    /// The cached page at `page_at` (shorter at the end of the file).
    fn page(&self, page_at: u64) -> io::Result<Arc<Vec<u8>>> {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = pages.iter().position(|(at, _)| *at == page_at) {
            let hit = pages.remove(i);
            let page = hit.1.clone();
            pages.push(hit);
            return Ok(page);
        }
        let len = PAGE.min(self.size.saturating_sub(page_at)) as usize;
        let mut v = vec![0u8; len];
        self.src.read_exact_at(&mut v, page_at)?;
        let page = Arc::new(v);
        if pages.len() >= PAGES {
            pages.remove(0);
        }
        pages.push((page_at, page.clone()));
        Ok(page)
    }

    /// A big-endian `u32` table entry.
    pub fn u32_be(&self, what: &str, offset: u64) -> Result<u32, ContainerError> {
        let mut b = [0u8; 4];
        self.table_bytes(what, offset, &mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    /// A little-endian `u32` table entry.
    pub fn u32_le(&self, what: &str, offset: u64) -> Result<u32, ContainerError> {
        let mut b = [0u8; 4];
        self.table_bytes(what, offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// A big-endian `u64` table entry.
    pub fn u64_be(&self, what: &str, offset: u64) -> Result<u64, ContainerError> {
        let mut b = [0u8; 8];
        self.table_bytes(what, offset, &mut b)?;
        Ok(u64::from_be_bytes(b))
    }

    /// A little-endian `u64` table entry.
    pub fn u64_le(&self, what: &str, offset: u64) -> Result<u64, ContainerError> {
        let mut b = [0u8; 8];
        self.table_bytes(what, offset, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

/// What one stretch of the virtual disk is.
pub enum Run {
    /// Bytes of the image file from this file offset on.
    Data(u64),
    /// Zeros (a hole: unallocated, or marked zero).
    Zeros,
    /// Bytes of a decompressed cluster or grain from this index on (the run's length
    /// never reaches past the buffer).
    Buffer(Arc<Vec<u8>>, usize),
}

/// A format's map of its disk: what the disk holds at `disk_offset` (below the disk's
/// size) and for how many bytes (at least 1; it may reach past what is asked, `want`).
pub trait Map: Send + Sync {
    fn map(&self, disk_offset: u64, want: u64) -> Result<(Run, u64), ContainerError>;
}

/// A virtual disk read through a [`Map`] of runs of one image file.
pub struct Mapped<M> {
    pub file: Arc<ImageFile>,
    pub size: u64,
    pub map: M,
}

impl<M: Map> ReadAt for Mapped<M> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.size)?;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let want = (buf.len() - done) as u64;
            let (run, len) = self.map.map(pos, want).map_err(ContainerError::into_io)?;
            if len == 0 {
                return Err(io::Error::other("a container map returned an empty run"));
            }
            let n = len.min(want) as usize;
            let piece = &mut buf[done..done + n];
            match run {
                Run::Zeros => piece.fill(0),
                Run::Buffer(b, from) => match b.get(from..from + n) {
                    Some(src) => piece.copy_from_slice(src),
                    None => return Err(io::Error::other("a container map overran its buffer")),
                },
                Run::Data(at) => self.file.src.read_exact_at(piece, at).map_err(|e| {
                    let kind = e.kind();
                    io::Error::new(
                        kind,
                        ContainerError::Disk {
                            path: self.file.path.clone(),
                            disk_offset: pos,
                            source: Box::new(e),
                        },
                    )
                })?,
            }
            done += n;
        }
        Ok(())
    }
}

/// Disks (or slices of them) one after another: a VMDK of several extents.
pub struct Concat {
    /// Each part with the disk offset it starts at, in order.
    parts: Vec<(u64, Arc<dyn ReadAt>)>,
    size: u64,
}

impl Concat {
    /// The parts in order; their total size must not overflow (callers check it).
    pub fn new(parts: Vec<Arc<dyn ReadAt>>) -> Concat {
        let mut at = 0u64;
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            let n = p.size();
            if n == 0 {
                continue;
            }
            out.push((at, p));
            at = at.saturating_add(n);
        }
        Concat {
            parts: out,
            size: at,
        }
    }
}

impl ReadAt for Concat {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.size)?;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            // The last part starting at or before `pos` (every part is non-empty).
            let i = self.parts.partition_point(|(start, _)| *start <= pos) - 1;
            let (start, part) = &self.parts[i];
            let within = pos - start;
            let n = ((part.size() - within) as usize).min(buf.len() - done);
            part.read_exact_at(&mut buf[done..done + n], within)?;
            done += n;
        }
        Ok(())
    }
}

/// `a / b` rounded up (`b` > 0).
pub fn div_ceil(a: u64, b: u64) -> u64 {
    a / b + u64::from(!a.is_multiple_of(b))
}

/// A big-endian `u32` at `at` of a header.
pub fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// A big-endian `u64` at `at` of a header.
pub fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// A little-endian `u16` at `at` of a header.
pub fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// A little-endian `u32` at `at` of a header.
pub fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// A little-endian `u64` at `at` of a header.
pub fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// A byte count for messages: `5000000 bytes (4.8 MiB)`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{n} bytes ({v:.1} {})", UNITS[u])
}

/// The check every format makes of its virtual size.
pub fn check_disk_size(file: &ImageFile, offset: u64, size: u64) -> Result<(), ContainerError> {
    if size > MAX_DISK {
        return Err(file.invalid(
            offset,
            format!(
                "the virtual disk size is {}, more than the {} tlsreg accepts; the header is damaged",
                bytes(size),
                bytes(MAX_DISK)
            ),
        ));
    }
    Ok(())
}

/// Decompressed clusters or grains, by their file offset: the last few, so reading a
/// hive's cells one by one does not inflate the same cluster again and again.
#[derive(Default)]
pub struct Inflated {
    entries: Mutex<Vec<(u64, Arc<Vec<u8>>)>>,
}

/// Decompressed buffers kept per image (at most 2 MiB each: 16 MiB at worst, 512 KiB for
/// the usual 64 KiB clusters and grains).
const INFLATED: usize = 8;

impl Inflated {
    /// The buffer for `key`, made by `make` when it is not kept.
    pub fn get(
        &self,
        key: u64,
        make: impl FnOnce() -> Result<Vec<u8>, ContainerError>,
    ) -> Result<Arc<Vec<u8>>, ContainerError> {
        {
            let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = e.iter().position(|(k, _)| *k == key) {
                let hit = e.remove(i);
                let b = hit.1.clone();
                e.push(hit);
                return Ok(b);
            }
        }
        let b = Arc::new(make()?);
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if e.len() >= INFLATED {
            e.remove(0);
        }
        e.push((key, b.clone()));
        Ok(b)
    }
}

/// Inflates `input` (zlib-wrapped when `zlib`, else raw deflate) into at most `out_len`
/// bytes; the stream must end within them. Returns the bytes, zero-padded to `out_len`,
/// and how many the stream gave.
pub fn inflate(input: &[u8], out_len: usize, zlib: bool) -> Result<(Vec<u8>, usize), String> {
    let mut out = vec![0u8; out_len];
    match miniz_oxide::inflate::decompress_slice_iter_to_slice(
        &mut out,
        std::iter::once(input),
        zlib,
        false,
    ) {
        Ok(n) => Ok((out, n)),
        Err(status) => Err(format!(
            "its compressed data does not inflate to at most {out_len} bytes ({status:?})"
        )),
    }
}
