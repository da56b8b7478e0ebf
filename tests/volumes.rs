//! Partitions, NTFS and finding Windows inside a disk (`image::volume`), on disks built at
//! test time by `tests/fixtures/image/mkdisk.sh` with sfdisk, mkntfs and an ntfs-3g mount
//! (a printed SKIP without them, a failure when `TLSREG_REQUIRE_ORACLES=1`). Each disk is
//! built once per test run, in a temporary folder; the hives placed are the audit fixtures,
//! and what a `HiveSource` reads must be their bytes exactly.

use crate::util;
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tlsreg::image::volume::ntfs::NtfsVolume;
use tlsreg::image::volume::partition::{read_table, Kind};
use tlsreg::image::volume::{self, Scheme, SkipReason, VolumeError, WindowsVolume};
use tlsreg::source::{ReadAt, Slice};

const CONFIG: &str = "Windows/System32/config";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(util::root().join("tests/fixtures/audit").join(name)).unwrap()
}

fn system_hive() -> Vec<u8> {
    fixture("ccs2-system.hive")
}

fn software_hive() -> Vec<u8> {
    fixture("ccs2-software.hive")
}

/// A real pair of transaction logs (yarp's NewDirtyHive, from the shared corpus) or, without
/// the corpus, bytes that stand in for them (this layer only moves bytes).
fn logs() -> (Vec<u8>, Vec<u8>) {
    let d = util::shared().join("testdata/hives/yarp/hives_for_tests/NewDirtyHive1");
    match (
        std::fs::read(d.join("NewDirtyHive.LOG1")),
        std::fs::read(d.join("NewDirtyHive.LOG2")),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        _ => (pattern(24576, 1), pattern(65536, 2)),
    }
}

/// `n` bytes that differ at every offset (a misplaced cluster shows).
fn pattern(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

struct Cache {
    dir: tempfile::TempDir,
    built: Mutex<HashMap<String, Option<PathBuf>>>,
}

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Cache {
        dir: util::tempdir(),
        built: Mutex::new(HashMap::new()),
    })
}

/// A folder holding `files` (paths relative to the volume's root), for mkdisk.sh's TREE.
fn tree(name: &str, files: &[(&str, Vec<u8>)]) -> String {
    let root = cache().dir.path().join("trees").join(name);
    if !root.exists() {
        for (rel, bytes) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    }
    root.display().to_string()
}

/// The usual installation: both hives, two logs of SYSTEM, a small log of SOFTWARE (its
/// data resident in the MFT record) and some other files beside them.
fn standard_tree() -> String {
    let (log1, log2) = logs();
    tree(
        "standard",
        &[
            (&format!("{CONFIG}/SYSTEM"), system_hive()),
            (&format!("{CONFIG}/SOFTWARE"), software_hive()),
            (&format!("{CONFIG}/SYSTEM.LOG1"), log1),
            (&format!("{CONFIG}/SYSTEM.LOG2"), log2),
            (&format!("{CONFIG}/SOFTWARE.LOG"), pattern(300, 3)),
            (&format!("{CONFIG}/SAM"), pattern(8192, 4)),
            (
                "Windows/System32/drivers/etc/hosts",
                b"127.0.0.1 localhost\r\n".to_vec(),
            ),
            ("Users/Public/desktop.ini", pattern(174, 5)),
        ],
    )
}

/// The disk `name`, built by mkdisk.sh with `args` once per test run; `None` after a SKIP
/// when a tool is missing.
fn disk(name: &str, args: &[&str]) -> Option<PathBuf> {
    let c = cache();
    let mut built = c.built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let out = c.dir.path().join(format!("{name}.img"));
    let script = util::root().join("tests/fixtures/image/mkdisk.sh");
    let o = util::run_timeout(
        std::process::Command::new("bash")
            .arg(&script)
            .arg(&out)
            .args(args),
        120,
    );
    let result = match o.status.code() {
        Some(0) => Some(out),
        Some(4) => {
            util::skip(&format!("mkdisk.sh: {}", util::stderr(&o).trim()));
            None
        }
        code => panic!(
            "mkdisk.sh {name} {args:?} failed with {code:?}:\n{}{}",
            util::stdout(&o),
            util::stderr(&o)
        ),
    };
    built.insert(name.to_string(), result.clone());
    result
}

fn open(p: &Path) -> Arc<dyn ReadAt> {
    Arc::new(std::fs::File::open(p).unwrap())
}

