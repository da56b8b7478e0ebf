//! An in-memory registry that applies a plan with regedit's semantics, and renders its
//! content in the normalized line format the test oracles print
//! (`KEYPATH<TAB>NAME<TAB>TYPE<TAB>DATA`, sorted bytewise).

use crate::keypath::fold;
use crate::plan::{Op, Plan};
use crate::value::{dword, qword, type_name, utf16z_text};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
struct Key {
    /// The path as first spelled.
    path: String,
    /// Value identity → (name as spelled, type, bytes), in insertion order of identities.
    values: BTreeMap<String, (String, u32, Vec<u8>)>,
}

/// Keys and values, compared case-insensitively like the registry.
#[derive(Debug, Clone, Default)]
pub struct MemRegistry {
    keys: BTreeMap<String, Key>,
    shadowed: Vec<Shadowed>,
}

/// One value as [`MemRegistry::identified`] yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identified<'a> {
    /// The key's identity: its full path folded ([`fold`]).
    pub key_id: &'a str,
    /// The value's identity: its name folded.
    pub name_id: &'a str,
    /// The key path as first spelled.
    pub key: &'a str,
    /// The value name as last set (`""` is the default value).
    pub name: &'a str,
    /// The stored type code.
    pub type_code: u32,
    /// The stored bytes.
    pub data: &'a [u8],
}

/// A value a hive key holds under a name that an earlier value of the same key already has
/// (the names differ only in case, or not at all). Windows' lookup walks the value list in
/// order and returns the first match, so this one is never read; the model keeps the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadowed {
    /// The key, as spelled.
    pub key: String,
    /// This value's name, as spelled.
    pub name: String,
    /// The name of the earlier value that wins, as spelled.
    pub first: String,
    /// This value's stored type code.
    pub type_code: u32,
    /// This value's stored bytes.
    pub data: Vec<u8>,
}

