//! The Group Policy `Registry.pol` output against Samba's PReg parser
//! (`tests/fixtures/pol/pol2values.py`: `samba.gp_parse.gp_pol.GPPolParser`, checked entry
//! for entry against a strict reading of [MS-GPREG] 2.2.1): every built-in's file must read
//! back as its plan, and leave in a registry exactly what hivex imports from its `.reg`.

use crate::oracle::{builtin, expected, plan_of, steps, write_reg, Step};
use crate::util::{self, lines, run, run_oracle, stderr, stdout, tlsreg};
use proptest::prelude::ProptestConfig;
use std::path::{Path, PathBuf};
use std::process::Command;
use tlsreg::compile::{self, Formats, Options};
use tlsreg::emit::pol::{to_pol, PolError};
use tlsreg::plan::{Op, Plan};
use tlsreg::value::RegData;

/// A Python with Samba's parser: Debian's own (`python3-samba` installs for it), or `None`
/// after a printed skip.
fn samba_python() -> Option<PathBuf> {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import samba.gp_parse.gp_pol"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(PathBuf::from(py));
        }
    }
    util::skip("Samba's PReg parser (Debian package python3-samba) is not installed");
    None
}

/// What `pol2values.py` prints for the files (`--entries` first for the entries themselves),
/// or `None` after a printed skip; panics with its message when it rejects a file.
fn pol2values(files: &[&dyn AsRef<std::ffi::OsStr>]) -> Option<Vec<String>> {
    let py = samba_python()?;
    let oracles = util::oracle("reg2values.sh")?.parent()?.to_path_buf();
    let mut c = Command::new(py);
    c.arg(util::root().join("tests/fixtures/pol/pol2values.py"))
        .arg(oracles);
    for f in files {
        c.arg(f);
    }
    let o = run(&mut c);
    match o.status.code() {
        Some(0) => Some(lines(&stdout(&o))),
        Some(4) => {
            util::skip(stderr(&o).trim());
            None
        }
        code => panic!(
            "pol2values.py {:?} failed ({code:?}): {}",
            c.get_args().collect::<Vec<_>>(),
            stderr(&o)
        ),
    }
}

