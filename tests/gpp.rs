//! The Group Policy Preferences output (`--format gpp`) against Python's XML parser and a
//! checker written from [MS-GPPREF] (`tests/fixtures/gpp/gpp2values.py`: the structure of a
//! Registry extension file, then the items replayed in order for a Windows build, its WMI
//! filters evaluated): every built-in's file, for each build family's first build, must
//! leave exactly the family's plan, which is what hivex imports from the family's `.reg`.

use crate::oracle::{builtin, expected, plan_of, steps, write_reg, Step};
use crate::util::{self, lines, run, run_oracle, stderr, stdout, tlsreg};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use tlsreg::compile::{self, Formats, Options, Resolved};
use tlsreg::emit::gpp::{to_gpp, GppError, GppInfo};
use tlsreg::plan::{Op, Plan, PlanBuilder};
use tlsreg::value::RegData;

/// A Python 3 (the checker needs only its standard library), or `None` after a printed skip.
fn python() -> Option<PathBuf> {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import xml.etree.ElementTree"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(PathBuf::from(py));
        }
    }
    util::skip("no python3 to run tests/fixtures/gpp/gpp2values.py");
    None
}

/// What `gpp2values.py` prints for `args` (options and files, see its usage), or `None`
/// after a printed skip; panics with its message when it rejects a file.
fn gpp2values(args: &[OsString]) -> Option<Vec<String>> {
    let py = python()?;
    let oracles = util::oracle("reg2values.sh")?.parent()?.to_path_buf();
    let mut c = Command::new(py);
    c.arg(util::root().join("tests/fixtures/gpp/gpp2values.py"))
        .arg(oracles)
        .args(args);
    let o = run(&mut c);
    assert_eq!(
        o.status.code(),
        Some(0),
        "gpp2values.py {args:?}: {}",
        stderr(&o)
    );
    Some(lines(&stdout(&o)))
}

/// A run of the checker over several cases, each an empty registry: `(build, files)`,
/// the files applied in order for the build. The lines each case leaves, in order.
pub(crate) fn replay_each(cases: &[(Option<u32>, Vec<PathBuf>)]) -> Option<Vec<Vec<String>>> {
    each(false, cases)
}

