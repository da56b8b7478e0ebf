//! `.reg` files read as regedit reads them: every lint trap with its fixture and its whole
//! rendered message, every reader code, every encoding variant to the same values, and the
//! import round trip through hivex's parser.

use crate::util::{self, run, stderr, tlsreg};
use tlsreg::regfile::{parse, ReadOptions, CODES};

fn fixtures() -> std::path::PathBuf {
    util::root().join("tests/fixtures")
}

/// Each lint fixture: its whole rendered output (stderr) for `--os-build 17763`.
const LINT: &[(&str, &str)] = &[
        ("abbreviated-root.reg", "warning[abbreviated-root]: abbreviated-root.reg:3:2: \"HKLM\" is an abbreviation; regedit ignores this block (write HKEY_LOCAL_MACHINE)\n  |\n3 | [HKLM\\SOFTWARE\\Contoso]\n  |  ^\n"),
        ("bad-header.reg", "warning[bad-header]: bad-header.reg:1:1: the header \"Windows Registry Editor version 5.00\" is not \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" exactly; regedit ignores the whole file\n  |\n1 | Windows Registry Editor version 5.00\n  | ^\n"),
        ("clean.reg", ""),
        ("control-set-mix.reg", "warning[control-set-mix]: control-set-mix.reg:6:28: this file mixes CurrentControlSet (line 3) and ControlSet00N; on a live system only CurrentControlSet is certain to be the one in use\n  |\n6 | [HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Hashes\\SHA]\n  |                            ^\n"),
        ("dtls-version.reg", "warning[dtls-version]: dtls-version.reg:3:91: Windows has no \"DTLS 1.1\"; its DTLS versions are DTLS 1.0 and DTLS 1.2\n  |\n3 | [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\DTLS 1.1\\Server]\n  |                                                                                           ^\n"),
        ("dword-digits.reg", "warning[dword-digits]: dword-digits.reg:4:11: dword:0 has 1 digits; regedit writes 8 (dword:00000000) and hivex rejects fewer\n  |\n4 | \"Enabled\"=dword:0\n  |           ^\n"),
        ("enabled-ffffffff.reg", "warning[enabled-ffffffff]: enabled-ffffffff.reg:4:1: Enabled=dword:ffffffff works as enabled, but Microsoft's documentation asks for 1 and Exchange HealthChecker flags it: write dword:00000001\n  |\n4 | \"Enabled\"=dword:ffffffff\n  | ^\n"),
        ("functions-multi-sz.reg", "warning[functions-multi-sz]: functions-multi-sz.reg:4:1: the policy Functions is REG_MULTI_SZ; Windows reads it only as a REG_SZ comma-separated list (\"Functions\"=\"TLS_...,TLS_...\")\n  |\n4 | \"Functions\"=hex(7):54,00,4c,00,53,00,5f,00,41,00,00,00,00,00\n  | ^\n"),
        ("lookalike-slash.reg", "warning[lookalike-slash]: lookalike-slash.reg:3:89: \"RC4 128∕128\" has the look-alike slash U+2215; Schannel ignores this key: write \"RC4 128/128\"\n  |\n3 | [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\RC4 128∕128]\n  |                                                                                         ^\n"),
        ("missing-header.reg", "warning[missing-header]: missing-header.reg:2:1: the file has no \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" line first; regedit ignores the whole file\n  |\n2 | [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Hashes\\MD5]\n  | ^\n"),
        ("nested-cipher-key.reg", "warning[nested-cipher-key]: nested-cipher-key.reg:3:89: \"AES 128\\128\" is two nested keys (what New-Item makes of \"AES 128/128\"); Schannel reads only the one key \"AES 128/128\"\n  |\n3 | [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\AES 128\\128]\n  |                                                                                         ^\n"),
        ("set-and-delete.reg", "warning[set-and-delete]: set-and-delete.reg:5:1: \"Enabled\" is set on line 4 and deleted here in one block; regedit deletes it, hivex keeps it: put the deletion in its own block or drop one\n  |\n5 | \"Enabled\"=-\n  | ^\n"),
        ("tls13-below-20348.reg", "warning[tls13-below-20348]: tls13-below-20348.reg:3:91: a TLS 1.3 key for build 17763: Schannel has TLS 1.3 only from build 20348; on Server 2019 an enabled TLS 1.3 resets connections\n  |\n3 | [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.3\\Server]\n  |                                                                                           ^\n"),
        ("triple-des-168-168.reg", "warning[triple-des-168-168]: triple-des-168-168.reg:3:89: \"Triple DES 168/168\" is the name before Windows Vista; Vista and later read \"Triple DES 168\"\n  |\n3 | [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\Triple DES 168/168]\n  |                                                                                         ^\n"),
        ("unknown-on-build.reg", "warning[unknown-on-build]: unknown-on-build.reg:4:1: TLS_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256 are not in Microsoft's table for build 17763: that Windows does not know them\n  |\n4 | \"Functions\"=\"TLS_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256\"\n  | ^\n"),
        ("utf16-no-bom.reg", "warning[utf16-no-bom]: utf16-no-bom.reg:1:1: the file is UTF-16LE without a byte-order mark; regedit does not recognise its header and ignores the whole file\n  |\n1 | Windows Registry Editor Version 5.00\n  | ^\n"),
        ("utf8-bom.reg", "warning[utf8-bom]: utf8-bom.reg:1:1: UTF-8 with a byte-order mark under the 5.00 header: regedit ignores the whole file (save it as UTF-16LE, as regedit does)\n  |\n1 | Windows Registry Editor Version 5.00\n  | ^\n"),
        ("value-twice.reg", "warning[value-twice]: value-twice.reg:5:1: \"Enabled\" is set again in this block (first on line 4); regedit keeps the last, hivex keeps both: set it once\n  |\n5 | \"Enabled\"=dword:00000001\n  | ^\n"),
];

#[test]
fn every_trap_has_a_fixture_and_its_whole_message() {
    for (file, want) in LINT {
        let o = run(tlsreg().current_dir(fixtures().join("lint")).args([
            "lint",
            "--os-build",
            "17763",
            file,
        ]));
        assert_eq!(stderr(&o), *want, "{file}");
        assert_eq!(
            o.status.code(),
            Some(if want.is_empty() { 0 } else { 1 }),
            "{file}"
        );
    }
    // Every code of the table is covered here or by the reader tests below.
    let me = include_str!("regfile.rs");
    for (code, sev, _) in CODES {
        let sev = sev.as_str();
        assert!(
            me.contains(&format!("{sev}[{code}]")),
            "no test renders {sev}[{code}]"
        );
    }
}

/// `--max-build` makes the build check a range: a `.reg` with 8.1's suffixed names is right
/// for 9600 alone and wrong from 10240 on; names are Windows release names or numbers.
#[test]
fn lint_checks_names_over_a_build_range() {
    let src = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002]\r\n\"Functions\"=\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256,TLS_RSA_WITH_AES_128_GCM_SHA256\"\r\n\r\n";
    let d = util::tempdir();
    std::fs::write(d.path().join("p.reg"), utf16(src)).unwrap();
    let lint = |args: &[&str]| {
        let o = run(tlsreg()
            .current_dir(d.path())
            .arg("lint")
            .args(args)
            .arg("p.reg"));
        (o.status.code().unwrap(), stderr(&o))
    };
    assert_eq!(lint(&["--os-build", "windows-8.1"]), (0, String::new()));
    let (code, err) = lint(&["--os-build", "9600", "--max-build", "windows-server-2019"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("warning[unknown-on-build]: p.reg:4:1: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256 is not in Microsoft's table for a build from 9600 to 17763 (first 10240): that Windows does not know it\n"), "{err}");
    let (code, err) = lint(&["--max-build", "17763"]);
    assert_eq!(code, 2, "{err}");
}

fn lint_text(name: &str, bytes: &[u8]) -> (i32, String) {
    let d = util::tempdir();
    std::fs::write(d.path().join(name), bytes).unwrap();
    let o = run(tlsreg().current_dir(d.path()).args(["lint", name]));
    (o.status.code().unwrap(), stderr(&o))
}

fn utf16(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

#[test]
fn reader_codes_render_whole() {
    let h = "Windows Registry Editor Version 5.00\r\n\r\n";
    let cases: &[(&str, String, &str)] = &[
        ("syntax", format!("{h}[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\nnot a value\r\n"), "error[syntax]: f.reg:4:1: a line that is neither a [KEY] nor a \"name\"=value: \"not a value\"\n  |\n4 | not a value\n  | ^\n"),
        ("bad-data", format!("{h}[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"b\"=hex:0g\r\n"), "error[bad-data]: f.reg:4:5: \"0g\" is not a hex byte; the value is skipped\n  |\n4 | \"b\"=hex:0g\n  |     ^\n"),
        ("unknown-escape", format!("{h}[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"s\"=\"C:\\x\"\r\n"), "warning[unknown-escape]: f.reg:4:8: \"\\x\" is not an escape regedit knows; it reads \"x\"\n  |\n4 | \"s\"=\"C:\\x\"\n  |        ^\n"),
        ("unsupported-type", format!("{h}[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"s\"=str(2):\"x\"\r\n"), "warning[unsupported-type]: f.reg:4:5: str(N): is a Wine and hivex extension regedit does not know; the value is skipped\n  |\n4 | \"s\"=str(2):\"x\"\n  |     ^\n"),
        ("value-before-key", format!("{h}\"a\"=dword:00000001\r\n"), "error[value-before-key]: f.reg:3:1: a value line outside any [KEY] block; it is skipped\n  |\n3 | \"a\"=dword:00000001\n  | ^\n"),
    ];
    for (code, text, want) in cases {
        let (rc, got) = lint_text("f.reg", &utf16(text));
        assert_eq!(got, *want, "{code}");
        assert_eq!(rc, 1, "{code}");
    }
    // Where regedit reads a file differently (issue 11; tests/wine.rs compares with Wine).
    let k = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n";
    let mut be = vec![0xFE, 0xFF];
    be.extend(format!("{h}{k}").encode_utf16().flat_map(u16::to_be_bytes));
    let cases: &[(&str, Vec<u8>, &str)] = &[
        ("utf16-be", be, "warning[utf16-be]: f.reg:1:1: the file is UTF-16BE: regedit reads only UTF-16LE (byte-order mark FF FE) as Unicode, does not recognise the header and ignores the whole file\n  |\n1 | Windows Registry Editor Version 5.00\n  | ^\n"),
        ("header-spacing", utf16(&format!("\r\n{h}{k}")), "warning[header-spacing]: f.reg:2:1: 1 blank line before the header: regedit reads only the first line as the header, and ignores the whole file\n  |\n2 | Windows Registry Editor Version 5.00\n  | ^\n"),
        ("nul-in-line", utf16(&format!("{h}{k}\"a\"=dword:00000001\0x\r\n")), "error[nul-in-line]: f.reg:4:19: a NUL character inside the line: regedit ends the line here and loses the text after it (up to 4096 characters, across lines)\n  |\n4 | \"a\"=dword:00000001\u{fffd}x\n  |                   ^\n"),
        ("unicode-space", utf16(&format!("{h}{k}\u{a0}\"a\"=dword:00000001\r\n")), "error[unicode-space]: f.reg:4:1: the line is indented with U+00A0; regedit skips spaces and tabs only, so it skips this line\n  |\n4 | \u{a0}\"a\"=dword:00000001\n  | ^\n"),
        ("type-case", utf16(&format!("{h}{k}\"a\"=DWORD:00000001\r\n")), "error[type-case]: f.reg:4:5: \"DWORD:\" is not in lower case: regedit reads only \"dword:\" and skips the line\n  |\n4 | \"a\"=DWORD:00000001\n  |     ^\n"),
        ("hex-spacing", utf16(&format!("{h}{k}\"a\"=hex:01, 02\r\n")), "warning[hex-spacing]: f.reg:4:5: spaces inside the hex list: regedit reads them after a comma only, and hivex not at all; write \"xx,xx\"\n  |\n4 | \"a\"=hex:01, 02\n  |     ^\n"),
        ("no-final-nul", utf16(&format!("{h}{k}\"a\"=hex(2):41,00\r\n")), "warning[no-final-nul]: f.reg:4:5: hex(2) data without its final NUL (00,00): regedit adds one, hivex does not\n  |\n4 | \"a\"=hex(2):41,00\n  |     ^\n"),
        ("ansi-hex-string", format!("{h}{k}\"a\"=hex(2):41,00,00,00\r\n").into_bytes(), "warning[ansi-hex-string]: f.reg:4:5: hex(2) data in a file that is not UTF-16LE with a byte-order mark: regedit reads these bytes as ANSI characters, one per byte, so UTF-16 text comes out with a NUL after each character (save the file as UTF-16LE)\n  |\n4 | \"a\"=hex(2):41,00,00,00\n  |     ^\n"),
        ("value-after-delete", utf16(&format!("{h}[-HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"a\"=dword:00000001\r\n")), "warning[value-after-delete]: f.reg:4:1: a value line after the [-KEY] on line 3: regedit has no key open there and skips it\n  |\n4 | \"a\"=dword:00000001\n  | ^\n"),
    ];
    for (code, bytes, want) in cases {
        let (rc, got) = lint_text("f.reg", bytes);
        assert_eq!(got, *want, "{code}");
        assert_eq!(rc, 1, "{code}");
    }
    // Bytes that are not valid in their encoding, and UTF-8 non-ASCII text without a BOM.
    let mut bad = utf16(&format!("{h}[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"));
    bad.extend([0x00, 0xD8, 0x41, 0x00]);
    let (_, got) = lint_text("f.reg", &bad);
    assert!(got.starts_with("error[encoding]: f.reg:1:1: some bytes are not valid UTF-16LE; they were replaced with U+FFFD\n"), "{got}");
    let (_, got) = lint_text(
        "f.reg",
        format!("{h}[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ä]\r\n").as_bytes(),
    );
    assert!(got.starts_with("warning[ansi-text]: f.reg:1:1: the file has non-ASCII text but no byte-order mark; regedit reads such a file in the ANSI code page, so that text would be garbled\n"), "{got}");
}

#[test]
fn any_bytes_read_without_panic() {
    // A bounded sweep of hostile shapes (the fuzzing issue adds more).
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(fixtures().join("lint"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    for seed in seeds {
        for cut in (0..seed.len()).step_by(7) {
            let _ = parse(&seed[..cut], ReadOptions::default());
            let mut flipped = seed.clone();
            flipped[cut] ^= 0x5a;
            let _ = parse(&flipped, ReadOptions::default());
        }
    }
}

#[test]
fn imported_builtins_compile_to_the_same_values() {
    for name in util::builtins() {
        let p = crate::oracle::builtin(name);
        let reg = tlsreg::compile::reg_outputs(name, &p, Default::default())
            .unwrap()
            .remove(0);
        let f = parse(&reg.bytes, ReadOptions::default());
        assert!(f.diagnostics.is_empty(), "{name}: {:?}", f.diagnostics);
        let (imported, skipped) = tlsreg::import::import(&f, name, "x.reg");
        assert!(skipped.is_empty());
        let yaml = tlsreg::import::to_yaml(&imported, "x.reg");
        let again = tlsreg::profile::load_with("imported.yaml", &yaml, None, name)
            .unwrap_or_else(|e| panic!("{name}:\n{}", e.render(false)))
            .profile;
        assert_eq!(
            again.plan(),
            p.plan(),
            "{name}: the import names every setting the profile has"
        );
    }
}

#[test]
fn every_encoding_reads_to_the_values_hivex_imports() {
    let dir = fixtures().join("regfile");
    let expected = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let unicode = expected("content-unicode.expected");
    let ansi = expected("content.expected");
    let cases: &[(&str, &Vec<String>, &[&str])] = &[
        ("utf16le-bom.reg", &unicode, &[]),
        ("utf16le-bom-lf.reg", &unicode, &[]),
        ("utf16be-bom.reg", &unicode, &["utf16-be"]),
        ("utf8-bom.reg", &unicode, &["utf8-bom"]),
        (
            "utf8-nobom.reg",
            &unicode,
            &[
                "ansi-text",
                "ansi-hex-string",
                "ansi-hex-string",
                "ansi-hex-string",
            ],
        ),
        ("content-utf16le.reg", &ansi, &[]),
        (
            "ansi-5.00.reg",
            &ansi,
            &["ansi-hex-string", "ansi-hex-string", "ansi-hex-string"],
        ),
        ("regedit4-ansi.reg", &ansi, &[]),
    ];
    for (file, want, codes) in cases {
        let f = parse(
            &std::fs::read(dir.join(file)).unwrap(),
            ReadOptions::default(),
        );
        let got_codes: Vec<&str> = f.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(&got_codes, codes, "{file}");
        let mut r = tlsreg::memreg::MemRegistry::new();
        f.apply(&mut r);
        assert_eq!(&r.value_lines(), *want, "{file}");
    }
}

#[test]
fn import_then_compile_gives_the_original_values() {
    let dir = fixtures().join("regfile");
    let d = util::tempdir();
    for file in ["utf16le-bom.reg", "utf8-nobom.reg", "regedit4-ansi.reg"] {
        let o = run(tlsreg().arg("import").arg(dir.join(file)));
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
        let yaml = d.path().join(file.replace(".reg", ".yaml"));
        std::fs::write(&yaml, &o.stdout).unwrap();
        let o = run(tlsreg().arg("compile").arg(&yaml).arg("-o").arg(d.path()));
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
        let compiled = d.path().join(file);
        let Some(got) = crate::util::run_oracle(
            "reg2values.sh",
            &[&"--fold-case" as &dyn AsRef<std::ffi::OsStr>, &compiled],
        ) else {
            return;
        };
        // The original, as hivex imports it (expected files are hivex's own output).
        let want = std::fs::read_to_string(dir.join(if file == "regedit4-ansi.reg" {
            "content.expected"
        } else {
            "content-unicode.expected"
        }))
        .unwrap();
        let fold = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .lines()
                .map(|l| {
                    let mut p: Vec<String> = l.split('\t').map(str::to_string).collect();
                    p[0] = p[0].to_lowercase();
                    p[1] = p[1].to_lowercase();
                    p.join("\t")
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            fold(&got),
            fold(&want),
            "{file}: compile(import(file)) differs from the file"
        );
    }
}

#[test]
fn diff_compares_profiles_reg_files_and_hives() {
    let fx = fixtures().join("audit");
    // A profile against the hive where it is applied (control set 2): no difference.
    let o = run(tlsreg()
        .args(["diff", "enable-tls12"])
        .arg(fx.join("ccs2-system.hive")));
    assert_eq!(
        (o.status.code(), crate::util::stdout(&o).as_str()),
        (Some(0), ""),
        "{}",
        stderr(&o)
    );
    // Against the 0xffffffff image: one changed value, with old and new type and data.
    let o = run(tlsreg()
        .args(["diff", "enable-tls12"])
        .arg(fx.join("ffffffff-system.hive")));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        crate::util::stdout(&o),
        "~ [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server] \"Enabled\": REG_DWORD 0x00000001 -> REG_DWORD 0xffffffff\n"
    );
    // A .reg file against a profile, as JSON.
    let o = run(tlsreg()
        .args(["diff"])
        .arg(fixtures().join("lint/clean.reg"))
        .args(["stig-iis10", "--format", "json"]));
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v["schema_version"], &v["command"]),
        (&2.into(), &"diff".into())
    );
    assert_eq!(v["removed"], serde_json::json!([]));
    assert_eq!(v["changed"], serde_json::json!([]));
    assert_eq!(
        v["added"].as_array().unwrap().len(),
        8,
        "stig-iis10 adds SSL 2.0/3.0 and TLS 1.0/1.1 server values"
    );
    assert_eq!(v["added"][0]["new"]["type"], "REG_DWORD");
    // Two hives: everything is compared.
    let o = run(tlsreg()
        .args(["diff"])
        .arg(fx.join("empty-system.hive"))
        .arg(fx.join("ccs2-system.hive")));
    assert_eq!(o.status.code(), Some(1));
    let out = crate::util::stdout(&o);
    assert!(out.contains("+ [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client] \"Enabled\" = REG_DWORD 0x00000001\n"), "{out}");
    assert!(out.contains("+ [HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server] \"Enabled\" = REG_DWORD 0x00000000\n"), "the stale control set shows as stored: {out}");
    // A mounted volume: both hives, found case-insensitively.
    let d = util::tempdir();
    let config = d.path().join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(fx.join("ccs2-system.hive"), config.join("SYSTEM")).unwrap();
    std::fs::copy(fx.join("dotnet-new-software.hive"), config.join("software")).unwrap();
    let o = run(tlsreg()
        .args(["diff", "dotnet-strong-crypto"])
        .arg(d.path()));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = crate::util::stdout(&o);
    assert_eq!(
        out.lines().count(),
        4,
        "only the v2.0.50727 values are missing: {out}"
    );
    assert!(
        out.lines()
            .all(|l| l.starts_with("- [") && l.contains("v2.0.50727")),
        "{out}"
    );
}

/// `import` writes only profiles that compile: names YAML would retype are quoted, and what
/// a profile cannot carry (a value named `<<`, key names with control characters or
/// padding spaces) is left out with a warning naming key and value. Compiling the import
/// gives, as hivex reads it, exactly the file's values minus those.
#[test]
fn import_writes_only_profiles_that_compile() {
    let names = [
        "0x10",
        "1e3",
        "TRUE",
        "~",
        "null",
        "yes",
        "on",
        ".inf",
        "-1",
        "1_000",
        "0o17",
        "=",
        "!tag",
        "&a",
        "*a",
        "? q",
        "- x",
        "a: b",
        "a #b",
        "#c",
        "@x",
        "%p",
        "`b",
        "'q",
        "\\\"q",
        " lead",
        "trail ",
        "ctl\u{1}x",
        "ctl\u{7f}x",
        "u\u{2028}x",
        "nbsp\u{a0}",
        "",
        "]",
        "[x",
        "{x}",
        "|x",
        ">x",
        "<<",
    ];
    let mut text = String::from(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Q]\r\n",
    );
    for (i, n) in names.iter().enumerate() {
        text.push_str(&format!("\"{n}\"=dword:{i:08x}\r\n"));
    }
    text.push_str("\"s\"=\"<<\"\r\n\"m\"=hex(7):7e,00,00,00,3c,00,3c,00,00,00,00,00\r\n");
    let keys = [
        "<<",
        "TRUE",
        "~",
        "0x10",
        "a: b",
        " lead",
        "trail ",
        "ctl\u{1}k",
    ];
    for k in keys {
        text.push_str(&format!(
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\QK\\{k}]\r\n\"v\"=\"{k}\"\r\n"
        ));
    }
    text.push_str("[-HKEY_USERS\\S-1-5-18]\r\n");
    let left_out = [
        ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Q", "<<"),
        ("HKEY_LOCAL_MACHINE\\SOFTWARE\\QK\\ lead", "v"),
        ("HKEY_LOCAL_MACHINE\\SOFTWARE\\QK\\trail ", "v"),
        ("HKEY_LOCAL_MACHINE\\SOFTWARE\\QK\\ctl\u{1}k", "v"),
    ];
    let d = util::tempdir();
    let reg = d.path().join("q.reg");
    std::fs::write(&reg, utf16(&text)).unwrap();
    let o = run(tlsreg().arg("import").arg(&reg));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let warnings: Vec<String> = stderr(&o)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect();
    let shown = |s: &str| s.replace('\u{1}', "\\u{1}");
    for (k, n) in left_out {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("[{}] {n}: ", shown(k))) && w.ends_with("; left out")),
            "no warning for [{k}] {n}: {warnings:#?}"
        );
    }
    assert!(
        warnings.iter().any(|w| w
            .contains("[-HKEY_USERS\\S-1-5-18]: a profile does not delete a whole hive; left out")),
        "{warnings:#?}"
    );
    assert_eq!(warnings.len(), left_out.len() + 1, "{warnings:#?}");
    let yaml = d.path().join("q.yaml");
    std::fs::write(&yaml, &o.stdout).unwrap();
    let out = d.path().join("out");
    let o = run(tlsreg().arg("compile").arg(&yaml).arg("-o").arg(&out));
    assert_eq!(
        o.status.code(),
        Some(0),
        "the import compiles: {}",
        stderr(&o)
    );
    // The file's values as tlsreg reads them.
    let f = parse(&utf16(&text), ReadOptions::default());
    let mut r = tlsreg::memreg::MemRegistry::new();
    f.apply(&mut r);
    let want: Vec<String> = r
        .value_lines()
        .into_iter()
        .filter(|l| {
            let mut p = l.split('\t');
            let (k, n) = (p.next().unwrap(), p.next().unwrap());
            !left_out.iter().any(|(lk, ln)| *lk == k && *ln == n)
        })
        .collect();
    assert_eq!(want.len(), names.len() - 1 + 2 + keys.len() - 3);
    let Some(got) = crate::util::run_oracle(
        "reg2values.sh",
        &[&out.join("q.reg") as &dyn AsRef<std::ffi::OsStr>],
    ) else {
        return;
    };
    assert_eq!(util::lines(&got), want);
}

#[test]
fn readme_lists_every_reg_code() {
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    for (code, sev, meaning) in CODES {
        let sev = sev.as_str();
        let row = format!("| `{code}` | {sev} | {meaning} |");
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}
