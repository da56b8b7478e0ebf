//! The `tlsreg` binary end to end: what it writes, what it refuses, its exit codes.

use crate::util::{self, run, stderr, stdout, tlsreg};
use std::fs;

#[test]
fn compile_builtin_from_any_folder() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["compile", "enable-tls12", "-o", "out"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = dir.path().join("out/enable-tls12.reg");
    assert_eq!(
        stdout(&o),
        format!(
            "written    {}\n",
            std::path::Path::new("out")
                .join("enable-tls12.reg")
                .display()
        )
    );
    let lib = tlsreg::compile::reg_outputs(
        "enable-tls12",
        &tlsreg::profile::load(&tlsreg::profile::ProfileRef::Builtin("enable-tls12".into()))
            .unwrap()
            .profile,
        Default::default(),
    )
    .unwrap();
    assert_eq!(fs::read(&path).unwrap(), lib[0].bytes);
    // Nothing but the output is left in the folder (no temporary files).
    assert_eq!(fs::read_dir(dir.path().join("out")).unwrap().count(), 1);
}

#[test]
fn check_reports_drift_with_exit_1() {
    let dir = util::tempdir();
    let out = dir.path().join("out");
    let args = |extra: &[&str]| {
        let mut c = tlsreg();
        c.args(["compile", "strict", "enable-tls12", "-o"])
            .arg(&out)
            .args(extra);
        c
    };
    let o = run(&mut args(&["--check"]));
    assert_eq!(o.status.code(), Some(1), "missing files are drift");
    assert!(stdout(&o).contains("missing"));
    assert!(!out.exists(), "--check writes nothing");
    assert_eq!(run(&mut args(&[])).status.code(), Some(0));
    let o = run(&mut args(&["--check"]));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).lines().all(|l| l.starts_with("up-to-date")));
    fs::write(out.join("strict.reg"), b"edited").unwrap();
    let o = run(&mut args(&["--check", "--report", "json"]));
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (&v["schema_version"], &v["command"]),
        (&2.into(), &"compile".into())
    );
    assert_eq!(v["files"][0]["status"], "differs");
    assert_eq!(v["files"][1]["status"], "up-to-date");
    assert_eq!(
        fs::read(out.join("strict.reg")).unwrap(),
        b"edited",
        "--check never writes"
    );
}

