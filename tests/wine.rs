//! Wine's regedit against tlsreg's `.reg` reader, over generated edge-case files: for each
//! file, either both read the same values, or `tlsreg lint` reports the difference (a
//! non-zero exit, with the codes the case names). Wine (`reg2values.sh --engine wine`) is the
//! oracle for regedit; the cases cover issue 11's list and the oracle README's table.

use crate::util;
use std::path::Path;
use tlsreg::regfile::{lint, parse, ReadOptions};

const H: &str = "Windows Registry Editor Version 5.00\r\n\r\n";

/// One generated file: its bytes, and the lint codes that must report how tlsreg's reading
/// differs from regedit's (empty: both read the same values).
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    differs: &'static [&'static str],
}

fn key(name: &str) -> String {
    format!("[HKEY_LOCAL_MACHINE\\SOFTWARE\\TlsregProbe\\{name}]\r\n")
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |name: &'static str, body: &str, differs: &'static [&'static str]| {
        out.push(Case {
            name,
            bytes: utf16le(&format!("{H}{}{body}", key(name))),
            differs,
        })
    };
    // Constructs regedit reads that tlsreg refused before.
    add(
        "lone_cr",
        "\"a\"=dword:00000001\r\"b\"=dword:00000002\r\n",
        &[],
    );
    add("hash_comment", "# comment\r\n\"a\"=dword:00000001\r\n", &[]);
    add(
        "cont_comment",
        "\"a\"=hex:01,02,\\ ; comment\r\n  03\r\n",
        &[],
    );
    add(
        "cont_comment_line",
        "\"a\"=hex:01,02,\\\r\n; comment\r\n  03\r\n",
        &[],
    );
    add("cont_blank_line", "\"a\"=hex:01,02,\\\r\n\r\n  03\r\n", &[]);
    add("value_after_delete", "\"a\"=dword:00000001\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\TlsregProbe\\value_after_delete]\r\n\"b\"=dword:00000002\r\n", &["value-after-delete"]);
    add(
        "duplicate",
        "\"a\"=dword:00000001\r\n\"a\"=dword:00000002\r\n",
        &["value-twice"],
    );
    add(
        "set_then_delete",
        "\"a\"=\"x\"\r\n\"a\"=-\r\n\"b\"=dword:00000001\r\n",
        &["set-and-delete"],
    );
    // Continuation lines regedit does not join.
    add(
        "cont_no_comma",
        "\"a\"=hex:01,0\\\r\n  2\r\n\"b\"=dword:00000002\r\n",
        &["bad-data"],
    );
    add(
        "cont_next_value",
        "\"a\"=hex:01,\\\r\n\"b\"=dword:00000002\r\n\"c\"=dword:00000003\r\n",
        &["bad-data"],
    );
    add("cont_eof", "\"a\"=hex:01,\\\r\n", &[]);
    add(
        "dword_cont",
        "\"a\"=dword:0000\\\r\n0001\r\n\"b\"=dword:00000002\r\n",
        &["bad-data", "syntax"],
    );
    // Lines regedit skips or reads differently.
    add(
        "nul_in_line",
        "\"a\"=dword:00000001\0junk\r\n\"b\"=dword:00000002\r\n",
        &["nul-in-line"],
    );
    add("unicode_indent", "\u{a0}\"a\"=dword:00000001\r\n\u{3000}\"b\"=dword:00000002\r\n\t\"c\"=dword:00000003\r\n  \"d\"=dword:00000004\r\n", &["unicode-space"]);
    add(
        "unicode_trailing",
        "\"a\"=dword:00000001\u{a0}\r\n\"b\"=\"x\"\u{a0}\r\n\"c\"=dword:00000003 \t\r\n",
        &["bad-data", "syntax"],
    );
    add("upper_type", "\"a\"=DWORD:00000001\r\n\"b\"=HEX:01\r\n\"c\"=Hex(2):41,00,00,00\r\n\"d\"=hex(B):01,00,00,00,00,00,00,00\r\n\"e\"=dword:0000000A\r\n\"f\"=hex:DE,AD\r\n", &["type-case"]);
    add("hex_spaces", "\"a\"=hex:01, 02\r\n\"c\"=hex: 01,02\r\n\"d\"=hex:01,02 \r\n\"g\"=hex:0x1\r\n\"h\"=hex:+1\r\n\"i\"=hex:001,02\r\n", &["hex-spacing"]);
    add(
        "hex_spaces_bad",
        "\"b\"=hex:01 ,02\r\n\"e\"=hex:0 1\r\n\"f\"=dword:00000001\r\n",
        &["bad-data"],
    );
    add("hex_trailing", "\"a\"=hex:01,02,\r\n\"b\"=hex:01,,02\r\n\"c\"=hex:,01\r\n\"d\"=hex:01;c\r\n\"e\"=hex:01 ;c\r\n", &["bad-data"]);
    add("string_no_nul", "\"a\"=hex(1):41,00,42,00\r\n\"b\"=hex(2):41,00\r\n\"c\"=hex(7):41,00,00,00,42,00\r\n\"e\"=hex(1):\r\n\"f\"=hex(7):\r\n", &["no-final-nul"]);
    add("string_odd", "\"d\"=hex(1):41,00,42\r\n", &["bad-data"]);
    add("hexn_forms", "\"a\"=hex( 2):41,00,00,00\r\n\"b\"=hex(0x2):41,00,00,00\r\n\"c\"=hex(02):41,00,00,00\r\n\"d\"=hex(100000000):01\r\n\"e\"=hex(0):01\r\n", &["syntax", "bad-data"]);
    add("dword_forms", "\"a\"=dword: 1\r\n\"b\"=dword:1 ;c\r\n\"c\"=dword:;\r\n\"d\"=dword:\r\n\"e\"=dword:1 2\r\n\"f\"=dword:000000001\r\n\"g\"=dword:zz\r\n", &["bad-data"]);
    add(
        "delete_forms",
        "\"a\"=dword:00000001\r\n\"b\"=dword:00000001\r\n\"a\"= - \r\n\"b\"=-x\r\n",
        &["syntax"],
    );
    add(
        "escapes",
        "\"a\"=\"x\\ny\"\r\n\"d\"=\"C:\\x\"\r\n\"q\"=\"say \\\"hi\\\" \\\\\"\r\n",
        &[],
    );
    add(
        "escape_nul",
        "\"a\"=dword:00000001\r\n\"b\"=\"x\\0y\"\r\n\"z\"=dword:00000001\r\n",
        &["syntax"],
    );
    add(
        "names",
        "@ = \"x\"\r\n\"@\"=\"y\"\r\n\"n\\x\"=dword:00000001\r\n",
        &[],
    );
    add(
        "strings",
        "\"a\"=\"x\" ;c\r\n\"b\"=\"x\"y\r\n\"c\"=\"x\r\n\"d\"=dword:00000004\r\n",
        &["syntax"],
    );
    add(
        "garbage_line",
        "xyz\r\n\"a\"=dword:00000001\r\n",
        &["syntax"],
    );
    add(
        "spaces_around_eq",
        "\"a\" = dword:00000001\r\n  \"b\"=\"x\"  \r\n",
        &[],
    );
    add(
        "comments",
        "; a comment\r\n\r\n\"a\"=dword:00000001 ; after\r\n",
        &[],
    );
    add(
        "str2",
        "\"e\"=str(2):\"%A%\"\r\n\"ok\"=dword:00000002\r\n",
        &["unsupported-type"],
    );
    add("qword_and_none", "\"q\"=hex(b):ef,cd,ab,89,67,45,23,01\r\n\"n\"=hex(0):01,02\r\n\"x\"=hex(4):2a,00,00,00\r\n", &[]);
    // Key lines.
    add("key_space", "\"a\"=dword:00000001\r\n[ HKEY_LOCAL_MACHINE\\SOFTWARE\\TlsregProbe\\other]\r\n\"b\"=dword:00000002\r\n", &["syntax"]);
    add("key_noclose", "\"a\"=dword:00000001\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\TlsregProbe\\other\r\n\"b\"=dword:00000002\r\n", &["syntax"]);
    add("key_trailing_backslash", "\"a\"=dword:00000001\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\TlsregProbe\\key_trailing_backslash\\sub\\]\r\n\"b\"=dword:00000002\r\n", &[]);
    add("key_abbreviated", "\"a\"=dword:00000001\r\n[HKLM\\SOFTWARE\\TlsregProbe\\key_abbreviated]\r\n\"b\"=dword:00000002\r\n", &["abbreviated-root"]);
    add("key_lowercase_root", "\"a\"=dword:00000001\r\n[hkey_local_machine\\SOFTWARE\\TlsregProbe\\key_lowercase_root\\x]\r\n\"b\"=dword:00000002\r\n", &[]);
    // Headers and encodings: regedit ignores these files whole.
    let body = |name: &str| format!("{}\"a\"=dword:00000001\r\n", key(name));
    let mut raw = |name: &'static str, bytes: Vec<u8>, differs: &'static [&'static str]| {
        out.push(Case {
            name,
            bytes,
            differs,
        })
    };
    raw(
        "utf16be_bom",
        {
            let mut v = vec![0xFE, 0xFF];
            v.extend(
                format!("{H}{}", body("utf16be_bom"))
                    .encode_utf16()
                    .flat_map(u16::to_be_bytes),
            );
            v
        },
        &["utf16-be"],
    );
    raw(
        "blank_before_header",
        utf16le(&format!("\r\n{H}{}", body("blank_before_header"))),
        &["header-spacing"],
    );
    raw(
        "space_after_header",
        utf16le(&format!(
            "{}{}",
            H.replacen("5.00", "5.00 ", 1),
            body("space_after_header")
        )),
        &["header-spacing"],
    );
    raw(
        "tab_after_header",
        utf16le(&format!(
            "{}{}",
            H.replacen("5.00", "5.00\t", 1),
            body("tab_after_header")
        )),
        &["header-spacing"],
    );
    raw(
        "space_before_header",
        utf16le(&format!("  {H}{}", body("space_before_header"))),
        &[],
    );
    raw(
        "header_lowercase",
        utf16le(&format!("{}{}", H.to_lowercase(), body("header_lowercase"))),
        &["bad-header"],
    );
    raw(
        "header_missing",
        utf16le(&body("header_missing")),
        &["missing-header"],
    );
    raw(
        "utf8_bom",
        [
            &[0xEF, 0xBB, 0xBF][..],
            format!("{H}{}", body("utf8_bom")).as_bytes(),
        ]
        .concat(),
        &["utf8-bom"],
    );
    raw(
        "utf8_bom_regedit4",
        [
            &[0xEF, 0xBB, 0xBF][..],
            format!("REGEDIT4\r\n\r\n{}", body("utf8_bom_regedit4")).as_bytes(),
        ]
        .concat(),
        &["utf8-bom"],
    );
    raw(
        "utf16_no_bom",
        utf16le(&format!("{H}{}", body("utf16_no_bom")))[2..].to_vec(),
        &["utf16-no-bom"],
    );
    raw(
        "utf8_lf",
        format!("{H}{}", body("utf8_lf"))
            .replace("\r\n", "\n")
            .into_bytes(),
        &[],
    );
    raw(
        "utf8_hex_strings",
        format!(
            "{H}{}\"a\"=hex(2):25,00,41,00,25,00,00,00\r\n\"c\"=hex(7):61,00,62,00,00\r\n",
            key("utf8_hex_strings")
        )
        .into_bytes(),
        &["ansi-hex-string"],
    );
    raw(
        "regedit4_utf16",
        utf16le(&format!(
            "REGEDIT4\r\n\r\n{}\"a\"=hex(2):41,00,00,00\r\n\"b\"=hex(1):41,42\r\n",
            key("regedit4_utf16")
        )),
        &["no-final-nul"],
    );
    raw("regedit4_ansi", format!("REGEDIT4\r\n\r\n{}\"a\"=hex(2):41,42,00\r\n\"b\"=hex(1):41,42\r\n\"c\"=hex(7):61,00,62,00,00\r\n", key("regedit4_ansi")).into_bytes(), &["no-final-nul"]);
    out
}

