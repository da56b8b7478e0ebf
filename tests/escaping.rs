//! Every profile field that carries free text (name, description, references, cipher-suite
//! and curve names, raw key paths, value names, string, expandable-string and multi-string
//! data) filled with hostile text: quotes of every kind, `$()`, backticks, `;`, `#`, `[`,
//! `]`, `=`, `@`, backslashes, CR, LF, NUL, line and paragraph separators, a BOM, non-ASCII.
//! The profile is either refused with `file:line:col` diagnostics, or every output carries
//! the text exactly: the `.reg` as read by hivex and by our own reader, the PowerShell
//! script's calls as its syntax tree has them, the `Registry.pol` as Samba reads it, the
//! Group Policy Preferences XML as Python's parser reads it, and the `show` YAML loaded
//! back.

use crate::oracle::expected;
use crate::util;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_yaml::{Mapping, Value};
use std::cell::{Cell, RefCell};
use tlsreg::memreg::MemRegistry;

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('A', 'Z'),
        1 => proptest::char::range('0', '9'),
        5 => proptest::sample::select(vec![
            '\'', '"', '`', '$', '(', ')', '{', '}', ';', '#', '@', '[', ']', '=', '\\', '%',
            '&', '|', '<', '>', ',', ' ', '\t', '\r', '\n', '\0', '\u{7f}', '\u{1b}', '\u{85}',
            '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}', '\u{201C}', '\u{201D}', '\u{2028}',
            '\u{2029}', '\u{feff}', '\u{2215}', 'ä', '€', '日', '😀',
        ]),
    ]
}

fn hostile(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(hostile_char(), len).prop_map(|cs| cs.into_iter().collect())
}

/// Text for names: mostly without the white space, commas and control characters that
/// names may not hold (so most profiles compile), sometimes fully hostile (so the refusals
/// are exercised too).
fn name_text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => hostile(len.clone()).prop_map(|s| s
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control() && *c != ',')
            .collect::<String>())
            .prop_filter("not empty", |s| !s.is_empty()),
        1 => hostile(len),
    ]
}

/// One `raw` entry: a key below `HKLM\SOFTWARE\tlsreg-test` with hostile components and
/// hostile value names and data, or a key deletion.
fn raw_entry() -> impl Strategy<Value = Value> {
    let data = prop_oneof![
        hostile(0..24).prop_map(|s| ("sz", Value::String(s))),
        hostile(0..24).prop_map(|s| ("expand-sz", Value::String(s))),
        proptest::collection::vec(hostile(1..12), 0..4).prop_map(|v| (
            "multi-sz",
            Value::Sequence(v.into_iter().map(Value::String).collect())
        )),
        any::<u32>().prop_map(|n| ("dword", Value::Number(n.into()))),
    ];
    let value = prop_oneof![
        6 => data.prop_map(|(t, d)| {
            let mut m = Mapping::new();
            m.insert("type".into(), t.into());
            m.insert("data".into(), d);
            Value::Mapping(m)
        }),
        1 => Just(Value::String("delete".into())),
    ];
    (
        proptest::collection::vec(name_text(1..10), 1..3),
        proptest::collection::vec((name_text(1..12), value), 0..4),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(components, values, delete_key)| {
            let mut m = Mapping::new();
            m.insert(
                "key".into(),
                format!(r"HKLM\SOFTWARE\tlsreg-test\{}", components.join("\\")).into(),
            );
            if delete_key {
                m.insert("delete-key".into(), true.into());
            } else {
                let mut vs = Mapping::new();
                for (n, v) in values {
                    vs.insert(Value::String(n), v);
                }
                m.insert("values".into(), Value::Mapping(vs));
            }
            Value::Mapping(m)
        })
}

/// A whole profile with every free-text field filled.
fn profile_yaml() -> impl Strategy<Value = String> {
    let names = || proptest::collection::vec(name_text(1..16), 1..4);
    (
        hostile(1..20),
        hostile(0..40),
        proptest::collection::vec(hostile(1..30), 0..3),
        proptest::option::of(names()),
        proptest::option::of(names()),
        proptest::collection::vec(raw_entry(), 0..3),
    )
        .prop_map(|(name, description, references, suites, curves, raw)| {
            let mut m = Mapping::new();
            m.insert("name".into(), name.into());
            m.insert("description".into(), description.into());
            m.insert(
                "references".into(),
                Value::Sequence(references.into_iter().map(Value::String).collect()),
            );
            if let Some(s) = suites {
                m.insert(
                    "cipher-suites".into(),
                    Value::Sequence(s.into_iter().map(Value::String).collect()),
                );
            }
            if let Some(c) = curves {
                m.insert(
                    "ecc-curves".into(),
                    Value::Sequence(c.into_iter().map(Value::String).collect()),
                );
            }
            m.insert("raw".into(), Value::Sequence(raw));
            serde_yaml::to_string(&Value::Mapping(m)).expect("YAML")
        })
}

