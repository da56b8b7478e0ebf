//! The Intune Remediations pair (`--format intune`): the detection script and the
//! remediation script pass the PowerShell grammar (`ps1check.py`), are ASCII without a BOM
//! with CRLF line ends, and their registry calls, read out of the syntax tree, are the
//! plan: the detection script checks exactly the plan's operations (and calls nothing that
//! writes), the remediation script applies exactly what the `.ps1` applies (which
//! `tests/powershell.rs` compares with what hivex imports from the `.reg`), on every build
//! family.

use crate::oracle::builtin;
use crate::powershell::{calls_on, to_op, REGISTRY_CALLS};
use crate::util::{self, run, run_oracle, stderr, tlsreg};
use tlsreg::compile::{self, Formats, Options, Resolved};
use tlsreg::plan::{Op, Plan};

/// What a built-in compiles to with `--format ps1,intune`, and the plan of each build
/// family (`None` for a profile with one).
fn outputs(name: &str, revert: bool) -> (Vec<compile::Output>, Vec<(Option<u32>, Plan)>) {
    let p = builtin(name);
    let opts = Options {
        revert,
        ..Options::default()
    };
    let formats = Formats {
        ps1: true,
        intune: true,
        ..Default::default()
    };
    let outs = compile::outputs(name, &p, opts, formats).unwrap().outputs;
    let plan = |p: &tlsreg::profile::Profile| {
        let plan = p.plan();
        if revert {
            plan.revert()
        } else {
            plan
        }
    };
    let plans = match compile::resolve(&p, opts).unwrap() {
        Resolved::One { profile, .. } => vec![(None, plan(&profile))],
        Resolved::Families(f) => f
            .iter()
            .map(|f| (Some(f.first), plan(&f.profile)))
            .collect(),
    };
    (outs, plans)
}

fn file<'a>(outs: &'a [compile::Output], suffix: &str) -> &'a compile::Output {
    outs.iter()
        .find(|o| {
            o.file_name.ends_with(suffix)
                && !o.file_name[..o.file_name.len() - suffix.len()].ends_with(".detect")
                && !o.file_name[..o.file_name.len() - suffix.len()].ends_with(".remediate")
        })
        .unwrap_or_else(|| panic!("no {suffix}"))
}

/// ASCII, no BOM, CRLF only.
fn assert_intune_bytes(o: &compile::Output) {
    assert!(o.bytes.is_ascii(), "{}: not ASCII", o.file_name);
    let text = std::str::from_utf8(&o.bytes).unwrap();
    assert!(
        text.starts_with("<#") || text.starts_with("#Requires"),
        "{}",
        o.file_name
    );
    assert!(
        !text.replace("\r\n", "").contains(['\r', '\n']),
        "{}: a bare CR or LF",
        o.file_name
    );
    assert!(text.ends_with("exit 0\r\n"), "{}", o.file_name);
}

