//! Generated `.reg` files checked by third parties: hivex's regedit parser
//! (`reg2values.sh`) must import exactly the plan's values; the hivex flavour must merge with
//! the real `hivexregedit --merge` into a hive built by `mkhive.py`.

use crate::util::{self, lines, run_oracle};
use proptest::prelude::*;
use std::path::Path;
use tlsreg::compile::{self, Flavor, Options};
use tlsreg::emit::reg;
use tlsreg::memreg::MemRegistry;
use tlsreg::plan::{Plan, PlanBuilder};
use tlsreg::profile::{self, ProfileRef};
use tlsreg::value::RegData;

pub(crate) fn builtin(name: &str) -> tlsreg::profile::Profile {
    profile::load(&ProfileRef::Builtin(name.to_string()))
        .expect("built-in profiles load")
        .profile
}

/// What an empty registry holds after the plans, in the oracle's line format.
pub(crate) fn expected(plans: &[&Plan]) -> Vec<String> {
    let mut r = MemRegistry::new();
    for p in plans {
        r.apply(p);
    }
    r.value_lines()
}

pub(crate) fn write_reg(dir: &Path, name: &str, plan: &Plan) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, reg::to_regedit(plan).expect("the plan is writable")).unwrap();
    p
}

#[test]
fn every_builtin_imports_to_exactly_its_plan() {
    let dir = util::tempdir();
    for name in util::builtins() {
        let files = util::builtin_reg_files(name, Options::default());
        assert!(!files.is_empty());
        for (out, plan) in files {
            let path = dir.path().join(&out.file_name);
            std::fs::write(&path, &out.bytes).unwrap();
            let Some(got) = run_oracle("reg2values.sh", &[&path]) else {
                return;
            };
            assert_eq!(
                lines(&got),
                expected(&[&plan]),
                "{}: hivex imported something else than the plan",
                out.file_name
            );
            assert!(!lines(&got).is_empty(), "{} sets nothing", out.file_name);
        }
    }
}

