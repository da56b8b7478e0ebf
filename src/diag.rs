//! Diagnostics: every problem found in a profile, with a stable code, a sentence, and the
//! place (`file:line:col`); and their human rendering with the source line and a caret.

use crate::yamlpos::Pos;
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is: errors stop compilation, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, located in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, e.g. `unknown-name`; see [`CODES`].
    pub code: &'static str,
    pub message: String,
    /// The file as the user named it (or `builtin:NAME`); `line` 0 means no place in it.
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// The source line, for the excerpt.
    #[serde(skip)]
    pub source_line: Option<String>,
    #[serde(skip)]
    pub len: usize,
}

/// Every diagnostic code with a one-line meaning (README and `tlsreg explain` list these).
pub const CODES: &[(&str, Severity, &str)] = &[
    ("yaml-syntax", Severity::Error, "the file is not valid YAML"),
    ("io", Severity::Error, "the file cannot be read"),
    ("encoding", Severity::Error, "the file is not UTF-8 text"),
    (
        "too-large",
        Severity::Error,
        "the file is larger than a profile can be",
    ),
    (
        "wrong-type",
        Severity::Error,
        "a field has the wrong kind of value (text, number, list, mapping)",
    ),
    (
        "unknown-field",
        Severity::Error,
        "a field the profile format does not have",
    ),
    (
        "unknown-name",
        Severity::Error,
        "a protocol, cipher, hash or key exchange Windows does not have",
    ),
    (
        "duplicate-name",
        Severity::Error,
        "one setting is given twice under different spellings",
    ),
    (
        "invalid-state",
        Severity::Error,
        "a state other than enabled, disabled or os-default",
    ),
    (
        "out-of-range",
        Severity::Error,
        "a number outside the setting's valid range",
    ),
    (
        "not-applicable",
        Severity::Error,
        "a field that does not apply to this key exchange",
    ),
    (
        "invalid-list",
        Severity::Error,
        "a cipher-suite, curve or protocol list that cannot be written",
    ),
    (
        "invalid-key",
        Severity::Error,
        "a raw key path that cannot be written to a .reg file",
    ),
    (
        "invalid-value-name",
        Severity::Error,
        "a raw value name that cannot be written to a .reg file",
    ),
    (
        "invalid-data",
        Severity::Error,
        "raw value data that does not fit its type",
    ),
    (
        "extends-not-found",
        Severity::Error,
        "an `extends` entry that is neither a built-in profile nor a file",
    ),
    (
        "extends-cycle",
        Severity::Error,
        "profiles that extend each other in a circle",
    ),
    (
        "too-deep",
        Severity::Error,
        "YAML nested, or extends chained, deeper than a profile can need",
    ),
    (
        "tls13-below-20348",
        Severity::Warning,
        "TLS 1.3 enabled for a target older than build 20348 (Server 2022)",
    ),
    (
        "tls13-suite-below-20348",
        Severity::Warning,
        "TLS 1.3 cipher suites listed for a target older than build 20348",
    ),
    (
        "sha-disabled-breaks-rdp",
        Severity::Warning,
        "disabling the SHA (SHA-1) hash has broken RDP",
    ),
    (
        "suite-list-too-long",
        Severity::Warning,
        "the cipher-suite list is longer than the 1023 characters Windows reads",
    ),
    (
        "unknown-cipher-suite",
        Severity::Warning,
        "a cipher-suite name no Windows version has",
    ),
    (
        "unknown-curve",
        Severity::Warning,
        "a curve name that is not a known CNG curve",
    ),
    (
        "raw-overrides-setting",
        Severity::Warning,
        "a raw value replaces a value a named setting writes",
    ),
];

impl Diagnostic {
    /// A diagnostic at `pos` in `file`; the excerpt line is taken from `src`.
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        file: &str,
        src: Option<&str>,
        pos: Pos,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: file.to_string(),
            line: pos.line,
            col: pos.col,
            source_line: src
                .and_then(|s| s.lines().nth(pos.line.saturating_sub(1)))
                .map(str::to_string),
            len: pos.len.max(1),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `error[code]: file:line:col: message` followed by the source line and a caret.
    pub fn render(&self, color: bool) -> String {
        let (sev, on) = match self.severity {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
        };
        let (on, bold, off) = if color {
            (on, "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "")
        };
        let place = if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.col)
        };
        let mut out = format!(
            "{on}{sev}[{}]{off}{bold}: {place}: {}{off}\n",
            self.code, self.message
        );
        if let Some(full) = &self.source_line {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            // A long line is cut to a window around the column.
            let (src, col) = excerpt(full, self.col);
            let lead: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let width = self.len.min(
                src.chars()
                    .count()
                    .saturating_sub(col.saturating_sub(1))
                    .max(1),
            );
            out.push_str(&format!(
                "{pad} |\n{num} | {src}\n{pad} | {lead}{on}{}{off}\n",
                "^".repeat(width)
            ));
        }
        out
    }
}

/// Longest source line shown whole in an excerpt.
const MAX_EXCERPT: usize = 120;

/// The part of `line` to show, and the column within it.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let n = line.chars().count();
    if n <= MAX_EXCERPT {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(40).min(n - MAX_EXCERPT);
    let body: String = line.chars().skip(start).take(MAX_EXCERPT).collect();
    let head = if start > 0 { "..." } else { "" };
    let tail = if start + MAX_EXCERPT < n { "..." } else { "" };
    (
        format!("{head}{body}{tail}"),
        col.saturating_sub(start) + head.len(),
    )
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

/// All diagnostics of one load, errors first within each file and line order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        if !self.0.contains(&d) {
            self.0.push(d);
        }
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }
    /// Sorts by file, then line and column, keeping the first-found order otherwise.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (a.severity, &a.file, a.line, a.col).cmp(&(b.severity, &b.file, b.line, b.col))
        });
    }
    /// Every diagnostic rendered, separated by blank lines.
    pub fn render(&self, color: bool) -> String {
        self.0
            .iter()
            .map(|d| d.render(color))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (code, _, _) in CODES {
            assert!(seen.insert(code), "{code} twice");
        }
    }

    #[test]
    fn renders_with_caret() {
        let src = "protocols:\n  TLS1.4: enabled\n";
        let d = Diagnostic::new(
            Severity::Error,
            "unknown-name",
            "unknown protocol \"TLS1.4\"; did you mean \"TLS 1.3\"?",
            "p.yaml",
            Some(src),
            Pos {
                line: 2,
                col: 3,
                len: 6,
            },
        );
        assert_eq!(
            d.render(false),
            "error[unknown-name]: p.yaml:2:3: unknown protocol \"TLS1.4\"; did you mean \"TLS 1.3\"?\n  |\n2 |   TLS1.4: enabled\n  |   ^^^^^^\n"
        );
    }
}
