//! `audit --image`, `export --image` and `diff` of disk images, end to end: disks built by
//! third-party tools only (`tests/fixtures/image/mkdisk.sh`: sfdisk, mkntfs, ntfs-3g) and
//! converted by `qemu-img` into every container format, then read by the `tlsreg` binary and
//! compared with what the same commands give for the hive files that went in.

use crate::util::{self, run, stderr, stdout, tlsreg};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const CONFIG: &str = "Windows/System32/config";

/// The hive files placed in the images.
fn hives() -> (PathBuf, PathBuf) {
    let f = util::root().join("tests/fixtures/audit");
    (f.join("ccs2-system.hive"), f.join("ccs2-software.hive"))
}

struct Built {
    /// Holds the disks for the whole run.
    _dir: tempfile::TempDir,
    /// (table, raw disk), or `None` after a SKIP.
    disks: Option<Vec<(&'static str, PathBuf)>>,
}

/// Runs mkdisk.sh; `None` after a SKIP (a tool is missing).
fn mkdisk(out: &Path, args: &[&str]) -> Option<()> {
    let script = util::root().join("tests/fixtures/image/mkdisk.sh");
    let o = util::run_timeout(
        std::process::Command::new("bash")
            .arg(&script)
            .arg(out)
            .args(args),
        180,
    );
    match o.status.code() {
        Some(0) => Some(()),
        Some(4) => {
            util::skip(&format!("mkdisk.sh: {}", stderr(&o).trim()));
            None
        }
        code => panic!(
            "mkdisk.sh {args:?} failed with {code:?}:\n{}{}",
            stdout(&o),
            stderr(&o)
        ),
    }
}

/// One disk per partition-table kind, holding the ccs2 pair in `Windows\System32\config`
/// (with SYSTEM's name in another case on the bare volume), built once per test run.
fn disks() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = util::tempdir();
        let (sys, sw) = hives();
        let tree = |name: &str, system_name: &str| -> String {
            let t = dir.path().join("trees").join(name);
            let config = t.join(CONFIG);
            std::fs::create_dir_all(&config).unwrap();
            std::fs::copy(&sys, config.join(system_name)).unwrap();
            std::fs::copy(&sw, config.join("SOFTWARE")).unwrap();
            t.display().to_string()
        };
        let std_tree = tree("standard", "SYSTEM");
        let odd_tree = tree("odd-case", "system");
        let layouts: [(&'static str, Vec<String>); 4] = [
            (
                "gpt",
                vec![
                    "gpt".into(),
                    "64".into(),
                    "efi:8:fat".into(),
                    "msr:8:raw".into(),
                    format!("basic:40:ntfs:{std_tree}"),
                ],
            ),
            (
                "mbr",
                vec![
                    "mbr".into(),
                    "64".into(),
                    "07:8:ntfs".into(),
                    format!("07:48:ntfs:{std_tree}"),
                ],
            ),
            (
                "mbr-extended",
                vec![
                    "mbr-extended".into(),
                    "64".into(),
                    "07:8:ntfs".into(),
                    format!("07:48:ntfs:{std_tree}"),
                ],
            ),
            (
                "none",
                vec!["none".into(), "40".into(), format!("x:40:ntfs:{odd_tree}")],
            ),
        ];
        let mut out = Vec::new();
        for (table, args) in layouts {
            let p = dir.path().join(format!("{table}.img"));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if mkdisk(&p, &args).is_none() {
                return Built {
                    _dir: dir,
                    disks: None,
                };
            }
            out.push((table, p));
        }
        Built {
            _dir: dir,
            disks: Some(out),
        }
    })
}

