//! The audit against hives written by third parties: scenario hives built by hivex through
//! `mkhive.py` (committed in `tests/fixtures/audit` with their specs and `make.sh`), a round
//! trip of every built-in profile (compile, import with hivex, build a hive, audit), and the
//! real hives of `../shared/testdata`, whose values must equal what `hive2values.sh` dumps.

use crate::oracle::builtin;
use crate::util::{self, lines, run_oracle};
use std::path::{Path, PathBuf};
use tlsreg::audit::{self, Check, Inputs, Options, Report, Status};
use tlsreg::hive::{HiveFile, Request};

/// Strict (`false`) or effective (`true`) judging, the other options at their defaults.
fn mode(effective: bool) -> Options {
    Options {
        effective,
        ..Options::default()
    }
}

fn findings(r: &Report) -> String {
    tlsreg::audit::render::human(r, false, tlsreg::audit::render::Verbosity::Verbose)
}

/// Builds a hive with mkhive.py from full-path spec lines (`HKEY_LOCAL_MACHINE\SYSTEM\...`).
fn mkhive(out: &Path, root: &str, name: &str, spec: &[String]) -> Option<()> {
    let spec_file = out.with_extension("spec");
    std::fs::write(&spec_file, spec.join("\n") + "\n").unwrap();
    run_oracle(
        "mkhive.py",
        &[
            &"--root" as &dyn AsRef<std::ffi::OsStr>,
            &root,
            &"--ccs",
            &"ControlSet001",
            &"--name",
            &name,
            &out,
            &spec_file,
        ],
    )
    .map(|_| ())
}

#[test]
fn every_builtin_round_trips_to_a_compliant_hive() {
    let dir = util::tempdir();
    for name in util::builtins() {
        let p = builtin(name);
        let reg = tlsreg::compile::reg_outputs(name, &p, Default::default())
            .unwrap()
            .remove(0);
        let reg_path = dir.path().join(&reg.file_name);
        std::fs::write(&reg_path, &reg.bytes).unwrap();
        let Some(got) = run_oracle("reg2values.sh", &[&reg_path]) else {
            return;
        };
        let (mut sys, mut sw): (Vec<String>, Vec<String>) = lines(&got)
            .into_iter()
            .partition(|l| l.starts_with(r"HKEY_LOCAL_MACHINE\SYSTEM\"));
        sys.push("HKEY_LOCAL_MACHINE\\SYSTEM\\Select\tCurrent\tREG_DWORD\t0x00000001".into());
        // The control set Select names exists even when the profile writes nothing there.
        sys.push("HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001".into());
        sw.push("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\tCurrentBuild\tREG_SZ\t20348".into());
        sw.push("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\tProductName\tREG_SZ\tWindows Server 2022 Standard".into());
        sw.push("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\tInstallationType\tREG_SZ\tServer".into());
        sw.push("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full\tRelease\tREG_DWORD\t0x00081021".into());
        let sys_hive = dir.path().join(format!("{name}.SYSTEM"));
        let sw_hive = dir.path().join(format!("{name}.SOFTWARE"));
        let (Some(()), Some(())) = (
            mkhive(&sys_hive, r"HKEY_LOCAL_MACHINE\SYSTEM", "SYSTEM", &sys),
            mkhive(&sw_hive, r"HKEY_LOCAL_MACHINE\SOFTWARE", "SOFTWARE", &sw),
        ) else {
            return;
        };
        let inputs = Inputs {
            system: Some(sys_hive),
            software: Some(sw_hive),
            os_build: None,
            no_recover: false,
        };
        for effective in [false, true] {
            let r = audit::audit(&p, &inputs, mode(effective)).unwrap();
            assert!(
                r.compliant,
                "{name} (effective {effective}):\n{}",
                findings(&r)
            );
            assert_eq!(
                (
                    r.summary.fail,
                    r.summary.warn,
                    r.summary.unknown,
                    r.summary.not_audited
                ),
                (0, 0, 0, 0),
                "{name}:\n{}",
                findings(&r)
            );
            assert!(r.summary.pass > 0);
        }
    }
}

/// The real SYSTEM and SOFTWARE hives of the shared corpus.
fn corpus() -> Vec<(PathBuf, &'static str)> {
    let t = util::shared().join("testdata/hives");
    [
        ("derived/SYSTEM_B.regipy-recovered", "SYSTEM"),
        (
            "derived/SYSTEM_win7sp1_x86+hardened_schannel.hivex-merged",
            "SYSTEM",
        ),
        ("derived/libguestfs-windows-system", "SYSTEM"),
        ("dissect.regf/tests/_data/SYSTEM", "SYSTEM"),
        ("regipy/regipy_tests/data/SYSTEM", "SYSTEM"),
        ("regipy/regipy_tests/data/SYSTEM_2", "SYSTEM"),
        ("regipy/regipy_tests/data/SYSTEM_B", "SYSTEM"),
        ("regipy/regipy_tests/data/SYSTEM_WIN_10_1709", "SYSTEM"),
        ("derived/libguestfs-windows-software", "SOFTWARE"),
        ("derived/wine8-software", "SOFTWARE"),
    ]
    .into_iter()
    .map(|(p, k)| (t.join(p), k))
    .collect()
}

#[test]
fn every_real_hive_audits_and_reads_like_the_oracle() {
    let corpus = corpus();
    if !corpus[0].0.is_file() {
        util::skip(&format!("{} is missing", corpus[0].0.display()));
        return;
    }
    for (path, kind) in corpus {
        let inputs = if kind == "SYSTEM" {
            Inputs {
                system: Some(path.clone()),
                software: None,
                os_build: Some(19045),
                no_recover: false,
            }
        } else {
            Inputs {
                system: None,
                software: Some(path.clone()),
                os_build: None,
                no_recover: false,
            }
        };
        for profile in ["best-practices", "dotnet-strong-crypto"] {
            let r = audit::audit(&builtin(profile), &inputs, mode(true));
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!r.findings.is_empty());
        }
        // The values tlsreg reads for the SCHANNEL, .NET and WinHTTP keys equal the dump.
        let root = format!(r"HKEY_LOCAL_MACHINE\{kind}");
        let mut h = HiveFile::open(&path).unwrap();
        let req: Vec<Request> = if kind == "SYSTEM" {
            let sel = h.extract(&root, &[Request::Key("Select".into())]).unwrap();
            let Some((4, b)) = sel.get(&format!(r"{root}\Select"), "Current") else {
                panic!("{}: no Select\\Current", path.display())
            };
            let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            vec![Request::Tree(format!(
                r"ControlSet{n:03}\Control\SecurityProviders\SCHANNEL"
            ))]
        } else {
            vec![
                Request::Tree(r"Microsoft\.NETFramework".into()),
                Request::Tree(r"WOW6432Node\Microsoft\.NETFramework".into()),
                Request::Tree(r"Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp".into()),
                Request::Tree(
                    r"WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp"
                        .into(),
                ),
            ]
        };
        let ours = h.extract(&root, &req).unwrap();
        let Some(dump) = dump(&path, &root) else {
            return;
        };
        let dump = match dump {
            Ok(d) => d,
            Err(why) => {
                // No oracle reads it: compare with the corpus' own description (PROVENANCE.md:
                // "EventLogging=1; empty Ciphers, CipherSuites, Hashes, KeyExchangeAlgorithms,
                // Protocols").
                assert!(
                    path.ends_with("derived/SYSTEM_B.regipy-recovered"),
                    "{}: {why}",
                    path.display()
                );
                let sch =
                    r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL";
                assert_eq!(
                    ours.value_lines(),
                    [format!("{sch}\tEventLogging\tREG_DWORD\t0x00000001")]
                );
                let mut subs = ours.subkeys(sch);
                subs.sort();
                assert_eq!(
                    subs,
                    [
                        "CipherSuites",
                        "Ciphers",
                        "Hashes",
                        "KeyExchangeAlgorithms",
                        "Protocols"
                    ]
                );
                continue;
            }
        };
        let prefixes: Vec<String> = req
            .iter()
            .map(|r| match r {
                Request::Tree(p) | Request::Key(p) | Request::Children(p) => {
                    format!(r"{root}\{p}").to_ascii_lowercase()
                }
            })
            .collect();
        let under = |l: &String| {
            let k = l
                .split('\t')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            prefixes
                .iter()
                .any(|p| k == *p || k.starts_with(&format!("{p}\\")))
        };
        let want: Vec<String> = lines(&dump).into_iter().filter(under).collect();
        assert_eq!(ours.value_lines(), want, "{}", path.display());
    }
}

/// `hive2values.sh` of a hive, or `Err` with the oracle's message where every reader refuses
/// it (hivex and libregf refuse `SYSTEM_B.regipy-recovered` for its wrong checksum).
fn dump(path: &Path, root: &str) -> Option<Result<String, String>> {
    let script = util::oracle("hive2values.sh")?;
    let o = std::process::Command::new(&script)
        .arg(path)
        .arg(root)
        .output()
        .unwrap();
    match o.status.code() {
        Some(0) => Some(Ok(util::stdout(&o))),
        Some(5) => Some(Err(util::stderr(&o))),
        Some(4) => {
            util::skip(&util::stderr(&o));
            None
        }
        code => panic!(
            "hive2values.sh {} failed with {code:?}: {}",
            path.display(),
            util::stderr(&o)
        ),
    }
}

/// A scenario fixture, or `None` (skipped) when the fixtures were not built.
fn fixture(name: &str) -> PathBuf {
    let p = util::root()
        .join("tests/fixtures/audit")
        .join(format!("{name}.hive"));
    assert!(
        p.is_file(),
        "{} is missing: run tests/fixtures/audit/make.sh",
        p.display()
    );
    p
}

fn run(profile: &str, system: Option<&str>, software: Option<&str>, effective: bool) -> Report {
    let inputs = Inputs {
        system: system.map(fixture),
        software: software.map(fixture),
        os_build: None,
        no_recover: false,
    };
    audit::audit(&builtin(profile), &inputs, mode(effective)).unwrap()
}

fn find<'a>(r: &'a Report, check: Check, setting: &str, value: Option<&str>) -> &'a audit::Finding {
    r.findings
        .iter()
        .find(|f| f.check == check && f.setting == setting && f.value.as_deref() == value)
        .unwrap_or_else(|| {
            panic!(
                "no {check:?} finding for {setting} {value:?}:\n{}",
                findings(r)
            )
        })
}

