//! `.pre-commit-hooks.yaml`: each hook's entry is a real tlsreg subcommand whose flags and
//! the README config's args work (the built binary, on a repository where the check passes
//! and one where it fails); pre-commit's own manifest check and SchemaStore's schema accept
//! the file; and pre-commit itself, given a Git copy of this repository and the README's
//! `.pre-commit-config.yaml`, builds tlsreg (`language: rust`) and runs both hooks: passed on
//! a clean repository, skipped for files they do not match, failed on drift and on a trap.

use crate::util::{self, git, jsonschema, run_timeout, sample_repo, sh, stderr, stdout};
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const HOOK_IDS: [&str; 2] = ["tlsreg-compile-check", "tlsreg-lint"];

fn manifest() -> Value {
    let src = std::fs::read_to_string(util::root().join(".pre-commit-hooks.yaml")).unwrap();
    serde_yaml::from_str(&src).expect(".pre-commit-hooks.yaml is YAML")
}

fn hook<'a>(m: &'a Value, id: &str) -> &'a Value {
    m.as_sequence()
        .unwrap()
        .iter()
        .find(|h| h["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no hook {id}"))
}

/// The README's `.pre-commit-config.yaml`.
fn readme_config() -> Value {
    let src = util::readme_yaml_after("`.pre-commit-config.yaml` for the layout above:");
    serde_yaml::from_str(&src).expect("the README's config is YAML")
}