/// Asserts two byte strings are equal, saying where they first differ (not printing them).
#[track_caller]
fn same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{what}: {} bytes read, {} expected; first difference at {at:?}",
            got.len(),
            want.len()
        );
    }
}

fn read_all(r: &dyn ReadAt) -> Vec<u8> {
    let mut b = vec![0u8; r.size() as usize];
    r.read_exact_at(&mut b, 0).unwrap();
    b
}

/// A source with some bytes replaced and maybe cut short: a damaged copy of a disk without
/// copying it.
struct Patched {
    base: Arc<dyn ReadAt>,
    size: u64,
    patches: Vec<(u64, Vec<u8>)>,
}

impl Patched {
    fn new(base: Arc<dyn ReadAt>) -> Patched {
        let size = base.size();
        Patched {
            base,
            size,
            patches: Vec::new(),
        }
    }

    fn put(mut self, at: u64, bytes: &[u8]) -> Patched {
        self.patches.push((at, bytes.to_vec()));
        self
    }
}

impl ReadAt for Patched {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        tlsreg::source::check_range(offset, buf.len(), self.size)?;
        self.base.read_exact_at(buf, offset)?;
        let end = offset + buf.len() as u64;
        for (at, bytes) in &self.patches {
            let pend = at + bytes.len() as u64;
            if *at < end && offset < pend {
                let from = (*at).max(offset);
                let to = pend.min(end);
                buf[(from - offset) as usize..(to - offset) as usize]
                    .copy_from_slice(&bytes[(from - at) as usize..(to - at) as usize]);
            }
        }
        Ok(())
    }
}

fn gpt_disk() -> Option<PathBuf> {
    let t = standard_tree();
    disk(
        "gpt",
        &[
            "gpt",
            "64",
            "efi:8:fat",
            "msr:8:raw",
            "basic:8:ntfs",
            &format!("basic:32:ntfs:{t}"),
        ],
    )
}

fn mbr_extended_disk() -> Option<PathBuf> {
    let t = standard_tree();
    disk(
        "mbr-extended",
        &[
            "mbr-extended",
            "64",
            "07:8:ntfs",
            &format!("07:24:ntfs:{t}"),
            "07:16:ntfs",
        ],
    )
}

/// The hives and logs of the standard tree, read through the sources, are the files placed.
fn assert_standard(v: &WindowsVolume) {
    let system = v.system.as_ref().expect("SYSTEM");
    let software = v.software.as_ref().expect("SOFTWARE");
    assert_eq!(system.path, r"Windows\System32\config\SYSTEM");
    assert_eq!(software.path, r"Windows\System32\config\SOFTWARE");
    assert_eq!(read_all(&*system.data), system_hive());
    assert_eq!(read_all(&*software.data), software_hive());
    let (log1, log2) = logs();
    let names: Vec<&str> = system.logs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["SYSTEM.LOG1", "SYSTEM.LOG2"]);
    assert_eq!(read_all(&*system.logs[0].1), log1);
    assert_eq!(read_all(&*system.logs[1].1), log2);
    assert_eq!(software.logs.len(), 1);
    assert_eq!(software.logs[0].0, "SOFTWARE.LOG");
    assert_eq!(read_all(&*software.logs[0].1), pattern(300, 3));
    // The hive reader takes the bytes: the control set is there.
    let mut h =
        tlsreg::hive::HiveFile::from_bytes(Path::new("SYSTEM"), read_all(&*system.data)).unwrap();
    let reg = h
        .extract(
            "HKLM\\SYSTEM",
            &[tlsreg::hive::Request::Key("Select".into())],
        )
        .unwrap();
    assert!(!reg.value_lines().is_empty());
}

