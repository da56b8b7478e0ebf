//! Disk image containers (`image::container`): a raw disk with varied content converted by
//! `qemu-img` into every format tlsreg reads must read back byte for byte, with the size
//! `qemu-img info` reports; images tlsreg refuses (backing files, compression, parents,
//! logs to replay) and damaged ones (truncated, patched headers) give an error naming the
//! file, never a panic, a hang or wrong bytes. Without `qemu-img` the tests are a printed
//! SKIP (a failure with `TLSREG_REQUIRE_ORACLES=1`).

use crate::util;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use tlsreg::image::container::{self, Container, Format};
use tlsreg::source::ReadAt;

/// The `qemu-img` binary, or `None` after a printed skip.
fn qemu_img() -> Option<PathBuf> {
    let p = std::env::var_os("TLSREG_QEMU_IMG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("qemu-img"));
    match Command::new(&p).arg("--version").output() {
        Ok(o) if o.status.success() => Some(p),
        _ => {
            util::skip("qemu-img is not installed (apt-get install qemu-utils)");
            None
        }
    }
}

/// Runs `qemu-img` with `args`, failing the test with its output if it fails.
fn qemu(q: &Path, args: &[&str]) {
    let o = util::run(Command::new(q).args(args));
    assert!(
        o.status.success(),
        "qemu-img {args:?}: {}{}",
        util::stdout(&o),
        util::stderr(&o)
    );
}

/// The virtual size `qemu-img info` reports for `image`.
fn qemu_size(q: &Path, image: &Path, format: &str) -> u64 {
    let o = util::run(
        Command::new(q)
            .args(["info", "--output=json", "-f", format])
            .arg(image),
    );
    assert!(o.status.success(), "{}", util::stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["virtual-size"].as_u64().expect("a virtual size")
}

/// A deterministic pseudo-random stream (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn fill(&mut self, b: &mut [u8]) {
        for c in b.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
/// 5 MiB and 7 sectors: not a multiple of any cluster, grain or block size.
const DISK: usize = 5 * MIB + 7 * 512;

/// The raw disk: random data, large holes of zeros, scattered sectors of data inside the
/// holes, and a non-zero last sector.
fn raw_disk() -> Vec<u8> {
    let mut d = vec![0u8; DISK];
    let mut r = Rng(0x1234_5678_9ABC_DEF1);
    r.fill(&mut d[..64 * KIB]);
    r.fill(&mut d[MIB..MIB + 300 * KIB + 100]);
    for s in [2 * MIB + 512 * 7, 2 * MIB + 64 * KIB + 512, 3 * MIB - 512] {
        r.fill(&mut d[s..s + 512]);
    }
    r.fill(&mut d[4 * MIB + 12345..4 * MIB + 200 * KIB]);
    r.fill(&mut d[DISK - 512..]);
    text(&mut d[TEXT..TEXT + 400 * KIB]);
    d
}

/// Where the raw disk holds compressible text (what compressed clusters and grains hold).
const TEXT: usize = 2 * MIB + 512 * KIB;

/// Fills `b` with numbered lines of text: compressible, and different in every cluster.
fn text(b: &mut [u8]) {
    let mut t = Vec::with_capacity(b.len() + 64);
    let mut i = 0u64;
    while t.len() < b.len() {
        t.extend(format!("line {i}: tlsreg reads hives out of disk images\n").bytes());
        i += 1;
    }
    b.copy_from_slice(&t[..b.len()]);
}

/// Reads the whole disk.
fn read_all(disk: &dyn ReadAt) -> std::io::Result<Vec<u8>> {
    let mut v = vec![0u8; disk.size() as usize];
    disk.read_exact_at(&mut v, 0)?;
    Ok(v)
}

/// Asserts that `c`'s disk holds `raw` (then zeros up to its size), read whole and in
/// random chunks, and that reads past its end fail.
fn assert_same(label: &str, c: &Container, raw: &[u8], size: u64) {
    assert_eq!(c.disk.size(), size, "{label}: size");
    let want = |at: usize, n: usize| -> Vec<u8> {
        let mut v = vec![0u8; n];
        let end = (at + n).min(raw.len());
        if at < end {
            v[..end - at].copy_from_slice(&raw[at..end]);
        }
        v
    };
    let whole = read_all(c.disk.as_ref()).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(
        whole == want(0, size as usize),
        "{label}: the whole disk differs"
    );
    let mut r = Rng(0xDEAD_BEEF ^ size);
    for _ in 0..300 {
        let at = r.below(size) as usize;
        let max = if r.below(4) == 0 {
            3 * MIB as u64
        } else {
            9000
        };
        let n = (r.below(max) as usize + 1).min(size as usize - at);
        let mut b = vec![0u8; n];
        c.disk
            .read_exact_at(&mut b, at as u64)
            .unwrap_or_else(|e| panic!("{label}: read of {n} at {at}: {e}"));
        assert!(b == want(at, n), "{label}: {n} bytes at {at} differ");
    }
    let mut b = [0u8; 2];
    let e = c.disk.read_exact_at(&mut b, size - 1).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{label}");
}

/// One image of each kind `qemu-img` makes from the raw disk: (file, qemu format, our
/// format, `qemu-img convert` options).
const KINDS: &[(&str, &str, Format, &[&str])] = &[
    (
        "fixed.vhd",
        "vpc",
        Format::VhdFixed,
        &["-o", "subformat=fixed"],
    ),
    (
        "dynamic.vhd",
        "vpc",
        Format::VhdDynamic,
        &["-o", "subformat=dynamic"],
    ),
    ("dynamic.vhdx", "vhdx", Format::Vhdx, &[]),
    (
        "fixed.vhdx",
        "vhdx",
        Format::Vhdx,
        &["-o", "subformat=fixed"],
    ),
    (
        "small-blocks.vhdx",
        "vhdx",
        Format::Vhdx,
        &["-o", "block_size=1M,log_size=1M"],
    ),
    (
        "sparse.vmdk",
        "vmdk",
        Format::VmdkSparse,
        &["-o", "subformat=monolithicSparse"],
    ),
    (
        "flat.vmdk",
        "vmdk",
        Format::VmdkFlat,
        &["-o", "subformat=monolithicFlat"],
    ),
    (
        "split-flat.vmdk",
        "vmdk",
        Format::VmdkFlat,
        &["-o", "subformat=twoGbMaxExtentFlat"],
    ),
    (
        "split-sparse.vmdk",
        "vmdk",
        Format::VmdkSparse,
        &["-o", "subformat=twoGbMaxExtentSparse"],
    ),
    (
        "stream.vmdk",
        "vmdk",
        Format::VmdkSparse,
        &["-o", "subformat=streamOptimized"],
    ),
    ("v2.qcow2", "qcow2", Format::Qcow2, &["-o", "compat=0.10"]),
    (
        "v2-compressed.qcow2",
        "qcow2",
        Format::Qcow2,
        &["-c", "-o", "compat=0.10"],
    ),
    (
        "v3-compressed.qcow2",
        "qcow2",
        Format::Qcow2,
        &["-c", "-o", "compat=1.1,cluster_size=16k"],
    ),
    ("v3.qcow2", "qcow2", Format::Qcow2, &["-o", "compat=1.1"]),
    (
        "v3-small-clusters.qcow2",
        "qcow2",
        Format::Qcow2,
        &["-o", "compat=1.1,cluster_size=4096"],
    ),
    (
        "v3-extended-l2.qcow2",
        "qcow2",
        Format::Qcow2,
        &["-o", "compat=1.1,extended_l2=on,cluster_size=128k"],
    ),
];

/// The raw disk and every kind of image of it, made once per test binary.
struct Images {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    qemu: PathBuf,
    raw: Vec<u8>,
    raw_path: PathBuf,
}

fn images() -> Option<&'static Images> {
    static IMAGES: OnceLock<Option<Images>> = OnceLock::new();
    IMAGES
        .get_or_init(|| {
            let q = qemu_img()?;
            let d = util::tempdir();
            let dir = d.path().to_path_buf();
            let raw = raw_disk();
            let raw_path = dir.join("disk.raw");
            std::fs::write(&raw_path, &raw).unwrap();
            for (name, fmt, _, opts) in KINDS {
                let mut args = vec!["convert", "-f", "raw", "-O", fmt];
                args.extend_from_slice(opts);
                let out = dir.join(name);
                args.push(raw_path.to_str().unwrap());
                args.push(out.to_str().unwrap());
                qemu(&q, &args);
            }
            Some(Images {
                _dir: d,
                dir,
                qemu: q,
                raw,
                raw_path,
            })
        })
        .as_ref()
}

#[test]
fn every_format_reads_back_the_raw_disk_byte_for_byte() {
    let Some(im) = images() else { return };
    let c = container::open(&im.raw_path).unwrap();
    assert_eq!(c.format, Format::Raw);
    assert_same("raw", &c, &im.raw, im.raw.len() as u64);
    for (name, fmt, format, _) in KINDS {
        let p = im.dir.join(name);
        let c = container::open(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(c.format, *format, "{name}");
        assert_eq!(c.files[0], p);
        let size = qemu_size(&im.qemu, &p, fmt);
        // VHD rounds the size up to a CHS geometry, VMDK to whole sectors: never down.
        assert!(size >= im.raw.len() as u64, "{name}: qemu says {size}");
        assert_same(name, &c, &im.raw, size);
    }
}

#[test]
fn extent_files_are_listed_and_the_disk_is_their_concatenation() {
    let Some(im) = images() else { return };
    let c = container::open(&im.dir.join("flat.vmdk")).unwrap();
    assert_eq!(
        c.files,
        [im.dir.join("flat.vmdk"), im.dir.join("flat-flat.vmdk")]
    );
    // A descriptor of three extents: part of the flat file, zeros, the rest of it.
    let dir = util::tempdir();
    std::fs::copy(im.dir.join("flat-flat.vmdk"), dir.path().join("a.bin")).unwrap();
    let sectors = (im.raw.len() as u64).div_ceil(512);
    let text = format!(
        "# Disk DescriptorFile\nversion=1\nparentCID=ffffffff\ncreateType=\"twoGbMaxExtentFlat\"\n\nRW 100 FLAT \"a.bin\" 0\nRDONLY  8   ZERO\r\nRW {} FLAT \"./a.bin\" 100\n",
        sectors - 100
    );
    let desc = dir.path().join("three.vmdk");
    std::fs::write(&desc, text).unwrap();
    let c = container::open(&desc).unwrap();
    assert_eq!(c.format, Format::VmdkFlat);
    assert_eq!(c.files.len(), 3, "{:?}", c.files);
    let mut want = im.raw[..100 * 512].to_vec();
    want.extend([0u8; 8 * 512]);
    want.extend(&im.raw[100 * 512..]);
    want.resize(((sectors + 8) * 512) as usize, 0);
    assert_eq!(read_all(c.disk.as_ref()).unwrap(), want);
}

/// The message of an error opening (or else reading) `p`.
fn error_of(p: &Path) -> String {
    match container::open(p) {
        Err(e) => e.to_string(),
        Ok(c) => match read_all(c.disk.as_ref()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{} opened and read without an error", p.display()),
        },
    }
}

#[test]
fn a_backing_file_compression_and_encryption_are_refused_with_a_reason() {
    let Some(im) = images() else { return };
    let dir = util::tempdir();
    let d = dir.path();
    let base = d.join("base.raw");
    std::fs::write(&base, &im.raw).unwrap();
    let child = d.join("child.qcow2");
    qemu(
        &im.qemu,
        &[
            "create",
            "-f",
            "qcow2",
            "-b",
            base.to_str().unwrap(),
            "-F",
            "raw",
            child.to_str().unwrap(),
        ],
    );
    assert_eq!(
        error_of(&child),
        format!(
            "{}: the QCOW2 image has a backing file, {:?}: clusters it does not hold itself come from that image; tlsreg reads only standalone images (flatten it with `qemu-img convert -O qcow2` first)",
            child.display(),
            base.display().to_string()
        )
    );

    // Compressible data (random data is stored uncompressed even with -c), compressed
    // with zstd: deflate is read (see KINDS), zstd is not.
    let mut t = vec![0u8; 2 * MIB];
    text(&mut t);
    let plain = d.join("text.raw");
    std::fs::write(&plain, &t).unwrap();
    let packed = d.join("packed.qcow2");
    qemu(
        &im.qemu,
        &[
            "convert",
            "-c",
            "-f",
            "raw",
            "-O",
            "qcow2",
            "-o",
            "compression_type=zstd",
            plain.to_str().unwrap(),
            packed.to_str().unwrap(),
        ],
    );
    let c = container::open(&packed).unwrap();
    assert_eq!(c.format, Format::Qcow2);
    let mut b = [0u8; 16];
    let e = c.disk.read_exact_at(&mut b, 0x10005).unwrap_err();
    let m = e.to_string();
    assert!(
        m.starts_with(&format!(
            "{}: the QCOW2 cluster at disk offset 0x10000 is compressed with zstd (compression type 1); tlsreg inflates only deflate: convert the image (`qemu-img convert -O qcow2`) first",
            packed.display()
        )),
        "{m}"
    );
    assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);

    let secret = d.join("secret.qcow2");
    qemu(
        &im.qemu,
        &[
            "create",
            "-f",
            "qcow2",
            "--object",
            "secret,id=sec0,data=123456",
            "-o",
            "encrypt.format=luks,encrypt.key-secret=sec0",
            secret.to_str().unwrap(),
            "1M",
        ],
    );
    assert_eq!(
        error_of(&secret),
        format!(
            "{}: the QCOW2 image is encrypted (method 2); tlsreg does not read encrypted images",
            secret.display()
        )
    );
}

/// `image` copied to `dir` with `patch` applied to its bytes.
fn patched(image: &Path, dir: &Path, name: &str, patch: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut b = std::fs::read(image).unwrap();
    patch(&mut b);
    let p = dir.join(name);
    std::fs::write(&p, b).unwrap();
    p
}

#[test]
fn parents_and_unreplayed_logs_are_refused() {
    let Some(im) = images() else { return };
    let dir = util::tempdir();
    let d = dir.path();
    // qemu-img makes neither differencing VHDs nor differencing VHDXs ("Backing file not
    // supported for file format"), so the parents here are patched in.
    let vhd = patched(&im.dir.join("dynamic.vhd"), d, "child.vhd", |b| {
        let n = b.len();
        for at in [0, n - 512] {
            b[at + 60..at + 64].copy_from_slice(&4u32.to_be_bytes());
            b[at + 64..at + 68].fill(0);
            let sum = !b[at..at + 512]
                .iter()
                .fold(0u32, |s, &x| s.wrapping_add(x.into()));
            b[at + 64..at + 68].copy_from_slice(&sum.to_be_bytes());
        }
        // The parent's name in the dynamic header (UTF-16BE at 64).
        let h = u64::from_be_bytes(b[16..24].try_into().unwrap()) as usize;
        for (i, u) in "base.vhd".encode_utf16().enumerate() {
            b[h + 64 + 2 * i..h + 66 + 2 * i].copy_from_slice(&u.to_be_bytes());
        }
    });
    assert_eq!(
        error_of(&vhd),
        format!("{}: is a differencing VHD: it has a parent disk (\"base.vhd\"); tlsreg reads only standalone images (merge it into its parent, or convert it with `qemu-img convert -O vpc`)", vhd.display())
    );

    // The metadata items have no checksum: set "has parent" in the file parameters.
    let vhdx = patched(&im.dir.join("dynamic.vhdx"), d, "child.vhdx", |b| {
        let at = find_file_parameters(b);
        b[at + 4] |= 2;
    });
    assert_eq!(
        error_of(&vhdx),
        format!("{}: is a differencing VHDX: it has a parent disk; tlsreg reads only standalone images (merge it into its parent in Hyper-V, or convert it with `qemu-img convert -O vhdx`)", vhdx.display())
    );

    // A log GUID in both headers (checksums made again): the log must be replayed first.
    let logged = patched(&im.dir.join("dynamic.vhdx"), d, "logged.vhdx", |b| {
        for at in [64 * KIB, 128 * KIB] {
            b[at + 48..at + 64].copy_from_slice(&[0x11; 16]);
            let sum = tlsreg::image::container::vhdx::checksum(&b[at..at + 4096], 4);
            b[at + 4..at + 8].copy_from_slice(&sum.to_le_bytes());
        }
    });
    let m = error_of(&logged);
    assert!(
        m.starts_with(&format!(
            "{}: the VHDX log is not empty (the header at 0x",
            logged.display()
        )) && m.contains("names log 11111111-1111-1111-1111-111111111111)")
            && m.contains("must be replayed"),
        "{m}"
    );
    // Without the checksums made again, both headers are invalid.
    let broken = patched(&im.dir.join("dynamic.vhdx"), d, "broken.vhdx", |b| {
        b[64 * KIB + 48] = 1;
        b[128 * KIB + 48] = 1;
    });
    assert_eq!(
        error_of(&broken),
        format!("{}: offset 0x10000: neither VHDX header is valid: the one at 0x10000 fails its CRC-32C checksum; the one at 0x20000 fails its CRC-32C checksum", broken.display())
    );

    let vmdk = patched(&im.dir.join("sparse.vmdk"), d, "delta.vmdk", |b| {
        let at = b
            .windows(19)
            .position(|w| w == b"parentCID=ffffffff\n")
            .unwrap();
        b[at + 10..at + 18].copy_from_slice(b"0a1b2c3d");
    });
    assert_eq!(
        error_of(&vmdk),
        format!("{}: is a VMDK delta disk (its descriptor's parentCID is 0a1b2c3d): it has a parent disk; tlsreg reads only standalone images (consolidate the snapshots, or convert it with `qemu-img convert -O vmdk`)", vmdk.display())
    );
}

/// The file offset of a VHDX's file parameters item (found through the region and
/// metadata tables, as the reader does).
fn find_file_parameters(b: &[u8]) -> usize {
    let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let le64 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize;
    let rt = 192 * KIB;
    let meta_guid = [0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B];
    let meta = (0..le32(rt + 8))
        .map(|i| rt + 16 + 32 * i)
        .find(|&e| b[e..e + 8] == meta_guid)
        .map(|e| le64(e + 16))
        .unwrap();
    let params = [0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D];
    let count = u16::from_le_bytes([b[meta + 10], b[meta + 11]]) as usize;
    (0..count)
        .map(|i| meta + 32 + 32 * i)
        .find(|&e| b[e..e + 8] == params)
        .map(|e| meta + le32(e + 16))
        .unwrap()
}

#[test]
fn truncated_images_fail_or_read_right_never_wrong() {
    let Some(im) = images() else { return };
    let dir = util::tempdir();
    for (name, _, format, _) in KINDS {
        // The largest of the image's files is cut (a VMDK descriptor's extent), in a
        // folder of copies of all of them.
        let files = container::open(&im.dir.join(name)).unwrap().files;
        let target = files
            .iter()
            .max_by_key(|f| std::fs::metadata(f).unwrap().len())
            .unwrap();
        let copies = dir.path().join(name.replace('.', "-"));
        std::fs::create_dir_all(&copies).unwrap();
        for f in &files {
            std::fs::copy(f, copies.join(f.file_name().unwrap())).unwrap();
        }
        let full = std::fs::read(target).unwrap();
        let n = full.len();
        let mut cuts = vec![
            0,
            7,
            100,
            511,
            512,
            513,
            4096,
            64 * KIB + 3,
            200 * KIB,
            300 * KIB,
        ];
        cuts.extend([MIB + 5, n / 3, n / 2, n - 4096, n - 513, n - 512, n - 1]);
        for cut in cuts.into_iter().filter(|&c| c < n) {
            let cut_file = copies.join(target.file_name().unwrap());
            std::fs::write(&cut_file, &full[..cut]).unwrap();
            let p = copies.join(name);
            let c = match container::open(&p) {
                Err(e) => {
                    let m = e.to_string();
                    assert!(
                        m.contains(&cut_file.display().to_string()),
                        "{name} cut at {cut}: {m}"
                    );
                    continue;
                }
                Ok(c) => c,
            };
            if c.format != *format {
                // Without its footer a fixed VHD is a raw disk (which it then is), and so
                // is anything cut before its magic.
                assert_eq!(c.format, Format::Raw, "{name} cut at {cut}");
                assert!(
                    *format == Format::VhdFixed || cut < 512,
                    "{name} cut at {cut}"
                );
                continue;
            }
            match read_all(c.disk.as_ref()) {
                Err(e) => {
                    let m = e.to_string();
                    assert!(
                        m.contains(&cut_file.display().to_string()),
                        "{name} cut at {cut}: {m}"
                    );
                }
                Ok(bytes) => {
                    // Only the end was lost (a footer, unused space): the data is intact.
                    let mut want = im.raw.clone();
                    want.resize(bytes.len(), 0);
                    assert!(bytes == want, "{name} cut at {cut} reads wrong bytes");
                }
            }
        }
    }
}

#[test]
fn hostile_qcow2_headers_are_refused_before_any_allocation() {
    let Some(im) = images() else { return };
    let dir = util::tempdir();
    let d = dir.path();
    let v3 = im.dir.join("v3.qcow2");
    let size = std::fs::metadata(&v3).unwrap().len();
    // (file, offset, bytes written there, the error after the file name)
    let cases: Vec<(&str, usize, Vec<u8>, String)> = vec![
        (
            "l1-past-end.qcow2",
            40,
(1u64 << 40).to_be_bytes().to_vec(),
            format!("the QCOW2 L1 table at offset 0x10000000000 (8 bytes) reaches past the end of the file ({size} bytes); the image is truncated or damaged"),
        ),
        (
            "l1-huge.qcow2",
            36,
u32::MAX.to_be_bytes().to_vec(),
            format!("the QCOW2 L1 table at offset 0x30000 (34359738360 bytes) reaches past the end of the file ({size} bytes); the image is truncated or damaged"),
        ),
        (
            "l1-too-small.qcow2",
            24,
(1u64 << 40).to_be_bytes().to_vec(),
            "offset 0x24: the QCOW2 L1 table has 1 entries, but a disk of 1099511627776 bytes (1.0 TiB) in clusters of 65536 bytes (64.0 KiB) needs 2048".into(),
        ),
        (
            "huge.qcow2",
            24,
(1u64 << 60).to_be_bytes().to_vec(),
            "offset 0x18: the virtual disk size is 1152921504606846976 bytes (1024.0 PiB), more than the 70368744177664 bytes (64.0 TiB) tlsreg accepts; the header is damaged".into(),
        ),
        (
            "clusters.qcow2",
            20,
40u32.to_be_bytes().to_vec(),
            "offset 0x14: the QCOW2 cluster bits are 40; they must be 9 to 21 (512 bytes to 2 MiB clusters)".into(),
        ),
        (
            "features.qcow2",
            72,
(1u64 << 40).to_be_bytes().to_vec(),
            "the QCOW2 image uses incompatible features tlsreg does not know (bits 0x10000000000 of the feature field at offset 0x48)".into(),
        ),
        (
            "v1.qcow",
            4,
1u32.to_be_bytes().to_vec(),
            "is a QCOW image of version 1; tlsreg reads QCOW2 versions 2 and 3 (convert it with `qemu-img convert -O qcow2`)".into(),
        ),
    ];
    for (name, at, v, want) in cases {
        let p = patched(&v3, d, name, |b| b[at..at + v.len()].copy_from_slice(&v));
        assert_eq!(error_of(&p), format!("{}: {want}", p.display()), "{name}");
    }
    // An L2 entry pointing into the header (metadata) is read, not followed in a loop:
    // the disk then holds the header's bytes there, and reading it ends.
    let b = std::fs::read(&v3).unwrap();
    let l1 = u64::from_be_bytes(b[40..48].try_into().unwrap()) as usize;
    let l2 =
        (u64::from_be_bytes(b[l1..l1 + 8].try_into().unwrap()) & 0x00FF_FFFF_FFFF_FE00) as usize;
    let p = patched(&v3, d, "self.qcow2", |b| {
        b[l2..l2 + 8].copy_from_slice(&(l1 as u64).to_be_bytes());
        b[l2 + 8..l2 + 16].copy_from_slice(&0u64.to_be_bytes());
    });
    let c = container::open(&p).unwrap();
    let all = read_all(c.disk.as_ref()).unwrap();
    assert_eq!(all[..8], b[l1..l1 + 8]);
    assert_eq!(all[64 * KIB..128 * KIB], [0u8; 64 * KIB]);
}

#[test]
fn vmdk_extents_must_be_regular_files_beside_the_descriptor() {
    let dir = util::tempdir();
    let d = dir.path();
    let write = |name: &str, extent: &str| {
        let p = d.join(name);
        std::fs::write(
            &p,
            format!("# Disk DescriptorFile\nversion=1\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"{extent}\" 0\n"),
        )
        .unwrap();
        p
    };
    let missing = write("missing.vmdk", "missing-flat.vmdk");
    let m = error_of(&missing);
    assert!(
        m.starts_with(&format!(
            "cannot read {}: ",
            d.join("missing-flat.vmdk").display()
        )),
        "{m}"
    );
    let zero = write("zero.vmdk", "/dev/zero");
    assert_eq!(
        error_of(&zero),
        format!("{}: line 5 of the VMDK descriptor names the extent file \"/dev/zero\", which is not a plain name inside the descriptor's folder (absolute paths and `..` are refused: an image and its extents must sit in one folder)", zero.display())
    );
    let up = write("up.vmdk", "../x-flat.vmdk");
    assert!(error_of(&up)
        .contains("names the extent file \"../x-flat.vmdk\", which is not a plain name"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", d.join("dev-flat.vmdk")).unwrap();
        let dev = write("dev.vmdk", "dev-flat.vmdk");
        assert_eq!(
            error_of(&dev),
            format!(
                "cannot read {}: it is a character device, not a regular file",
                d.join("dev-flat.vmdk").display()
            )
        );
    }
    std::fs::write(d.join("short-flat.vmdk"), [1u8; 4096]).unwrap();
    let short = write("short.vmdk", "short-flat.vmdk");
    assert_eq!(
        error_of(&short),
        format!("{}: the flat VMDK extent data at offset 0x0 (1048576 bytes) reaches past the end of the file (4096 bytes); the image is truncated or damaged", d.join("short-flat.vmdk").display())
    );
    // Through open_source, with no folder, a descriptor cannot reach any file.
    let bytes = std::fs::read(&short).unwrap();
    let e = container::open_source(Path::new("mem.vmdk"), Arc::new(bytes), None).unwrap_err();
    assert!(
        e.to_string()
            .contains("but the descriptor was not read from a folder"),
        "{e}"
    );
}

#[test]
fn other_formats_are_recognised_and_refused() {
    let dir = util::tempdir();
    let vdi = dir.path().join("disk.vdi");
    let mut b = vec![0u8; 4096];
    b[..40].copy_from_slice(b"<<< Oracle VM VirtualBox Disk Image >>>\n");
    b[64..68].copy_from_slice(&[0x7f, 0x10, 0xda, 0xbe]);
    std::fs::write(&vdi, &b).unwrap();
    assert!(error_of(&vdi).contains("is a VirtualBox VDI image; tlsreg does not read that format"));
    let e = container::open(dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "cannot read {}: it is a directory, not a regular file",
            dir.path().display()
        )
    );
    // Tiny files are raw disks.
    for n in [0usize, 1, 511] {
        let p = dir.path().join(format!("tiny{n}"));
        std::fs::write(&p, vec![7u8; n]).unwrap();
        let c = container::open(&p).unwrap();
        assert_eq!((c.format, c.disk.size()), (Format::Raw, n as u64));
    }
}

/// Small images of every kind (a 1 MiB disk), made once, for the mutation tests.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let Some(q) = qemu_img() else {
            return Vec::new();
        };
        let dir = util::tempdir();
        let raw = dir.path().join("small.raw");
        let mut disk = vec![0u8; MIB - 1536];
        Rng(7).fill(&mut disk[..100 * KIB]);
        Rng(8).fill(&mut disk[600 * KIB..700 * KIB]);
        text(&mut disk[800 * KIB..900 * KIB]);
        std::fs::write(&raw, &disk).unwrap();
        let mut out = Vec::new();
        for (name, fmt, opts) in [
            ("s.vhd", "vpc", "subformat=dynamic"),
            ("s.vhdx", "vhdx", "block_size=1M,log_size=1M"),
            ("s.vmdk", "vmdk", "subformat=monolithicSparse"),
            ("s.qcow2", "qcow2", "compat=0.10,cluster_size=4096"),
            ("stream.vmdk", "vmdk", "subformat=streamOptimized"),
            (
                "s3.qcow2",
                "qcow2",
                "compat=1.1,extended_l2=on,cluster_size=16k",
            ),
        ] {
            let p = dir.path().join(name);
            qemu(
                &q,
                &[
                    "convert",
                    "-f",
                    "raw",
                    "-O",
                    fmt,
                    "-o",
                    opts,
                    raw.to_str().unwrap(),
                    p.to_str().unwrap(),
                ],
            );
            out.push((name.to_string(), std::fs::read(&p).unwrap()));
        }
        let p = dir.path().join("c.qcow2");
        let (r, o) = (raw.to_str().unwrap(), p.to_str().unwrap());
        qemu(
            &q,
            &[
                "convert",
                "-c",
                "-f",
                "raw",
                "-O",
                "qcow2",
                "-o",
                "cluster_size=4096",
                r,
                o,
            ],
        );
        out.push(("c.qcow2".to_string(), std::fs::read(&p).unwrap()));
        out
    })
}

