//! Snapshots of every built-in profile's outputs in `snapshots/` (for review as diffs), and
//! byte-level checks of what text snapshots hide: BOM, UTF-16LE, CRLF only, final CRLF.

use crate::util;
use tlsreg::compile::{self, Flavor, Options};
use tlsreg::profile::{self, ProfileRef};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

fn load(name: &str) -> profile::Profile {
    profile::load(&ProfileRef::Builtin(name.to_string()))
        .expect("built-in profiles load")
        .profile
}

/// Decodes a regedit file for the text snapshot (the byte tests below check the encoding).
fn utf16_text(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

/// A `Registry.pol` for the text snapshot, one entry a line: `[KEY] "NAME" = TYPE (SIZE
/// bytes) DATA`, the data as text, a number or hex (the byte layout itself is checked by
/// `tests/pol.rs` against Samba's parser and the format's grammar).
fn pol_text(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..8], b"PReg\x01\x00\x00\x00");
    let mut out = String::from("PReg version 1\n");
    let mut i = 8;
    let unit = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let dword = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let string = |i: &mut usize| {
        let mut u = Vec::new();
        while unit(*i) != 0 {
            u.push(unit(*i));
            *i += 2;
        }
        *i += 2;
        String::from_utf16(&u).unwrap()
    };
    while i < bytes.len() {
        assert_eq!(unit(i), u16::from(b'['));
        i += 2;
        let key = string(&mut i);
        i += 2;
        let name = string(&mut i);
        i += 2;
        let kind = dword(i);
        i += 6;
        let size = dword(i) as usize;
        i += 6;
        let data = &bytes[i..i + size];
        i += size + 2;
        let units: Vec<u16> = data
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = String::from_utf16_lossy(&units);
        let shown = match kind {
            1 | 2 => format!("{:?}", text.strip_suffix('\0').unwrap_or(&text)),
            7 => format!(
                "{:?}",
                text.trim_end_matches('\0').split('\0').collect::<Vec<_>>()
            ),
            4 => format!("0x{:08x}", dword(i - size - 2)),
            _ => tlsreg::value::hex(data),
        };
        out.push_str(&format!(
            "[{key}] {name:?} = {} ({size} bytes) {shown}\n",
            tlsreg::value::type_name(kind)
        ));
    }
    out
}

/// Every file `compile --format all,pol,intune,ansible,gpp` writes for a built-in, and with
/// `--revert`: the `.reg` and `.pol` of each build family, the one script, the Intune pair,
/// the playbook and the one Group Policy Preferences file.
fn every_output(name: &str) -> Vec<compile::Output> {
    let formats = compile::Formats {
        pol: true,
        intune: true,
        ansible: true,
        gpp: true,
        ..compile::Formats::ALL
    };
    [false, true]
        .into_iter()
        .flat_map(|revert| {
            let opts = Options {
                revert,
                ..Options::default()
            };
            compile::outputs(name, &load(name), opts, formats)
                .unwrap()
                .outputs
        })
        .collect()
}

/// Snapshots of every output of every built-in.
#[test]
fn builtin_outputs() {
    settings().bind(|| {
        for name in util::builtins() {
            let p = load(name);
            insta::assert_snapshot!(format!("{name}.show.yaml"), profile::show::to_yaml(&p));
            for out in every_output(name) {
                let text = if out.file_name.ends_with(".reg") {
                    utf16_text(&out.bytes)
                } else if out.file_name.ends_with(".pol") {
                    pol_text(&out.bytes)
                } else if out.file_name.ends_with(".gpp.xml") {
                    // UTF-8 without a BOM, CRLF only (the XML itself is checked by
                    // tests/gpp.rs with Python's parser).
                    let text = String::from_utf8(out.bytes.clone()).expect("UTF-8");
                    assert!(text.starts_with("<?xml "), "{}: no BOM", out.file_name);
                    assert!(
                        !text.replace("\r\n", "").contains(['\r', '\n']),
                        "{}: a bare CR or LF",
                        out.file_name
                    );
                    text
                } else if out.file_name.ends_with(".detect.ps1")
                    || out.file_name.ends_with(".remediate.ps1")
                    || out.file_name.ends_with(".playbook.yml")
                {
                    assert!(out.bytes.is_ascii(), "{}: ASCII, no BOM", out.file_name);
                    String::from_utf8(out.bytes.clone()).unwrap()
                } else {
                    std::str::from_utf8(out.bytes.strip_prefix(b"\xEF\xBB\xBF").expect("BOM"))
                        .unwrap()
                        .to_string()
                };
                insta::assert_snapshot!(out.file_name.clone(), text);
            }
        }
    });
}