#[test]
fn gpt_with_efi_msr_and_system_reserved_gives_the_windows_partition() {
    let Some(p) = gpt_disk() else { return };
    let scan = volume::scan(open(&p), "gpt.img").unwrap();
    assert_eq!(scan.scheme, Scheme::Gpt);
    assert_eq!(scan.volumes.len(), 1);
    let v = &scan.volumes[0];
    let part = v.partition.as_ref().unwrap();
    assert_eq!(part.number, 4);
    assert_eq!(part.type_name, "Microsoft basic data");
    assert_eq!(part.name.as_deref(), Some("basic 4"));
    assert_eq!(part.offset, 25 << 20);
    assert_eq!(part.size, 32 << 20);
    assert_eq!(v.offset, 25 << 20);
    assert_standard(v);
    let skipped: Vec<(u32, String)> = scan
        .skipped
        .iter()
        .map(|s| (s.partition.as_ref().unwrap().number, s.reason.to_string()))
        .collect();
    let efi = if which("mkfs.vfat") {
        "not NTFS (FAT)"
    } else {
        "not NTFS (no file system tlsreg knows)"
    };
    assert_eq!(
        skipped,
        [
            (1, efi.to_string()),
            (
                2,
                "a Microsoft reserved partition, which holds no file system".to_string()
            ),
            (
                3,
                r"an NTFS volume without a Windows\System32\config folder".to_string()
            ),
        ]
    );
    assert!(scan.notes.is_empty(), "{:?}", scan.notes);
    // find_windows gives the same volumes.
    let found = volume::find_windows(open(&p), "gpt.img").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].partition, v.partition);
}

fn which(tool: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_logical_partition_in_an_extended_one_is_partition_5() {
    let Some(p) = mbr_extended_disk() else { return };
    let t = read_table(&*open(&p), "mbr.img").unwrap();
    assert_eq!(t.scheme, Scheme::Mbr);
    let numbers: Vec<(u32, Kind)> = t.partitions.iter().map(|p| (p.number, p.kind)).collect();
    assert_eq!(
        numbers,
        [
            (1, Kind::BasicData),
            (2, Kind::Extended),
            (5, Kind::BasicData),
            (6, Kind::BasicData)
        ]
    );
    let scan = volume::scan(open(&p), "mbr.img").unwrap();
    assert_eq!(scan.scheme, Scheme::Mbr);
    assert_eq!(scan.volumes.len(), 1);
    let part = scan.volumes[0].partition.as_ref().unwrap();
    assert_eq!(part.number, 5);
    assert_eq!(part.type_id, "0x07");
    assert_standard(&scan.volumes[0]);
    let reasons: Vec<(u32, SkipReason)> = scan
        .skipped
        .iter()
        .map(|s| (s.partition.as_ref().unwrap().number, s.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (1, SkipReason::NoWindows),
            (2, SkipReason::Container),
            (6, SkipReason::NoWindows)
        ]
    );
}

/// The EBR of partition 6 pointed back at itself: the walk ends with a note, partition 5 is
/// still found, nothing hangs.
#[test]
fn an_ebr_chain_that_loops_back_ends() {
    let Some(p) = mbr_extended_disk() else { return };
    let d = open(&p);
    let mut mbr = [0u8; 512];
    d.read_exact_at(&mut mbr, 0).unwrap();
    let ext = u32::from_le_bytes(mbr[446 + 16 + 8..446 + 16 + 12].try_into().unwrap()) as u64;
    let mut ebr1 = [0u8; 512];
    d.read_exact_at(&mut ebr1, ext * 512).unwrap();
    let next = &ebr1[446 + 16..446 + 32];
    assert_eq!(next[4], 0x05);
    let ebr2 = ext * 512 + u32::from_le_bytes(next[8..12].try_into().unwrap()) as u64 * 512;
    // EBR 2's next entry = itself.
    let looped = Arc::new(Patched::new(d).put(ebr2 + 446 + 16, next));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(volume::scan(looped, "loop.img").map(|s| (s.volumes.len(), s.notes)));
    });
    let (n, notes) = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the scan ends")
        .unwrap();
    assert_eq!(n, 1);
    assert!(
        notes.iter().any(|n| n
            .starts_with("loop.img: the EBR chain of the extended partition at offset")
            && n.contains("loops back to the EBR at offset")),
        "{notes:?}"
    );
}

