//! The data of a value line as regedit reads it: `dword:`, every `hex(N):` list (with its
//! continuation lines, item by item as Wine's `convert_hex_csv_to_hex` does) and strings;
//! a part of [`Parser`](super::Parser).

use super::*;

/// What one line of a hex list comes to.
enum HexLine {
    /// The list ends on this line.
    Done,
    /// A continuation backslash at this byte offset.
    More(usize),
}

/// Reads one line of a comma-separated hex list as Wine's `convert_hex_csv_to_hex` does
/// (each item as `wcstoul(.., 16)` reads it: leading spaces, a sign, a `0x`, any number of
/// digits worth at most 0xff). `Err` is the byte offset and text of the item regedit fails
/// on (it then skips the whole value).
fn hex_line(s: &str, out: &mut Vec<u8>) -> Result<HexLine, (usize, String)> {
    let b = s.as_bytes();
    let item = |at: usize| -> (usize, String) {
        let end = s[at..].find(',').map_or(s.len(), |e| at + e);
        (at, s[at..end].trim_matches(WS).to_string())
    };
    let mut p = 0;
    while p < b.len() {
        let start = p;
        let mut q = p;
        while q < b.len() && matches!(b[q], b' ' | b'\t' | 0x0b | 0x0c) {
            q += 1;
        }
        let neg = q < b.len() && b[q] == b'-';
        if q < b.len() && matches!(b[q], b'+' | b'-') {
            q += 1;
        }
        if q + 2 < b.len() + 1
            && b.get(q) == Some(&b'0')
            && matches!(b.get(q + 1), Some(b'x' | b'X'))
            && b.get(q + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            q += 2;
        }
        let digits = q;
        let mut v: u64 = 0;
        while q < b.len() && b[q].is_ascii_hexdigit() {
            v = v.saturating_mul(16) + u64::from((b[q] as char).to_digit(16).unwrap_or(0));
            q += 1;
        }
        if q == digits {
            // No number: a continuation backslash, a comment, or an error.
            let r = s[start..].trim_start_matches(WS);
            let at = s.len() - r.len();
            return match r.as_bytes().first() {
                Some(b'\\') => Ok(HexLine::More(at)),
                Some(b';') => Ok(HexLine::Done),
                _ => Err(item(start)),
            };
        }
        let v = if neg && v != 0 { u64::MAX } else { v };
        if v > 0xff {
            return Err(item(start));
        }
        out.push(v as u8);
        if q < b.len() && b[q] != b',' {
            return if ends(&s[q..]) {
                Ok(HexLine::Done)
            } else {
                Err(item(start))
            };
        }
        p = q + 1;
    }
    Ok(HexLine::Done)
}