/// The build families of a built-in are what the tables say: each family's file holds the
/// suite list resolved for its first build, and the ECDHE names Windows 7 to 8.1 know.
#[test]
fn family_files_hold_the_names_their_builds_know() {
    let dir = util::tempdir();
    let files = util::builtin_reg_files("best-practices", Options::default());
    let names: Vec<&str> = files.iter().map(|(o, _)| o.file_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "best-practices.build-7601-9600.reg",
            "best-practices.build-10240-20347.reg",
            "best-practices.build-20348-up.reg"
        ]
    );
    let functions = |got: &[String]| -> String {
        got.iter()
            .find(|l| l.contains("Functions"))
            .cloned()
            .expect("a Functions value")
    };
    let mut seen = Vec::new();
    for (out, _) in &files {
        let path = dir.path().join(&out.file_name);
        std::fs::write(&path, &out.bytes).unwrap();
        let Some(got) = run_oracle("reg2values.sh", &[&path]) else {
            return;
        };
        seen.push(functions(&lines(&got)));
    }
    // Windows 7 / 8.1: curve-suffixed ECDHE names, no TLS 1.3 suite, no ECDHE_RSA GCM.
    assert!(
        seen[0].contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256_P256"),
        "{}",
        seen[0]
    );
    assert!(!seen[0].contains("TLS_AES_"), "{}", seen[0]);
    assert!(
        !seen[0].contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{}",
        seen[0]
    );
    // Windows 10 to Server 2022's predecessor: the profile's names without TLS 1.3 suites.
    assert!(!seen[1].contains("_P256"), "{}", seen[1]);
    assert!(!seen[1].contains("TLS_AES_"), "{}", seen[1]);
    assert!(
        seen[1].contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{}",
        seen[1]
    );
    // 20348 and later: every name as written.
    assert!(seen[2].contains("TLS_AES_256_GCM_SHA384"), "{}", seen[2]);
    // Each name in each file is known on the family's first build.
    for ((out, plan), first) in files.iter().zip([7601, 10240, 20348]) {
        for op in &plan.ops {
            if let tlsreg::plan::Op::SetValue {
                name,
                data: tlsreg::value::RegData::Sz(list),
                ..
            } = op
            {
                if name == "Functions" {
                    for n in list.split(',') {
                        assert_ne!(
                            tlsreg::catalog::suite_builds::known_on(n, first),
                            Some(false),
                            "{}: {n} unknown on {first}",
                            out.file_name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_builtin_revert_removes_what_it_set() {
    let dir = util::tempdir();
    for name in util::builtins() {
        let revert = util::builtin_reg_files(
            name,
            Options {
                revert: true,
                ..Options::default()
            },
        );
        assert_eq!(revert.len(), 1, "{name}: one undo file for every build");
        let (revert, _) = &revert[0];
        assert_eq!(revert.file_name, format!("{name}.revert.reg"));
        let r = dir.path().join(&revert.file_name);
        std::fs::write(&r, &revert.bytes).unwrap();
        for (apply, _) in util::builtin_reg_files(name, Options::default()) {
            let a = dir.path().join(&apply.file_name);
            std::fs::write(&a, &apply.bytes).unwrap();
            let Some(got) = run_oracle("reg2values.sh", &[&a, &r]) else {
                return;
            };
            assert_eq!(
                lines(&got),
                Vec::<String>::new(),
                "{}: values left after the revert file",
                apply.file_name
            );
        }
    }
}

#[test]
fn os_default_deletes_inherited_values() {
    let dir = util::tempdir();
    let base = builtin("strict").plan();
    let child = r#"
extends: [strict]
protocols:
  TLS 1.3: os-default
  SSL 3.0: { client: os-default }
cipher-suites: os-default
key-exchanges:
  Diffie-Hellman: { state: os-default }
raw:
  - key: HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002
    delete-key: true
"#;
    let loaded = profile::load_with("child.yaml", child, Some(dir.path()), "child").unwrap();
    let plan = loaded.profile.plan();
    let a = write_reg(dir.path(), "base.reg", &base);
    let b = write_reg(dir.path(), "child.reg", &plan);
    let Some(got) = run_oracle("reg2values.sh", &[&a, &b]) else {
        return;
    };
    let want = expected(&[&base, &plan]);
    assert_eq!(lines(&got), want);
    let text = want.join("\n");
    assert!(
        !text.contains(r"TLS 1.3\Client"),
        "TLS 1.3 values were deleted"
    );
    assert!(!text.contains("Functions"), "the policy key was deleted");
    assert!(
        text.contains(r"SSL 3.0\Server	Enabled"),
        "SSL 3.0 server stays"
    );
}

fn has_hivexregedit() -> bool {
    let found = std::process::Command::new("hivexregedit")
        .arg("--help")
        .output()
        // Its --help exits non-zero; that it starts and prints its usage is what counts.
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).contains("hivexregedit")
                || String::from_utf8_lossy(&o.stderr).contains("hivexregedit")
        });
    if !found {
        util::skip("hivexregedit (Debian package libhivex-bin) is not installed");
    }
    found
}

/// Builds a hive with `mkhive.py` from spec lines (paths relative to the hive root).
fn mkhive(path: &Path, name: &str, spec: &str) -> Option<()> {
    let spec_file = path.with_extension("spec");
    std::fs::write(&spec_file, spec).unwrap();
    run_oracle(
        "mkhive.py",
        &[
            &"--name" as &dyn AsRef<std::ffi::OsStr>,
            &name,
            &path,
            &spec_file,
        ],
    )
    .map(|_| ())
}

#[test]
fn hivex_flavour_merges_into_real_hives() {
    if !has_hivexregedit() {
        return;
    }
    let dir = util::tempdir();
    for name in util::builtins() {
        let p = builtin(name);
        let opts = Options {
            flavor: Flavor::Hivex,
            control_set: Some(2),
            ..Options::default()
        };
        let outs = compile::reg_outputs(name, &p, opts).unwrap();
        assert_eq!(
            outs.iter().map(|o| o.file_name.clone()).collect::<Vec<_>>(),
            [format!("{name}.system.reg"), format!("{name}.software.reg")]
        );
        // Hives as an image has them: control set 2 current, some unrelated values present.
        let sys = dir.path().join(format!("{name}.SYSTEM"));
        let sw = dir.path().join(format!("{name}.SOFTWARE"));
        let sys_spec = "Select\tCurrent\tREG_DWORD\t0x00000002\n\
                        ControlSet002\\Control\\Lsa\tLimitBlankPasswordUse\tREG_DWORD\t0x00000001\n\
                        ControlSet001\\Control\\Lsa\tLimitBlankPasswordUse\tREG_DWORD\t0x00000001\n";
        let sw_spec = "Microsoft\\Windows NT\\CurrentVersion\tCurrentBuild\tREG_SZ\t20348\n";
        let (Some(()), Some(())) = (
            mkhive(&sys, "SYSTEM", sys_spec),
            mkhive(&sw, "SOFTWARE", sw_spec),
        ) else {
            return;
        };
        for (hive, out, prefix) in [
            (&sys, &outs[0], r"HKEY_LOCAL_MACHINE\SYSTEM"),
            (&sw, &outs[1], r"HKEY_LOCAL_MACHINE\SOFTWARE"),
        ] {
            let f = dir.path().join(&out.file_name);
            std::fs::write(&f, &out.bytes).unwrap();
            let o = std::process::Command::new("hivexregedit")
                .arg("--merge")
                .arg("--prefix")
                .arg(prefix)
                .arg(hive)
                .arg(&f)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "hivexregedit --merge {}: {}",
                f.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let Some(got_sys) = run_oracle("hive2values.sh", &[&sys, &r"HKEY_LOCAL_MACHINE\SYSTEM"])
        else {
            return;
        };
        let Some(got_sw) = run_oracle("hive2values.sh", &[&sw, &r"HKEY_LOCAL_MACHINE\SOFTWARE"])
        else {
            return;
        };
        let mut got: Vec<String> = lines(&got_sys).into_iter().chain(lines(&got_sw)).collect();
        got.sort();
        let mut want = expected(&[&p.plan().with_control_set(2)]);
        want.extend(
            [
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\tCurrentBuild\tREG_SZ\t20348",
                "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\tLimitBlankPasswordUse\tREG_DWORD\t0x00000001",
                "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Control\\Lsa\tLimitBlankPasswordUse\tREG_DWORD\t0x00000001",
                "HKEY_LOCAL_MACHINE\\SYSTEM\\Select\tCurrent\tREG_DWORD\t0x00000002",
            ]
            .map(String::from),
        );
        want.sort();
        assert_eq!(got, want, "{name}: the merged hives differ from the plan");
    }
}

#[test]
fn hivex_flavour_carries_non_ascii_and_deletions() {
    if !has_hivexregedit() {
        return;
    }
    let dir = util::tempdir();
    let mut b = PlanBuilder::default();
    b.delete_key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Old");
    b.set(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Ünïcode ∕ key",
        "Wert €",
        RegData::Sz("grüße \"x\" \\ 日本".into()),
    );
    b.set(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Ünïcode ∕ key",
        "multi",
        RegData::MultiSz(vec!["ä".into(), "b".into()]),
    );
    b.delete_value(r"HKEY_LOCAL_MACHINE\SOFTWARE\Keep", "gone");
    let plan = b.finish();
    let sw = dir.path().join("SOFTWARE");
    let spec = "Old\\Sub\tv\tREG_DWORD\t0x00000001\nKeep\tgone\tREG_DWORD\t0x00000001\nKeep\tstay\tREG_DWORD\t0x00000002\n";
    let Some(()) = mkhive(&sw, "SOFTWARE", spec) else {
        return;
    };
    let f = dir.path().join("x.software.reg");
    std::fs::write(&f, reg::to_hivex(&plan, reg::HiveRoot::Software).unwrap()).unwrap();
    let o = std::process::Command::new("hivexregedit")
        .args(["--merge", "--prefix", r"HKEY_LOCAL_MACHINE\SOFTWARE"])
        .arg(&sw)
        .arg(&f)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let Some(got) = run_oracle("hive2values.sh", &[&sw, &r"HKEY_LOCAL_MACHINE\SOFTWARE"]) else {
        return;
    };
    let mut r = MemRegistry::new();
    r.set_raw(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Keep",
        "stay",
        4,
        2u32.to_le_bytes().to_vec(),
    );
    r.apply(&plan);
    assert_eq!(lines(&got), r.value_lines());
}

// ---- random plans ----------------------------------------------------------------------

pub(crate) fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        1 => Just(' '),
        1 => Just('/'),
        1 => Just('"'),
        1 => Just('@'),
        1 => Just('.'),
        1 => Just('['),
        1 => Just(']'),
        1 => Just('='),
        1 => Just(';'),
        1 => Just('ä'),
        1 => Just('€'),
        1 => Just('日'),
        1 => Just('😀'),
    ]
}

pub(crate) fn key_component() -> impl Strategy<Value = String> {
    proptest::collection::vec(name_char(), 1..12)
        .prop_map(|cs| cs.into_iter().collect::<String>())
        .prop_filter("no edge white space", |s| s.trim() == s)
}

pub(crate) fn value_name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just("@".to_string()),
        8 => proptest::collection::vec(prop_oneof![6 => name_char(), 1 => Just('\\'), 1 => Just('\t')], 1..16)
            .prop_map(|cs| cs.into_iter().collect::<String>()),
    ]
}

