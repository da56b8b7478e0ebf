//! The Ansible playbook (`--format ansible`) against Ansible itself: `ansible-playbook
//! --syntax-check` and `ansible-lint` (production profile) pass on every built-in's
//! playbook; `tests/fixtures/ansible/playbook2values.py` loads each with Ansible's own
//! loader, checks every module argument against `ansible-doc` and check-mode support,
//! evaluates `assert` and `when` with Ansible's templating on each build family's first
//! build, and replays the `win_regedit` tasks as the module's code does: the registry left
//! must be the plan's, which is what hivex imports from the family's `.reg`.

use crate::oracle::{builtin, expected, plan_of, steps, write_reg};
use crate::util::{self, lines, run, run_oracle, stderr, stdout, tlsreg};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};
use std::process::Command;
use tlsreg::compile::{self, Formats, Options, Resolved};
use tlsreg::emit::ansible::{to_ansible, AnsibleError, PlaybookInfo};
use tlsreg::plan::Plan;

/// A program of the oracles' venv with PyPI `ansible`, or `None` after a printed skip.
fn ansible_tool(name: &str) -> Option<PathBuf> {
    let p = util::oracle_venv().join("bin").join(name);
    if p.is_file() {
        Some(p)
    } else {
        util::skip(&format!(
            "{} is missing (PyPI ansible and ansible-lint in the oracles' venv; .ci/run installs them)",
            p.display()
        ));
        None
    }
}