#[test]
fn a_bare_volume_with_odd_case_paths_is_found_and_named_as_on_disk() {
    let t = tree(
        "odd-case",
        &[
            ("windows/SYSTEM32/Config/system", system_hive()),
            ("windows/SYSTEM32/Config/Software", software_hive()),
            ("windows/SYSTEM32/Config/system.log1", pattern(5000, 6)),
        ],
    );
    let Some(p) = disk("bare", &["none", "32", &format!("x:32:ntfs:{t}")]) else {
        return;
    };
    let scan = volume::scan(open(&p), "bare.img").unwrap();
    assert_eq!(scan.scheme, Scheme::None);
    assert_eq!(scan.volumes.len(), 1);
    let v = &scan.volumes[0];
    assert_eq!(v.partition, None);
    assert_eq!(v.offset, 0);
    let system = v.system.as_ref().unwrap();
    assert_eq!(system.path, r"windows\SYSTEM32\Config\system");
    assert_eq!(read_all(&*system.data), system_hive());
    assert_eq!(system.logs.len(), 1);
    assert_eq!(system.logs[0].0, "system.log1");
    assert_eq!(read_all(&*system.logs[0].1), pattern(5000, 6));
    let software = v.software.as_ref().unwrap();
    assert_eq!(software.path, r"windows\SYSTEM32\Config\Software");
    assert_eq!(read_all(&*software.data), software_hive());
    // Any case finds it.
    let vol = NtfsVolume::open(open(&p), 0, "bare.img").unwrap();
    for path in [
        ["WINDOWS", "system32", "CONFIG", "SYSTEM"],
        ["Windows", "System32", "config", "sYsTeM"],
    ] {
        let found = vol.lookup(&path).unwrap().expect("found");
        assert_eq!(found.last().unwrap().name, "system");
    }
    assert_eq!(
        vol.lookup(&["Windows", "System32", "nothing"]).unwrap(),
        None
    );
    // A file where a folder should be is not a folder.
    assert_eq!(
        vol.lookup(&["windows", "SYSTEM32", "Config", "system", "x"])
            .unwrap(),
        None
    );
}

/// The free space cut into 8 KiB holes before the hives are copied in: SYSTEM (12 KiB) and
/// a 2 MiB SOFTWARE land in many data runs (the large one in several MFT records, through
/// an $ATTRIBUTE_LIST), and read back exactly.
#[test]
fn a_fragmented_hive_reads_back_exactly() {
    let big = pattern(2 << 20, 7);
    let t = tree(
        "fragmented",
        &[
            (&format!("{CONFIG}/SYSTEM"), system_hive()),
            (&format!("{CONFIG}/SOFTWARE"), big.clone()),
        ],
    );
    let Some(p) = disk(
        "fragmented",
        &["gpt", "48", &format!("basic:40:ntfs-frag:{t}")],
    ) else {
        return;
    };
    let found = volume::find_windows(open(&p), "frag.img").unwrap();
    assert_eq!(found.len(), 1);
    let system = found[0].system.as_ref().unwrap();
    let software = found[0].software.as_ref().unwrap();
    assert!(system.fragments > 1, "SYSTEM has {} runs", system.fragments);
    assert!(
        software.fragments > 100,
        "SOFTWARE has {} runs",
        software.fragments
    );
    same(&read_all(&*system.data), &system_hive(), "SYSTEM");
    same(&read_all(&*software.data), &big, "SOFTWARE");
    // Reads across run boundaries, at odd offsets.
    let mut b = vec![0u8; 10_000];
    for at in [0u64, 4095, 8191, 12_345, 1 << 20, (2 << 20) - 10_000] {
        software.data.read_exact_at(&mut b, at).unwrap();
        same(
            &b,
            &big[at as usize..at as usize + 10_000],
            "a piece of SOFTWARE",
        );
    }
    assert!(software
        .data
        .read_exact_at(&mut b, (2 << 20) - 9_999)
        .is_err());
}

#[test]
fn two_installations_on_two_partitions_come_in_partition_order() {
    let a = tree(
        "only-system",
        &[(&format!("{CONFIG}/SYSTEM"), system_hive())],
    );
    let b = tree(
        "only-software",
        &[(&format!("{CONFIG}/SOFTWARE"), software_hive())],
    );
    let Some(p) = disk(
        "two",
        &[
            "gpt",
            "72",
            &format!("basic:32:ntfs:{a}"),
            &format!("basic:32:ntfs:{b}"),
        ],
    ) else {
        return;
    };
    let found = volume::find_windows(open(&p), "two.img").unwrap();
    let numbers: Vec<u32> = found
        .iter()
        .map(|v| v.partition.as_ref().unwrap().number)
        .collect();
    assert_eq!(numbers, [1, 2]);
    assert!(found[0].software.is_none());
    assert_eq!(
        read_all(&*found[0].system.as_ref().unwrap().data),
        system_hive()
    );
    assert!(found[1].system.is_none());
    assert_eq!(
        read_all(&*found[1].software.as_ref().unwrap().data),
        software_hive()
    );
}