/// [`replay_each`], or with `items` the items each case applies (`--items`).
fn each(items: bool, cases: &[(Option<u32>, Vec<PathBuf>)]) -> Option<Vec<Vec<String>>> {
    let mut args: Vec<OsString> = vec!["--each".into()];
    if items {
        args.push("--items".into());
    }
    for (build, files) in cases {
        for (n, f) in files.iter().enumerate() {
            if let Some(b) = build {
                args.extend(["--build".into(), b.to_string().into()]);
            }
            if n > 0 {
                args.push("--and".into());
            }
            args.push(f.into());
        }
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for l in gpp2values(&args)? {
        if l.starts_with("== ") {
            out.push(Vec::new());
        } else {
            out.last_mut().expect("a case header first").push(l);
        }
    }
    assert_eq!(out.len(), cases.len());
    Some(out)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A built-in's one `.gpp.xml` (or its undo), and the first build and plan of each of its
/// families (`None` for a profile with one).
fn builtin_gpp(name: &str, revert: bool) -> (compile::Output, Vec<(Option<u32>, Plan)>) {
    let p = builtin(name);
    let opts = Options {
        revert,
        ..Options::default()
    };
    let formats = Formats {
        gpp: true,
        ..Default::default()
    };
    let mut outs = compile::outputs(name, &p, opts, formats).unwrap().outputs;
    assert_eq!(outs.len(), 1, "{name}: one file for every build");
    let plan = |p: &tlsreg::profile::Profile| {
        if revert {
            p.plan().revert()
        } else {
            p.plan()
        }
    };
    let fams = match compile::resolve(&p, opts).unwrap() {
        Resolved::One { profile, .. } => vec![(None, plan(&profile))],
        Resolved::Families(f) => f
            .iter()
            .map(|f| (Some(f.first), plan(&f.profile)))
            .collect(),
    };
    (outs.remove(0), fams)
}

/// The line `--items` prints for an operation the item applies.
fn item_line(op: &Op) -> String {
    match op {
        Op::DeleteKey { key } => format!("D\t{key}\t\t\t"),
        Op::DeleteValue { key, name } => {
            // The NAME field as the normalized lines write it.
            let line = tlsreg::memreg::value_line(key, name, 0, &[]);
            let field = line.split('\t').nth(1).unwrap_or_default();
            format!("D\t{key}\t{field}\t\t")
        }
        Op::SetValue { key, name, data } => {
            let line = tlsreg::memreg::value_line(key, name, data.type_code(), &data.to_bytes());
            format!("U\t{line}")
        }
    }
}

#[test]
fn every_builtin_gpp_replays_as_each_familys_plan_and_reg() {
    let dir = util::tempdir();
    let mut cases = Vec::new();
    let mut plans = Vec::new();
    for name in util::builtins() {
        let (out, fams) = builtin_gpp(name, false);
        assert_eq!(out.file_name, format!("{name}.gpp.xml"));
        let f = write(dir.path(), &out.file_name, &out.bytes);
        for (build, plan) in fams {
            cases.push((build, vec![f.clone()]));
            plans.push((format!("{name} on build {build:?}"), plan));
        }
    }
    assert!(
        plans.len() > util::builtins().len(),
        "some built-in has families"
    );
    // Item for item, in the plan's order, for each family's first build.
    let Some(items) = each(true, &cases) else {
        return;
    };
    for (items, (what, plan)) in items.iter().zip(&plans) {
        let want: Vec<String> = plan.ops.iter().map(item_line).collect();
        assert_eq!(items, &want, "{what}");
    }
    let Some(states) = replay_each(&cases) else {
        return;
    };
    for (n, (state, (what, plan))) in states.iter().zip(&plans).enumerate() {
        assert_eq!(state, &expected(&[plan]), "{what}");
        assert!(!state.is_empty(), "{what} sets nothing");
        let reg = write_reg(dir.path(), &format!("{n}.reg"), plan);
        let Some(hivex) = run_oracle("reg2values.sh", &[&reg]) else {
            return;
        };
        assert_eq!(state, &lines(&hivex), "{what}: not what the .reg leaves");
    }
}

/// Builds between two families get the older family's lists (as the script chooses), builds
/// with more digits the newest's, and builds below the target only the shared items.
#[test]
fn the_wmi_filters_cover_the_range_without_gaps() {
    let dir = util::tempdir();
    let (out, fams) = builtin_gpp("best-practices", false);
    let f = write(dir.path(), &out.file_name, &out.bytes);
    let plan = |i: usize| fams[i].1.clone();
    let shared = Plan {
        ops: (0..fams[0].1.ops.len())
            .filter(|&i| fams.iter().all(|(_, p)| p.ops[i] == fams[0].1.ops[i]))
            .map(|i| fams[0].1.ops[i].clone())
            .collect(),
    };
    assert!(shared.ops.len() < plan(0).ops.len());
    let cases: Vec<(u32, Plan)> = vec![
        (9600, plan(0)),
        (9926, plan(0)),
        (10239, plan(0)),
        (10240, plan(1)),
        (20347, plan(1)),
        (26100, plan(2)),
        (123_456, plan(2)),
        (6002, shared.clone()),
        (7600, shared),
    ];
    let Some(states) = replay_each(
        &cases
            .iter()
            .map(|(b, _)| (Some(*b), vec![f.clone()]))
            .collect::<Vec<_>>(),
    ) else {
        return;
    };
    for (state, (build, plan)) in states.iter().zip(&cases) {
        assert_eq!(state, &expected(&[plan]), "build {build}");
    }
}

#[test]
fn every_builtin_revert_gpp_removes_what_its_gpp_set() {
    let dir = util::tempdir();
    let mut cases = Vec::new();
    for name in util::builtins() {
        let (revert, rfams) = builtin_gpp(name, true);
        assert_eq!(revert.file_name, format!("{name}.revert.gpp.xml"));
        assert!(
            !String::from_utf8_lossy(&revert.bytes).contains("<Filters>"),
            "{name}: an undo is the same for every build"
        );
        let r = write(dir.path(), &revert.file_name, &revert.bytes);
        let (apply, fams) = builtin_gpp(name, false);
        let a = write(dir.path(), &apply.file_name, &apply.bytes);
        for (build, plan) in fams {
            assert_eq!(expected(&[&plan, &rfams[0].1]), Vec::<String>::new());
            cases.push((build, vec![a.clone(), r.clone()]));
        }
    }
    let Some(states) = replay_each(&cases) else {
        return;
    };
    for (state, (build, files)) in states.iter().zip(&cases) {
        assert_eq!(state, &Vec::<String>::new(), "{files:?} on {build:?}");
    }
}

/// Value and key deletions and the default value do to a registry what the `.reg`'s
/// `"name"=-`, `[-key]` and `@=` do.
#[test]
fn deletions_mean_what_the_reg_means() {
    let dir = util::tempdir();
    let k = |s: &str| format!(r"HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\{s}");
    let mut b = PlanBuilder::default();
    b.set(&k("App"), "Keep", RegData::Dword(1));
    b.set(&k("App"), "Old", RegData::Sz("x".into()));
    b.set(&k("App"), "", RegData::Sz("default".into()));
    b.set(
        &k(r"Legacy\Deep\Er"),
        "V",
        RegData::MultiSz(vec!["a".into(), "b".into()]),
    );
    b.set(&k("RC4 128/128"), "Enabled", RegData::Dword(0));
    b.set(&k("Other"), "", RegData::ExpandSz("keep me".into()));
    let seed = b.finish();
    let mut b = PlanBuilder::default();
    b.delete_value(&k("App"), "Old");
    b.delete_value(&k("App"), "");
    b.set(
        &k("App"),
        "New",
        RegData::Sz("a&b <c> \"d\" 'e'\ttab".into()),
    );
    b.delete_key(&k("Legacy"));
    b.delete_key(&k("RC4 128/128"));
    let change = b.finish();
    let info = GppInfo {
        profile: "p".into(),
        revert: false,
    };
    let files: Vec<PathBuf> = [("seed", &seed), ("change", &change)]
        .iter()
        .map(|(n, p)| {
            write(
                dir.path(),
                &format!("{n}.gpp.xml"),
                &to_gpp(p, &info).unwrap(),
            )
        })
        .collect();
    let Some(got) = replay_each(&[(None, files)]) else {
        return;
    };
    let want = expected(&[&seed, &change]);
    assert_eq!(got[0], want);
    assert!(want.iter().any(|l| l.contains("\tKeep\t")));
    assert!(want.iter().any(|l| l.contains("Other\t@\t")));
    assert!(!want.iter().any(|l| l.contains(r"App	@")));
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
    assert_eq!(got[0], lines(&hivex));
}

/// Why the test expects `to_gpp` to refuse a plan, worked out here from the format's rules
/// (not from the writer): `None` when every operation fits.
pub(crate) fn cannot_carry(plan: &Plan) -> Option<&'static str> {
    // XML 1.0's Char production; `%` the extension may expand.
    let text_ok = |s: &str| {
        s.chars().all(|c| {
            c != '%'
                && matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..)
        })
    };
    const HIVES: [&str; 5] = [
        "HKEY_LOCAL_MACHINE",
        "HKEY_CURRENT_USER",
        "HKEY_USERS",
        "HKEY_CLASSES_ROOT",
        "HKEY_CURRENT_CONFIG",
    ];
    for op in &plan.ops {
        let (hive, path) = op.key().split_once('\\')?;
        if !HIVES.contains(&hive) || path.split('\\').any(str::is_empty) || !text_ok(path) {
            return Some("key");
        }
        match op {
            Op::DeleteKey { .. } => {}
            Op::DeleteValue { name, .. } => {
                if !text_ok(name) {
                    return Some("value name");
                }
            }
            Op::SetValue { name, data, .. } => {
                if !text_ok(name) {
                    return Some("value name");
                }
                match data {
                    RegData::Sz(s) | RegData::ExpandSz(s) if !text_ok(s) => return Some("text"),
                    RegData::MultiSz(items)
                        if items.is_empty()
                            || items.iter().any(|i| {
                                i.is_empty()
                                    || !text_ok(i)
                                    || i.chars().any(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
                            }) =>
                    {
                        return Some("list")
                    }
                    RegData::Binary(_) | RegData::Qword(_) | RegData::None(_) => {
                        return Some("type")
                    }
                    _ => {}
                }
            }
        }
    }
    None
}

/// The random plan with what a Registry.xml cannot carry replaced by what it can.
fn carriable(keys: &[Vec<String>], steps: &[Step]) -> Plan {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '%' => 'p',
                '\t' | '\n' | '\r' => c,
                c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => 'c',
                c => c,
            })
            .collect()
    };
    let item = |s: &str| {
        let i: String = clean(s)
            .chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect();
        if i.is_empty() {
            "e".to_string()
        } else {
            i
        }
    };
    // One spelling per key: the in-memory registry of `expected` spells a key as the path
    // that first created it, Windows (and the checker, and hivex) by its parents' names, so
    // `U\a` then `u\b` is `u\b` to the one and `U\b` to the others. That difference is the
    // model's, not the writer's (which writes every key as the plan spells it): the random
    // keys use the first spelling of every parent.
    let mut first: std::collections::HashMap<String, String> = Default::default();
    let keys: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let mut path = String::new();
            k.iter()
                .map(|c| {
                    path.push('\\');
                    path.push_str(&tlsreg::keypath::fold(&clean(c)));
                    first
                        .entry(path.clone())
                        .or_insert_with(|| clean(c))
                        .clone()
                })
                .collect()
        })
        .collect();
    let data = |d: &RegData| match d {
        RegData::Sz(s) => RegData::Sz(clean(s)),
        RegData::ExpandSz(s) => RegData::ExpandSz(clean(s)),
        RegData::MultiSz(v) if v.is_empty() => RegData::MultiSz(vec!["e".into()]),
        RegData::MultiSz(v) => RegData::MultiSz(v.iter().map(|s| item(s)).collect()),
        RegData::Qword(q) => RegData::Dword(*q as u32),
        RegData::Binary(b) | RegData::None(b) => RegData::Sz(tlsreg::value::hex(b)),
        d => d.clone(),
    };
    let steps: Vec<Step> = steps
        .iter()
        .map(|s| match s {
            Step::Set(k, n, d) => Step::Set(*k, clean(n), data(d)),
            Step::DeleteValue(k, n) => Step::DeleteValue(*k, clean(n)),
            Step::DeleteKey(k) => Step::DeleteKey(*k),
        })
        .collect();
    plan_of(&keys, &steps)
}