/// No snapshot is left over from a file `compile` no longer writes.
#[test]
fn every_snapshot_is_an_output() {
    let mut want: Vec<String> = Vec::new();
    for name in util::builtins() {
        want.push(format!("{name}.show.yaml.snap"));
        for o in every_output(name) {
            want.push(format!("{}.snap", o.file_name));
        }
    }
    want.sort();
    let mut have: Vec<String> = std::fs::read_dir(util::root().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap"))
        .collect();
    have.sort();
    assert_eq!(have, want, "snapshots/ holds other files than the outputs");
}

#[test]
fn builtin_profiles_load_without_warnings() {
    for name in util::builtins() {
        let l = profile::load(&ProfileRef::Builtin(name.to_string())).unwrap();
        // Notes (what compile does per build) are not warnings.
        assert!(
            l.warnings
                .0
                .iter()
                .all(|d| d.severity() == tlsreg::diag::Severity::Note),
            "{name}:\n{}",
            l.warnings.render(false)
        );
    }
}

#[test]
fn every_profile_file_is_built_in_and_every_built_in_has_a_file() {
    let mut files: Vec<String> = std::fs::read_dir(util::root().join("profiles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| n.trim_end_matches(".yaml").to_string())
        .collect();
    files.sort();
    let mut names: Vec<String> = util::builtins().iter().map(|s| s.to_string()).collect();
    names.sort();
    assert_eq!(files, names);
    for name in util::builtins() {
        let on_disk =
            std::fs::read_to_string(util::root().join("profiles").join(format!("{name}.yaml")))
                .unwrap();
        assert_eq!(
            Some(on_disk.as_str()),
            tlsreg::builtin::get(name),
            "{name} embedded copy is stale"
        );
    }
}

/// The regedit byte format, checked on raw bytes.
fn assert_regedit_bytes(what: &str, bytes: &[u8]) {
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "{what}: BOM");
    assert_eq!(bytes.len() % 2, 0, "{what}: whole UTF-16 units");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("valid UTF-16LE");
    assert!(
        text.starts_with("Windows Registry Editor Version 5.00\r\n\r\n["),
        "{what}: header then a blank line"
    );
    assert!(
        text.ends_with("\r\n\r\n"),
        "{what}: last block ends with CRLF and a final blank line"
    );
    for (i, c) in text.char_indices() {
        match c {
            '\r' => assert_eq!(
                text[i + 1..].chars().next(),
                Some('\n'),
                "{what}: CR without LF at {i}"
            ),
            '\n' => assert_eq!(&text[i - 1..i], "\r", "{what}: LF without CR at {i}"),
            _ => {}
        }
    }
    // Blank lines only separate blocks: each is followed by a key line.
    let lines: Vec<&str> = text.split("\r\n").collect();
    for w in lines.windows(2).take(lines.len().saturating_sub(3)) {
        if w[0].is_empty() {
            assert!(w[1].starts_with('['), "{what}: a blank line inside a block");
        }
    }
    // Hex continuation lines as regedit writes them: at most 80 columns.
    assert!(
        lines
            .iter()
            .all(|l| l.chars().count() <= 80 || !l.contains("hex")),
        "{what}: a hex line longer than regedit's"
    );
}

#[test]
fn builtin_reg_files_are_regedit_bytes() {
    for name in util::builtins() {
        for revert in [false, true] {
            let opts = Options {
                revert,
                ..Options::default()
            };
            for (out, _) in util::builtin_reg_files(name, opts) {
                assert_regedit_bytes(&out.file_name, &out.bytes);
            }
        }
    }
}

#[test]
fn long_binary_wraps_like_regedit_bytes() {
    let src =
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\n    values:\n      Blob: { type: binary, data: [";
    let src = format!(
        "{src}{}] }}\n",
        (0..100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let l = profile::load_with("p.yaml", &src, None, "p").unwrap();
    let out = compile::reg_outputs("p", &l.profile, Options::default())
        .unwrap()
        .remove(0);
    assert_regedit_bytes("p.reg", &out.bytes);
    let text = utf16_text(&out.bytes);
    let expected_first = format!(
        "\"Blob\"=hex:{},\\",
        (0..22)
            .map(|i| format!("{i:02x}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(
        text.contains(&format!("\r\n{expected_first}\r\n  16,17,")),
        "{text}"
    );
}

#[test]
fn hivex_flavour_is_utf8_with_lf() {
    let out = compile::reg_outputs(
        "strict",
        &load("strict"),
        Options {
            flavor: Flavor::Hivex,
            control_set: Some(1),
            revert: false,
            target_build: None,
        },
    )
    .unwrap();
    for o in out {
        assert!(!o.bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
        let text = String::from_utf8(o.bytes).expect("UTF-8");
        assert!(text.starts_with("Windows Registry Editor Version 5.00\n\n["));
        assert!(!text.contains('\r'));
        assert!(!text.contains("CurrentControlSet"));
    }
}

#[test]
fn output_is_identical_run_to_run() {
    for name in util::builtins() {
        let formats = compile::Formats {
            pol: true,
            intune: true,
            ansible: true,
            gpp: true,
            ..compile::Formats::ALL
        };
        let a = compile::outputs(name, &load(name), Options::default(), formats).unwrap();
        let b = compile::outputs(name, &load(name), Options::default(), formats).unwrap();
        assert_eq!(a, b);
    }
}

/// The README's table of built-ins gives each one's target and number of build families as
/// the profiles have them.
#[test]
fn readme_states_each_builtins_target_and_families() {
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    for name in util::builtins() {
        let p = load(name);
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no README row for {name}"));
        let target = p.target.expect("every built-in declares a target");
        assert_eq!(target.max_build, None, "{name}: the table says 'and later'");
        let cell = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
        assert!(
            cell.starts_with(&target.min_build.to_string()) && cell.contains("and later"),
            "{name}: {cell}"
        );
        let families = compile::families(&p).unwrap().len();
        if families > 1 {
            assert!(
                cell.ends_with(&format!("; {families} build families")),
                "{name}: {cell}"
            );
        } else {
            assert!(!cell.contains("families"), "{name}: {cell}");
        }
    }
}
