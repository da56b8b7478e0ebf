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

/// Parses `.reg` bytes. Problems are collected; nothing panics.
pub fn parse(bytes: &[u8], opts: ReadOptions) -> RegFile {
    let mut diags = Vec::new();
    let (encoding, bom, text) = decode(bytes, opts, &mut diags);
    let mut p = Parser {
        diags,
        items: Vec::new(),
        key: None,
        header: Header::Missing,
        ansi: opts.ansi.unwrap_or(WINDOWS_1252),
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

struct Parser {
    diags: Vec<Diagnostic>,
    items: Vec<Located>,
    /// The current key, `None` before the first `[KEY]` and after a `[-KEY]`.
    key: Option<String>,
    header: Header,
    ansi: &'static Encoding,
}

impl Parser {
    fn diag(&mut self, code: Code, line: usize, col: usize, message: String) {
        self.diags.push(placed(code, line, col, message));
    }

    fn run(&mut self, text: &str, encoding: &str, bom: bool) {
        let lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let mut i = 0;
        // The header: the first line that is not blank.
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        match lines.get(i).map(|l| l.trim_end()) {
            Some(HEADER) => {
                self.header = Header::V5;
                i += 1;
            }
            Some("REGEDIT4") => {
                self.header = Header::Regedit4;
                i += 1;
            }
            Some(l) if l.to_ascii_uppercase().starts_with("REGEDIT") || l.to_ascii_lowercase().starts_with("windows registry editor") => {
                self.header = Header::Other(l.to_string());
                self.diag(Code::BadHeader, i + 1, 1, format!("the header \"{l}\" is not \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" exactly; regedit ignores the whole file"));
                i += 1;
            }
            _ => self.diag(Code::MissingHeader, i.min(lines.len().saturating_sub(1)) + 1, 1, "the file has no \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" line first; regedit ignores the whole file".into()),
        }
        if encoding == "UTF-8" && bom && self.header == Header::V5 {
            self.diag(Code::Utf8Bom, 1, 1, "UTF-8 with a byte-order mark under the 5.00 header: regedit ignores the whole file (save it as UTF-16LE, as regedit does)".into());
        }
        if !bom && !text.is_ascii() && self.header != Header::Regedit4 && encoding == "UTF-8" {
            self.diag(Code::AnsiText, 1, 1, "the file has non-ASCII text but no byte-order mark; regedit reads such a file in the ANSI code page, so that text would be garbled".into());
        }
        while i < lines.len() {
            let start = i;
            let line = lines[i];
            i += 1;
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with(';') {
                continue;
            }
            let indent = line.chars().count() - trimmed.chars().count();
            if trimmed.starts_with('[') {
                self.key_line(trimmed, start + 1, indent + 1);
                continue;
            }
            // Join continuation lines: a trailing backslash (after spaces) continues.
            let mut logical = trimmed.trim_end().to_string();
            while logical.ends_with('\\') && i < lines.len() && !in_open_string(&logical) {
                logical.pop();
                logical.push_str(lines[i].trim());
                i += 1;
            }
            self.value_line(&logical, start + 1, indent + 1);
        }
    }

    fn key_line(&mut self, line: &str, n: usize, col: usize) {
        let Some(end) = line.rfind(']') else {
            self.diag(
                Code::Syntax,
                n,
                col,
                "a key line without its closing \"]\"; the block is skipped".into(),
            );
            self.key = None;
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
        let path_col = col + 1 + delete as usize;
        let path = path.trim_end_matches('\\');
        let root = path.split('\\').next().unwrap_or_default();
        let full = ROOTS
            .iter()
            .find(|(long, _)| root.eq_ignore_ascii_case(long))
            .map(|(l, _)| *l);
        let path = match full {
            Some(long) => format!("{long}{}", &path[root.len()..]),
            None => match ROOTS
                .iter()
                .find(|(_, short)| root.eq_ignore_ascii_case(short))
            {
                Some((long, short)) => {
                    self.diag(Code::AbbreviatedRoot, n, path_col, format!("\"{short}\" is an abbreviation; regedit ignores this block (write {long})"));
                    format!("{long}{}", &path[root.len()..])
                }
                None => {
                    self.diag(Code::Syntax, n, path_col, format!("\"{root}\" is not a registry root (HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_USERS, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG); the block is skipped"));
                    self.key = None;
                    return;
                }
            },
        };
        if path.split('\\').count() > MAX_DEPTH {
            self.diag(Code::Syntax, n, path_col, format!("the key path is deeper than {} levels, the registry's limit; the block is skipped", MAX_DEPTH));
            self.key = None;
            return;
        }
        if path.split('\\').any(str::is_empty) {
            self.diag(
                Code::Syntax,
                n,
                path_col,
                "the key path has an empty component (\\\\); the block is skipped".into(),
            );
            self.key = None;
            return;
        }
        if delete {
            self.items.push(Located {
                line: n,
                col,
                item: Item::DeleteKey { path },
            });
            self.key = None;
        } else {
            self.items.push(Located {
                line: n,
                col,
                item: Item::Key { path: path.clone() },
            });
            self.key = Some(path);
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

    fn value_line(&mut self, line: &str, n: usize, col: usize) {
        let (name, rest) = if let Some(r) = line.strip_prefix('@') {
            (String::new(), r)
        } else if line.starts_with('"') {
            match self.quoted(line, n, col) {
                Some(x) => x,
                None => return,
            }
        } else {
            self.diag(
                Code::Syntax,
                n,
                col,
                format!(
                    "a line that is neither a [KEY] nor a \"name\"=value: \"{}\"",
                    truncate(line)
                ),
            );
            return;
        };
        let rest_col = col + line.chars().count() - rest.chars().count();
        let rest = rest.trim_start();
        let Some(data) = rest.strip_prefix('=') else {
            self.diag(
                Code::Syntax,
                n,
                rest_col,
                "\"=\" expected after the value name".into(),
            );
            return;
        };
        let data = data.trim_start();
        let data_col = col + line.chars().count() - data.chars().count();
        let Some(key) = self.key.clone() else {
            self.diag(
                Code::ValueBeforeKey,
                n,
                col,
                "a value line outside any [KEY] block; it is skipped".into(),
            );
            return;
        };
        let parsed = self.data(data, n, data_col);
        if let Some(d) = parsed {
            self.items.push(Located {
                line: n,
                col,
                item: Item::Value { key, name, data: d },
            });
        }
    }

    /// The data after `=`: `Some(None)` for `-` (delete), `Some(Some(..))` for a value.
    fn data(&mut self, data: &str, n: usize, col: usize) -> Option<Option<(u32, Vec<u8>)>> {
        let strip_comment = |s: &str| s.split(';').next().unwrap_or_default().trim().to_string();
        if data.trim() == "-" {
            return Some(None);
        }
        if data.starts_with('"') {
            let (text, rest) = self.quoted(data, n, col)?;
            if !rest.trim().is_empty() && !rest.trim_start().starts_with(';') {
                self.diag(
                    Code::Syntax,
                    n,
                    col + data.chars().count() - rest.chars().count(),
                    format!(
                        "text after the closing quote: \"{}\"",
                        truncate(rest.trim())
                    ),
                );
                return None;
            }
            return Some(Some((1, crate::value::utf16z(&text))));
        }
        let lower = data.to_ascii_lowercase();
        if let Some(digits) = lower.strip_prefix("dword:") {
            let digits = strip_comment(digits);
            if digits.is_empty()
                || digits.len() > 8
                || !digits.chars().all(|c| c.is_ascii_hexdigit())
            {
                self.diag(
                    Code::BadData,
                    n,
                    col,
                    format!("dword:{digits} is not 1 to 8 hex digits; the value is skipped"),
                );
                return None;
            }
            if digits.len() < 8 {
                self.diag(Code::DwordDigits, n, col, format!("dword:{digits} has {} digits; regedit writes 8 (dword:{:0>8}) and hivex rejects fewer", digits.len(), digits));
            }
            let v = u32::from_str_radix(&digits, 16).unwrap_or_default();
            return Some(Some((4, v.to_le_bytes().to_vec())));
        }
        if lower.starts_with("str(") || lower.starts_with("str:") {
            self.diag(
                Code::UnsupportedType,
                n,
                col,
                "str(N): is a Wine and hivex extension regedit does not know; the value is skipped"
                    .into(),
            );
            return None;
        }
        let (type_code, hex) = if let Some(h) = lower.strip_prefix("hex:") {
            (3u32, h.to_string())
        } else if let Some(r) = lower.strip_prefix("hex(") {
            let Some(close) = r.find("):") else {
                self.diag(
                    Code::Syntax,
                    n,
                    col,
                    "hex( without its closing \"):\"".into(),
                );
                return None;
            };
            match u32::from_str_radix(&r[..close], 16) {
                Ok(t) => (t, r[close + 2..].to_string()),
                Err(_) => {
                    self.diag(
                        Code::BadData,
                        n,
                        col,
                        format!("hex({}) is not a hex type number", &r[..close]),
                    );
                    return None;
                }
            }
        } else {
            self.diag(
                Code::Syntax,
                n,
                col,
                format!("value data regedit cannot read: \"{}\"", truncate(data)),
            );
            return None;
        };
        let hex = strip_comment(&hex);
        let mut bytes = Vec::new();
        for (k, part) in hex.split(',').enumerate() {
            let part = part.trim();
            if part.is_empty() && (hex.trim().is_empty() || k > 0 && hex.trim_end().ends_with(','))
            {
                continue;
            }
            match u8::from_str_radix(part, 16) {
                Ok(b) if part.len() <= 2 => bytes.push(b),
                _ => {
                    self.diag(
                        Code::BadData,
                        n,
                        col,
                        format!(
                            "\"{}\" is not a hex byte; the value is skipped",
                            truncate(part)
                        ),
                    );
                    return None;
                }
            }
        }
        // REGEDIT4 files carry string types as ANSI bytes; regedit stores them as UTF-16.
        if self.header == Header::Regedit4 && matches!(type_code, 1 | 2 | 7) {
            let (s, _) = self.ansi.decode_without_bom_handling(&bytes);
            bytes = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        }
        Some(Some((type_code, bytes)))
    }
}

/// Whether a line ends inside an open quoted string (a backslash there is data).
fn in_open_string(s: &str) -> bool {
    let mut open = false;
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && open {
            escaped = true;
        } else if c == '"' {
            open = !open;
        }
    }
    open
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