impl Parser {
    /// The data after `=` (spaces and tabs trimmed): `Some(None)` for `-` (delete),
    /// `Some(Some(..))` for a value, `None` for a line regedit skips.
    pub(super) fn data(
        &mut self,
        data: &str,
        n: usize,
        col: usize,
        lines: &[&str],
        next: &mut usize,
    ) -> Option<Option<(u32, Vec<u8>)>> {
        if let Some(rest) = data.strip_prefix('-') {
            if ends(rest) {
                return Some(None);
            }
            self.diag(
                Code::Syntax,
                n,
                col,
                format!(
                    "text after \"-\": \"{}\"; regedit skips the line",
                    truncate(rest.trim())
                ),
            );
            return None;
        }
        if data.starts_with('"') {
            let (text, rest) = self.quoted(data, n, col)?;
            if !ends(rest) {
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
        if let Some(digits) = data.strip_prefix("dword:") {
            return self.dword(digits, n, col);
        }
        let (type_code, hex) = if let Some(h) = data.strip_prefix("hex:") {
            (3u32, h)
        } else if let Some(r) = data.strip_prefix("hex(") {
            // As Wine: `wcstoul` of what follows, then exactly "):".
            let t = r.trim_start_matches([' ', '\t', '+']);
            let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_hexdigit()).len();
            let close = r.len() - t.len() + digits;
            if !r[close..].starts_with("):")
                || r.as_bytes()
                    .get(1)
                    .is_some_and(|c| c.eq_ignore_ascii_case(&b'x'))
            {
                self.diag(
                    Code::Syntax,
                    n,
                    col,
                    "hex( without a hex type number and its closing \"):\"; regedit skips the line"
                        .into(),
                );
                return None;
            }
            match u32::from_str_radix(&t[..digits], 16) {
                Ok(v) => (v, &r[close + 2..]),
                Err(_) if digits == 0 => (0, &r[close + 2..]),
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
            let lower = data.to_ascii_lowercase();
            if let Some(t) = ["dword:", "hex:", "hex("]
                .iter()
                .find(|t| lower.starts_with(*t))
            {
                self.diag(Code::TypeCase, n, col, format!("\"{}\" is not in lower case: regedit reads only \"{t}\" and skips the line", &data[..t.len()]));
            } else if lower.starts_with("str(") || lower.starts_with("str:") {
                self.diag(
                    Code::UnsupportedType,
                    n,
                    col,
                    "str(N): is a Wine and hivex extension regedit does not know; the value is skipped"
                        .into(),
                );
            } else {
                self.diag(
                    Code::Syntax,
                    n,
                    col,
                    format!("value data regedit cannot read: \"{}\"", truncate(data)),
                );
            }
            return None;
        };
        let bytes = self.hex(hex, n, col, lines, next)?;
        Some(Some((
            type_code,
            self.string_bytes(type_code, bytes, n, col),
        )))
    }

    /// `dword:` digits as Wine's `convert_hex_to_dword` reads them.
    fn dword(&mut self, s: &str, n: usize, col: usize) -> Option<Option<(u32, Vec<u8>)>> {
        let t = s.trim_start_matches(WS);
        let count = t.len() - t.trim_start_matches(|c: char| c.is_ascii_hexdigit()).len();
        let digits = &t[..count];
        if t.is_empty() || count > 8 || !ends(&t[count..]) {
            let shown = s.split(';').next().unwrap_or_default().trim();
            self.diag(
                Code::BadData,
                n,
                col,
                format!("dword:{shown} is not 1 to 8 hex digits; the value is skipped"),
            );
            return None;
        }
        if count < 8 {
            self.diag(Code::DwordDigits, n, col, format!("dword:{digits} has {count} digits; regedit writes 8 (dword:{digits:0>8}) and hivex rejects fewer"));
        }
        let v = u32::from_str_radix(digits, 16).unwrap_or_default();
        Some(Some((4, v.to_le_bytes().to_vec())))
    }

    /// A hex list and its continuation lines, as regedit reads them: after a backslash only
    /// a comment may follow; blank and `;` lines between continuation lines are skipped; a
    /// continuation line must start with a hex digit. `None` when regedit skips the value.
    fn hex(
        &mut self,
        first: &str,
        n: usize,
        col: usize,
        lines: &[&str],
        next: &mut usize,
    ) -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        let (mut s, mut at, mut line_col) = (first, n, col);
        let mut spaced = false;
        loop {
            // Spaces inside the list (not those before a comment or a backslash).
            let list = s.split([';', '\\']).next().unwrap_or_default();
            spaced |= list.trim_end_matches(WS).contains(WS);
            match hex_line(s, &mut bytes) {
                Err((off, part)) => {
                    let why = if part.contains(WS) {
                        "; regedit allows spaces only after a comma"
                    } else {
                        ""
                    };
                    self.diag(
                        Code::BadData,
                        at,
                        if at == n {
                            line_col
                        } else {
                            line_col + s[..off].chars().count()
                        },
                        format!(
                            "\"{}\" is not a hex byte{why}; the value is skipped",
                            truncate(&part)
                        ),
                    );
                    return None;
                }
                Ok(HexLine::Done) => break,
                Ok(HexLine::More(b)) => {
                    if !ends(&s[b + 1..]) {
                        self.diag(Code::BadData, at, line_col + s[..b + 1].chars().count(), format!("text after the continuation backslash: \"{}\"; regedit skips the value", truncate(s[b + 1..].trim())));
                        return None;
                    }
                    // The next line with data: blank and comment lines are skipped.
                    loop {
                        let Some(l) = lines.get(*next) else {
                            return Some(self.spaced(bytes, spaced, n, col));
                        };
                        at = *next + 1;
                        *next += 1;
                        let l = self.cut_nul(l, at);
                        let t = l.trim_start_matches(WS);
                        if t.is_empty() || t.starts_with(';') {
                            continue;
                        }
                        if !t.starts_with(|c: char| c.is_ascii_hexdigit()) {
                            self.diag(Code::BadData, at, l.len() - t.len() + 1, format!("the value continued from line {n} goes on with \"{}\", not a hex byte: regedit skips the value and this line", truncate(t.trim_end())));
                            return None;
                        }
                        s = t;
                        line_col = l.len() - t.len() + 1;
                        break;
                    }
                }
            }
        }
        Some(self.spaced(bytes, spaced, n, col))
    }

    fn spaced(&mut self, bytes: Vec<u8>, spaced: bool, n: usize, col: usize) -> Vec<u8> {
        if spaced {
            self.diag(Code::HexSpacing, n, col, "spaces inside the hex list: regedit reads them after a comma only, and hivex not at all; write \"xx,xx\"".into());
        }
        bytes
    }

    /// String data given in hex (`hex(1)`, `hex(2)`, `hex(7)`) as regedit stores it: a final
    /// NUL added when missing; in a REGEDIT4 file that is not UTF-16LE, ANSI bytes widened to
    /// UTF-16LE. A 5.00 file that is not UTF-16LE is read as if it were, with a warning.
    fn string_bytes(&mut self, t: u32, mut bytes: Vec<u8>, n: usize, col: usize) -> Vec<u8> {
        if !matches!(t, 1 | 2 | 7) || bytes.is_empty() {
            return bytes;
        }
        let widen = !self.unicode && self.header == Header::Regedit4;
        if !self.unicode && !widen {
            self.diag(Code::AnsiHexString, n, col, format!("hex({t}) data in a file that is not UTF-16LE with a byte-order mark: regedit reads these bytes as ANSI characters, one per byte, so UTF-16 text comes out with a NUL after each character (save the file as UTF-16LE)"));
        }
        if widen {
            if bytes.last() != Some(&0) {
                self.diag(Code::NoFinalNul, n, col, format!("hex({t}) data without its final NUL (00): regedit adds one, hivex does not"));
                bytes.push(0);
            }
            let (s, _) = self.ansi.decode_without_bom_handling(&bytes);
            return s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        }
        if bytes.len() % 2 == 1 {
            self.diag(Code::BadData, n, col, format!("hex({t}) data has an odd number of bytes ({}), so it is not UTF-16 text; regedit overwrites its last byte", bytes.len()));
            return bytes;
        }
        if bytes[bytes.len() - 2..] != [0, 0] {
            self.diag(
                Code::NoFinalNul,
                n,
                col,
                format!(
                    "hex({t}) data without its final NUL (00,00): regedit adds one, hivex does not"
                ),
            );
            bytes.extend([0, 0]);
        }
        bytes
    }
}