/// A file small enough to live in its MFT record is copied from there.
#[test]
fn a_small_resident_file_reads_from_its_record() {
    let Some(p) = gpt_disk() else { return };
    let disk = open(&p);
    let vol = Slice::new(disk, 25 << 20, 32 << 20).unwrap();
    let vol = NtfsVolume::open(Arc::new(vol), 25 << 20, "gpt.img").unwrap();
    let path = vol
        .lookup(&["Windows", "System32", "config", "SOFTWARE.LOG"])
        .unwrap()
        .unwrap();
    let data = vol
        .data(path.last().unwrap().record, "SOFTWARE.LOG")
        .unwrap();
    assert!(data.is_resident());
    assert!(data.runs().is_empty());
    assert_eq!(read_all(&data), pattern(300, 3));
    let hosts = vol
        .lookup(&["windows", "system32", "drivers", "etc", "HOSTS"])
        .unwrap()
        .unwrap();
    let data = vol.data(hosts.last().unwrap().record, "hosts").unwrap();
    assert_eq!(read_all(&data), b"127.0.0.1 localhost\r\n");
    // A folder has no data.
    let folder = vol.lookup(&["Windows"]).unwrap().unwrap();
    let e = vol.data(folder[0].record, "Windows").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("gpt.img: the NTFS volume at offset 0x1900000: Windows: (MFT record"),
        "{e}"
    );
    assert!(e.to_string().ends_with("is a folder, not a file"), "{e}");
}

fn no_windows(p: &Path, label: &str) -> String {
    match volume::find_windows(open(p), label) {
        Ok(v) => panic!("{label}: found {v:?}"),
        Err(e @ VolumeError::NoWindows { .. }) => e.to_string(),
        Err(e) => panic!("{label}: {e}"),
    }
}

#[test]
fn a_bitlocker_volume_is_named_as_such() {
    let t = standard_tree();
    let Some(p) = disk(
        "fve",
        &["gpt", "48", "efi:8:raw", &format!("basic:32:fve:{t}")],
    ) else {
        return;
    };
    let e = no_windows(&p, "fve.img");
    assert_eq!(
        e,
        "fve.img: no Windows installation found: partition 2 is BitLocker-encrypted (-FVE-FS-); \
         partition 1 (EFI system \"efi 1\", offset 0x100000, 8 MiB): not NTFS (no file system tlsreg knows); \
         partition 2 (Microsoft basic data \"basic 2\", offset 0x900000, 32 MiB): BitLocker-encrypted (-FVE-FS-); tlsreg reads only unencrypted volumes"
    );
}

#[test]
fn a_dynamic_disk_is_not_supported() {
    let t = standard_tree();
    let Some(p) = disk("ldm", &["mbr", "48", &format!("42:32:ntfs:{t}")]) else {
        return;
    };
    let e = no_windows(&p, "ldm.img");
    assert_eq!(
        e,
        "ldm.img: no Windows installation found: the disk is a dynamic disk (LDM), which tlsreg does not read; \
         partition 1 (LDM dynamic disk, offset 0x100000, 32 MiB): part of a dynamic disk (LDM), which tlsreg does not read"
    );
}

#[test]
fn a_storage_spaces_member_is_not_supported() {
    let Some(p) = disk("spaces", &["gpt", "48", "spaces:32:raw"]) else {
        return;
    };
    let e = no_windows(&p, "spaces.img");
    assert!(
        e.starts_with(
            "spaces.img: no Windows installation found: the disk is part of a Storage Spaces pool, which tlsreg does not read; \
             partition 1 (Storage Spaces \"spaces 1\", offset 0x100000, 32 MiB): part of a Storage Spaces pool"
        ),
        "{e}"
    );
}