#[test]
fn formats_choose_the_files() {
    let dir = util::tempdir();
    let names = |d: &std::path::Path| {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let o = run(tlsreg()
        .args(["compile", "enable-tls12", "--format", "ps1", "-o"])
        .arg(dir.path().join("a")));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&dir.path().join("a")), ["enable-tls12.ps1"]);
    let o = run(tlsreg()
        .args([
            "compile",
            "enable-tls12",
            "--format",
            "all",
            "--revert",
            "-o",
        ])
        .arg(dir.path().join("b")));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        names(&dir.path().join("b")),
        ["enable-tls12.revert.ps1", "enable-tls12.revert.reg"]
    );
    let ps = fs::read(dir.path().join("a/enable-tls12.ps1")).unwrap();
    assert!(ps.starts_with(b"\xEF\xBB\xBF#Requires -RunAsAdministrator\r\n"));
    // --check covers the scripts too.
    let o = run(tlsreg()
        .args([
            "compile",
            "enable-tls12",
            "--format",
            "ps1",
            "--check",
            "-o",
        ])
        .arg(dir.path().join("a")));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    fs::write(dir.path().join("a/enable-tls12.ps1"), b"edited").unwrap();
    let o = run(tlsreg()
        .args([
            "compile",
            "enable-tls12",
            "--format",
            "ps1",
            "--check",
            "-o",
        ])
        .arg(dir.path().join("a")));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_bad_profile_stops_every_output() {
    let dir = util::tempdir();
    util::write(
        &dir.path().join("bad.yaml"),
        "protocols:\n  TLS 1.4: enabled\n",
    );
    let o = run(tlsreg().current_dir(dir.path()).args([
        "compile",
        "enable-tls12",
        "bad.yaml",
        "-o",
        "out",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error[unknown-name]: bad.yaml:2:3: unknown protocol \"TLS 1.4\"; did you mean \"TLS 1.3\"?\n  |\n2 |   TLS 1.4: enabled\n  |   ^^^^^^^\nerror: nothing was written\n"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn never_writes_over_an_input() {
    let dir = util::tempdir();
    // A profile whose output name would be the profile itself.
    let input = dir.path().join("p.reg");
    let text = "protocols:\n  TLS 1.2: enabled\n";
    util::write(&input, text);
    let o = run(tlsreg()
        .args(["compile"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("refusing to write"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&input).unwrap(), text);
}

#[test]
fn inputs_are_never_modified() {
    let dir = util::tempdir();
    util::write(
        &dir.path().join("base.yaml"),
        "protocols: { TLS 1.0: disabled }\n",
    );
    util::write(
        &dir.path().join("p.yaml"),
        "extends: [base.yaml, strict]\nhashes: { MD5: disabled }\n",
    );
    let before: Vec<_> = ["base.yaml", "p.yaml"]
        .iter()
        .map(|f| fs::read(dir.path().join(f)).unwrap())
        .collect();
    for args in [
        vec!["compile", "p.yaml", "-o", "o"],
        vec!["compile", "p.yaml", "-o", "o", "--revert"],
        vec!["show", "p.yaml"],
        vec!["compile", "p.yaml", "--check", "-o", "o"],
    ] {
        let o = run(tlsreg().current_dir(dir.path()).args(&args));
        assert!(o.status.code().unwrap() <= 1, "{args:?}: {}", stderr(&o));
    }
    let after: Vec<_> = ["base.yaml", "p.yaml"]
        .iter()
        .map(|f| fs::read(dir.path().join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    assert!(dir.path().join("o/p.reg").is_file());
    assert!(dir.path().join("o/p.revert.reg").is_file());
}

#[test]
fn hivex_flavour_needs_a_control_set_for_system_keys() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "strict", "--flavor", "hivex", "-o"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--control-set N"), "{}", stderr(&o));
    // SOFTWARE-only profiles need none.
    let o = run(tlsreg()
        .args(["compile", "dotnet-strong-crypto", "--flavor", "hivex", "-o"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir
        .path()
        .join("dotnet-strong-crypto.software.reg")
        .is_file());
    assert!(dir.path().join("dotnet-strong-crypto.system.reg").is_file());
}

#[test]
fn two_profiles_with_one_output_name_are_refused() {
    let dir = util::tempdir();
    util::write(
        &dir.path().join("a/x.yaml"),
        "protocols: { TLS 1.2: enabled }\n",
    );
    util::write(
        &dir.path().join("b/x.yaml"),
        "protocols: { TLS 1.3: enabled }\n",
    );
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["compile", "a/x.yaml", "b/x.yaml", "-o", "out"]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "error: a/x.yaml and b/x.yaml would both write x.reg; compile them into different folders\n");
    assert!(!dir.path().join("out").exists());
    // Names that differ only in case are one file on Windows, SYSVOL and macOS.
    util::write(
        &dir.path().join("b/X.yaml"),
        "protocols: { TLS 1.3: enabled }\n",
    );
    let o = run(tlsreg().current_dir(dir.path()).args([
        "compile", "a/x.yaml", "b/X.yaml", "--format", "pol", "-o", "out",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "error: a/x.yaml and b/X.yaml would write x.pol and X.pol, one file where names are compared without case (Windows, SYSVOL, macOS); compile them into different folders\n");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn unknown_builtin_suggests_a_name() {
    let o = run(tlsreg().args(["show", "enable-tls13"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error[io]: enable-tls13: no built-in profile \"enable-tls13\" and no file of that name; did you mean \"enable-tls12\"?"), "{}", stderr(&o));
}

#[test]
fn profiles_lists_every_builtin() {
    let o = run(tlsreg().arg("profiles"));
    assert_eq!(o.status.code(), Some(0));
    let names: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(names, util::builtins());
}

#[test]
fn show_prints_the_resolved_profile_and_plan() {
    let o = run(tlsreg().args(["show", "pci-dss-4"]));
    assert_eq!(o.status.code(), Some(0));
    let yaml = stdout(&o);
    assert!(
        yaml.starts_with(
            "# resolved from: builtin:best-practices -> builtin:pci-dss-4\nname: pci-dss-4\n"
        ),
        "{yaml}"
    );
    // The shown YAML is itself a profile that compiles to the same plan.
    let again = tlsreg::profile::load_with("shown.yaml", &yaml, None, "shown").unwrap();
    let orig =
        tlsreg::profile::load(&tlsreg::profile::ProfileRef::Builtin("pci-dss-4".into())).unwrap();
    assert_eq!(again.profile.plan(), orig.profile.plan());
    let o = run(tlsreg().args(["show", "enable-tls12", "--plan"]));
    assert_eq!(
        stdout(&o),
        "set          [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client] \"Enabled\" = REG_DWORD 0x00000001 (1)\n\
         set          [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client] \"DisabledByDefault\" = REG_DWORD 0x00000000 (0)\n\
         set          [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server] \"Enabled\" = REG_DWORD 0x00000001 (1)\n\
         set          [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server] \"DisabledByDefault\" = REG_DWORD 0x00000000 (0)\n"
    );
}

#[test]
fn show_round_trips_every_builtin() {
    for name in util::builtins() {
        let orig = tlsreg::profile::load(&tlsreg::profile::ProfileRef::Builtin(name.into()))
            .unwrap()
            .profile;
        let yaml = tlsreg::profile::show::to_yaml(&orig);
        let again = tlsreg::profile::load_with("shown.yaml", &yaml, None, name)
            .unwrap()
            .profile;
        assert_eq!(again.plan(), orig.plan(), "{name}");
    }
}

#[test]
fn colour_only_when_asked() {
    util::write(&util::tempdir().path().join("x"), "");
    let dir = util::tempdir();
    util::write(
        &dir.path().join("bad.yaml"),
        "protocols: { TLS 1.4: enabled }\n",
    );
    let o = run(tlsreg().current_dir(dir.path()).args(["show", "bad.yaml"]));
    assert!(!stderr(&o).contains('\x1b'));
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["show", "bad.yaml", "--color", "always"]));
    assert!(stderr(&o).contains("\x1b[1;31merror"));
}

/// `--color always` colours the audit report even when standard output is a pipe (the
/// report's colour used to be decided a second time from stdout being a terminal), and
/// `--color never` / the default under NO_COLOR never colour it.
#[test]
fn color_always_colours_a_piped_audit_report() {
    let hive = util::root().join("tests/fixtures/audit/empty-system.hive");
    let audit = |extra: &[&str]| {
        let mut c = tlsreg();
        c.args([
            "audit",
            "-p",
            "enable-tls12",
            "--os-build",
            "17763",
            "--system",
        ])
        .arg(&hive)
        .args(extra);
        run(&mut c)
    };
    let o = audit(&["--color", "always"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\x1b["),
        "--color always, stdout piped: no colour in\n{}",
        stdout(&o)
    );
    for extra in [&["--color", "never"][..], &[][..]] {
        let o = audit(extra);
        assert!(!stdout(&o).contains('\x1b'), "{extra:?}: {}", stdout(&o));
    }
}

#[test]
fn hostile_yaml_fails_fast_with_exit_2() {
    let dir = util::tempdir();
    let deep = format!("raw: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    for (file, text, want) in [
        ("deep.yaml", deep.as_bytes().to_vec(), "error[too-deep]: deep.yaml:1:70: the YAML nests deeper than 64 levels here"),
        ("bomb.yaml", bomb.into_bytes(), "error[too-large]: bomb.yaml:6:8: the YAML, with its aliases expanded, grows past 100000 nodes here"),
        ("bin.yaml", b"name: \xff\xfe\n".to_vec(), "error[encoding]: bin.yaml:1:7: the file is not UTF-8 text (invalid byte 0xff at offset 6)"),
    ] {
        fs::write(dir.path().join(file), text).unwrap();
        let started = std::time::Instant::now();
        let o = run(tlsreg().current_dir(dir.path()).args(["compile", file, "-o", "out"]));
        assert_eq!(o.status.code(), Some(2), "{file}");
        assert!(stderr(&o).starts_with(want), "{file}: {}", stderr(&o));
        assert!(stderr(&o).lines().all(|l| l.chars().count() < 200), "{file}: excerpts are cut");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{file} took {:?}", started.elapsed());
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn json_report_carries_diagnostics() {
    let dir = util::tempdir();
    util::write(
        &dir.path().join("w.yaml"),
        "target: { min-build: 17763 }\nprotocols: { TLS 1.3: enabled }\n",
    );
    util::write(
        &dir.path().join("bad.yaml"),
        "protocols: { TLS 1.4: enabled }\n",
    );
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["compile", "w.yaml", "-o", "out", "--report", "json"]));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "", "JSON mode keeps diagnostics out of stderr");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "tls13-below-20348");
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
    assert_eq!(
        (
            v["diagnostics"][0]["line"].as_u64(),
            v["diagnostics"][0]["col"].as_u64()
        ),
        (Some(2), Some(14))
    );
    assert_eq!(v["files"][0]["status"], "written");
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["compile", "bad.yaml", "-o", "out2", "--report", "json"]));
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "unknown-name");
    assert_eq!(v["files"], serde_json::json!([]));
    assert_eq!(stderr(&o), "error: nothing was written\n");
}

#[test]
fn no_command_modifies_its_inputs() {
    let dir = util::tempdir();
    let fx = util::root().join("tests/fixtures");
    let copy = |from: &str, to: &str| {
        std::fs::copy(fx.join(from), dir.path().join(to)).unwrap();
    };
    copy("audit/ccs2-system.hive", "SYSTEM");
    copy("audit/ccs2-software.hive", "SOFTWARE");
    copy("lint/value-twice.reg", "in.reg");
    util::write(&dir.path().join("p.yaml"), "extends: [strict]\n");
    let inputs = ["SYSTEM", "SOFTWARE", "in.reg", "p.yaml"];
    let hash = || -> Vec<Vec<u8>> {
        inputs
            .iter()
            .map(|f| fs::read(dir.path().join(f)).unwrap())
            .collect()
    };
    let before = hash();
    let runs: &[&[&str]] = &[
        &["compile", "p.yaml", "--format", "all", "-o", "out"],
        &["compile", "p.yaml", "--check", "-o", "out"],
        &["show", "p.yaml"],
        &[
            "audit",
            "-p",
            "p.yaml",
            "--system",
            "SYSTEM",
            "--software",
            "SOFTWARE",
            "--effective",
        ],
        &["audit", "-p", "strict", "--root", ".", "--format", "junit"],
        &["import", "in.reg"],
        &["lint", "in.reg"],
        &["diff", "in.reg", "SYSTEM"],
        &["diff", "p.yaml", "."],
        &["export", "--system", "SYSTEM", "-o", "out/system.reg"],
        &["export", "--software", "SOFTWARE"],
        &["export", "--system", "SYSTEM", "-o", "SYSTEM"],
    ];
    for args in runs {
        let o = run(tlsreg().current_dir(dir.path()).args(*args));
        assert!(
            o.status.code().is_some_and(|c| c <= 2),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(hash(), before, "{args:?} changed an input");
    }
    // No temporary file is left anywhere.
    for d in [dir.path().to_path_buf(), dir.path().join("out")] {
        for e in fs::read_dir(&d).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(".tlsreg-"),
                "{name} left in {}",
                d.display()
            );
        }
    }
}

/// `export -o` never destroys what it writes to: not the hive's own transaction log (the
/// newest data of a dirty hive), not a device node, not a FIFO (written in place), and a
/// write error on a device is exit 2 with the OS's reason.
#[cfg(unix)]
#[test]
fn export_output_never_replaces_a_log_a_device_or_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let dir = util::tempdir();
    let hive = dir.path().join("SYSTEM");
    fs::copy(
        util::root().join("tests/fixtures/audit/empty-system.hive"),
        &hive,
    )
    .unwrap();
    let log = dir.path().join("SYSTEM.LOG1");
    fs::write(&log, b"the newest data").unwrap();
    let export = |out: &std::path::Path| {
        run(tlsreg()
            .args(["export", "--system"])
            .arg(&hive)
            .arg("-o")
            .arg(out))
    };
    let o = export(&log);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("it is one of the inputs"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(&log).unwrap(), b"the newest data");

    let null = std::path::Path::new("/dev/null");
    let o = export(null);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fs::metadata(null).unwrap().file_type().is_char_device());
    let full = std::path::Path::new("/dev/full");
    if full.exists() {
        let o = export(full);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("No space left on device"),
            "{}",
            stderr(&o)
        );
        assert!(fs::metadata(full).unwrap().file_type().is_char_device());
    }

    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        let o = export(&fifo);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let got = reader.join().unwrap();
        assert!(
            got.starts_with(&[0xFF, 0xFE]),
            "the export went through the FIFO"
        );
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
}

/// All outputs of one compile are staged and put in place together: an error on the
/// second output (here a folder where `b.reg` would go) leaves the first unwritten (it was
/// written before), for several profiles and for `--format all --revert`.
#[test]
fn a_failed_compile_writes_nothing() {
    let dir = util::tempdir();
    let b = dir.path().join("b.yaml");
    util::write(&b, "extends: enable-tls12\n");
    fs::create_dir(dir.path().join("b.reg")).unwrap();
    let o = run(tlsreg()
        .arg("compile")
        .arg("enable-tls12")
        .arg(&b)
        .arg("-o")
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: compiling {}: refusing to write {}: it is a directory, not a file\n",
            b.display(),
            dir.path().join("b.reg").display()
        )
    );
    assert!(!dir.path().join("enable-tls12.reg").exists());
    fs::create_dir(dir.path().join("enable-tls12.revert.ps1")).unwrap();
    let o = run(tlsreg()
        .args([
            "compile",
            "enable-tls12",
            "--format",
            "all",
            "--revert",
            "-o",
        ])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("enable-tls12.revert.reg").exists());
    // No temporary file is left behind either.
    let mut left: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["b.reg", "b.yaml", "enable-tls12.revert.ps1"]);
    // /dev/full among the outputs: the error comes before any file is renamed into place.
    #[cfg(target_os = "linux")]
    {
        let d2 = util::tempdir();
        std::os::unix::fs::symlink("/dev/full", d2.path().join("enable-tls12.ps1")).unwrap();
        let o = run(tlsreg()
            .args(["compile", "enable-tls12", "--format", "all", "-o"])
            .arg(d2.path()));
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("No space left on device"),
            "{}",
            stderr(&o)
        );
        assert!(!d2.path().join("enable-tls12.reg").exists());
    }
}

