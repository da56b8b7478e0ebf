//! `tlsreg schema profile` against Python's `jsonschema` (Draft202012Validator): the schema
//! is a valid 2020-12 schema; every profile tlsreg accepts (the built-ins, the fixtures in
//! `tests/fixtures/schema/valid`, the README's full example, what `show` and `import`
//! write) validates; profiles tlsreg refuses for their shape are refused; and over
//! thousands of generated spellings of names, numbers and list entries the schema and the
//! loader agree, read as 2020-12 and as draft-07 (what editors' validators read).

use crate::util::{self, jsonschema, run, stdout, tlsreg, yaml_to_json};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

fn schema() -> Value {
    tlsreg::schema::profile()
}

/// Loads a profile as `tlsreg` does (in `dir`, for `extends` of files); its diagnostics
/// rendered when it is refused.
fn load(label: &str, src: &str, dir: Option<&Path>) -> Result<(), tlsreg::diag::Diagnostics> {
    tlsreg::profile::load_with(label, src, dir, "p").map(|_| ())
}

/// Validates `(label, instance)` pairs; `None` after a SKIP.
fn validate(items: &[(String, Value)]) -> Option<Vec<Vec<String>>> {
    let instances: Vec<Value> = items.iter().map(|(_, v)| v.clone()).collect();
    let v = jsonschema(&schema(), &instances, false)?;
    assert_eq!(v.validator, "Draft202012Validator");
    Some(v.errors)
}

fn short(s: &str) -> String {
    if s.chars().count() > 300 {
        format!("{}...", s.chars().take(300).collect::<String>())
    } else {
        s.to_string()
    }
}

#[test]
fn the_schema_is_a_2020_12_schema_and_the_binary_prints_it() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["$id"], tlsreg::schema::PROFILE_ID);
    let o = run(tlsreg().args(["schema", "profile"]));
    assert_eq!(o.status.code(), Some(0));
    let printed = stdout(&o);
    assert!(printed.ends_with("}\n"));
    assert_eq!(serde_json::from_str::<Value>(&printed).unwrap(), s);
    // check_schema against the 2020-12 metaschema, and the validator $schema selects.
    let Some(v) = jsonschema(&s, &[], false) else {
        return;
    };
    assert_eq!(v.validator, "Draft202012Validator");
}

/// The README's Editor support paragraph: its command writes the schema, and its modeline
/// names that file.
#[test]
fn the_readme_editor_support_works_as_written() {
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    let cmd = "tlsreg schema profile > tlsreg-profile.schema.json";
    assert!(readme.contains(cmd), "README lacks `{cmd}`");
    assert!(readme.contains("# yaml-language-server: $schema=./tlsreg-profile.schema.json"));
    assert!(
        readme.contains(tlsreg::schema::PROFILE_ID),
        "README names the $id"
    );
    let d = util::tempdir();
    let o = util::sh(d.path(), cmd);
    assert_eq!(o.status.code(), Some(0), "{}", util::stderr(&o));
    let written = std::fs::read(d.path().join("tlsreg-profile.schema.json")).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&written).unwrap(), schema());
}

/// The README's full example, "with every field".
fn readme_example() -> String {
    util::readme_yaml_after("A full example, with every field:")
}

