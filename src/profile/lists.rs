//! What a cipher-suite or curve list must be to be written: the one home of these rules,
//! read by the profile decoder (which explains each break) and by `tlsreg import` (which
//! keeps a list that breaks one as raw data, so the imported profile loads).

use std::collections::HashSet;

/// Why a name cannot be an entry of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    /// Empty, or with a space, a comma or a control character.
    Unwritable,
    /// A cipher-suite name with `-`: an OpenSSL name, where Windows uses IANA names.
    OpenSslName,
}

/// Why `name` cannot be an entry (`suites`: of the cipher-suite list, else the curve list).
pub fn entry_error(name: &str, suites: bool) -> Option<EntryError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
    {
        Some(EntryError::Unwritable)
    } else if suites && name.contains('-') {
        Some(EntryError::OpenSslName)
    } else {
        None
    }
}

/// What two entries are the same under: names are compared without case.
pub fn entry_id(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// Whether `items` can be written as the list: not empty, every entry writable, none twice.
pub fn is_writable(items: &[String], suites: bool) -> bool {
    let mut seen = HashSet::new();
    !items.is_empty()
        && items
            .iter()
            .all(|s| entry_error(s, suites).is_none() && seen.insert(entry_id(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_as_the_decoder_takes_them() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_writable(&l(&["TLS_AES_128_GCM_SHA256"]), true));
        assert!(!is_writable(&l(&[]), true));
        assert!(!is_writable(&l(&["ECDHE-RSA-AES128-GCM-SHA256"]), true));
        assert!(is_writable(&l(&["curve25519", "NistP256"]), false));
        assert!(!is_writable(&l(&["NistP256", "nistp256"]), false));
        assert!(!is_writable(&l(&["TLS_A", "tls_a"]), true));
        assert!(!is_writable(&l(&["a b"]), false));
    }
}
