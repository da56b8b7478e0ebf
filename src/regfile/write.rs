//! Writing `.reg` files: the regedit 5.00 framing (BOM `FF FE`, UTF-16LE, CRLF, the header
//! line; or hivexregedit's UTF-8 with LF), key lines, escaping, and value lines (`"quoted"`, `dword:`, `hex(N):` wrapped at
//! regedit's column). The one home of that format: the profile compiler
//! ([`crate::emit::reg`]) builds text with the line functions, `tlsreg export` streams with
//! [`Utf16Writer`].

use std::borrow::Cow;
use std::fmt::Write as _;

/// The first line of a regedit 5.00 file.
pub const HEADER: &str = "Windows Registry Editor Version 5.00";
/// The byte-order mark regedit writes: UTF-16LE.
pub const BOM: [u8; 2] = [0xFF, 0xFE];
/// Where regedit wraps hex data (Wine/ReactOS `MAX_HEX_CHARS`).
const MAX_HEX_CHARS: usize = 77;

/// The header line.
pub fn header(out: &mut String) {
    out.push_str(HEADER);
    out.push_str("\r\n");
}

/// A blank line and `[KEY]`: the start of a block.
pub fn key_line(out: &mut String, key: &str) {
    write!(out, "\r\n[{key}]\r\n").expect("write to String");
}

/// A blank line and `[-KEY]`: the key and its subtree deleted.
pub fn delete_key_line(out: &mut String, key: &str) {
    write!(out, "\r\n[-{key}]\r\n").expect("write to String");
}

/// `"name"=-`: the value deleted.
pub fn delete_value_line(out: &mut String, name: &str) {
    out.push_str(&value_name(name));
    out.push_str("-\r\n");
}

/// The blank line that ends the file.
pub fn end(out: &mut String) {
    out.push_str("\r\n");
}

/// A whole file's text as regedit writes it: BOM and UTF-16LE.
pub fn to_utf16le(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + text.len() * 2);
    out.extend(BOM);
    push_utf16le(&mut out, text);
    out
}

/// A whole file's text as `hivexregedit --merge` reads it: UTF-8 without BOM, LF line ends.
pub fn to_utf8_lf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n").into_bytes()
}

/// Appends `s` as UTF-16LE (no BOM).
pub fn push_utf16le(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        // UTF-16LE of ASCII: each byte followed by a zero.
        let start = out.len();
        out.resize(start + s.len() * 2, 0);
        for (slot, &b) in out[start..].chunks_exact_mut(2).zip(s.as_bytes()) {
            slot[0] = b;
        }
    } else {
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
    }
}

/// Escapes `\` and `"` for a quoted `.reg` string.
fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['\\', '"']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// `"name"=` or `@=` for the default value.
fn value_name(name: &str) -> String {
    if name.is_empty() {
        "@=".to_string()
    } else {
        format!("\"{}\"=", escape(name))
    }
}

/// Whether a REG_SZ can be written as a quoted string: regedit and hivex read no escapes
/// other than `\\` and `\"`, so CR, LF and NUL need `hex(1):`; with `ascii_only` (the hivex
/// flavour) non-ASCII text goes as hex too, since hivexregedit re-encodes quoted strings
/// byte by byte.
fn quotable(s: &str, ascii_only: bool) -> bool {
    !s.chars()
        .any(|c| matches!(c, '\r' | '\n' | '\0') || (ascii_only && !(' '..='~').contains(&c)))
}

/// One value line (with continuations) of any type, from its stored bytes: REG_SZ as a
/// quoted string where that is exact, REG_DWORD as `dword:`, everything else as hex.
pub fn value_line(out: &mut String, name: &str, type_code: u32, bytes: &[u8], ascii_only: bool) {
    let lead = value_name(name);
    out.push_str(&lead);
    match (type_code, crate::value::utf16z_text(bytes)) {
        (1, Some(s)) if quotable(&s, ascii_only) => {
            write!(out, "\"{}\"", escape(&s)).expect("write to String");
        }
        (4, _) if bytes.len() == 4 => write!(
            out,
            "dword:{:08x}",
            crate::value::dword(4, bytes).unwrap_or_default()
        )
        .expect("write to String"),
        _ => {
            let prefix = if type_code == 3 {
                "hex:".to_string()
            } else {
                format!("hex({type_code:x}):")
            };
            out.push_str(&prefix);
            let line_len = lead.encode_utf16().count() + prefix.len();
            write_hex(out, bytes, line_len);
        }
    }
    out.push_str("\r\n");
}

/// Comma-separated hex bytes, wrapped with `\` and a two-space indent as regedit does:
/// a break follows the comma that brings the line to 77 characters or more.
fn write_hex(out: &mut String, bytes: &[u8], mut line_len: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 3 + bytes.len() / 8);
    for (i, b) in bytes.iter().enumerate() {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
        if i + 1 == bytes.len() {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= MAX_HEX_CHARS {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
}

/// A regedit 5.00 file built straight as UTF-16LE bytes, block by block, for streaming:
/// take [`Utf16Writer::bytes`] out whenever it is large enough.
pub struct Utf16Writer {
    /// The bytes written so far and not yet taken.
    pub bytes: Vec<u8>,
    line: String,
}

impl Utf16Writer {
    /// A file with its BOM and header line, `capacity` bytes reserved.
    pub fn new(capacity: usize) -> Self {
        let mut w = Utf16Writer {
            bytes: Vec::with_capacity(capacity),
            line: String::new(),
        };
        w.bytes.extend(BOM);
        w.text(header);
        w
    }

    fn text(&mut self, f: impl FnOnce(&mut String)) {
        self.line.clear();
        f(&mut self.line);
        push_utf16le(&mut self.bytes, &self.line);
    }

    /// `[KEY]`, after a blank line.
    pub fn key(&mut self, key: &str) {
        self.text(|l| key_line(l, key));
    }

    /// One value line, as [`value_line`] writes it for regedit.
    pub fn value(&mut self, name: &str, type_code: u32, data: &[u8]) {
        self.text(|l| value_line(l, name, type_code, data, false));
    }

    /// The blank line that ends the file.
    pub fn end(&mut self) {
        self.text(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_bytes_are_the_text_in_utf16() {
        let mut w = Utf16Writer::new(0);
        w.key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Ä");
        w.value("n", 3, &(0u8..40).collect::<Vec<_>>());
        w.end();
        let mut text = String::new();
        header(&mut text);
        key_line(&mut text, r"HKEY_LOCAL_MACHINE\SOFTWARE\Ä");
        value_line(&mut text, "n", 3, &(0u8..40).collect::<Vec<_>>(), false);
        end(&mut text);
        assert_eq!(w.bytes, to_utf16le(&text));
    }

    #[test]
    fn values_of_each_form() {
        let mut t = String::new();
        value_line(&mut t, r#"q"\"#, 1, &crate::value::utf16z(r#"C:\x"#), false);
        value_line(&mut t, "", 4, &[0xff; 4], false);
        value_line(&mut t, "é", 1, &crate::value::utf16z("é"), true);
        delete_value_line(&mut t, "gone");
        assert_eq!(
            t,
            "\"q\\\"\\\\\"=\"C:\\\\x\"\r\n@=dword:ffffffff\r\n\"é\"=hex(1):e9,00,00,00\r\n\"gone\"=-\r\n"
        );
    }
}