/// Every profile tlsreg accepts, with a label: the built-ins as files, the fixtures, the
/// README's full example, `show` of each built-in, `import` of every `.reg` fixture.
fn accepted_profiles() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut add = |label: String, src: &str, dir: Option<&Path>| {
        if let Err(d) = load(&label, src, dir) {
            panic!("tlsreg refuses {label}:\n{}", d.render(false));
        }
        out.push((label, yaml_to_json(src)));
    };
    for p in util::files_below(&util::root().join("profiles")) {
        add(
            p.display().to_string(),
            &std::fs::read_to_string(&p).unwrap(),
            None,
        );
    }
    let valid = util::root().join("tests/fixtures/schema/valid");
    let fixtures = util::files_below(&valid);
    assert!(fixtures.len() >= 5, "{fixtures:?}");
    for p in fixtures {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        add(name, &std::fs::read_to_string(&p).unwrap(), Some(&valid));
    }
    add("README full example".into(), &readme_example(), None);
    for name in util::builtins() {
        let l = tlsreg::profile::load(&tlsreg::profile::ProfileRef::Builtin(name.into())).unwrap();
        let shown = tlsreg::profile::show::to_yaml(&l.profile);
        add(format!("show {name}"), &shown, None);
    }
    let mut imported = 0;
    for dir in ["tests/fixtures/regfile", "tests/fixtures/lint"] {
        for p in util::files_below(&util::root().join(dir)) {
            if p.extension().and_then(|e| e.to_str()) != Some("reg") {
                continue;
            }
            let Ok(f) = tlsreg::regfile::read_file(&p, "windows-1252") else {
                continue;
            };
            let (profile, _) = tlsreg::import::import(&f, "imported", "imported.reg");
            let yaml = tlsreg::import::to_yaml(&profile, "imported.reg");
            add(format!("import {}", p.display()), &yaml, None);
            imported += 1;
        }
    }
    assert!(imported >= 20, "only {imported} .reg fixtures imported");
    out
}

#[test]
fn every_profile_tlsreg_accepts_is_valid() {
    let items = accepted_profiles();
    let Some(results) = validate(&items) else {
        return;
    };
    let bad: Vec<String> = items
        .iter()
        .zip(&results)
        .filter(|(_, e)| !e.is_empty())
        .map(|((label, _), e)| format!("{label}: {}", short(&e.join("; "))))
        .collect();
    assert!(bad.is_empty(), "the schema refuses:\n{}", bad.join("\n"));
}

