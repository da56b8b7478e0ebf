//! Helpers shared by the integration tests: running the `tlsreg` binary, loading profiles,
//! and calling the third-party oracles in `../shared/oracles` (skipped with a printed reason
//! when missing, failed instead when `TLSREG_REQUIRE_ORACLES=1`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository (tests read oracles and hives from there).
pub fn shared() -> PathBuf {
    std::env::var_os("TLSREG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

/// A command running the built `tlsreg` binary with colour off.
pub fn tlsreg() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tlsreg"));
    c.env("NO_COLOR", "1");
    c
}

/// Runs a command and returns its output. A JSON report of `tlsreg` is validated against
/// `tlsreg schema report` on the way ([`check_report`]).
pub fn run(c: &mut Command) -> Output {
    let o = c.output().expect("the command starts");
    check_report(c, &o);
    o
}

/// The JSON documents a `tlsreg` command line asks for on standard output: `Some(true)` for
/// JSON Lines, `Some(false)` for one document, `None` for anything else.
fn json_report(c: &Command) -> Option<bool> {
    if c.get_program() != std::ffi::OsStr::new(env!("CARGO_BIN_EXE_tlsreg")) {
        return None;
    }
    let args: Vec<String> = c
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args
        .iter()
        .any(|a| a == "-o" || a == "--output" || a == "--help")
    {
        return None;
    }
    let mut found = None;
    for w in args.windows(2) {
        match (w[0].as_str(), w[1].as_str()) {
            ("--format" | "--report", "json") => found = Some(false),
            ("--format", "jsonl") => found = Some(true),
            ("--format" | "--report", _) => found = None,
            _ => {}
        }
    }
    for a in &args {
        match a.as_str() {
            "--format=json" | "--report=json" => found = Some(false),
            "--format=jsonl" => found = Some(true),
            _ => {}
        }
    }
    found
}

/// One `validate.py -` process for the whole test run, reading instances on its standard
/// input; `None` when Python's `jsonschema` is missing (said once).
type Validator = std::sync::Mutex<(
    std::process::ChildStdin,
    std::io::BufReader<std::process::ChildStdout>,
)>;

fn report_validator() -> Option<&'static Validator> {
    use std::process::Stdio;
    static V: std::sync::OnceLock<Option<Validator>> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let python = oracle_venv().join("bin").join("python");
        if !python.is_file() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("tlsreg-report-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let schema = dir.join("report.schema.json");
        std::fs::write(
            &schema,
            serde_json::to_vec(&tlsreg::schema::report()).unwrap(),
        )
        .ok()?;
        let mut child = Command::new(python)
            .arg(root().join("tests/fixtures/schema/validate.py"))
            .arg(&schema)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut out = std::io::BufReader::new(child.stdout.take()?);
        // The first line names the validator; none means the schema or the package failed.
        let mut first = String::new();
        std::io::BufRead::read_line(&mut out, &mut first).ok()?;
        if !first.contains("Draft202012Validator") {
            return None;
        }
        Some(std::sync::Mutex::new((stdin, out)))
    })
    .as_ref()
}

/// Validates what a `tlsreg` run printed, when it is a JSON report (`--format json`,
/// `jsonl`, `--report json`), against `tlsreg schema report` with Python's `jsonschema`:
/// every report the tests produce is checked this way. A skip (or, with oracles required, a
/// failure) when the validator is missing.
pub fn check_report(c: &Command, o: &Output) {
    use std::io::{BufRead, Write};
    let Some(lines) = json_report(c) else { return };
    if o.stdout.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(&o.stdout);
    let docs: Vec<serde_json::Value> = if lines {
        text.lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{c:?}: a JSON Lines line: {e}\n{l}"))
            })
            .collect()
    } else {
        vec![serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{c:?}: a JSON report: {e}\n{text}"))]
    };
    let Some(v) = report_validator() else {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            skip("the oracles' venv has no jsonschema: JSON reports are not validated against tlsreg schema report")
        });
        return;
    };
    let mut guard = v.lock().unwrap_or_else(|p| p.into_inner());
    for doc in docs {
        let (stdin, out) = &mut *guard;
        writeln!(stdin, "{}", serde_json::to_string(&doc).unwrap()).unwrap();
        stdin.flush().unwrap();
        let mut answer = String::new();
        out.read_line(&mut answer).expect("validate.py answers");
        let a: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("validate.py said {answer:?}: {e}"));
        assert_eq!(
            a["valid"],
            true,
            "{c:?}: the report does not follow tlsreg schema report: {}\n{}",
            a["errors"],
            serde_json::to_string_pretty(&doc).unwrap()
        );
    }
}

