//! The human audit report: a header saying what was read and what happened to each hive,
//! the findings that need attention grouped by check (all of them with `--verbose`), the
//! verdict line, and a batch's closing table.

use super::Verbosity;
use crate::audit::batch::Row;
use crate::audit::report::{Check, Finding, Report, Status};
use crate::diag::printable as p;
use std::fmt::Write as _;

pub(super) fn paint(color: bool, code: &str, s: &str) -> String {
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