/// Profiles tlsreg refuses for their shape, with the code it gives; the schema refuses
/// each too.
const REFUSED: &[(&str, &str)] = &[
    ("protocol:\n  TLS 1.2: enabled\n", "unknown-field"),
    ("key-exchanges:\n  PKCS: { min-key-bits: 2048 }\n", "unknown-field"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    value: {}\n", "unknown-field"),
    ("protocols: [TLS 1.2]\n", "wrong-type"),
    ("references: https://example.com/\n", "wrong-type"),
    ("- TLS 1.2\n", "wrong-type"),
    ("name: 42\n", "wrong-type"),
    ("dotnet:\n  strong-crypto: 1\n", "wrong-type"),
    ("target: {}\n", "wrong-type"),
    ("raw:\n  - values: {}\n", "wrong-type"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n", "wrong-type"),
    ("ciphers:\n  RC4 128/128: false\n", "invalid-state"),
    ("hashes:\n  MD5: off\n", "invalid-state"),
    ("protocols:\n  TLS 1.4: enabled\n", "unknown-name"),
    ("ciphers:\n  AES 128\u{2215}128: enabled\n", "unknown-name"),
    ("key-exchanges:\n  ECDH: { server-min-key-bits: 2048 }\n", "not-applicable"),
    ("schannel:\n  event-logging: 8\n", "out-of-range"),
    ("key-exchanges:\n  DH: { server-min-key-bits: 256 }\n", "out-of-range"),
    ("target: windows-95\n", "out-of-range"),
    ("target: { min-build: 2000 }\n", "out-of-range"),
    ("cipher-suites: [ECDHE-RSA-AES128-GCM-SHA256]\n", "invalid-list"),
    ("ecc-curves: []\n", "invalid-list"),
    ("ecc-curves: [\"NistP256 \"]\n", "invalid-list"),
    ("dotnet:\n  versions: [v3.5]\n", "invalid-list"),
    ("winhttp:\n  default-secure-protocols: [DTLS 1.2]\n", "invalid-list"),
    ("winhttp:\n  views: [x86]\n", "invalid-list"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: dword, data: \"1\" }\n", "invalid-data"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: string, data: x }\n", "invalid-data"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: binary, data: \"+f+e\" }\n", "invalid-data"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      A: { type: multi-sz, data: [a, \"\"] }\n", "invalid-data"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    values:\n      \"a\\nb\": { type: sz, data: x }\n", "invalid-value-name"),
    ("raw:\n  - key: HKXX\\SOFTWARE\\X\n    delete-key: true\n", "invalid-key"),
    ("extends: /etc/shadow\n", "extends-not-a-profile"),
];

#[test]
fn profiles_refused_for_their_shape_are_invalid() {
    let d = util::tempdir();
    let mut items = Vec::new();
    for (src, code) in REFUSED {
        match load("p.yaml", src, Some(d.path())) {
            Ok(()) => panic!("tlsreg accepts {src:?}"),
            Err(diags) => assert!(
                diags.errors().any(|e| e.code.as_str() == *code),
                "{src:?}: not {code}:\n{}",
                diags.render(false)
            ),
        }
        items.push((src.to_string(), yaml_to_json(src)));
    }
    let Some(results) = validate(&items) else {
        return;
    };
    for ((src, _), errors) in items.iter().zip(&results) {
        assert!(!errors.is_empty(), "the schema accepts {src:?}");
    }
}

/// What only the loader can judge (it needs the whole profile, or the files), with the code
/// it gives: the schema accepts each, as the README says.
const LOADER_ONLY: &[(&str, &str)] = &[
    ("protocols:\n  TLS 1.2: enabled\n  tls1.2: disabled\n", "duplicate-name"),
    ("cipher-suites: [TLS_AES_128_GCM_SHA256, tls_aes_128_gcm_sha256]\n", "invalid-list"),
    ("target: { min-build: 9600, max-build: 7601 }\n", "out-of-range"),
    ("raw:\n  - key: HKLM\\SOFTWARE\n    delete-key: true\n", "invalid-key"),
    ("raw:\n  - key: HKLM\\SOFTWARE\\X\n    delete-key: true\n    values:\n      A: { type: sz, data: x }\n", "deleted-key-written"),
    ("extends: [missing.yaml]\n", "extends-not-found"),
];

#[test]
fn what_only_the_loader_judges_is_left_to_it() {
    let d = util::tempdir();
    let mut items = Vec::new();
    for (src, code) in LOADER_ONLY {
        match load("p.yaml", src, Some(d.path())) {
            Ok(()) => panic!("tlsreg accepts {src:?}"),
            Err(diags) => assert!(
                diags.errors().any(|e| e.code.as_str() == *code),
                "{src:?}: not {code}:\n{}",
                diags.render(false)
            ),
        }
        items.push((src.to_string(), yaml_to_json(src)));
    }
    let Some(results) = validate(&items) else {
        return;
    };
    for ((src, _), errors) in items.iter().zip(&results) {
        assert!(errors.is_empty(), "the schema refuses {src:?}: {errors:?}");
    }
}

/// Every field the schema names (`*` for catalogue names; list items, where a field takes
/// one value or a list of them, do not count) is in the README's full example, which tlsreg
/// accepts and the schema validates: so no field of the schema is one tlsreg refuses, and
/// the example keeps showing every field.
#[test]
fn the_readme_example_has_every_field_of_the_schema() {
    let s = schema();
    let mut fields = BTreeSet::new();
    schema_fields(&s, &s, &[], &mut fields);
    let mut have = BTreeSet::new();
    instance_paths(&yaml_to_json(&readme_example()), &[], &mut have);
    let missing: Vec<String> = fields
        .iter()
        .filter(|f| !have.iter().any(|h| same_path(f, h)))
        .map(|f| f.join("."))
        .collect();
    assert!(
        missing.is_empty(),
        "fields of the schema not in the README example: {missing:?}"
    );
    assert!(fields.len() > 40, "{fields:?}");
}

type Paths = BTreeSet<Vec<String>>;

fn same_path(schema_path: &[String], instance_path: &[String]) -> bool {
    schema_path.len() == instance_path.len()
        && schema_path
            .iter()
            .zip(instance_path)
            .all(|(x, y)| x == "*" || x == y)
}

fn with(at: &[String], seg: &str) -> Vec<String> {
    let mut v = at.to_vec();
    v.push(seg.to_string());
    v
}

fn schema_fields(root: &Value, node: &Value, at: &[String], out: &mut Paths) {
    let Some(m) = node.as_object() else {
        return;
    };
    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(root, |v, seg| &v[seg]);
        schema_fields(root, target, at, out);
    }
    for k in ["anyOf", "allOf"] {
        for s in m.get(k).and_then(Value::as_array).into_iter().flatten() {
            schema_fields(root, s, at, out);
        }
    }
    for k in ["then", "items"] {
        if let Some(s) = m.get(k) {
            schema_fields(root, s, at, out);
        }
    }
    if let Some(s) = m.get("additionalProperties").filter(|s| s.is_object()) {
        schema_fields(root, s, &with(at, "*"), out);
    }
    // A map of catalogue names: its keys are names, not fields.
    let names = m.contains_key("patternProperties");
    for (k, s) in m
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let p = with(at, if names { "*" } else { k });
        out.insert(p.clone());
        schema_fields(root, s, &p, out);
    }
}

fn instance_paths(v: &Value, at: &[String], out: &mut Paths) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.insert(with(at, k));
                instance_paths(x, &with(at, k), out);
            }
        }
        Value::Array(a) => {
            for x in a {
                instance_paths(x, at, out);
            }
        }
        _ => {}
    }
}

