//! Image file bytes -> `image::container::open_source` (format detection and every
//! format's header and table checks), then reads of a few ranges of the disk: the start,
//! the middle, the end, and a range crossing the end. Any result is fine; a panic, a hang or
//! a huge allocation is not. Reads past the disk's end must fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::Arc;
use tlsreg::image::container::{self, MAX_DISK};

fuzz_target!(|data: &[u8]| {
    let Ok(c) = container::open_source(Path::new("fuzz.img"), Arc::new(data.to_vec()), None) else {
        return;
    };
    let size = c.disk.size();
    assert!(size <= MAX_DISK, "a disk of {size} bytes was accepted");
    let mut b = vec![0u8; 256 * 1024];
    for at in [0, size / 3, size / 2, size.saturating_sub(4097)] {
        let n = (size - at.min(size)).min(b.len() as u64) as usize;
        let _ = c.disk.read_exact_at(&mut b[..n], at);
    }
    let mut two = [0u8; 2];
    assert!(c.disk.read_exact_at(&mut two, size.saturating_sub(1)).is_err());
});