/// The keys the oracle prints: those named in a `[header]` line (its `wine_prep.py` rule).
fn header_keys(text: &str) -> Vec<String> {
    tlsreg::regfile::read::lines(text)
        .iter()
        .filter_map(|l| {
            let l = l.trim_end();
            let inner = l.strip_prefix('[')?.strip_suffix(']')?;
            let inner = inner.strip_prefix('-').unwrap_or(inner);
            (!inner.is_empty()).then(|| inner.trim_end_matches('\\').to_lowercase())
        })
        .collect()
}

/// What tlsreg reads from the file, as folded oracle lines of the header keys.
fn tlsreg_lines(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let f = parse(bytes, ReadOptions::default());
    let keys = header_keys(&f.text);
    let mut r = tlsreg::memreg::MemRegistry::new();
    f.apply(&mut r);
    let mut lines: Vec<String> = r
        .value_lines()
        .into_iter()
        .map(|l| fold(&l))
        .filter(|l| {
            keys.iter()
                .any(|k| l.split('\t').next() == Some(k.as_str()))
        })
        .collect();
    lines.sort();
    let codes = lint::check(&f, lint::LintOptions::default())
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect();
    (lines, codes)
}

/// An oracle line with its key path and name in lower case (`--fold-case`).
fn fold(line: &str) -> String {
    let mut p: Vec<String> = line.split('\t').map(str::to_string).collect();
    for f in p.iter_mut().take(2) {
        *f = f.to_lowercase();
    }
    p.join("\t")
}

