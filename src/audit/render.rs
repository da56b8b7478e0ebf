//! Renderings of audits, streamed image by image ([`Renderer`]): human (what needs attention,
//! grouped, optionally coloured; a batch adds a table), JSON (one document, always
//! `{"images": [...]}`), JSON Lines (one [`Record`] per line, as each image finishes) and
//! JUnit XML (a suite per image, a test case per finding). Colour and verbosity are the
//! caller's decision; the caller writes the text where it wants.

use super::batch::{Outcome, Row};
use super::report::{Check, Finding, Report, Status, SCHEMA_VERSION};
use super::waivers::{WaiverOutcome, WaiverState};
use crate::diag::printable as p;
use serde::Serialize;
use std::fmt::Write as _;

/// An output format of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Grouped text, optionally coloured.
    Human,
    /// One JSON document: `{"schema_version", "command", "profile", "images": [Record...],
    /// "summary", "waivers", "exit_code"}`.
    Json,
    /// JSON Lines: one [`Record`] per line, written as each image finishes; a fleet audit
    /// sharded across machines merges by concatenation.
    Jsonl,
    /// JUnit XML: a test suite per image, a test case per finding.
    Junit,
    /// SARIF 2.1.0: a result per finding that does not pass, at the profile line that asks
    /// for it (when the profile is a file) and the registry key or value it is about; a
    /// waived finding is a suppressed result; an image that could not be audited is a tool
    /// notification. Written whole at the end.
    Sarif,
}

/// How much the human report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// The verdict line of each image only.
    Quiet,
    /// What needs attention: failures, warnings, unknowns, not-audited and waived findings.
    #[default]
    Normal,
    /// Every finding, passes too.
    Verbose,
}

/// One image's result, as the JSON document's `images` array and each JSON Lines line carry
/// it: the same object in both, so a JSON Lines file is the array written line by line.
#[derive(Debug, Clone, Serialize)]
pub struct Record<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `audit`.
    pub command: &'static str,
    /// The profile audited against.
    pub profile: &'a str,
    /// The image: a hive, root or disk image path (with the partition for an image).
    pub image: &'a str,
    /// `compliant`, `not-compliant` or `error`.
    pub result: &'static str,
    /// What was noticed finding the image (partitions of a disk image set aside, and why).
    pub notes: &'a [String],
    /// Why the image could not be audited, or null.
    pub error: Option<&'a str>,
    /// The report, or null when the image could not be audited.
    pub report: Option<&'a Report>,
}

impl<'a> Record<'a> {
    /// The record of one outcome.
    pub fn of(profile: &'a str, o: &'a Outcome) -> Record<'a> {
        Record {
            schema_version: SCHEMA_VERSION,
            command: "audit",
            profile,
            image: &o.name,
            result: match &o.result {
                Err(_) => "error",
                Ok(r) if r.compliant => "compliant",
                Ok(_) => "not-compliant",
            },
            notes: &o.notes,
            error: o.result.as_ref().err().map(String::as_str),
            report: o.result.as_ref().ok(),
        }
    }
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn status_label(f: &Finding, color: bool) -> String {
    if f.waived() {
        return paint(color, "36", &format!("{:<11}", "WAIVED"));
    }
    let (text, code) = match f.status {
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

/// The human report. `Normal` leaves out the findings that pass (and says how many);
/// `Quiet` gives the verdict line alone.
pub fn human(r: &Report, color: bool, verbosity: Verbosity) -> String {
    let mut out = String::new();
    if verbosity == Verbosity::Quiet {
        out.push_str(&summary_line(r, color));
        return out;
    }
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
    // Each hive: where it is and what happened to it (clean, recovered from which logs,
    // read stale).
    if let Some(h) = &r.system {
        let cs = r
            .control_sets
            .as_ref()
            .map(|c| format!(", control set {:03}", c.current))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  SYSTEM    {}{cs}: {}",
            p(&h.path),
            p(&h.recovery.describe())
        );
    }
    if let Some(h) = &r.software {
        let _ = writeln!(
            out,
            "  SOFTWARE  {}: {}",
            p(&h.path),
            p(&h.recovery.describe())
        );
    }
    if let Some(os) = &r.os {
        let _ = writeln!(out, "  OS        {}", p(&os.name));
    }
    let shown = |f: &&Finding| verbosity == Verbosity::Verbose || f.status != Status::Pass;
    for check in [
        Check::Image,
        Check::Value,
        Check::Effective,
        Check::Trap,
        Check::Prerequisite,
    ] {
        let items: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.check == check)
            .filter(shown)
            .collect();
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
                "{} {}  [{}]{value}  ({})",
                status_label(f, color),
                p(&f.setting),
                p(&f.key),
                f.code
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
            if let Some(w) = &f.waiver {
                let state = if w.expired {
                    format!("EXPIRED waiver ({}) of {}", w.at, w.expires)
                } else {
                    format!("waived until {} ({})", w.expires, w.at)
                };
                let _ = writeln!(out, "{:11} {}: {}", "", p(&state), p(&w.reason));
            }
        }
    }
    let hidden = r.findings.iter().filter(|f| !shown(f)).count();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n{hidden} passing check{} not shown (--verbose shows them)",
            if hidden == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
    out.push_str(&summary_line(r, color));
    out
}

