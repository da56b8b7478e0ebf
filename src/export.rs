//! `tlsreg export`: a hive's keys (whole or the given subtrees) written as a regedit 5.00
//! `.reg` file, byte for byte as the compiler writes (UTF-16LE with BOM, CRLF, hex wrapped at
//! regedit's column), written straight into the output buffer.

use crate::hive::{HiveError, HiveFile, WalkEvent};
use crate::keypath::{is_current_control_set, relative_to, resolve_relative, unresolve};
use crate::output::{self, OutputError};
use crate::regfile::write::Utf16Writer;
use std::path::Path;

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The root the hive's keys are named under, e.g. `HKEY_LOCAL_MACHINE\SYSTEM`.
    pub root: String,
    /// Subtrees relative to the hive root (empty: the whole hive). `CurrentControlSet` is
    /// read from `Select\Current`.
    pub keys: Vec<String>,
    /// Name the current `ControlSet00N` `CurrentControlSet` in the output.
    pub current_control_set: bool,
}

impl ExportOptions {
    /// Options for a hive loaded under `root`, with subtrees as a user gives them: relative
    /// to the hive, or with the root spelled out or abbreviated (`HKLM\SYSTEM\Select`).
    pub fn new(root: &str, keys: &[String], current_control_set: bool) -> ExportOptions {
        ExportOptions {
            root: root.to_string(),
            keys: keys.iter().map(|k| relative_to(k, root)).collect(),
            current_control_set,
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The hive could not be read.
    #[error(transparent)]
    Hive(#[from] HiveError),
    /// A subtree asked for is not in the hive; holds the hive's path and the subtree (relative
    /// to the hive's root, `CurrentControlSet` resolved).
    #[error("{0}: there is no key {1} in this hive")]
    NoKey(String, String),
    /// A path needs `CurrentControlSet` but the hive has no `Select\Current`; holds the hive's
    /// path.
    #[error("{0}: SYSTEM\\Select\\Current is missing, so CurrentControlSet cannot be resolved")]
    NoControlSet(String),
    /// The sink could not be written.
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    /// The output file was refused (it is an input, or not a file) or could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Exports `hive` into `out` (a file, atomically: on any error nothing is left there; or a
/// character device or FIFO, in place). `out` may not be the hive or one of its logs.
pub fn export_to_file(
    hive: &mut HiveFile,
    opts: &ExportOptions,
    out: &Path,
) -> Result<Export, ExportError> {
    let mut result = None;
    // The hive (or the disk image it is in) and every transaction log beside it (replayed
    // or not) are inputs: writing over a log would destroy the newest data for good.
    let inputs = hive.input_files();
    output::write_atomic_with(out, &inputs, |w| -> Result<(), ExportError> {
        result = Some(export(hive, opts, w)?);
        Ok(())
    })?;
    result.ok_or_else(|| ExportError::Write(std::io::Error::other("the export did not run")))
}

/// What was exported and what was left out.
pub struct Export {
    /// One sentence per key or value left out, and per damaged one, naming it.
    pub warnings: Vec<String>,
    /// Keys left out (with everything below them): names a `.reg` file cannot carry.
    pub skipped_keys: Vec<String>,
    /// Values left out: (key, name) whose name a `.reg` file cannot carry.
    pub skipped_values: Vec<(String, String)>,
    /// Keys or values that could not be read.
    pub damaged: usize,
    /// Keys written.
    pub keys: usize,
    /// Values written.
    pub values: usize,
}

/// Exports `hive` as regedit would, streaming into `sink` (wrap files in a `BufWriter`);
/// memory stays at the hive plus a small buffer.
pub fn export(
    hive: &mut HiveFile,
    opts: &ExportOptions,
    sink: &mut dyn std::io::Write,
) -> Result<Export, ExportError> {
    let path = hive.path.display().to_string();
    // The current control set, when paths need it.
    let needs_ccs = opts.current_control_set
        || opts
            .keys
            .iter()
            .any(|k| k.split('\\').next().is_some_and(is_current_control_set));
    let ccs = if needs_ccs {
        match hive.control_sets("")? {
            Some(c) => Some(c.current),
            None => return Err(ExportError::NoControlSet(path)),
        }
    } else {
        None
    };
    let starts: Vec<String> = if opts.keys.is_empty() {
        vec![String::new()]
    } else {
        opts.keys
            .iter()
            .map(|k| {
                let k = k.trim_matches('\\');
                match ccs {
                    Some(n) => resolve_relative(k, n),
                    None => k.to_string(),
                }
            })
            .collect()
    };
    let mut out = Utf16Writer::new(CHUNK + 4096);
    let mut warnings = Vec::new();
    let (mut skipped_keys, mut skipped_values, mut damaged) = (Vec::new(), Vec::new(), 0);
    let mut current_key = String::new();
    let (mut keys, mut values) = (0, 0);
    let rename = |p: &str| -> String {
        match (ccs, opts.current_control_set) {
            (Some(n), true) => unresolve(p, &opts.root, n),
            _ => p.to_string(),
        }
    };
    let mut skip_key = false;
    let mut skip_below: Option<String> = None;
    let mut write_error: Option<std::io::Error> = None;
    for start in &starts {
        let found = hive.walk(&opts.root, start, &mut |ev| match ev {
            WalkEvent::Key(p) => {
                let p = rename(p);
                // Depth first: a left-out key's subkeys follow it directly.
                skip_key = skip_below
                    .as_deref()
                    .is_some_and(|s: &str| p.starts_with(s) && p[s.len()..].starts_with('\\'));
                if skip_key {
                    return;
                }
                skip_below = None;
                if p.chars().any(|c| c.is_control()) {
                    warnings.push(format!("{}: a key name with a control character cannot be written to a .reg file; it and its subkeys are left out", p.escape_debug()));
                    skipped_keys.push(p.clone());
                    skip_below = Some(p);
                    skip_key = true;
                    return;
                }
                current_key.clone_from(&p);
                keys += 1;
                out.key(&p);
            }
            WalkEvent::Value { name, .. } | WalkEvent::Shadowed { name, .. }
                if !skip_key && name.chars().any(|c| matches!(c, '\0' | '\r' | '\n')) =>
            {
                warnings.push(format!("{}: value \"{}\": a name with NUL, CR or LF cannot be written to a .reg file; left out", current_key, name.escape_debug()));
                skipped_values.push((current_key.clone(), name.to_string()));
            }
            WalkEvent::Shadowed { name, first, .. } => {
                if skip_key {
                    return;
                }
                warnings.push(format!("{}: value \"{}\": an earlier value of this key is named \"{}\" (Windows compares value names case-insensitively and reads the first; regedit would let this one replace it); left out", current_key, name.escape_debug(), first.escape_debug()));
                skipped_values.push((current_key.clone(), name.to_string()));
            }
            WalkEvent::Value { name, type_code, data } => {
                if skip_key {
                    return;
                }
                out.value(name, type_code, data);
                values += 1;
                if out.bytes.len() >= CHUNK && write_error.is_none() {
                    if let Err(e) = sink.write_all(&out.bytes) {
                        write_error = Some(e);
                    }
                    out.bytes.clear();
                }
            }
            WalkEvent::Damaged { key, what, error } => {
                damaged += 1;
                warnings.push(format!("{key}: {what} could not be read and is left out: {error}"));
            }
        })?;
        if !found {
            return Err(ExportError::NoKey(path, start.clone()));
        }
    }
    if let Some(e) = write_error {
        return Err(e.into());
    }
    out.end();
    sink.write_all(&out.bytes)?;
    sink.flush()?;
    Ok(Export {
        warnings,
        skipped_keys,
        skipped_values,
        damaged,
        keys,
        values,
    })
}

/// How much output is gathered before it goes to the sink.
const CHUNK: usize = 1 << 20;