#[test]
fn no_ntfs_and_ntfs_without_windows_say_so() {
    let Some(p) = disk("no-ntfs", &["gpt", "32", "efi:8:fat", "basic:16:raw"]) else {
        return;
    };
    let e = no_windows(&p, "no-ntfs.img");
    assert!(
        e.starts_with("no-ntfs.img: no Windows installation found: no NTFS partition; partition 1 (EFI system"),
        "{e}"
    );
    assert!(
        e.ends_with("partition 2 (Microsoft basic data \"basic 2\", offset 0x900000, 16 MiB): not NTFS (no file system tlsreg knows)"),
        "{e}"
    );
    let Some(p) = disk("no-windows", &["gpt", "32", "basic:16:ntfs"]) else {
        return;
    };
    assert_eq!(
        no_windows(&p, "no-windows.img"),
        "no-windows.img: no Windows installation found: no Windows folder on any NTFS volume; \
         partition 1 (Microsoft basic data \"basic 1\", offset 0x100000, 16 MiB): an NTFS volume without a Windows\\System32\\config folder"
    );
    // No table and no NTFS: a disk of zeros.
    let zeros: Arc<dyn ReadAt> = Arc::new(vec![0u8; 1 << 20]);
    assert_eq!(
        volume::find_windows(zeros, "zeros.img").unwrap_err().to_string(),
        "zeros.img: no Windows installation found: the disk (1 MiB) has no partition table and no NTFS volume; \
         the volume at offset 0x0 (no partition table): not NTFS (no file system tlsreg knows)"
    );
}

#[test]
fn a_truncated_disk_says_the_partition_reaches_past_its_end() {
    let Some(p) = gpt_disk() else { return };
    let mut cut = Patched::new(open(&p));
    cut.size = 40 << 20;
    let e = volume::find_windows(Arc::new(cut), "cut.img")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cut.img: no Windows installation found: partition 4 reaches past the end of the disk (is the image truncated?); "),
        "{e}"
    );
    assert!(
        e.contains("partition 4 (Microsoft basic data \"basic 4\", offset 0x1900000, 32 MiB): the table entry is not usable: it reaches past the end of the disk (it ends at offset 0x3900000, the disk is 0x2800000 bytes; is the image truncated?)"),
        "{e}"
    );
}

#[test]
fn a_damaged_primary_gpt_falls_back_to_the_backup() {
    let Some(p) = gpt_disk() else { return };
    let d = open(&p);
    let mut b = [0u8; 1];
    d.read_exact_at(&mut b, 512 + 56).unwrap();
    let damaged = Arc::new(Patched::new(d.clone()).put(512 + 56, &[b[0] ^ 0xff]));
    let scan = volume::scan(damaged, "crc.img").unwrap();
    assert_eq!(scan.volumes.len(), 1);
    assert_eq!(scan.volumes[0].partition.as_ref().unwrap().number, 4);
    assert_standard(&scan.volumes[0]);
    assert_eq!(scan.notes.len(), 1, "{:?}", scan.notes);
    let last_lba = d.size() / 512 - 1;
    assert!(
        scan.notes[0]
            .starts_with("the primary GPT header at LBA 1 has a header CRC32 mismatch (stored "),
        "{}",
        scan.notes[0]
    );
    assert!(
        scan.notes[0].ends_with(&format!(
            "the backup GPT header at LBA {last_lba} (offset {:#x}) was used",
            last_lba * 512
        )),
        "{}",
        scan.notes[0]
    );
    // Both headers damaged: an error naming both.
    let both = Arc::new(
        Patched::new(d.clone())
            .put(512 + 56, &[b[0] ^ 0xff])
            .put(last_lba * 512 + 56, &[0x5a]),
    );
    let e = volume::find_windows(both, "crc.img")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("crc.img: offset 0x200: no usable GPT: the primary header at LBA 1 has a header CRC32 mismatch"),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "the backup header at LBA {last_lba} has a header CRC32 mismatch"
        )),
        "{e}"
    );
    // The entries' CRC damaged (a type GUID changed): the backup is used as well.
    let mut entry = [0u8; 1];
    d.read_exact_at(&mut entry, 1024).unwrap();
    let entries = Arc::new(Patched::new(d).put(1024, &[entry[0] ^ 1]));
    let scan = volume::scan(entries, "crc.img").unwrap();
    assert_eq!(scan.volumes.len(), 1);
    assert!(
        scan.notes[0].starts_with("the primary GPT header at LBA 1 has an entries CRC32 mismatch"),
        "{}",
        scan.notes[0]
    );
}

