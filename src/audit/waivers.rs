//! Waivers (`audit --waivers FILE`): findings a team has accepted for a while, each named by
//! its code and optionally its key, value and image, with a reason and an expiry date. A
//! waived finding stays in every report, marked, and no longer makes its image
//! non-compliant; an expired waiver waives nothing and fails the run; a waiver that matches
//! nothing is reported so the file does not rot.

use super::report::{FindingCode, Report, Status, WaiverRef};
use crate::keypath::{fold, same_name};
use crate::yamlpos::{Bound, PosIndex, Seg};
use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::Date;

/// The largest waiver file read: far more than thousands of waivers need.
pub const MAX_WAIVER_FILE: u64 = 1 << 20;

/// The bound on a waiver file with its YAML aliases expanded.
const EXPANSION: Bound = Bound {
    bytes: 4 << 20,
    nodes: 200_000,
};

/// Why a waiver file cannot be used: where (`FILE:LINE:COL`) and what.
#[derive(Debug, thiserror::Error)]
#[error("{}", located(.path, *.line, *.col, .message))]
pub struct WaiverError {
    /// The waiver file as given.
    pub path: String,
    /// 1-based line (0 when the whole file is at fault).
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// `FILE:LINE:COL: message`, or `FILE: message` for the whole file.
fn located(path: &str, line: usize, col: usize, message: &str) -> String {
    if line == 0 {
        format!("{path}: {message}")
    } else {
        format!("{path}:{line}:{col}: {message}")
    }
}

/// One waiver as the file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    code: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    image: Option<String>,
    reason: String,
    expires: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    waivers: Vec<RawWaiver>,
}

/// One waiver, ready to match findings.
#[derive(Debug)]
pub struct Waiver {
    /// The finding code it waives.
    pub code: FindingCode,
    /// The key pattern as written (a glob; `HKLM\` and `CurrentControlSet` understood).
    pub key: Option<String>,
    key_glob: Option<GlobMatcher>,
    /// The value name, compared as Windows compares names.
    pub value: Option<String>,
    /// The image pattern as written (a glob on the image's name or its file name).
    pub image: Option<String>,
    image_glob: Option<GlobMatcher>,
    /// Why the finding is accepted.
    pub reason: String,
    /// The last day the waiver holds.
    pub expires: Date,
    /// The line of the waiver's entry in the file.
    pub line: usize,
    matched: AtomicUsize,
}

/// What became of a waiver in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    /// It holds and waived at least one finding.
    Active,
    /// Its date has passed: it waived nothing, and the run fails.
    Expired,
    /// It holds but matched no finding (fixed, or mistyped): a warning.
    Unmatched,
}

/// A waiver's outcome, as reports list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverOutcome {
    /// `FILE:LINE` of the waiver.
    pub at: String,
    /// The finding code it names.
    pub code: FindingCode,
    /// Its reason.
    pub reason: String,
    /// Its expiry date, `YYYY-MM-DD`.
    pub expires: String,
    /// How many findings it matched (waived, or would have, had it not expired).
    pub matched: usize,
    /// What became of it.
    pub state: WaiverState,
}

/// The waivers of one file.
#[derive(Debug)]
pub struct Waivers {
    /// The file as given.
    pub path: String,
    /// Its waivers, in file order.
    pub items: Vec<Waiver>,
}

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A date as waiver files and reports write it.
pub fn show_date(d: Date) -> String {
    d.format(DATE).unwrap_or_else(|_| d.to_string())
}

/// An error and its causes, joined with `: `.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

/// Today in UTC, the date expiries are compared with.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// A case-insensitive glob over a key path: `HKLM\` is `HKEY_LOCAL_MACHINE\`, and a
/// `CurrentControlSet` component matches every `ControlSet00N` (findings name the real one).
fn key_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    let mut parts: Vec<String> = pattern.split('\\').map(fold).collect();
    if let Some(first) = parts.first_mut() {
        if first == "HKLM" {
            *first = "HKEY_LOCAL_MACHINE".into();
        }
    }
    for p in &mut parts {
        if p == "CURRENTCONTROLSET" {
            *p = "CONTROLSET[0-9][0-9][0-9]".into();
        }
    }
    GlobBuilder::new(&parts.join("\\"))
        .literal_separator(false)
        .backslash_escape(false)
        .build()
        .map(|g| g.compile_matcher())
}

fn image_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(false)
        .build()
        .map(|g| g.compile_matcher())
}

