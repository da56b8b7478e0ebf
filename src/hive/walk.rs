//! Reading keys out of hive bytes through nt-hive: finding a key by a linear,
//! case-insensitive scan (nt-hive's binary search misses subkeys stored out of order),
//! reading values (including the format 1.3 big values nt-hive does not read), and the one
//! depth-first traversal of a tree, with the one guard against cycles and runaway nesting.
//! [`HiveFile::walk`](super::HiveFile::walk) and the tree requests of
//! [`HiveFile::extract`](super::HiveFile::extract) both use that traversal.

use super::error::HiveError;
use crate::keypath::{fold, MAX_DEPTH};
use nt_hive::{KeyNode, KeyValueData, NtHiveError};
use std::collections::hash_map::{Entry, HashMap};
use std::path::Path;

/// Most keys one tree request copies.
pub(crate) const MAX_KEYS: usize = 200_000;

/// What [`HiveFile::walk`](super::HiveFile::walk) reports, depth first in the hive's own
/// order.
pub enum WalkEvent<'a> {
    /// A key (its full path); its values follow, then its subkeys.
    Key(&'a str),
    /// A value of the last key.
    Value {
        /// The value name; `""` is the default value.
        name: &'a str,
        /// The stored type code (any `u32`, including types with no name).
        type_code: u32,
        /// The stored bytes.
        data: &'a [u8],
    },
    /// A value of the last key whose name an earlier value of that key already has (names
    /// compare case-insensitively): Windows' lookup returns the first, so this one is never
    /// read. `first` is the earlier value's name as spelled.
    Shadowed {
        /// This value's name as spelled.
        name: &'a str,
        /// The earlier value's name as spelled.
        first: &'a str,
        /// This value's stored type code.
        type_code: u32,
        /// This value's stored bytes.
        data: &'a [u8],
    },
    /// A value or subkey that could not be read (it is left out).
    Damaged {
        /// The full path of the key that holds it.
        key: &'a str,
        /// What could not be read: `"a value"`, `"the value list"`, `"a subkey"` or
        /// `"the subkey list"`.
        what: String,
        /// Why.
        error: HiveError,
    },
}

/// What a fault met on the way does to a traversal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Faults {
    /// The first fault ends the traversal with its error (an extraction is all or nothing).
    Stop,
    /// A fault is reported as [`WalkEvent::Damaged`] and what it hides is left out.
    Skip,
}

/// The guard of one traversal: the keys above the current one (a key that is its own
/// ancestor is a cycle in the subkey lists), the depth, and for [`Faults::Stop`] a budget
/// of keys. Each policy keeps the limits it has always had: an extraction fails below
/// [`MAX_DEPTH`] levels under its start or past [`MAX_KEYS`] keys; a walk leaves out a
/// branch at [`MAX_DEPTH`] levels.
pub(crate) struct Guard {
    faults: Faults,
    /// Identities of the keys above the current one (those whose name could be read).
    ancestors: Vec<usize>,
    depth: usize,
    budget: usize,
}

impl Guard {
    pub(crate) fn new(faults: Faults) -> Guard {
        Guard {
            faults,
            ancestors: Vec::new(),
            depth: 0,
            budget: MAX_KEYS,
        }
    }