/// The single-quoted PowerShell literal on the `$script:ProfileName` line, undone: outer
/// quotes off, every doubled quote (any of PowerShell's five single quotes) single again.
/// A lone quote inside means the literal ended early: the test fails.
fn profile_name_in(script: &str) -> Result<String, TestCaseError> {
    const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];
    let line = script
        .split("\r\n")
        .find_map(|l| l.strip_prefix("$script:ProfileName = "))
        .ok_or_else(|| TestCaseError::fail("no $script:ProfileName line"))?;
    let inner = line
        .strip_prefix('\'')
        .and_then(|l| l.strip_suffix('\''))
        .ok_or_else(|| TestCaseError::fail(format!("not one literal: {line}")))?;
    let mut out = String::new();
    let mut cs = inner.chars().peekable();
    while let Some(c) = cs.next() {
        if QUOTES.contains(&c) {
            match cs.next() {
                Some(d) if QUOTES.contains(&d) => out.push(c),
                _ => return Err(TestCaseError::fail(format!("lone quote in {line}"))),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// One generated profile through every output. `Ok(true)` when it compiled, `Ok(false)`
/// when it was refused with diagnostics.
fn check(
    yaml: &str,
    pols: &RefCell<Vec<PolCase>>,
    gpps: &RefCell<Vec<PolCase>>,
    scripts: &RefCell<Vec<(Vec<u8>, String)>>,
    playbooks: &RefCell<Vec<Pending>>,
) -> Result<bool, TestCaseError> {
    let loaded = match tlsreg::profile::load_with("p.yaml", yaml, None, "p") {
        Ok(l) => l,
        Err(diags) => {
            prop_assert!(!diags.0.is_empty());
            for d in &diags.0 {
                prop_assert!(
                    tlsreg::diag::CODES.iter().any(|(c, _, _)| *c == d.code),
                    "{}",
                    d.code
                );
                prop_assert!(d.line > 0 && d.col > 0, "no place: {}", d.render(false));
                let place = format!("p.yaml:{}:{}", d.line, d.col);
                prop_assert!(d.render(false).contains(&place), "{}", d.render(false));
            }
            return Ok(false);
        }
    };
    let profile = &loaded.profile;
    let plan = profile.plan();
    let want = expected(&[&plan]);

    // .reg: our reader and hivex's both find exactly the plan's values.
    let outs = tlsreg::compile::reg_outputs("p", profile, Default::default())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let dir = util::tempdir();
    let (mut ours, mut hivex, mut oracle_ran) = (MemRegistry::new(), Vec::new(), false);
    for o in &outs {
        prop_assert!(
            o.bytes.starts_with(&[0xFF, 0xFE]),
            "{} has no BOM",
            o.file_name
        );
        let file = tlsreg::regfile::parse(&o.bytes, Default::default());
        prop_assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
        file.apply(&mut ours);
        let path = dir.path().join(&o.file_name);
        std::fs::write(&path, &o.bytes).unwrap();
        if let Some(got) = util::run_oracle("reg2values.sh", &[&path]) {
            hivex.extend(util::lines(&got));
            oracle_ran = true;
        }
    }
    prop_assert_eq!(&ours.value_lines(), &want);
    if oracle_ran {
        hivex.sort();
        let mut w = want.clone();
        w.sort();
        prop_assert_eq!(hivex, w);
    }

    // Registry.pol: refused exactly when the format cannot carry the plan; else Samba's
    // parser must read the plan's values (checked for all cases at once, below).
    match tlsreg::compile::pol_outputs("p", profile, false) {
        Err(e) => prop_assert!(
            crate::pol::cannot_carry(&plan).is_some(),
            "Registry.pol refused a plan it can carry: {e}"
        ),
        Ok(o) => {
            prop_assert_eq!(crate::pol::cannot_carry(&plan), None);
            pols.borrow_mut().push(PolCase {
                bytes: o[0].bytes.clone(),
                want: want.clone(),
                yaml: yaml.to_string(),
            });
        }
    }

    // Group Policy Preferences: refused exactly when the format cannot carry the plan; else
    // Python's XML parser, through the checker, must read the plan's values (all cases at
    // once, below).
    let gpp = tlsreg::compile::Formats {
        gpp: true,
        ..Default::default()
    };
    match tlsreg::compile::outputs("p", profile, Default::default(), gpp) {
        Err(e) => prop_assert!(
            matches!(e, tlsreg::compile::CompileError::Gpp(_))
                && crate::gpp::cannot_carry(&plan).is_some(),
            "the Registry.xml was refused for a plan it can carry: {e}"
        ),
        Ok(c) => {
            prop_assert_eq!(crate::gpp::cannot_carry(&plan), None);
            prop_assert_eq!(c.outputs.len(), 1);
            gpps.borrow_mut().push(PolCase {
                bytes: c.outputs[0].bytes.clone(),
                want: want.clone(),
                yaml: yaml.to_string(),
            });
        }
    }

    // PowerShell: refused for NUL in text, else every call is literal and equals the plan.
    let has_nul = !crate::powershell::without_nul(&plan);
    match tlsreg::compile::ps1_output("p", profile, false) {
        Err(e) => prop_assert!(has_nul, "refused without a NUL: {e}"),
        Ok(out) => {
            prop_assert!(!has_nul, "a NUL reached PowerShell");
            let calls = crate::powershell::calls(&out.bytes);
            let ops: Vec<_> = calls.iter().map(crate::powershell::to_op).collect();
            prop_assert_eq!(&ops, &plan.ops);
            let text = String::from_utf8(out.bytes.clone()).expect("UTF-8");
            let shown: String = profile
                .name
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            prop_assert_eq!(profile_name_in(&text)?, shown);
            scripts.borrow_mut().push((out.bytes, yaml.to_string()));
        }
    }

    // The Ansible playbook: refused for NUL in text; else ASCII, and Ansible (which would
    // template any text not `!unsafe`) must replay it to the plan's values (all cases in
    // one run, below).
    let info = tlsreg::emit::ansible::PlaybookInfo {
        profile: profile.name.clone(),
        revert: false,
    };
    match tlsreg::emit::ansible::to_ansible(&plan, &info) {
        Err(e) => prop_assert!(has_nul, "the playbook was refused without a NUL: {e}"),
        Ok(bytes) => {
            prop_assert!(!has_nul, "a NUL reached the playbook");
            prop_assert!(bytes.is_ascii());
            playbooks
                .borrow_mut()
                .push((bytes, want.clone(), yaml.to_string()));
        }
    }

    // The Intune pair: ASCII, and the calls of each are the plan (both are refused for
    // NUL in text, like the script).
    match tlsreg::compile::outputs(
        "p",
        profile,
        Default::default(),
        tlsreg::compile::Formats {
            intune: true,
            ..Default::default()
        },
    ) {
        Err(e) => prop_assert!(
            has_nul,
            "the Intune scripts were refused without a NUL: {e}"
        ),
        Ok(c) => {
            prop_assert_eq!(c.outputs.len(), 2);
            for o in c.outputs {
                prop_assert!(o.bytes.is_ascii(), "{} is not ASCII", o.file_name);
                let ops: Vec<_> = crate::powershell::calls(&o.bytes)
                    .iter()
                    .map(crate::powershell::to_op)
                    .collect();
                prop_assert_eq!(&ops, &plan.ops, "{}", o.file_name);
                scripts.borrow_mut().push((o.bytes, yaml.to_string()));
            }
        }
    }

    // show: the YAML it prints loads back to the same plan.
    let shown = tlsreg::profile::show::to_yaml(profile);
    let again = tlsreg::profile::load_with("shown.yaml", &shown, None, "p")
        .map_err(|d| TestCaseError::fail(format!("{shown}\n{}", d.render(false))))?;
    prop_assert_eq!(again.profile.plan().ops, plan.ops);
    Ok(true)
}

/// A playbook, the values it must leave, and the profile it came from, for one Ansible run
/// over every case.
type Pending = (Vec<u8>, Vec<String>, String);

/// A profile's `Registry.pol` (or Registry.xml) and the values it must leave, for one run
/// of Samba's parser (or of the XML checker) over every case.
struct PolCase {
    bytes: Vec<u8>,
    want: Vec<String>,
    yaml: String,
}

/// Hostile text in every free-text field: escaped exactly in every output, or refused.
/// Both outcomes must occur often, or the generator tests nothing.
#[test]
fn hostile_text_in_every_profile_field_is_escaped_or_refused() {
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let (compiled, refused) = (Cell::new(0), Cell::new(0));
    let pols = RefCell::new(Vec::new());
    let gpps = RefCell::new(Vec::new());
    let scripts = RefCell::new(Vec::new());
    let playbooks = RefCell::new(Vec::new());
    runner
        .run(&profile_yaml(), |yaml| {
            match check(&yaml, &pols, &gpps, &scripts, &playbooks) {
                Ok(true) => compiled.set(compiled.get() + 1),
                Ok(false) => refused.set(refused.get() + 1),
                Err(e) => return Err(TestCaseError::fail(format!("{e}\n--- profile ---\n{yaml}"))),
            }
            Ok(())
        })
        .unwrap();
    // Every script of every case through the PowerShell grammar, in one run.
    let dir = util::tempdir();
    let scripts = scripts.into_inner();
    let paths: Vec<std::path::PathBuf> = scripts
        .iter()
        .enumerate()
        .map(|(i, (bytes, _))| {
            let f = dir.path().join(format!("{i}.ps1"));
            std::fs::write(&f, bytes).unwrap();
            f
        })
        .collect();
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--quiet"];
    args.extend(paths.iter().map(|p| p as &dyn AsRef<std::ffi::OsStr>));
    if let Some(o) = util::run_oracle("ps1check.py", &args) {
        let culprit = paths
            .iter()
            .position(|p| o.contains(&*p.to_string_lossy()))
            .map(|i| scripts[i].1.as_str());
        assert_eq!(
            o.trim(),
            "",
            "the grammar finds errors; profile:\n{culprit:?}"
        );
    }
    // Every playbook through Ansible, in one run.
    let playbooks = playbooks.into_inner();
    let runs: Vec<String> = playbooks
        .iter()
        .enumerate()
        .map(|(i, (bytes, _, _))| {
            let f = dir.path().join(format!("{i}.yml"));
            std::fs::write(&f, bytes).unwrap();
            format!("{}@1", f.display())
        })
        .collect();
    if let Some(got) = crate::ansible::replay(&runs, true) {
        for (g, (_, want, yaml)) in got.iter().zip(&playbooks) {
            assert_eq!(g, want, "Ansible replays another registry from\n{yaml}");
        }
    }
    let pols = pols.into_inner();
    let files: Vec<std::path::PathBuf> = pols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let f = dir.path().join(format!("{i}.pol"));
            std::fs::write(&f, &c.bytes).unwrap();
            f
        })
        .collect();
    if !files.is_empty() {
        let args: Vec<&dyn AsRef<std::ffi::OsStr>> = files
            .iter()
            .map(|f| f as &dyn AsRef<std::ffi::OsStr>)
            .collect();
        if let Some(each) = crate::pol::pol2values_each(&args) {
            assert_eq!(each.len(), pols.len());
            for (got, c) in each.iter().zip(&pols) {
                assert_eq!(got, &c.want, "Samba read another registry from\n{}", c.yaml);
            }
        }
    }
    let gpps = gpps.into_inner();
    let cases: Vec<(Option<u32>, Vec<std::path::PathBuf>)> = gpps
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let f = dir.path().join(format!("{i}.gpp.xml"));
            std::fs::write(&f, &c.bytes).unwrap();
            (None, vec![f])
        })
        .collect();
    if !cases.is_empty() {
        if let Some(each) = crate::gpp::replay_each(&cases) {
            for (got, c) in each.iter().zip(&gpps) {
                assert_eq!(
                    got, &c.want,
                    "the XML checker read another registry from\n{}",
                    c.yaml
                );
            }
        }
    }
    eprintln!(
        "escaping: {} profiles compiled ({} as Registry.pol, {} as Registry.xml, {} PowerShell scripts, {} playbooks), {} refused",
        compiled.get(),
        pols.len(),
        gpps.len(),
        scripts.len(),
        playbooks.len(),
        refused.get()
    );
    assert!(
        compiled.get() >= 30 && refused.get() >= 5,
        "compiled {}, refused {}",
        compiled.get(),
        refused.get()
    );
}
