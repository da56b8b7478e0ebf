//! Renderings of an audit [`Report`] and of a [`Batch`]: human (grouped, optionally
//! coloured; a batch adds a table), JSON (the report itself, schema-versioned; a batch wraps
//! its reports) and JUnit XML (one test case per finding). Colour is the caller's decision.

use super::batch::Batch;
use super::report::{Check, Finding, Report, Status, SCHEMA_VERSION};
use crate::diag::printable as p;
use std::fmt::Write as _;

/// An output format of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Grouped text, optionally coloured.
    Human,
    /// The report as JSON.
    Json,
    /// JUnit XML, one test case per finding.
    Junit,
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn status_label(s: Status, color: bool) -> String {
    let (text, code) = match s {
        Status::Pass => ("PASS", "32"),
        Status::Warn => ("WARN", "33"),
        Status::Fail => ("FAIL", "1;31"),
        Status::Unknown => ("UNKNOWN", "35"),
        Status::NotAudited => ("NOT AUDITED", "2"),
    };
    paint(color, code, &format!("{text:<11}"))
}

fn group_title(c: Check) -> &'static str {
    match c {
        Check::Image => "Image",
        Check::Value => "Settings (strict: the values the profile writes)",
        Check::Effective => "Settings (effective: what Schannel will do)",
        Check::Trap => "Traps",
        Check::Prerequisite => "Prerequisites",
    }
}

/// The human report.
pub fn human(r: &Report, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} profile {} ({} mode)",
        paint(color, "1", "tlsreg audit:"),
        p(&r.profile),
        r.mode
    );
    if let Some(img) = &r.image {
        let part = match &img.partition {
            Some(pt) => format!(
                ", partition {} ({}{}, offset {:#x}, {} MiB)",
                pt.number,
                p(&pt.kind),
                pt.name
                    .as_ref()
                    .map(|n| format!(" \"{}\"", p(n)))
                    .unwrap_or_default(),
                pt.offset,
                pt.size >> 20
            ),
            None => ", no partition table".into(),
        };
        let _ = writeln!(out, "  IMAGE     {} ({}){part}", p(&img.path), img.format);
    }
    if let Some(h) = &r.system {
        let cs = r
            .control_sets
            .as_ref()
            .map(|c| format!(", control set {:03}", c.current))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  SYSTEM    {}{cs}{}",
            p(&h.path),
            if h.dirty { " (dirty)" } else { "" }
        );
    }
    if let Some(h) = &r.software {
        let _ = writeln!(
            out,
            "  SOFTWARE  {}{}",
            p(&h.path),
            if h.dirty { " (dirty)" } else { "" }
        );
    }
    if let Some(os) = &r.os {
        let _ = writeln!(out, "  OS        {}", p(&os.name));
    }
    for check in [
        Check::Image,
        Check::Value,
        Check::Effective,
        Check::Trap,
        Check::Prerequisite,
    ] {
        let items: Vec<&Finding> = r.findings.iter().filter(|f| f.check == check).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", paint(color, "1", group_title(check)));
        for f in items {
            let value = f
                .value
                .as_ref()
                .map(|v| format!(" {}", p(v)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {}  [{}]{value}",
                status_label(f.status, color),
                p(&f.setting),
                p(&f.key)
            );
            if f.status != Status::Pass {
                let mut detail = Vec::new();
                if let Some(e) = &f.expected {
                    detail.push(format!("expected {}", p(e)));
                }
                if let Some(a) = &f.actual {
                    detail.push(format!("actual {}", p(a)));
                }
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", detail.join(", "))
                };
                let _ = writeln!(out, "{:11} {detail}{}", "", p(&f.reason));
            }
        }
    }
    let s = &r.summary;
    let verdict = if r.compliant {
        paint(color, "1;32", "COMPLIANT")
    } else {
        paint(color, "1;31", "NOT COMPLIANT")
    };
    // A pass with checks left unmade says so: the verdict covers what was given.
    let partial = if r.compliant && !r.complete {
        format!(
            " for the hives given ({} not audited; --require-all makes that non-compliant)",
            s.not_audited
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nsummary: {} pass, {} fail, {} warn, {} unknown, {} not audited: {verdict}{partial}",
        s.pass, s.fail, s.warn, s.unknown, s.not_audited
    );
    out
}