    /// Whether the key `id` at `full` may be entered; `Err` names why not.
    pub(crate) fn check(&mut self, id: Option<usize>, full: &str) -> Result<(), String> {
        let cycle = id.is_some_and(|id| self.ancestors.contains(&id));
        match self.faults {
            Faults::Stop => {
                if self.depth > MAX_DEPTH {
                    return Err(format!("{full}: keys nest deeper than {MAX_DEPTH} levels (a cycle in the subkey lists?)"));
                }
                if self.budget == 0 {
                    return Err(format!(
                        "{full}: more than {MAX_KEYS} keys below it (a cycle in the subkey lists?)"
                    ));
                }
                self.budget -= 1;
                if cycle {
                    return Err(format!(
                        "{full}: a subkey list leads back to an ancestor (a cycle)"
                    ));
                }
            }
            Faults::Skip => {
                if cycle {
                    return Err(format!("{full}: a subkey list leads back to an ancestor (a cycle); the branch is left out"));
                }
                if self.ancestors.len() >= MAX_DEPTH {
                    return Err(format!(
                        "{full}: keys nest deeper than {MAX_DEPTH} levels; the branch is left out"
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn push(&mut self, id: Option<usize>) {
        self.depth += 1;
        self.ancestors.extend(id);
    }

    pub(crate) fn pop(&mut self, id: Option<usize>) {
        self.depth -= 1;
        if id.is_some() {
            self.ancestors.pop();
        }
    }
}

/// A hive's bytes as nt-hive reads them, and the path errors name.
pub(crate) struct Reader<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
}

type Node<'h> = KeyNode<'h, &'h [u8]>;

impl Reader<'_> {
    pub(crate) fn nt_error(&self, e: NtHiveError) -> HiveError {
        match nt_offset(&e) {
            Some(offset) => HiveError::Corrupt {
                path: self.path.to_path_buf(),
                offset,
                message: e.to_string(),
            },
            None => HiveError::Invalid {
                path: self.path.to_path_buf(),
                message: e.to_string(),
            },
        }
    }

    pub(crate) fn invalid(&self, message: String) -> HiveError {
        HiveError::Invalid {
            path: self.path.to_path_buf(),
            message,
        }
    }

    /// The node at `path` (backslash-separated, relative to `root`), if it exists.
    pub(crate) fn find<'h>(
        &self,
        root: &Node<'h>,
        path: &str,
    ) -> Result<Option<Node<'h>>, HiveError> {
        let mut node = root.clone();
        for comp in path.split('\\').filter(|c| !c.is_empty()) {
            match self.child(&node, comp)? {
                Some(n) => node = n,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// A direct subkey by name: a linear, case-insensitive scan, so out-of-order subkey
    /// lists are read correctly.
    fn child<'h>(&self, node: &Node<'h>, name: &str) -> Result<Option<Node<'h>>, HiveError> {
        let Some(subkeys) = node.subkeys() else {
            return Ok(None);
        };
        for k in subkeys.map_err(|e| self.nt_error(e))? {
            let k = k.map_err(|e| self.nt_error(e))?;
            if name_eq(&k.name().map_err(|e| self.nt_error(e))?, name) {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    /// The names of a key's direct subkeys.
    pub(crate) fn child_names(&self, node: &KeyNode<'_, &[u8]>) -> Result<Vec<String>, HiveError> {
        let Some(subkeys) = node.subkeys() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for k in subkeys.map_err(|e| self.nt_error(e))? {
            let k = k.map_err(|e| self.nt_error(e))?;
            out.push(k.name().map_err(|e| self.nt_error(e))?.to_string_lossy());
        }
        Ok(out)
    }

    /// A fault: the error under [`Faults::Stop`], a [`WalkEvent::Damaged`] under
    /// [`Faults::Skip`].
    fn fault(
        &self,
        faults: Faults,
        f: &mut dyn FnMut(WalkEvent<'_>),
        key: &str,
        what: &str,
        error: HiveError,
    ) -> Result<(), HiveError> {
        match faults {
            Faults::Stop => Err(error),
            Faults::Skip => {
                f(WalkEvent::Damaged {
                    key,
                    what: what.into(),
                    error,
                });
                Ok(())
            }
        }
    }

    /// One key: [`WalkEvent::Key`], then a [`WalkEvent::Value`] for each of its values, or a
    /// [`WalkEvent::Shadowed`] for a value whose name an earlier one has.
    pub(crate) fn key(
        &self,
        node: &KeyNode<'_, &[u8]>,
        full: &str,
        faults: Faults,
        f: &mut dyn FnMut(WalkEvent<'_>),
    ) -> Result<(), HiveError> {
        f(WalkEvent::Key(full));
        let values = match node.values() {
            None => return Ok(()),
            Some(Ok(values)) => values,
            Some(Err(e)) => return self.fault(faults, f, full, "the value list", self.nt_error(e)),
        };
        // The key's value names so far, folded → as spelled: the one place that decides
        // which of two same-named values Windows reads (the first).
        let mut seen: HashMap<String, String> = HashMap::new();
        for v in values {
            let read = (|| {
                let v = v?;
                let name = v.name()?.to_string_lossy();
                let t = raw_type(&v)?;
                let bytes = self.value_bytes(&v)?;
                Ok::<_, NtHiveError>((name, t, bytes))
            })();
            match read {
                Ok((name, t, bytes)) => match seen.entry(fold(&name)) {
                    Entry::Occupied(first) => f(WalkEvent::Shadowed {
                        name: &name,
                        first: first.get(),
                        type_code: t,
                        data: &bytes,
                    }),
                    Entry::Vacant(slot) => {
                        slot.insert(name.clone());
                        f(WalkEvent::Value {
                            name: &name,
                            type_code: t,
                            data: &bytes,
                        })
                    }
                },
                Err(e) => self.fault(faults, f, full, "a value", self.nt_error(e))?,
            }
        }
        Ok(())
    }

    /// A key, its values and every key below it, depth first in the hive's own order; a
    /// cycle or runaway nesting stops the branch (with an error under [`Faults::Stop`]).
    pub(crate) fn tree(
        &self,
        node: &KeyNode<'_, &[u8]>,
        full: &str,
        guard: &mut Guard,
        f: &mut dyn FnMut(WalkEvent<'_>),
    ) -> Result<(), HiveError> {
        let faults = guard.faults;
        let id = node_id(node);
        if let Err(message) = guard.check(id, full) {
            return self.fault(faults, f, full, "subkeys", self.invalid(message));
        }
        self.key(node, full, faults, f)?;
        let subkeys = match node.subkeys() {
            None => return Ok(()),
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                return self.fault(faults, f, full, "the subkey list", self.nt_error(e))
            }
        };
        guard.push(id);
        for k in subkeys {
            let named = k.and_then(|k| {
                let name = k.name()?.to_string_lossy();
                Ok((name, k))
            });
            let step = match named {
                Ok((name, k)) => self.tree(&k, &format!("{full}\\{name}"), guard, f),
                Err(e) => self.fault(faults, f, full, "a subkey", self.nt_error(e)),
            };
            if step.is_err() {
                guard.pop(id);
                return step;
            }
        }
        guard.pop(id);
        Ok(())
    }

    /// A value's data. A zero size needs no data cell (nt-hive asserts on the 0xFFFFFFFF
    /// offset such values carry). Data over 16344 bytes is a big-data list in hive format
    /// 1.4 and later, but one plain cell in format 1.3 hives, which nt-hive does not read:
    /// that cell is read here, bounded by its own size.
    fn value_bytes(&self, v: &nt_hive::KeyValue<'_, &[u8]>) -> Result<Vec<u8>, NtHiveError> {
        let size = v.data_size() as usize;
        if size == 0 {
            return Ok(Vec::new());
        }
        match v.data() {
            Ok(KeyValueData::Small(b)) => Ok(b.to_vec()),
            Ok(KeyValueData::Big(iter)) => {
                let mut all = Vec::with_capacity(size);
                for part in iter {
                    all.extend_from_slice(part?);
                }
                Ok(all)
            }
            Err(NtHiveError::InvalidTwoByteSignature {
                offset,
                expected,
                actual,
            }) if expected == b"db" => {
                // `offset` is where the cell's data starts; its size field is 4 bytes before.
                let cell = offset.checked_sub(4).filter(|c| c + 4 <= self.bytes.len());
                let cell_size = cell.map(|c| {
                    i32::from_le_bytes([
                        self.bytes[c],
                        self.bytes[c + 1],
                        self.bytes[c + 2],
                        self.bytes[c + 3],
                    ])
                });
                match cell_size {
                    Some(cs)
                        if cs < 0
                            && (cs.unsigned_abs() as usize).saturating_sub(4) >= size
                            && offset + size <= self.bytes.len() =>
                    {
                        Ok(self.bytes[offset..offset + size].to_vec())
                    }
                    _ => Err(NtHiveError::InvalidTwoByteSignature {
                        offset,
                        expected,
                        actual,
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// The file offset an nt-hive error names, if any.
fn nt_offset(e: &NtHiveError) -> Option<usize> {
    match e {
        NtHiveError::InvalidDataSize { offset, .. }
        | NtHiveError::InvalidFourByteSignature { offset, .. }
        | NtHiveError::InvalidHeaderSize { offset, .. }
        | NtHiveError::InvalidSizeField { offset, .. }
        | NtHiveError::InvalidSizeFieldAlignment { offset, .. }
        | NtHiveError::InvalidTwoByteSignature { offset, .. }
        | NtHiveError::UnallocatedCell { offset, .. }
        | NtHiveError::UnsupportedKeyValueDataType { offset, .. } => Some(*offset),
        _ => None,
    }
}

/// A value's type number, including those nt-hive has no name for (Windows stores device
/// property types such as 0xffff0011 as value types).
fn raw_type(v: &nt_hive::KeyValue<'_, &[u8]>) -> Result<u32, NtHiveError> {
    match v.data_type() {
        Ok(t) => Ok(t as u32),
        Err(NtHiveError::UnsupportedKeyValueDataType { actual, .. }) => Ok(actual),
        Err(e) => Err(e),
    }
}

/// A key's identity: where its name lies in the hive bytes.
pub(crate) fn node_id(node: &KeyNode<'_, &[u8]>) -> Option<usize> {
    match node.name().ok()? {
        nt_hive::NtHiveNameString::Latin1(b) | nt_hive::NtHiveNameString::Utf16LE(b) => {
            Some(b.as_ptr() as usize)
        }
    }
}

/// Whether a stored key name equals `want` as nt-hive (and Windows) compare names. A Latin-1
/// name against an ASCII `want` is compared byte by byte, ASCII case folded: no Latin-1
/// character outside ASCII upper-cases into ASCII, nor an ASCII one out of it, so that is
/// nt-hive's answer without its per-character UTF-16 table lookups (the audit's hottest
/// loop). Anything else is nt-hive's own comparison.
pub(crate) fn name_eq(stored: &nt_hive::NtHiveNameString<'_>, want: &str) -> bool {
    if let nt_hive::NtHiveNameString::Latin1(b) = stored {
        if want.is_ascii() {
            return b.eq_ignore_ascii_case(want.as_bytes());
        }
    }
    *stored == want
}

#[cfg(test)]
mod tests {
    use super::name_eq;
    use nt_hive::NtHiveNameString;

    /// The fast path gives nt-hive's answer for every Latin-1 character against every
    /// ASCII one, and for names that differ in length or only in case.
    #[test]
    fn the_latin1_fast_path_is_nt_hives_comparison() {
        for b in 0..=255u8 {
            for a in 0..128u8 {
                let stored = [b];
                let want = (a as char).to_string();
                let nt = NtHiveNameString::Latin1(&stored) == want.as_str();
                assert_eq!(
                    name_eq(&NtHiveNameString::Latin1(&stored), &want),
                    nt,
                    "{b:#x} vs {a:#x}"
                );
            }
        }
        for (stored, want) in [
            (&b"SecurityProviders"[..], "SECURITYPROVIDERS"),
            (b"TLS 1.2", "tls 1.2"),
            (b"TLS 1.2", "TLS 1.2 "),
            (b"Ciphers\xe9", "CIPHERS\u{c9}"),
            (b"", ""),
        ] {
            let nt = NtHiveNameString::Latin1(stored) == want;
            assert_eq!(
                name_eq(&NtHiveNameString::Latin1(stored), want),
                nt,
                "{want}"
            );
        }
    }
}