/// `qemu-img convert` of `raw` into each container format (`raw` itself first), or `None`
/// after a SKIP.
fn containers(raw: &Path) -> Option<Vec<(&'static str, PathBuf)>> {
    let qemu = util::which("qemu-img");
    if qemu.is_none() {
        util::skip("qemu-img is not installed (apt: qemu-utils)");
        return None;
    }
    let formats: [(&str, &[&str]); 7] = [
        (
            "vhd-fixed",
            &["-O", "vpc", "-o", "subformat=fixed,force_size=on"],
        ),
        (
            "vhd-dynamic",
            &["-O", "vpc", "-o", "subformat=dynamic,force_size=on"],
        ),
        ("vhdx", &["-O", "vhdx"]),
        (
            "vmdk-sparse",
            &["-O", "vmdk", "-o", "subformat=monolithicSparse"],
        ),
        (
            "vmdk-flat",
            &["-O", "vmdk", "-o", "subformat=monolithicFlat"],
        ),
        ("qcow2-v2", &["-O", "qcow2", "-o", "compat=0.10"]),
        ("qcow2-v3", &["-O", "qcow2", "-o", "compat=1.1"]),
    ];
    // Tests share the converted files: one converts while the others wait, so none reads
    // (or converts over) a file another is still writing.
    static CONVERTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = CONVERTING.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = vec![("raw", raw.to_path_buf())];
    let stem = raw.file_stem().unwrap().to_string_lossy().into_owned();
    for (name, args) in formats {
        let p = raw.with_file_name(format!("{stem}.{name}"));
        if !p.exists() {
            let o = run(std::process::Command::new("qemu-img")
                .arg("convert")
                .args(args)
                .arg(raw)
                .arg(&p));
            assert!(o.status.success(), "qemu-img {name}: {}", stderr(&o));
        }
        out.push((name, p));
    }
    Some(out)
}

/// The audit JSON without what names the source: the image and the hive paths.
fn comparable(json: &[u8]) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(json).expect("a JSON report");
    let mut v = doc["images"][0]["report"].clone();
    let o = v.as_object_mut().unwrap();
    o.remove("image");
    for h in ["system", "software"] {
        if let Some(hive) = o.get_mut(h).and_then(|h| h.as_object_mut()) {
            hive.remove("path");
        }
    }
    v
}

/// For every container x partition table: `audit --image` finds what `audit` of the hive
/// files finds, `export --image` writes the bytes `export` of the file writes, `diff` of the
/// image and the files finds nothing, and the report names the image, the partition and the
/// paths used.
#[test]
fn every_container_and_table_audits_like_the_hive_files() {
    let Some(disks) = &disks().disks else { return };
    let (sys, sw) = hives();
    for profile in ["enable-tls12", "best-practices"] {
        let files = run(tlsreg()
            .args(["audit", "-p", profile, "--format", "json", "--system"])
            .arg(&sys)
            .arg("--software")
            .arg(&sw));
        let want = comparable(&files.stdout);
        for (table, raw) in disks {
            let table = *table;
            let Some(images) = containers(raw) else {
                return;
            };
            for (format, img) in images {
                let o = run(tlsreg()
                    .args(["audit", "-p", profile, "--format", "json", "--image"])
                    .arg(&img));
                assert_eq!(
                    o.status.code(),
                    files.status.code(),
                    "{table}/{format}: {}",
                    stderr(&o)
                );
                assert_eq!(
                    comparable(&o.stdout),
                    want,
                    "{table}/{format}: the findings differ"
                );
                if profile != "enable-tls12" {
                    continue;
                }
                let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let j = &doc["images"][0]["report"];
                let image = &j["image"];
                assert_eq!(image["path"], img.display().to_string(), "{table}/{format}");
                let part = &image["partition"];
                match table {
                    "none" => assert!(part.is_null()),
                    "gpt" => assert_eq!(
                        (part["number"].as_u64(), part["type"].as_str()),
                        (Some(3), Some("Microsoft basic data"))
                    ),
                    "mbr" => assert_eq!(part["number"].as_u64(), Some(2)),
                    _ => assert_eq!(part["number"].as_u64(), Some(5), "a logical partition"),
                }
                let sys_path = if table == "none" {
                    r"Windows\System32\config\system"
                } else {
                    r"Windows\System32\config\SYSTEM"
                };
                assert_eq!(image["system_path"], sys_path, "{table}/{format}");
                assert!(
                    j["system"]["path"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!(": {sys_path}")),
                    "{table}/{format}: {}",
                    j["system"]["path"]
                );
                // export --image equals the export of the hive file.
                let a = run(tlsreg()
                    .args(["export", "--system", "-o", "-", "--image"])
                    .arg(&img));
                let b = run(tlsreg().args(["export", "-o", "-", "--system"]).arg(&sys));
                assert!(a.status.success(), "{table}/{format}: {}", stderr(&a));
                assert!(a.stdout == b.stdout, "{table}/{format}: export differs");
                // diff of the image and the hive files: nothing.
                let d = run(tlsreg().arg("diff").arg(&img).arg(&sys));
                assert_eq!(d.status.code(), Some(0), "{table}/{format}: {}", stdout(&d));
            }
        }
    }
}

