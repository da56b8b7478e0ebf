//! Names as users type them: the normalized form names are compared in, typed lookups of
//! protocols, ciphers, hashes, key exchanges and scalar fields, and did-you-mean.

use super::{
    CipherRef, HashRef, KeyExchangeRef, ProtocolId, ScalarRef, CIPHERS, HASHES, KEY_EXCHANGES,
    PROTOCOLS, SCALARS,
};

/// The form names are compared in: lower case, without spaces, `-`, `_` and a `v` between
/// a protocol family and its version (`TLSv1.2`).
pub fn normalize(name: &str) -> String {
    let lower: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    for family in ["dtls", "tls", "ssl", "pct"] {
        if let Some(rest) = lower.strip_prefix(family) {
            if let Some(ver) = rest.strip_prefix('v') {
                if ver.starts_with(|c: char| c.is_ascii_digit()) {
                    return format!("{family}{ver}");
                }
            }
        }
    }
    lower
}

/// What kind of named thing a lookup is for (used in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A key under `SCHANNEL\Protocols` ([`super::PROTOCOLS`]).
    Protocol,
    /// A key under `SCHANNEL\Ciphers` ([`super::CIPHERS`]).
    Cipher,
    /// A key under `SCHANNEL\Hashes` ([`super::HASHES`]).
    Hash,
    /// A key under `SCHANNEL\KeyExchangeAlgorithms` ([`super::KEY_EXCHANGES`]).
    KeyExchange,
}

impl NameKind {
    /// The kind in words, for messages (`protocol`, `key exchange`).
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::Protocol => "protocol",
            NameKind::Cipher => "cipher",
            NameKind::Hash => "hash",
            NameKind::KeyExchange => "key exchange",
        }
    }
    /// Canonical names and their aliases, in catalogue order.
    pub fn entries(self) -> Vec<(&'static str, &'static [&'static str])> {
        match self {
            NameKind::Protocol => PROTOCOLS.iter().map(|p| (p.name, p.aliases)).collect(),
            NameKind::Cipher => CIPHERS.iter().map(|a| (a.name, a.aliases)).collect(),
            NameKind::Hash => HASHES.iter().map(|a| (a.name, a.aliases)).collect(),
            NameKind::KeyExchange => KEY_EXCHANGES.iter().map(|a| (a.name, a.aliases)).collect(),
        }
    }
}

/// A catalogue entry a user's name found, typed by its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A protocol.
    Protocol(ProtocolId),
    /// A cipher.
    Cipher(CipherRef),
    /// A hash.
    Hash(HashRef),
    /// A key exchange.
    KeyExchange(KeyExchangeRef),
}

/// Finds a catalogue entry by the name a user typed; the entry, or `Err(suggestion)`.
pub fn find(kind: NameKind, typed: &str) -> Result<Found, Option<&'static str>> {
    let i = lookup(kind, typed)?;
    Ok(match kind {
        NameKind::Protocol => Found::Protocol(PROTOCOLS[i].id),
        NameKind::Cipher => Found::Cipher(CipherRef::at(i)),
        NameKind::Hash => Found::Hash(HashRef::at(i)),
        NameKind::KeyExchange => Found::KeyExchange(KeyExchangeRef::at(i)),
    })
}

/// A scalar setting by its profile field.
pub fn scalar(field: &str) -> Option<ScalarRef> {
    SCALARS
        .iter()
        .position(|s| s.field == field)
        .map(ScalarRef::at)
}

/// Finds a catalogue entry by the name a user typed: its position in the kind's table, or
/// `Err(suggestion)`. Callers outside the catalogue use [`find`].
pub(super) fn lookup(kind: NameKind, typed: &str) -> Result<usize, Option<&'static str>> {
    let want = normalize(typed);
    let entries = kind.entries();
    for (i, (name, aliases)) in entries.iter().enumerate() {
        if normalize(name) == want || aliases.iter().any(|a| normalize(a) == want) {
            return Ok(i);
        }
    }
    Err(did_you_mean(typed, entries.iter().map(|(n, _)| *n)))
}

/// The closest candidate to `typed`, if one is close enough to be a likely typo; on a tie
/// the later candidate wins (catalogue lists run oldest to newest, so `TLS 1.4` suggests `TLS 1.3`).
pub fn did_you_mean<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let want = normalize(typed);
    let mut best: Option<(f64, &'a str)> = None;
    for cand in candidates {
        let score = strsim::jaro_winkler(&want, &normalize(cand));
        if score >= 0.85 && best.is_none_or(|(s, _)| score >= s) {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c)
}
