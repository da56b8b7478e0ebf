//! `tlsreg lint --format sarif` (the log checked against the OASIS SARIF 2.1.0 schema by
//! Python's `jsonschema`, its URIs decoded by Python's `urllib.parse`, its results the same
//! as the human output's), `--allow` / `--deny`, and the hivex flavour: every built-in
//! compiled for hivex or regedit lints clean, while a file for a live system that writes
//! `ControlSet00N` is still flagged.

use crate::util::{self, run, stderr, stdout, tlsreg};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    util::root().join("tests/fixtures")
}

/// One result as `validate.py` prints it: code, level, uriBaseId, decoded path, line,
/// column.
pub(crate) type Row = [String; 6];

/// Checks `log` against the vendored schema and returns its results with their URIs
/// decoded; `None` (after a printed skip) without python3 or its jsonschema.
pub(crate) fn validate(log: &str) -> Option<Vec<Row>> {
    if util::which("python3").is_none() {
        util::skip("python3 is not on the PATH: the SARIF schema check needs it");
        return None;
    }
    let dir = util::tempdir();
    let file = dir.path().join("log.sarif");
    std::fs::write(&file, log).unwrap();
    let o = run(Command::new("python3")
        .arg(fixtures().join("sarif/validate.py"))
        .arg(&file));
    match o.status.code() {
        Some(0) => {}
        Some(4) => {
            util::skip(&format!("validate.py: {}", stderr(&o).trim()));
            return None;
        }
        code => panic!("validate.py: exit {code:?}: {}\n{log}", stderr(&o)),
    }
    Some(
        stdout(&o)
            .lines()
            .map(|l| {
                let v: Vec<String> = l.split('\t').map(str::to_string).collect();
                v.try_into().expect("six fields")
            })
            .collect(),
    )
}

/// The findings of human output (`LEVEL[CODE]: PATH:LINE:COL: ...` on stderr) as rows,
/// `paths` being the files as given (a path may itself hold a colon).
fn human_rows(text: &str, paths: &[String]) -> Vec<Row> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let Some((head, rest)) = line.split_once("]: ") else {
            continue;
        };
        let Some((level, code)) = head.split_once('[') else {
            continue;
        };
        let path = paths
            .iter()
            .filter(|p| rest.starts_with(&format!("{p}:")))
            .max_by_key(|p| p.len())
            .unwrap_or_else(|| panic!("no file for {line}"));
        let mut place = rest[path.len() + 1..].splitn(3, ':');
        let (l, c) = (place.next().unwrap(), place.next().unwrap());
        rows.push([
            code.to_string(),
            level.to_string(),
            "%SRCROOT%".to_string(),
            path.clone(),
            l.to_string(),
            c.to_string(),
        ]);
    }
    rows
}