pub(crate) fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![8 => name_char(), 1 => Just('\\'), 1 => Just('\n'), 1 => Just('\r'), 1 => Just('\t')], 0..40)
        .prop_map(|cs| cs.into_iter().collect())
}

pub(crate) fn data() -> impl Strategy<Value = RegData> {
    prop_oneof![
        text().prop_map(RegData::Sz),
        (text(), proptest::collection::vec(Just('\0'), 0..2)).prop_map(|(t, nul)| RegData::Sz(
            format!("{t}{}", nul.into_iter().collect::<String>())
        )),
        text().prop_map(RegData::ExpandSz),
        proptest::collection::vec(
            text().prop_filter("items are not empty", |s| !s.is_empty()),
            0..5
        )
        .prop_map(RegData::MultiSz),
        any::<u32>().prop_map(RegData::Dword),
        any::<u64>().prop_map(RegData::Qword),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(RegData::Binary),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(RegData::None),
    ]
}

#[derive(Debug, Clone)]
pub(crate) enum Step {
    Set(usize, String, RegData),
    DeleteValue(usize, String),
    DeleteKey(usize),
}

pub(crate) fn steps() -> impl Strategy<Value = (Vec<Vec<String>>, Vec<Step>)> {
    let keys = proptest::collection::vec(proptest::collection::vec(key_component(), 1..4), 1..5);
    keys.prop_flat_map(|keys| {
        let n = keys.len();
        let step = prop_oneof![
            8 => (0..n, value_name(), data()).prop_map(|(k, name, d)| Step::Set(k, name, d)),
            1 => (0..n, value_name()).prop_map(|(k, name)| Step::DeleteValue(k, name)),
            1 => (0..n).prop_map(Step::DeleteKey),
        ];
        (Just(keys), proptest::collection::vec(step, 1..12))
    })
}

