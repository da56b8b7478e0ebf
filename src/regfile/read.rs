//! Reading `.reg` files as regedit does: every encoding (BOM first, then UTF-8, then ANSI),
//! both headers (`Windows Registry Editor Version 5.00`, `REGEDIT4`), key and value lines,
//! continuation lines, comments and escapes. Every problem is collected with `line:col`,
//! including what regedit would silently do differently. Never panics on any bytes.

use super::write::HEADER;
use super::{Header, Item, Located, ReadOptions, RegFile};
use crate::diag::{Code, Diagnostic};
use crate::keypath::{MAX_DEPTH, ROOTS};
use crate::yamlpos::Pos;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

mod data;

/// A diagnostic at `line:col` of a file not yet named ([`RegFile::placed`] names it).
fn placed(code: Code, line: usize, col: usize, message: String) -> Diagnostic {
    let pos = Pos { line, col, len: 1 };
    Diagnostic::new(code, message, "", None, pos)
}

/// Decodes the bytes: BOM first, then UTF-16 without BOM, UTF-8, and finally ANSI.
fn decode(
    bytes: &[u8],
    opts: ReadOptions,
    diags: &mut Vec<Diagnostic>,
) -> (&'static str, bool, String) {
    let diag = |code, message: String| placed(code, 1, 1, message);
    let (enc, bom, body): (&'static Encoding, bool, &[u8]) = if let Some(b) =
        bytes.strip_prefix(&[0xFF, 0xFE])
    {
        (UTF_16LE, true, b)
    } else if let Some(b) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (UTF_16BE, true, b)
    } else if let Some(b) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (UTF_8, true, b)
    } else if bytes.len() >= 4 && bytes[1] == 0 && bytes[3] == 0 && bytes[0] != 0 {
        diags.push(diag(Code::Utf16NoBom, "the file is UTF-16LE without a byte-order mark; regedit does not recognise its header and ignores the whole file".into()));
        (UTF_16LE, false, bytes)
    } else if bytes.len() >= 4 && bytes[0] == 0 && bytes[2] == 0 && bytes[1] != 0 {
        diags.push(diag(Code::Utf16NoBom, "the file is UTF-16BE without a byte-order mark; regedit does not recognise its header and ignores the whole file".into()));
        (UTF_16BE, false, bytes)
    } else if std::str::from_utf8(bytes).is_ok() {
        (UTF_8, false, bytes)
    } else {
        (opts.ansi.unwrap_or(WINDOWS_1252), false, bytes)
    };
    let (text, had_errors) = enc.decode_without_bom_handling(body);
    if had_errors {
        diags.push(diag(
            Code::RegEncoding,
            format!(
                "some bytes are not valid {}; they were replaced with U+FFFD",
                enc.name()
            ),
        ));
    }
    (enc.name(), bom, text.into_owned())
}