/// What the fuzz target does with an input: open it from memory, then read a few ranges
/// and the start of the disk. Must end without a panic.
pub fn open_and_read(bytes: Vec<u8>) {
    let Ok(c) = container::open_source(Path::new("fuzz.img"), Arc::new(bytes), None) else {
        return;
    };
    let size = c.disk.size();
    let mut b = vec![0u8; 64 * 1024];
    for at in [
        0,
        size / 3,
        size / 2,
        size.saturating_sub(4096),
        size.saturating_sub(1),
    ] {
        let n = (size - at.min(size)).min(b.len() as u64) as usize;
        let _ = c.disk.read_exact_at(&mut b[..n], at);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// The bounded stand-in for `fuzz/fuzz_targets/container.rs`: mutated images of each
    /// format (header and table bytes hit most often) open and read without a panic.
    #[test]
    fn damaged_images_never_panic(seed in 0usize..7, edits in proptest::collection::vec((any::<u32>(), any::<u8>(), any::<bool>()), 1..12), cut in any::<u32>()) {
        let s = seeds();
        if s.is_empty() {
            return Ok(());
        }
        let mut b = s[seed % s.len()].1.clone();
        for (at, v, near_start) in edits {
            // Half the edits within the first 320 KiB, where every format keeps its headers.
            let n = if near_start { b.len().min(320 * KIB) } else { b.len() };
            let i = at as usize % n;
            b[i] = v;
        }
        if cut % 4 == 0 {
            let keep = cut as usize % b.len();
            b.truncate(keep);
        }
        open_and_read(b);
    }
}

/// Every container input the fuzzer found (fuzz/regressions/container) stays fixed.
#[test]
fn container_fuzz_regressions_stay_fixed() {
    let Ok(rd) = std::fs::read_dir(util::root().join("fuzz/regressions/container")) else {
        return;
    };
    for f in rd.flatten() {
        let started = std::time::Instant::now();
        open_and_read(std::fs::read(f.path()).unwrap());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{}",
            f.path().display()
        );
    }
}

