//! The audit's machine outputs and habits (issue 14): one JSON shape whatever the number of
//! images, JSON Lines streamed in input order whatever the number of threads, errors inside
//! the JSON, waivers (waived, expired, unmatched, refused), `--quiet` / `--verbose`, and no
//! progress bar in a pipe.

use crate::util::{self, run, stderr, stdout, tlsreg};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(format!("{name}.hive"))
}

/// A mounted-volume-like root holding `hive` as its SYSTEM hive.
fn root(dir: &Path, name: &str, hive: &str) -> PathBuf {
    let r = dir.join(name);
    let config = r.join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::copy(fixture(hive), config.join("SYSTEM")).unwrap();
    r
}

/// Nine roots in an order no thread schedule keeps by chance: compliant, not compliant and
/// missing ones interleaved.
fn batch(dir: &Path) -> Vec<PathBuf> {
    (0..9)
        .map(|i| match i % 3 {
            0 => root(dir, &format!("r{i}-good"), "ccs2-system"),
            1 => root(dir, &format!("r{i}-ffff"), "ffffffff-system"),
            _ => dir.join(format!("r{i}-missing")),
        })
        .collect()
}

fn audit(roots: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let mut c = tlsreg();
    c.args(["audit", "-p", "enable-tls12", "--os-build", "17763"]);
    for r in roots {
        c.arg("--root").arg(r);
    }
    run(c.args(extra))
}

#[test]
fn batch_outputs_keep_input_order_and_one_shape() {
    let d = util::tempdir();
    let roots = batch(d.path());
    let json = audit(&roots, &["--format", "json", "--jobs", "4"]);
    assert_eq!(json.status.code(), Some(2), "{}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON document");
    assert_eq!(
        (&doc["schema_version"], &doc["command"], &doc["profile"]),
        (&2.into(), &"audit".into(), &"enable-tls12".into())
    );
    let images = doc["images"].as_array().unwrap();
    let names: Vec<&str> = images
        .iter()
        .map(|i| i["image"].as_str().unwrap())
        .collect();
    let want: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    assert_eq!(names, want, "input order");
    for (i, rec) in images.iter().enumerate() {
        let result = ["compliant", "not-compliant", "error"][i % 3];
        assert_eq!(rec["result"], result, "{rec}");
        assert_eq!(rec["schema_version"], 2);
        if result == "error" {
            // The error is in the JSON, naming the root, and on standard error too.
            let e = rec["error"].as_str().unwrap();
            assert!(e.contains(&want[i]), "{e}");
            assert!(rec["report"].is_null());
            assert!(stderr(&json).contains(e), "{}", stderr(&json));
        } else {
            assert!(rec["error"].is_null());
            assert_eq!(rec["report"]["compliant"], result == "compliant");
            for f in rec["report"]["findings"].as_array().unwrap() {
                let code = f["code"].as_str().unwrap();
                assert!(tlsreg::audit::FindingCode::parse(code).is_some(), "{code}");
            }
        }
    }
    assert_eq!(
        doc["summary"],
        serde_json::json!({"images": 9, "compliant": 3, "not_compliant": 3, "errors": 3})
    );
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["waivers"], serde_json::json!([]));

    // JSON Lines: the same records, one per line, in input order on any number of threads.
    let lines = audit(&roots, &["--format", "jsonl", "--jobs", "4"]);
    assert_eq!(lines.status.code(), Some(2));
    let records: Vec<serde_json::Value> = stdout(&lines)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(&records, images, "a JSON Lines file is the images array");
    let one = audit(&roots, &["--format", "jsonl", "--jobs", "1"]);
    assert_eq!(stdout(&one), stdout(&lines), "threads change nothing");
    // Human: no progress bar in a pipe, reports in input order, the table last.
    let human = audit(&roots, &["--jobs", "3"]);
    assert!(!stderr(&human).contains('\r'), "{}", stderr(&human));
    let out = stdout(&human);
    let at: Vec<usize> = want
        .iter()
        .filter_map(|w| out.find(&format!("== {w}\n")))
        .collect();
    assert_eq!(at.len(), 6, "{out}");
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{out}");

    // One image that cannot be opened is a document with its error, too.
    let o = run(tlsreg()
        .args([
            "audit",
            "-p",
            "enable-tls12",
            "--format",
            "json",
            "--system",
        ])
        .arg(d.path().join("no-such-hive")));
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["images"][0]["result"], "error");
    assert!(doc["images"][0]["error"]
        .as_str()
        .unwrap()
        .contains("no-such-hive"));
}