/// `playbook2values.py` over `FILE@BUILD` runs: with `each`, one list of lines per run;
/// else one list for all of them on one host.
pub(crate) fn replay(runs: &[String], each: bool) -> Option<Vec<Vec<String>>> {
    let py = ansible_tool("python")?;
    let oracles = util::oracle("reg2values.sh")?.parent()?.to_path_buf();
    let mut c = Command::new(py);
    c.arg(util::root().join("tests/fixtures/ansible/playbook2values.py"))
        .arg(oracles);
    if each {
        c.arg("--each");
    }
    c.args(runs);
    let o = run(&mut c);
    match o.status.code() {
        Some(0) => {}
        Some(4) => {
            util::skip(stderr(&o).trim());
            return None;
        }
        code => panic!("playbook2values.py failed ({code:?}): {}", stderr(&o)),
    }
    let all = lines(&stdout(&o));
    if !each {
        return Some(vec![all]);
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for l in all {
        if l.starts_with("== ") {
            out.push(Vec::new());
        } else {
            out.last_mut().expect("a header first").push(l);
        }
    }
    assert_eq!(out.len(), runs.len());
    Some(out)
}

/// A built-in's playbook (or its undo) and each family's first build with its plan.
fn playbook(name: &str, revert: bool) -> (compile::Output, Vec<(u32, Plan)>) {
    let p = builtin(name);
    let opts = Options {
        revert,
        ..Options::default()
    };
    let formats = Formats {
        ansible: true,
        ..Default::default()
    };
    let mut outs = compile::outputs(name, &p, opts, formats).unwrap().outputs;
    assert_eq!(outs.len(), 1, "{name}: one playbook for every build");
    let plan = |p: &tlsreg::profile::Profile| {
        if revert {
            p.plan().revert()
        } else {
            p.plan()
        }
    };
    let min = p.target.map_or(0, |t| t.min_build);
    let plans = match compile::resolve(&p, opts).unwrap() {
        Resolved::One { profile, .. } => vec![(min.max(1), plan(&profile))],
        Resolved::Families(f) => f.iter().map(|f| (f.first, plan(&f.profile))).collect(),
    };
    (outs.remove(0), plans)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_builtin_playbook_passes_ansible_and_replays_as_its_plan() {
    let dir = util::tempdir();
    let mut files = Vec::new();
    let mut runs = Vec::new();
    let mut want = Vec::new();
    for name in util::builtins() {
        for revert in [false, true] {
            let (out, plans) = playbook(name, revert);
            let stem = if revert {
                format!("{name}.revert")
            } else {
                name.to_string()
            };
            assert_eq!(out.file_name, format!("{stem}.playbook.yml"));
            assert!(out.bytes.is_ascii(), "{}", out.file_name);
            let f = write(dir.path(), &out.file_name, &out.bytes);
            for (build, plan) in plans {
                runs.push(format!("{}@{build}", f.display()));
                want.push((out.file_name.clone(), build, plan, revert));
            }
            files.push(f);
        }
    }
    let Some(got) = replay(&runs, true) else {
        return;
    };
    for (got, (file, build, plan, revert)) in got.iter().zip(&want) {
        if *revert {
            assert_eq!(got, &Vec::<String>::new(), "{file} on build {build}");
            continue;
        }
        // The plan's registry, which is what hivex imports from the family's .reg
        // (`oracle::every_builtin_imports_to_exactly_its_plan`).
        assert_eq!(got, &expected(&[plan]), "{file} on build {build}");
    }
    // The undo after the playbook leaves nothing; a build before the target stops the host.
    let (apply, plans) = playbook("best-practices", false);
    let (undo, _) = playbook("best-practices", true);
    let a = write(dir.path(), "bp.yml", &apply.bytes);
    let u = write(dir.path(), "bp-undo.yml", &undo.bytes);
    let b = plans[1].0;
    let both = replay(
        &[
            format!("{}@{b}", a.display()),
            format!("{}@{b}", u.display()),
        ],
        false,
    )
    .unwrap();
    assert_eq!(both, vec![Vec::<String>::new()]);
    let before = replay(&[format!("{}@6002", a.display())], true).unwrap();
    assert!(
        before[0].len() == 1 && before[0][0].starts_with("FAILED: "),
        "{before:?}"
    );
    // Ansible's own checks, over every file at once.
    let Some(playbook_cmd) = ansible_tool("ansible-playbook") else {
        return;
    };
    let o = run(Command::new(playbook_cmd)
        .arg("--syntax-check")
        .args(&files));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // ansible-lint takes seconds a file, and every playbook has one of two shapes: it
    // lints the one whose tasks have `when`s per build family, and its undo.
    let Some(lint) = ansible_tool("ansible-lint") else {
        return;
    };
    let o = run(Command::new(lint)
        .args(["--offline", "--profile", "production", "--nocolor"])
        .args([
            "best-practices.playbook.yml",
            "best-practices.revert.playbook.yml",
        ])
        .current_dir(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

/// Deleting values (the default value too) and keys, and the default value set with a
/// non-string type, mean what the `.reg` means.
#[test]
fn deletions_and_default_values_mean_what_the_reg_means() {
    let dir = util::tempdir();
    let seed = util::plan_of_yaml(
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\\App\n    values:\n      Keep: { type: dword, data: 1 }\n      Old: { type: sz, data: x }\n      \"\": { type: sz, data: default }\n  - key: HKLM\\SOFTWARE\\Contoso\\Legacy\\Deep\n    values:\n      V: { type: multi-sz, data: [] }\n  - key: HKCU\\Software\\Contoso\n    values:\n      \"\": { type: dword, data: 7 }\n      Big: { type: qword, data: 18446744073709551615 }\n      Blob: { type: binary, data: [] }\n      One: { type: binary, data: [10] }\n",
    );
    let change = util::plan_of_yaml(
        "raw:\n  - key: HKLM\\SOFTWARE\\Contoso\\App\n    values:\n      Old: delete\n      \"\": delete\n  - key: HKLM\\SOFTWARE\\Contoso\\Legacy\n    delete-key: true\n",
    );
    let info = |n: &str| PlaybookInfo {
        profile: n.into(),
        revert: false,
    };
    let s = write(
        dir.path(),
        "seed.yml",
        &to_ansible(&seed, &info("seed")).unwrap(),
    );
    let c = write(
        dir.path(),
        "change.yml",
        &to_ansible(&change, &info("change")).unwrap(),
    );
    let Some(got) = replay(
        &[format!("{}@1", s.display()), format!("{}@1", c.display())],
        false,
    ) else {
        return;
    };
    let want = expected(&[&seed, &change]);
    assert_eq!(got[0], want);
    assert!(want
        .iter()
        .any(|l| l.contains("\tBig\tREG_QWORD\t0xffffffffffffffff")));
    let regs = [
        write_reg(dir.path(), "seed.reg", &seed),
        write_reg(dir.path(), "change.reg", &change),
    ];
    if let Some(hivex) = run_oracle("reg2values.sh", &[&regs[0], &regs[1]]) {
        assert_eq!(got[0], lines(&hivex));
    }
}

/// Random plans: written unless text holds a NUL (refused, as for the script), and what is
/// written replays to the plan's registry. One Ansible run for all of them.
#[test]
fn random_plans_replay_through_ansible() {
    let mut runner = TestRunner::new(Config {
        cases: 40,
        failure_persistence: None,
        ..Config::default()
    });
    let dir = util::tempdir();
    let mut runs = Vec::new();
    let mut plans = Vec::new();
    for i in 0..40 {
        let (keys, steps) = steps().new_tree(&mut runner).unwrap().current();
        let plan = plan_of(&keys, &steps);
        let info = PlaybookInfo {
            profile: format!("random {i}"),
            revert: false,
        };
        match to_ansible(&plan, &info) {
            Err(AnsibleError::Nul { .. }) => {
                assert!(
                    !crate::powershell::without_nul(&plan),
                    "refused without a NUL"
                );
            }
            Err(e) => panic!("{e}"),
            Ok(bytes) => {
                assert!(
                    crate::powershell::without_nul(&plan),
                    "a NUL reached the playbook"
                );
                let f = write(dir.path(), &format!("r{i}.yml"), &bytes);
                runs.push(format!("{}@1", f.display()));
                plans.push(plan);
            }
        }
    }
    assert!(plans.len() > 20, "only {} plans were written", plans.len());
    let Some(got) = replay(&runs, true) else {
        return;
    };
    for (g, p) in got.iter().zip(&plans) {
        assert_eq!(g, &expected(&[p]), "{p:?}");
    }
}

#[test]
fn compile_writes_checks_and_streams_the_playbook() {
    let dir = util::tempdir();
    let o = run(tlsreg()
        .args(["compile", "best-practices", "--format", "ansible", "-o"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = util::names_in(dir.path());
    assert_eq!(names, ["best-practices.playbook.yml"]);
    let text = std::fs::read_to_string(dir.path().join("best-practices.playbook.yml")).unwrap();
    assert!(
        text.contains("when: (tlsreg_build | int) >= 20348\n"),
        "{text}"
    );
    let check = || util::compile_check(dir.path(), "best-practices", "ansible");
    assert_eq!(check().status.code(), Some(0));
    std::fs::write(dir.path().join("best-practices.playbook.yml"), "---\n").unwrap();
    assert_eq!(check().status.code(), Some(1));
    let o = run(tlsreg().args(["compile", "strict", "--format", "ansible", "-o", "-"]));
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("---\n# Generated by tlsreg from the profile strict"));
}

/// Text that YAML would read as another type unquoted (numbers, booleans, null, dates,
/// `=`) and text with Jinja delimiters reach the module as that text.
#[test]
fn text_that_looks_like_other_yaml_types_or_templates_stays_text() {
    let texts = [
        "3",
        "007",
        "0x10",
        "1e3",
        ".inf",
        "yes",
        "No",
        "on",
        "~",
        "null",
        "2001-12-14",
        "=",
        "1:20",
        "{{ 7 * 7 }}",
        "{% raw %}",
        "{# c #}",
        "{",
        "' \"",
    ];
    let mut src = String::from("raw:\n  - key: HKLM\\SOFTWARE\\Contoso\n    values:\n");
    for (i, t) in texts.iter().enumerate() {
        let q = format!("'{}'", t.replace('\'', "''"));
        src.push_str(&format!("      v{i}: {{ type: sz, data: {q} }}\n"));
        src.push_str(&format!("      {q}: {{ type: multi-sz, data: [{q}] }}\n"));
    }
    let plan = util::plan_of_yaml(&src);
    let bytes = to_ansible(
        &plan,
        &PlaybookInfo {
            profile: "types".into(),
            revert: false,
        },
    )
    .unwrap();
    let dir = util::tempdir();
    let f = write(dir.path(), "types.yml", &bytes);
    if let Some(got) = replay(&[format!("{}@1", f.display())], false) {
        assert_eq!(got[0], expected(&[&plan]));
    }
}

/// The README's example task is what `compile strict --format ansible` writes.
#[test]
fn the_readme_example_task_is_strict_as_written() {
    let readme = std::fs::read_to_string(util::root().join("README.md")).unwrap();
    let section = &readme[readme.find("### Ansible").expect("an Ansible section")..];
    let start = section.find("```yaml\n").expect("a YAML example") + 8;
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let (out, _) = playbook("strict", false);
    let text = String::from_utf8(out.bytes).unwrap();
    assert!(
        text.contains(example),
        "not in strict.playbook.yml:\n{example}"
    );
}
