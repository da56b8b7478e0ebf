//! The regf base block: its layout, the little-endian readers, the checksum, the parsed
//! [`Header`], and the one definition of a *dirty* hive. The primary file reader
//! ([`super::HiveFile`]), the demand reader (`prefetch`) and the log replay
//! ([`super::logs`]) all read base blocks through this module.

/// The base block is 4 KiB; hive bins follow.
pub(crate) const BASE_BLOCK: usize = 4096;
/// The first sector of a base block: what the checksum covers (with the checksum itself)
/// and what a transaction log carries as its own base block.
pub(crate) const SECTOR: usize = 512;
/// The checksum covers the 508 bytes before it.
pub(crate) const CHECKSUM_AT: usize = 0x1FC;

/// Offsets of the base-block fields tlsreg reads.
pub(crate) const PRIMARY_SEQUENCE_AT: usize = 0x04;
pub(crate) const SECONDARY_SEQUENCE_AT: usize = 0x08;
pub(crate) const TIMESTAMP_AT: usize = 0x0C;
pub(crate) const MAJOR_AT: usize = 0x14;
pub(crate) const MINOR_AT: usize = 0x18;
pub(crate) const FILE_TYPE_AT: usize = 0x1C;
pub(crate) const ROOT_CELL_AT: usize = 0x24;
pub(crate) const DATA_SIZE_AT: usize = 0x28;
pub(crate) const FLAGS_AT: usize = 0x90;

/// File types a base block names.
pub(crate) const TYPE_PRIMARY: u32 = 0;
pub(crate) const TYPE_LOG_OLD: u32 = 1;
pub(crate) const TYPE_LOG_VERY_OLD: u32 = 2;
pub(crate) const TYPE_LOG_NEW: u32 = 6;

/// The little-endian `u32` at `off`; the caller has checked the length.
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// The little-endian `u32` at `off`, `None` past the end of `b`.
pub(crate) fn read_u32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The little-endian `u64` at `off`, `None` past the end of `b`.
pub(crate) fn read_u64(b: &[u8], off: usize) -> Option<u64> {
    let s = b.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// Writes a little-endian `u32` at `off` when it fits.
pub(crate) fn put_u32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = off.checked_add(4).and_then(|end| b.get_mut(off..end)) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// The base-block checksum: XOR of the first 127 little-endian words, with 0 written as 1
/// and 0xFFFFFFFF as 0xFFFFFFFE (as Windows does). `None` when `b` is too short.
pub(crate) fn checksum(b: &[u8]) -> Option<u32> {
    let words = b.get(..CHECKSUM_AT)?;
    let x = words.chunks_exact(4).fold(0u32, |x, w| {
        x ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]])
    });
    Some(match x {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        x => x,
    })
}

/// What the base block says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// The sequence number Windows increments before it writes the hive (offset 0x04).
    pub primary_sequence: u32,
    /// The sequence number Windows sets equal to the primary one once the write is done (offset
    /// 0x08).
    pub secondary_sequence: u32,
    /// The format's major version (1 for every hive Windows writes).
    pub major: u32,
    /// The format's minor version (3 to 6 in the hives Windows writes).
    pub minor: u32,
    /// Whether the stored checksum (offset 0x1FC) matches the one computed over the first 508
    /// bytes.
    pub checksum_ok: bool,
    /// Bytes of hive bins the header declares.
    pub data_size: u32,
}

impl Header {
    /// Whether the hive is dirty: its primary and secondary sequence numbers differ, or its
    /// base-block checksum is wrong (the registry format specification, "Dirty state of a
    /// hive", and yarp). Newer data may sit in the transaction logs. This is the one
    /// definition of dirty: the recovery state, the audit report and [`is_dirty`] all use it.
    pub fn dirty(&self) -> bool {
        self.primary_sequence != self.secondary_sequence || !self.checksum_ok
    }
}

