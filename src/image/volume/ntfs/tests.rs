//! Unit tests of the NTFS reader: run maps refused when they leave the volume or overlap,
//! file data read across runs, sparse holes and the valid data length, and the read
//! budget of the crate's cursor.

use super::*;

#[test]
fn run_maps_refuse_runs_outside_the_volume_or_over_each_other() {
    let ok = run_map(
        [(4096, Some(8192)), (4096, None), (8192, Some(0))],
        12000,
        1 << 20,
    )
    .unwrap();
    assert_eq!(ok.len(), 3);
    assert_eq!(ok[2].file_offset, 8192);
    let past = run_map([(4096, Some(1 << 20))], 4096, 1 << 20).unwrap_err();
    assert_eq!(
        past,
        "data run 0 (volume offset 0x100000, 4096 bytes) reaches past the end of the volume (0x100000 bytes)"
    );
    let wrap = run_map([(4096, Some(u64::MAX - 10))], 4096, 1 << 20).unwrap_err();
    assert!(wrap.contains("past the end of the volume"), "{wrap}");
    let overlap = run_map([(8192, Some(4096)), (4096, Some(8192))], 12288, 1 << 20).unwrap_err();
    assert_eq!(
        overlap,
        "has data runs 0 and 1 that overlap at volume offset 0x2000"
    );
    let short = run_map([(4096, Some(0))], 5000, 1 << 20).unwrap_err();
    assert!(
        short.contains("less than its size of 5000 bytes"),
        "{short}"
    );
}

#[test]
fn file_data_reads_across_runs_sparse_holes_and_the_valid_length() {
    let volume: Vec<u8> = (0..16384u32).map(|i| (i % 251) as u8).collect();
    let volume: Arc<dyn ReadAt> = Arc::new(volume);
    let runs = run_map(
        [(4096, Some(8192)), (4096, None), (4096, Some(0))],
        12000,
        16384,
    )
    .unwrap();
    let f = FileData {
        volume: volume.clone(),
        size: 12000,
        initialized: 11000,
        map: DataMap::Runs(runs),
    };
    let mut all = vec![0u8; 12000];
    f.read_exact_at(&mut all, 0).unwrap();
    let mut want = vec![0u8; 12000];
    volume.read_exact_at(&mut want[..4096], 8192).unwrap();
    volume.read_exact_at(&mut want[8192..11000], 0).unwrap();
    assert_eq!(all, want);
    let mut piece = [0u8; 10];
    f.read_exact_at(&mut piece, 4090).unwrap();
    assert_eq!(piece, want[4090..4100]);
    assert!(f.read_exact_at(&mut piece, 11995).is_err());
}

#[test]
fn a_cursor_stops_at_its_budget() {
    use std::io::{Read, Seek, SeekFrom};
    let volume = vec![7u8; 1 << 20];
    let mut c = FsCursor::new(&volume);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let err = loop {
        c.seek(SeekFrom::Start(0)).unwrap();
        match c.read(&mut buf) {
            Ok(n) => total += n as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(total, READ_BUDGET);
    assert!(err
        .to_string()
        .contains("a loop in the volume's structures"));
}