/// The lines of a decoded `.reg` text as regedit splits them: at CR LF, a lone LF or a lone
/// CR (Wine's line reader). Line `n` of diagnostics is `lines(text)[n - 1]`.
pub fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\r' => {
                out.push(&text[start..i]);
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                start = i;
            }
            b'\n' => {
                out.push(&text[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(&text[start..]);
    out
}

/// Parses `.reg` bytes. Problems are collected; nothing panics.
pub fn parse(bytes: &[u8], opts: ReadOptions) -> RegFile {
    let mut diags = Vec::new();
    let (encoding, bom, text) = decode(bytes, opts, &mut diags);
    let mut p = Parser {
        diags,
        items: Vec::new(),
        key: Open::Before,
        header: Header::Missing,
        ansi: opts.ansi.unwrap_or(WINDOWS_1252),
        unicode: encoding.starts_with("UTF-16") || bom,
        stop: false,
    };
    p.run(&text, encoding, bom);
    RegFile {
        encoding,
        bom,
        header: p.header,
        items: p.items,
        diagnostics: p.diags,
        text,
    }
}

/// The key value lines apply to, as regedit keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Open {
    /// Before the first key line.
    Before,
    /// After a `[KEY]` that regedit opens.
    Key(String),
    /// After a `[-KEY]` on this line: regedit has no key open.
    Deleted(usize),
    /// After a key line regedit cannot open (it has its own diagnostic).
    Failed,
}

struct Parser {
    diags: Vec<Diagnostic>,
    items: Vec<Located>,
    key: Open,
    header: Header,
    ansi: &'static Encoding,
    /// UTF-16 or a BOM: string data in hex form is UTF-16LE. Regedit reads only UTF-16LE
    /// with a BOM as Unicode, and ignores the other files with a BOM or in UTF-16 whole
    /// (their own warnings say so); in a file without either, such data is ANSI bytes.
    unicode: bool,
    /// Regedit stops reading here (a `\0` escape).
    stop: bool,
}

/// The spaces regedit skips around tokens: space and tab, nothing else.
const WS: [char; 2] = [' ', '\t'];

/// Whether a line read with Wine's rules ends here: nothing, or a `;` comment.
fn ends(rest: &str) -> bool {
    let r = rest.trim_start_matches(WS);
    r.is_empty() || r.starts_with(';')
}

/// The column of `sub` (a slice of `line`, which starts at column `col`).
fn col_of(line: &str, sub: &str, col: usize) -> usize {
    let off = (sub.as_ptr() as usize)
        .saturating_sub(line.as_ptr() as usize)
        .min(line.len());
    col + line.get(..off).map_or(0, |p| p.chars().count())
}

impl Parser {
    fn diag(&mut self, code: Code, line: usize, col: usize, message: String) {
        self.diags.push(placed(code, line, col, message));
    }

    /// The line with a NUL cut off (regedit ends the line there and loses what follows).
    fn cut_nul<'a>(&mut self, line: &'a str, n: usize) -> &'a str {
        match line.find('\0') {
            Some(at) => {
                self.diag(Code::NulInLine, n, line[..at].chars().count() + 1, "a NUL character inside the line: regedit ends the line here and loses the text after it (up to 4096 characters, across lines)".into());
                &line[..at]
            }
            None => line,
        }
    }

    fn run(&mut self, text: &str, encoding: &str, bom: bool) {
        let lines = lines(text);
        let mut i = 0;
        // The header: regedit reads only the first line (leading spaces and tabs allowed);
        // this reader takes the first line that is not blank, and says when they differ.
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let first = lines.get(i).map_or("", |l| l.trim_start_matches(WS));
        let exact = match first {
            HEADER => Some(Header::V5),
            "REGEDIT4" => Some(Header::Regedit4),
            _ => None,
        };
        let spaced = match first.trim_end() {
            HEADER => Some(Header::V5),
            "REGEDIT4" => Some(Header::Regedit4),
            _ => None,
        };
        let is_exact = exact.is_some();
        match (exact, spaced) {
            (Some(h), _) | (None, Some(h)) => {
                if i > 0 {
                    self.diag(Code::HeaderSpacing, i + 1, 1, format!("{} blank line{} before the header: regedit reads only the first line as the header, and ignores the whole file", i, if i == 1 { "" } else { "s" }));
                }
                if !is_exact {
                    let at = lines[i].trim_end().chars().count() + 1;
                    self.diag(Code::HeaderSpacing, i + 1, at, "spaces after the header: regedit does not recognise it and ignores the whole file".into());
                }
                self.header = h;
                i += 1;
            }
            (None, None) => {
                let l = first.trim_end();
                if l.to_ascii_uppercase().starts_with("REGEDIT")
                    || l.to_ascii_lowercase()
                        .starts_with("windows registry editor")
                {
                    self.header = Header::Other(l.to_string());
                    self.diag(Code::BadHeader, i + 1, 1, format!("the header \"{l}\" is not \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" exactly; regedit ignores the whole file"));
                    i += 1;
                } else {
                    self.diag(Code::MissingHeader, i.min(lines.len().saturating_sub(1)) + 1, 1, "the file has no \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" line first; regedit ignores the whole file".into());
                }
            }
        }
        if encoding == "UTF-8" && bom && self.header == Header::V5 {
            self.diag(Code::Utf8Bom, 1, 1, "UTF-8 with a byte-order mark under the 5.00 header: regedit ignores the whole file (save it as UTF-16LE, as regedit does)".into());
        } else if encoding == "UTF-8" && bom && self.header == Header::Regedit4 {
            self.diag(Code::Utf8Bom, 1, 1, "UTF-8 with a byte-order mark: regedit reads the mark as part of the header line and ignores the whole file (save a REGEDIT4 file as ANSI)".into());
        }
        if encoding == "UTF-16BE" && bom {
            self.diag(Code::Utf16Be, 1, 1, "the file is UTF-16BE: regedit reads only UTF-16LE (byte-order mark FF FE) as Unicode, does not recognise the header and ignores the whole file".into());
        }
        if !bom && !text.is_ascii() && self.header != Header::Regedit4 && encoding == "UTF-8" {
            self.diag(Code::AnsiText, 1, 1, "the file has non-ASCII text but no byte-order mark; regedit reads such a file in the ANSI code page, so that text would be garbled".into());
        }
        while i < lines.len() && !self.stop {
            let n = i + 1;
            let line = self.cut_nul(lines[i], n);
            i += 1;
            let body = line.trim_start_matches(WS);
            let col = line.len() - body.len() + 1;
            match body.chars().next() {
                None | Some(';' | '#') => {}
                Some('[') => self.key_line(body, n, col),
                Some('@' | '"') => self.value_line(body, n, col, &lines, &mut i),
                Some(_) => {
                    let t = body.trim_start();
                    if t.len() < body.len() && t.starts_with(['[', '@', '"']) {
                        let c = body.chars().next().unwrap_or(' ');
                        self.diag(Code::UnicodeSpace, n, col, format!("the line is indented with U+{:04X}; regedit skips spaces and tabs only, so it skips this line", c as u32));
                    } else if !t.is_empty() && !t.starts_with([';', '#']) {
                        self.diag(
                            Code::Syntax,
                            n,
                            col,
                            format!(
                                "a line that is neither a [KEY] nor a \"name\"=value: \"{}\"",
                                truncate(body.trim_end())
                            ),
                        );
                    }
                }
            }
        }
    }

    fn key_line(&mut self, line: &str, n: usize, col: usize) {
        if line[1..].starts_with(WS) {
            self.diag(Code::Syntax, n, col + 1, "a space after \"[\": regedit skips this line, and the values below it go to the key before".into());
            return;
        }
        let Some(end) = line.rfind(']') else {
            self.diag(
                Code::Syntax,
                n,
                col,
                "a key line without its closing \"]\": regedit skips this line, and the values below it go to the key before".into(),
            );
            return;
        };
        if !line[end + 1..].trim().is_empty() && !line[end + 1..].trim_start().starts_with(';') {
            self.diag(
                Code::Syntax,
                n,
                col + line[..end + 1].chars().count(),
                format!(
                    "text after the key line's \"]\": \"{}\"",
                    line[end + 1..].trim()
                ),
            );
        }
        let inner = &line[1..end];
        let (delete, path) = match inner.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, inner),
        };
        // Regedit closes the open key first, whatever follows.
        self.key = if delete {
            Open::Deleted(n)
        } else {
            Open::Failed
        };
        let path_col = col + 1 + delete as usize;
        let path = path.trim_end_matches('\\');
        let root = path.split('\\').next().unwrap_or_default();
        let full = ROOTS
            .iter()
            .find(|(long, _)| root.eq_ignore_ascii_case(long))
            .map(|(l, _)| *l);
        let path = match full {
            Some(long) => format!("{long}{}", &path[root.len()..]),
            None => {
                match ROOTS
                    .iter()
                    .find(|(_, short)| root.eq_ignore_ascii_case(short))
                {
                    Some((long, short)) => {
                        self.diag(Code::AbbreviatedRoot, n, path_col, format!("\"{short}\" is an abbreviation; regedit ignores this block (write {long})"));
                    }
                    None => {
                        self.diag(Code::Syntax, n, path_col, format!("\"{root}\" is not a registry root (HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_USERS, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG); the block is skipped"));
                    }
                }
                return;
            }
        };
        if path.split('\\').count() > MAX_DEPTH {
            self.diag(Code::Syntax, n, path_col, format!("the key path is deeper than {} levels, the registry's limit; the block is skipped", MAX_DEPTH));
            return;
        }
        if path.split('\\').any(str::is_empty) {
            self.diag(
                Code::Syntax,
                n,
                path_col,
                "the key path has an empty component (\\\\); the block is skipped".into(),
            );
            return;
        }
        if delete {
            self.items.push(Located {
                line: n,
                col,
                item: Item::DeleteKey { path },
            });
        } else {
            self.items.push(Located {
                line: n,
                col,
                item: Item::Key { path: path.clone() },
            });
            self.key = Open::Key(path);
        }
    }

    /// A quoted string starting at `s[0] == '"'`: its text and the rest after the quote.
    fn quoted<'a>(&mut self, s: &'a str, n: usize, col: usize) -> Option<(String, &'a str)> {
        let mut out = String::new();
        let mut chars = s.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((out, &s[i + 1..])),
                '\\' => match chars.next() {
                    Some((_, e @ ('\\' | '"'))) => out.push(e),
                    Some((j, '0')) => {
                        self.diag(
                            Code::Syntax,
                            n,
                            col + s[..j].chars().count() - 1,
                            "\"\\0\" in a quoted string: regedit stops reading the file here"
                                .into(),
                        );
                        self.stop = true;
                        return None;
                    }
                    Some((j, e)) => {
                        self.diag(
                            Code::UnknownEscape,
                            n,
                            col + s[..j].chars().count() - 1,
                            format!("\"\\{e}\" is not an escape regedit knows; it reads \"{e}\""),
                        );
                        out.push(e);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.diag(
            Code::Syntax,
            n,
            col,
            "a quoted string is not closed; the line is skipped".into(),
        );
        None
    }

    /// A value line (starting with `@` or `"`); continuation lines of hex data are taken
    /// from `lines[*next..]`, and `*next` moves past them.
    fn value_line(&mut self, line: &str, n: usize, col: usize, lines: &[&str], next: &mut usize) {
        let (name, rest) = if let Some(r) = line.strip_prefix('@') {
            (String::new(), r)
        } else {
            match self.quoted(line, n, col) {
                Some(x) => x,
                None => return,
            }
        };
        let at = |s: &str| col_of(line, s, col);
        let rest = rest.trim_start_matches(WS);
        let Some(data) = rest.strip_prefix('=') else {
            self.diag(
                Code::Syntax,
                n,
                at(rest),
                "\"=\" expected after the value name".into(),
            );
            return;
        };
        let data = data.trim_matches(WS);
        let data_col = at(data);
        let parsed = self.data(data, n, data_col, lines, next);
        let key = match &self.key {
            Open::Key(k) => k.clone(),
            Open::Before => {
                self.diag(
                    Code::ValueBeforeKey,
                    n,
                    col,
                    "a value line outside any [KEY] block; it is skipped".into(),
                );
                return;
            }
            Open::Deleted(k) => {
                let k = *k;
                self.diag(Code::ValueAfterDelete, n, col, format!("a value line after the [-KEY] on line {k}: regedit has no key open there and skips it"));
                return;
            }
            Open::Failed => return,
        };
        if let Some(d) = parsed {
            self.items.push(Located {
                line: n,
                col,
                item: Item::Value { key, name, data: d },
            });
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &str) -> Vec<String> {
        let f = parse(src.as_bytes(), ReadOptions::default());
        let mut r = crate::memreg::MemRegistry::new();
        f.apply(&mut r);
        r.value_lines()
    }

    #[test]
    fn every_form() {
        let src = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"s\"=\"a\\\"b\\\\c\"\r\n@=dword:00000001\r\n\"b\"=hex:01,02,\\\r\n  03\r\n\"m\"=hex(7):61,00,00,00,00,00 ; comment\r\n\"q\"=hex(b):01,00,00,00,00,00,00,00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"s\"=-\r\n";
        assert_eq!(
            lines(src),
            [
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A\t@\tREG_DWORD\t0x00000001",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A\tb\tREG_BINARY\thex:010203",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A\tm\tREG_MULTI_SZ\ta",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A\tq\tREG_QWORD\t0x0000000000000001",
            ]
        );
    }

    #[test]
    fn continuation_lines_as_regedit_reads_them() {
        let h = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n";
        let read = |body: &str| {
            let f = parse(format!("{h}{body}").as_bytes(), ReadOptions::default());
            let codes: Vec<&str> = f.diagnostics.iter().map(|d| d.code.as_str()).collect();
            let mut r = crate::memreg::MemRegistry::new();
            f.apply(&mut r);
            (r.value_lines(), codes.join(","))
        };
        let b = |hex: &str| {
            vec![format!(
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A\tb\tREG_BINARY\thex:{hex}"
            )]
        };
        // A comment after the backslash, and comment and blank lines between.
        assert_eq!(
            read("\"b\"=hex:01,\\ ; c\r\n; c\r\n\r\n  02\r\n"),
            (b("0102"), String::new())
        );
        // Lone CR line ends.
        assert_eq!(read("\"b\"=hex:01,\\\r  02\r"), (b("0102"), String::new()));
        // A continuation that is not hex drops the value and that line.
        assert_eq!(
            read("\"b\"=hex:01,\\\r\n\"c\"=dword:00000001\r\n").0,
            Vec::<String>::new()
        );
        // Spaces after a comma: read, with a warning.
        assert_eq!(
            read("\"b\"=hex:01, 02\r\n"),
            (b("0102"), "hex-spacing".into())
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        for bytes in [
            &b""[..],
            b"\xff",
            b"\xfe\xff\x00",
            b"[",
            b"\"",
            b"[HKLM\\x]\n\"a\"=hex(",
            b"\xef\xbb\xbf[\n@=\"\\",
            b"Windows Registry Editor Version 5.00\n[HKEY_USERS\\\xc3]\n\"\"=dword:fffffffff",
        ] {
            let _ = parse(bytes, ReadOptions::default());
        }
    }
}
