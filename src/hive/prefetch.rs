//! Demand reading of a hive: only the cells a set of requests reaches are copied from the
//! file into a zeroed, hive-sized buffer, so an audit touches kilobytes of a 15 MB hive.
//!
//! This is what a read-only memory map gives for free, done without `unsafe`: the buffer is
//! allocated zeroed (the allocator maps fresh pages, which cost nothing until written), and
//! the prefetcher follows exactly the pointers that [`super::HiveFile::extract`] makes
//! nt-hive follow (subkey lists, index roots and leaves, value lists, value data, big-data
//! segments), loading each cell whole. nt-hive then reads the buffer as usual.
//!
//! Why the result equals a read of the whole file: every cell nt-hive reaches was loaded
//! whole, at its own start, and every cell it was not meant to reach still has a zero size
//! field, which nt-hive rejects as an error. Cells that overlap, pointers into the middle of
//! a loaded cell, odd sizes, unexpected signatures, cycles and a budget overrun all stop the
//! prefetch; the caller then reads the whole file and extracts again, so a damaged hive gets
//! exactly the errors and offsets a whole read gives. The prefetcher never judges content.

use super::base::{u32_at, BASE_BLOCK, ROOT_CELL_AT};
use super::request::Request;
use crate::keypath::MAX_DEPTH;
use crate::source::ReadAt;
use nt_hive::NtHiveNameString;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

/// Largest data one big-data segment carries (and largest data kept in one cell in 1.4+).
const SEGMENT: usize = 16344;
/// Bytes read from the file at a time around a wanted cell: neighbouring cells are often
/// wanted next (keys written together sit together).
const WINDOW: usize = 16 * 1024;
/// Bytes always allowed to load: below this a partial read saves nothing worth counting.
const MIN_BUDGET: usize = 256 * 1024;
/// Size of the key node header before its name.
const NK_HEADER: usize = 0x4C;
/// Size of the value header before its name.
const VK_HEADER: usize = 0x14;

/// Why a prefetch gave up; the caller then reads the whole hive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiveUp(pub &'static str);

type Step<T> = Result<T, GiveUp>;

/// A hive file read on demand.
pub struct Lazy {
    file: Arc<dyn ReadAt>,
    len: usize,
    /// Loaded cells: absolute start (at the size field) to absolute end.
    cells: BTreeMap<usize, usize>,
    /// Bytes loaded so far; past `budget` (an eighth of the file, at least
    /// [`MIN_BUDGET`]), reading the whole file is cheaper.
    loaded: usize,
    budget: usize,
    /// Raw file bytes around the last read, not visible to nt-hive.
    window: Vec<u8>,
    window_at: usize,
}

