//! `.reg` files, the text format regedit reads and writes: the parsed form ([`RegFile`],
//! [`Item`]), the reader ([`read`]), the writer of regedit 5.00 framing and value lines
//! ([`mod@write`], shared by the profile compiler and `tlsreg export`), and the linter of known
//! traps ([`lint`]). Problems are [`Diagnostic`]s with the `.reg` [`Code`]s ([`CODES`]).

pub mod lint;
pub mod read;
pub mod write;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::InputError;
use crate::value::type_name;
use crate::yamlpos::Pos;
use encoding_rs::Encoding;
use serde::Serialize;
use std::path::Path;

pub use crate::diag::Severity;
pub use read::parse;

/// Every reader and lint code with its severity and meaning (README lists these).
pub const CODES: &[(&str, Severity, &str)] = &crate::diag::table(Code::REG);

/// What the file starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Header {
    /// `Windows Registry Editor Version 5.00` (the file is Unicode to regedit only when it is
    /// UTF-16LE with a byte-order mark).
    V5,
    /// `REGEDIT4`: an ANSI file.
    Regedit4,
    /// No header: the first line that is not blank neither is one nor starts like one (regedit
    /// ignores the file).
    Missing,
    /// A first line that starts like a header (`REGEDIT...`, `Windows Registry Editor...`) but is
    /// neither exactly; holds that line, trimmed (regedit ignores the file).
    Other(String),
}

/// One thing a `.reg` file says, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `[KEY]`: the key is created, and the value lines below it apply to it.
    Key {
        /// The key path with its root spelled out (`HKEY_LOCAL_MACHINE`, ...) and trailing
        /// backslashes dropped; the rest as written.
        path: String,
    },
    /// `[-KEY]`: the key and everything below it are deleted.
    DeleteKey {
        /// The key path, as in [`Item::Key`].
        path: String,
    },
    /// `"name"=...`; `None` data is `"name"=-`.
    Value {
        /// The key the value line is under: the last `[KEY]` line, as in [`Item::Key`].
        key: String,
        /// The value name as unescaped; `""` is the default value (`@`).
        name: String,
        /// The type code and the bytes the registry would store; `None` for `"name"=-`, a deletion.
        data: Option<(u32, Vec<u8>)>,
    },
}

/// An item and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The 1-based line the item is on (its first line, if continued).
    pub line: usize,
    /// The 1-based column, in characters, where the item starts (after leading spaces and tabs).
    pub col: usize,
    /// What the line says.
    pub item: Item,
}

/// A parsed `.reg` file.
#[derive(Debug, Clone)]
pub struct RegFile {
    /// The encoding it was read in (`UTF-16LE`, `UTF-8`, `windows-1252`, ...).
    pub encoding: &'static str,
    /// Whether the file started with a byte-order mark.
    pub bom: bool,
    /// The header line, if any.
    pub header: Header,
    /// The keys, key deletions and values read, in file order; lines the reader skips, as
    /// regedit would, are left out (each has a diagnostic).
    pub items: Vec<Located>,
    /// The reader's diagnostics, placed by line and column only (see [`RegFile::placed`]).
    pub diagnostics: Vec<Diagnostic>,
    /// The text as decoded, for excerpts.
    pub text: String,
}

/// Options for reading.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// The encoding of files without BOM that are not UTF-8 (default Windows-1252).
    pub ansi: Option<&'static Encoding>,
}

impl RegFile {
    /// The registry an empty registry becomes after importing this file, as regedit does.
    pub fn apply(&self, reg: &mut crate::memreg::MemRegistry) {
        use crate::plan::Op;
        for l in &self.items {
            match &l.item {
                Item::Key { path } => reg.create_key(path),
                Item::DeleteKey { path } => reg.apply_op(&Op::DeleteKey { key: path.clone() }),
                Item::Value {
                    key,
                    name,
                    data: None,
                } => reg.apply_op(&Op::DeleteValue {
                    key: key.clone(),
                    name: name.clone(),
                }),
                Item::Value {
                    key,
                    name,
                    data: Some((t, b)),
                } => reg.set_raw(key, name, *t, b.clone()),
            }
        }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// `diags` (the reader's, the linter's) named as in `file`, each with its source line
    /// for the excerpt and its severity (raised or not): what `tlsreg lint` and
    /// `tlsreg import` show.
    pub fn placed(&self, file: &str, diags: &[Diagnostic]) -> Diagnostics {
        // The lines once, as the reader split them (a lone CR ends a line too); looking each
        // excerpt up from the start would make many diagnostics quadratic.
        let lines = read::lines(&self.text);
        Diagnostics(
            diags
                .iter()
                .map(|d| {
                    let pos = Pos {
                        line: d.line,
                        col: d.col,
                        len: 1,
                    };
                    let mut placed = Diagnostic::new(d.code, d.message.clone(), file, None, pos);
                    placed.severity = d.severity;
                    placed.source_line = d
                        .line
                        .checked_sub(1)
                        .and_then(|i| lines.get(i))
                        .map(|l| std::sync::Arc::from(*l));
                    placed
                })
                .collect(),
        )
    }
}

/// Why a `.reg` file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// `encoding` is no encoding_rs label; holds the label.
    #[error("unknown encoding label \"{0}\"")]
    UnknownEncoding(String),
    /// Not a regular file, larger than [`MAX_REG_BYTES`], or unreadable; the message names
    /// the path.
    #[error(transparent)]
    Input(#[from] InputError),
}

/// The largest `.reg` file read: 256 MiB. A full export of a big SYSTEM hive is about
/// 35 MB (UTF-16, twice its text), and a 2 GiB hive cannot hold more than a few hundred
/// megabytes of value data; the bound keeps a device or a runaway file from filling memory.
pub const MAX_REG_BYTES: u64 = 256 << 20;

/// Reads and parses the `.reg` file at `path` (a regular file of at most
/// [`MAX_REG_BYTES`]); `encoding` is the encoding_rs label of a file without BOM that is not
/// UTF-8 (e.g. `windows-1252`).
pub fn read_file(path: &Path, encoding: &str) -> Result<RegFile, ReadError> {
    let ansi = Encoding::for_label(encoding.as_bytes())
        .ok_or_else(|| ReadError::UnknownEncoding(encoding.to_string()))?;
    let bytes = crate::input::read(path, MAX_REG_BYTES, "a .reg file")?;
    Ok(parse(&bytes, ReadOptions { ansi: Some(ansi) }))
}

/// The type name of a type code, for messages.
pub fn describe_type(t: u32) -> String {
    match type_name(t) {
        "REG_UNKNOWN" => format!("REG_0x{t:x}"),
        n => n.to_string(),
    }
}