/// [`pol2values`] `--each`: for each file alone, the lines it leaves in an empty registry.
pub(crate) fn pol2values_each(files: &[&dyn AsRef<std::ffi::OsStr>]) -> Option<Vec<Vec<String>>> {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--each"];
    args.extend_from_slice(files);
    let lines = pol2values(&args)?;
    let mut out: Vec<Vec<String>> = Vec::new();
    for l in lines {
        if l.starts_with("== ") {
            out.push(Vec::new());
        } else {
            out.last_mut().expect("a file header first").push(l);
        }
    }
    Some(out)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Every `.pol` (each build family's) and `.reg` of a built-in, with the plan of each `.pol`.
fn builtin_outputs(name: &str, revert: bool) -> Vec<(compile::Output, Plan)> {
    let p = builtin(name);
    let opts = Options {
        revert,
        ..Options::default()
    };
    let formats = Formats {
        pol: true,
        ..Default::default()
    };
    let outs = compile::outputs(name, &p, opts, formats).unwrap().outputs;
    // Each file's plan: the family's profile, as compile made it.
    let fams = compile::families(&p).unwrap();
    outs.into_iter()
        .map(|o| {
            let fam = fams
                .iter()
                .find(|f| o.file_name.contains(&format!(".{}.", f.label())))
                .map_or(p.clone(), |f| f.profile.clone());
            let mut plan = fam.plan();
            if revert {
                plan = plan.revert();
            }
            (o, plan)
        })
        .collect()
}

#[test]
fn every_builtin_pol_reads_back_as_its_plan_and_as_its_reg() {
    let dir = util::tempdir();
    let mut files = 0;
    for name in util::builtins() {
        for (out, plan) in builtin_outputs(name, false) {
            assert!(out.file_name.ends_with(".pol"), "{}", out.file_name);
            let pol = write(dir.path(), &out.file_name, &out.bytes);
            let Some(entries) = pol2values(&[&"--entries", &pol]) else {
                return;
            };
            // Entry for entry, in the plan's order (Group Policy applies them in order).
            assert_eq!(entries.len(), plan.ops.len(), "{}", out.file_name);
            for (e, op) in entries.iter().zip(&plan.ops) {
                let Op::SetValue { key, name, data } = op else {
                    panic!("built-ins only set values")
                };
                let f: Vec<&str> = e.split('\t').collect();
                assert_eq!(
                    (f[0], f[1], f[2], f[3]),
                    (
                        key.strip_prefix("HKEY_LOCAL_MACHINE\\").unwrap(),
                        name.as_str(),
                        data.type_name(),
                        data.to_bytes().len().to_string().as_str()
                    ),
                    "{}",
                    out.file_name
                );
            }
            // The registry state it leaves: the plan's, and what hivex reads from the .reg.
            let state = pol2values(&[&pol]).unwrap();
            assert_eq!(state, expected(&[&plan]), "{}", out.file_name);
            let reg = write_reg(dir.path(), "same.reg", &plan);
            let Some(hivex) = run_oracle("reg2values.sh", &[&reg]) else {
                return;
            };
            assert_eq!(
                state,
                lines(&hivex),
                "{}: not what the .reg leaves",
                out.file_name
            );
            files += 1;
        }
    }
    assert!(files >= util::builtins().len());
}

#[test]
fn every_builtin_revert_pol_removes_what_its_pol_set() {
    let dir = util::tempdir();
    for name in util::builtins() {
        let revert = builtin_outputs(name, true);
        assert_eq!(revert.len(), 1, "{name}: one undo file for every build");
        let (r, rplan) = &revert[0];
        assert_eq!(r.file_name, format!("{name}.revert.pol"));
        let r = write(dir.path(), &r.file_name, &r.bytes);
        for (apply, plan) in builtin_outputs(name, false) {
            let a = write(dir.path(), &apply.file_name, &apply.bytes);
            let Some(got) = pol2values(&[&a, &r]) else {
                return;
            };
            assert_eq!(got, Vec::<String>::new(), "{}", apply.file_name);
            assert_eq!(expected(&[&plan, rplan]), Vec::<String>::new());
        }
    }
}

/// Value and key deletions (`**del.`, `**DeleteKeys`) do to a registry what the `.reg`'s
/// `"name"=-` and `[-key]` do, read by Samba's parser and by hivex.
#[test]
fn deletions_mean_what_the_reg_means() {
    let dir = util::tempdir();
    let seed = util::plan_of_yaml(
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\\App\n    values:\n      Keep: { type: dword, data: 1 }\n      Old: { type: sz, data: x }\n  - key: HKLM\\SOFTWARE\\Contoso\\Legacy\\Deep\\Er\n    values:\n      V: { type: multi-sz, data: [a, b] }\n  - key: HKLM\\SOFTWARE\\Contoso\\RC4 128/128\n    values:\n      Enabled: { type: dword, data: 0 }\n",
    );
    let change = util::plan_of_yaml(
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\\App\n    values:\n      Old: delete\n      New: { type: qword, data: 5 }\n  - key: HKLM\\SOFTWARE\\Contoso\\Legacy\n    delete-key: true\n  - key: HKLM\\SOFTWARE\\Contoso\\RC4 128/128\n    delete-key: true\n",
    );
    let pols: Vec<PathBuf> = [("seed", &seed), ("change", &change)]
        .iter()
        .map(|(n, p)| write(dir.path(), &format!("{n}.pol"), &to_pol(p).unwrap()))
        .collect();
    let Some(got) = pol2values(&[&pols[0], &pols[1]]) else {
        return;
    };
    let want = expected(&[&seed, &change]);
    assert_eq!(got, want);
    assert!(want.iter().any(|l| l.contains("\tKeep\t")));
    assert!(!want
        .iter()
        .any(|l| l.contains("Legacy") || l.contains("RC4")));
    let regs = [
        write_reg(dir.path(), "seed.reg", &seed),
        write_reg(dir.path(), "change.reg", &change),
    ];
    let Some(hivex) = run_oracle("reg2values.sh", &[&regs[0], &regs[1]]) else {
        return;
    };
    assert_eq!(got, lines(&hivex));
}

/// Why the test expects `to_pol` to refuse a plan, worked out here from the format's rules
/// (not from the writer): `None` when every operation fits.
pub(crate) fn cannot_carry(plan: &Plan) -> Option<&'static str> {
    let ascii = |s: &str| s.chars().all(|c| (' '..='~').contains(&c));
    for op in &plan.ops {
        let key = op.key();
        let rel = key.strip_prefix("HKEY_LOCAL_MACHINE\\")?;
        if !ascii(rel) {
            return Some("key characters");
        }
        match op {
            Op::SetValue { name, data, .. } => {
                if name.is_empty() || !ascii(name) || name.len() > 259 || name.starts_with("**") {
                    return Some("value name");
                }
                if matches!(data, RegData::None(_)) {
                    return Some("REG_NONE");
                }
                if matches!(data, RegData::Sz(t) | RegData::ExpandSz(t) if t.contains('\0')) {
                    return Some("a NUL inside a string");
                }
                if data.to_bytes().len() > 65_535 {
                    return Some("size");
                }
            }
            Op::DeleteValue { name, .. } => {
                if name.is_empty() || !ascii(name) || name.len() > 253 || name.starts_with("**") {
                    return Some("value name");
                }
            }
            Op::DeleteKey { .. } => {
                if !rel.contains('\\') || rel.rsplit('\\').next().unwrap().contains(';') {
                    return Some("key deletion");
                }
            }
        }
    }
    None
}

/// The random plan with what Registry.pol cannot carry replaced by what it can.
fn carriable(keys: &[Vec<String>], steps: &[Step]) -> Plan {
    let ascii = |s: &str| -> String {
        s.chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { 'u' })
            .collect()
    };
    let name = |s: &str| {
        let n = ascii(s);
        if n.is_empty() || n.starts_with("**") {
            format!("v{n}")
        } else {
            n
        }
    };
    let keys: Vec<Vec<String>> = keys
        .iter()
        .map(|k| k.iter().map(|c| ascii(c).replace(';', ",")).collect())
        .collect();
    let steps: Vec<Step> = steps
        .iter()
        .map(|s| match s {
            Step::Set(k, n, RegData::None(b)) => Step::Set(*k, name(n), RegData::Binary(b.clone())),
            Step::Set(k, n, RegData::Sz(t)) => {
                Step::Set(*k, name(n), RegData::Sz(t.replace('\0', "0")))
            }
            Step::Set(k, n, RegData::ExpandSz(t)) => {
                Step::Set(*k, name(n), RegData::ExpandSz(t.replace('\0', "0")))
            }
            Step::Set(k, n, d) => Step::Set(*k, name(n), d.clone()),
            Step::DeleteValue(k, n) => Step::DeleteValue(*k, name(n)),
            Step::DeleteKey(k) => Step::DeleteKey(*k),
        })
        .collect();
    plan_of(&keys, &steps)
}