/// The plan the random steps describe.
pub(crate) fn plan_of(keys: &[Vec<String>], steps: &[Step]) -> Plan {
    let mut b = PlanBuilder::default();
    for s in steps {
        match s {
            Step::Set(k, name, d) => b.set(&key_path(&keys[*k]), name, d.clone()),
            Step::DeleteValue(k, name) => b.delete_value(&key_path(&keys[*k]), name),
            Step::DeleteKey(k) => b.delete_key(&key_path(&keys[*k])),
        }
    }
    b.finish()
}

pub(crate) fn key_path(k: &[String]) -> String {
    format!(r"HKEY_LOCAL_MACHINE\SOFTWARE\tlsreg-test\{}", k.join("\\"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random plans written as `.reg` and imported by hivex come back value for value.
    #[test]
    fn random_plans_round_trip_through_hivex((keys, steps) in steps()) {
        let plan = plan_of(&keys, &steps);
        let dir = util::tempdir();
        let f = write_reg(dir.path(), "random.reg", &plan);
        if let Some(got) = run_oracle("reg2values.sh", &[&f]) {
            prop_assert_eq!(lines(&got), expected(&[&plan]));
        }
    }
}

/// Registry names compare one UTF-16 unit at a time with the simple upper-case mapping, so
/// `Straße`/`STRASSE` and `ﬁle`/`FILE` are two keys and two values to Windows, hivex and
/// Wine. The plan and the `.reg` keep all of them (full case folding used to merge them, and
/// a value was silently lost).
#[test]
fn names_differing_by_full_case_mapping_stay_apart() {
    let mut b = PlanBuilder::default();
    b.set(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\T\Straße",
        "ﬁle",
        RegData::Dword(1),
    );
    b.set(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\T\Straße",
        "FILE",
        RegData::Dword(2),
    );
    b.set(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\T\STRASSE",
        "v",
        RegData::Dword(3),
    );
    b.set(
        r"HKEY_LOCAL_MACHINE\SOFTWARE\T\strasse",
        "V",
        RegData::Dword(4),
    );
    let plan = b.finish();
    assert_eq!(plan.ops.len(), 3, "{:#?}", plan.ops);
    let dir = util::tempdir();
    let path = write_reg(dir.path(), "case.reg", &plan);
    let Some(got) = run_oracle("reg2values.sh", &[&path]) else {
        return;
    };
    let got = lines(&got);
    assert_eq!(got, expected(&[&plan]));
    assert_eq!(got.len(), 3, "hivex imported {got:#?}");
    assert!(got.iter().any(|l| l.contains(r"\STRASSE	V	")), "{got:#?}");
}