/// `summary: N pass, ...: VERDICT`.
fn summary_line(r: &Report, color: bool) -> String {
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
    let waived = if s.waived > 0 {
        format!(", {} waived", s.waived)
    } else {
        String::new()
    };
    format!(
        "summary: {} pass, {} fail, {} warn, {} unknown, {} not audited{waived}: {verdict}{partial}\n",
        s.pass, s.fail, s.warn, s.unknown, s.not_audited
    )
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

/// One image's suite: a test case per finding.
fn junit_suite(out: &mut String, name: &str, r: &Report) {
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

/// Indents every line but the first by `n` spaces (a pretty-printed record inside the
/// document's array).
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.replace('\n', &format!("\n{pad}"))
}

/// The counts of a batch's images.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    /// Images (Windows installations) in the batch.
    pub images: usize,
    /// Images found compliant.
    pub compliant: usize,
    /// Images found not compliant.
    pub not_compliant: usize,
    /// Images that could not be audited.
    pub errors: usize,
}

/// Renders a batch as it streams: [`Renderer::begin`], then [`Renderer::outcomes`] for each
/// job's outcomes in input order, then [`Renderer::end`]. It keeps a [`Row`] per image (for
/// the closing table and the exit code), never the reports.
#[derive(Debug)]
pub struct Renderer {
    format: Format,
    color: bool,
    verbosity: Verbosity,
    profile: String,
    /// Head each report with its image and close with a table.
    batch: bool,
    rows: Vec<Row>,
    /// The SARIF log being built (`Format::Sarif`).
    sarif: Option<crate::sarif::Builder>,
}

impl Renderer {
    /// A renderer for the audit against `profile` of `jobs` inputs.
    pub fn new(
        format: Format,
        profile: &str,
        jobs: usize,
        color: bool,
        verbosity: Verbosity,
    ) -> Renderer {
        Renderer {
            format,
            color,
            verbosity,
            profile: profile.to_string(),
            batch: jobs > 1,
            rows: Vec::new(),
            sarif: (format == Format::Sarif).then(crate::sarif::Builder::new),
        }
    }

    /// What comes before the first image.
    pub fn begin(&mut self) -> String {
        match self.format {
            Format::Json => format!(
                "{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"command\": \"audit\",\n  \"profile\": {},\n  \"images\": [",
                serde_json::to_string(&self.profile).unwrap_or_default()
            ),
            Format::Junit => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n".into(),
            Format::Human | Format::Jsonl | Format::Sarif => String::new(),
        }
    }