impl MemRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the key and its missing parents below the root, as regedit does for `[KEY]`.
    /// A key that exists already costs one lookup; a new one creates parents upwards only
    /// until one exists (every key's parents exist once it does).
    pub fn create_key(&mut self, path: &str) {
        self.ensure_key(path);
    }

    /// [`MemRegistry::create_key`], returning the key's identity. A new key is spelled
    /// through its parent, as Windows and hivex spell it: after `A\b`, `a\B\c` creates
    /// `A\b\c`.
    fn ensure_key(&mut self, path: &str) -> String {
        let id = fold(path);
        if self.keys.contains_key(&id) {
            return id;
        }
        // The missing keys, deepest first (each as its end in `path` and in `id`), up to an
        // existing ancestor or the top key. The root alone (`HKEY_LOCAL_MACHINE`) is a key
        // only when named by itself.
        let mut chain = vec![(path.len(), id.len())];
        let mut found: Option<(usize, String)> = None;
        let (mut sub, mut sub_id) = (path, id.as_str());
        while let (Some(i), Some(j)) = (sub.rfind('\\'), sub_id.rfind('\\')) {
            if !sub[..i].contains('\\') {
                break;
            }
            sub = &sub[..i];
            sub_id = &sub_id[..j];
            if let Some(k) = self.keys.get(sub_id) {
                found = Some((i, k.path.clone()));
                break;
            }
            chain.push((i, j));
        }
        let (mut start, mut spelled) = match found {
            Some((end, p)) => (end, Some(p)),
            None => (0, None),
        };
        for &(pe, ie) in chain.iter().rev() {
            let s = match &spelled {
                // `path[start..pe]` is `\name`.
                Some(p) => format!("{p}{}", &path[start..pe]),
                None => path[..pe].to_string(),
            };
            self.keys.insert(
                id[..ie].to_string(),
                Key {
                    path: s.clone(),
                    ..Key::default()
                },
            );
            spelled = Some(s);
            start = pe;
        }
        id
    }

    /// Sets a value with raw bytes.
    pub fn set_raw(&mut self, key: &str, name: &str, type_code: u32, bytes: Vec<u8>) {
        let id = self.ensure_key(key);
        let k = self.keys.get_mut(&id).expect("just created");
        k.values
            .insert(fold(name), (name.to_string(), type_code, bytes));
    }

    /// Records a value that the earlier value `first` of the same name hides (see
    /// [`Shadowed`]); the model's value is not changed.
    pub fn note_shadowed(
        &mut self,
        key: &str,
        name: &str,
        first: &str,
        type_code: u32,
        data: Vec<u8>,
    ) {
        self.shadowed.push(Shadowed {
            key: key.to_string(),
            name: name.to_string(),
            first: first.to_string(),
            type_code,
            data,
        });
    }

    /// The values a hive held that earlier values of the same name hide, in reading order.
    pub fn shadowed(&self) -> &[Shadowed] {
        &self.shadowed
    }

    /// Adds every key and value of `other` (its values win), and its shadowed values.
    pub fn merge(&mut self, other: &MemRegistry) {
        for k in other.key_paths() {
            self.create_key(&k);
        }
        for (k, n, t, d) in other.entries() {
            self.set_raw(k, n, t, d.to_vec());
        }
        self.shadowed.extend(other.shadowed.iter().cloned());
    }

    /// Applies one operation.
    pub fn apply_op(&mut self, op: &Op) {
        match op {
            Op::DeleteKey { key } => {
                // The key and its subtree: the key, then every id starting with "key\\",
                // which sort together (before "key]"). A range, not a scan of every key.
                let id = fold(key);
                self.keys.remove(&id);
                let doomed: Vec<String> = self
                    .keys
                    .range(format!("{id}\\")..format!("{id}]"))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in doomed {
                    self.keys.remove(&k);
                }
            }
            Op::DeleteValue { key, name } => {
                self.create_key(key);
                if let Some(k) = self.keys.get_mut(&fold(key)) {
                    k.values.remove(&fold(name));
                }
            }
            Op::SetValue { key, name, data } => {
                self.set_raw(key, name, data.type_code(), data.to_bytes())
            }
        }
    }

    /// Applies every operation of a plan in order.
    pub fn apply(&mut self, plan: &Plan) {
        for op in &plan.ops {
            self.apply_op(op);
        }
    }

    /// Every value as a normalized line, sorted bytewise.
    pub fn value_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .keys
            .values()
            .flat_map(|k| {
                k.values
                    .values()
                    .map(move |(name, t, data)| value_line(&k.path, name, *t, data))
            })
            .collect();
        lines.sort();
        lines.dedup();
        lines
    }

    /// Whether the key exists.
    pub fn key_exists(&self, key: &str) -> bool {
        self.keys.contains_key(&fold(key))
    }

    /// A value's type and bytes, if the key and the value exist.
    pub fn get(&self, key: &str, name: &str) -> Option<(u32, &[u8])> {
        let (_, t, b) = self.keys.get(&fold(key))?.values.get(&fold(name))?;
        Some((*t, b.as_slice()))
    }

    /// Every value of a key: (name as spelled, type, bytes).
    pub fn values(&self, key: &str) -> Vec<(&str, u32, &[u8])> {
        self.keys.get(&fold(key)).map_or_else(Vec::new, |k| {
            k.values
                .values()
                .map(|(n, t, b)| (n.as_str(), *t, b.as_slice()))
                .collect()
        })
    }

    /// The names of a key's direct subkeys, as spelled.
    pub fn subkeys(&self, key: &str) -> Vec<String> {
        let prefix = format!("{}\\", fold(key));
        self.keys
            .range(prefix.clone()..)
            .take_while(|(id, _)| id.starts_with(&prefix))
            .filter(|(id, _)| !id[prefix.len()..].contains('\\'))
            .map(|(_, k)| k.path.rsplit('\\').next().unwrap_or_default().to_string())
            .collect()
    }

    /// Every value: (key as spelled, name as spelled, type, bytes), keys in folded order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, u32, &[u8])> {
        self.keys.values().flat_map(|k| {
            k.values
                .values()
                .map(move |(n, t, b)| (k.path.as_str(), n.as_str(), *t, b.as_slice()))
        })
    }

    /// Keeps only the keys (with their values and shadowed values) whose path, as spelled,
    /// passes `keep`.
    pub fn retain_keys(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.keys.retain(|_, k| keep(&k.path));
        self.shadowed.retain(|s| keep(&s.key));
    }

    /// Every value with its identity, sorted by (folded key, folded name): (key identity,
    /// name identity, key as spelled, name as spelled, type, bytes). Two registries'
    /// sequences merge in one pass.
    pub fn identified(&self) -> impl Iterator<Item = Identified<'_>> {
        self.keys.iter().flat_map(|(kid, k)| {
            k.values.iter().map(move |(nid, (n, t, b))| Identified {
                key_id: kid,
                name_id: nid,
                key: &k.path,
                name: n,
                type_code: *t,
                data: b,
            })
        })
    }

    /// Moves every value, key and shadowed value of `other` into this registry (its values
    /// win), without copying the data.
    pub fn absorb(&mut self, other: MemRegistry) {
        if self.keys.is_empty() && self.shadowed.is_empty() {
            *self = other;
            return;
        }
        for (id, k) in other.keys {
            match self.keys.get_mut(&id) {
                Some(mine) => mine.values.extend(k.values),
                None => {
                    self.ensure_key(&k.path);
                    if let Some(mine) = self.keys.get_mut(&id) {
                        mine.values = k.values;
                    }
                }
            }
        }
        self.shadowed.extend(other.shadowed);
    }

    /// The same registry with every key path renamed by `rename` (which must keep keys
    /// apart), moving the data.
    pub fn renamed(self, mut rename: impl FnMut(&str) -> String) -> MemRegistry {
        let mut out = MemRegistry::new();
        for (_, k) in self.keys {
            let path = rename(&k.path);
            let id = out.ensure_key(&path);
            if let Some(mine) = out.keys.get_mut(&id) {
                mine.values.extend(k.values);
            }
        }
        out.shadowed = self
            .shadowed
            .into_iter()
            .map(|mut s| {
                s.key = rename(&s.key);
                s
            })
            .collect();
        out
    }

    /// Key paths that exist, as spelled.
    pub fn key_paths(&self) -> Vec<String> {
        self.keys.values().map(|k| k.path.clone()).collect()
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}