/// The case's own key, as the oracle prints it with `--fold-case`.
fn own_key(c: &Case) -> String {
    format!(
        "hkey_local_machine\\software\\tlsregprobe\\{}",
        c.name.to_lowercase()
    )
}

/// Whether a folded oracle line is of `key` or a key below it.
fn below(line: &str, key: &str) -> bool {
    let path = line.split('\t').next().unwrap_or_default();
    path == key || path.strip_prefix(key).is_some_and(|r| r.starts_with('\\'))
}

/// What Wine's regedit imports from each case's file: the oracle's sorted lines.
///
/// A Wine session costs about a second to start and a fraction of one per file, so the
/// cases whose headers all name their own key (or keys below it) share sessions: imported
/// in order into one prefix, each case's lines are those below its own key. A session
/// whose output holds a line below no case's key (Wine read a header differently) is run
/// again one case at a time, as is every case with a header elsewhere.
fn wine(dir: &Path, cases: &[&Case]) -> Option<Vec<Vec<String>>> {
    let session = |batch: &[&Case]| -> Option<Vec<String>> {
        let paths: Vec<std::path::PathBuf> = batch
            .iter()
            .map(|c| dir.join(format!("{}.reg", c.name)))
            .collect();
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"--engine", &"wine", &"--lenient", &"--fold-case"];
        args.extend(paths.iter().map(|p| p as &dyn AsRef<std::ffi::OsStr>));
        util::run_oracle("reg2values.sh", &args).map(|o| util::lines(&o))
    };
    let sorted = |mut l: Vec<String>| {
        l.sort();
        l
    };
    if cases.len() > 1 {
        let all = session(cases)?;
        let keys: Vec<String> = cases.iter().map(|c| own_key(c)).collect();
        if all.iter().all(|l| keys.iter().any(|k| below(l, k))) {
            return Some(
                keys.iter()
                    .map(|k| sorted(all.iter().filter(|l| below(l, k)).cloned().collect()))
                    .collect(),
            );
        }
    }
    cases
        .iter()
        .map(|c| session(std::slice::from_ref(c)).map(sorted))
        .collect()
}