/// The JSON report (pretty-printed).
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("a report serializes")
}

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

/// JUnit XML: one test case per finding; fail is a failure, unknown and not-audited are
/// skipped, warn passes with its reason in system-out.
pub fn junit(reports: &[(String, &Report)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (name, r) in reports {
        junit_suite(&mut out, name, r);
    }
    out.push_str("</testsuites>\n");
    out
}

/// One image's suite: a test case per finding.
fn junit_suite(out: &mut String, name: &str, r: &Report) {
    {
        let fails = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count();
        let skipped = r
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Unknown | Status::NotAudited))
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
fn junit_error(out: &mut String, profile: &str, name: &str, e: &str) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"tlsreg.image\" name=\"{}\"><error message=\"{}\">{}</error></testcase>\n  </testsuite>",
        xml(&format!("tlsreg audit {profile} {name}")),
        xml(name),
        xml(e),
        xml(e)
    );
}

/// What the audits of a batch print on standard output in `format`; why images could not
/// be audited is left to the caller ([`Batch::errors`]). One image prints its report alone.
pub fn batch(b: &Batch, format: Format, color: bool) -> String {
    match format {
        Format::Human => batch_human(b, color),
        Format::Json if b.is_batch() => batch_json(b),
        Format::Json => match b.images.first() {
            Some((_, Ok(rep))) => json(rep) + "\n",
            _ => String::new(),
        },
        // Every image in input order; one that could not be audited is a suite with one
        // error, not nothing.
        Format::Junit => {
            let mut out =
                String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
            for (name, r) in &b.images {
                match r {
                    Ok(rep) => junit_suite(&mut out, name, rep),
                    Err(e) => junit_error(&mut out, &b.profile, name, e),
                }
            }
            out.push_str("</testsuites>\n");
            out
        }
    }
}

/// The human reports, headed by their image in a batch, then the batch table.
fn batch_human(b: &Batch, color: bool) -> String {
    let batch = b.is_batch();
    let mut out = String::new();
    for (name, rep) in b.reports() {
        if batch {
            let _ = writeln!(out, "== {}", p(&name));
        }
        out.push_str(&human(rep, color));
        if batch {
            out.push('\n');
        }
    }
    if batch {
        out.push_str(&batch_table(b));
    }
    out
}

/// One line per image: verdict, counts and name.
pub fn batch_table(b: &Batch) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:>5} {:>5} {:>5} {:>8} {:>12}  image",
        "result", "pass", "fail", "warn", "unknown", "not-audited"
    );
    for (name, r) in &b.images {
        let name = p(name);
        let _ = match r {
            Ok(rep) => {
                let s = &rep.summary;
                let v = if rep.compliant {
                    "compliant"
                } else {
                    "NOT compliant"
                };
                writeln!(
                    out,
                    "{v:<14} {:>5} {:>5} {:>5} {:>8} {:>12}  {name}",
                    s.pass, s.fail, s.warn, s.unknown, s.not_audited
                )
            }
            Err(_) => writeln!(
                out,
                "{:<14} {:>5} {:>5} {:>5} {:>8} {:>12}  {name}",
                "ERROR", "-", "-", "-", "-", "-"
            ),
        };
    }
    out
}

/// The JSON of a batch: the schema version and per image its report or its error.
pub fn batch_json(b: &Batch) -> String {
    let items: Vec<_> = b
        .images
        .iter()
        .map(|(name, r)| match r {
            Ok(rep) => serde_json::json!({"image": name, "report": rep}),
            Err(e) => serde_json::json!({"image": name, "error": e}),
        })
        .collect();
    let doc = serde_json::json!({"schema_version": SCHEMA_VERSION, "images": items});
    serde_json::to_string_pretty(&doc).expect("a batch serializes") + "\n"
}
