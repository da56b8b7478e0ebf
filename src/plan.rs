//! The one intermediate form: an ordered list of registry operations that every writer
//! (`.reg`, PowerShell) and the audit consume.
//!
//! Order is canonical: all key deletions first, then per key (in the order keys first appear)
//! its value deletions, then its value sets. A value is named at most once in a plan, so a
//! plan never both sets and deletes one value.

use crate::keypath::fold;
use crate::value::RegData;
use serde::Serialize;
use std::collections::HashMap;

/// One registry operation. Key paths are full (`HKEY_LOCAL_MACHINE\...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// Delete the key and everything below it.
    DeleteKey { key: String },
    /// Delete one value (`""` is the default value).
    DeleteValue { key: String, name: String },
    /// Create the key (and its parents) if needed and set the value.
    SetValue {
        key: String,
        name: String,
        data: RegData,
    },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::DeleteKey { key } | Op::DeleteValue { key, .. } | Op::SetValue { key, .. } => key,
        }
    }
}

/// An ordered, duplicate-free list of operations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub ops: Vec<Op>,
}

impl Plan {
    /// The undo plan: every value this plan sets is deleted, so Windows falls back to its
    /// defaults. Deletions cannot be undone (the old data is unknown) and are left out.
    pub fn revert(&self) -> Plan {
        let mut b = PlanBuilder::default();
        for op in &self.ops {
            if let Op::SetValue { key, name, .. } = op {
                b.delete_value(key, name);
            }
        }
        b.finish()
    }

    /// A copy with `CurrentControlSet` replaced by `ControlSet00N` (offline hives have no
    /// `CurrentControlSet`).
    pub fn with_control_set(&self, n: u32) -> Plan {
        let map = |k: &str| crate::keypath::resolve(k, n);
        let ops = self
            .ops
            .iter()
            .map(|op| match op {
                Op::DeleteKey { key } => Op::DeleteKey { key: map(key) },
                Op::DeleteValue { key, name } => Op::DeleteValue {
                    key: map(key),
                    name: name.clone(),
                },
                Op::SetValue { key, name, data } => Op::SetValue {
                    key: map(key),
                    name: name.clone(),
                    data: data.clone(),
                },
            })
            .collect();
        Plan { ops }
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

#[derive(Default)]
struct KeyOps {
    key: String,
    /// Value name identity → position in `values`.
    index: HashMap<String, usize>,
    values: Vec<(String, Option<RegData>)>,
}

/// Collects operations; a later operation on the same value replaces an earlier one.
#[derive(Default)]
pub struct PlanBuilder {
    deleted_keys: Vec<String>,
    deleted_index: HashMap<String, ()>,
    keys: Vec<KeyOps>,
    key_index: HashMap<String, usize>,
}

impl PlanBuilder {
    fn key_ops(&mut self, key: &str) -> &mut KeyOps {
        let id = fold(key);
        let i = match self.key_index.get(&id) {
            Some(&i) => i,
            None => {
                self.keys.push(KeyOps {
                    key: key.to_string(),
                    ..KeyOps::default()
                });
                self.key_index.insert(id, self.keys.len() - 1);
                self.keys.len() - 1
            }
        };
        &mut self.keys[i]
    }

    fn put(&mut self, key: &str, name: &str, data: Option<RegData>) {
        let k = self.key_ops(key);
        let id = fold(name);
        match k.index.get(&id) {
            Some(&i) => k.values[i] = (name.to_string(), data),
            None => {
                k.values.push((name.to_string(), data));
                k.index.insert(id, k.values.len() - 1);
            }
        }
    }

    pub fn set(&mut self, key: &str, name: &str, data: RegData) {
        self.put(key, name, Some(data));
    }

    pub fn delete_value(&mut self, key: &str, name: &str) {
        self.put(key, name, None);
    }

    pub fn delete_key(&mut self, key: &str) {
        if self.deleted_index.insert(fold(key), ()).is_none() {
            self.deleted_keys.push(key.to_string());
        }
    }

    pub fn finish(self) -> Plan {
        let mut ops: Vec<Op> = self
            .deleted_keys
            .into_iter()
            .map(|key| Op::DeleteKey { key })
            .collect();
        for k in self.keys {
            for (name, data) in &k.values {
                if data.is_none() {
                    ops.push(Op::DeleteValue {
                        key: k.key.clone(),
                        name: name.clone(),
                    });
                }
            }
            for (name, data) in k.values {
                if let Some(data) = data {
                    ops.push(Op::SetValue {
                        key: k.key.clone(),
                        name,
                        data,
                    });
                }
            }
        }
        Plan { ops }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_wins_and_order_is_canonical() {
        let mut b = PlanBuilder::default();
        b.set(r"HKEY_LOCAL_MACHINE\A", "x", RegData::Dword(1));
        b.set(r"HKEY_LOCAL_MACHINE\B", "y", RegData::Dword(2));
        b.delete_value(r"HKEY_LOCAL_MACHINE\a", "X");
        b.delete_key(r"HKEY_LOCAL_MACHINE\C");
        let plan = b.finish();
        assert_eq!(
            plan.ops,
            vec![
                Op::DeleteKey {
                    key: r"HKEY_LOCAL_MACHINE\C".into()
                },
                Op::DeleteValue {
                    key: r"HKEY_LOCAL_MACHINE\A".into(),
                    name: "X".into()
                },
                Op::SetValue {
                    key: r"HKEY_LOCAL_MACHINE\B".into(),
                    name: "y".into(),
                    data: RegData::Dword(2)
                },
            ]
        );
    }

    #[test]
    fn revert_deletes_what_was_set() {
        let mut b = PlanBuilder::default();
        b.set(r"HKEY_LOCAL_MACHINE\A", "x", RegData::Dword(1));
        b.delete_value(r"HKEY_LOCAL_MACHINE\A", "y");
        b.delete_key(r"HKEY_LOCAL_MACHINE\C");
        assert_eq!(
            b.finish().revert().ops,
            vec![Op::DeleteValue {
                key: r"HKEY_LOCAL_MACHINE\A".into(),
                name: "x".into()
            }]
        );
    }
}