impl Waivers {
    /// Reads and checks the waiver file at `path` (a regular file of at most
    /// [`MAX_WAIVER_FILE`] bytes).
    pub fn load(path: &Path) -> Result<Waivers, WaiverError> {
        let shown = path.display().to_string();
        let whole = |message: String| WaiverError {
            path: shown.clone(),
            line: 0,
            col: 0,
            message,
        };
        let bytes = crate::input::read(path, MAX_WAIVER_FILE, "waiver file")
            .map_err(|e| whole(error_chain(&e)))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            whole(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Waivers::parse(&shown, &text)
    }

    /// Checks the text of a waiver file named `shown`.
    pub fn parse(shown: &str, text: &str) -> Result<Waivers, WaiverError> {
        let at = |line: usize, col: usize, message: String| WaiverError {
            path: shown.to_string(),
            line,
            col,
            message,
        };
        let index = PosIndex::new(text, EXPANSION);
        if let Some(t) = index.too_large() {
            return Err(at(
                t.at.line,
                t.at.col,
                format!(
                    "the file with its aliases expanded is too large ({})",
                    t.what
                ),
            ));
        }
        if let Some(d) = index.duplicates().first() {
            return Err(at(
                d.second.line,
                d.second.col,
                format!("\"{}\" is given twice", d.key.escape_debug()),
            ));
        }
        let raw: RawFile = serde_yaml::from_str(text).map_err(|e| {
            let (line, col) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            // serde_yaml's message carries its own "at line" suffix; the position leads.
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            at(line, col, msg)
        })?;
        let mut items = Vec::with_capacity(raw.waivers.len());
        for (i, w) in raw.waivers.into_iter().enumerate() {
            let field = |name: &str| {
                index.value(&[
                    Seg::Key("waivers".into()),
                    Seg::Index(i),
                    Seg::Key(name.into()),
                ])
            };
            let err = |name: &str, message: String| {
                let p = field(name);
                at(p.line, p.col, message)
            };
            let code = FindingCode::parse(&w.code).ok_or_else(|| {
                let hint = crate::catalog::did_you_mean(
                    &w.code,
                    FindingCode::ALL.iter().map(|c| c.as_str()),
                )
                .map(|c| format!("; did you mean \"{c}\"?"))
                .unwrap_or_default();
                err(
                    "code",
                    format!(
                        "no audit finding code is called \"{}\"{hint} (`tlsreg explain` lists them)",
                        w.code.escape_debug()
                    ),
                )
            })?;
            let expires = Date::parse(w.expires.trim(), DATE).map_err(|_| {
                err(
                    "expires",
                    format!(
                        "\"{}\" is not a date written YYYY-MM-DD",
                        w.expires.escape_debug()
                    ),
                )
            })?;
            if w.reason.trim().is_empty() {
                return Err(err("reason", "a waiver needs a reason".into()));
            }
            let key_glob = w
                .key
                .as_deref()
                .map(key_glob)
                .transpose()
                .map_err(|e| err("key", format!("not a key pattern: {e}")))?;
            let image_glob = w
                .image
                .as_deref()
                .map(image_glob)
                .transpose()
                .map_err(|e| err("image", format!("not an image pattern: {e}")))?;
            let line = index
                .value(&[Seg::Key("waivers".into()), Seg::Index(i)])
                .line;
            items.push(Waiver {
                code,
                key: w.key,
                key_glob,
                value: w.value,
                image: w.image,
                image_glob,
                reason: w.reason,
                expires,
                line,
                matched: AtomicUsize::new(0),
            });
        }
        Ok(Waivers {
            path: shown.to_string(),
            items,
        })
    }

    /// Marks the findings of `report` (the audit of the image named `image`) that a waiver
    /// matches, and recounts its summary and verdict: a waiver that holds on `today` waives
    /// them; an expired one only marks them. A finding that passes is never waived. The
    /// first waiver that matches a finding is the one it shows. Safe to call from several
    /// threads (the match counts are atomic).
    pub fn apply(&self, image: &str, report: &mut Report, today: Date, require_all: bool) {
        let file_name = Path::new(image)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let for_image: Vec<&Waiver> = self
            .items
            .iter()
            .filter(|w| {
                w.image_glob.as_ref().is_none_or(|g| {
                    g.is_match(image) || file_name.as_deref().is_some_and(|n| g.is_match(n))
                })
            })
            .collect();
        if for_image.is_empty() {
            return;
        }
        for f in &mut report.findings {
            if f.status == Status::Pass {
                continue;
            }
            let folded = fold(&f.key);
            let hit = for_image.iter().find(|w| {
                w.code == f.code
                    && w.key_glob.as_ref().is_none_or(|g| g.is_match(&folded))
                    && w.value
                        .as_deref()
                        .is_none_or(|v| f.value.as_deref().is_some_and(|fv| same_name(v, fv)))
            });
            if let Some(w) = hit {
                w.matched.fetch_add(1, Ordering::Relaxed);
                f.waiver = Some(WaiverRef {
                    reason: w.reason.clone(),
                    expires: show_date(w.expires),
                    at: format!("{}:{}", self.path, w.line),
                    expired: w.expires < today,
                });
            }
        }
        report.summary = super::Summary::of(&report.findings);
        report.compliant = report.summary.compliant(require_all);
    }

    /// What became of each waiver so far, in file order.
    pub fn outcomes(&self, today: Date) -> Vec<WaiverOutcome> {
        self.items
            .iter()
            .map(|w| {
                let matched = w.matched.load(Ordering::Relaxed);
                WaiverOutcome {
                    at: format!("{}:{}", self.path, w.line),
                    code: w.code,
                    reason: w.reason.clone(),
                    expires: show_date(w.expires),
                    matched,
                    state: if w.expires < today {
                        WaiverState::Expired
                    } else if matched == 0 {
                        WaiverState::Unmatched
                    } else {
                        WaiverState::Active
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::{Check, Finding, Summary};

    fn finding(code: FindingCode, key: &str, value: Option<&str>, status: Status) -> Finding {
        Finding {
            code,
            check: Check::Value,
            setting: "s".into(),
            key: key.into(),
            value: value.map(str::to_string),
            expected: None,
            actual: None,
            status,
            reason: "r".into(),
            waiver: None,
            source: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        let summary = Summary::of(&findings);
        Report {
            profile: "p".into(),
            mode: "strict",
            image: None,
            system: None,
            software: None,
            os: None,
            control_sets: None,
            compliant: summary.compliant(false),
            complete: true,
            findings,
            summary,
        }
    }

    const TLS10: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server";

    #[test]
    fn a_waiver_matches_as_windows_compares_names() {
        let w = Waivers::parse(
            "w.yaml",
            "waivers:\n  - code: setting-value\n    key: 'hklm\\system\\currentcontrolset\\control\\securityproviders\\schannel\\protocols\\tls 1.0\\*'\n    value: ENABLED\n    image: 'legacy-*'\n    reason: vendor app\n    expires: 2999-12-31\n",
        )
        .unwrap();
        let today = Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
        let mut r = report(vec![
            finding(
                FindingCode::SettingValue,
                TLS10,
                Some("Enabled"),
                Status::Fail,
            ),
            finding(
                FindingCode::SettingValue,
                TLS10,
                Some("DisabledByDefault"),
                Status::Fail,
            ),
        ]);
        assert!(!r.compliant);
        // another image: nothing happens
        w.apply("/images/web-01.vhdx", &mut r, today, false);
        assert_eq!(r.summary.waived, 0);
        w.apply("/images/legacy-01.vhdx", &mut r, today, false);
        assert_eq!((r.summary.waived, r.summary.fail), (1, 1));
        assert_eq!(r.findings[0].waiver.as_ref().unwrap().at, "w.yaml:2");
        assert_eq!(w.outcomes(today)[0].state, WaiverState::Active);
    }

    #[test]
    fn an_expired_waiver_waives_nothing_and_an_unused_one_is_unmatched() {
        let w = Waivers::parse(
            "w.yaml",
            "waivers:\n  - code: setting-value\n    reason: old\n    expires: 2020-01-01\n  - code: pending-reboot\n    reason: never\n    expires: 2999-01-01\n",
        )
        .unwrap();
        let today = Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
        let mut r = report(vec![finding(
            FindingCode::SettingValue,
            TLS10,
            None,
            Status::Fail,
        )]);
        w.apply("img", &mut r, today, false);
        assert!(!r.compliant);
        assert!(r.findings[0].waiver.as_ref().unwrap().expired);
        let states: Vec<_> = w.outcomes(today).iter().map(|o| o.state).collect();
        assert_eq!(states, [WaiverState::Expired, WaiverState::Unmatched]);
    }

    #[test]
    fn bad_waiver_files_say_where() {
        let e = Waivers::parse(
            "w.yaml",
            "waivers:\n  - code: setting-valu\n    reason: x\n    expires: 2027-01-01\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (2, 11), "{e}");
        assert!(
            e.to_string().contains("did you mean \"setting-value\""),
            "{e}"
        );
        let e = Waivers::parse(
            "w.yaml",
            "waivers:\n  - code: pending-reboot\n    reason: x\n    expires: 2027-02-30\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (4, 14), "{e}");
        let e = Waivers::parse("w.yaml", "waivers:\n  - code: pending-reboot\n    reason: x\n    expires: 2027-02-03\n    owner: me\n").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(e.to_string().contains("owner"), "{e}");
        let e = Waivers::parse(
            "w.yaml",
            "waivers:\n  - code: pending-reboot\n    expires: 2027-02-03\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("reason"), "{e}");
    }
}