fn utf16(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

/// Every lint and reader fixture, and a file of reader errors, under a folder whose name
/// has a space and non-ASCII letters: the SARIF log is valid, and its results are the
/// human output's, code for code, level, file, line and column.
#[test]
fn sarif_is_valid_and_says_what_the_human_output_says() {
    let dir = util::tempdir();
    let sub = "lint fixtures é";
    std::fs::create_dir(dir.path().join(sub)).unwrap();
    let mut paths = Vec::new();
    for folder in ["lint", "regfile"] {
        for f in util::files_below(&fixtures().join(folder)) {
            if f.extension().is_some_and(|e| e == "reg") {
                let name = format!(
                    "{sub}/{folder} {}",
                    f.file_name().unwrap().to_string_lossy()
                );
                std::fs::copy(&f, dir.path().join(&name)).unwrap();
                paths.push(name);
            }
        }
    }
    let errors = "Windows Registry Editor Version 5.00\r\n\r\n\"early\"=dword:00000001\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso]\r\n\"a\"=DWORD:00000001\r\n\"b\"=hex:zz\r\n\"c\"=dword:1\r\n\r\n";
    let name = format!("{sub}/errors #1 100%.reg");
    std::fs::write(dir.path().join(&name), utf16(errors)).unwrap();
    paths.push(name);
    let lint = |extra: &[&str]| {
        run(tlsreg()
            .current_dir(dir.path())
            .args(["lint", "--os-build", "17763"])
            .args(extra)
            .args(&paths))
    };
    let human = lint(&[]);
    let sarif = lint(&["--format", "sarif"]);
    assert_eq!(human.status.code(), Some(1));
    assert_eq!(sarif.status.code(), Some(1), "{}", stderr(&sarif));
    assert_eq!(stderr(&sarif), "", "SARIF leaves standard error alone");
    let mut want = human_rows(&stderr(&human), &paths);
    let Some(mut got) = validate(&stdout(&sarif)) else {
        return;
    };
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // The comparison covers errors and warnings, reader and lint codes.
    let codes: std::collections::BTreeSet<&str> = got.iter().map(|r| r[0].as_str()).collect();
    assert!(codes.len() >= 20, "{codes:?}");
    for code in [
        "value-before-key",
        "type-case",
        "bad-data",
        "dword-digits",
        "utf16-be",
    ] {
        assert!(codes.contains(code), "{code} missing: {codes:?}");
    }
    assert!(got.iter().any(|r| r[1] == "error"));
    // The log itself: tool, version, every .reg code a rule with its meaning.
    let log: serde_json::Value = serde_json::from_str(&stdout(&sarif)).unwrap();
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "tlsreg");
    assert_eq!(run0["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), tlsreg::regfile::CODES.len());
    for (rule, (code, sev, meaning)) in rules.iter().zip(tlsreg::regfile::CODES) {
        assert_eq!(rule["id"], *code);
        assert_eq!(rule["shortDescription"]["text"], *meaning);
        assert_eq!(rule["defaultConfiguration"]["level"], sev.as_str());
    }
    // Fingerprints are unique within the log.
    let fps: std::collections::BTreeSet<&str> = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["tlsreg/v1"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), got.len());
}

/// The schema check is not a formality: a log with a level SARIF does not have, or without
/// its version, is refused.
#[test]
fn the_schema_check_refuses_a_broken_log() {
    let o = run(tlsreg().current_dir(fixtures().join("lint")).args([
        "lint",
        "--format",
        "sarif",
        "value-twice.reg",
    ]));
    let good: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    if validate(&good.to_string()).is_none() {
        return;
    }
    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("version");
    for (bad, why) in [
        (bad_level, "'fatal' is not one of"),
        (no_version, "'version' is a required property"),
    ] {
        let dir = util::tempdir();
        let file = dir.path().join("bad.sarif");
        std::fs::write(&file, bad.to_string()).unwrap();
        let o = run(Command::new("python3")
            .arg(fixtures().join("sarif/validate.py"))
            .arg(&file));
        assert_eq!(o.status.code(), Some(1), "{why}");
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
    }
}

/// File names with spaces, non-ASCII letters and the characters URIs reserve come out as
/// RFC 3986 URIs that read back (urllib.parse) as the same paths: relative ones against
/// %SRCROOT%, absolute ones as file: URIs. A fingerprint follows the line's text, not its
/// number.
#[test]
fn uris_name_the_files_as_given() {
    let dir = util::tempdir();
    let body = std::fs::read(fixtures().join("lint/value-twice.reg")).unwrap();
    let cases = [
        ("a b/Straße ä.reg", "a%20b/Stra%C3%9Fe%20%C3%A4.reg"),
        ("100%#?.reg", "100%25%23%3F.reg"),
        ("x:y;z+w@v.reg", "x%3Ay;z+w@v.reg"),
        ("back\\slash.reg", "back%5Cslash.reg"),
    ];
    for (name, _) in cases {
        util::write(&dir.path().join(name), "");
        std::fs::write(dir.path().join(name), &body).unwrap();
    }
    let abs = dir.path().join("a b/Straße ä.reg");
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["lint", "--format", "sarif"])
        .args(cases.map(|(n, _)| n))
        .arg(&abs)
        .arg("./a b/Straße ä.reg"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let art = |i: usize| &results[i]["locations"][0]["physicalLocation"]["artifactLocation"];
    for (i, (_, uri)) in cases.iter().enumerate() {
        assert_eq!(art(i)["uri"], *uri);
        assert_eq!(art(i)["uriBaseId"], "%SRCROOT%");
    }
    assert!(art(4)["uri"]
        .as_str()
        .unwrap()
        .ends_with("/a%20b/Stra%C3%9Fe%20%C3%A4.reg"));
    assert!(art(4).get("uriBaseId").is_none());
    // `./` is dropped: the same file, the same URI, the same fingerprint.
    assert_eq!(art(5), art(0));
    let fp = |i: usize| results[i]["partialFingerprints"]["tlsreg/v1"].clone();
    assert_eq!(
        fp(5).as_str().unwrap().split(':').next(),
        fp(0).as_str().unwrap().split(':').next()
    );
    let Some(rows) = validate(&stdout(&o)) else {
        return;
    };
    let paths: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    let abs = abs.to_str().unwrap();
    assert_eq!(
        paths,
        [
            "a b/Straße ä.reg",
            "100%#?.reg",
            "x:y;z+w@v.reg",
            "back\\slash.reg",
            abs,
            "a b/Straße ä.reg"
        ]
    );
    assert_eq!(rows[4][2], "-");
    // The same finding two lines further down keeps its fingerprint.
    let moved = String::from_utf16_lossy(
        &body[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .replacen("\r\n\r\n", "\r\n\r\n; moved\r\n; down\r\n", 1);
    std::fs::write(dir.path().join("moved.reg"), utf16(&moved)).unwrap();
    let o = run(tlsreg().current_dir(dir.path()).args([
        "lint",
        "--format",
        "sarif",
        "moved.reg",
        "100%#?.reg",
    ]));
    let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r = &log["runs"][0]["results"];
    assert_eq!(
        r[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    assert_eq!(
        r[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    let hash = |v: &serde_json::Value| {
        v["partialFingerprints"]["tlsreg/v1"]
            .as_str()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_string()
    };
    // The same line in another file is another result.
    assert_ne!(hash(&r[0]), hash(&r[1]));
    // moved.reg as it was, the finding two lines higher: the same hash.
    std::fs::write(dir.path().join("moved.reg"), &body).unwrap();
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["lint", "--format", "sarif", "moved.reg"]));
    let before: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(hash(&before["runs"][0]["results"][0]), hash(&r[0]));
}

/// `--allow` drops a code's findings from the output and the exit code, `--deny` makes them
/// errors (human, JSON and SARIF alike); a code in both is denied, in either order; both
/// take lists; an unknown code is exit 2 with a did-you-mean.
#[test]
fn allow_and_deny() {
    let lint = |args: &[&str]| {
        let o = run(tlsreg()
            .current_dir(fixtures().join("lint"))
            .arg("lint")
            .args(args)
            .args(["value-twice.reg", "enabled-ffffffff.reg"]));
        (o.status.code().unwrap(), stdout(&o), stderr(&o))
    };
    let heads = |err: &str| -> Vec<String> {
        err.lines()
            .filter(|l| l.contains("]: "))
            .map(|l| l.split(": ").take(2).collect::<Vec<_>>().join(": "))
            .collect()
    };
    let (code, _, err) = lint(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        heads(&err),
        [
            "warning[value-twice]: value-twice.reg:5:1",
            "warning[enabled-ffffffff]: enabled-ffffffff.reg:4:1"
        ]
    );
    let (code, _, err) = lint(&["--allow", "value-twice"]);
    assert_eq!(
        (code, heads(&err)),
        (
            1,
            vec!["warning[enabled-ffffffff]: enabled-ffffffff.reg:4:1".to_string()]
        )
    );
    for args in [
        &["--allow", "value-twice,enabled-ffffffff"][..],
        &["--allow", "value-twice", "--allow", "ENABLED-FFFFFFFF"],
    ] {
        assert_eq!(lint(args), (0, String::new(), String::new()), "{args:?}");
    }
    let (code, out, _) = lint(&[
        "--allow",
        "value-twice,enabled-ffffffff",
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 0);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    // Deny: an error, in every format; and it wins over allow whatever the order.
    let denied = [
        "error[value-twice]: value-twice.reg:5:1".to_string(),
        "warning[enabled-ffffffff]: enabled-ffffffff.reg:4:1".to_string(),
    ];
    for args in [
        &["--deny", "value-twice"][..],
        &["--allow", "value-twice", "--deny", "value-twice"],
        &[
            "--deny",
            "value-twice",
            "--allow",
            "value-twice,enabled-ffffffff",
        ],
    ] {
        let (code, _, err) = lint(args);
        let want = if args.contains(&"value-twice,enabled-ffffffff") {
            &denied[..1]
        } else {
            &denied[..]
        };
        assert_eq!((code, heads(&err)), (1, want.to_vec()), "{args:?}");
    }
    let (_, out, _) = lint(&["--deny", "value-twice", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["diagnostics"][0]["severity"], "error");
    assert_eq!(v["files"][1]["diagnostics"][0]["severity"], "warning");
    let (_, out, _) = lint(&["--deny", "value-twice", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &log["runs"][0]["results"];
    assert_eq!(
        (r[0]["ruleId"].as_str(), r[0]["level"].as_str()),
        (Some("value-twice"), Some("error"))
    );
    assert_eq!(r[1]["level"], "warning");
    let rule =
        &log["runs"][0]["tool"]["driver"]["rules"][r[0]["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");
    validate(&out);
    // Unknown codes.
    let (code, out, err) = lint(&["--allow", "valu-twice"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err, "error: --allow: no .reg lint code is called \"valu-twice\"; did you mean \"value-twice\"? (`tlsreg explain` lists them all)\n");
    let (code, _, err) = lint(&["--deny", "value-twice,zzz"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: --deny: no .reg lint code is called \"zzz\" (`tlsreg explain` lists them all)\n"
    );
    // A profile code is not a .reg code.
    let (code, _, err) = lint(&["--allow", "unknown-field"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --allow: no .reg lint code is called \"unknown-field\""),
        "{err}"
    );
}

/// Compiles every built-in (as `tlsreg profiles` lists them) into `out`.
fn compile_builtins(dir: &Path, out: &str, extra: &[&str]) -> Vec<PathBuf> {
    let o = run(tlsreg().arg("profiles"));
    let names: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(names, util::builtins());
    let o = run(tlsreg()
        .current_dir(dir)
        .arg("compile")
        .args(&names)
        .args(["-o", out])
        .args(extra));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = util::files_below(&dir.join(out));
    assert!(files.len() >= names.len(), "{files:?}");
    files
}

/// Every built-in compiled with `--flavor hivex --control-set 1`, and with the default
/// regedit flavour, lints clean: exit 0, nothing on either stream, no flag needed. The
/// hivex files are clean because lint recognises them, not because it looks away: as
/// regedit files the SYSTEM ones are flagged.
#[test]
fn every_builtin_compiled_for_hivex_or_regedit_lints_clean() {
    use tlsreg::regfile::lint::Flavor;
    let dir = util::tempdir();
    let hivex = compile_builtins(
        dir.path(),
        "hivex",
        &["--flavor", "hivex", "--control-set", "1"],
    );
    let regedit = compile_builtins(dir.path(), "regedit", &[]);
    for (files, flavor) in [(&hivex, Flavor::Hivex), (&regedit, Flavor::Regedit)] {
        let o = run(tlsreg().arg("lint").args(files.iter()));
        assert_eq!(
            (o.status.code(), stdout(&o), stderr(&o)),
            (Some(0), String::new(), String::new())
        );
        for f in files.iter() {
            let reg = tlsreg::regfile::read_file(f, "windows-1252").unwrap();
            // A file with no key (a profile that writes nothing to that hive) is not told
            // apart, and has nothing a flavour changes.
            if !reg.items.is_empty() {
                assert_eq!(Flavor::Auto.of(&reg), flavor, "{}", f.display());
            }
        }
    }
    // The SYSTEM files that write something.
    let system: Vec<&PathBuf> = hivex
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("ControlSet001")
        })
        .collect();
    let o = run(tlsreg().args(["lint", "--flavor", "regedit"]).args(&system));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).matches("warning[control-set-mix]").count(),
        system.len(),
        "{}",
        stderr(&o)
    );
}

/// A `.reg` for a live system that writes ControlSet00N is still flagged, whether regedit
/// (UTF-16LE, CRLF), Notepad (UTF-8, CRLF) or a hand (UTF-8, LF, only the keys it sets)
/// wrote it; `--flavor hivex` flags CurrentControlSet, which an offline hive lacks; and the
/// hivex files' hex(7) lists are flagged only when they are for regedit.
#[test]
fn live_system_files_with_numbered_control_sets_are_still_flagged() {
    let dir = util::tempdir();
    let d = dir.path();
    let o = run(tlsreg().current_dir(d).args([
        "compile",
        "mozilla-intermediate",
        "--flavor",
        "hivex",
        "--control-set",
        "1",
        "-o",
        "hx",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(d.join("hx/mozilla-intermediate.system.reg")).unwrap();
    let crlf = text.replace('\n', "\r\n");
    std::fs::write(d.join("regedit.reg"), utf16(&crlf)).unwrap();
    std::fs::write(d.join("notepad.reg"), &crlf).unwrap();
    // By hand: the keys that hold values, without their parents.
    let mut by_hand = String::from("Windows Registry Editor Version 5.00\n\n");
    by_hand.push_str("[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Server]\n\"Enabled\"=dword:00000000\n\n");
    std::fs::write(d.join("by-hand.reg"), &by_hand).unwrap();
    let live = "warning[control-set-mix]: {F}:3:28: ControlSet00N is not necessarily the control set a running Windows uses; for regedit on a live system write CurrentControlSet (tlsreg compile --control-set writes ControlSet00N for offline hives)\n";
    for f in ["regedit.reg", "notepad.reg", "by-hand.reg"] {
        let o = run(tlsreg().current_dir(d).args(["lint", f]));
        assert_eq!(o.status.code(), Some(1), "{f}");
        let want = live.replace("{F}", f);
        assert!(stderr(&o).starts_with(&want), "{f}: {}", stderr(&o));
    }
    // The hand-made file is fine for hivex when said so.
    let o = run(tlsreg()
        .current_dir(d)
        .args(["lint", "--flavor", "hivex", "by-hand.reg"]));
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    // CurrentControlSet for an offline hive.
    let o = run(tlsreg()
        .current_dir(d)
        .args(["compile", "enable-tls12", "-o", "re"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(tlsreg()
        .current_dir(d)
        .args(["lint", "--flavor", "hivex", "re/enable-tls12.reg"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("warning[control-set-mix]: re/enable-tls12.reg:3:28: an offline hive has no CurrentControlSet (Windows makes it at boot): hivexregedit would write a key of that name that Windows never reads; write ControlSet00N, N from the hive's SYSTEM\\Select\\Current (tlsreg compile --flavor hivex --control-set N)\n"), "{}", stderr(&o));
    // hex(7) in a UTF-8 file: a trap for regedit, what hivex wants.
    let sw = "hx/mozilla-intermediate.software.reg";
    let o = run(tlsreg().current_dir(d).args(["lint", sw]));
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let o = run(tlsreg()
        .current_dir(d)
        .args(["lint", "--flavor", "regedit", sw]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(&format!("warning[ansi-hex-string]: {sw}:")),
        "{}",
        stderr(&o)
    );
}