/// A data run of SYSTEM pointed past the end of the volume (its LCN field in the MFT
/// record rewritten) is an error naming the file, not a read of other bytes.
#[test]
fn a_data_run_past_the_volume_is_an_error() {
    let Some(p) = gpt_disk() else { return };
    let d = open(&p);
    let start = 25u64 << 20;
    let vol = NtfsVolume::open(
        Arc::new(Slice::new(d.clone(), start, 32 << 20).unwrap()),
        start,
        "gpt.img",
    )
    .unwrap();
    let path = vol
        .lookup(&["Windows", "System32", "config", "SYSTEM"])
        .unwrap()
        .unwrap();
    let data = vol.data(path.last().unwrap().record, "SYSTEM").unwrap();
    assert_eq!(data.runs().len(), 1);
    let lcn = data.runs()[0].volume_offset.unwrap() / vol.cluster_size() as u64;
    // Find the mapping pairs of the run in the volume: header 0x21 or 0x31 (1-byte length,
    // 2- or 3-byte LCN), length 3 clusters, then the LCN.
    let mut image = vec![0u8; 32 << 20];
    d.read_exact_at(&mut image, start).unwrap();
    let mut hits = Vec::new();
    for n in [2usize, 3] {
        let mut pat = vec![0x01 | ((n as u8) << 4), 3];
        pat.extend_from_slice(&lcn.to_le_bytes()[..n]);
        pat.push(0);
        for (i, w) in image.windows(pat.len()).enumerate() {
            if w == pat.as_slice() {
                hits.push((i, n));
            }
        }
    }
    assert_eq!(hits.len(), 1, "{hits:?}");
    let (at, n) = hits[0];
    let far = [0xffu8, 0xff, 0x7f];
    let patched = Arc::new(Patched::new(d).put(start + at as u64 + 2, &far[3 - n..]));
    let vol = NtfsVolume::open(
        Arc::new(Slice::new(patched.clone(), start, 32 << 20).unwrap()),
        start,
        "gpt.img",
    )
    .unwrap();
    let e = vol
        .data(
            path.last().unwrap().record,
            r"Windows\System32\config\SYSTEM",
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(r"gpt.img: the NTFS volume at offset 0x1900000: Windows\System32\config\SYSTEM: (MFT record "),
        "{e}"
    );
    assert!(e.contains("data run 0 (volume offset 0x"), "{e}");
    assert!(
        e.ends_with("reaches past the end of the volume (0x2000000 bytes)"),
        "{e}"
    );
    // The scan keeps SOFTWARE and says why SYSTEM is left out.
    let scan = volume::scan(patched, "gpt.img").unwrap();
    assert!(scan.volumes[0].system.is_none());
    assert!(scan.volumes[0].software.is_some());
    assert!(
        scan.notes.iter().any(|n| n.starts_with(
            "gpt.img: partition 4 (Microsoft basic data \"basic 4\", offset 0x1900000, 32 MiB): the NTFS volume at offset 0x1900000: Windows\\System32\\config\\SYSTEM: (MFT record "
        ) && n.contains("reaches past the end of the volume")),
        "{:?}",
        scan.notes
    );
}

/// A small real disk, read whole once, for the mutation test.
fn small_disk() -> Option<Arc<Vec<u8>>> {
    static SMALL: OnceLock<Option<Arc<Vec<u8>>>> = OnceLock::new();
    SMALL
        .get_or_init(|| {
            let t = standard_tree();
            let p = disk(
                "small",
                &["gpt", "8", "efi:1:raw", &format!("basic:5:ntfs:{t}")],
            )?;
            Some(Arc::new(std::fs::read(p).unwrap()))
        })
        .clone()
}

/// The 512-byte sectors of the small disk that hold something (edits there matter).
fn busy_sectors(d: &[u8]) -> Vec<u64> {
    d.chunks(512)
        .enumerate()
        .filter(|(_, s)| s.iter().any(|&b| b != 0))
        .map(|(i, _)| i as u64)
        .collect()
}