#[test]
fn tlsreg_reads_what_wine_regedit_reads_or_lint_says_so() {
    let dir = util::tempdir();
    let cases = cases();
    for c in &cases {
        std::fs::write(dir.path().join(format!("{}.reg", c.name)), &c.bytes).unwrap();
    }
    // Sessions: three shared ones for the cases that write only below their own key, one
    // for each other case; three at a time.
    let own = |c: &Case| {
        let text = parse(&c.bytes, ReadOptions::default()).text;
        header_keys(&text).iter().all(|k| below(k, &own_key(c)))
    };
    let mut sessions: Vec<Vec<usize>> = vec![Vec::new(); 3];
    for (i, c) in cases.iter().enumerate() {
        if own(c) {
            sessions[i % 3].push(i);
        } else {
            sessions.push(vec![i]);
        }
    }
    let results: Vec<(usize, Option<Vec<String>>)> = util::in_parallel(3, &sessions, |ids| {
        let batch: Vec<&Case> = ids.iter().map(|&i| &cases[i]).collect();
        match wine(dir.path(), &batch) {
            Some(lines) => ids
                .iter()
                .copied()
                .zip(lines.into_iter().map(Some))
                .collect(),
            None => ids.iter().map(|&i| (i, None)).collect::<Vec<_>>(),
        }
    })
    .into_iter()
    .flatten()
    .collect();
    eprintln!(
        "wine: {} cases in {} Wine sessions",
        cases.len(),
        sessions.iter().filter(|s| !s.is_empty()).count()
    );
    if results.iter().any(|(_, w)| w.is_none()) {
        return; // skipped (or failed, with TLSREG_REQUIRE_ORACLES=1) in run_oracle
    }
    let mut failures = Vec::new();
    for (i, w) in results {
        let c = &cases[i];
        let want = w.expect("checked above");
        let (got, codes) = tlsreg_lines(&c.bytes);
        if c.differs.is_empty() {
            if got != want {
                failures.push(format!(
                    "{}: tlsreg reads\n  {}\nWine reads\n  {}\n(lint: {codes:?})",
                    c.name,
                    got.join("\n  "),
                    want.join("\n  ")
                ));
            }
        } else {
            let missing: Vec<&&str> = c
                .differs
                .iter()
                .filter(|d| !codes.iter().any(|c| c == **d))
                .collect();
            if !missing.is_empty() {
                failures.push(format!(
                    "{}: lint reports {codes:?}, not {missing:?}; tlsreg reads\n  {}\nWine reads\n  {}",
                    c.name,
                    got.join("\n  "),
                    want.join("\n  ")
                ));
            }
        }
        // Whatever the case says: a difference in values is never silent.
        if got != want && codes.is_empty() {
            failures.push(format!(
                "{}: the values differ from Wine's and lint is silent",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
