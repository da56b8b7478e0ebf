//! The audit as JUnit XML: a test suite per image, a test case per finding (fail a failure;
//! unknown, not-audited and waived skipped; warn a pass with its reason), and an image that
//! could not be audited a suite with one error.

use crate::audit::report::{Report, Status};
use std::fmt::Write as _;

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// One image's suite: a test case per finding.
pub(super) fn junit_suite(out: &mut String, name: &str, r: &Report) {
    {
        let fails = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail && !f.waived())
            .count();
        let skipped = r
            .findings
            .iter()
            .filter(|f| f.waived() || matches!(f.status, Status::Unknown | Status::NotAudited))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" skipped=\"{skipped}\">",
            xml(&format!("tlsreg audit {} {name}", r.profile)),
            r.findings.len()
        );
        for f in &r.findings {
            let value = f
                .value
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            let case = format!("{} [{}]{value}", f.setting, f.key);
            let class = format!(
                "tlsreg.{}",
                serde_json::to_value(f.check)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            );
            let detail = format!(
                "expected: {}\nactual: {}\n{}",
                f.expected.as_deref().unwrap_or("-"),
                f.actual.as_deref().unwrap_or("-"),
                f.reason
            );
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml(&class),
                xml(&case)
            );
            match f.status {
                _ if f.waived() => {
                    let w = f
                        .waiver
                        .as_ref()
                        .map(|w| format!("waived until {} ({}): {}", w.expires, w.at, w.reason))
                        .unwrap_or_default();
                    let _ = write!(out, "<skipped message=\"{}\"/>", xml(&w));
                }
                Status::Pass => {}
                Status::Warn => {
                    let _ = write!(
                        out,
                        "<system-out>{}</system-out>",
                        xml(&format!("warning: {detail}"))
                    );
                }
                Status::Fail => {
                    let _ = write!(
                        out,
                        "<failure message=\"{}\">{}</failure>",
                        xml(&f.reason),
                        xml(&detail)
                    );
                }
                Status::Unknown | Status::NotAudited => {
                    let _ = write!(
                        out,
                        "<skipped message=\"{}: {}\"/>",
                        f.status.as_str(),
                        xml(&f.reason)
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
}

/// A suite for an image that could not be audited: one test case with the error.
pub(super) fn junit_error(out: &mut String, profile: &str, name: &str, e: &str) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"tlsreg.image\" name=\"{}\"><error message=\"{}\">{}</error></testcase>\n  </testsuite>",
        xml(&format!("tlsreg audit {profile} {name}")),
        xml(name),
        xml(e),
        xml(e)
    );
}