#[test]
fn the_small_disk_is_found_whole() {
    let Some(d) = small_disk() else { return };
    let found = volume::find_windows(d, "small.img").unwrap();
    assert_eq!(found.len(), 1);
    assert_standard(&found[0]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// The fuzz target `volume`'s path on a real disk with bytes changed in its busy
    /// sectors (tables, boot sector, MFT, indexes) and maybe cut short: a result or an
    /// error, never a panic or a hang, and reads of what is found stay in bounds.
    #[test]
    fn damaged_disks_give_a_result_or_an_error(edits in proptest::collection::vec((any::<usize>(), 0usize..512, any::<u8>()), 1..24), cut in proptest::option::of(0u64..(8 << 20))) {
        let Some(d) = small_disk() else { return Ok(()) };
        let busy = busy_sectors(&d);
        let mut disk = Patched::new(d.clone());
        for (s, at, v) in edits {
            disk = disk.put(busy[s % busy.len()] * 512 + at as u64, &[v]);
        }
        if let Some(c) = cut {
            disk.size = c;
        }
        let disk: Arc<dyn ReadAt> = Arc::new(disk);
        if let Ok(found) = volume::find_windows(disk, "fuzz.img") {
            for v in found {
                for h in v.system.iter().chain(v.software.iter()) {
                    let mut b = [0u8; 64];
                    let n = h.data.size().min(64) as usize;
                    let _ = h.data.read_exact_at(&mut b[..n], 0);
                    let _ = h.data.read_exact_at(&mut b[..n], h.data.size() - n as u64);
                    for (_, l) in &h.logs {
                        let _ = l.read_exact_at(&mut b[..1.min(l.size() as usize)], 0);
                    }
                }
            }
        }
    }

    /// Random bytes as a disk, and random partition entries in a real MBR or GPT layout.
    #[test]
    fn random_disks_give_a_result_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..4096), tail in 0usize..3) {
        let mut d = bytes;
        d.resize(d.len() + tail * 512, 0);
        let _ = volume::find_windows(Arc::new(d.clone()), "random.img");
        if d.len() >= 1024 {
            d[510] = 0x55;
            d[511] = 0xaa;
            let _ = volume::find_windows(Arc::new(d.clone()), "random.img");
            d[512..520].copy_from_slice(b"EFI PART");
            let _ = volume::find_windows(Arc::new(d), "random.img");
        }
    }
}

/// A disk in the `volume` fuzz target's input format (`fuzz/fuzz_targets/volume.rs`):
/// `[size in sectors: u32 LE]`, then runs of `[first sector: u32 LE][count: u16 LE]`
/// `[count x 512 bytes]`.
fn sparse_disk(data: &[u8]) -> Vec<u8> {
    let word = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap()) as usize;
    let size = word(&data[..4]).min(1 << 17) * 512;
    let mut d = vec![0u8; size];
    let mut rest = &data[4..];
    while rest.len() >= 6 {
        let first = word(&rest[..4]) * 512;
        let n = (u16::from_le_bytes([rest[4], rest[5]]) as usize * 512).min(rest.len() - 6);
        if first < size {
            let m = n.min(size - first);
            d[first..first + m].copy_from_slice(&rest[6..6 + m]);
        }
        rest = &rest[6 + n..];
    }
    d
}

/// The inputs the `volume` fuzz target once hung or crashed on end, with a result or an
/// error.
#[test]
fn fuzz_regressions_end() {
    let dir = util::root().join("fuzz/regressions/volume");
    let mut n = 0;
    for p in util::files_below(&dir) {
        let disk: Arc<dyn ReadAt> = Arc::new(sparse_disk(&std::fs::read(&p).unwrap()));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(volume::scan(disk, "fuzz.img").map(|s| s.volumes.len()));
        });
        let r = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{} does not end", p.display()));
        eprintln!("{}: {:?}", p.display(), r.map_err(|e| e.to_string()));
        n += 1;
    }
    assert!(n >= 1);
}

/// Hives that ntfs-3g wrote NTFS-compressed: the volume is set aside, naming the file and
/// why.
#[test]
fn a_compressed_hive_is_refused_by_name() {
    let t = tree(
        "compressed",
        &[
            (&format!("{CONFIG}/SYSTEM"), system_hive()),
            (&format!("{CONFIG}/SOFTWARE"), software_hive()),
        ],
    );
    let Some(p) = disk(
        "compressed",
        &["gpt", "24", &format!("basic:16:ntfs-compressed:{t}")],
    ) else {
        return;
    };
    let e = no_windows(&p, "zip.img");
    assert!(
        e.starts_with("zip.img: no Windows installation found: no NTFS volume with readable Windows hives; partition 1 (Microsoft basic data \"basic 1\", offset 0x100000, 16 MiB): Windows\\System32\\config has no readable SYSTEM or SOFTWARE hive: the NTFS volume at offset 0x100000: Windows\\System32\\config\\SYSTEM: (MFT record "),
        "{e}"
    );
    assert!(
        e.ends_with("is NTFS-compressed, which tlsreg does not read"),
        "{e}"
    );
}
