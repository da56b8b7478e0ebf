//! The name traps of profiles: names that look right but Windows does not read (look-alike
//! slashes, a backslash, DTLS 1.1/1.3, SHA-3, `Triple DES 168/168`), each one small check
//! and its explanation. The `.reg` linter's twins are in [`crate::regfile::lint`].

use super::ctx::quote;
use crate::catalog::{self, NameKind};

/// The look-alike slash (U+2215, U+2044, U+FF0F, U+29F8) in a name, if any.
fn lookalike_slash(typed: &str) -> Option<char> {
    typed
        .chars()
        .find(|c| matches!(c, '\u{2215}' | '\u{2044}' | '\u{ff0f}' | '\u{29f8}'))
}

/// DTLS 1.1 or DTLS 1.3, which Windows does not have: the normalized name.
fn missing_dtls(kind: NameKind, typed: &str) -> Option<String> {
    let norm = catalog::normalize(typed);
    (kind == NameKind::Protocol && (norm == "dtls1.1" || norm == "dtls1.3")).then_some(norm)
}

/// A SHA-3 hash, which Schannel has no key for.
fn sha3(kind: NameKind, typed: &str) -> bool {
    kind == NameKind::Hash && catalog::normalize(typed).starts_with("sha3")
}

/// `Triple DES 168/168`, the cipher key name before Vista.
fn triple_des_168_168(kind: NameKind, typed: &str) -> bool {
    kind == NameKind::Cipher && catalog::normalize(typed) == "tripledes168/168"
}

/// Why `typed`, not a catalogue name of `kind`, is a known trap; `None` when it is not one.
pub(super) fn unknown_name(kind: NameKind, typed: &str) -> Option<String> {
    let noun = kind.noun();
    let msg = if let Some(c) = lookalike_slash(typed) {
        let fixed: String = typed
            .chars()
            .map(|x| if x == c { '/' } else { x })
            .collect();
        format!("{noun} {} contains the look-alike slash U+{:04X}; Windows reads only the ASCII \"/\": write {}", quote(typed), c as u32, quote(&fixed))
    } else if typed.contains('\\') {
        let fixed = typed.replace('\\', "/");
        format!(
            "{noun} {} contains a backslash, which makes nested keys; the key name is {}",
            quote(typed),
            quote(&fixed)
        )
    } else if let Some(norm) = missing_dtls(kind, typed) {
        if norm == "dtls1.1" {
            format!("Windows has no {} (\"DTLS 1.1\" is a typo in Microsoft's 2019 documentation); its DTLS versions are DTLS 1.0 and DTLS 1.2", quote(typed))
        } else {
            format!(
                "Windows has no {}; its DTLS versions are DTLS 1.0 and DTLS 1.2",
                quote(typed)
            )
        }
    } else if sha3(kind, typed) {
        format!("Schannel has no SHA-3 hash key ({}); its hashes are MD5, SHA, SHA256, SHA384 and SHA512", quote(typed))
    } else if triple_des_168_168(kind, typed) {
        "\"Triple DES 168/168\" is the name before Windows Vista; Vista and later read \"Triple DES 168\" (use a raw entry for older systems)".to_string()
    } else {
        return None;
    };
    Some(msg)
}
