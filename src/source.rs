//! Random-access byte sources: a file, a slice of memory, a range of another source. Disk
//! image containers, partitions and files inside a file system are all [`ReadAt`], so the
//! hive reader reads cells out of an image exactly as it reads them out of a file.
//!
//! Reads take `&self` (positioned reads, no shared cursor), so one source can serve many
//! readers; a source never writes.

use std::io;
use std::sync::Arc;

/// Bytes that can be read at any offset. `size` is the number of readable bytes; a read
/// past it is an error (`UnexpectedEof`), never zeros.
pub trait ReadAt: Send + Sync {
    /// The number of bytes the source holds.
    fn size(&self) -> u64;

    /// Reads `buf.len()` bytes at `offset`, or fails: `UnexpectedEof` when the range
    /// reaches past [`ReadAt::size`].
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

/// The `UnexpectedEof` error of a read past the end.
pub fn past_end(offset: u64, len: usize, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("read of {len} bytes at offset {offset} reaches past the end ({size} bytes)"),
    )
}

/// Checks that `len` bytes at `offset` lie within `size`.
pub fn check_range(offset: u64, len: usize, size: u64) -> io::Result<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(past_end(offset, len, size)),
    }
}

impl ReadAt for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), ReadAt::size(self))?;
        file_read_exact_at(self, buf, offset)
    }
}

/// A file read within the length it had when it was opened: a file that grows while it is
/// read is read as it was, one that shrinks gives errors, never a different size.
pub struct FileAt {
    file: std::fs::File,
    len: u64,
}

impl FileAt {
    /// The file, read within `len` bytes (its length at open).
    pub fn new(file: std::fs::File, len: u64) -> FileAt {
        FileAt { file, len }
    }
}

impl ReadAt for FileAt {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.len)?;
        file_read_exact_at(&self.file, buf, offset)
    }
}

#[cfg(unix)]
fn file_read_exact_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(windows)]
fn file_read_exact_at(f: &std::fs::File, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn file_read_exact_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = f;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

/// Bytes in memory.
impl ReadAt for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.len() as u64)?;
        let at = offset as usize;
        buf.copy_from_slice(&self[at..at + buf.len()]);
        Ok(())
    }
}

impl<T: ReadAt + ?Sized> ReadAt for Arc<T> {
    fn size(&self) -> u64 {
        (**self).size()
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_exact_at(buf, offset)
    }
}

impl<T: ReadAt + ?Sized> ReadAt for Box<T> {
    fn size(&self) -> u64 {
        (**self).size()
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_exact_at(buf, offset)
    }
}

/// `len` bytes of another source from `start` (a partition of a disk). A range that does
/// not fit in the source is refused when it is made.
#[derive(Clone)]
pub struct Slice {
    inner: Arc<dyn ReadAt>,
    start: u64,
    len: u64,
}

impl Slice {
    /// The range, or `None` when it reaches past the end of `inner`.
    pub fn new(inner: Arc<dyn ReadAt>, start: u64, len: u64) -> Option<Slice> {
        let end = start.checked_add(len)?;
        (end <= inner.size()).then_some(Slice { inner, start, len })
    }

    /// Where the slice starts in its source.
    pub fn start(&self) -> u64 {
        self.start
    }
}

impl ReadAt for Slice {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.len)?;
        self.inner.read_exact_at(buf, self.start + offset)
    }
}

/// A [`ReadAt`] as `std::io::Read + Seek`, for crates that want a cursor (`ntfs`, `gpt`,
/// `mbrman`). Each cursor has its own position; the source is shared.
pub struct Cursor<R> {
    inner: R,
    pos: u64,
}

impl<R: ReadAt> Cursor<R> {
    /// A cursor at offset 0 of `inner`.
    pub fn new(inner: R) -> Cursor<R> {
        Cursor { inner, pos: 0 }
    }

    /// The source.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: ReadAt> io::Read for Cursor<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.inner.size();
        if self.pos >= size {
            return Ok(0);
        }
        let n = buf
            .len()
            .min((size - self.pos).min(usize::MAX as u64) as usize);
        self.inner.read_exact_at(&mut buf[..n], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: ReadAt> io::Seek for Cursor<R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let size = self.inner.size();
        let new = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(d) => size.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start or past u64",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom};

    #[test]
    fn slices_and_cursors_read_within_their_bounds() {
        let data: Arc<dyn ReadAt> = Arc::new((0u8..=255).collect::<Vec<u8>>());
        let s = Slice::new(data.clone(), 16, 32).unwrap();
        let mut b = [0u8; 4];
        s.read_exact_at(&mut b, 0).unwrap();
        assert_eq!(b, [16, 17, 18, 19]);
        assert!(s.read_exact_at(&mut b, 30).is_err());
        assert!(Slice::new(data.clone(), 250, 10).is_none());
        assert!(Slice::new(data.clone(), u64::MAX, 2).is_none());
        let mut c = Cursor::new(s);
        c.seek(SeekFrom::End(-2)).unwrap();
        let mut all = Vec::new();
        c.read_to_end(&mut all).unwrap();
        assert_eq!(all, [46, 47]);
        assert!(c.seek(SeekFrom::Current(-100)).is_err());
    }
}
