//! Unit tests of the partition tables: CRC32, GUIDs, sizes, MBR disks with EBR chains, bare
//! volumes, and GPT disks (4Kn, set-aside entries, hostile headers, the backup header).

use super::gpt::gpt_type;
use super::*;

#[test]
fn crc32_is_the_ieee_one() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn guids_are_written_as_windows_writes_them() {
    let b = [
        0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9,
        0x3b,
    ];
    assert_eq!(guid_string(&b), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    assert_eq!(gpt_type(&guid_string(&b)).1, Kind::EfiSystem);
}

#[test]
fn sizes_read_like_sizes() {
    assert_eq!(human_size(512), "512 bytes");
    assert_eq!(human_size(64 << 20), "64 MiB");
    assert_eq!(human_size(1536), "1.5 KiB");
}

fn mbr_disk(entries: &[(u8, u32, u32)], size: usize) -> Vec<u8> {
    let mut d = vec![0u8; size];
    for (i, &(ty, lba, count)) in entries.iter().enumerate() {
        let e = 446 + 16 * i;
        d[e + 4] = ty;
        d[e + 8..e + 12].copy_from_slice(&lba.to_le_bytes());
        d[e + 12..e + 16].copy_from_slice(&count.to_le_bytes());
    }
    d[510] = 0x55;
    d[511] = 0xaa;
    d
}

fn ebr(d: &mut [u8], at: u32, logical: (u8, u32, u32), next: Option<(u32, u32)>) {
    let base = at as usize * 512;
    let e = base + 446;
    d[e + 4] = logical.0;
    d[e + 8..e + 12].copy_from_slice(&logical.1.to_le_bytes());
    d[e + 12..e + 16].copy_from_slice(&logical.2.to_le_bytes());
    if let Some((lba, count)) = next {
        let e = base + 446 + 16;
        d[e + 4] = 0x05;
        d[e + 8..e + 12].copy_from_slice(&lba.to_le_bytes());
        d[e + 12..e + 16].copy_from_slice(&count.to_le_bytes());
    }
    d[base + 510] = 0x55;
    d[base + 511] = 0xaa;
}

#[test]
fn an_ebr_chain_that_loops_back_ends_with_a_note() {
    // Extended partition at LBA 100 (200 sectors): EBR 100 -> EBR 150 -> EBR 150 (a
    // next-EBR field of 0 ends a chain, so a loop points at a later EBR again).
    let mut d = mbr_disk(&[(0x07, 2048, 64), (0x05, 100, 200)], 2048 * 512 + 64 * 512);
    ebr(&mut d, 100, (0x07, 1, 40), Some((50, 40)));
    ebr(&mut d, 150, (0x07, 1, 30), Some((50, 40)));
    let t = read_table(&d, "loop.img").unwrap();
    assert_eq!(t.scheme, Scheme::Mbr);
    let numbers: Vec<u32> = t.partitions.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 5, 6]);
    assert_eq!(t.partitions[2].offset, 101 * 512);
    assert_eq!(t.partitions[3].offset, 151 * 512);
    assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
    assert!(
        t.notes[0].contains("loops back to the EBR at offset 0x12c00"),
        "{}",
        t.notes[0]
    );
}

#[test]
fn mbr_entries_past_the_end_or_overlapping_are_set_aside() {
    let d = mbr_disk(
        &[(0x07, 1, 100), (0x07, 50, 100), (0x07, 200, 1000)],
        300 * 512,
    );
    let t = read_table(&d, "x.img").unwrap();
    assert_eq!(t.partitions.len(), 1);
    assert_eq!(t.rejected.len(), 2);
    assert!(t.rejected[0].reason.contains("overlaps partition 1"));
    assert!(t.rejected[1].reason.contains("past the end of the disk"));
}

#[test]
fn a_boot_sector_at_the_start_is_a_bare_volume() {
    let mut d = vec![0u8; 4096];
    d[3..11].copy_from_slice(b"NTFS    ");
    d[510] = 0x55;
    d[511] = 0xaa;
    assert_eq!(read_table(&d, "x").unwrap().scheme, Scheme::None);
    assert!(read_table(&vec![0u8; 100], "tiny.img")
        .unwrap_err()
        .to_string()
        .starts_with("tiny.img: offset 0x0: the disk is 100 bytes"));
}

