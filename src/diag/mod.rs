//! Diagnostics for profiles and `.reg` files alike: one [`Diagnostic`] type with a stable
//! [`Code`], a sentence and the place (`file:line:col`), and its human rendering with the
//! source line and a caret.

use crate::yamlpos::Pos;
use serde::Serialize;
use std::fmt;

mod code;

pub use code::{table, Code, CODES};

/// How bad a diagnostic is: errors stop compilation (and make a `.reg` line unreadable),
/// warnings do not; notes say what the tool will do about something that is not wrong
/// (a name that `compile` leaves out for the builds of the target that do not know it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops a profile from loading (and so from compiling); in a `.reg` file, a line regedit
    /// cannot read.
    Error,
    /// Something likely wrong that does not stop anything.
    Warning,
    /// What the tool will do about something that is not wrong.
    Note,
}

impl Severity {
    /// The word diagnostics are rendered with: `error`, `warning`, `note`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One problem, located in a file. Its severity is its code's unless raised
/// ([`Diagnostic::raise`], `tlsreg lint --deny`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable identifier, e.g. `unknown-name`; see [`Code`].
    pub code: Code,
    /// How bad it is: [`Code::severity`] unless raised; read it with
    /// [`Diagnostic::severity`].
    pub severity: Severity,
    /// What is wrong, in a sentence, without the place or the code.
    pub message: String,
    /// The file as the user named it (or `builtin:NAME`); `line` 0 means no place in it.
    /// Empty for a `.reg` diagnostic not yet placed in a named file
    /// ([`crate::regfile::RegFile::placed`]); JSON then leaves `file` out.
    pub file: String,
    /// The 1-based line; 0 when the diagnostic is about the whole file.
    pub line: usize,
    /// The 1-based column, in characters; 0 with line 0.
    pub col: usize,
    /// The source line, for the excerpt; shared, so that many diagnostics on one long line
    /// do not each hold a copy of it.
    pub source_line: Option<std::sync::Arc<str>>,
    /// How many characters the caret underlines.
    pub len: usize,
}

/// `{"severity", "code", "message", "file", "line", "col"}` (no `file` when it is empty).
impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Diagnostic", 6)?;
        st.serialize_field("severity", &self.severity())?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("message", &self.message)?;
        if self.file.is_empty() {
            st.skip_field("file")?;
        } else {
            st.serialize_field("file", &self.file)?;
        }
        st.serialize_field("line", &self.line)?;
        st.serialize_field("col", &self.col)?;
        st.end()
    }
}

impl Diagnostic {
    /// A diagnostic at `pos` in `file` with the code's severity; the excerpt line is taken
    /// from `src`.
    pub fn new(
        code: Code,
        message: impl Into<String>,
        file: &str,
        src: Option<&str>,
        pos: Pos,
    ) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file: file.to_string(),
            line: pos.line,
            col: pos.col,
            source_line: src
                .and_then(|s| s.lines().nth(pos.line.saturating_sub(1)))
                .map(std::sync::Arc::from),
            len: pos.len.max(1),
        }
    }
    /// How bad it is: its code's severity, or what [`Diagnostic::raise`] made it.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The same diagnostic as an error (`tlsreg lint --deny CODE`): a warning or a note
    /// becomes an error; an error stays one.
    pub fn raise(mut self) -> Self {
        self.severity = Severity::Error;
        self
    }

    /// Whether its severity is [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// `error[code]: file:line:col: message` followed by the source line and a caret.
    pub fn render(&self, color: bool) -> String {
        let (sev, on) = match self.severity() {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
            Severity::Note => ("note", "\x1b[1;36m"),
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
            "{on}{sev}[{}]{off}{bold}: {}: {}{off}\n",
            self.code,
            printable(&place),
            printable(&self.message)
        );
        if let Some(full) = &self.source_line {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            // A long line is cut to a window around the column.
            let (src, col) = excerpt(full, self.col);
            // One visible character per character, so the caret stays under its column.
            let src: String = src
                .chars()
                .map(|c| {
                    if c != '\t' && unsafe_char(c) {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect();
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

/// How many diagnostics [`Diagnostics::push`] compares a new one with.
pub const MAX_LISTED: usize = 1000;

/// All diagnostics of one load, errors first within each file and line order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds `d` unless it is already there. Past [`MAX_LISTED`] diagnostics, warnings are
    /// dropped and errors added without the look for a twin, so that a hostile input with a
    /// problem per item costs linear time.
    pub fn push(&mut self, d: Diagnostic) {
        if self.0.len() < MAX_LISTED {
            if !self.0.contains(&d) {
                self.0.push(d);
            }
        } else if d.is_error() {
            self.0.push(d);
        }
    }
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    /// The errors, in list order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
    /// The warnings and notes (everything that is not an error), in list order.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }
    /// Sorts by file, then line and column, keeping the first-found order otherwise.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (a.severity(), &a.file, a.line, a.col).cmp(&(b.severity(), &b.file, b.line, b.col))
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

/// Whether a terminal would obey `c` rather than show it (see [`printable`]).
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` made safe for a terminal line: control characters (C0, DEL, C1: an ESC that would
/// recolour the report, a CR that would overwrite its line, a line break that would forge
/// another) and the Unicode bidirectional controls (which reorder what is shown) written
/// as `\u{..}` escapes (`\t`, `\r`, `\n` for the usual three); everything else as it is.
/// Human output passes every string that came from a hive, a `.reg` file or a path
/// through this.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `"text"` with control characters escaped (and nothing else: a backslash stays one).
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