/// Writes a waiver file and returns its path.
fn waivers(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("waivers.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn waivers_waive_expire_and_warn() {
    let d = util::tempdir();
    let roots = [
        root(d.path(), "legacy-01", "ffffffff-system"),
        root(d.path(), "web-01", "ffffffff-system"),
    ];
    // Waived for legacy-* only: legacy-01 passes, web-01 still fails.
    let w = waivers(
        d.path(),
        "waivers:\n  - code: setting-value\n    key: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\*'\n    value: enabled\n    image: 'legacy-*'\n    reason: vendor appliance, replaced in Q3\n    expires: 2999-12-31\n",
    );
    let o = audit(
        &roots,
        &["--format", "json", "--waivers", w.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let legacy = &doc["images"][0]["report"];
    assert_eq!(doc["images"][0]["result"], "compliant");
    assert_eq!(legacy["summary"]["waived"], 1);
    let waived: Vec<&serde_json::Value> = legacy["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["waiver"].is_null())
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(
        waived[0]["status"], "fail",
        "a waived finding keeps its status"
    );
    assert_eq!(
        waived[0]["waiver"]["reason"],
        "vendor appliance, replaced in Q3"
    );
    assert_eq!(
        waived[0]["waiver"]["at"],
        format!("{}:2", w.display()).as_str()
    );
    assert_eq!(doc["images"][1]["result"], "not-compliant");
    assert_eq!(doc["waivers"][0]["state"], "active");
    assert_eq!(doc["waivers"][0]["matched"], 1);
    // JUnit: the waived finding is skipped, not failed.
    let o = audit(
        &roots[..1],
        &["--format", "junit", "--waivers", w.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("<skipped message=\"waived until 2999-12-31"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("<failure "));
    // Human: marked WAIVED with its reason.
    let o = audit(&roots[..1], &["--waivers", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("WAIVED      protocol TLS 1.2 (server)"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("1 waived: COMPLIANT"), "{}", stdout(&o));

    // Expired: waives nothing and fails the run; unmatched: a warning.
    let w = waivers(
        d.path(),
        "waivers:\n  - code: setting-value\n    reason: old exception\n    expires: 2001-01-01\n  - code: pending-reboot\n    reason: never happens\n    expires: 2999-01-01\n",
    );
    let o = audit(&roots[..1], &["--waivers", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("EXPIRED waiver"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!("EXPIRED WAIVER {}:2: setting-value", w.display())),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains(&format!("UNUSED WAIVER {}:5: pending-reboot", w.display())),
        "{}",
        stdout(&o)
    );
    let o = audit(
        &roots[..1],
        &["--format", "jsonl", "--waivers", w.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error: the waiver has expired"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("warning: the waiver matches no finding"),
        "{}",
        stderr(&o)
    );
    // A compliant image with an expired waiver still fails: the file needs care.
    let good = [root(d.path(), "good", "ccs2-system")];
    let o = audit(&good, &["--waivers", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    // A bad waiver file: exit 2, where and what, and no report.
    for (text, at, what) in [
        ("waivers:\n  - code: setting-valeu\n    reason: x\n    expires: 2030-01-01\n", ":2:11: ", "did you mean \"setting-value\""),
        ("waivers:\n  - code: pending-reboot\n    reason: x\n    expires: 31/12/2030\n", ":4:14: ", "not a date written YYYY-MM-DD"),
        ("waivers:\n  - code: pending-reboot\n    reason: x\n    expires: 2030-01-01\n    until: never\n", ":5:", "unknown field `until`"),
        ("waivers: [\n", ":", ""),
    ] {
        let w = waivers(d.path(), text);
        let o = audit(&good, &["--format", "json", "--waivers", w.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(o.stdout.is_empty(), "{text}: {}", stdout(&o));
        assert!(
            stderr(&o).contains(&format!("{}{at}", w.display())) && stderr(&o).contains(what),
            "{text}: {}",
            stderr(&o)
        );
    }
    for not_file in [d.path().to_path_buf(), PathBuf::from("/dev/zero")] {
        let o = util::run_within(
            tlsreg()
                .args(["audit", "-p", "enable-tls12", "--system"])
                .arg(fixture("ccs2-system"))
                .arg("--waivers")
                .arg(&not_file),
            20,
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }
}

#[test]
fn quiet_and_verbose_choose_what_the_audit_says() {
    let args = |extra: &[&str]| {
        let mut c = tlsreg();
        c.args(extra)
            .args([
                "audit",
                "-p",
                "enable-tls12",
                "--os-build",
                "17763",
                "--system",
            ])
            .arg(fixture("ffffffff-system"));
        run(&mut c)
    };
    let normal = args(&[]);
    assert_eq!(normal.status.code(), Some(1));
    assert!(!stdout(&normal).contains("PASS "), "{}", stdout(&normal));
    assert!(stdout(&normal).contains("FAIL        protocol TLS 1.2 (server)"));
    assert!(stdout(&normal).contains("4 passing checks not shown (--verbose shows them)"));
    assert!(
        stdout(&normal).contains(", control set 001: clean\n"),
        "{}",
        stdout(&normal)
    );
    let verbose = args(&["--verbose"]);
    assert_eq!(verbose.status.code(), Some(1));
    assert_eq!(
        stdout(&verbose).matches("\nPASS ").count(),
        4,
        "{}",
        stdout(&verbose)
    );
    assert!(!stdout(&verbose).contains("not shown"));
    let quiet = args(&["-q"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(
        stdout(&quiet),
        "summary: 4 pass, 1 fail, 1 warn, 0 unknown, 1 not audited: NOT COMPLIANT\n"
    );
    assert!(stderr(&quiet).is_empty());
    let o = run(tlsreg().args(["-q", "-v", "profiles"]));
    assert_eq!(o.status.code(), Some(2), "--quiet and --verbose conflict");
}

#[test]
fn audit_sarif_is_valid_and_points_at_the_profile_line() {
    let d = util::tempdir();
    let roots = [
        root(d.path(), "legacy-01", "ffffffff-system"),
        root(d.path(), "web-01", "ffffffff-system"),
        d.path().join("missing"),
    ];
    // The profile as a file in the folder the command runs in: a relative URI.
    let profile = std::fs::read_to_string(util::root().join("profiles/enable-tls12.yaml")).unwrap();
    std::fs::write(d.path().join("tls 12.yaml"), &profile).unwrap();
    let line = profile
        .lines()
        .position(|l| l.trim_start().starts_with("TLS 1.2:"))
        .expect("the profile sets TLS 1.2")
        + 1;
    let w = waivers(
        d.path(),
        "waivers:\n  - code: setting-value\n    image: 'legacy-*'\n    reason: replaced in Q3\n    expires: 2999-12-31\n",
    );
    let mut c = tlsreg();
    c.current_dir(d.path())
        .args([
            "audit",
            "-p",
            "tls 12.yaml",
            "--os-build",
            "17763",
            "--format",
            "sarif",
        ])
        .arg("--waivers")
        .arg(&w);
    for r in &roots {
        c.arg("--root").arg(r);
    }
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run0 = &log["runs"][0];
    assert_eq!(run0["invocations"][0]["executionSuccessful"], false);
    let note = run0["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(note.contains("missing"), "{note}");
    let results = run0["results"].as_array().unwrap();
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "the waived finding of legacy-01");
    assert_eq!(suppressed[0]["suppressions"][0]["status"], "accepted");
    assert!(suppressed[0]["properties"]["image"]
        .as_str()
        .unwrap()
        .ends_with("legacy-01"));
    let Some(rows) = crate::lint_sarif::validate(&stdout(&o)) else {
        return;
    };
    let want_fail = [
        "setting-value".to_string(),
        "error".into(),
        "%SRCROOT%".into(),
        "tls 12.yaml".into(),
        line.to_string(),
        "3".into(),
    ];
    assert_eq!(
        rows.iter().filter(|r| **r == want_fail).count(),
        2,
        "{rows:?}"
    );
    let trap = rows
        .iter()
        .find(|r| r[0] == "enabled-ffffffff")
        .expect("the trap");
    assert_eq!(trap[1], "warning");
    assert!(
        trap[3].ends_with(r"Protocols\TLS 1.2\Server\Enabled"),
        "{trap:?}"
    );
    // Every finding that does not pass is a result, in both images.
    let json = {
        let mut c = tlsreg();
        c.current_dir(d.path()).args([
            "audit",
            "-p",
            "tls 12.yaml",
            "--os-build",
            "17763",
            "--format",
            "json",
        ]);
        for r in &roots {
            c.arg("--root").arg(r);
        }
        run(&mut c)
    };
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let not_pass = doc["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["report"]["findings"].as_array())
        .flatten()
        .filter(|f| f["status"] != "pass")
        .count();
    assert_eq!(rows.len(), not_pass);
}

/// JUnit as a real consumer reads it (Python's `junitparser`): a suite per image in input
/// order, each with the counts the JSON report gives (fail a failure; unknown, not-audited
/// and waived skipped), and an image that could not be audited a suite with one error.
#[test]
fn junit_reads_in_junitparser_as_the_json_says() {
    let python = util::oracle_venv().join("bin/python");
    let d = util::tempdir();
    let roots = [
        root(d.path(), "legacy-01", "ffffffff-system"),
        d.path().join("missing"),
        root(d.path(), "good", "ccs2-system"),
    ];
    let w = waivers(
        d.path(),
        "waivers:\n  - code: setting-value\n    image: 'legacy-*'\n    reason: r\n    expires: 2999-12-31\n",
    );
    let w = w.to_str().unwrap();
    let xml = audit(&roots, &["--format", "junit", "--waivers", w]);
    let json = audit(&roots, &["--format", "json", "--waivers", w]);
    assert_eq!(xml.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let file = d.path().join("audit.xml");
    std::fs::write(&file, &xml.stdout).unwrap();
    let script = r#"
import sys
try:
    from junitparser import JUnitXml, Failure, Error, Skipped
except ImportError as e:
    print(f"junitparser is missing: {e}", file=sys.stderr)
    sys.exit(4)
xml = JUnitXml.fromfile(sys.argv[1])
for s in xml:
    kinds = [type(r).__name__ for c in s for r in c.result]
    print(s.name, s.tests, s.failures, s.errors, s.skipped, kinds.count("Failure"), kinds.count("Error"), kinds.count("Skipped"), sep="\t")
"#;
    if !python.is_file() {
        util::skip("the oracles' venv is missing: junitparser cannot read the JUnit report");
        return;
    }
    let o = run(std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&file));
    if o.status.code() == Some(4) {
        util::skip(&format!("{} (.ci/run installs it)", stderr(&o).trim()));
        return;
    }
    assert!(o.status.success(), "{}", stderr(&o));
    let suites: Vec<Vec<String>> = stdout(&o)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    assert_eq!(suites.len(), 3, "{}", stdout(&o));
    for (suite, rec) in suites.iter().zip(doc["images"].as_array().unwrap()) {
        let image = rec["image"].as_str().unwrap();
        assert_eq!(suite[0], format!("tlsreg audit enable-tls12 {image}"));
        let n: Vec<u64> = suite[1..].iter().map(|x| x.parse().unwrap()).collect();
        if rec["result"] == "error" {
            assert_eq!(n, [1, 0, 1, 0, 0, 1, 0], "{image}");
            continue;
        }
        let findings = rec["report"]["findings"].as_array().unwrap();
        let count = |f: &dyn Fn(&serde_json::Value) -> bool| {
            findings.iter().filter(|x| f(x)).count() as u64
        };
        let waived =
            |x: &serde_json::Value| !x["waiver"].is_null() && x["waiver"]["expired"] == false;
        let fails = count(&|x| x["status"] == "fail" && !waived(x));
        let skipped =
            count(&|x| waived(x) || x["status"] == "unknown" || x["status"] == "not-audited");
        assert_eq!(
            n,
            [findings.len() as u64, fails, 0, skipped, fails, 0, skipped],
            "{image}"
        );
    }
    // The waived failure of legacy-01 is skipped, not failed.
    assert_eq!(suites[0][2], "0");
}
