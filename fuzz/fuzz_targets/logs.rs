//! Transaction-log replay: the input is a primary hive and one log, split by a 4-byte
//! little-endian prefix: `[prefix: u32 LE][primary][log: the rest]`. The prefix's low 31 bits
//! are the primary's length (clamped to what follows). With its top bit set, the log's
//! base-block checksum is recomputed before replay, so that mutations of the log's header
//! reach the log entries instead of stopping at the checksum (make-seeds.sh sets that bit;
//! clear it to fuzz the checksum check itself).
//! A recovered hive goes on through the hive reader and a walk, as audit and export do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use tlsreg::hive::HiveFile;
use tlsreg::hive::logs::LogFile;

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let prefix = u32::from_le_bytes(*len);
    let len = ((prefix & 0x7FFF_FFFF) as usize).min(rest.len());
    let (primary, log) = rest.split_at(len);
    let _ = tlsreg::hive::logs::is_dirty(primary);
    let mut log_bytes = log.to_vec();
    if prefix & 0x8000_0000 != 0 && log_bytes.len() >= 512 {
        // XOR of the first 127 little-endian u32s, 0 -> 1 and 0xFFFFFFFF -> 0xFFFFFFFE.
        let x = log_bytes[..508].chunks_exact(4).fold(0u32, |x, c| {
            x ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        });
        let x = match x {
            0 => 1,
            u32::MAX => u32::MAX - 1,
            x => x,
        };
        log_bytes[508..512].copy_from_slice(&x.to_le_bytes());
    }
    let logs = [LogFile {
        label: "fuzz.LOG1".into(),
        bytes: log_bytes,
    }];
    let Ok(Some(r)) = tlsreg::hive::logs::recover(primary, &logs) else {
        return;
    };
    // Documented: the recovered hive grows only by what the logs can fill.
    assert!(
        r.bytes.len() <= primary.len() + log.len(),
        "recovered hive of {} bytes from a {}-byte primary and a {}-byte log",
        r.bytes.len(),
        primary.len(),
        log.len()
    );
    if let Ok(mut h) = HiveFile::from_bytes(Path::new("fuzz"), r.bytes) {
        let _ = h.walk("HKEY_LOCAL_MACHINE\\FUZZ", "", &mut |_| {});
    }
});
