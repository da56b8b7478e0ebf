//! The one intermediate form: an ordered list of registry operations that every writer
//! (`.reg`, PowerShell) and the audit consume.
//!
//! Order is canonical: all key deletions first, then per key (in the order keys first appear)
//! its value deletions, then its value sets. A value is named at most once in a plan, so a
//! plan never both sets and deletes one value.
//!
//! The builder also records where each operation came from (a named setting or the `raw`
//! section): [`PlanBuilder::finish_sourced`] keeps it beside the plan, for readers that report
//! per setting (the audit). It is not part of the plan: not serialized, not compared.

use crate::keypath::fold;
use crate::setting::{AddOps, Setting, SettingKey};
use crate::value::RegData;
use serde::Serialize;
use std::collections::HashMap;

/// One registry operation. Key paths are full (`HKEY_LOCAL_MACHINE\...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// Delete the key and everything below it.
    DeleteKey {
        /// The key path.
        key: String,
    },
    /// Delete one value (`""` is the default value).
    DeleteValue {
        /// The key path.
        key: String,
        /// The value name.
        name: String,
    },
    /// Create the key (and its parents) if needed and set the value.
    SetValue {
        /// The key path.
        key: String,
        /// The value name (`""` is the default value).
        name: String,
        /// The data, with its type.
        data: RegData,
    },
}

impl std::fmt::Display for Op {
    /// One line of `tlsreg show --plan`: `set          [KEY] "Name" = REG_DWORD 0x...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |n: &str| {
            if n.is_empty() {
                "@".to_string()
            } else {
                format!("{n:?}")
            }
        };
        match self {
            Op::DeleteKey { key } => write!(f, "delete key   [{key}]"),
            Op::DeleteValue { key, name: n } => write!(f, "delete value [{key}] {}", name(n)),
            Op::SetValue { key, name: n, data } => {
                write!(f, "set          [{key}] {} = {data}", name(n))
            }
        }
    }
}

impl Op {
    /// The full key path the operation is on.
    pub fn key(&self) -> &str {
        match self {
            Op::DeleteKey { key } | Op::DeleteValue { key, .. } | Op::SetValue { key, .. } => key,
        }
    }
}

/// An ordered, duplicate-free list of operations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The operations in canonical order (see the module documentation).
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

    /// Whether the plan has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Where an operation of a plan came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// A named setting of the profile.
    Setting(SettingKey),
    /// The `raw` section, or any operation added without a named setting.
    #[default]
    Raw,
}

/// A plan and the source of each of its operations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourcedPlan {
    /// The plan.
    pub plan: Plan,
    /// Per operation of `plan`: its source and when it was said (the builder's call order).
    sources: Vec<(Source, usize)>,
}

impl SourcedPlan {
    /// Every operation with its source, in the order they were said to the builder: a
    /// profile's settings in catalogue order, each one's operations in its own order, then
    /// the raw entries as written. An operation a later one replaced (a raw value over a
    /// named setting's) is not there: the plan keeps only the winner, at the winner's place.
    pub fn sourced_ops(&self) -> Vec<(Source, &Op)> {
        let mut ops: Vec<(usize, Source, &Op)> = self
            .sources
            .iter()
            .zip(&self.plan.ops)
            .map(|(&(source, said), op)| (said, source, op))
            .collect();
        ops.sort_by_key(|(said, ..)| *said);
        ops.into_iter()
            .map(|(_, source, op)| (source, op))
            .collect()
    }

    /// The plan alone.
    pub fn into_plan(self) -> Plan {
        self.plan
    }
}

/// A value operation as collected: `None` data deletes the value.
struct ValueOp {
    name: String,
    data: Option<RegData>,
    source: Source,
    said: usize,
}

#[derive(Default)]
struct KeyOps {
    key: String,
    /// Value name identity → position in `values`.
    index: HashMap<String, usize>,
    values: Vec<ValueOp>,
}

/// Collects operations; a later operation on the same value replaces an earlier one.
#[derive(Default)]
pub struct PlanBuilder {
    deleted_keys: Vec<(String, Source, usize)>,
    deleted_index: HashMap<String, usize>,
    keys: Vec<KeyOps>,
    key_index: HashMap<String, usize>,
    /// The source of the operations added from now on.
    source: Source,
    /// Operations said so far.
    said: usize,
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

    fn next(&mut self) -> (Source, usize) {
        self.said += 1;
        (self.source, self.said)
    }