/// `-o -` writes to standard output: compile (one profile, one format), export, import and
/// show; a run that would make several files is refused.
#[test]
fn dash_o_dash_is_standard_output() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "enable-tls12", "-o", "-"])
        .current_dir(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = run(tlsreg()
        .args(["compile", "enable-tls12", "-o"])
        .arg(dir.path()));
    assert_eq!(file.status.code(), Some(0));
    assert_eq!(
        o.stdout,
        fs::read(dir.path().join("enable-tls12.reg")).unwrap()
    );
    assert!(!dir.path().join("-").exists());
    let o = run(tlsreg().args(["compile", "enable-tls12", "--format", "all", "-o", "-"]));
    assert_eq!(
        (o.status.code(), stderr(&o).as_str(), o.stdout.len()),
        (Some(2), "error: -o - writes one file to standard output, but this run makes 2 (enable-tls12.reg, enable-tls12.ps1); give one profile and one format (--format reg, ps1, pol, gpp or ansible, --flavor regedit; --target-build BUILD for one build family's .reg or .pol), or -o FOLDER\n", 0)
    );
    let hive = util::root().join("tests/fixtures/audit/ccs2-system.hive");
    let a = run(tlsreg().args(["export", "-o", "-", "--system"]).arg(&hive));
    let b = run(tlsreg().args(["export", "--system"]).arg(&hive));
    assert_eq!((a.status.code(), &a.stdout), (Some(0), &b.stdout));
    let reg = dir.path().join("enable-tls12.reg");
    let a = run(tlsreg().arg("import").arg(&reg).args(["-o", "-"]));
    let b = run(tlsreg().arg("import").arg(&reg));
    assert_eq!((a.status.code(), &a.stdout), (Some(0), &b.stdout));
    let yaml = dir.path().join("imported.yaml");
    let c = run(tlsreg().arg("import").arg(&reg).arg("-o").arg(&yaml));
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    assert_eq!(fs::read(&yaml).unwrap(), b.stdout);
    let a = run(tlsreg().args(["show", "strict", "-o", "-"]));
    let b = run(tlsreg().args(["show", "strict"]));
    assert_eq!((a.status.code(), &a.stdout), (Some(0), &b.stdout));
    assert!(!dir.path().join("-").exists());
}