fn config_hook<'a>(c: &'a Value, id: &str) -> &'a Value {
    c["repos"][0]["hooks"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|h| h["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("the README config lacks {id}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| s.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// A hook's command line as pre-commit builds it: entry, args, then (unless
/// `pass_filenames: false`) the files.
fn command_line(id: &str, files: &[&str]) -> String {
    let m = manifest();
    let h = hook(&m, id);
    let mut words: Vec<String> = h["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    words.extend(strings(&config_hook(&readme_config(), id)["args"]));
    if h["pass_filenames"].as_bool() != Some(false) {
        words.extend(files.iter().map(|f| f.to_string()));
    }
    words.join(" ")
}

#[test]
fn the_hooks_run_real_tlsreg_commands() {
    let m = manifest();
    let ids: Vec<&str> = m
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, HOOK_IDS);
    for id in HOOK_IDS {
        let h = hook(&m, id);
        assert_eq!(h["language"].as_str(), Some("rust"), "{id}");
        assert!(h["entry"].as_str().unwrap().starts_with("tlsreg "), "{id}");
        assert!(h["files"].as_str().is_some(), "{id} names its files");
    }
    // compile --check runs on the whole set, given by args, never on the changed files.
    assert_eq!(
        hook(&m, "tlsreg-compile-check")["pass_filenames"].as_bool(),
        Some(false)
    );
    let d = util::tempdir();
    sample_repo(d.path());
    let regs: Vec<String> = util::files_below(&d.path().join("generated"))
        .iter()
        .map(|p| p.strip_prefix(d.path()).unwrap().display().to_string())
        .collect();
    assert!(regs.len() >= 4, "{regs:?}");
    let regs: Vec<&str> = regs.iter().map(String::as_str).collect();
    let check = command_line("tlsreg-compile-check", &[]);
    let lint = command_line("tlsreg-lint", &regs);
    assert!(
        check.starts_with("tlsreg compile --check -o generated "),
        "{check}"
    );
    for (line, want) in [(&check, 0), (&lint, 0)] {
        let o = sh(d.path(), line);
        assert_eq!(o.status.code(), Some(want), "{line}:\n{}", stderr(&o));
    }
    // Drift: a profile changed and not compiled again.
    util::write(
        &d.path().join("profiles/db.yaml"),
        "extends: [enable-tls12]\nprotocols:\n  TLS 1.1: disabled\n",
    );
    let o = sh(d.path(), &check);
    assert_eq!(o.status.code(), Some(1), "{check}:\n{}", stderr(&o));
    assert!(
        stdout(&o).contains("differs    generated/db.reg"),
        "{}",
        stdout(&o)
    );
    // A trap in a .reg file.
    let trap = d.path().join("generated/old.reg");
    std::fs::copy(
        util::root().join("tests/fixtures/lint/enabled-ffffffff.reg"),
        &trap,
    )
    .unwrap();
    let o = sh(
        d.path(),
        &command_line("tlsreg-lint", &["generated/old.reg"]),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("warning[enabled-ffffffff]"),
        "{}",
        stderr(&o)
    );
}

fn pre_commit() -> Option<PathBuf> {
    let p = util::oracle_venv().join("bin").join("pre-commit");
    if p.is_file() {
        Some(p)
    } else {
        util::skip(&format!(
            "{} is missing (.ci/run installs pre-commit into the oracles' venv)",
            p.display()
        ));
        None
    }
}

#[test]
fn pre_commit_and_schemastore_accept_the_manifest() {
    let Some(pc) = pre_commit() else {
        return;
    };
    let o = util::run(
        Command::new(&pc)
            .args(["validate-manifest", ".pre-commit-hooks.yaml"])
            .current_dir(util::root()),
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(util::root().join("tests/fixtures/schemastore/pre-commit-hooks.json"))
            .unwrap(),
    )
    .unwrap();
    let m = serde_json::to_value(manifest()).unwrap();
    let Some(v) = jsonschema(&schema, &[m], false) else {
        return;
    };
    assert_eq!(v.validator, "Draft7Validator");
    assert!(v.errors[0].is_empty(), "{:?}", v.errors[0]);
}

/// Where this test keeps what pre-commit builds, across runs and clones: pre-commit's own
/// cache (its environments, each with a tlsreg `cargo install`ed into it) and cargo's
/// target folder for those installs. Like the oracles' venv, it lives in the user's cache
/// (`$TLSREG_TEST_CACHE`, or `${XDG_CACHE_HOME:-~/.cache}/tlsreg-tests/pre-commit`), so a
/// fresh clone of files already built reuses their environment, and one with changed files
/// builds only what changed. Over 2 GiB, it is emptied first.
fn cache() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = var("TLSREG_TEST_CACHE").unwrap_or_else(|| {
        var("XDG_CACHE_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(|| util::root().join("target"))
            .join("tlsreg-tests")
    });
    let dir = base.join("pre-commit");
    fn size(p: &Path) -> u64 {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|d| d.flatten().map(|e| size(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    if size(&dir) > 2 << 30 {
        let _ = std::fs::remove_dir_all(&dir);
    }
    dir
}

/// A Git repository holding this checkout's files as they are now (tracked and new, not
/// ignored), committed with fixed names and dates: the same files give the same commit, so
/// pre-commit reuses the tlsreg it built for them. Its path is named by a digest of the
/// files, for the same reason (pre-commit keys an environment by repository and revision),
/// and so that two checkouts never share one.
fn hook_repo() -> (PathBuf, String) {
    use sha1::{Digest, Sha1};
    let root = util::root();
    let files = git(&root, &["ls-files", "-co", "--exclude-standard", "-z"]);
    let files: Vec<&str> = files
        .split('\0')
        .filter(|f| !f.is_empty() && root.join(f).is_file())
        .collect();
    let mut digest = Sha1::new();
    for f in &files {
        digest.update(f.as_bytes());
        digest.update([0]);
        let bytes = std::fs::read(root.join(f)).unwrap();
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(&bytes);
    }
    let hex: String = digest.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let repo = cache().join(format!("hooks-{hex}"));
    // A repository made whole before (its marker written last) is these files, committed.
    if !repo.join(".git/tlsreg-complete").is_file() {
        let _ = std::fs::remove_dir_all(&repo);
        std::fs::create_dir_all(&repo).unwrap();
        for f in &files {
            let to = repo.join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root.join(f), &to).unwrap();
        }
        git(&repo, &["init", "-q"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "tlsreg as it is now"]);
        std::fs::write(repo.join(".git/tlsreg-complete"), "").unwrap();
    }
    let rev = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    (repo, rev)
}

fn run_pre_commit(pc: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    let cache = cache();
    run_timeout(
        Command::new(pc)
            .args(args)
            .args(["--color", "never"])
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", cache.join("home"))
            // cargo install builds in a lasting folder (only what changed is built again)
            // and without the release profile's optimisation: this checks how pre-commit
            // installs and runs the hooks, not the optimiser.
            .env("CARGO_TARGET_DIR", cache.join("build"))
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null"),
        1800,
    )
}

#[test]
fn pre_commit_builds_tlsreg_and_runs_the_hooks() {
    let Some(pc) = pre_commit() else {
        return;
    };
    if util::which("cargo").is_none() {
        util::skip("cargo is not on the PATH (language: rust hooks are built with it)");
        return;
    }
    let (repo, rev) = hook_repo();
    let d = util::tempdir();
    let user = d.path();
    sample_repo(user);
    let mut config = readme_config();
    config["repos"][0]["repo"] = Value::String(repo.display().to_string());
    config["repos"][0]["rev"] = Value::String(rev);
    util::write(
        &user.join(".pre-commit-config.yaml"),
        &serde_yaml::to_string(&config).unwrap(),
    );
    util::write(&user.join("README.md"), "not a profile\n");
    git(user, &["init", "-q"]);
    git(user, &["add", "-A"]);
    let passed = |out: &str, name: &str| {
        out.lines()
            .any(|l| l.starts_with(name) && l.ends_with("Passed"))
    };
    let o = run_pre_commit(&pc, user, &["run", "--all-files"]);
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(passed(&out, "tlsreg compile --check"), "{out}");
    assert!(passed(&out, "tlsreg lint"), "{out}");
    // The hooks' files: a profile change runs the check, not the linter; other files
    // run neither.
    let o = run_pre_commit(&pc, user, &["run", "--files", "profiles/web.yaml"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(passed(&out, "tlsreg compile --check"), "{out}");
    assert!(out.contains("tlsreg lint") && out.contains("(no files to check)Skipped"));
    let o = run_pre_commit(&pc, user, &["run", "--files", "README.md"]);
    let out = stdout(&o);
    assert_eq!(
        out.matches("(no files to check)Skipped").count(),
        2,
        "{out}"
    );
    // Drift (a profile changed, not compiled) and a trap: both hooks fail, saying why.
    util::write(
        &user.join("profiles/db.yaml"),
        "extends: [enable-tls12]\nprotocols:\n  TLS 1.1: disabled\n",
    );
    std::fs::copy(
        util::root().join("tests/fixtures/lint/enabled-ffffffff.reg"),
        user.join("generated/old.reg"),
    )
    .unwrap();
    git(user, &["add", "-A"]);
    let o = run_pre_commit(&pc, user, &["run", "--all-files"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    for want in [
        "- hook id: tlsreg-compile-check",
        "differs    generated/db.reg",
        "- hook id: tlsreg-lint",
        "warning[enabled-ffffffff]: generated/old.reg",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
}