// --- The schema and the loader agree, over generated spellings ---

/// xorshift64*: the same cases every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SEPARATORS: [char; 4] = [' ', '\t', '-', '_'];

/// `s` as someone might type it: any case (the Kelvin sign for a k now and then),
/// separators dropped or added.
fn respell(r: &mut Rng, s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if r.chance(15) {
            out.push(SEPARATORS[r.below(4)]);
        }
        if SEPARATORS.contains(&c) && r.chance(50) {
            continue;
        }
        let c = if r.chance(50) {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        };
        out.push(if c.eq_ignore_ascii_case(&'k') && r.chance(30) {
            '\u{212a}'
        } else {
            c
        });
    }
    if r.chance(15) {
        out.push(SEPARATORS[r.below(4)]);
    }
    out
}

/// Characters near-misses are made of: look-alikes, separators the loader does not drop,
/// characters whose lower case is not one ASCII letter, line ends.
const POOL: &[char] = &[
    'x', 'v', 'V', '1', '3', '0', '.', '/', '\\', ',', '-', ' ', '\u{2215}', '\u{130}', '\u{17f}',
    '\u{2028}', '\u{a0}', '\u{85}', '\u{feff}', '\n', '\r', '\u{212a}', 'K',
];

/// `s` with one small change, which may or may not keep it a name the loader knows.
fn mutate(r: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let at = r.below(chars.len() + 1);
    match r.below(4) {
        0 if !chars.is_empty() => {
            chars.remove(at.min(chars.len() - 1));
        }
        1 if !chars.is_empty() => {
            let i = at.min(chars.len() - 1);
            chars[i] = POOL[r.below(POOL.len())];
        }
        _ => chars.insert(at, POOL[r.below(POOL.len())]),
    }
    chars.into_iter().collect()
}

/// Spellings of `names` for one kind: respelled ones and near-misses of each.
fn spellings(r: &mut Rng, names: &[&str], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        out.push(name.to_string());
        for _ in 0..n {
            out.push(respell(r, name));
            let base = respell(r, name);
            out.push(mutate(r, &base));
        }
    }
    out
}