#[test]
fn every_builtin_pair_passes_the_grammar_and_is_its_plan() {
    let dir = util::tempdir();
    let mut paths = Vec::new();
    for name in util::builtins() {
        for revert in [false, true] {
            let (outs, plans) = outputs(name, revert);
            let stem = if revert {
                format!("{name}.revert")
            } else {
                name.to_string()
            };
            let detect = file(&outs, ".detect.ps1");
            let remediate = file(&outs, ".remediate.ps1");
            let apply = file(&outs, ".ps1");
            assert_eq!(detect.file_name, format!("{stem}.detect.ps1"));
            assert_eq!(remediate.file_name, format!("{stem}.remediate.ps1"));
            assert_eq!(apply.file_name, format!("{stem}.ps1"));
            assert_intune_bytes(detect);
            assert_intune_bytes(remediate);
            for (build, plan) in &plans {
                let checks = calls_on(&detect.bytes, *build);
                assert!(
                    checks.iter().all(|c| c.command.starts_with("Test-")),
                    "{}: a call that writes",
                    detect.file_name
                );
                let ops: Vec<Op> = checks.iter().map(to_op).collect();
                assert_eq!(&ops, &plan.ops, "{} on build {build:?}", detect.file_name);
                let applies: Vec<Op> = calls_on(&remediate.bytes, *build)
                    .iter()
                    .map(to_op)
                    .collect();
                let script: Vec<Op> = calls_on(&apply.bytes, *build).iter().map(to_op).collect();
                assert_eq!(
                    applies, script,
                    "{} on build {build:?}",
                    remediate.file_name
                );
                assert_eq!(&applies, &plan.ops);
            }
            // Nothing in the detection script can write: no call and no .NET method that
            // changes the registry, no backup.
            let text = std::str::from_utf8(&detect.bytes).unwrap();
            for writer in [
                ".SetValue(",
                ".DeleteValue(",
                "CreateSubKey",
                "DeleteSubKeyTree",
                "reg.exe",
                "Set-Tlsreg",
                "Remove-Tlsreg",
                "New-Item",
            ] {
                assert!(!text.contains(writer), "{}: {writer}", detect.file_name);
            }
            assert!(!text.contains("#Requires"), "detection needs no elevation");
            // The remediation runs without parameters and never restarts or asks.
            let text = std::str::from_utf8(&remediate.bytes).unwrap();
            assert!(!text.contains("exit 3010") && !text.contains("Restart-Computer"));
            for o in [detect, remediate] {
                let p = dir.path().join(&o.file_name);
                std::fs::write(&p, &o.bytes).unwrap();
                paths.push(p);
            }
        }
    }
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        std::iter::once(&"--quiet" as &dyn AsRef<std::ffi::OsStr>)
            .chain(paths.iter().map(|p| p as &dyn AsRef<std::ffi::OsStr>))
            .collect();
    if let Some(out) = run_oracle("ps1check.py", &args) {
        assert_eq!(out.trim(), "", "the grammar finds errors");
    }
}

/// Text an ASCII script cannot carry as a literal (non-ASCII key and value names and data,
/// a profile name with a quote) travels as hex and comes back exactly.
#[test]
fn non_ascii_profile_text_stays_exact_in_ascii_scripts() {
    let src = "name: Prüfung 'x'\nraw:\n  - key: HKLM\\SOFTWARE\\Contoso\\Größe\n    values:\n      Naïve: { type: sz, data: 'Ünïcödé 日本 😀' }\n      Liste: { type: multi-sz, data: [ä, b] }\n      Alt: delete\n  - key: HKLM\\SOFTWARE\\Contoso\\Ältere\n    delete-key: true\n";
    let l = tlsreg::profile::load_with("p.yaml", src, None, "p").unwrap();
    let plan = l.profile.plan();
    let formats = Formats {
        intune: true,
        ..Default::default()
    };
    let outs = compile::outputs("p", &l.profile, Options::default(), formats)
        .unwrap()
        .outputs;
    assert_eq!(outs.len(), 2);
    let dir = util::tempdir();
    for o in &outs {
        assert_intune_bytes(o);
        let ops: Vec<Op> = calls_on(&o.bytes, None).iter().map(to_op).collect();
        assert_eq!(ops, plan.ops, "{}", o.file_name);
        let p = dir.path().join(&o.file_name);
        std::fs::write(&p, &o.bytes).unwrap();
        if let Some(out) = run_oracle("ps1check.py", &[&"--quiet", &p]) {
            assert_eq!(out.trim(), "", "{}", o.file_name);
        }
        let text = std::str::from_utf8(&o.bytes).unwrap();
        assert!(
            text.contains("$script:ProfileName = (ConvertFrom-TlsregUtf16Hex '"),
            "{text}"
        );
    }
    assert!(REGISTRY_CALLS.contains(&"Test-TlsregKeyAbsent"));
}

#[test]
fn compile_writes_and_checks_the_pair() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "best-practices", "--format", "intune", "-o"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = util::names_in(dir.path());
    // One pair serves every build family: the scripts read the build when they run.
    assert_eq!(
        names,
        ["best-practices.detect.ps1", "best-practices.remediate.ps1"]
    );
    let check = || util::compile_check(dir.path(), "best-practices", "intune");
    assert_eq!(check().status.code(), Some(0));
    std::fs::write(dir.path().join("best-practices.detect.ps1"), "exit 0\r\n").unwrap();
    assert_eq!(check().status.code(), Some(1));
    // Two files cannot go to standard output.
    let o = run(tlsreg().args(["compile", "strict", "--format", "intune", "-o", "-"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("strict.detect.ps1, strict.remediate.ps1"),
        "{}",
        stderr(&o)
    );
}
