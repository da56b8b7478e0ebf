//! Patterns: the spellings the loader accepts, derived by asking it (its `normalize`, its
//! list-entry and key-name checks) about every character, written as regexes that ECMA-262
//! and Python read alike.

use crate::catalog;
use crate::keypath::check_key_component;
use crate::profile::lists;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The end of the string, for ECMA-262 and Python alike (Python's `$` also matches before a
/// final line feed, so `"TLS 1.2\n"` would pass where the loader refuses it).
pub(super) const END: &str = "(?![\\s\\S])";

/// How the loader reads each character on its own, found by asking it about every character
/// once: the characters [`catalog::normalize`] drops (separators) and, for each ASCII
/// character a name can hold, the characters it reads as that one; the characters
/// [`lists::entry_error`] refuses in a cipher-suite or a curve name.
pub(super) struct Folding {
    separators: Vec<char>,
    variants: BTreeMap<char, Vec<char>>,
    pub(super) not_in_suites: Vec<char>,
    pub(super) not_in_curves: Vec<char>,
    /// What a registry key name may not hold anywhere (control characters).
    pub(super) key_inner: Vec<char>,
    /// What a key name may not start or end with (those, and white space).
    pub(super) key_edge: Vec<char>,
}

pub(super) fn folding() -> &'static Folding {
    static FOLDING: OnceLock<Folding> = OnceLock::new();
    FOLDING.get_or_init(|| {
        let mut f = Folding {
            separators: Vec::new(),
            variants: BTreeMap::new(),
            not_in_suites: Vec::new(),
            not_in_curves: Vec::new(),
            key_inner: Vec::new(),
            key_edge: Vec::new(),
        };
        for c in unicode() {
            let mut buf = [0; 4];
            let text: &str = c.encode_utf8(&mut buf);
            if lists::entry_error(text, true).is_some() {
                f.not_in_suites.push(c);
            }
            if lists::entry_error(text, false).is_some() {
                f.not_in_curves.push(c);
            }
            if c != '\\' && check_key_component(text).is_err() {
                f.key_edge.push(c);
                if check_key_component(&format!("a{text}a")).is_err() {
                    f.key_inner.push(c);
                }
            }
            let n = catalog::normalize(text);
            let mut it = n.chars();
            match (it.next(), it.next()) {
                (None, _) => f.separators.push(c),
                (Some(l), None) if l.is_ascii() => f.variants.entry(l).or_default().push(c),
                // Several characters, or one beyond ASCII: no catalogue name holds them.
                _ => {}
            }
        }
        f
    })
}

/// Every character.
fn unicode() -> impl Iterator<Item = char> {
    (0..=u32::from(char::MAX)).filter_map(char::from_u32)
}

/// A regex (ECMA-262 and Python alike) for every string that `normalize` turns into `norm`
/// (itself normalized): any separators anywhere, each character in any form normalize reads
/// as it, and a `v` where normalize drops one (`TLSv1.2`).
pub(super) fn loose(norm: &str) -> String {
    let f = folding();
    let sep = format!("{}*", class(&f.separators));
    let one = |c: char| class(f.variants.get(&c).map(Vec::as_slice).unwrap_or(&[c]));
    let mut out = sep.clone();
    for (i, c) in norm.char_indices() {
        if catalog::normalize(&format!("{}v{}", &norm[..i], &norm[i..])) == norm {
            out.push_str(&format!("(?:{}{sep})?", one('v')));
        }
        out.push_str(&one(c));
        out.push_str(&sep);
    }
    out
}

/// The pattern of every spelling of a catalogue entry.
pub(super) fn spellings_of(name: &str, aliases: &[&str]) -> String {
    format!("^(?:{}){END}", spelled(name, aliases))
}

pub(super) fn spelled(name: &str, aliases: &[&str]) -> String {
    let mut norms: Vec<String> = Vec::new();
    for n in std::iter::once(name).chain(aliases.iter().copied()) {
        let n = catalog::normalize(n);
        if !norms.contains(&n) {
            norms.push(n);
        }
    }
    alternatives(norms.iter().map(|n| loose(n)))
}

pub(super) fn alternatives(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join("|")
}

/// `s` with ASCII letters in either case (as `eq_ignore_ascii_case` compares).
pub(super) fn ascii_ci(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                class(&[c.to_ascii_uppercase(), c.to_ascii_lowercase()])
            } else {
                class(&[c])
            }
        })
        .collect()
}

/// A regex matching any one of `chars`, written so that ECMA-262 (with or without the `u`
/// flag) and Python read it alike: ASCII letters and digits as they are, everything else as
/// `\uXXXX` (every character here is in the Basic Multilingual Plane; a unit test checks).
pub(super) fn class(chars: &[char]) -> String {
    match chars {
        [c] => lit(*c),
        _ => format!("[{}]", set(chars)),
    }
}

/// One character of a regex, as [`class`] writes it.
fn lit(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\u{:04x}", u32::from(c))
    }
}

/// The inside of a bracket expression matching any of `chars`, in ranges.
pub(super) fn set(chars: &[char]) -> String {
    let mut sorted = chars.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && u32::from(sorted[i + 1]) == u32::from(end) + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push_str(&lit(start));
        if end != start {
            if u32::from(end) > u32::from(start) + 1 {
                out.push('-');
            }
            out.push_str(&lit(end));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_reads_characters_one_by_one_in_the_bmp() {
        let f = folding();
        assert_eq!(f.separators, ['\t', ' ', '-', '_']);
        // The Kelvin sign is read as k: `P\u{212a}CS` is PKCS to the loader.
        assert_eq!(f.variants[&'k'], ['K', 'k', '\u{212a}']);
        let all = [
            &f.separators,
            &f.not_in_suites,
            &f.not_in_curves,
            &f.key_edge,
        ];
        for c in all
            .into_iter()
            .flatten()
            .chain(f.variants.values().flatten())
        {
            assert!(u32::from(*c) <= 0xffff, "{c:?} is beyond the BMP");
        }
    }

    #[test]
    fn classes_are_ranges() {
        assert_eq!(class(&['a']), "a");
        assert_eq!(class(&['.']), "\\u002e");
        assert_eq!(class(&['b', 'a', 'c', 'x']), "[a-cx]");
        assert_eq!(class(&['a', 'b']), "[ab]");
        assert_eq!(ascii_ci("hk-1"), "[Hh][Kk]\\u002d1");
    }
}