/// `show -o` and `import -o` never write over what they read: the profile, any file in
/// its extends chain, the `.reg` file.
#[test]
fn show_and_import_never_write_over_their_inputs() {
    let dir = util::tempdir();
    let base = dir.path().join("base.yaml");
    let top = dir.path().join("top.yaml");
    util::write(&base, "protocols:\n  TLS 1.2: enabled\n");
    util::write(&top, "extends: base.yaml\n");
    for target in [&base, &top] {
        let o = run(tlsreg().arg("show").arg(&top).arg("-o").arg(target));
        assert_eq!(
            (o.status.code(), stderr(&o)),
            (
                Some(2),
                format!(
                    "error: refusing to write {}: it is one of the inputs\n",
                    target.display()
                )
            )
        );
    }
    assert_eq!(
        fs::read_to_string(&base).unwrap(),
        "protocols:\n  TLS 1.2: enabled\n"
    );
    assert_eq!(fs::read_to_string(&top).unwrap(), "extends: base.yaml\n");
    let reg = dir.path().join("x.reg");
    let c = run(tlsreg().args(["compile", "enable-tls12", "-o", "-"]));
    fs::write(&reg, &c.stdout).unwrap();
    let link = dir.path().join("link.reg");
    std::os::unix::fs::symlink(&reg, &link).unwrap();
    let o = run(tlsreg().arg("import").arg(&reg).arg("-o").arg(&link));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(fs::read(&reg).unwrap(), c.stdout);
}