/// JSON text with every non-ASCII character escaped, so YAML (which reads JSON) and
/// Python read the very same strings (YAML would fold a raw U+2028 in a quoted scalar).
fn ascii_json(v: &Value) -> String {
    let mut out = String::new();
    for c in serde_json::to_string(v).unwrap().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Generated profiles, each differing from a valid one in one place.
fn generated() -> Vec<Value> {
    use tlsreg::catalog::{self, NameKind};
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    let names = |k: NameKind| -> Vec<&'static str> {
        k.entries()
            .into_iter()
            .flat_map(|(n, a)| std::iter::once(n).chain(a.iter().copied()))
            .collect()
    };
    for s in spellings(&mut r, &names(NameKind::Protocol), 12) {
        out.push(json!({ "protocols": { &s: "enabled" } }));
        out.push(json!({ "winhttp": { "default-secure-protocols": [&s] } }));
    }
    for s in spellings(&mut r, &names(NameKind::Cipher), 8) {
        out.push(json!({ "ciphers": { s: "disabled" } }));
    }
    for s in spellings(&mut r, &names(NameKind::Hash), 12) {
        out.push(json!({ "hashes": { s: "enabled" } }));
    }
    for s in spellings(&mut r, &names(NameKind::KeyExchange), 16) {
        out.push(json!({ "key-exchanges": { &s: { "state": "enabled" } } }));
        // Which key sizes an algorithm has goes with its name in every spelling.
        for bits in ["server-min-key-bits", "client-max-key-bits"] {
            out.push(json!({ "key-exchanges": { &s: { bits: 2048 } } }));
        }
    }
    for s in [
        "enabled",
        "disabled",
        "os-default",
        "Enabled",
        "on",
        "true",
        "",
    ] {
        out.push(json!({ "protocols": { "TLS 1.2": s } }));
        out.push(json!({ "protocols": { "TLS 1.2": { "client": s } } }));
        out.push(json!({ "key-exchanges": { "ECDH": s } }));
    }
    // Raw value types, with data for the intended type (now and then another's).
    let data = |t: &str| -> Value {
        match t {
            "sz" | "expand-sz" => json!("x"),
            "multi-sz" => json!(["x"]),
            "dword" | "qword" => json!(1),
            "binary" => json!("de ad"),
            _ => json!([1]),
        }
    };
    let types = tlsreg::profile::decode::RAW_TYPES;
    for t in types {
        let with_reg = [t.to_string(), format!("REG_{t}")];
        for s in spellings(&mut r, &[&with_reg[0], &with_reg[1]], 8) {
            let d = if r.chance(20) {
                data(types[r.below(types.len())])
            } else {
                data(t)
            };
            out.push(json!({ "raw": [{ "key": "HKLM\\SOFTWARE\\T", "values": { "v": { "type": s, "data": d } } }] }));
        }
    }
    let raw = |t: &str, d: Value| json!({ "raw": [{ "key": "HKLM\\SOFTWARE\\T", "values": { "v": { "type": t, "data": d } } }] });
    for d in [
        json!(-1),
        json!(0),
        json!(u32::MAX),
        json!(u64::from(u32::MAX) + 1),
        json!("1"),
    ] {
        out.push(raw("dword", d));
    }
    for d in [json!(u64::MAX), json!(-1), json!(1.5)] {
        out.push(raw("qword", d));
    }
    for d in [
        "de ad", "dead", "d", "+f+e", "0x12", "de,ad,", " \t\n\r", "DE AD", "de:ad", "dé", "",
    ] {
        out.push(raw("binary", json!(d)));
        out.push(raw("none", json!(d)));
    }
    for d in [
        json!([0, 255]),
        json!([256]),
        json!([-1]),
        json!(["1"]),
        json!([]),
    ] {
        out.push(raw("binary", d));
    }
    for d in [json!("a\u{0}b"), json!("a"), json!(1)] {
        out.push(raw("sz", d.clone()));
        out.push(raw("expand-sz", d));
    }
    for d in [json!(["a", ""]), json!(["a\u{0}"]), json!([]), json!("a")] {
        out.push(raw("multi-sz", d));
    }
    for k in [
        "HKLM\\SOFTWARE\\T",
        "hkey_local_machine\\X",
        "HKLM",
        "HKLM\\",
        "HKLM\\\\X",
        "HKXX\\X",
        "\\HKLM\\X",
        " HKLM\\X",
        "HKLM\\X\\",
        "HKLM\\ X",
        "HKLM\\X \\Y",
        "HKLM\\X Y\\Z",
        "HKLM\\X\u{1}Y",
        "HKLM\\X\u{a0}",
        "HKLM\\\u{feff}X",
        "HKLM\\X/Y\u{2215}Z",
    ] {
        out.push(json!({ "raw": [{ "key": k, "delete-key": false }] }));
    }
    // Release and build names: compared without ASCII case, nothing else.
    let ranges: Vec<String> = catalog::NAMED_RANGES
        .iter()
        .flat_map(|(n, _, _)| [n.to_string(), format!("{n}+")])
        .collect();
    let ranges: Vec<&str> = ranges.iter().map(String::as_str).collect();
    for s in spellings(&mut r, &ranges, 2) {
        out.push(json!({ "target": s }));
    }
    let builds: Vec<&str> = catalog::NAMED_BUILDS.iter().map(|(n, _)| *n).collect();
    for s in spellings(&mut r, &builds, 2) {
        out.push(json!({ "target": { "max-build": s } }));
    }
    for n in [
        json!(-1),
        json!(0),
        json!(2194),
        json!(2195),
        json!(99_999),
        json!(100_000),
    ] {
        out.push(json!({ "target": { "min-build": n } }));
    }
    // Numbers at the edges of every range.
    for i in catalog::ScalarRef::all() {
        let sc = i.entry();
        let vals: Vec<Value> = match sc.domain {
            catalog::Domain::Bool => {
                vec![json!(true), json!(1), json!("true"), json!("os-default")]
            }
            catalog::Domain::Range(lo, hi) => vec![
                json!(i64::from(lo) - 1),
                json!(lo),
                json!(hi),
                json!(u64::from(hi) + 1),
                json!("os-default"),
                json!(false),
            ],
        };
        for v in vals {
            out.push(json!({ "schannel": { sc.field: v } }));
        }
    }
    for b in [511, 512, 16_384, 16_385] {
        out.push(json!({ "key-exchanges": { "PKCS": { "client-min-key-bits": b } } }));
    }
    // List entries: the names tlsreg knows in other cases (a warning at most), and
    // near-misses (spaces, commas, controls, OpenSSL's -).
    let suites: Vec<&str> = catalog::suites::CIPHER_SUITES.to_vec();
    for s in spellings(&mut r, &suites[..12], 2) {
        out.push(json!({ "cipher-suites": [s] }));
    }
    for s in spellings(&mut r, catalog::suites::ECC_CURVES, 4) {
        out.push(json!({ "ecc-curves": [s] }));
    }
    // (["A", "a"] is a duplicate to the loader only: see LOADER_ONLY.)
    for l in [
        json!([]),
        json!("os-default"),
        json!(["A", "A"]),
        json!([1]),
    ] {
        out.push(json!({ "cipher-suites": l.clone() }));
        out.push(json!({ "ecc-curves": l }));
    }
    for n in ["", "a\nb", "a\rb", "a\u{0}b", "\u{2028}"] {
        out.push(json!({ "raw": [{ "key": "HKLM\\X", "values": { n: "delete" } }] }));
    }
    for v in [
        "v4.0.30319",
        "v4",
        "4",
        "v2.0.50727",
        "v2",
        "2",
        "V4",
        "v3.5",
        "4.0",
    ] {
        out.push(json!({ "dotnet": { "versions": [v] } }));
    }
    out
}

