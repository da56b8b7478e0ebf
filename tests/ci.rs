//! The CI examples (`docs/ci/github-actions.yml`, `docs/ci/gitlab-ci.yml`): the README shows
//! them byte for byte; both are YAML (read as GitHub and GitLab read it, YAML 1.2); the
//! GitHub workflow is valid against SchemaStore's `github-workflow.json` (Python's
//! `jsonschema`); the GitLab job keeps and reports the JUnit file; and their tlsreg lines,
//! run as written in a repository laid out as the README says, pass on a clean one and fail
//! with exit 1 on drift, on a trap, and on an image that is not compliant (a VHDX made by
//! `mkdisk.sh` and `qemu-img`), writing the JUnit report either way.

use crate::util::{self, jsonschema, sample_repo, sh, stderr, stdout};
use serde_yaml::Value;
use std::path::Path;

const GITHUB: &str = "docs/ci/github-actions.yml";
const GITLAB: &str = "docs/ci/gitlab-ci.yml";

fn read(rel: &str) -> String {
    std::fs::read_to_string(util::root().join(rel)).unwrap()
}

fn yaml(rel: &str) -> Value {
    serde_yaml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_readme_shows_the_ci_files_as_they_are() {
    for rel in [GITHUB, GITLAB] {
        let block = util::readme_yaml_after(&format!("(`{rel}`;"));
        assert_eq!(block, read(rel), "the README's block differs from {rel}");
    }
}

/// The shell lines of the GitHub workflow's steps (`run`), with each step's `if`.
fn github_runs() -> Vec<(String, Option<String>)> {
    let w = yaml(GITHUB);
    w["jobs"]["tlsreg"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter_map(|s| {
            let run = s["run"].as_str()?.to_string();
            Some((run, s["if"].as_str().map(str::to_string)))
        })
        .collect()
}

fn gitlab_script() -> Vec<String> {
    let c = yaml(GITLAB);
    c["tlsreg"]["script"]
        .as_sequence()
        .expect("script")
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

fn tlsreg_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("tlsreg "))
        .cloned()
        .collect()
}

#[test]
fn the_ci_files_are_valid_and_keep_the_report() {
    // GitLab: the report is kept and read as JUnit, also when the audit fails.
    let c = yaml(GITLAB);
    let art = &c["tlsreg"]["artifacts"];
    assert_eq!(art["when"].as_str(), Some("always"));
    assert_eq!(art["reports"]["junit"].as_str(), Some("report.xml"));
    // GitHub: the steps that publish the report run whatever came before.
    let w = yaml(GITHUB);
    let steps = w["jobs"]["tlsreg"]["steps"].as_sequence().unwrap();
    let publishing: Vec<&Value> = steps
        .iter()
        .filter(|s| {
            serde_yaml::to_string(&s["with"])
                .unwrap()
                .contains("report.xml")
        })
        .collect();
    assert_eq!(publishing.len(), 2);
    for s in publishing {
        assert_eq!(s["if"].as_str(), Some("always()"), "{s:?}");
    }
    // Both run the same tlsreg lines; the last writes report.xml.
    let gh: Vec<String> = github_runs().into_iter().map(|(r, _)| r).collect();
    let lines = tlsreg_lines(&gh);
    assert_eq!(lines, tlsreg_lines(&gitlab_script()));
    assert_eq!(lines.len(), 3);
    assert!(lines[2].ends_with("--format junit > report.xml"));
    // SchemaStore's schema of GitHub workflows, as editors use it.
    let schema: serde_json::Value =
        serde_json::from_str(&read("tests/fixtures/schemastore/github-workflow.json")).unwrap();
    let Some(v) = jsonschema(&schema, &[serde_json::to_value(&w).unwrap()], false) else {
        return;
    };
    assert_eq!(v.validator, "Draft7Validator");
    assert!(v.errors[0].is_empty(), "{GITHUB}: {:?}", v.errors[0]);
}

/// The CI lines, as written, in a repository laid out as the README says: the first two
/// pass on a clean one, and each fails with exit 1 on what it guards against.
#[test]
fn the_compile_and_lint_lines_gate_drift_and_traps() {
    let lines = tlsreg_lines(&gitlab_script());
    let (check, lint) = (&lines[0], &lines[1]);
    let d = util::tempdir();
    sample_repo(d.path());
    for line in [check, lint] {
        let o = sh(d.path(), line);
        assert_eq!(o.status.code(), Some(0), "{line}:\n{}", stderr(&o));
    }
    // A generated file edited by hand.
    let f = d.path().join("generated/db.reg");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes.extend_from_slice(&[b'x', 0]);
    std::fs::write(&f, &bytes).unwrap();
    let o = sh(d.path(), check);
    assert_eq!(o.status.code(), Some(1), "{check}");
    assert!(
        stdout(&o).contains("differs    generated/db.reg"),
        "{}",
        stdout(&o)
    );
    sample_repo(d.path());
    // A .reg file with a trap.
    std::fs::copy(
        util::root().join("tests/fixtures/lint/nested-cipher-key.reg"),
        d.path().join("generated/old.reg"),
    )
    .unwrap();
    let o = sh(d.path(), lint);
    assert_eq!(o.status.code(), Some(1), "{lint}");
    assert!(
        stderr(&o).contains("warning[nested-cipher-key]"),
        "{}",
        stderr(&o)
    );
}

/// `sample.vhdx`: a bare NTFS volume holding the ccs2 hive pair (Windows Server 2019, TLS 1.2
/// on), made by `mkdisk.sh` and converted by `qemu-img`; `None` after a SKIP.
fn sample_image(dir: &Path) -> Option<std::path::PathBuf> {
    let Some(qemu) = util::which("qemu-img") else {
        util::skip("qemu-img is not installed (apt: qemu-utils)");
        return None;
    };
    let tree = dir.join("tree/Windows/System32/config");
    std::fs::create_dir_all(&tree).unwrap();
    let fixtures = util::root().join("tests/fixtures/audit");
    std::fs::copy(fixtures.join("ccs2-system.hive"), tree.join("SYSTEM")).unwrap();
    std::fs::copy(fixtures.join("ccs2-software.hive"), tree.join("SOFTWARE")).unwrap();
    let raw = dir.join("disk.img");
    let o = util::run_timeout(
        std::process::Command::new("bash")
            .arg(util::root().join("tests/fixtures/image/mkdisk.sh"))
            .arg(&raw)
            .args(["none", "40"])
            .arg(format!("x:40:ntfs:{}", dir.join("tree").display())),
        180,
    );
    match o.status.code() {
        Some(0) => {}
        Some(4) => {
            util::skip(&format!("mkdisk.sh: {}", stderr(&o).trim()));
            return None;
        }
        code => panic!("mkdisk.sh failed with {code:?}: {}", stderr(&o)),
    }
    let vhdx = dir.join("repo/sample.vhdx");
    let o = util::run(
        std::process::Command::new(qemu)
            .args(["convert", "-O", "vhdx"])
            .arg(&raw)
            .arg(&vhdx),
    );
    assert!(o.status.success(), "qemu-img: {}", stderr(&o));
    Some(vhdx)
}

/// The audit line, as written: exit 0 and a JUnit report without failures when the image
/// is compliant; exit 1 (the job fails) and a report naming the failures when the profile
/// asks for more than the image has.
#[test]
fn the_audit_line_fails_on_a_regression_and_writes_junit() {
    let line = tlsreg_lines(&gitlab_script())[2].clone();
    assert!(line.contains("--profile profiles/web.yaml --image sample.vhdx"));
    let d = util::tempdir();
    let repo = d.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let Some(_) = sample_image(d.path()) else {
        return;
    };
    let report = repo.join("report.xml");
    // What the image has: TLS 1.2 on, both sides.
    util::write(&repo.join("profiles/web.yaml"), "extends: [enable-tls12]\n");
    let o = sh(&repo, &line);
    assert_eq!(o.status.code(), Some(0), "{line}:\n{}", stderr(&o));
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.contains("<testsuites>"),
        "{xml}"
    );
    assert!(
        xml.contains("failures=\"0\"") && !xml.contains("<failure"),
        "{xml}"
    );
    // The profile now also wants TLS 1.0 off, which the image does not say: a regression.
    util::write(
        &repo.join("profiles/web.yaml"),
        "extends: [enable-tls12]\nprotocols:\n  TLS 1.0: disabled\n",
    );
    let o = sh(&repo, &line);
    assert_eq!(o.status.code(), Some(1), "{line}:\n{}", stderr(&o));
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(xml.contains("<failure") && xml.contains("TLS 1.0"), "{xml}");
}
