//! Renderings of audits, streamed image by image ([`Renderer`]): human (what needs attention,
//! grouped, optionally coloured; a batch adds a table: `human.rs`), JSON (one document,
//! always `{"images": [...]}`), JSON Lines (one [`Record`] per line, as each image finishes),
//! JUnit XML (a suite per image, a test case per finding: `junit.rs`) and SARIF 2.1.0
//! (`sarif.rs`). Colour and verbosity are the caller's decision; the caller writes the text
//! where it wants.

mod human;
mod junit;
mod sarif;

pub use human::{batch_table, human};

use super::batch::{Outcome, Row};
use super::report::{Report, SCHEMA_VERSION};
use super::waivers::{WaiverOutcome, WaiverState};
use crate::diag::printable as p;
use human::paint;
use junit::{junit_error, junit_suite};
use sarif::sarif_outcome;
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
        let images = self.rows.iter().map(Row::exit_code).max().unwrap_or(0);
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
                // `--quiet` has said each image's verdict line already.
                if self.batch && self.verbosity > Verbosity::Quiet {
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