/// A GPT disk of `sectors` sectors of `ss` bytes: protective MBR, primary and backup
/// headers, `count` entries of `es` bytes holding `parts` (type, first LBA, last LBA).
fn gpt_disk(ss: u64, sectors: u64, parts: &[(&str, u64, u64)], count: u32, es: u32) -> Vec<u8> {
    let mut d = vec![0u8; (ss * sectors) as usize];
    d[446 + 4] = 0xee;
    d[446 + 8..446 + 12].copy_from_slice(&1u32.to_le_bytes());
    d[510] = 0x55;
    d[511] = 0xaa;
    let mut entries = vec![0u8; count.min(128) as usize * es as usize];
    for (i, (ty, first, last)) in parts.iter().enumerate() {
        let e = &mut entries[i * es as usize..];
        let (a, rest) = ty.split_at(8);
        let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
        e[0..4].copy_from_slice(&(hex(a) as u32).to_le_bytes());
        e[4..6].copy_from_slice(&(hex(&rest[1..5]) as u16).to_le_bytes());
        e[6..8].copy_from_slice(&(hex(&rest[6..10]) as u16).to_le_bytes());
        let tail: String = rest[11..].chars().filter(|c| *c != '-').collect();
        for k in 0..8 {
            e[8 + k] = hex(&tail[2 * k..2 * k + 2]) as u8;
        }
        e[16] = 1;
        e[32..40].copy_from_slice(&first.to_le_bytes());
        e[40..48].copy_from_slice(&last.to_le_bytes());
        for (k, c) in "Basic data".encode_utf16().enumerate() {
            e[56 + 2 * k..58 + 2 * k].copy_from_slice(&c.to_le_bytes());
        }
    }
    let entry_sectors = (entries.len() as u64).div_ceil(ss);
    let last = sectors - 1;
    for (lba, alt, table) in [(1, last, 2), (last, 1, last.saturating_sub(entry_sectors))] {
        let mut h = vec![0u8; 92];
        h[..8].copy_from_slice(b"EFI PART");
        h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        h[12..16].copy_from_slice(&92u32.to_le_bytes());
        h[24..32].copy_from_slice(&lba.to_le_bytes());
        h[32..40].copy_from_slice(&alt.to_le_bytes());
        h[40..48].copy_from_slice(&(2 + entry_sectors).to_le_bytes());
        h[48..56].copy_from_slice(&last.saturating_sub(entry_sectors + 1).to_le_bytes());
        h[72..80].copy_from_slice(&table.to_le_bytes());
        h[80..84].copy_from_slice(&count.to_le_bytes());
        h[84..88].copy_from_slice(&es.to_le_bytes());
        h[88..92].copy_from_slice(&crc32(&entries).to_le_bytes());
        let c = crc32(&h);
        h[16..20].copy_from_slice(&c.to_le_bytes());
        let at = (lba * ss) as usize;
        d[at..at + 92].copy_from_slice(&h);
        let at = (table * ss) as usize;
        if at + entries.len() <= d.len() {
            d[at..at + entries.len()].copy_from_slice(&entries);
        }
    }
    d
}

const BASIC: &str = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";

#[test]
fn a_4k_sector_gpt_is_read_in_4k_sectors() {
    let d = gpt_disk(4096, 64, &[(BASIC, 10, 19)], 128, 128);
    let t = read_table(&d, "4kn.img").unwrap();
    assert_eq!(t.scheme, Scheme::Gpt);
    assert_eq!(t.sector_size, 4096);
    assert_eq!(t.partitions.len(), 1, "{t:?}");
    let p = &t.partitions[0];
    assert_eq!((p.number, p.offset, p.size), (1, 10 * 4096, 10 * 4096));
    assert_eq!(p.kind, Kind::BasicData);
    assert_eq!(p.name.as_deref(), Some("Basic data"));
    assert!(t.notes.is_empty());
}

#[test]
fn gpt_entries_past_the_end_overlapping_or_inverted_are_set_aside() {
    let d = gpt_disk(
        512,
        200,
        &[
            (BASIC, 40, 79),
            (BASIC, 60, 99),
            (BASIC, 120, 110),
            (BASIC, 150, 5000),
        ],
        128,
        128,
    );
    let t = read_table(&d, "x.img").unwrap();
    assert_eq!(t.partitions.len(), 1);
    let why: Vec<(u32, &str)> = t
        .rejected
        .iter()
        .map(|r| (r.partition.number, r.reason.as_str()))
        .collect();
    assert_eq!(
        why,
        [
            (2, "it overlaps partition 1 (offsets 0x5000 to 0xa000)"),
            (3, "its last LBA 110 is before its first LBA 120"),
            (
                4,
                "LBAs 150 to 5000 lie outside the usable LBAs 34 to 166 of the GPT"
            ),
        ]
    );
}

#[test]
fn hostile_gpt_headers_are_refused_with_the_reason() {
    // An entry size that is not 128 times a power of two, in both headers.
    let d = gpt_disk(512, 200, &[(BASIC, 40, 79)], 128, 100);
    let e = read_table(&d, "es.img").unwrap_err().to_string();
    assert_eq!(
        e,
        "es.img: offset 0x200: no usable GPT: the primary header at LBA 1 has an entry size of 100 bytes (it must be 128 times a power of two); the backup header at LBA 199 has an entry size of 100 bytes (it must be 128 times a power of two)"
    );
    // An absurd count is refused before anything is allocated.
    let d = gpt_disk(512, 64, &[], u32::MAX, 128);
    let e = read_table(&d, "count.img").unwrap_err().to_string();
    assert!(
        e.contains("has 4294967295 entries of 128 bytes (549755813760 bytes, more than the 1048576 tlsreg reads)"),
        "{e}"
    );
    // A primary whose entries are damaged: the backup is used, and the note says so.
    let mut d = gpt_disk(512, 200, &[(BASIC, 40, 79)], 128, 128);
    d[1024 + 40] ^= 1;
    let t = read_table(&d, "crc.img").unwrap();
    assert_eq!(t.partitions.len(), 1);
    assert_eq!(t.partitions[0].offset, 40 * 512);
    assert!(t.notes[0].starts_with("the primary GPT header at LBA 1 has an entries CRC32 mismatch"));
    assert!(t.notes[0].ends_with("the backup GPT header at LBA 199 (offset 0x18e00) was used"));
}