/// Random plans: the writer refuses exactly the plans the format cannot carry, and what it
/// writes Python's parser reads back, through the checker, to the registry the plan makes
/// (every case's file in one run of the checker).
#[test]
fn random_plans_round_trip_through_the_xml_parser() {
    let dir = util::tempdir();
    let info = GppInfo {
        profile: "random <&\"'>".into(),
        revert: false,
    };
    let files: std::cell::RefCell<Vec<(PathBuf, Vec<String>)>> = Default::default();
    let refused = std::cell::Cell::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&steps(), |(keys, steps)| {
            let raw = plan_of(&keys, &steps);
            match (to_gpp(&raw, &info), cannot_carry(&raw)) {
                (Ok(_), None) => {}
                (Err(_), Some(_)) => refused.set(refused.get() + 1),
                (r, why) => {
                    return Err(TestCaseError::fail(format!(
                        "writer {:?}, format {why:?}\n{raw:#?}",
                        r.map(|_| ())
                    )))
                }
            }
            let plan = carriable(&keys, &steps);
            prop_assert_eq!(cannot_carry(&plan), None);
            let bytes = to_gpp(&plan, &info).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let n = files.borrow().len();
            let f = write(dir.path(), &format!("{n}.gpp.xml"), &bytes);
            files.borrow_mut().push((f, expected(&[&plan])));
            Ok(())
        })
        .unwrap();
    let files = files.into_inner();
    assert!(
        refused.get() >= 8,
        "only {} random plans were refused",
        refused.get()
    );
    let cases: Vec<(Option<u32>, Vec<PathBuf>)> =
        files.iter().map(|(f, _)| (None, vec![f.clone()])).collect();
    let Some(states) = replay_each(&cases) else {
        return;
    };
    for (state, (f, want)) in states.iter().zip(&files) {
        assert_eq!(state, want, "{}", f.display());
    }
}