/// Every base-block field tlsreg reads, for primaries and logs alike.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BaseBlock {
    pub header: Header,
    /// The last-written timestamp (a FILETIME).
    pub timestamp: u64,
    pub file_type: u32,
    /// The root key's cell offset in the hive bins.
    pub root_cell: u32,
}

impl BaseBlock {
    /// Reads a base block; `None` unless `b` has at least its first sector and starts with
    /// `regf`.
    pub fn read(b: &[u8]) -> Option<BaseBlock> {
        if b.get(..4)? != b"regf" || b.len() < SECTOR {
            return None;
        }
        Some(BaseBlock {
            header: Header {
                primary_sequence: read_u32(b, PRIMARY_SEQUENCE_AT)?,
                secondary_sequence: read_u32(b, SECONDARY_SEQUENCE_AT)?,
                major: read_u32(b, MAJOR_AT)?,
                minor: read_u32(b, MINOR_AT)?,
                checksum_ok: checksum(b)? == read_u32(b, CHECKSUM_AT)?,
                data_size: read_u32(b, DATA_SIZE_AT)?,
            },
            timestamp: read_u64(b, TIMESTAMP_AT)?,
            file_type: read_u32(b, FILE_TYPE_AT)?,
            root_cell: read_u32(b, ROOT_CELL_AT)?,
        })
    }
}

/// Whether a primary hive is dirty, from its bytes (see [`Header::dirty`]). Bytes that are
/// not a regf file are not dirty (there is nothing to recover).
pub fn is_dirty(primary: &[u8]) -> bool {
    BaseBlock::read(primary).is_some_and(|b| b.header.dirty())
}

/// How much of a primary hive file of `file_len` bytes to read, given its first bytes
/// `head`: a clean hive ends where its base block says its hive bins end (Windows reads no
/// further, and a file that claims more than it holds is read to its end). A dirty hive
/// (sequence numbers differ or the checksum is wrong) has a header that cannot be trusted
/// for its size (regipy's replay, for one, leaves cells past a stale size): it is read to
/// the end of the file, up to the 4 GiB of hive bins that cell offsets (32 bits) can
/// address at all. So is a file whose declared size is not a whole number of 4 KiB bins. A
/// file that does not start with `regf` is read no further than `head`.
pub(crate) fn primary_len(file_len: u64, head: &[u8]) -> u64 {
    if !head.starts_with(b"regf") {
        // Not a hive: its first bytes are enough to say so.
        return file_len.min(head.len() as u64);
    }
    let addressable = file_len.min(BASE_BLOCK as u64 + u64::from(u32::MAX));
    let Some(b) = BaseBlock::read(head) else {
        return addressable;
    };
    let declared = u64::from(b.header.data_size);
    if b.header.dirty() || declared < BASE_BLOCK as u64 || declared % BASE_BLOCK as u64 != 0 {
        return addressable;
    }
    file_len.min(BASE_BLOCK as u64 + declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(seq1: u32, seq2: u32, fix_checksum: bool) -> Vec<u8> {
        let mut b = vec![0u8; BASE_BLOCK];
        b[..4].copy_from_slice(b"regf");
        put_u32(&mut b, PRIMARY_SEQUENCE_AT, seq1);
        put_u32(&mut b, SECONDARY_SEQUENCE_AT, seq2);
        put_u32(&mut b, MAJOR_AT, 1);
        put_u32(&mut b, MINOR_AT, 5);
        let c = checksum(&b).unwrap();
        put_u32(&mut b, CHECKSUM_AT, if fix_checksum { c } else { c ^ 1 });
        b
    }

    #[test]
    fn dirty_is_a_sequence_gap_or_a_bad_checksum() {
        let read = |b: &[u8]| BaseBlock::read(b).unwrap().header;
        assert!(!read(&block(3, 3, true)).dirty());
        assert!(read(&block(4, 3, true)).dirty());
        assert!(read(&block(3, 3, false)).dirty());
        assert!(!is_dirty(&block(3, 3, true)));
        assert!(is_dirty(&block(3, 3, false)));
        assert!(!is_dirty(b"regf"));
    }
}