/// A dirty hive inside an image is replayed from the logs beside it, as for files: the
/// export equals the export of the same hive file with its logs beside it.
#[test]
fn a_dirty_hive_in_an_image_is_replayed_from_its_logs() {
    let data = util::shared_hives().join("regipy/regipy_tests/data");
    let primary = data.join("SYSTEM_B");
    if !primary.exists() {
        util::skip("../shared/testdata/hives is not there");
        return;
    }
    let d = util::tempdir();
    // The file side: the hive and its logs under the names Windows gives them.
    let files = d.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    for (from, to) in [
        ("SYSTEM_B", "SYSTEM"),
        ("SYSTEM_B.LOG1", "SYSTEM.LOG1"),
        ("SYSTEM_B.LOG2", "SYSTEM.LOG2"),
    ] {
        std::fs::copy(data.join(from), files.join(to)).unwrap();
    }
    let tree = d.path().join("tree");
    std::fs::create_dir_all(tree.join(CONFIG)).unwrap();
    for n in ["SYSTEM", "SYSTEM.LOG1", "SYSTEM.LOG2"] {
        std::fs::copy(files.join(n), tree.join(CONFIG).join(n)).unwrap();
    }
    let raw = d.path().join("dirty.img");
    let part = format!("basic:60:ntfs:{}", tree.display());
    if mkdisk(&raw, &["gpt", "64", &part]).is_none() {
        return;
    }
    let Some(images) = containers(&raw) else {
        return;
    };
    let want = run(tlsreg()
        .args(["export", "-o", "-", "--system"])
        .arg(files.join("SYSTEM")));
    assert!(want.status.success());
    assert!(
        stderr(&want).contains("dirty; recovered in memory from"),
        "{}",
        stderr(&want)
    );
    for (format, img) in images
        .iter()
        .filter(|(f, _)| ["raw", "qcow2-v3", "vhdx"].contains(f))
    {
        let got = run(tlsreg()
            .args(["export", "--system", "-o", "-", "--image"])
            .arg(img));
        assert!(got.status.success(), "{format}: {}", stderr(&got));
        assert!(
            stderr(&got).contains("dirty; recovered in memory from")
                && stderr(&got).contains(r"SYSTEM.LOG1"),
            "{format}: {}",
            stderr(&got)
        );
        assert!(
            got.stdout == want.stdout,
            "{format}: the replayed export differs"
        );
    }
}

/// `--roots-file` lines that name files are images; several installations are one batch
/// entry each, named by partition; `--partition` picks one; a partition without Windows is
/// an error that says where Windows is.
#[test]
fn images_in_a_roots_file_and_partitions() {
    let Some(disks) = &disks().disks else { return };
    let d = util::tempdir();
    let (sys, sw) = hives();
    // Two installations on one disk.
    let tree = d.path().join("tree");
    std::fs::create_dir_all(tree.join(CONFIG)).unwrap();
    std::fs::copy(&sys, tree.join(CONFIG).join("SYSTEM")).unwrap();
    std::fs::copy(&sw, tree.join(CONFIG).join("SOFTWARE")).unwrap();
    let two = d.path().join("two.img");
    let p = format!("basic:24:ntfs:{}", tree.display());
    if mkdisk(&two, &["gpt", "64", &p, &p]).is_none() {
        return;
    }
    let gpt = &disks.iter().find(|(t, _)| *t == "gpt").unwrap().1;
    let list = d.path().join("images.txt");
    util::write(
        &list,
        &format!("# images\n{}\n{}\n", gpt.display(), two.display()),
    );
    let o = run(tlsreg()
        .args(["audit", "-p", "enable-tls12", "--roots-file"])
        .arg(&list));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("result "))
        .skip(1)
        .collect();
    assert_eq!(table.len(), 3, "{out}");
    assert!(table[0].ends_with(&gpt.display().to_string()), "{out}");
    assert!(
        table[1].ends_with(&format!("{} (partition 1)", two.display())),
        "{out}"
    );
    assert!(
        table[2].ends_with(&format!("{} (partition 2)", two.display())),
        "{out}"
    );
    // The partitions set aside are said in the report.
    assert!(
        stdout(&o).contains("  NOTE      ") && stdout(&o).contains("(EFI system"),
        "{}",
        stdout(&o)
    );
    let o = run(tlsreg()
        .args(["audit", "-p", "enable-tls12", "--partition", "2", "--image"])
        .arg(&two));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains(", partition 2 (Microsoft basic data"),
        "{}",
        stdout(&o)
    );
    let o = run(tlsreg()
        .args(["audit", "-p", "enable-tls12", "--partition", "3", "--image"])
        .arg(&two));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("partition 3 holds no Windows installation; Windows is on partition 1, 2"),
        "{}",
        stderr(&o)
    );
    // export and diff need one installation.
    let o = run(tlsreg().args(["export", "--system", "--image"]).arg(&two));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Windows is on partitions 1, 2; pick one with --partition N"),
        "{}",
        stderr(&o)
    );
    let o = run(tlsreg().arg("diff").arg(&two).arg(&sys));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "Windows is on partitions 1, 2; pick one with --partition-a N or --partition-b N"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(tlsreg()
        .args(["diff", "--partition-a", "2"])
        .arg(&two)
        .arg(gpt));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