/// A source that counts the bytes read from it.
struct Counting {
    bytes: Vec<u8>,
    read: std::sync::atomic::AtomicU64,
}

impl ReadAt for Counting {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.read
            .fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        self.bytes.read_exact_at(buf, offset)
    }
}

#[test]
fn reads_touch_only_the_metadata_and_data_they_need() {
    use std::sync::atomic::Ordering::Relaxed;
    let Some(im) = images() else { return };
    for (name, _, _, _) in KINDS
        .iter()
        .filter(|k| !k.0.contains("flat") && !k.0.starts_with("split"))
    {
        let compressed = name.contains("compressed") || name.starts_with("stream");
        let src = Arc::new(Counting {
            bytes: std::fs::read(im.dir.join(name)).unwrap(),
            read: 0.into(),
        });
        let c = container::open_source(Path::new(name), src.clone(), None).unwrap();
        let opened = src.read.swap(0, Relaxed);
        assert!(opened <= 320 * 1024, "{name}: {opened} bytes read to open");
        let mut b = vec![0u8; 4096];
        // Compressed clusters and grains hold the text (random data is stored as it is,
        // except in a stream-optimized VMDK, where every grain is compressed).
        let at = if compressed { TEXT + 8192 } else { MIB + 8192 };
        c.disk.read_exact_at(&mut b, at as u64).unwrap();
        assert_eq!(b, im.raw[at..at + 4096], "{name}");
        let read = src.read.swap(0, Relaxed);
        // The data (a whole compressed cluster or grain, with its marker), and at most
        // three pages of tables (BAT or L1, L2 or grain table, sector bitmap).
        let bound = if compressed {
            64 * 1024 + 5 * 4096
        } else {
            4 * 4096
        };
        assert!(read <= bound, "{name}: {read} bytes read for 4 KiB");
        // Again: the tables (and an inflated cluster) come from the caches.
        c.disk.read_exact_at(&mut b, at as u64 + 4096).unwrap();
        assert_eq!(b, im.raw[at + 4096..at + 8192], "{name}");
        let again = src.read.swap(0, Relaxed);
        assert_eq!(again, if compressed { 0 } else { 4096 }, "{name}");
    }
}

