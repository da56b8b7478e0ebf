//! The name traps of profiles: names that look right but Windows does not read (look-alike
//! slashes, a backslash, DTLS 1.1/1.3, SHA-3, `Triple DES 168/168`), each one small check
//! worded for a profile; the facts are [`crate::catalog::traps`], which the `.reg` linter
//! and the audit read too.

use crate::catalog::{self, traps, NameKind};
use crate::diag::quote;

/// DTLS 1.1 or DTLS 1.3, which Windows does not have: the normalized name.
fn missing_dtls(kind: NameKind, typed: &str) -> Option<String> {
    (kind == NameKind::Protocol && traps::is_missing_dtls(typed)).then(|| catalog::normalize(typed))
}

/// `Triple DES 168/168`, the cipher key name before Vista, in any spelling a profile may use.
fn triple_des_168_168(kind: NameKind, typed: &str) -> bool {
    kind == NameKind::Cipher
        && catalog::normalize(typed) == catalog::normalize(traps::PRE_VISTA_TRIPLE_DES)
}

/// Why `typed`, not a catalogue name of `kind`, is a known trap; `None` when it is not one.
pub(super) fn unknown_name(kind: NameKind, typed: &str) -> Option<String> {
    let noun = kind.noun();
    let msg = if let Some(c) = traps::lookalike_slash(typed) {
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
    } else if kind == NameKind::Hash && traps::is_sha3(typed) {
        format!("Schannel has no SHA-3 hash key ({}); its hashes are MD5, SHA, SHA256, SHA384 and SHA512", quote(typed))
    } else if triple_des_168_168(kind, typed) {
        "\"Triple DES 168/168\" is the name before Windows Vista; Vista and later read \"Triple DES 168\" (use a raw entry for older systems)".to_string()
    } else {
        return None;
    };
    Some(msg)
}