/// Over generated profiles, the schema (read as 2020-12 and as draft-07) says valid
/// exactly when the loader accepts.
#[test]
fn the_schema_and_the_loader_agree() {
    let cases = generated();
    let srcs: Vec<String> = cases.iter().map(ascii_json).collect();
    // What YAML reads from the text is what Python reads from it.
    for (src, v) in srcs.iter().zip(&cases) {
        assert_eq!(&yaml_to_json(src), v, "{src}");
    }
    let verdicts: Vec<Result<(), String>> = srcs
        .iter()
        .map(|s| load("p.yaml", s, None).map_err(|d| d.render(false)))
        .collect();
    let accepted = verdicts.iter().filter(|v| v.is_ok()).count();
    assert!(
        accepted > 500 && cases.len() - accepted > 500,
        "{accepted} of {} accepted: too one-sided to compare",
        cases.len()
    );
    for draft7 in [false, true] {
        let Some(v) = jsonschema(&schema(), &cases, draft7) else {
            return;
        };
        let mut disagree = Vec::new();
        for ((src, verdict), errors) in srcs.iter().zip(&verdicts).zip(&v.errors) {
            match (verdict, errors.is_empty()) {
                (Ok(()), false) => disagree.push(format!(
                    "tlsreg accepts, {} refuses: {src}\n  {}",
                    v.validator,
                    short(&errors.join("; "))
                )),
                (Err(d), true) => disagree.push(format!(
                    "tlsreg refuses, {} accepts: {src}\n  {}",
                    v.validator,
                    short(d)
                )),
                _ => {}
            }
        }
        assert!(
            disagree.is_empty(),
            "{} of {} disagree:\n{}",
            disagree.len(),
            cases.len(),
            disagree
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// `tlsreg schema report` is a valid 2020-12 schema, the binary prints the library's, and
/// it is strict: each kind of document the commands write is valid, and the same document
/// with a field added, a field missing or a value outside its enum is not. (Every report the
/// other tests produce is validated against it too: `util::check_report`, called by
/// `util::run`.)
#[test]
fn the_report_schema_is_strict_and_every_kind_of_report_follows_it() {
    let schema = tlsreg::schema::report();
    let o = run(tlsreg().args(["schema", "report"]));
    assert_eq!(o.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, schema);
    let d = util::tempdir();
    let hive = util::root().join("tests/fixtures/audit/ffffffff-system.hive");
    let reg = util::root().join("tests/fixtures/lint/clean.reg");
    let outputs = [
        tlsreg()
            .args([
                "audit",
                "-p",
                "enable-tls12",
                "--format",
                "json",
                "--system",
            ])
            .arg(&hive)
            .output(),
        tlsreg()
            .args([
                "audit",
                "-p",
                "enable-tls12",
                "--format",
                "jsonl",
                "--system",
            ])
            .arg(&hive)
            .output(),
        tlsreg()
            .args([
                "audit",
                "-p",
                "enable-tls12",
                "--format",
                "json",
                "--system",
            ])
            .arg(d.path().join("missing"))
            .output(),
        tlsreg()
            .args(["compile", "strict", "--report", "json", "-o"])
            .arg(d.path())
            .output(),
        tlsreg()
            .args(["lint", "--format", "json"])
            .arg(&reg)
            .arg(d.path().join("missing.reg"))
            .output(),
        tlsreg()
            .args(["diff", "strict", "best-practices", "--format", "json"])
            .output(),
    ];
    let docs: Vec<Value> = outputs
        .iter()
        .map(|o| {
            // One document each; JSON Lines of one image is one line.
            let text = String::from_utf8(o.as_ref().unwrap().stdout.clone()).unwrap();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        })
        .collect();
    let mut bad = Vec::new();
    for doc in &docs {
        let mut extra = doc.clone();
        extra["unexpected"] = Value::from(1);
        bad.push(extra);
        let mut missing = doc.clone();
        missing.as_object_mut().unwrap().remove("command");
        bad.push(missing);
        let mut version = doc.clone();
        version["schema_version"] = Value::from(1);
        bad.push(version);
    }
    // Deeper: a finding with an unknown code, a record with both a report and an error.
    let mut code = docs[0].clone();
    code["images"][0]["report"]["findings"][0]["code"] = "no-such-code".into();
    bad.push(code);
    let mut both = docs[1].clone();
    both["error"] = "and an error".into();
    bad.push(both);
    let all: Vec<(String, Value)> = docs
        .iter()
        .chain(&bad)
        .enumerate()
        .map(|(i, d)| (format!("doc {i}"), d.clone()))
        .collect();
    let instances: Vec<Value> = all.iter().map(|(_, d)| d.clone()).collect();
    let Some(v) = jsonschema(&schema, &instances, false) else {
        return;
    };
    assert_eq!(v.validator, "Draft202012Validator");
    for (i, errors) in v.errors.iter().enumerate() {
        if i < docs.len() {
            assert!(errors.is_empty(), "{}: {errors:?}\n{}", all[i].0, all[i].1);
        } else {
            assert!(
                !errors.is_empty(),
                "{} should be invalid:\n{}",
                all[i].0,
                all[i].1
            );
        }
    }
}