thread_local! {
    /// A buffer given back by a lazily read hive, every byte of its length zero again: the
    /// next hive on this thread starts from it instead of a fresh zeroed allocation. (A
    /// fresh one is free only while the allocator maps new pages; once glibc's mmap
    /// threshold has risen past a hive's size, which its first `free` makes it do, every
    /// zeroed allocation is a memset of the whole hive: in a batch audit that was about
    /// half of all CPU time.)
    static ZEROED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `len` zero bytes, from this thread's given-back buffer when it has one: only the part
/// beyond what it held is written.
fn zeroed(len: usize) -> Vec<u8> {
    let mut v = ZEROED.with(|z| std::mem::take(&mut *z.borrow_mut()));
    if v.capacity() < len {
        return vec![0u8; len];
    }
    // Truncating keeps the zeros; growing writes zeros past the old length only.
    v.resize(len, 0);
    v
}

/// What the prefetcher needs of a key node.
struct Nk {
    subkeys_list: u32,
    values_count: u32,
    values_list: u32,
    /// Absolute range of the name bytes, and whether they are Latin-1.
    name: Range<usize>,
    latin1: bool,
}

impl Lazy {
    /// Opens a hive source and returns the reader and a zeroed buffer of its size with the
    /// base block and the root key's cell in place. `None` when the source is too short or
    /// its root cell does not look right: the caller reads it whole and reports.
    pub fn open(file: Arc<dyn ReadAt>) -> Option<(Lazy, Vec<u8>)> {
        let mut head = [0u8; BASE_BLOCK];
        // Bounded as a whole read is (`base::primary_len`), so both see the same bytes; a
        // source too short for a base block is read whole, and reported, by the caller.
        let len = match file.read_exact_at(&mut head, 0) {
            Ok(()) if head.starts_with(b"regf") => super::base::primary_len(file.size(), &head),
            // Too short, or no hive: the caller's whole read reports it.
            _ => return None,
        };
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len < BASE_BLOCK + 32 || len > isize::MAX as usize {
            return None;
        }
        let mut lazy = Lazy {
            file,
            len,
            cells: BTreeMap::new(),
            loaded: 0,
            budget: (len / 8).max(MIN_BUDGET),
            window: Vec::with_capacity(WINDOW),
            window_at: 0,
        };
        let mut buf = zeroed(len);
        buf[..BASE_BLOCK].copy_from_slice(&head);
        match lazy.nk(&mut buf, u32_at(&head, ROOT_CELL_AT)) {
            Ok(_) => Some((lazy, buf)),
            Err(_) => None,
        }
    }

    /// Gives `buf` (this reader's buffer) back for the next hive on this thread, after
    /// writing zeros over the only bytes ever written to it: the base block and the cells
    /// loaded. Cost: the bytes loaded, not the hive's size.
    pub fn recycle(&self, mut buf: Vec<u8>) {
        if buf.len() != self.len {
            return;
        }
        buf[..BASE_BLOCK].fill(0);
        for (&start, &end) in &self.cells {
            buf[start..end].fill(0);
        }
        ZEROED.with(|z| {
            let mut z = z.borrow_mut();
            if z.capacity() <= buf.capacity() {
                *z = buf;
            }
        });
    }

    /// Loads every cell that extracting `requests` makes nt-hive read. On `Err`, `buf` holds
    /// whole cells still, but not all that are needed.
    pub fn prefetch(&mut self, buf: &mut [u8], requests: &[Request]) -> Step<()> {
        let root = u32_at(buf, ROOT_CELL_AT);
        for r in requests {
            let path = r.path();
            // Every key that matches a component is followed: a superset of the first match
            // that nt-hive's linear scan stops at.
            let mut nodes = vec![root];
            for comp in path.split('\\').filter(|c| !c.is_empty()) {
                let mut next = Vec::new();
                for n in nodes {
                    let nk = self.nk(buf, n)?;
                    for kid in self.children(buf, &nk)? {
                        let k = self.nk(buf, kid)?;
                        if name_matches(buf, &k, comp) {
                            next.push(kid);
                        }
                    }
                }
                nodes = next;
            }
            for n in nodes {
                match r {
                    Request::Key(_) => {
                        let nk = self.nk(buf, n)?;
                        self.values(buf, &nk)?;
                    }
                    Request::Tree(_) => self.tree(buf, n, &mut Vec::new())?,
                    Request::Children(_) => {
                        let nk = self.nk(buf, n)?;
                        for kid in self.children(buf, &nk)? {
                            self.nk(buf, kid)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A key, its values and everything below it.
    fn tree(&mut self, buf: &mut [u8], at: u32, ancestors: &mut Vec<u32>) -> Step<()> {
        if ancestors.len() > MAX_DEPTH || ancestors.contains(&at) {
            return Err(GiveUp("depth or cycle"));
        }
        let nk = self.nk(buf, at)?;
        self.values(buf, &nk)?;
        ancestors.push(at);
        for kid in self.children(buf, &nk)? {
            self.tree(buf, kid, ancestors)?;
        }
        ancestors.pop();
        Ok(())
    }

    /// Loads a key node cell and reads the fields that lead further.
    fn nk(&mut self, buf: &mut [u8], at: u32) -> Step<Nk> {
        let r = self.cell(buf, at)?;
        if r.len() < NK_HEADER || &buf[r.start..r.start + 2] != b"nk" {
            return Err(GiveUp("not a key node"));
        }
        let s = r.start;
        let flags = u16_at(buf, s + 2);
        let name_len = u16_at(buf, s + 0x48) as usize;
        let name = s + NK_HEADER..s + NK_HEADER + name_len;
        if name.end > r.end {
            return Err(GiveUp("key name past its cell"));
        }
        Ok(Nk {
            subkeys_list: u32_at(buf, s + 0x1C),
            values_count: u32_at(buf, s + 0x24),
            values_list: u32_at(buf, s + 0x28),
            name,
            latin1: flags & 0x20 != 0,
        })
    }

    /// Loads a key's subkey list (an index root and its leaves, or one leaf) and returns
    /// the key node offsets it lists, in order. The key nodes are not loaded.
    fn children(&mut self, buf: &mut [u8], nk: &Nk) -> Step<Vec<u32>> {
        if nk.subkeys_list == u32::MAX {
            return Ok(Vec::new());
        }
        let r = self.cell(buf, nk.subkeys_list)?;
        let mut out = Vec::new();
        if r.len() >= 4 && &buf[r.start..r.start + 2] == b"ri" {
            for leaf in list(buf, &r, 4)? {
                let lr = self.cell(buf, leaf)?;
                leaf_items(buf, &lr, &mut out)?;
            }
        } else {
            leaf_items(buf, &r, &mut out)?;
        }
        Ok(out)
    }

    /// Loads a key's value list, every value cell and every value's data.
    fn values(&mut self, buf: &mut [u8], nk: &Nk) -> Step<()> {
        if nk.values_list == u32::MAX {
            return Ok(());
        }
        let r = self.cell(buf, nk.values_list)?;
        let count = nk.values_count as usize;
        if count.checked_mul(4).is_none_or(|n| n > r.len()) {
            return Err(GiveUp("value list too small"));
        }
        let vks: Vec<u32> = (0..count).map(|i| u32_at(buf, r.start + 4 * i)).collect();
        for vk in vks {
            let v = self.cell(buf, vk)?;
            if v.len() < VK_HEADER || &buf[v.start..v.start + 2] != b"vk" {
                return Err(GiveUp("not a value"));
            }
            let raw_size = u32_at(buf, v.start + 4);
            let data = u32_at(buf, v.start + 8);
            let size = (raw_size & 0x7FFF_FFFF) as usize;
            if raw_size & 0x8000_0000 != 0 || size == 0 {
                continue; // inline in the value cell, or empty: no data cell is read
            }
            let d = self.cell(buf, data)?;
            if size > SEGMENT && d.len() >= 8 && &buf[d.start..d.start + 2] == b"db" {
                let segments = u16_at(buf, d.start + 2) as usize;
                let list_at = u32_at(buf, d.start + 4);
                let l = self.cell(buf, list_at)?;
                let needed = size.div_ceil(SEGMENT).min(segments);
                if needed * 4 > l.len() {
                    return Err(GiveUp("big-data list too small"));
                }
                let segs: Vec<u32> = (0..needed).map(|i| u32_at(buf, l.start + 4 * i)).collect();
                for s in segs {
                    self.cell(buf, s)?;
                }
            }
        }
        Ok(())
    }

    /// Loads the cell at hive-bin offset `at` whole into `buf` (once) and returns the
    /// absolute range of its data, after the size field.
    fn cell(&mut self, buf: &mut [u8], at: u32) -> Step<Range<usize>> {
        let start = BASE_BLOCK
            .checked_add(at as usize)
            .ok_or(GiveUp("offset overflow"))?;
        if let Some(&end) = self.cells.get(&start) {
            return Ok(start + 4..end);
        }
        if start.checked_add(4).is_none_or(|e| e > self.len) {
            return Err(GiveUp("cell past the end"));
        }
        // Inside a loaded cell: a pointer into the middle of a cell (a damaged hive).
        if self
            .cells
            .range(..start)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
        {
            return Err(GiveUp("pointer into a loaded cell"));
        }
        let mut size = [0u8; 4];
        self.read(start..start + 4, &mut size)
            .map_err(|_| GiveUp("read failed"))?;
        let size = i32::from_le_bytes(size);
        // Allocated cells have a negative size, a multiple of 8 (nt-hive's own checks).
        if size >= 0 {
            return Err(GiveUp("free cell"));
        }
        let n = size.unsigned_abs() as usize;
        if n < 8 || !n.is_multiple_of(8) {
            return Err(GiveUp("cell size"));
        }
        let end = start
            .checked_add(n)
            .filter(|&e| e <= self.len)
            .ok_or(GiveUp("cell past the end"))?;
        if self.cells.range(start + 1..end).next().is_some() {
            return Err(GiveUp("overlapping cells"));
        }
        self.loaded += n;
        if self.loaded > self.budget {
            return Err(GiveUp("budget"));
        }
        self.read(start..end, &mut buf[start..end])
            .map_err(|_| GiveUp("read failed"))?;
        self.cells.insert(start, end);
        Ok(start + 4..end)
    }

    /// Copies file bytes `r` into `out`, through the read-ahead window.
    fn read(&mut self, r: Range<usize>, out: &mut [u8]) -> std::io::Result<()> {
        let have = self.window_at..self.window_at + self.window.len();
        if r.start < have.start || r.end > have.end {
            let at = r.start / 4096 * 4096;
            let want = (r.end - at).max(WINDOW).min(self.len - at);
            self.window.resize(want, 0);
            self.file.read_exact_at(&mut self.window, at as u64)?;
            self.window_at = at;
        }
        let off = r.start - self.window_at;
        out.copy_from_slice(&self.window[off..off + r.len()]);
        Ok(())
    }
}

/// Whether key `k`'s name equals `comp` by nt-hive's own comparison (the registry's
/// case-insensitive rule), so the prefetch follows every key nt-hive could pick.
fn name_matches(buf: &[u8], k: &Nk, comp: &str) -> bool {
    let bytes = &buf[k.name.clone()];
    let name = if k.latin1 {
        NtHiveNameString::Latin1(bytes)
    } else {
        NtHiveNameString::Utf16LE(bytes)
    };
    super::walk::name_eq(&name, comp)
}

/// The key node offsets of one leaf (`li`, `lf` or `lh`).
fn leaf_items(buf: &[u8], r: &Range<usize>, out: &mut Vec<u32>) -> Step<()> {
    if r.len() < 4 {
        return Err(GiveUp("leaf too small"));
    }
    let stride = match &buf[r.start..r.start + 2] {
        b"li" => 4,
        b"lf" | b"lh" => 8,
        _ => return Err(GiveUp("unknown subkey list signature")),
    };
    out.extend(list(buf, r, stride)?);
    Ok(())
}

/// The offsets of a list cell with a 2-byte signature, a 2-byte count, then `stride`-byte
/// items whose first 4 bytes are an offset.
fn list(buf: &[u8], r: &Range<usize>, stride: usize) -> Step<Vec<u32>> {
    let count = u16_at(buf, r.start + 2) as usize;
    if 4 + count * stride > r.len() {
        return Err(GiveUp("list count"));
    }
    Ok((0..count)
        .map(|i| u32_at(buf, r.start + 4 + i * stride))
        .collect())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