/// Runs a command that must end within `secs` seconds (a FIFO or a device as input must
/// never make tlsreg block); one that does not is killed and fails the test.
pub fn run_within(c: &mut Command, secs: u64) -> Output {
    use std::process::Stdio;
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(o) => {
            let o = o.expect("the command runs");
            check_report(c, &o);
            o
        }
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("{c:?} did not end within {secs} s");
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether CI demands every oracle.
pub fn oracles_required() -> bool {
    std::env::var("TLSREG_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// Reports a missing oracle: a printed skip, or a failure where oracles are required.
pub fn skip(reason: &str) {
    if oracles_required() {
        panic!("oracle required (TLSREG_REQUIRE_ORACLES=1) but unavailable: {reason}");
    }
    say_skip(reason);
}

/// Prints `SKIP: reason` where the person running `cargo test` sees it: straight to the
/// process's standard error, which the test harness does not capture (it captures only
/// `print!`/`eprint!`), so a skipped check never looks like a pass.
pub fn say_skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIP: {reason}");
}

/// The path of an oracle script, or `None` (after [`skip`]) when it is not there.
pub fn oracle(script: &str) -> Option<PathBuf> {
    let p = shared().join("oracles").join(script);
    if p.is_file() {
        Some(p)
    } else {
        skip(&format!("{} is missing", p.display()));
        None
    }
}

/// Runs an oracle script. `None` (after [`skip`]) when one of its dependencies is missing
/// (exit code 4); panics with its stderr on any other failure.
pub fn run_oracle(script: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Option<String> {
    let path = oracle(script)?;
    let mut c = Command::new(&path);
    for a in args {
        c.arg(a);
    }
    let o = run(&mut c);
    match o.status.code() {
        Some(0) => Some(stdout(&o)),
        Some(4) => {
            skip(&format!("{script}: {}", stderr(&o).trim()));
            None
        }
        code => panic!(
            "{script} {:?} failed with {code:?}:\n{}{}",
            c.get_args().collect::<Vec<_>>(),
            stdout(&o),
            stderr(&o)
        ),
    }
}

/// Lines of oracle output (without the trailing empty line).
pub fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// A fresh temporary folder.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, text: &str) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// The rendered diagnostics of loading `src` as the file `p.yaml` in a temporary folder
/// (other files can be placed beside it first), or `Ok` with the rendered warnings.
pub fn diagnose_in(dir: &Path, src: &str) -> Result<String, String> {
    let p = dir.join("p.yaml");
    write(&p, src);
    match tlsreg::profile::load_with("p.yaml", src, Some(dir), "p") {
        Ok(l) => Ok(l.warnings.render(false)),
        Err(d) => Err(d.render(false)),
    }
}

/// Runs `job` on every item with `workers` threads, each taking the next item not yet
/// taken (give the costly first, so that the last to end is a short one); the results in
/// the items' order.
pub fn in_parallel<T: Sync, R: Send>(
    workers: usize,
    items: &[T],
    job: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut got = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        got.push((i, job(item)));
                    }
                    got
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|w| w.join().expect("a worker"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// `tlsreg compile PROFILE --format FORMAT --check -o DIR`.
pub fn compile_check(dir: &Path, profile: &str, format: &str) -> Output {
    run(tlsreg()
        .args(["compile", profile, "--format", format, "--check", "-o"])
        .arg(dir))
}

/// `tlsreg compile --format all,FORMAT -o DIR` of the profile `src` (YAML text), which must
/// be refused: exit 2 and no file written. Its standard error.
pub fn compile_refused(format: &str, src: &str) -> String {
    let dir = tempdir();
    let f = dir.path().join("p.yaml");
    write(&f, src);
    let out = dir.path().join("out");
    let o = run(tlsreg()
        .args(["compile", "--format", &format!("all,{format}"), "-o"])
        .arg(&out)
        .arg(&f));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    stderr(&o)
}

/// The names of the files in `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The plan of the profile `src` (YAML text), which must load.
pub fn plan_of_yaml(src: &str) -> tlsreg::plan::Plan {
    tlsreg::profile::load_with("p.yaml", src, None, "p")
        .unwrap_or_else(|d| panic!("{}", d.render(false)))
        .profile
        .plan()
}

/// [`diagnose_in`] in a fresh folder.
pub fn diagnose(src: &str) -> Result<String, String> {
    let d = tempdir();
    diagnose_in(d.path(), src)
}

/// The built-in profile names.
pub fn builtins() -> Vec<&'static str> {
    tlsreg::builtin::names().collect()
}

/// Every file below `dir`, in sorted order.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for p in rd.flatten().map(|e| e.path()) {
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs a command with stdin closed, killing it and failing the test if it has not ended
/// after `secs` seconds (a hang must fail, not block the suite).
pub fn run_timeout(c: &mut Command, secs: u64) -> Output {
    use std::process::Stdio;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if child.try_wait().expect("wait").is_some() {
            let o = child.wait_with_output().expect("output");
            check_report(c, &o);
            return o;
        }
        if std::time::Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{c:?} did not end within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Every `.reg` file `compile` writes for a built-in (one per build family where its lists
/// differ by build), each with the plan it must hold. The files are those of
/// [`tlsreg::compile::outputs`], so the tests check what users get.
pub fn builtin_reg_files(
    name: &str,
    opts: tlsreg::compile::Options,
) -> Vec<(tlsreg::compile::Output, tlsreg::plan::Plan)> {
    use tlsreg::compile::{self, Formats, Resolved};
    let p = tlsreg::profile::load(&tlsreg::profile::ProfileRef::Builtin(name.to_string()))
        .expect("built-in profiles load")
        .profile;
    let formats = Formats {
        reg: true,
        ps1: false,
        ..Default::default()
    };
    let outs = compile::outputs(name, &p, opts, formats).unwrap().outputs;
    let plan_of = |p: &tlsreg::profile::Profile| {
        let plan = p.plan();
        if opts.revert {
            plan.revert()
        } else {
            plan
        }
    };
    let plans: Vec<(String, tlsreg::plan::Plan)> = match compile::resolve(&p, opts).unwrap() {
        Resolved::One { profile, .. } => vec![(name.to_string(), plan_of(&profile))],
        Resolved::Families(f) => f
            .iter()
            .map(|f| (format!("{name}.{}", f.label()), plan_of(&f.profile)))
            .collect(),
    };
    outs.into_iter()
        .map(|o| {
            let plan = plans
                .iter()
                .find(|(stem, _)| o.file_name.starts_with(&format!("{stem}.")))
                .or_else(|| {
                    // One file for every family: they all hold the same plan.
                    plans
                        .windows(2)
                        .all(|w| w[0].1 == w[1].1)
                        .then(|| &plans[0])
                })
                .unwrap_or_else(|| panic!("{}: no plan", o.file_name))
                .1
                .clone();
            (o, plan)
        })
        .collect()
}

/// The shared corpus of real hives (`../shared/testdata/hives`).
pub fn shared_hives() -> PathBuf {
    shared().join("testdata").join("hives")
}

/// Whether a program is on the PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

/// The oracles' Python venv, where `../shared/oracles/setup.sh` makes it
/// (`$REG_ORACLES_VENV`, else `venv` in `$REG_ORACLES_CACHE`, else in `reg-oracles` in
/// `$XDG_CACHE_HOME` or `~/.cache`); `.ci/run` adds `jsonschema` and `pre-commit` to it.
pub fn oracle_venv() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(v) = var("REG_ORACLES_VENV") {
        return v;
    }
    let cache = var("REG_ORACLES_CACHE").unwrap_or_else(|| {
        var("XDG_CACHE_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"))
            .join("reg-oracles")
    });
    cache.join("venv")
}

/// What Python's `jsonschema` said: the validator class the schema's `$schema` chose, and
/// per instance its errors (none: valid).
pub struct Validated {
    pub validator: String,
    pub errors: Vec<Vec<String>>,
}

/// Checks `schema` against its metaschema and validates each instance with Python's
/// `jsonschema` (`tests/fixtures/schema/validate.py` in the oracles' venv); `None` after a
/// [`skip`] when the venv or the package is missing. `as_draft7` reads the schema as a
/// draft-07 one, as editors whose validator stops at draft-07 do.
pub fn jsonschema(
    schema: &serde_json::Value,
    instances: &[serde_json::Value],
    as_draft7: bool,
) -> Option<Validated> {
    let python = oracle_venv().join("bin").join("python");
    if !python.is_file() {
        skip(&format!(
            "{} is missing (run ../shared/oracles/setup.sh, then .ci/run's pip install of jsonschema)",
            python.display()
        ));
        return None;
    }
    let dir = tempdir();
    let schema_path = dir.path().join("schema.json");
    std::fs::write(&schema_path, serde_json::to_vec(schema).unwrap()).unwrap();
    let lines: String = instances
        .iter()
        .map(|i| format!("{}\n", serde_json::to_string(i).unwrap()))
        .collect();
    let inst_path = dir.path().join("instances.jsonl");
    std::fs::write(&inst_path, lines).unwrap();
    let mut c = Command::new(&python);
    c.arg(root().join("tests/fixtures/schema/validate.py"));
    if as_draft7 {
        c.arg("--as-draft7");
    }
    c.arg(&schema_path).arg(&inst_path);
    let o = run(&mut c);
    match o.status.code() {
        Some(0) => {}
        Some(4) => {
            skip(&format!("validate.py: {}", stderr(&o).trim()));
            return None;
        }
        code => panic!("validate.py failed with {code:?}:\n{}", stderr(&o)),
    }
    let out = stdout(&o);
    let mut lines = out.lines().map(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{l}: {e}"))
    });
    let validator = lines.next().expect("the validator line")["validator"]
        .as_str()
        .unwrap()
        .to_string();
    let errors: Vec<Vec<String>> = lines
        .map(|l| {
            l["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(errors.len(), instances.len(), "one result per instance");
    Some(Validated { validator, errors })
}

/// A YAML document as tlsreg's loader reads it (serde_yaml, YAML 1.2, merge keys applied),
/// as JSON.
pub fn yaml_to_json(src: &str) -> serde_json::Value {
    let mut v: serde_yaml::Value = serde_yaml::from_str(src).expect("YAML");
    v.apply_merge().expect("merge keys");
    serde_json::to_value(v).expect("JSON")
}

/// `PATH` with the built `tlsreg`'s folder first, for commands written as users type them
/// (`tlsreg compile ...` in a shell).
pub fn path_with_tlsreg() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_tlsreg"))
        .parent()
        .expect("the binary's folder")
        .to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).expect("a PATH")
}

/// Runs a command line with `sh -c` in `dir`, the built `tlsreg` first on the PATH.
pub fn sh(dir: &Path, line: &str) -> Output {
    run(Command::new("sh")
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", path_with_tlsreg())
        .env("NO_COLOR", "1"))
}

/// The ```yaml block that follows the first occurrence of `marker` in the README.
pub fn readme_yaml_after(marker: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker:?}"));
    let block = &readme[at..];
    let start = block.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = block[start..].find("```").expect("the block's end");
    block[start..start + end].to_string()
}

/// Runs git in `dir` with a fixed identity and dates (the same tree makes the same commit)
/// and no user or system configuration; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = run(Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "tlsreg tests")
        .env("GIT_AUTHOR_EMAIL", "tests@tlsreg.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "tlsreg tests")
        .env("GIT_COMMITTER_EMAIL", "tests@tlsreg.invalid")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"));
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o)
}

/// The profiles of the README's CI and pre-commit examples, in `profiles/`.
pub const SAMPLE_PROFILES: &[(&str, &str)] = &[
    (
        "profiles/web.yaml",
        "extends: [best-practices]\nprotocols:\n  TLS 1.0: disabled\n",
    ),
    ("profiles/db.yaml", "extends: [enable-tls12]\n"),
];

/// A repository laid out as the README's "In CI" section says: `profiles/` and what
/// `tlsreg compile -o generated profiles/*.yaml` writes.
pub fn sample_repo(dir: &Path) {
    for (p, src) in SAMPLE_PROFILES {
        write(&dir.join(p), src);
    }
    let o = sh(dir, "tlsreg compile -o generated profiles/*.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