#[test]
fn a_refusal_names_the_key_and_the_value_and_writes_nothing() {
    let err = util::compile_refused(
        "gpp",
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\n    values:\n      Big: { type: qword, data: 5 }\n",
    );
    assert!(
        err.contains(
            r#"value "Big" of [HKEY_LOCAL_MACHINE\SOFTWARE\Contoso]: REG_QWORD is not a type"#
        ),
        "{err}"
    );
    let plan = Plan {
        ops: vec![Op::SetValue {
            key: r"HKEY_LOCAL_MACHINE\A".into(),
            name: "V".into(),
            data: RegData::Sz("%TEMP%".into()),
        }],
    };
    let info = GppInfo {
        profile: "p".into(),
        revert: false,
    };
    assert!(matches!(
        to_gpp(&plan, &info),
        Err(GppError::Percent { .. })
    ));
}

#[test]
fn compile_writes_checks_and_streams_gpp() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "strict", "--format", "all,gpp", "-o"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        util::names_in(dir.path()),
        ["strict.gpp.xml", "strict.ps1", "strict.reg"]
    );
    let xml = std::fs::read(dir.path().join("strict.gpp.xml")).unwrap();
    assert!(xml.starts_with(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<RegistrySettings "));
    // --check covers it: up to date, then drift after a byte changes.
    let check = |d: &Path| util::compile_check(d, "strict", "gpp");
    assert_eq!(check(dir.path()).status.code(), Some(0));
    let changed = String::from_utf8(xml.clone()).unwrap().replacen(
        "value=\"00000000\"",
        "value=\"00000001\"",
        1,
    );
    std::fs::write(dir.path().join("strict.gpp.xml"), changed).unwrap();
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("differs"), "{}", stdout(&o));
    // -o - writes the one file as it would be written.
    let o = run(tlsreg().args(["compile", "strict", "--format", "gpp", "-o", "-"]));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, xml);
    // A family profile gets ONE file, and its undo too.
    let fam = util::tempdir();
    for revert in [false, true] {
        let mut c = tlsreg();
        c.args(["compile", "best-practices", "--format", "gpp", "-o"])
            .arg(fam.path());
        if revert {
            c.arg("--revert");
        }
        let o = run(&mut c);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        if !revert {
            assert!(
                stderr(&o).contains("best-practices.gpp.xml holds each family's lists"),
                "{}",
                stderr(&o)
            );
        }
    }
    assert_eq!(
        util::names_in(fam.path()),
        ["best-practices.gpp.xml", "best-practices.revert.gpp.xml"]
    );
    // One item per family for each operation whose data differs by build.
    let text = std::fs::read_to_string(fam.path().join("best-practices.gpp.xml")).unwrap();
    let (_, fams) = builtin_gpp("best-practices", false);
    let differ = (0..fams[0].1.ops.len())
        .filter(|&i| fams.iter().any(|(_, p)| p.ops[i] != fams[0].1.ops[i]))
        .count();
    assert!(differ >= 1);
    assert_eq!(text.matches("<FilterWmi ").count(), differ * fams.len());
    assert_eq!(
        text.matches("<Registry ").count(),
        fams[0].1.ops.len() + differ * (fams.len() - 1)
    );
}