    /// The text of one job's outcomes (a disk image may hold several installations).
    pub fn outcomes(&mut self, outcomes: &[Outcome]) -> String {
        let mut out = String::new();
        if outcomes.len() > 1 {
            self.batch = true;
        }
        for o in outcomes {
            let first = self.rows.is_empty();
            self.rows.push(Row::of(o));
            let record = Record::of(&self.profile, o);
            match self.format {
                Format::Json => {
                    let text = serde_json::to_string_pretty(&record).unwrap_or_default();
                    let _ = write!(
                        out,
                        "{}\n    {}",
                        if first { "" } else { "," },
                        indent(&text, 4)
                    );
                }
                Format::Jsonl => {
                    out.push_str(&serde_json::to_string(&record).unwrap_or_default());
                    out.push('\n');
                }
                Format::Sarif => {
                    if let Some(b) = &mut self.sarif {
                        sarif_outcome(b, o);
                    }
                }
                Format::Junit => match &o.result {
                    Ok(rep) => junit_suite(&mut out, &o.name, rep),
                    Err(e) => junit_error(&mut out, &self.profile, &o.name, e),
                },
                Format::Human => {
                    let Ok(rep) = &o.result else {
                        // The error itself goes to standard error; the table says ERROR.
                        continue;
                    };
                    if self.batch && self.verbosity > Verbosity::Quiet {
                        let _ = writeln!(out, "== {}", p(&o.name));
                    }
                    if self.verbosity > Verbosity::Quiet {
                        for n in &o.notes {
                            let _ = writeln!(out, "  NOTE      {}", p(n));
                        }
                    }
                    if self.batch && self.verbosity == Verbosity::Quiet {
                        let _ = write!(out, "{}: ", p(&o.name));
                    }
                    out.push_str(&human(rep, self.color, self.verbosity));
                    if self.batch && self.verbosity > Verbosity::Quiet {
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    /// The counts of the images rendered so far.
    pub fn summary(&self) -> BatchSummary {
        let mut s = BatchSummary {
            images: self.rows.len(),
            ..BatchSummary::default()
        };
        for r in &self.rows {
            match &r.result {
                Ok((_, true)) => s.compliant += 1,
                Ok((_, false)) => s.not_compliant += 1,
                Err(_) => s.errors += 1,
            }
        }
        s
    }

    /// The exit code: 2 when an image could not be audited, else 1 when one is not compliant
    /// or a waiver has expired, else 0.
    pub fn exit_code(&self, waivers: &[WaiverOutcome]) -> u8 {
        let images = self
            .rows
            .iter()
            .map(|r| match &r.result {
                Err(_) => 2,
                Ok((_, false)) => 1,
                Ok(_) => 0,
            })
            .max()
            .unwrap_or(0);
        let expired = waivers.iter().any(|w| w.state == WaiverState::Expired);
        images.max(u8::from(expired))
    }

    /// What comes after the last image: the human table of a batch and the waivers' fate,
    /// the JSON document's summary, waivers and exit code, the JUnit closing tag.
    pub fn end(&mut self, waivers: &[WaiverOutcome]) -> String {
        let code = self.exit_code(waivers);
        match self.format {
            Format::Json => {
                let tail = serde_json::json!({
                    "summary": self.summary(),
                    "waivers": waivers,
                    "exit_code": code,
                });
                let mut text = String::from(if self.rows.is_empty() { "]" } else { "\n  ]" });
                if let serde_json::Value::Object(map) = tail {
                    for (k, v) in map {
                        let v = serde_json::to_string_pretty(&v).unwrap_or_default();
                        let _ = write!(text, ",\n  \"{k}\": {}", indent(&v, 2));
                    }
                }
                text.push_str("\n}\n");
                text
            }
            Format::Junit => "</testsuites>\n".into(),
            Format::Jsonl => String::new(),
            Format::Sarif => match self.sarif.take() {
                Some(mut b) => {
                    for w in waivers {
                        if w.state == WaiverState::Expired {
                            b.input_failed(
                                format!(
                                    "the waiver at {} ({}) expired on {}",
                                    w.at, w.code, w.expires
                                ),
                                None,
                            );
                        }
                    }
                    serde_json::to_string_pretty(&b.finish()).unwrap_or_default() + "\n"
                }
                None => String::new(),
            },
            Format::Human => {
                let mut out = String::new();
                if self.batch {
                    out.push_str(&batch_table(&self.rows));
                }
                for w in waivers {
                    let what = match w.state {
                        WaiverState::Active => continue,
                        WaiverState::Expired => paint(self.color, "1;31", "EXPIRED WAIVER"),
                        WaiverState::Unmatched => paint(self.color, "33", "UNUSED WAIVER"),
                    };
                    let _ = writeln!(
                        out,
                        "{what} {}: {} ({}, until {})",
                        p(&w.at),
                        w.code,
                        p(&w.reason),
                        w.expires
                    );
                }
                out
            }
        }
    }
}

/// One line per image: verdict, counts and name.
pub fn batch_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:>5} {:>5} {:>5} {:>8} {:>12} {:>7}  image",
        "result", "pass", "fail", "warn", "unknown", "not-audited", "waived"
    );
    for r in rows {
        let name = p(&r.name);
        let _ = match &r.result {
            Ok((s, compliant)) => {
                let v = if *compliant {
                    "compliant"
                } else {
                    "NOT compliant"
                };
                writeln!(
                    out,
                    "{v:<14} {:>5} {:>5} {:>5} {:>8} {:>12} {:>7}  {name}",
                    s.pass, s.fail, s.warn, s.unknown, s.not_audited, s.waived
                )
            }
            Err(_) => writeln!(
                out,
                "{:<14} {:>5} {:>5} {:>5} {:>8} {:>12} {:>7}  {name}",
                "ERROR", "-", "-", "-", "-", "-", "-"
            ),
        };
    }
    out
}

/// The SARIF rule of a finding code.
fn sarif_rule(code: super::FindingCode) -> crate::sarif::Rule {
    crate::sarif::Rule {
        id: code.as_str().to_string(),
        description: code.meaning().to_string(),
        level: crate::sarif::Level::Warning,
        help_uri: None,
    }
}

/// The results of one image: every finding that does not pass; the image's error as a
/// notification.
fn sarif_outcome(b: &mut crate::sarif::Builder, o: &Outcome) {
    use crate::sarif::{FileLocation, Item, Level, LogicalLocation};
    let r = match &o.result {
        Ok(r) => r,
        Err(e) => {
            b.input_failed(e.clone(), None);
            return;
        }
    };
    for f in r.findings.iter().filter(|f| f.status != Status::Pass) {
        let level = match f.status {
            Status::Fail | Status::Unknown => Level::Error,
            Status::Warn => Level::Warning,
            Status::Pass | Status::NotAudited => Level::Note,
        };
        let mut detail = Vec::new();
        if let Some(e) = &f.expected {
            detail.push(format!("expected {e}"));
        }
        if let Some(a) = &f.actual {
            detail.push(format!("actual {a}"));
        }
        let value = f
            .value
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let message = format!(
            "{}: {} [{}]{value}: {}{}{} ({})",
            o.name,
            f.setting,
            f.key,
            detail.join(", "),
            if detail.is_empty() { "" } else { ": " },
            f.reason,
            f.status.as_str()
        );
        let file = f
            .source
            .as_ref()
            .filter(|s| !s.file.starts_with("builtin:"))
            .map(|s| {
                let mut l = FileLocation::new(&s.file, s.line, s.col);
                l.line_text = s.line_text.as_deref().map(str::to_string);
                l
            });
        let logical = Some(match &f.value {
            Some(v) => LogicalLocation::registry_value(&f.key, v),
            None => LogicalLocation::registry_key(&f.key),
        });
        let mut props = serde_json::Map::new();
        props.insert("image".into(), o.name.clone().into());
        props.insert("status".into(), f.status.as_str().into());
        props.insert("setting".into(), f.setting.clone().into());
        b.push(Item {
            rule: sarif_rule(f.code),
            level,
            message,
            file,
            logical,
            properties: Some(props),
            suppressed: f.waived().then(|| {
                f.waiver
                    .as_ref()
                    .map(|w| format!("{} (until {}, {})", w.reason, w.expires, w.at))
                    .unwrap_or_default()
            }),
        });
    }
}