/// Images tlsreg cannot read give exit 2 and a sentence naming the image: BitLocker,
/// no Windows, a truncated image, a file that is no image; the image is never written.
#[test]
fn unreadable_images_are_errors_that_say_why() {
    let Some(disks) = &disks().disks else { return };
    let d = util::tempdir();
    let fve = d.path().join("fve.img");
    if mkdisk(&fve, &["gpt", "32", "basic:16:fve"]).is_none() {
        return;
    }
    let audit = |img: &Path| {
        run(tlsreg()
            .args(["audit", "-p", "enable-tls12", "--image"])
            .arg(img))
    };
    let o = audit(&fve);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("BitLocker"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&fve.display().to_string()),
        "{}",
        stderr(&o)
    );
    // Truncated: a QCOW2 cut in half.
    let gpt = &disks.iter().find(|(t, _)| *t == "gpt").unwrap().1;
    let Some(images) = containers(gpt) else {
        return;
    };
    let qcow = &images.iter().find(|(f, _)| *f == "qcow2-v3").unwrap().1;
    let bytes = std::fs::read(qcow).unwrap();
    let cut = d.path().join("cut.qcow2");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = audit(&cut);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains(&cut.display().to_string()),
        "{}",
        stderr(&o)
    );
    // Not an image at all.
    let junk = d.path().join("junk.bin");
    std::fs::write(&junk, vec![0x5Au8; 1 << 20]).unwrap();
    let o = audit(&junk);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&junk.display().to_string()),
        "{}",
        stderr(&o)
    );
    // The images read are unchanged (read-only).
    let before = std::fs::read(gpt).unwrap();
    let o = audit(gpt);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read(gpt).unwrap() == before);
}

/// `export --image ... -o` never writes over the image it reads, nor over a VMDK extent
/// file the image's descriptor names (nor through a symlink to one): exit 2, nothing lost.
#[test]
fn export_never_writes_over_the_image_it_reads() {
    let Some(disks) = &disks().disks else { return };
    let gpt = &disks.iter().find(|(t, _)| *t == "gpt").unwrap().1;
    let Some(images) = containers(gpt) else {
        return;
    };
    let d = util::tempdir();
    for (format, src) in images
        .iter()
        .filter(|(f, _)| ["qcow2-v3", "vmdk-flat"].contains(f))
    {
        // A copy of the image (and of a flat VMDK's extent) to aim at.
        let img = d.path().join(src.file_name().unwrap());
        std::fs::copy(src, &img).unwrap();
        let mut targets = vec![img.clone()];
        if *format == "vmdk-flat" {
            // qemu-img names the extent after the descriptor: gpt.vmdk-flat, gpt-flat.vmdk-flat.
            let extent = src.with_file_name(format!(
                "{}-flat.vmdk-flat",
                src.file_stem().unwrap().to_string_lossy()
            ));
            let copy = d.path().join(extent.file_name().unwrap());
            std::fs::copy(&extent, &copy).unwrap();
            targets.push(copy);
        }
        let link = d.path().join(format!("{format}.link"));
        std::os::unix::fs::symlink(&img, &link).unwrap();
        targets.push(link);
        let before: Vec<Vec<u8>> = targets.iter().map(|t| std::fs::read(t).unwrap()).collect();
        for t in &targets {
            let o = run(tlsreg()
                .args(["export", "--system", "--image"])
                .arg(&img)
                .arg("-o")
                .arg(t));
            assert_eq!(o.status.code(), Some(2), "{format} -o {}", t.display());
            assert!(
                stderr(&o).contains("it is one of the inputs"),
                "{}",
                stderr(&o)
            );
        }
        let after: Vec<Vec<u8>> = targets.iter().map(|t| std::fs::read(t).unwrap()).collect();
        assert!(before == after, "{format}: an input changed");
    }
}