fn audit_with(
    profile: &tlsreg::profile::Profile,
    system: Option<&str>,
    software: Option<&str>,
    os_build: Option<u32>,
    effective: bool,
) -> Report {
    let inputs = Inputs {
        system: system.map(fixture),
        software: software.map(fixture),
        os_build,
        no_recover: false,
    };
    audit::audit(profile, &inputs, mode(effective)).unwrap()
}

fn profile(src: &str) -> tlsreg::profile::Profile {
    tlsreg::profile::load_with("p.yaml", src, None, "p")
        .unwrap()
        .profile
}

fn values(r: &Report) -> Vec<&audit::Finding> {
    r.findings
        .iter()
        .filter(|f| f.check == Check::Value)
        .collect()
}

#[test]
fn the_current_control_set_is_the_one_audited() {
    let r = run(
        "enable-tls12",
        Some("ccs2-system"),
        Some("ccs2-software"),
        false,
    );
    assert_eq!(r.control_sets.as_ref().map(|c| c.current), Some(2));
    let v = values(&r);
    assert_eq!(v.len(), 4);
    for f in v {
        assert_eq!(f.status, Status::Pass, "{}", findings(&r));
        assert!(f.key.contains(r"\ControlSet002\"), "{}", f.key);
    }
    let lkg = find(&r, Check::Image, "control set", Some("LastKnownGood"));
    assert_eq!(
        (lkg.status, lkg.actual.as_deref()),
        (Status::Warn, Some("1"))
    );
    assert_eq!(
        r.os.as_ref().unwrap().name,
        "Windows Server 2019 Standard (build 17763.5696)"
    );
    // No .NET Framework 4 is installed in that image: no .NET 4 app can fail, so the
    // prerequisite passes and the image is compliant.
    let dotnet = find(&r, Check::Prerequisite, ".NET Framework 4", None);
    assert_eq!(
        (dotnet.status, dotnet.actual.as_deref()),
        (Status::Pass, Some("not installed"))
    );
    assert!(r.compliant, "{}", findings(&r));
}

#[test]
fn strict_fails_where_nothing_is_set_and_effective_follows_the_defaults() {
    let p = profile("protocols:\n  TLS 1.0: enabled\n  TLS 1.2: enabled\n  SSL 2.0: disabled\n  SSL 3.0: disabled\n  TLS 1.3: enabled\n");
    let strict = audit_with(
        &p,
        Some("empty-system"),
        Some("empty-20348-software"),
        None,
        false,
    );
    assert!(
        values(&strict)
            .iter()
            .all(|f| f.status == Status::Fail && f.reason == "the key is missing"),
        "{}",
        findings(&strict)
    );
    let effective = |build: &str| {
        audit_with(
            &p,
            Some("empty-system"),
            Some(&format!("empty-{build}-software")),
            None,
            true,
        )
    };
    let st = |r: &Report, proto: &str| {
        find(
            r,
            Check::Effective,
            &format!("protocol {proto} (server)"),
            None,
        )
        .status
    };
    let r = effective("9600");
    assert_eq!(
        [
            st(&r, "TLS 1.0"),
            st(&r, "TLS 1.2"),
            st(&r, "SSL 2.0"),
            st(&r, "SSL 3.0"),
            st(&r, "TLS 1.3")
        ],
        [
            Status::Pass,
            Status::Pass,
            Status::Fail,
            Status::Fail,
            Status::Fail
        ]
    );
    let r = effective("14393");
    assert_eq!(
        [
            st(&r, "TLS 1.0"),
            st(&r, "TLS 1.2"),
            st(&r, "SSL 2.0"),
            st(&r, "SSL 3.0"),
            st(&r, "TLS 1.3")
        ],
        [
            Status::Pass,
            Status::Pass,
            Status::Pass,
            Status::Fail,
            Status::Fail
        ]
    );
    let r = effective("20348");
    assert_eq!(
        [
            st(&r, "TLS 1.0"),
            st(&r, "TLS 1.2"),
            st(&r, "SSL 2.0"),
            st(&r, "SSL 3.0"),
            st(&r, "TLS 1.3")
        ],
        [
            Status::Pass,
            Status::Pass,
            Status::Pass,
            Status::Fail,
            Status::Pass
        ]
    );
    let r = effective("22631");
    assert_eq!(
        r.os.as_ref().unwrap().name.split(" (").next(),
        Some("Windows 11 Enterprise 23H2"),
        "Windows 11 is named by its build"
    );
    assert_eq!(st(&r, "TLS 1.3"), Status::Pass);
    // Server 2025 / Windows 11 24H2 (26100): TLS 1.0 to 1.3 enabled on both sides, as
    // Microsoft's protocols table says since its 2025 revision (it was "unknown" here).
    let r = effective("26100");
    assert_eq!(
        [
            st(&r, "TLS 1.0"),
            st(&r, "TLS 1.2"),
            st(&r, "SSL 2.0"),
            st(&r, "SSL 3.0"),
            st(&r, "TLS 1.3")
        ],
        [
            Status::Pass,
            Status::Pass,
            Status::Pass,
            Status::Fail,
            Status::Pass
        ]
    );
}

/// TLS 1.3 on Windows 10 1903-22H2 is not supported, but the registry switches it on
/// (experimental): a profile that wants it disabled fails where it is on, and the trap says
/// what it is. It counted as "not supported", so "disabled" passed.
#[test]
fn experimental_tls13_on_windows_10_is_judged_from_its_values() {
    let d = util::tempdir();
    let hive = d.path().join("SYSTEM");
    let p = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.3";
    let spec = [
        "HKEY_LOCAL_MACHINE\\SYSTEM\\Select\tCurrent\tREG_DWORD\t0x00000001".to_string(),
        format!("{p}\\Server\tEnabled\tREG_DWORD\t0x00000001"),
        format!("{p}\\Server\tDisabledByDefault\tREG_DWORD\t0x00000000"),
        format!("{p}\\Client\tEnabled\tREG_DWORD\t0x00000001"),
    ];
    if mkhive(&hive, r"HKEY_LOCAL_MACHINE\SYSTEM", "SYSTEM", &spec).is_none() {
        return;
    }
    let prof = profile("protocols:\n  TLS 1.3: disabled\n");
    let inputs = Inputs {
        system: Some(hive),
        software: Some(fixture("empty-19045-software")),
        os_build: None,
        no_recover: false,
    };
    let r = audit::audit(&prof, &inputs, mode(true)).unwrap();
    let server = find(&r, Check::Effective, "protocol TLS 1.3 (server)", None);
    assert_eq!(server.status, Status::Fail, "{}", findings(&r));
    assert_eq!(server.actual.as_deref(), Some("enabled (Enabled=0x1, DisabledByDefault=0x0): experimental TLS 1.3 on this Windows 10 build, which Microsoft calls not a safe system configuration"));
    let client = find(&r, Check::Effective, "protocol TLS 1.3 (client)", None);
    assert_eq!(client.status, Status::Unknown, "{}", findings(&r));
    assert!(
        r.findings.iter().any(
            |f| f.check == Check::Trap && f.reason.contains("switches on experimental TLS 1.3")
        ),
        "{}",
        findings(&r)
    );
    // On 17763 (no TLS 1.3 in Schannel at all) the same values do nothing.
    let inputs = Inputs {
        software: Some(fixture("ccs2-software")),
        ..inputs
    };
    let r = audit::audit(&prof, &inputs, mode(true)).unwrap();
    assert_eq!(
        find(&r, Check::Effective, "protocol TLS 1.3 (server)", None).status,
        Status::Pass
    );
}

/// Build 6002 is Vista SP2 on a client (no TLS 1.2 at all) and Server 2008 SP2 on a
/// server (TLS 1.2 off by default, with KB4019276); `--os-build 6002` alone cannot tell.
#[test]
fn build_6002_is_judged_by_its_edition() {
    let p = profile("protocols:\n  TLS 1.2: enabled\n");
    let st = |software: Option<&str>, os_build: Option<u32>| {
        let r = audit_with(&p, Some("empty-system"), software, os_build, true);
        let f = find(&r, Check::Effective, "protocol TLS 1.2 (server)", None);
        (f.status, f.actual.clone().unwrap_or_default())
    };
    assert_eq!(
        st(Some("2008sp2-kb-software"), None),
        (
            Status::Fail,
            "the OS default for this build (off unless an application asks for it)".into()
        )
    );
    assert_eq!(st(None, Some(6002)).0, Status::Unknown);
}

#[test]
fn ffffffff_works_but_is_flagged() {
    let strict = run("enable-tls12", Some("ffffffff-system"), None, false);
    let f = strict
        .findings
        .iter()
        .find(|f| {
            f.check == Check::Value
                && f.key.ends_with(r"TLS 1.2\Server")
                && f.value.as_deref() == Some("Enabled")
        })
        .unwrap();
    assert_eq!(
        (f.status, f.actual.as_deref()),
        (Status::Fail, Some("REG_DWORD 0xffffffff"))
    );
    let trap = strict
        .findings
        .iter()
        .find(|f| f.check == Check::Trap && f.value.as_deref() == Some("Enabled"))
        .unwrap();
    assert_eq!(trap.status, Status::Warn);
    assert!(trap.key.ends_with(r"TLS 1.2\Server"));
    let effective = audit_with(
        &builtin("enable-tls12"),
        Some("ffffffff-system"),
        None,
        Some(17763),
        true,
    );
    assert_eq!(
        find(
            &effective,
            Check::Effective,
            "protocol TLS 1.2 (server)",
            None
        )
        .status,
        Status::Pass
    );
}

#[test]
fn wrong_types_fail_and_are_flagged() {
    let r = audit_with(
        &builtin("enable-tls12"),
        Some("wrongtype-system"),
        None,
        Some(17763),
        false,
    );
    let f = r
        .findings
        .iter()
        .find(|f| {
            f.check == Check::Value
                && f.key.ends_with(r"TLS 1.2\Server")
                && f.value.as_deref() == Some("Enabled")
        })
        .unwrap();
    assert_eq!(
        (f.status, f.reason.as_str(), f.actual.as_deref()),
        (
            Status::Fail,
            "the value is REG_SZ, not REG_DWORD",
            Some("REG_SZ 1")
        )
    );
    let traps: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Trap)
        .map(|f| f.reason.as_str())
        .collect();
    assert!(
        traps.contains(
            &"Enabled is REG_SZ; Schannel reads only a REG_DWORD, so this value does nothing"
        ),
        "{traps:?}"
    );
    assert!(traps.contains(&"DisabledByDefault is REG_SZ; Schannel reads only a REG_DWORD, so this value does nothing"), "{traps:?}");
}

#[test]
fn functions_as_multi_sz_is_ignored_and_the_local_list_applies() {
    let p = profile("cipher-suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n");
    let r = audit_with(
        &p,
        Some("local-functions-system"),
        Some("multisz-functions-software"),
        None,
        true,
    );
    let trap = find(&r, Check::Trap, "trap", Some("Functions"));
    assert!(
        trap.reason
            .starts_with("the policy Functions is REG_MULTI_SZ; Windows reads it only as REG_SZ"),
        "{}",
        trap.reason
    );
    let e = find(&r, Check::Effective, "cipher-suites", Some("Functions"));
    assert_eq!(e.reason, "Schannel uses the Local list (no usable policy)");
    assert_eq!(
        e.status,
        Status::Fail,
        "the Local list is not the profile's: {}",
        findings(&r)
    );
    let strict = audit_with(&p, None, Some("multisz-functions-software"), None, false);
    assert_eq!(
        values(&strict)[0].reason,
        "the value is REG_MULTI_SZ, not REG_SZ"
    );
    let r = audit_with(
        &p,
        Some("local-functions-system"),
        Some("sz-functions-software"),
        None,
        true,
    );
    let e = find(&r, Check::Effective, "cipher-suites", Some("Functions"));
    assert_eq!(
        (e.status, e.reason.as_str()),
        (
            Status::Pass,
            "Schannel uses the Group Policy list (Policies, REG_SZ)"
        )
    );
}

#[test]
fn the_known_traps_are_found() {
    let r = run(
        "best-practices",
        Some("nested-cipher-system"),
        Some("nested-cipher-software"),
        false,
    );
    let traps: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Trap)
        .map(|f| {
            format!(
                "{} | {}",
                f.key.rsplit(r"\SCHANNEL\").next().unwrap_or(&f.key),
                f.reason
            )
        })
        .collect();
    let want = [
        "Ciphers\\AES 128 | \"AES 128\\128\" is a nested key (what New-Item makes of \"AES 128/128\"); Schannel reads only \"AES 128/128\"",
        "Ciphers\\RC4 128\u{2215}128 | \"RC4 128\u{2215}128\" uses a look-alike slash; Schannel reads only the ASCII \"/\" name, so this key does nothing",
        "Ciphers\\Triple DES 168/168 | \"Triple DES 168/168\" is the pre-Vista name; Vista and later read \"Triple DES 168\", so this key does nothing",
        "Protocols\\DTLS 1.1 | Windows has no \"DTLS 1.1\" (its DTLS versions are DTLS 1.0 and DTLS 1.2); this key does nothing",
        "Protocols\\TLS 1.3 | a TLS 1.3 key on build 17763: Schannel has TLS 1.3 only from build 20348; enabled on Server 2019 it resets connections",
        "Protocols\\TLS 1.0 | \"TLS 1.0\" is disabled for Client and enabled for Server; a server that is also a client (most are) gets a mixed result",
    ];
    for w in want {
        assert!(
            traps.iter().any(|t| t == w),
            "missing trap {w:?} in:\n{}",
            traps.join("\n")
        );
    }
}

#[test]
fn prerequisites_of_the_article() {
    let st = |sw: &str, what: &str| {
        find(
            &run("enable-tls12", None, Some(sw), false),
            Check::Prerequisite,
            what,
            None,
        )
        .status
    };
    assert_eq!(st("2008sp2-kb-software", "KB4019276"), Status::Pass);
    assert_eq!(st("2008sp2-nokb-software", "KB4019276"), Status::Fail);
    assert_eq!(st("2008r2-nosp1-software", "service pack"), Status::Fail);
    assert_eq!(st("2008r2-sp1-software", "operating system"), Status::Pass);
    // .NET: what is installed decides (none at all cannot fail; 4.0 cannot use TLS 1.2;
    // 4.5.x needs SchUseStrongCrypto in each view; 4.6 and later need nothing).
    let dotnet = |sw: &str| {
        let r = run("enable-tls12", None, Some(sw), false);
        let f = find(&r, Check::Prerequisite, ".NET Framework 4", None);
        (f.status, f.actual.clone().unwrap_or_default())
    };
    assert_eq!(
        dotnet("dotnet-none-software"),
        (Status::Pass, "not installed".into())
    );
    assert_eq!(
        dotnet("dotnet-old-software"),
        (
            Status::Fail,
            "4.0 (no Release value: 4.5 or later is not installed)".into()
        )
    );
    assert_eq!(
        dotnet("dotnet-45-boundary-software"),
        (Status::Fail, r"Release 378389 (4.5.x), SchUseStrongCrypto not 1 in HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319".into())
    );
    assert_eq!(
        dotnet("dotnet-452-strong-software"),
        (
            Status::Pass,
            "Release 379893 (4.5.x), SchUseStrongCrypto=1".into()
        )
    );
    assert_eq!(
        dotnet("dotnet-452-wow-software"),
        (Status::Fail, r"Release 379893 (4.5.x), SchUseStrongCrypto not 1 in HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319".into())
    );
    assert_eq!(
        dotnet("dotnet-new-software"),
        (Status::Pass, "Release 528049 (4.6 or later)".into())
    );
    // .NET 3.5: a warning without SystemDefaultTlsVersions (the update cannot be seen), a
    // pass with it; no finding where 3.5 is not installed.
    let v35 = |sw: &str| {
        let r = run("enable-tls12", None, Some(sw), false);
        r.findings
            .iter()
            .find(|f| f.setting == ".NET Framework 3.5")
            .map(|f| f.status)
    };
    assert_eq!(v35("dotnet-none-software"), Some(Status::Warn));
    assert_eq!(v35("dotnet-452-strong-software"), Some(Status::Pass));
    assert_eq!(v35("dotnet-new-software"), None);
    // No .NET 4 is no reason to fail: the image with nothing but its OS passes them.
    let r = run("enable-tls12", None, Some("dotnet-none-software"), false);
    assert!(
        r.findings
            .iter()
            .filter(|f| f.check == Check::Prerequisite)
            .all(|f| f.status != Status::Fail),
        "{}",
        findings(&r)
    );
    // The .NET profile itself passes on the image that has its keys.
    let r = run(
        "dotnet-strong-crypto",
        None,
        Some("dotnet-new-software"),
        false,
    );
    let v4: Vec<_> = values(&r)
        .into_iter()
        .filter(|f| f.key.ends_with("v4.0.30319"))
        .collect();
    assert_eq!(v4.len(), 4);
    assert!(
        v4.iter().all(|f| f.status == Status::Pass),
        "{}",
        findings(&r)
    );
    // Settings in a hive that was not given are not audited, never passed; that alone does
    // not make the image non-compliant, unless --require-all.
    let r = run("enable-tls12", None, Some("dotnet-new-software"), false);
    assert!(values(&r)
        .iter()
        .all(|f| f.status == Status::NotAudited && f.reason == "no SYSTEM hive was given"));
    assert!(r.compliant, "{}", findings(&r));
    assert!(!r.complete);
    let inputs = Inputs {
        system: None,
        software: Some(fixture("dotnet-new-software")),
        os_build: None,
        no_recover: false,
    };
    let strict = Options {
        require_all: true,
        ..Options::default()
    };
    let r = audit::audit(&builtin("enable-tls12"), &inputs, strict).unwrap();
    assert!(!r.compliant);
}

#[test]
fn a_pending_reboot_and_a_dirty_hive_are_reported() {
    let r = run(
        "enable-tls12",
        Some("dirty-system"),
        Some("pending-reboot-software"),
        false,
    );
    let dirty = r
        .findings
        .iter()
        .find(|f| f.check == Check::Image && f.setting == "hive")
        .unwrap();
    assert_eq!(
        (dirty.status, dirty.actual.as_deref()),
        (Status::Warn, Some("primary sequence 2 != secondary 1"))
    );
    assert!(r.system.as_ref().unwrap().dirty);
    let pending = find(&r, Check::Image, "pending reboot", None);
    assert!(pending
        .key
        .ends_with(r"Component Based Servicing\RebootPending"));
    // The dirty hive is still read: control set 2's values pass.
    assert!(
        values(&r).iter().all(|f| f.status == Status::Pass),
        "{}",
        findings(&r)
    );
}

// ---- the command line -------------------------------------------------------------------

fn cli(args: &[&dyn AsRef<std::ffi::OsStr>]) -> std::process::Output {
    let mut c = util::tlsreg();
    c.arg("audit");
    for a in args {
        c.arg(a);
    }
    util::run(&mut c)
}

#[test]
fn exit_codes_follow_the_verdict() {
    let d = util::tempdir();
    let ok = d.path().join("ok.yaml");
    util::write(&ok, "protocols:\n  TLS 1.0: os-default\n");
    let o = cli(&[
        &"-p",
        &ok,
        &"--system",
        &fixture("empty-system"),
        &"--software",
        &fixture("empty-20348-software"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        util::stdout(&o),
        util::stderr(&o)
    );
    assert!(
        util::stdout(&o)
            .ends_with("summary: 4 pass, 0 fail, 0 warn, 0 unknown, 0 not audited: COMPLIANT\n"),
        "{}",
        util::stdout(&o)
    );
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--system",
        &fixture("empty-system"),
        &"--software",
        &fixture("empty-20348-software"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(util::stdout(&o).contains("NOT COMPLIANT"));
    assert!(
        !util::stdout(&o).contains('\x1b'),
        "no colour off a terminal"
    );
    // A correct image audited from its SYSTEM hive alone: the .NET check cannot be made,
    // which is said, and does not by itself make the image non-compliant.
    let sys_only = |extra: &[&str]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"-p", &"enable-tls12", &"--os-build", &"17763", &"--system"];
        let hive = fixture("ccs2-system");
        args.push(&hive);
        for e in extra {
            args.push(e);
        }
        cli(&args)
    };
    let o = sys_only(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", util::stdout(&o));
    assert!(
        util::stdout(&o).ends_with("summary: 5 pass, 0 fail, 1 warn, 0 unknown, 1 not audited: COMPLIANT for the hives given (1 not audited; --require-all makes that non-compliant)\n"),
        "{}",
        util::stdout(&o)
    );
    let o = sys_only(&["--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let j = &j["images"][0]["report"];
    assert_eq!(
        (j["compliant"].as_bool(), j["complete"].as_bool()),
        (Some(true), Some(false))
    );
    let o = sys_only(&["--require-all"]);
    assert_eq!(o.status.code(), Some(1), "{}", util::stdout(&o));
    assert!(
        util::stdout(&o).ends_with("1 not audited: NOT COMPLIANT\n"),
        "{}",
        util::stdout(&o)
    );
    let junk = d.path().join("junk");
    std::fs::write(&junk, vec![0u8; 8192]).unwrap();
    let o = cli(&[&"-p", &"enable-tls12", &"--system", &junk]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(util::stderr(&o), format!("error: {}: offset 0x00000000: not a registry hive: the file starts with [00, 00, 00, 00], not \"regf\"\n", junk.display()));
    let o = cli(&[&"-p", &"enable-tls12"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn roots_are_found_case_insensitively_and_audited_as_a_batch() {
    let d = util::tempdir();
    let a = d.path().join("vm-a");
    let config = a.join("WINDOWS/system32/Config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(fixture("ccs2-system"), config.join("system")).unwrap();
    std::fs::copy(fixture("ccs2-software"), config.join("SOFTWARE")).unwrap();
    let b = d.path().join("vm-b-config");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(fixture("empty-system"), b.join("SYSTEM")).unwrap();
    let missing = d.path().join("vm-c");
    std::fs::create_dir_all(&missing).unwrap();
    let list = d.path().join("roots.txt");
    util::write(
        &list,
        &format!("# images\n{}\n\n{}\n", b.display(), missing.display()),
    );
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--root",
        &a,
        &"--roots-file",
        &list,
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an image that cannot be audited makes the batch exit 2"
    );
    let out = util::stdout(&o);
    assert!(out.contains(&format!("== {}\n", a.display())), "{out}");
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("result "))
        .collect();
    assert_eq!(table.len(), 4, "{out}");
    assert!(
        table[1].starts_with("compliant ") && table[1].ends_with(&a.display().to_string()),
        "{out}"
    );
    assert!(
        table[2].starts_with("NOT compliant") && table[2].ends_with(&b.display().to_string()),
        "{out}"
    );
    assert!(
        table[3].starts_with("ERROR") && table[3].ends_with(&missing.display().to_string()),
        "{out}"
    );
    assert!(
        util::stderr(&o).contains("holds no SYSTEM or SOFTWARE hive")
            || util::stderr(&o).contains("neither SYSTEM/SOFTWARE"),
        "{}",
        util::stderr(&o)
    );
    // JSON: one entry per image.
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--root",
        &a,
        &"--root",
        &b,
        &"--format",
        &"json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&util::stdout(&o)).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["command"], "audit");
    assert_eq!(v["images"].as_array().unwrap().len(), 2);
    let s = &v["summary"];
    assert_eq!((&s["images"], &s["errors"]), (&2.into(), &0.into()));
    assert!(s["not_compliant"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["images"][0]["report"]["control_sets"]["current"], 2);
}

#[test]
fn json_and_junit_reports() {
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--system",
        &fixture("ffffffff-system"),
        &"--os-build",
        &"17763",
        &"--format",
        &"json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&util::stdout(&o)).unwrap();
    // One image has the shape of many: the document, its images, each a record.
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["images"].as_array().unwrap().len(), 1);
    assert_eq!(doc["images"][0]["schema_version"], 2);
    assert_eq!(doc["images"][0]["result"], "not-compliant");
    assert_eq!(doc["images"][0]["error"], serde_json::Value::Null);
    assert_eq!(doc["exit_code"], 1);
    let v = &doc["images"][0]["report"];
    assert_eq!(v["mode"], "strict");
    assert_eq!(v["os"]["build"], 17763);
    let f = &v["findings"][0];
    for field in [
        "code", "check", "setting", "key", "value", "expected", "actual", "status", "reason",
        "waiver",
    ] {
        assert!(f.get(field).is_some(), "finding field {field}");
    }
    let fails = v["summary"]["fail"].as_u64().unwrap();
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--system",
        &fixture("ffffffff-system"),
        &"--os-build",
        &"17763",
        &"--format",
        &"junit",
    ]);
    let x = util::stdout(&o);
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"tlsreg audit enable-tls12 "), "{x}");
    assert_eq!(x.matches("<failure ").count() as u64, fails);
    assert_eq!(
        x.matches("<testcase ").count(),
        v["findings"].as_array().unwrap().len()
    );
    assert!(x.ends_with("</testsuites>\n"));
}

#[test]
fn fixtures_are_what_make_sh_builds() {
    if util::oracle("mkhive.py").is_none() {
        return;
    }
    let o = util::run(
        std::process::Command::new("bash")
            .arg(util::root().join("tests/fixtures/audit/make.sh"))
            .arg("--check")
            .env("TLSREG_SHARED", util::shared()),
    );
    match o.status.code() {
        Some(0) => {}
        Some(4) => util::skip(&util::stderr(&o)),
        code => panic!(
            "make.sh --check exited {code:?}:\n{}{}",
            util::stdout(&o),
            util::stderr(&o)
        ),
    }
}

#[test]
fn a_dirty_real_hive_is_recovered_from_its_logs() {
    let h = util::shared().join("testdata/hives/regipy/regipy_tests/data/SYSTEM_B");
    if !h.is_file() {
        util::skip(&format!("{} is missing", h.display()));
        return;
    }
    let p = builtin("enable-tls12");
    let inputs = Inputs {
        system: Some(h.clone()),
        software: None,
        os_build: Some(16299),
        no_recover: false,
    };
    let r = audit::audit(&p, &inputs, Options::default()).unwrap();
    let f = find(&r, Check::Image, "hive", None);
    assert_eq!(f.status, Status::Pass, "{}", findings(&r));
    assert!(
        f.reason
            .starts_with("the hive was dirty; recovered in memory from ")
            && f.reason.contains("SYSTEM_B.LOG1")
            && f.reason.contains("SYSTEM_B.LOG2"),
        "{}",
        f.reason
    );
    assert!(matches!(
        r.system.as_ref().unwrap().recovery,
        tlsreg::hive::Recovery::Recovered { entries: 24, .. }
    ));
    let stale = audit::audit(
        &p,
        &Inputs {
            no_recover: true,
            ..inputs
        },
        Options::default(),
    )
    .unwrap();
    let f = find(&stale, Check::Image, "hive", None);
    assert_eq!(
        (f.status, f.actual.as_deref()),
        (
            Status::Warn,
            Some("primary sequence 1622 != secondary 1621")
        ),
        "{}",
        findings(&stale)
    );
}

/// Two values whose names differ only in case (hivex wrote them, `make.sh`): Windows reads
/// the first (TLS 1.0 Server enabled), so the profile's "disabled" fails. tlsreg kept the
/// last one and said COMPLIANT before.
#[test]
fn a_duplicate_value_name_reads_the_first_and_is_reported() {
    let p = profile("protocols:\n  TLS 1.0: disabled\n");
    for effective in [false, true] {
        let r = audit_with(
            &p,
            Some("dupvalue-system"),
            Some("empty-19045-software"),
            None,
            effective,
        );
        assert!(!r.compliant, "{}", findings(&r));
        let dups: Vec<(&str, Option<&str>, Status)> = r
            .findings
            .iter()
            .filter(|f| f.setting == "duplicate value")
            .map(|f| (f.key.as_str(), f.value.as_deref(), f.status))
            .collect();
        let server = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server";
        assert_eq!(
            dups,
            [
                (server, Some("ENABLED"), Status::Warn),
                (server, Some("DISABLEDBYDEFAULT"), Status::Warn)
            ]
        );
    }
    let r = audit_with(
        &p,
        Some("dupvalue-system"),
        Some("empty-19045-software"),
        None,
        false,
    );
    let enabled = r
        .findings
        .iter()
        .find(|f| {
            f.check == Check::Value
                && f.key.ends_with("Server")
                && f.value.as_deref() == Some("Enabled")
        })
        .unwrap();
    assert_eq!(
        (enabled.status, enabled.actual.as_deref()),
        (Status::Fail, Some("REG_DWORD 0x00000001"))
    );
    let dup = find(&r, Check::Image, "duplicate value", Some("ENABLED"));
    assert_eq!(dup.reason, "the key holds two values named \"Enabled\" and \"ENABLED\" (Windows compares value names case-insensitively): Windows reads the first, REG_DWORD 0x00000001, and so does this audit; the later one is ignored");
    // The CLI: exit 1, not 0.
    let yaml = util::tempdir();
    let py = yaml.path().join("p.yaml");
    util::write(&py, "protocols:\n  TLS 1.0: disabled\n");
    let o = cli(&[&"-p", &py, &"--system", &fixture("dupvalue-system")]);
    assert_eq!(o.status.code(), Some(1), "{}", util::stdout(&o));
}

/// `export` writes the value Windows reads and leaves the later duplicate out, with a
/// warning: regedit importing both would keep the last.
#[test]
fn export_leaves_out_a_later_duplicate_value() {
    let d = util::tempdir();
    let out = d.path().join("x.reg");
    let o = util::run(
        util::tlsreg()
            .args([
                "export",
                "--key",
                r"ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server",
                "-o",
            ])
            .arg(&out)
            .arg("--system")
            .arg(fixture("dupvalue-system")),
    );
    assert_eq!(o.status.code(), Some(0), "{}", util::stderr(&o));
    assert!(
        util::stderr(&o)
            .contains("value \"ENABLED\": an earlier value of this key is named \"Enabled\""),
        "{}",
        util::stderr(&o)
    );
    let Some(got) = run_oracle("reg2values.sh", &[&out]) else {
        return;
    };
    let k = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server";
    assert_eq!(
        lines(&got),
        [
            format!("{k}\tDisabledByDefault\tREG_DWORD\t0x00000000"),
            format!("{k}\tEnabled\tREG_DWORD\t0x00000001"),
        ]
    );
}

/// `Select\Current` naming a control set the hive lacks is an error that names what exists;
/// before, nothing was read and the OS defaults could pass.
#[test]
fn a_current_control_set_that_does_not_exist_is_an_error() {
    let inputs = Inputs {
        system: Some(fixture("badselect-system")),
        software: Some(fixture("empty-19045-software")),
        os_build: None,
        no_recover: false,
    };
    let p = profile("protocols:\n  SSL 2.0: os-default\n");
    let e = audit::audit(&p, &inputs, mode(true)).unwrap_err();
    let want = format!("{}: Select\\Current is 3, but there is no ControlSet003 key (the hive has ControlSet001, ControlSet002; Select\\Default names ControlSet001; Select\\LastKnownGood names ControlSet002): the control set Windows would use is unknown", fixture("badselect-system").display());
    assert_eq!(e.to_string(), want);
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--effective",
        &"--system",
        &fixture("badselect-system"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(util::stderr(&o), format!("error: {want}\n"));
    // diff and export name it the same way.
    let o = util::run(
        util::tlsreg()
            .arg("diff")
            .arg(fixture("badselect-system"))
            .arg("enable-tls12"),
    );
    assert_eq!(
        (o.status.code(), util::stderr(&o)),
        (Some(2), format!("error: {want}\n"))
    );
    let o = util::run(
        util::tlsreg()
            .args(["export", "--current-control-set", "--system"])
            .arg(fixture("badselect-system")),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        util::stderr(&o).contains("there is no ControlSet003 key"),
        "{}",
        util::stderr(&o)
    );
}

/// `Enabled` stored as REG_SZ, REG_QWORD or REG_BINARY on a cipher or hash is ignored by
/// Schannel: the OS default (enabled) applies, so "disabled" fails; the real DWORD passes.
#[test]
fn a_non_dword_enabled_on_an_algorithm_means_the_default() {
    let p = profile("ciphers:\n  RC4 128/128: disabled\n  Triple DES 168: disabled\nhashes:\n  MD5: disabled\nkey-exchanges:\n  PKCS: disabled\n");
    let r = audit_with(
        &p,
        Some("nondword-cipher-system"),
        Some("empty-19045-software"),
        None,
        true,
    );
    let got: Vec<(String, Status, String)> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Effective)
        .map(|f| {
            (
                f.setting.clone(),
                f.status,
                f.actual.clone().unwrap_or_default(),
            )
        })
        .collect();
    let want = |s: &str, st, a: &str| (s.to_string(), st, a.to_string());
    assert_eq!(
        got,
        [
            want(
                "cipher RC4 128/128",
                Status::Fail,
                "enabled (the OS default: Enabled is REG_SZ, which Schannel does not read)"
            ),
            want(
                "cipher Triple DES 168",
                Status::Fail,
                "enabled (the OS default: Enabled is REG_QWORD, which Schannel does not read)"
            ),
            want(
                "hash MD5",
                Status::Fail,
                "enabled (the OS default: Enabled is REG_BINARY, which Schannel does not read)"
            ),
            want("key exchange PKCS", Status::Pass, "disabled"),
        ],
        "{}",
        findings(&r)
    );
}

/// OS identity: an unparsable CurrentBuild falls back to CurrentBuildNumber; a build that
/// no table covers has unknown defaults (it took the newest row's before).
#[test]
fn the_build_falls_back_and_unknown_builds_stay_unknown() {
    let p = profile("protocols:\n  TLS 1.2: enabled\n");
    let r = audit_with(
        &p,
        Some("empty-system"),
        Some("badbuild-software"),
        None,
        true,
    );
    assert_eq!(r.os.as_ref().map(|o| o.build), Some(19045));
    let f = find(&r, Check::Effective, "protocol TLS 1.2 (server)", None);
    assert_eq!(f.status, Status::Pass, "{}", findings(&r));
    let r = audit_with(
        &p,
        Some("empty-system"),
        Some("futurebuild-software"),
        None,
        true,
    );
    assert_eq!(r.os.as_ref().map(|o| o.build), Some(27000));
    assert!(!r.compliant);
    let f = find(&r, Check::Effective, "protocol TLS 1.2 (server)", None);
    assert_eq!(f.status, Status::Unknown, "{}", findings(&r));
    // A SOFTWARE hive that names no build: the message does not claim none was given.
    let r = audit_with(&p, Some("empty-system"), Some("empty-system"), None, false);
    let f = find(&r, Check::Prerequisite, "operating system", None);
    assert_eq!(
        f.reason,
        "the SOFTWARE hive has no CurrentBuild or CurrentBuildNumber that is a number: the OS is unknown"
    );
}

fn diff_cli(
    a: &dyn AsRef<std::ffi::OsStr>,
    b: &dyn AsRef<std::ffi::OsStr>,
    json: bool,
) -> std::process::Output {
    let mut c = util::tlsreg();
    c.arg("diff").arg(a).arg(b);
    if json {
        c.args(["--format", "json"]);
    }
    util::run(&mut c)
}

/// A volume without its SOFTWARE hive says nothing about SOFTWARE: that root is reported as
/// not compared, and its values are not "added" (they all were before).
#[test]
fn diff_of_a_half_volume_leaves_the_missing_hive_out() {
    let d = util::tempdir();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    for (v, sw) in [(&a, false), (&b, true)] {
        let config = v.join("Windows/System32/config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::copy(fixture("ccs2-system"), config.join("SYSTEM")).unwrap();
        if sw {
            std::fs::copy(fixture("ccs2-software"), config.join("SOFTWARE")).unwrap();
        }
    }
    let o = diff_cli(&a, &b, false);
    assert_eq!(
        (o.status.code(), util::stdout(&o).as_str()),
        (
            Some(0),
            "! [HKEY_LOCAL_MACHINE\\SOFTWARE] not compared: side A has no hive for it\n"
        ),
        "{}",
        util::stderr(&o)
    );
    let o = diff_cli(&b, &a, true);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["not_compared"],
        serde_json::json!([{"root": "HKEY_LOCAL_MACHINE\\SOFTWARE", "missing_on": "b"}])
    );
    assert_eq!(v["removed"], serde_json::json!([]));
    // A profile's SOFTWARE values against a volume with only SYSTEM: not compared either.
    let o = diff_cli(&"dotnet-strong-crypto", &a, false);
    assert_eq!(
        (o.status.code(), util::stdout(&o).as_str()),
        (
            Some(0),
            "! [HKEY_LOCAL_MACHINE\\SOFTWARE] not compared: side B has no hive for it\n"
        )
    );
}

/// A file that is neither a hive nor a `.reg` file is an error, not an empty registry
/// (which made every value of the other side "added"); its content is not quoted back.
#[test]
fn diff_refuses_a_file_that_is_no_registry() {
    let d = util::tempdir();
    for (name, content) in [
        ("empty.reg", &b""[..]),
        ("notes.txt", b"password=hunter2\n"),
        ("blob.bin", b"\x7fELF\x02\x01\x01\0secret"),
    ] {
        let p = d.path().join(name);
        std::fs::write(&p, content).unwrap();
        let o = diff_cli(&p, &"enable-tls12", false);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", util::stdout(&o));
        assert_eq!(
            util::stderr(&o),
            format!("error: {}: neither a hive (it does not start with \"regf\") nor a .reg file (its first line is not \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"); a profile must be named .yaml or .yml\n", p.display())
        );
        assert!(util::stdout(&o).is_empty());
    }
}

/// The value Windows reads is the one compared; the later duplicate is reported.
#[test]
fn diff_compares_the_first_of_duplicate_values() {
    let d = util::tempdir();
    let p = d.path().join("p.yaml");
    util::write(&p, "protocols:\n  TLS 1.0: disabled\n");
    let o = diff_cli(&fixture("dupvalue-system"), &p, true);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let changed: Vec<(&str, &str)> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["old"]["data"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("DisabledByDefault", "0x00000000"),
            ("Enabled", "0x00000001")
        ]
    );
    let dups: Vec<(&str, &str)> = v["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["first"].as_str().unwrap()))
        .collect();
    assert_eq!(
        dups,
        [
            ("ENABLED", "Enabled"),
            ("DISABLEDBYDEFAULT", "DisabledByDefault")
        ]
    );
}

/// Hive inputs must be regular files: a FIFO blocked forever and `/dev/zero` was read until
/// memory ran out. Each is refused at once with its path, by audit, export and diff.
#[cfg(unix)]
#[test]
fn hive_inputs_that_are_no_regular_file_are_refused_at_once() {
    let d = util::tempdir();
    let fifo = d.path().join("SYSTEM");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (input, kind) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/zero"), "character device"),
        (d.path(), "directory"),
    ] {
        let msg = format!(
            "{}: cannot read the hive: it is a {kind}, not a regular file",
            input.display()
        );
        let o = util::run_within(
            util::tlsreg()
                .args(["audit", "-p", "enable-tls12", "--system"])
                .arg(input),
            20,
        );
        assert_eq!(
            (o.status.code(), util::stderr(&o)),
            (Some(2), format!("error: {msg}\n"))
        );
        let o = util::run_within(util::tlsreg().args(["export", "--software"]).arg(input), 20);
        assert_eq!(
            (o.status.code(), util::stderr(&o)),
            (Some(2), format!("error: {msg}\n"))
        );
        assert!(o.stdout.is_empty());
    }
    for input in [fifo.as_path(), Path::new("/dev/zero")] {
        let o = util::run_within(
            util::tlsreg().arg("diff").arg(input).arg("enable-tls12"),
            20,
        );
        assert_eq!(o.status.code(), Some(2), "{}", util::stderr(&o));
        assert!(
            util::stderr(&o).contains("not a regular file"),
            "{}",
            util::stderr(&o)
        );
    }
    // In a batch, the FIFO image is an error row and the others are still audited.
    let good = d.path().join("good/Windows/System32/config");
    let bad = d.path().join("bad/Windows/System32/config");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::copy(fixture("ccs2-system"), good.join("SYSTEM")).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(bad.join("SYSTEM"))
        .status()
        .unwrap()
        .success());
    let o = util::run_within(
        util::tlsreg()
            .args(["audit", "-p", "enable-tls12", "--root"])
            .arg(d.path().join("bad"))
            .arg("--root")
            .arg(d.path().join("good")),
        20,
    );
    assert_eq!(o.status.code(), Some(2));
    let out = util::stdout(&o);
    assert!(
        out.contains(&format!(
            "ERROR              -     -     -        -            -       -  {}",
            d.path().join("bad").display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "compliant          4     0     1        0            2       0  {}",
            d.path().join("good").display()
        )),
        "{out}"
    );
}

/// A clean hive ends where its base block says: bytes after the declared hive bins are
/// never read (a hive followed by 64 MiB of anything audits and exports as without them).
#[test]
fn a_hive_is_read_no_further_than_its_header_says() {
    let d = util::tempdir();
    let long = d.path().join("SYSTEM");
    let mut bytes = std::fs::read(fixture("ccs2-system")).unwrap();
    let declared = u32::from_le_bytes(bytes[0x28..0x2c].try_into().unwrap()) as usize;
    assert_eq!(bytes.len(), 4096 + declared);
    bytes.resize(bytes.len() + (64 << 20), 0xAB);
    std::fs::write(&long, &bytes).unwrap();
    let export = |p: &Path| {
        let o = util::run(util::tlsreg().arg("export").arg("--system").arg(p));
        assert_eq!(o.status.code(), Some(0), "{}", util::stderr(&o));
        o.stdout
    };
    assert_eq!(export(&long), export(&fixture("ccs2-system")));
    let r = audit_with(
        &builtin("enable-tls12"),
        Some("ccs2-system"),
        None,
        Some(17763),
        true,
    );
    let inputs = Inputs {
        system: Some(long.clone()),
        software: None,
        os_build: Some(17763),
        no_recover: false,
    };
    let r2 = audit::audit(&builtin("enable-tls12"), &inputs, mode(true)).unwrap();
    assert_eq!(r.findings, r2.findings);
    // The whole read (used for export) holds the declared bytes only.
    let h = HiveFile::open(&long).unwrap();
    assert_eq!(h.into_bytes().len(), 4096 + declared);
}

/// A roots file may be a FIFO (`--roots-file <(find ...)`), but a device that never ends
/// stops at the bound instead of filling memory.
#[cfg(unix)]
#[test]
fn a_roots_file_is_read_within_a_bound() {
    let o = util::run_within(
        util::tlsreg().args(["audit", "-p", "enable-tls12", "--roots-file", "/dev/zero"]),
        60,
    );
    assert_eq!(
        (o.status.code(), util::stderr(&o)),
        (
            Some(2),
            "error: reading /dev/zero: it is larger than 67108864 bytes; a roots file lists one folder per line\n".to_string()
        )
    );
}

/// Names from a hive reach the terminal escaped: an ESC in a key or value name recoloured
/// the report before, a CR could overwrite its line.
#[test]
fn human_output_escapes_control_characters_from_hives() {
    let d = util::tempdir();
    let hive = d.path().join("SYSTEM");
    let key = "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\RC4 \u{1b}[31mX\u{202e}";
    let spec = [
        "HKEY_LOCAL_MACHINE\\SYSTEM\\Select\tCurrent\tREG_DWORD\t0x00000001".to_string(),
        format!("{key}\tEn\u{1b}[2Kabled\tREG_SZ\tdata\u{1b}[0m"),
    ];
    if mkhive(&hive, r"HKEY_LOCAL_MACHINE\SYSTEM", "SYSTEM", &spec).is_none() {
        return;
    }
    let audit = util::run(
        util::tlsreg()
            .args(["audit", "-p", "strict", "--system"])
            .arg(&hive),
    );
    let diff = util::run(
        util::tlsreg()
            .arg("diff")
            .arg(&hive)
            .arg(fixture("empty-system")),
    );
    for o in [&audit, &diff] {
        let out = util::stdout(o);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        assert!(out.contains("RC4 \\u{1b}[31mX\\u{202e}"), "{out}");
    }
    assert!(
        util::stdout(&diff).contains("\"En\\u{1b}[2Kabled\" = REG_SZ data\\u{1b}[0m"),
        "{}",
        util::stdout(&diff)
    );
}

/// The paired walk that diffs two hives finds exactly the differences of the two hives read
/// whole into registries and merged (names compared folded: a key both sides have is
/// spelled as side A spells it), on fixtures and on two real 15 MB SYSTEM hives.
#[test]
fn diff_of_two_hives_walks_to_what_the_registries_say() {
    use tlsreg::diff::{Delta, Source};
    let shared = util::shared().join("testdata/hives");
    let real = [
        shared.join("regipy/regipy_tests/data/SYSTEM_WIN_10_1709"),
        shared.join("regipy/regipy_tests/data/SYSTEM_B"),
    ];
    let mut pairs = vec![
        (fixture("ccs2-system"), fixture("empty-system")),
        (fixture("dupvalue-system"), fixture("ffffffff-system")),
        (fixture("ccs2-software"), fixture("dotnet-new-software")),
    ];
    if real.iter().all(|p| p.is_file()) {
        pairs.push((real[0].clone(), real[1].clone()));
    } else {
        util::say_skip(&format!("(part) {} is not there", real[0].display()));
    }
    let fold = |s: &str| tlsreg::keypath::fold(s);
    for (a, b) in pairs {
        let open = |p: &Path| Source::open(p.to_str().unwrap(), true, &mut |_| {}).unwrap();
        let c = tlsreg::diff::compare(open(&a), open(&b)).unwrap();
        let mut walked = Vec::new();
        c.each_delta(&mut |d| {
            walked.push(match d {
                Delta::Removed(x) => ('-', fold(x.key), fold(x.name), x.data.to_vec()),
                Delta::Added(y) => ('+', fold(y.key), fold(y.name), y.data.to_vec()),
                Delta::Changed(x, y) => ('~', fold(x.key), fold(x.name), [x.data, y.data].concat()),
            })
        })
        .unwrap();
        let whole = |p: &Path| {
            let mut h = HiveFile::open(p).unwrap();
            let mut probe = h.extract("R", &[Request::Key("Select".into())]).unwrap();
            let root = if probe.key_exists(r"R\Select") {
                r"HKEY_LOCAL_MACHINE\SYSTEM"
            } else {
                r"HKEY_LOCAL_MACHINE\SOFTWARE"
            };
            probe = tlsreg::diff::hive_values(&mut h, root, None).unwrap();
            probe
        };
        let (ra, rb) = (whole(&a), whole(&b));
        let mut merged: Vec<_> = tlsreg::diff::deltas(&ra, &rb)
            .map(|d| match d {
                Delta::Removed(x) => ('-', fold(x.key), fold(x.name), x.data.to_vec()),
                Delta::Added(y) => ('+', fold(y.key), fold(y.name), y.data.to_vec()),
                Delta::Changed(x, y) => ('~', fold(x.key), fold(x.name), [x.data, y.data].concat()),
            })
            .collect();
        walked.sort();
        merged.sort();
        assert_eq!(
            walked.len(),
            merged.len(),
            "{} vs {}",
            a.display(),
            b.display()
        );
        assert!(walked == merged, "{} vs {}", a.display(), b.display());
        assert_eq!(c.differs(), !merged.is_empty());
    }
}

/// A huge file that is no hive (16 GiB, sparse) is rejected after its first bytes by audit
/// and export, and diff refuses it as a `.reg` file by its size: none of them reads it
/// (diff was killed for memory, reading it whole).
#[test]
fn a_huge_file_that_is_no_hive_is_not_read() {
    let d = util::tempdir();
    let p = d.path().join("SYSTEM");
    std::fs::File::create(&p)
        .unwrap()
        .set_len(16 << 30)
        .unwrap();
    let not_hive = format!("error: {}: offset 0x00000000: not a registry hive: the file starts with [00, 00, 00, 00], not \"regf\"\n", p.display());
    let o = util::run_within(
        util::tlsreg()
            .args(["audit", "-p", "enable-tls12", "--system"])
            .arg(&p),
        20,
    );
    assert_eq!(
        (o.status.code(), util::stderr(&o)),
        (Some(2), not_hive.clone())
    );
    let o = util::run_within(util::tlsreg().args(["export", "--system"]).arg(&p), 20);
    assert_eq!((o.status.code(), util::stderr(&o)), (Some(2), not_hive));
    let o = util::run_within(util::tlsreg().arg("diff").arg(&p).arg("enable-tls12"), 20);
    assert_eq!(
        (o.status.code(), util::stderr(&o)),
        (Some(2), format!("error: cannot read {}: it is 17179869184 bytes; a .reg file may be at most 268435456 bytes\n", p.display()))
    );
}

#[test]
fn a_later_delete_key_removes_what_earlier_layers_set_below_it() {
    // The child's delete-key used to leave the base's values below the key in the plan:
    // the .reg deleted the key, then wrote them back, and the strict audit of that very
    // output failed ("the profile deletes this key, but it exists").
    let d = util::tempdir();
    util::write(
        &d.path().join("base.yaml"),
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\\App\n    values:\n      Mode: { type: dword, data: 1 }\n  - key: HKLM\\SOFTWARE\\Contoso\\App\\Sub\n    values:\n      Deep: { type: sz, data: x }\n  - key: HKLM\\SOFTWARE\\Contoso\\Keep\n    values:\n      Stay: { type: dword, data: 2 }\n",
    );
    let child_src =
        "extends: [base.yaml]\nraw:\n  - key: HKLM\\SOFTWARE\\contoso\\APP\n    delete-key: true\n";
    let child = tlsreg::profile::load_with("child.yaml", child_src, Some(d.path()), "child")
        .unwrap()
        .profile;
    let base = tlsreg::profile::load(&tlsreg::profile::ProfileRef::File(
        d.path().join("base.yaml"),
    ))
    .unwrap()
    .profile;
    let mut regs = Vec::new();
    for (name, p) in [("base", &base), ("child", &child)] {
        let out = tlsreg::compile::reg_outputs(name, p, Default::default())
            .unwrap()
            .remove(0);
        let path = d.path().join(&out.file_name);
        std::fs::write(&path, &out.bytes).unwrap();
        regs.push(path);
    }
    // The base applied first, then the child, as a machine would get them.
    let Some(got) = run_oracle(
        "reg2values.sh",
        &[&"--keys" as &dyn AsRef<std::ffi::OsStr>, &regs[0], &regs[1]],
    ) else {
        return;
    };
    let got = lines(&got);
    assert_eq!(
        got.iter()
            .filter(|l| l.contains("Contoso"))
            .cloned()
            .collect::<Vec<_>>(),
        [
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Keep\t\tKEY\t",
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Keep\tStay\tREG_DWORD\t0x00000002",
        ],
        "{got:?}"
    );
    let values: Vec<String> = got
        .into_iter()
        .filter(|l| !l.contains("\t\tKEY\t"))
        .collect();
    let mut sw = values;
    sw.push("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\tCurrentBuild\tREG_SZ\t20348".into());
    let hive = d.path().join("SOFTWARE");
    let Some(()) = mkhive(&hive, r"HKEY_LOCAL_MACHINE\SOFTWARE", "SOFTWARE", &sw) else {
        return;
    };
    let inputs = Inputs {
        system: None,
        software: Some(hive),
        os_build: None,
        no_recover: false,
    };
    let r = audit::audit(&child, &inputs, mode(false)).unwrap();
    assert!(r.compliant, "{}", findings(&r));
    assert_eq!((r.summary.pass, r.summary.fail), (2, 0), "{}", findings(&r));
}

/// Names in the policy `Functions` that the image's build does not know are reported (from
/// Microsoft's per-OS suite tables): the Windows 10 spelling of an ECDHE GCM suite on
/// Server 2012 R2, while its `_P256` spelling there is known.
#[test]
fn functions_names_the_build_does_not_know_are_reported() {
    let d = util::tempdir();
    let hive = d.path().join("SOFTWARE");
    let cv = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    let ssl =
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
    let spec = [
        format!("{cv}\tProductName\tREG_SZ\tWindows Server 2012 R2 Standard"),
        format!("{cv}\tCurrentBuild\tREG_SZ\t9600"),
        format!("{cv}\tInstallationType\tREG_SZ\tServer"),
        format!("{cv}\tEditionID\tREG_SZ\tServerStandard"),
        format!("{ssl}\tFunctions\tREG_SZ\tTLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256,TLS_RSA_WITH_AES_256_GCM_SHA384"),
    ];
    if mkhive(&hive, r"HKEY_LOCAL_MACHINE\SOFTWARE", "SOFTWARE", &spec).is_none() {
        return;
    }
    let p = profile("protocols:\n  TLS 1.2: os-default\n");
    let inputs = Inputs {
        system: None,
        software: Some(hive),
        os_build: None,
        no_recover: false,
    };
    let r = audit::audit(&p, &inputs, Options::default()).unwrap();
    let unknown: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Trap && f.value.as_deref() == Some("Functions"))
        .filter_map(|f| f.actual.as_deref())
        .collect();
    assert_eq!(
        unknown,
        ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
        "{}",
        findings(&r)
    );
}

/// The audit asks for the lists as the image's build knows them: a Server 2012 R2 image
/// carrying what `compile --target-build 9600` wrote passes `best-practices`' suite order
/// (it failed: the audit wanted the Windows 10 names, which 2012 R2 does not know).
#[test]
fn the_audit_judges_the_list_the_images_build_knows() {
    let d = util::tempdir();
    let p = builtin("best-practices");
    let opts = tlsreg::compile::Options {
        target_build: Some(9600),
        ..Default::default()
    };
    let (resolved, changes) = tlsreg::compile::resolve_for_build(&p, opts).unwrap();
    assert!(!changes.is_empty());
    let reg = tlsreg::compile::reg_outputs("bp", &resolved, opts)
        .unwrap()
        .remove(0);
    let reg_path = d.path().join("bp.reg");
    std::fs::write(&reg_path, &reg.bytes).unwrap();
    let Some(got) = run_oracle("reg2values.sh", &[&reg_path]) else {
        return;
    };
    let (mut sys, mut sw): (Vec<String>, Vec<String>) = lines(&got)
        .into_iter()
        .partition(|l| l.starts_with(r"HKEY_LOCAL_MACHINE\SYSTEM\"));
    sys.push("HKEY_LOCAL_MACHINE\\SYSTEM\\Select\tCurrent\tREG_DWORD\t0x00000001".into());
    let cv = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    for (n, v) in [
        ("ProductName", "Windows Server 2012 R2 Standard"),
        ("CurrentBuild", "9600"),
        ("InstallationType", "Server"),
        ("EditionID", "ServerStandard"),
    ] {
        sw.push(format!("{cv}\t{n}\tREG_SZ\t{v}"));
    }
    let (s1, s2) = (d.path().join("SYSTEM"), d.path().join("SOFTWARE"));
    let (Some(()), Some(())) = (
        mkhive(&s1, r"HKEY_LOCAL_MACHINE\SYSTEM", "SYSTEM", &sys),
        mkhive(&s2, r"HKEY_LOCAL_MACHINE\SOFTWARE", "SOFTWARE", &sw),
    ) else {
        return;
    };
    let inputs = Inputs {
        system: Some(s1),
        software: Some(s2),
        os_build: None,
        no_recover: false,
    };
    for effective in [false, true] {
        let r = audit::audit(&p, &inputs, mode(effective)).unwrap();
        let suites: Vec<Status> = r
            .findings
            .iter()
            .filter(|f| f.setting == "cipher-suites")
            .map(|f| f.status)
            .collect();
        assert!(
            !suites.is_empty() && suites.iter().all(|s| *s == Status::Pass),
            "{}",
            findings(&r)
        );
        assert!(
            !r.findings
                .iter()
                .any(|f| f.check == Check::Trap && f.value.as_deref() == Some("Functions")),
            "{}",
            findings(&r)
        );
    }
}

/// An image whose build is outside the profile's target is flagged: compile wrote no file
/// for it.
#[test]
fn an_image_outside_the_target_is_flagged() {
    let r = run("best-practices", None, Some("2008sp2-kb-software"), false);
    let f = find(&r, Check::Image, "target", None);
    assert_eq!(
        (f.status, f.expected.as_deref()),
        (Status::Warn, Some("builds 7601 and later"))
    );
    let r = run("best-practices", None, Some("empty-20348-software"), false);
    assert!(!r.findings.iter().any(|f| f.setting == "target"));
    // No target: nothing to say.
    let p = profile("protocols: { TLS 1.0: disabled }\n");
    let r = audit_with(&p, None, Some("2008sp2-kb-software"), None, false);
    assert!(!r.findings.iter().any(|f| f.setting == "target"));
}

/// JUnit output of a batch: every image is a suite, in input order; one that could not be
/// audited is a suite with an `<error>` counted in `errors` (it used to vanish with
/// `errors="0"`). Python's XML parser reads the document.
#[test]
fn junit_counts_an_image_that_could_not_be_audited_as_an_error() {
    let d = util::tempdir();
    let empty = d.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let good = d.path().join("good");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::copy(fixture("ccs2-system"), good.join("SYSTEM")).unwrap();
    let o = cli(&[
        &"-p",
        &"enable-tls12",
        &"--root",
        &empty,
        &"--root",
        &good,
        &"--format",
        &"junit",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let xml = d.path().join("junit.xml");
    std::fs::write(&xml, &o.stdout).unwrap();
    let check = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for s in root.findall('testsuite'):
    errors = s.findall('testcase/error')
    print(s.get('name'), s.get('errors'), len(errors), s.get('tests'), len(s.findall('testcase')))
"#;
    let p = util::run(
        std::process::Command::new("python3")
            .arg("-c")
            .arg(check)
            .arg(&xml),
    );
    assert!(p.status.success(), "{}", util::stderr(&p));
    let lines: Vec<String> = util::stdout(&p).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        format!("tlsreg audit enable-tls12 {} 1 1 1 1", empty.display())
    );
    assert!(
        lines[1].starts_with(&format!(
            "tlsreg audit enable-tls12 {} 0 0 ",
            good.display()
        )),
        "{}",
        lines[1]
    );
}

/// A hive read lazily gives its buffer back to the next one on the thread, zeroed where it
/// was written: reading every real hive in turn, twice, in an order that mixes sizes, each
/// lazy extraction equals a whole read's, so nothing of one hive is ever seen in another.
#[test]
fn recycled_buffers_read_like_fresh_ones() {
    let mut hives: Vec<PathBuf> = corpus()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.is_file())
        .collect();
    if hives.is_empty() {
        util::skip("../shared/testdata is missing: the recycled-buffer check reads its hives");
    }
    for f in [
        "ccs2-system",
        "ccs2-software",
        "ffffffff-system",
        "dotnet-new-software",
    ] {
        hives.push(fixture(f));
    }
    let reqs = [
        Request::Key("Select".into()),
        Request::Tree(r"ControlSet001\Control\SecurityProviders".into()),
        Request::Children(r"ControlSet001\Services".into()),
        Request::Tree(r"Microsoft\.NETFramework".into()),
        Request::Tree(r"Microsoft\Windows NT\CurrentVersion".into()),
    ];
    // A thread of its own: its buffer pool starts empty.
    std::thread::spawn(move || {
        let order: Vec<&PathBuf> = hives.iter().chain(hives.iter().rev()).collect();
        for path in order {
            let whole = HiveFile::open(path)
                .and_then(|mut h| h.extract("R", &reqs))
                .map(|r| r.value_lines());
            let lazy = HiveFile::open_lazy(path, true)
                .and_then(|mut h| h.extract("R", &reqs))
                .map(|r| r.value_lines());
            match (whole, lazy) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", path.display()),
                (a, b) => assert_eq!(a.is_ok(), b.is_ok(), "{}", path.display()),
            }
        }
    })
    .join()
    .unwrap();
}
