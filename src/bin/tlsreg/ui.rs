//! What the binary shows around the library's results: the one colour policy for both
//! streams, diagnostics with their excerpts, notes about hives read, and the closing line
//! of errors already reported.

use crate::args::Color;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use tlsreg::diag::{Diagnostic, Diagnostics};
use tlsreg::hive::Recovery;
use tlsreg::profile::{self, Loaded, ProfileRef};
use tlsreg::regfile::RegFile;

/// How to show things on standard error and standard output.
pub struct Ui {
    /// Colour on standard error (diagnostics, errors).
    pub color_err: bool,
    /// Colour on standard output (reports).
    pub color_out: bool,
    /// With `compile --report json`, diagnostics are collected for the JSON report instead.
    pub collected: Option<RefCell<Vec<Diagnostic>>>,
    /// `--quiet`, `--verbose` or neither.
    pub verbosity: tlsreg::audit::render::Verbosity,
}

impl Ui {
    /// One colour policy for both streams: `always` and `never` are final, `auto` colours a
    /// stream that is a terminal unless NO_COLOR is set.
    pub fn new(color: Color, collect: bool, verbosity: tlsreg::audit::render::Verbosity) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let on = |terminal: bool| match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => !no_color && terminal,
        };
        Ui {
            color_err: on(std::io::stderr().is_terminal()),
            color_out: on(std::io::stdout().is_terminal()),
            collected: collect.then(Default::default),
            verbosity,
        }
    }

    /// `--quiet`: no notes, warnings or progress on standard error.
    pub fn quiet(&self) -> bool {
        self.verbosity == tlsreg::audit::render::Verbosity::Quiet
    }

    /// Shows diagnostics on stderr (or keeps them for the JSON report).
    pub fn diags(&self, d: &Diagnostics) {
        if let Some(c) = &self.collected {
            c.borrow_mut().extend(d.0.iter().cloned());
        } else if self.quiet() {
            // Errors still: they say why the run fails.
            let errors = Diagnostics(
                d.0.iter()
                    .filter(|d| d.severity() == tlsreg::diag::Severity::Error)
                    .cloned()
                    .collect(),
            );
            if !errors.0.is_empty() {
                let _ = write!(
                    std::io::stderr().lock(),
                    "{}",
                    errors.render(self.color_err)
                );
            }
        } else if !d.0.is_empty() {
            let _ = write!(std::io::stderr().lock(), "{}", d.render(self.color_err));
        }
    }

    /// Shows diagnostics, leaving out notes unless `notes` (a JSON report keeps them all).
    fn profile_diags(&self, d: &Diagnostics, notes: bool) {
        let notes = notes || self.verbosity == tlsreg::audit::render::Verbosity::Verbose;
        if notes || self.collected.is_some() {
            return self.diags(d);
        }
        let kept = Diagnostics(
            d.0.iter()
                .filter(|d| d.severity() != tlsreg::diag::Severity::Note)
                .cloned()
                .collect(),
        );
        self.diags(&kept);
    }

    /// The diagnostics collected for a JSON report.
    pub fn collected(&self) -> Vec<Diagnostic> {
        self.collected
            .as_ref()
            .map(|c| c.borrow().clone())
            .unwrap_or_default()
    }

    /// Shows `.reg` diagnostics with excerpts of `f`; true when one is an error.
    pub fn reg_diags(&self, file: &str, f: &RegFile, diags: &[Diagnostic]) -> bool {
        let placed = f.placed(file, diags);
        self.diags(&placed);
        placed.has_errors()
    }

    /// Says how a dirty hive was read.
    pub fn recovery(&self, path: &std::path::Path, recovery: &Recovery) {
        if *recovery != Recovery::Clean && !self.quiet() {
            let level = if recovery.stale() { "warning" } else { "note" };
            let _ = writeln!(
                std::io::stderr(),
                "{level}: {}",
                tlsreg::diag::printable(&format!("{} was {}", path.display(), recovery.describe()))
            );
        }
    }

    /// The last line of a failed run.
    pub fn error(&self, e: &anyhow::Error) {
        let label = if self.color_err {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        let text = chain(e);
        let _ = writeln!(
            std::io::stderr(),
            "{label}: {}",
            tlsreg::diag::printable(&text)
        );
    }

    /// Loads a profile (a built-in name or a file), showing its warnings or errors.
    pub fn load(&self, arg: &str) -> Result<(ProfileRef, Loaded), Reported> {
        self.load_showing(arg, false)
    }

    /// Loads a profile, showing its notes too when `notes` (`show`: what the profile
    /// resolves to; elsewhere `compile` says per file what it left out).
    pub fn load_showing(&self, arg: &str, notes: bool) -> Result<(ProfileRef, Loaded), Reported> {
        let r = ProfileRef::parse(arg);
        match profile::load(&r) {
            Ok(l) => {
                self.profile_diags(&l.warnings, notes);
                Ok((r, l))
            }
            Err(d) => {
                self.diags(&d);
                Err(Reported("the profile has errors"))
            }
        }
    }
}

/// An error already shown to the user (as diagnostics); this is the closing line.
#[derive(Debug)]
pub struct Reported(pub &'static str);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Reported {}

/// An error and its causes as one line, `outer: inner: ...`, each cause once: a message
/// that already says its cause (`cannot read X: No such file or directory`) does not get
/// it appended again.
pub fn chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}