/// A stream-optimized VMDK as VMware writes it in one pass: the header's grain directory
/// offset is all ones, and the footer (a header copy 1024 bytes before the end) has it.
#[test]
fn a_stream_optimized_vmdk_may_name_its_grain_directory_in_the_footer() {
    let Some(im) = images() else { return };
    let dir = util::tempdir();
    let p = patched(
        &im.dir.join("stream.vmdk"),
        dir.path(),
        "footer.vmdk",
        |b| {
            let mut footer = b[..512].to_vec();
            footer.extend([0u8; 512]);
            b.extend(footer);
            b[56..64].fill(0xFF);
        },
    );
    let c = container::open(&p).unwrap();
    assert_same("footer.vmdk", &c, &im.raw, c.disk.size());
    // Without the footer.
    let p = patched(
        &im.dir.join("stream.vmdk"),
        dir.path(),
        "nofooter.vmdk",
        |b| {
            b[56..64].fill(0xFF);
        },
    );
    let m = error_of(&p);
    assert!(m.contains("the VMDK header says its grain directory is given in the footer, but there is no footer (\"KDMV\") 1024 bytes before the end of the file"), "{m}");
}

#[test]
fn vhd_sector_bitmaps_and_vhdx_block_states_are_honoured() {
    let Some(im) = images() else { return };
    let dir = util::tempdir();
    let d = dir.path();
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let be64 = |b: &[u8], at: usize| u64::from_be_bytes(b[at..at + 8].try_into().unwrap()) as usize;
    // Clear the bit of sector 3 of the first block (most significant bit first): it then
    // reads as zeros, its neighbours as data.
    let vhd = patched(&im.dir.join("dynamic.vhd"), d, "bitmap.vhd", |b| {
        let bat = be64(b, be64(b, 16) + 16);
        let block = be32(b, bat) * 512;
        assert_eq!(b[block], 0xFF);
        b[block] = 0b1110_1111;
    });
    let c = container::open(&vhd).unwrap();
    let all = read_all(c.disk.as_ref()).unwrap();
    let mut want = im.raw.clone();
    want[3 * 512..4 * 512].fill(0);
    assert!(all[..want.len()] == want[..]);

    // VHDX: the first payload block's BAT entry as "zero" (2), then as "partially present"
    // (7), then as an undefined state (4).
    let le64 = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let bat_of = |b: &[u8]| {
        let rt = 192 * KIB;
        (0..4)
            .map(|i| rt + 16 + 32 * i)
            .find(|&e| b[e..e + 4] == [0x66, 0x77, 0xC2, 0x2D])
            .map(|e| le64(b, e + 16) as usize)
            .unwrap()
    };
    let with_state = |state: u64, name: &str| {
        patched(&im.dir.join("small-blocks.vhdx"), d, name, |b| {
            let bat = bat_of(b);
            let e = le64(b, bat);
            assert_eq!(e & 7, 6);
            b[bat..bat + 8].copy_from_slice(&((e & !7) | state).to_le_bytes());
        })
    };
    let c = container::open(&with_state(2, "zero.vhdx")).unwrap();
    let all = read_all(c.disk.as_ref()).unwrap();
    let mut want = im.raw.clone();
    want[..MIB].fill(0);
    assert!(all == want);
    let p = with_state(7, "partial.vhdx");
    assert!(error_of(&p).starts_with(&format!(
        "{}: the VHDX block at disk offset 0x0 is partially present (its BAT entry at 0x",
        p.display()
    )));
    let p = with_state(4, "undefined.vhdx");
    assert!(
        error_of(&p).ends_with(": the VHDX BAT entry of disk offset 0x0 has the undefined state 4")
    );
}