    fn put(&mut self, key: &str, name: &str, data: Option<RegData>) {
        let (source, said) = self.next();
        let k = self.key_ops(key);
        let id = fold(name);
        let op = ValueOp {
            name: name.to_string(),
            data,
            source,
            said,
        };
        match k.index.get(&id) {
            Some(&i) => k.values[i] = op,
            None => {
                k.values.push(op);
                k.index.insert(id, k.values.len() - 1);
            }
        }
    }

    /// Names the source of the operations added from now on (until the next call).
    pub fn source(&mut self, source: Source) {
        self.source = source;
    }

    /// Adds a named setting's operations, recorded as coming from it.
    pub fn add_setting(&mut self, key: &SettingKey, setting: &Setting) {
        self.source(Source::Setting(*key));
        key.add_ops(setting, self);
    }

    /// Sets a value (full key path); a later operation on the same value replaces this one.
    pub fn set(&mut self, key: &str, name: &str, data: RegData) {
        self.put(key, name, Some(data));
    }

    /// Deletes a value (full key path); a later operation on the same value replaces this one.
    pub fn delete_value(&mut self, key: &str, name: &str) {
        self.put(key, name, None);
    }

    /// Deletes a key and everything below it. A value deletion at or below it is left out of the
    /// plan; a value set below it stays, after the deletion.
    pub fn delete_key(&mut self, key: &str) {
        let (source, said) = self.next();
        match self.deleted_index.get(&fold(key)) {
            Some(&i) => {
                self.deleted_keys[i].1 = source;
                self.deleted_keys[i].2 = said;
            }
            None => {
                self.deleted_index
                    .insert(fold(key), self.deleted_keys.len());
                self.deleted_keys.push((key.to_string(), source, said));
            }
        }
    }

    /// The plan, without the sources.
    pub fn finish(self) -> Plan {
        self.finish_sourced().plan
    }

    /// The plan with the source of each operation.
    pub fn finish_sourced(self) -> SourcedPlan {
        let mut ops = Vec::new();
        let mut sources = Vec::new();
        // A value deletion at or below a deleted key is redundant, and writing it would
        // recreate the key (a `.reg` header creates its key): it is left out.
        let deleted: std::collections::HashSet<String> =
            self.deleted_keys.iter().map(|(k, _, _)| fold(k)).collect();
        for (key, source, said) in self.deleted_keys {
            ops.push(Op::DeleteKey { key });
            sources.push((source, said));
        }
        for k in self.keys {
            let under_deleted = crate::keypath::covering(&deleted, &k.key).is_some();
            for v in &k.values {
                if v.data.is_none() && !under_deleted {
                    ops.push(Op::DeleteValue {
                        key: k.key.clone(),
                        name: v.name.clone(),
                    });
                    sources.push((v.source, v.said));
                }
            }
            for v in k.values {
                if let Some(data) = v.data {
                    ops.push(Op::SetValue {
                        key: k.key.clone(),
                        name: v.name,
                        data,
                    });
                    sources.push((v.source, v.said));
                }
            }
        }
        SourcedPlan {
            plan: Plan { ops },
            sources,
        }
    }
}

impl AddOps for PlanBuilder {
    fn set(&mut self, key: &str, name: &str, data: RegData) {
        PlanBuilder::set(self, key, name, data);
    }

    fn delete_value(&mut self, key: &str, name: &str) {
        PlanBuilder::delete_value(self, key, name);
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

    #[test]
    fn each_op_knows_its_source_and_the_winner_stays() {
        use crate::catalog::{ProtocolId, Side};
        let tls12 = SettingKey::Protocol(ProtocolId::Tls12, Side::Client);
        let mut b = PlanBuilder::default();
        b.add_setting(&tls12, &Setting::State(crate::setting::State::Enabled));
        b.source(Source::Raw);
        b.set(r"HKEY_LOCAL_MACHINE\B", "z", RegData::Dword(2));
        b.delete_key(r"HKEY_LOCAL_MACHINE\C");
        let key = tls12.key_path();
        b.set(&key, "enabled", RegData::Dword(0));
        let sourced = b.finish_sourced();
        let said: Vec<(Source, String)> = sourced
            .sourced_ops()
            .into_iter()
            .map(|(s, op)| (s, format!("{}|{op:?}", op.key())))
            .collect();
        assert_eq!(said.len(), 4);
        assert_eq!(said[0].0, Source::Setting(tls12));
        assert!(said[0].1.contains("DisabledByDefault"), "{said:?}");
        assert_eq!(
            said[1..].iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            [Source::Raw; 3]
        );
        assert!(
            said[3].1.contains("Dword(0)"),
            "the raw value won: {said:?}"
        );
        // The plan itself is the canonical order, without sources.
        assert!(matches!(sourced.plan.ops[0], Op::DeleteKey { .. }));
    }
}