/// The checker is an oracle that bites: a file the writer made passes, and each departure
/// from [MS-GPPREF] (or from the WQL shapes it evaluates) made in it by hand is rejected.
#[test]
fn the_checker_rejects_what_the_spec_forbids() {
    let Some(py) = python() else {
        return;
    };
    let Some(oracles) = util::oracle("reg2values.sh").and_then(|p| Some(p.parent()?.to_path_buf()))
    else {
        return;
    };
    let dir = util::tempdir();
    let (out, _) = builtin_gpp("best-practices", false);
    let good = String::from_utf8(out.bytes).unwrap();
    let check = |text: &str| {
        let f = write(dir.path(), "x.gpp.xml", text.as_bytes());
        let o = run(Command::new(&py)
            .arg(util::root().join("tests/fixtures/gpp/gpp2values.py"))
            .arg(&oracles)
            .args(["--build", "20348"])
            .arg(&f));
        (o.status.code(), stderr(&o))
    };
    assert_eq!(check(&good).0, Some(0), "{}", check(&good).1);
    let uid = good.split("uid=\"").nth(2).unwrap()[..38].to_string();
    let bad: Vec<(&str, String)> = vec![
        ("root CLSID", good.replacen("{A3CCFC41", "{A3CCFC42", 1)),
        ("item CLSID", good.replacen("{9CD4B2F4", "{9CD4B2F5", 1)),
        (
            "uid twice",
            good.replacen(&uid, &good.split("uid=\"").nth(3).unwrap()[..38], 1),
        ),
        (
            "lower-case uid",
            good.replacen(&uid, &uid.to_lowercase(), 1),
        ),
        ("no uid", good.replacen(&format!(" uid=\"{uid}\""), "", 1)),
        ("action", good.replacen("action=\"U\"", "action=\"X\"", 1)),
        (
            "hive",
            good.replacen("hive=\"HKEY_LOCAL_MACHINE\"", "hive=\"HKLM\"", 1),
        ),
        (
            "leading backslash",
            good.replacen("key=\"SYSTEM", "key=\"\\SYSTEM", 1),
        ),
        (
            "hive in the key",
            good.replacen("key=\"SYSTEM", "key=\"HKEY_LOCAL_MACHINE\\SYSTEM", 1),
        ),
        (
            "type",
            good.replacen("type=\"REG_DWORD\"", "type=\"REG_BINARY\"", 1),
        ),
        (
            "boolean",
            good.replacen("default=\"0\"", "default=\"2\"", 1),
        ),
        (
            "DWORD digits",
            good.replacen("value=\"00000000\"", "value=\"0\"", 1),
        ),
        (
            "filter bool",
            good.replacen("bool=\"AND\"", "bool=\"XOR\"", 1),
        ),
        ("filter not", good.replacen(" not=\"0\"", "", 1)),
        (
            "filter name",
            good.replacen("<FilterWmi ", "<FilterWMI ", 1),
        ),
        (
            "WQL",
            good.replacen("BuildNumber LIKE '_____'", "Version LIKE '10.%'", 1),
        ),
        ("not XML", good.replacen("</Collection>", "</Collectio>", 1)),
    ];
    // A list whose `value` and `<Values>` read differently.
    let (out, _) = builtin_gpp("mozilla-intermediate", false);
    let list = String::from_utf8(out.bytes).unwrap();
    assert_eq!(check(&list).0, Some(0), "{}", check(&list).1);
    let at = list.find("type=\"REG_MULTI_SZ\" value=\"").expect("a list") + 27;
    let space = at + list[at..].find(' ').expect("two items");
    let mut bad = bad;
    bad.push(("list", format!("{}{}", &list[..space], &list[space + 1..])));
    for (what, text) in bad {
        assert_ne!(text, good, "{what}: the mutation changed nothing");
        let (code, err) = check(&text);
        assert_eq!(code, Some(1), "{what} was not rejected: {err}");
    }
}