/// Every error names its path, and the OS error is said once (export and compile said it
/// twice; an audit root that did not exist was "No such file or directory" alone; a diff
/// side that did not exist was looked up as a built-in profile).
#[test]
fn errors_name_their_path_once() {
    let dir = util::tempdir();
    let nope = dir.path().join("nope");
    let enoent = "No such file or directory (os error 2)";
    let cases: Vec<(Vec<std::ffi::OsString>, String)> = vec![
        (
            vec!["export".into(), "--system".into(), nope.clone().into()],
            format!("error: {}: cannot read the hive: {enoent}\n", nope.display()),
        ),
        (
            vec!["audit".into(), "-p".into(), "enable-tls12".into(), "--root".into(), nope.clone().into()],
            format!("error: {}: {enoent}\n", nope.display()),
        ),
        (
            vec!["diff".into(), nope.with_extension("reg").into(), "enable-tls12".into()],
            format!("error: cannot read {}: {enoent}\n", nope.with_extension("reg").display()),
        ),
        (
            vec!["compile".into(), "enable-tls12".into(), "-o".into(), "/proc/nope/x".into()],
            format!("error: compiling enable-tls12: cannot create the output folder /proc/nope/x: {enoent}\n"),
        ),
    ];
    for (args, want) in cases {
        let o = run(tlsreg().args(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        // The batch table goes to stdout; the error to stderr.
        assert!(err.ends_with(&want), "{args:?}: {err}");
    }
}

#[test]
fn extended_files_that_are_not_profiles_are_never_quoted() {
    // A pull request adding `extends: <secret file>` must not get the secret printed in CI.
    let dir = util::tempdir();
    let d = dir.path();
    let shadow = "root:$6$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n";
    util::write(&d.join("secrets.yaml"), shadow);
    util::write(&d.join("shadow"), shadow);
    util::write(
        &d.join("creds.yml"),
        "password: SECRET-hunter2\ntoken: SECRET-abc\n",
    );
    util::write(&d.join("list.yaml"), "- SECRET-one\n- SECRET-two\n");
    util::write(&d.join("broken.yaml"), "a: [SECRET\n  SECRET: x\n");
    util::write(&d.join("dup.yaml"), "SECRET: 1\nSECRET: 2\n");
    fs::write(d.join("bin.yaml"), b"SECRET\xff\xfe\x00").unwrap();
    for (ext, want) in [
        ("secrets.yaml", "error[extends-not-a-profile]: secrets.yaml:1:1: secrets.yaml is not a profile: the top-level key on line 1, column 1, is not a profile field; its lines are not shown\n"),
        ("shadow", "error[extends-not-a-profile]: p.yaml:1:10: extends \"shadow\": not a built-in profile, and a file is extended only when its name ends in .yaml or .yml; it was not read\n"),
        ("/etc/shadow", "error[extends-not-a-profile]: p.yaml:1:10: extends \"/etc/shadow\": not a built-in profile, and a file is extended only when its name ends in .yaml or .yml; it was not read\n"),
        ("creds.yml", "error[extends-not-a-profile]: creds.yml:1:1: creds.yml is not a profile: the top-level key on line 1, column 1, is not a profile field; its lines are not shown\n"),
        ("list.yaml", "error[extends-not-a-profile]: list.yaml:1:1: list.yaml is not a profile: its top level is a list, not a mapping of profile fields; its lines are not shown\n"),
        ("broken.yaml", "error[yaml-syntax]: broken.yaml:2:9: the file is not valid YAML here; broken.yaml may not be a profile, so its lines are not shown (`tlsreg show broken.yaml` shows them)\n"),
        ("dup.yaml", "error[duplicate-name]: dup.yaml:2:1: a mapping key is given twice (first on line 1); dup.yaml may not be a profile, so its lines are not shown (`tlsreg show dup.yaml` shows them)\n"),
        ("bin.yaml", "error[extends-not-a-profile]: p.yaml:1:10: extends \"bin.yaml\": bin.yaml is not UTF-8 text, so it is not a profile; its content is not shown\n"),
    ] {
        util::write(&d.join("p.yaml"), &format!("extends: {ext}\n"));
        let o = run(tlsreg().current_dir(d).args(["compile", "p.yaml", "-o", "out"]));
        assert_eq!(o.status.code(), Some(2), "{ext}");
        let err = stderr(&o);
        assert!(err.starts_with(want), "{ext}: {err}");
        let o2 = run(tlsreg()
            .current_dir(d)
            .args(["compile", "p.yaml", "-o", "out", "--report", "json"]));
        assert_eq!(o2.status.code(), Some(2), "{ext}");
        for text in [err, stdout(&o), stdout(&o2), stderr(&o2)] {
            assert!(!text.contains("SECRET"), "{ext} leaks: {text}");
        }
    }
    assert!(!d.join("out").exists());
}

#[cfg(unix)]
#[test]
fn profile_inputs_that_are_not_files_fail_fast() {
    // A FIFO blocked forever and /dev/zero was read until memory ran out.
    let dir = util::tempdir();
    let d = dir.path();
    for f in ["fifo", "x.yaml"] {
        let st = std::process::Command::new("mkfifo")
            .arg(d.join(f))
            .status()
            .unwrap();
        assert!(st.success());
    }
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.yaml")).unwrap();
    util::write(&d.join("p.yaml"), "extends: [x.yaml, zero.yaml]\n");
    for (arg, want) in [
        ("fifo", "error[io]: fifo: cannot read the profile: it is a FIFO, not a regular file\n".to_string()),
        ("x.yaml", "error[io]: x.yaml: cannot read the profile: it is a FIFO, not a regular file\n".to_string()),
        ("zero.yaml", "error[io]: zero.yaml: cannot read the profile: it is a character device, not a regular file\n".to_string()),
        ("p.yaml", "error[io]: p.yaml:1:11: extends \"x.yaml\": cannot read the profile: it is a FIFO, not a regular file\n  |\n1 | extends: [x.yaml, zero.yaml]\n  |           ^^^^^^\n\nerror[io]: p.yaml:1:19: extends \"zero.yaml\": cannot read the profile: it is a character device, not a regular file\n  |\n1 | extends: [x.yaml, zero.yaml]\n  |                   ^^^^^^^^^\nerror: nothing was written\n".to_string()),
    ] {
        let o = util::run_timeout(tlsreg().current_dir(d).args(["compile", arg, "-o", "out"]), 20);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        assert!(stderr(&o).starts_with(&want), "{arg}: {}", stderr(&o));
    }
    assert!(!d.join("out").exists());
}

/// A profile of `n` raw values that all alias one string of `len` bytes.
fn alias_fan_out(n: usize, len: usize) -> String {
    let mut s = format!(
        "raw:\n  - key: HKLM\\SOFTWARE\\Fan\n    values:\n      v0: {{ type: sz, data: &a {} }}\n",
        "x".repeat(len)
    );
    for i in 1..n {
        s.push_str(&format!("      v{i}: {{ type: sz, data: *a }}\n"));
    }
    s
}

#[test]
fn alias_fan_out_is_refused_before_it_expands() {
    // 2,000 aliases of one 100 KB string (a 134 KB file) wrote a 400 MB .reg; 20,000
    // aborted the process. Both now stop at the alias that crosses the bound.
    let dir = util::tempdir();
    for n in [2_000, 20_000] {
        let file = format!("fan{n}.yaml");
        fs::write(dir.path().join(&file), alias_fan_out(n, 100_000)).unwrap();
        let o = util::run_timeout(
            tlsreg()
                .current_dir(dir.path())
                .args(["compile", &file, "-o", "out"]),
            60,
        );
        assert_eq!(o.status.code(), Some(2), "{file}");
        assert_eq!(
            stderr(&o),
            format!("error[too-large]: {file}:45:30: the YAML, with its aliases expanded, grows past 4194304 bytes of text here; a profile may hold at most 4194304 bytes of text and 100000 nodes\n   |\n45 |       v41: {{ type: sz, data: *a }}\n   |                              ^\nerror: nothing was written\n")
        );
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn profiles_under_the_bounds_compile() {
    // Just under the data bound: five 100,000-character strings (1,000,010 bytes as UTF-16),
    // four of them aliases; and 99,000 YAML nodes.
    let dir = util::tempdir();
    fs::write(dir.path().join("five.yaml"), alias_fan_out(5, 100_000)).unwrap();
    let refs: Vec<String> = (0..98_990).map(|i| format!("r{i}")).collect();
    fs::write(
        dir.path().join("nodes.yaml"),
        format!("references: [{}]\n", refs.join(",")),
    )
    .unwrap();
    for file in ["five.yaml", "nodes.yaml"] {
        let o = run(tlsreg()
            .current_dir(dir.path())
            .args(["compile", file, "-o", "out"]));
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
    }
    // One more string crosses the data bound, at the value that does.
    fs::write(dir.path().join("six.yaml"), alias_fan_out(6, 100_000)).unwrap();
    let o = run(tlsreg()
        .current_dir(dir.path())
        .args(["compile", "six.yaml", "-o", "out2"]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error[too-large]: six.yaml:9:7: with this value, the values the profile writes hold more than 1048576 bytes of data; a profile may write at most that much\n  |\n9 |       v5: { type: sz, data: *a }\n  |       ^^\nerror: nothing was written\n"
    );
}

#[cfg(unix)]
#[test]
fn show_escapes_hostile_extends_paths_in_its_comments() {
    // A line break in an extends path ended the `# resolved from:` comment and injected
    // YAML (here a second `name:`); control characters reached the terminal raw.
    let dir = util::tempdir();
    let hostile = "a\nname: pwned\r\x1b[31m\u{85}#: x.yaml";
    util::write(
        &dir.path().join(hostile),
        "protocols:\n  TLS 1.2: enabled\n",
    );
    util::write(
        &dir.path().join("p.yaml"),
        "extends: [\"a\\nname: pwned\\r\\e[31m\\N#: x.yaml\"]\nname: mine\n",
    );
    let o = run(tlsreg().current_dir(dir.path()).args(["show", "p.yaml"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        !out.chars().any(|c| c.is_control() && c != '\n'),
        "raw control characters: {out:?}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with('#')).count(),
        1,
        "{out}"
    );
    let v: serde_yaml::Value = serde_yaml::from_str(&out).expect("show prints YAML");
    assert_eq!(v["name"], "mine", "{out}");
    assert_eq!(v["protocols"]["TLS 1.2"], "enabled", "{out}");
    // And the output is a profile that loads to the same settings.
    let again = tlsreg::profile::load_with("again.yaml", &out, None, "again").unwrap();
    let orig = tlsreg::profile::load(&tlsreg::profile::ProfileRef::File(
        dir.path().join("p.yaml"),
    ))
    .unwrap();
    assert_eq!(again.profile.plan(), orig.profile.plan());
    assert_eq!(again.profile.name, orig.profile.name);
}

/// Runs `tlsreg ARGS` with a deadline: a command that blocks on a FIFO or reads a device
/// forever fails the test instead of hanging it.
fn run_within(args: &[&std::ffi::OsStr], secs: u64) -> (Option<i32>, String, String) {
    use std::io::Read;
    let mut child = tlsreg()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tlsreg {args:?} did not finish within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

#[test]
fn reg_inputs_must_be_regular_files() {
    let dir = util::tempdir();
    let fifo = dir.path().join("pipe.reg");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let zero = std::path::Path::new("/dev/zero");
    for (args, path, kind) in [
        (vec!["lint"], fifo.as_path(), "FIFO"),
        (vec!["import"], fifo.as_path(), "FIFO"),
        (vec!["lint"], zero, "character device"),
        (vec!["import"], zero, "character device"),
    ] {
        let mut a: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        a.push(path.as_os_str());
        let (code, out, err) = run_within(&a, 20);
        assert_eq!(code, Some(2), "{args:?} {}: {err}", path.display());
        assert!(out.is_empty(), "{args:?}: exit 2 writes nothing: {out}");
        let want = format!(
            "cannot read {}: it is a {kind}, not a regular file",
            path.display()
        );
        assert!(err.contains(&want), "{args:?}: {err}");
    }
}

/// `compile --target-build`: the lists as that build knows them (hivex reads the written
/// `Functions`): on Server 2012 R2 the Windows 10 ECDHE names become their `_P256`/`_P384`/
/// `_P521` spellings and names the build does not know are left out, each with a warning;
/// a list the build knows nothing of is an error, not an empty `Functions`.
#[test]
fn target_build_writes_the_lists_that_build_knows() {
    use tlsreg::catalog::suite_builds::known_on;
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args([
            "compile",
            "best-practices",
            "--target-build",
            "windows-server-2012-r2",
            "-o",
        ])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("warning: builtin:best-practices: for build 9600: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 is left out: Microsoft's table for that build does not list it\n"), "{err}");
    assert!(err.contains("warning: builtin:best-practices: for build 9600: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is written as TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P521, the names that build knows\n"), "{err}");
    let reg = dir.path().join("best-practices.reg");
    let Some(got) = util::run_oracle("reg2values.sh", &[&reg]) else {
        return;
    };
    let functions = util::lines(&got)
        .into_iter()
        .find(|l| l.contains("\tFunctions\tREG_SZ\t"))
        .expect("Functions written");
    let list = functions.rsplit('\t').next().unwrap();
    let names: Vec<&str> = list.split(',').collect();
    assert!(names.len() > 10, "{list}");
    for n in &names {
        assert_eq!(known_on(n, 9600), Some(true), "{n} on 9600");
    }
    // Without --target-build the built-in's range (7601 and later) gets one file per family:
    // not one file for standard output.
    let o = run(tlsreg().args(["compile", "best-practices", "--format", "reg", "-o", "-"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("best-practices.build-7601-9600.reg, best-practices.build-10240-20347.reg, best-practices.build-20348-up.reg"),
        "{}",
        stderr(&o)
    );
    // Nothing left: an error, and nothing written.
    let p = dir.path().join("only13.yaml");
    util::write(
        &p,
        "cipher-suites: [TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256]\n",
    );
    let out = dir.path().join("out");
    let o = run(tlsreg()
        .arg("compile")
        .arg(&p)
        .args(["--target-build", "17763", "-o"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("error: {}: build 17763 knows none of the names in the cipher-suite list; nothing would be left\n", p.display())), "{}", stderr(&o));
    assert!(!out.exists());
}

/// Without `--target-build`, a profile whose target range spans builds that know different
/// names gets one `.reg` per build family, named by its builds, and one script that picks
/// the family's list when it runs; a range where every build knows the same names gets one
/// file; `--check` compares every family's file.
#[test]
fn a_target_range_gets_one_file_per_build_family() {
    let dir = util::tempdir();
    let wide = dir.path().join("wide.yaml");
    util::write(&wide, "target:\n  min-build: 9600\ncipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256]\n");
    let out = dir.path().join("out");
    let o = run(tlsreg()
        .arg("compile")
        .arg(&wide)
        .args(["--format", "all", "-o"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = wide.display();
    assert_eq!(
        stderr(&o),
        format!("note: {w}: build 9600: wide.build-9600.reg (written with the curve-suffixed names these builds know: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 as TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P521)\nnote: {w}: builds 10240 and later: wide.build-10240-up.reg (the lists as the profile writes them)\nnote: {w}: wide.ps1 reads the Windows build when it runs and writes the lists of that build's family (2 families)\n")
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["wide.build-10240-up.reg", "wide.build-9600.reg", "wide.ps1"]
    );
    let functions = |file: &str| -> Option<String> {
        let got = util::run_oracle("reg2values.sh", &[&out.join(file)])?;
        Some(
            util::lines(&got)
                .into_iter()
                .find(|l| l.contains("\tFunctions\tREG_SZ\t"))
                .expect("Functions written"),
        )
    };
    if let Some(old) = functions("wide.build-9600.reg") {
        assert!(old.ends_with("\tTLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P521,TLS_RSA_WITH_AES_128_GCM_SHA256"), "{old}");
        let new = functions("wide.build-10240-up.reg").unwrap();
        assert!(
            new.ends_with(
                "\tTLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,TLS_RSA_WITH_AES_128_GCM_SHA256"
            ),
            "{new}"
        );
    }
    // The script: one build check, then the list by build, newest first.
    let ps = std::fs::read_to_string(out.join("wide.ps1")).unwrap();
    assert!(
        ps.contains("\r\n$script:Build = Assert-TlsregBuild -Min 9600 -Max 0\r\n"),
        "{ps}"
    );
    let branch = ps.find("    if ($script:Build -ge 10240) {  # builds 10240 and later\r\n        Set-TlsregValue -Key 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002' -Name 'Functions' -Kind 'String' -Data 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,TLS_RSA_WITH_AES_128_GCM_SHA256' -Restart\r\n    } else {  # build 9600\r\n        Set-TlsregValue -Key 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002' -Name 'Functions' -Kind 'String' -Data 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P521,TLS_RSA_WITH_AES_128_GCM_SHA256' -Restart\r\n    }\r\n");
    assert!(branch.is_some(), "{ps}");
    // --check knows every family's file.
    let o = run(tlsreg()
        .arg("compile")
        .arg(&wide)
        .args(["--format", "all", "--check", "-o"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_file(out.join("wide.build-9600.reg")).unwrap();
    let o = run(tlsreg()
        .arg("compile")
        .arg(&wide)
        .args(["--format", "all", "--check", "-o"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("missing    "), "{}", stdout(&o));
    // Undo files are the same for every family: one.
    let o = run(tlsreg()
        .arg("compile")
        .arg(&wide)
        .args(["--revert", "--format", "reg", "-o", "-"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A narrow range is one file.
    let narrow = dir.path().join("narrow.yaml");
    util::write(&narrow, "target:\n  min-build: 9600\n  max-build: 9600\ncipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256]\n");
    let o = run(tlsreg()
        .arg("compile")
        .arg(&narrow)
        .args(["--format", "reg", "-o", "-"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf16(
        &o.stdout[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(text.contains("\"Functions\"=\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P521,TLS_RSA_WITH_AES_128_GCM_SHA256\""), "{text}");
    // A family that would have no suite at all is an error, and nothing is written.
    let empty = dir.path().join("empty.yaml");
    util::write(
        &empty,
        "target:\n  min-build: 17763\ncipher-suites: [TLS_AES_256_GCM_SHA384]\n",
    );
    let out2 = dir.path().join("out2");
    let o = run(tlsreg().arg("compile").arg(&empty).arg("-o").arg(&out2));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("build 17763 knows none of the names in the cipher-suite list"),
        "{}",
        stderr(&o)
    );
    assert!(!out2.exists());
    // Every built-in compiles with no warning.
    for name in util::builtins() {
        let o = run(tlsreg()
            .args(["compile", name, "-o"])
            .arg(dir.path().join(name)));
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert!(!stderr(&o).contains("warning"), "{name}: {}", stderr(&o));
    }
}

/// The README's quick start runs exactly as written (in a fresh folder, with this build's
/// binary for `./target/release/tlsreg`), and every command in it succeeds.
#[test]
fn the_readme_quick_start_runs_as_written() {
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    let start = readme.find("## Quick start").expect("a quick start");
    let block = readme[start..]
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let d = util::tempdir();
    let bin = env!("CARGO_BIN_EXE_tlsreg");
    let mut ran = 0;
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with("cargo build") {
            continue;
        }
        let cmd = line.replace("./target/release/tlsreg", bin);
        let o = run(std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(d.path())
            .env("NO_COLOR", "1"));
        assert!(o.status.success(), "{line}\n{}", stderr(&o));
        ran += 1;
    }
    assert!(ran >= 4, "{block}");
    for f in ["out/strict.reg", "out/my.reg"] {
        assert!(d.path().join(f).is_file(), "{f} was not written");
    }
}

/// `rust-version` in Cargo.toml is what the locked dependencies of a build need (the
/// highest `rust-version` among them), and the README states it and what the tests need.
#[test]
fn rust_version_is_what_the_locked_dependencies_need() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = run(std::process::Command::new(cargo)
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .current_dir(util::root()));
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let version = |id: &str| -> Option<(Vec<u32>, String)> {
        let p = m["packages"].as_array()?.iter().find(|p| p["id"] == id)?;
        let v = p["rust_version"].as_str()?;
        Some((
            v.split('.').map(|x| x.parse().unwrap()).collect(),
            p["name"].as_str()?.to_string(),
        ))
    };
    let root = m["resolve"]["root"].as_str().unwrap().to_string();
    let nodes = m["resolve"]["nodes"].as_array().unwrap();
    // The packages a build (with dev: the tests) compiles: the root's normal (and dev)
    // dependencies, then everything they need to build.
    let closure = |dev: bool| -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(id) = stack.pop() {
            if seen.contains(&id) {
                continue;
            }
            let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
            for d in node["deps"].as_array().unwrap() {
                let kinds: Vec<&serde_json::Value> = d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| &k["kind"])
                    .collect();
                let wanted = kinds
                    .iter()
                    .any(|k| k.is_null() || *k == "build" || (dev && id == root && *k == "dev"));
                if wanted {
                    stack.push(d["pkg"].as_str().unwrap().to_string());
                }
            }
            seen.push(id);
        }
        seen
    };
    let highest = |ids: Vec<String>| ids.iter().filter_map(|i| version(i)).max().unwrap();
    let (build, by) = highest(closure(false));
    let (test, by_test) = highest(closure(true));
    let show = |v: &[u32]| {
        let v: Vec<String> = v.iter().map(u32::to_string).collect();
        let s = v.join(".");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    let manifest = std::fs::read_to_string(util::root().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!("rust-version = \"{}\"", show(&build))),
        "Cargo.toml's rust-version should be {} ({by} needs it)",
        show(&build)
    );
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("{} or newer to build", show(&build))),
        "README: {} to build ({by})",
        show(&build)
    );
    assert!(
        readme.contains(&format!("{} or\nnewer for the tests", show(&test)))
            || readme.contains(&format!("{} or newer for the tests", show(&test))),
        "README: {} for the tests ({by_test})",
        show(&test)
    );
}

/// A reader that closes the pipe early (`tlsreg show --plan big.yaml | head -1`) ends the
/// run quietly with exit 0, as `set -o pipefail` pipelines need.
#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    use std::io::Read;
    let d = util::tempdir();
    let p = d.path().join("big.yaml");
    let mut src = String::from("raw:\n  - key: HKLM\\SOFTWARE\\Contoso\n    values:\n");
    for i in 0..4000 {
        src.push_str(&format!(
            "      Value{i:05}: {{ type: sz, data: \"{}\" }}\n",
            "x".repeat(40)
        ));
    }
    util::write(&p, &src);
    for args in [vec!["show", "--plan"], vec!["show"]] {
        let mut child = tlsreg()
            .args(&args)
            .arg(&p)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

/// `tlsreg completions bash` is a script bash loads and completes with: subcommands, and a
/// subcommand's options; the other shells get a script too. `tlsreg man` is a page groff
/// renders with every subcommand in it.
#[test]
fn completions_and_the_man_page_work_in_the_real_tools() {
    let script = run(tlsreg().args(["completions", "bash"]));
    assert!(script.status.success());
    let d = util::tempdir();
    let file = d.path().join("tlsreg.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    let complete = |words: &str, cword: usize| -> String {
        let o = run(std::process::Command::new("bash").arg("-c").arg(format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; _tlsreg tlsreg \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[*]}}\"",
            file.display()
        )));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    assert_eq!(complete("tlsreg comp", 1), "compile completions");
    assert_eq!(complete("tlsreg audit --ima", 2), "--image");
    assert_eq!(complete("tlsreg completions p", 2), "powershell");
    // Every subcommand completes, with every long option its --help lists.
    for sub in subcommands() {
        let word = &sub[..sub.len().min(3)];
        assert!(
            complete(&format!("tlsreg {word}"), 1)
                .split(' ')
                .any(|c| c == sub),
            "{sub}"
        );
        let offered = complete(&format!("tlsreg {sub} --"), 2);
        for opt in long_options(&sub) {
            assert!(
                offered.split(' ').any(|c| c == opt),
                "bash does not complete {sub} {opt}: {offered}"
            );
        }
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = run(tlsreg().args(["completions", shell]));
        assert!(o.status.success() && o.stdout.len() > 1000, "{shell}");
        let script = stdout(&o);
        for sub in subcommands() {
            assert!(script.contains(&sub), "{shell}: {sub}");
            for opt in long_options(&sub) {
                assert!(
                    script.contains(opt.trim_start_matches('-')),
                    "{shell}: {sub} {opt}"
                );
            }
        }
    }
    let man = run(tlsreg().arg("man"));
    assert!(man.status.success());
    let page = d.path().join("tlsreg.1");
    std::fs::write(&page, &man.stdout).unwrap();
    let Some(groff) = util::which("groff") else {
        util::skip("groff is not installed (apt: groff-base)");
        return;
    };
    let o = run(std::process::Command::new(groff)
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&page));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "groff warns about the page");
    let text = run(std::process::Command::new("groff")
        .args(["-man", "-Tascii", "-P-c"])
        .arg(&page));
    // groff justifies: words, not spacing, are compared.
    let text = stdout(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for sub in subcommands() {
        assert!(
            text.contains(&format!("tlsreg-{sub}(1)")),
            "{sub} not in the man page"
        );
        // Its summary line too, as --help gives it.
        let top = stdout(&run(tlsreg().arg("--help")));
        let summary = top
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{sub} ")))
            .map(|l| l.trim_start()[sub.len()..].trim().to_string())
            .unwrap();
        let first_words: String = summary
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&first_words),
            "{sub}: \"{first_words}\" not in the man page"
        );
    }
}

/// `tlsreg man --out-dir` writes the command's page and one per subcommand, each rendered
/// by groff without a warning and naming every long option of the subcommand; a folder
/// where a page goes is refused before anything is written.
#[test]
fn man_out_dir_writes_a_page_per_subcommand() {
    let d = util::tempdir();
    let dir = d.path().join("man1");
    let o = run(tlsreg().args(["man", "--out-dir"]).arg(&dir));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let Some(groff) = util::which("groff") else {
        util::skip("groff is not installed (apt: groff-base)");
        return;
    };
    let subs = subcommands();
    for page in
        std::iter::once("tlsreg".to_string()).chain(subs.iter().map(|s| format!("tlsreg-{s}")))
    {
        let file = dir.join(format!("{page}.1"));
        assert!(file.is_file(), "{}", file.display());
        let o = run(std::process::Command::new(&groff)
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&file));
        assert!(
            o.status.success() && stderr(&o).is_empty(),
            "{page}: {}",
            stderr(&o)
        );
        let Some(sub) = page.strip_prefix("tlsreg-") else {
            continue;
        };
        let text = stdout(&run(std::process::Command::new(&groff)
            .args(["-man", "-Tascii", "-P-cbou"])
            .arg(&file)));
        for opt in long_options(sub) {
            assert!(text.contains(&opt), "{page}: {opt}");
        }
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), subs.len() + 1);
    // A folder where a page would go: refused, and no other page written.
    let again = d.path().join("again");
    std::fs::create_dir_all(again.join("tlsreg-lint.1")).unwrap();
    let o = util::run_within(tlsreg().args(["man", "--out-dir"]).arg(&again), 20);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_dir(&again).unwrap().count(),
        1,
        "nothing written"
    );
}

/// The subcommands `tlsreg --help` lists (not `help`).
fn subcommands() -> Vec<String> {
    let top = stdout(&run(tlsreg().arg("--help")));
    top.split("Commands:")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        // `  name  what it does` (a wrapped description continues further in)
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

/// The long options `tlsreg SUB --help` lists, `--help` and `--version` aside.
fn long_options(sub: &str) -> Vec<String> {
    let help = stdout(&run(tlsreg().args([sub, "--help"])));
    help.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t
                .strip_prefix("-")
                .and_then(|r| r.get(3..))
                .filter(|_| t.as_bytes().get(2) == Some(&b','))
                .unwrap_or(t);
            t.strip_prefix("--").map(|r| {
                let name: String = r
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                format!("--{name}")
            })
        })
        .filter(|o| o != "--help" && o != "--version")
        .collect()
}

/// `--color` holds for clap's own help and usage errors too: `always` colours them when
/// piped, `never` (and NO_COLOR with auto) leaves them plain.
#[test]
fn color_choice_holds_for_help_and_usage_errors() {
    let plain =
        |o: &std::process::Output| !stdout(o).contains('\x1b') && !stderr(o).contains('\x1b');
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tlsreg"));
    let o = run(c.args(["--color", "always", "--help"]));
    assert!(
        stdout(&o).contains("\x1b["),
        "help not coloured with --color always"
    );
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tlsreg"));
    let o = run(c.args(["audit", "--bogus", "--color=always"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("\x1b["), "{}", stderr(&o));
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tlsreg"));
    let o = run(c.args(["--color", "never", "audit", "--bogus"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(plain(&o), "{}", stderr(&o));
    let o = run(tlsreg().args(["audit", "--bogus"]));
    assert!(plain(&o), "NO_COLOR: {}", stderr(&o));
}

/// `tlsreg explain CODE` says what every diagnostic code means, in profiles and in `.reg`
/// files; an unknown code gets a did-you-mean and exit 2.
#[test]
fn explain_knows_every_code() {
    for (code, sev, meaning) in tlsreg::diag::CODES.iter().chain(tlsreg::regfile::CODES) {
        let o = run(tlsreg().args(["explain", code]));
        assert_eq!(o.status.code(), Some(0), "{code}");
        assert!(
            stdout(&o).contains(&format!("{code} ({}, in ", sev.as_str()))
                && stdout(&o).contains(meaning),
            "{code}: {}",
            stdout(&o)
        );
    }
    for f in tlsreg::audit::FindingCode::ALL {
        let o = run(tlsreg().args(["explain", f.as_str()]));
        assert_eq!(o.status.code(), Some(0), "{f}");
        assert!(
            stdout(&o).contains(&format!("{f} (audit finding): {}\n", f.meaning())),
            "{f}: {}",
            stdout(&o)
        );
    }
    let all = run(tlsreg().arg("explain"));
    assert_eq!(
        stdout(&all).lines().count(),
        tlsreg::diag::CODES.len()
            + tlsreg::regfile::CODES.len()
            + tlsreg::audit::FindingCode::ALL.len()
    );
    let o = run(tlsreg().args(["explain", "unknwn-on-build"]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no diagnostic or finding code is called \"unknwn-on-build\"; did you mean \"unknown-on-build\"? (`tlsreg explain` lists them all)\n"
    );
}

/// The words of a help example line, as a POSIX shell splits them (single and double quotes,
/// backslashes outside single quotes), up to a comment or a redirection.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '#' | '>' | '|' if cur.is_none() => break,
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.get_or_insert_with(String::new).push(n);
                }
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    words
}

/// Every `--help` ends with examples and the exit codes, and every example parses: its
/// subcommand, options and values exist (run with `--help` added, which clap reads only
/// after checking the words before it).
#[test]
fn every_help_has_examples_that_parse_and_the_exit_codes() {
    let subcommands = subcommands();
    assert!(subcommands.len() >= 11, "{subcommands:?}");
    let mut examples = 0;
    for sub in std::iter::once(None).chain(subcommands.iter().map(Some)) {
        let mut c = tlsreg();
        c.args(sub).arg("--help");
        let help = stdout(&run(&mut c));
        assert!(
            help.contains("\nExit codes: 0 ok; 1 differences found"),
            "{sub:?}: {help}"
        );
        let ex = help
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{sub:?} has no examples"));
        for line in ex.lines().take_while(|l| l.starts_with("  tlsreg ")) {
            let words = shell_words(line.trim());
            let o = run(tlsreg().args(&words[1..]).arg("--help"));
            assert_eq!(o.status.code(), Some(0), "{line}: {}", stderr(&o));
            examples += 1;
        }
    }
    assert!(examples >= 30, "{examples}");
}