fn name_field(name: &str) -> String {
    match name {
        "" => "@".to_string(),
        "@" => "\\@".to_string(),
        n => esc(n),
    }
}

/// The DATA field of a normalized line.
pub fn data_field(type_code: u32, data: &[u8]) -> String {
    if let Some(d) = dword(type_code, data) {
        return format!("0x{d:08x}");
    }
    if let Some(q) = qword(type_code, data) {
        return format!("0x{q:016x}");
    }
    if type_code == 1 || type_code == 2 {
        if let Some(s) = utf16z_text(data) {
            return esc(&s);
        }
    }
    if type_code == 7 {
        if let Some(s) = utf16z_text(data) {
            let mut items: Vec<&str> = s.split('\0').collect();
            if items.last() == Some(&"") {
                items.pop();
            }
            return items.iter().map(|i| esc(i)).collect::<Vec<_>>().join("\\0");
        }
    }
    format!("hex:{}", crate::value::hex(data))
}

/// One normalized line.
pub fn value_line(key: &str, name: &str, type_code: u32, data: &[u8]) -> String {
    let t = match type_name(type_code) {
        "REG_UNKNOWN" => format!("REG_0x{type_code:x}"),
        t => t.to_string(),
    };
    format!(
        "{key}\t{}\t{t}\t{}",
        name_field(name),
        data_field(type_code, data)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::RegData;

    #[test]
    fn a_new_key_is_spelled_through_its_parent() {
        let mut r = MemRegistry::new();
        r.set_raw(r"HKEY_LOCAL_MACHINE\SOFTWARE\U\a", "v", 4, vec![1, 0, 0, 0]);
        r.set_raw(
            r"hkey_local_machine\software\u\B\c",
            "w",
            4,
            vec![2, 0, 0, 0],
        );
        r.set_raw(r"HKEY_LOCAL_MACHINE\Software\X", "x", 4, vec![3, 0, 0, 0]);
        let paths: Vec<String> = r
            .value_lines()
            .iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                r"HKEY_LOCAL_MACHINE\SOFTWARE\U\B\c",
                r"HKEY_LOCAL_MACHINE\SOFTWARE\U\a",
                r"HKEY_LOCAL_MACHINE\SOFTWARE\X"
            ]
        );
    }

    #[test]
    fn delete_key_takes_its_subtree_and_nothing_beside_it() {
        let mut r = MemRegistry::new();
        for k in ["A", "A\\B", "A\\B\\C", "AB", "A]", "A[", "B"] {
            r.create_key(&format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\{k}"));
        }
        r.apply_op(&Op::DeleteKey {
            key: r"hkey_local_machine\software\a".into(),
        });
        let mut left = r.key_paths();
        left.sort();
        assert_eq!(
            left,
            [
                "HKEY_LOCAL_MACHINE\\SOFTWARE",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\AB",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A[",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A]",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\B",
            ]
        );
    }

    #[test]
    fn lines_follow_the_oracle_format() {
        let mut r = MemRegistry::new();
        let k = r"HKEY_LOCAL_MACHINE\SOFTWARE\A";
        r.apply_op(&Op::SetValue {
            key: k.into(),
            name: "".into(),
            data: RegData::Sz("x\ty".into()),
        });
        r.apply_op(&Op::SetValue {
            key: k.into(),
            name: "@".into(),
            data: RegData::MultiSz(vec!["a".into(), "b".into()]),
        });
        r.apply_op(&Op::SetValue {
            key: k.into(),
            name: "d".into(),
            data: RegData::Dword(1),
        });
        r.apply_op(&Op::SetValue {
            key: k.into(),
            name: "q".into(),
            data: RegData::Qword(2),
        });
        r.apply_op(&Op::SetValue {
            key: k.into(),
            name: "b".into(),
            data: RegData::Binary(vec![0xde, 0xad]),
        });
        assert_eq!(
            r.value_lines(),
            vec![
                format!("{k}\t@\tREG_SZ\tx\\ty"),
                format!("{k}\t\\@\tREG_MULTI_SZ\ta\\0b"),
                format!("{k}\tb\tREG_BINARY\thex:dead"),
                format!("{k}\td\tREG_DWORD\t0x00000001"),
                format!("{k}\tq\tREG_QWORD\t0x0000000000000002"),
            ]
        );
        r.apply_op(&Op::DeleteKey {
            key: r"hkey_local_machine\software".into(),
        });
        assert!(r.value_lines().is_empty());
    }
}