/// Random plans: the writer refuses exactly the plans the format cannot carry, and what
/// it writes Samba reads back to the registry the plan makes (one Samba run for all).
#[test]
fn random_plans_round_trip_through_samba() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let dir = util::tempdir();
    let mut files = Vec::new();
    let mut plans = Vec::new();
    for i in 0..48 {
        let (keys, steps) = steps().new_tree(&mut runner).unwrap().current();
        let raw = plan_of(&keys, &steps);
        match (to_pol(&raw), cannot_carry(&raw)) {
            (Ok(_), None) | (Err(_), Some(_)) => {}
            (r, why) => panic!("writer {:?}, format {why:?}: {raw:?}", r.map(|_| ())),
        }
        let plan = carriable(&keys, &steps);
        assert_eq!(cannot_carry(&plan), None, "{plan:?}");
        files.push(write(
            dir.path(),
            &format!("r{i}.pol"),
            &to_pol(&plan).unwrap(),
        ));
        plans.push(plan);
    }
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = files
        .iter()
        .map(|f| f as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    if let Some(got) = pol2values_each(&args) {
        for (g, p) in got.iter().zip(&plans) {
            assert_eq!(g, &expected(&[p]), "{p:?}");
        }
    }
}

#[test]
fn a_refusal_names_the_key_and_writes_nothing() {
    let err = util::compile_refused(
        "pol",
        "raw:\n  - key: HKCU\\Software\\Contoso\n    values:\n      Mode: { type: dword, data: 1 }\n",
    );
    assert!(
        err.contains("HKEY_CURRENT_USER\\Software\\Contoso")
            && err.contains("only under HKEY_LOCAL_MACHINE"),
        "{err}"
    );
    assert!(matches!(
        to_pol(&Plan {
            ops: vec![Op::SetValue {
                key: "HKEY_CURRENT_USER\\A".into(),
                name: "V".into(),
                data: RegData::Dword(1)
            }]
        }),
        Err(PolError::NotMachine { .. })
    ));
}

#[test]
fn compile_writes_checks_and_streams_pol() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "strict", "--format", "all,pol", "-o"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = util::names_in(dir.path());
    assert_eq!(names, ["strict.pol", "strict.ps1", "strict.reg"]);
    let pol = std::fs::read(dir.path().join("strict.pol")).unwrap();
    assert!(pol.starts_with(b"PReg\x01\x00\x00\x00"));
    // --check covers the .pol: up to date, then drift after a byte changes.
    let check = |d: &Path| util::compile_check(d, "strict", "pol");
    assert_eq!(check(dir.path()).status.code(), Some(0));
    let mut changed = pol.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    std::fs::write(dir.path().join("strict.pol"), &changed).unwrap();
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("differs"), "{}", stdout(&o));
    // -o - writes the one file as it would be written.
    let o = run(tlsreg().args(["compile", "strict", "--format", "pol", "-o", "-"]));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, pol);
    // A family profile gets one .pol per family, like the .reg.
    let fam = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "best-practices", "--format", "pol", "-o"])
        .arg(fam.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = util::names_in(fam.path());
    assert_eq!(
        names,
        [
            "best-practices.build-10240-20347.pol",
            "best-practices.build-20348-up.pol",
            "best-practices.build-7601-9600.pol"
        ]
    );
    assert!(stderr(&o).contains("best-practices.build-20348-up.pol"));
}
