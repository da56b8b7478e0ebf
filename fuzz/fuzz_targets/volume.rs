//! Bytes -> a sparse disk -> `image::volume::scan` (partition table, NTFS volumes, the
//! Windows folder) -> a few bytes of every hive and log found, at the start, the middle and
//! the end. The input encodes the disk sparsely, so a real 4 MiB disk fits in a seed:
//! `[disk size in 512-byte sectors: u32 LE]`, then runs of
//! `[first sector: u32 LE][count: u16 LE][count x 512 bytes]` (the last run may be cut
//! short); sectors no run covers read as zeros.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use tlsreg::source::{check_range, ReadAt};

/// At most 1 GiB of disk (it is sparse; this only bounds the offsets).
const MAX_SECTORS: u64 = 1 << 21;

struct Sparse {
    size: u64,
    /// Byte offset -> bytes from there.
    runs: BTreeMap<u64, Vec<u8>>,
}

impl Sparse {
    fn decode(data: &[u8]) -> Sparse {
        let word = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap()) as u64;
        let mut runs = BTreeMap::new();
        if data.len() < 4 {
            return Sparse { size: 0, runs };
        }
        let size = word(&data[..4]).min(MAX_SECTORS) * 512;
        let mut rest = &data[4..];
        while rest.len() >= 6 {
            let first = word(&rest[..4]) * 512;
            let count = u16::from_le_bytes([rest[4], rest[5]]) as usize;
            let n = (count * 512).min(rest.len() - 6);
            if first < size {
                runs.insert(first, rest[6..6 + n].to_vec());
            }
            rest = &rest[6 + n..];
        }
        Sparse { size, runs }
    }
}

impl ReadAt for Sparse {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        check_range(offset, buf.len(), self.size)?;
        buf.fill(0);
        let end = offset + buf.len() as u64;
        // Runs may overlap (the input says so); later starts win. A run starting before
        // `offset` may reach into it: look a little further back than the first.
        let from = self
            .runs
            .range(..=offset)
            .next_back()
            .map_or(offset, |(&s, _)| s);
        for (&start, bytes) in self.runs.range(from..end) {
            let stop = start + bytes.len() as u64;
            if stop <= offset {
                continue;
            }
            let a = start.max(offset);
            let b = stop.min(end);
            buf[(a - offset) as usize..(b - offset) as usize]
                .copy_from_slice(&bytes[(a - start) as usize..(b - start) as usize]);
        }
        Ok(())
    }
}

fn touch(r: &dyn ReadAt) {
    let size = r.size();
    let mut b = [0u8; 512];
    for at in [0, size / 2, size.saturating_sub(512)] {
        let n = (size - at).min(512) as usize;
        let _ = r.read_exact_at(&mut b[..n], at);
    }
    // A read past the end is an error, never a panic.
    assert!(r.read_exact_at(&mut b[..1], size).is_err());
}

fuzz_target!(|data: &[u8]| {
    let disk: Arc<dyn ReadAt> = Arc::new(Sparse::decode(data));
    if let Ok(scan) = tlsreg::image::volume::scan(disk, "fuzz.img") {
        for v in &scan.volumes {
            for h in v.system.iter().chain(v.software.iter()) {
                touch(&*h.data);
                for (_, log) in &h.logs {
                    touch(&**log);
                }
            }
        }
    }
});
