//! `tlsreg diff A B`: registry-level differences between two sources, each a profile (its
//! plan applied to an empty registry), a `.reg` file (imported as regedit would), or a hive
//! (only the keys the other side names, or everything when both are hives). [`Source`]
//! reads a side from a command-line argument; [`compare`] diffs two sides; [`diff`] diffs
//! two registries.

mod source;

pub use source::{hive_values, Input, Note, Source, SourceError};

use crate::keypath::{fold, SOFTWARE_ROOT, SYSTEM_ROOT};
use crate::memreg::{data_field, MemRegistry};
use crate::value::type_name;
use serde::Serialize;
use std::collections::BTreeMap;

/// One value as it stands on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    #[serde(rename = "type")]
    pub type_name: String,
    pub data: String,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub key: String,
    pub name: String,
    /// `None` when the value is only on the other side.
    pub old: Option<Side>,
    pub new: Option<Side>,
}

/// All differences, in key order, and what could not be compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub version: u32,
    pub added: Vec<Change>,
    pub removed: Vec<Change>,
    pub changed: Vec<Change>,
    /// Roots one side has no hive for (a volume without its SOFTWARE hive): values there
    /// are left out of the comparison, not reported as added or removed.
    pub not_compared: Vec<NotCompared>,
    /// Values a hive key holds twice (names that differ only in case): the first is
    /// compared, as Windows reads it; these later ones are not.
    pub duplicates: Vec<Duplicate>,
}

/// A root left out of the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCompared {
    pub root: String,
    /// `a` or `b`: the side without a hive for it.
    pub missing_on: &'static str,
}

/// A value a hive key holds under a name an earlier value has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// `a` or `b`.
    pub side: &'static str,
    pub key: String,
    pub name: String,
    /// The earlier value's name, which Windows reads.
    pub first: String,
}

impl Diff {
    /// Whether the two sides hold the same values where both were compared.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn side(t: u32, b: &[u8]) -> Side {
    let type_name = match type_name(t) {
        "REG_UNKNOWN" => format!("REG_0x{t:x}"),
        n => n.to_string(),
    };
    Side {
        type_name,
        data: data_field(t, b),
    }
}

/// A value by its identity (folded key and name): key and name as spelled, type, data.
type Values = BTreeMap<(String, String), (String, String, u32, Vec<u8>)>;

/// The differences from `a` to `b`.
pub fn diff(a: &MemRegistry, b: &MemRegistry) -> Diff {
    let map = |r: &MemRegistry| -> Values {
        r.entries()
            .map(|(k, n, t, d)| {
                (
                    (fold(k), fold(n)),
                    (k.to_string(), n.to_string(), t, d.to_vec()),
                )
            })
            .collect()
    };
    let (ma, mb) = (map(a), map(b));
    let mut d = Diff {
        version: 1,
        ..Diff::default()
    };
    for (id, (k, n, t, v)) in &ma {
        match mb.get(id) {
            None => d.removed.push(Change {
                key: k.clone(),
                name: n.clone(),
                old: Some(side(*t, v)),
                new: None,
            }),
            Some((_, _, t2, v2)) if t2 != t || v2 != v => d.changed.push(Change {
                key: k.clone(),
                name: n.clone(),
                old: Some(side(*t, v)),
                new: Some(side(*t2, v2)),
            }),
            _ => {}
        }
    }
    for (id, (k, n, t, v)) in &mb {
        if !ma.contains_key(id) {
            d.added.push(Change {
                key: k.clone(),
                name: n.clone(),
                old: None,
                new: Some(side(*t, v)),
            });
        }
    }
    d
}

/// The differences from side `a` to side `b`. A hive is read only where the other side has
/// keys (everything when both sides are hives). Where one side is hives without one for a
/// root (`HKEY_LOCAL_MACHINE\SOFTWARE` of a volume with only its SYSTEM hive), nothing
/// under that root is compared, and [`Diff::not_compared`] says so.
pub fn compare(a: Source, b: Source) -> Result<Diff, crate::hive::HiveError> {
    let (ka, kb) = (b.keys(), a.keys());
    let (roots_a, roots_b) = (a.roots(), b.roots());
    let mut ra = a.values(ka.as_deref())?;
    let mut rb = b.values(kb.as_deref())?;
    let mut not_compared = Vec::new();
    for root in [SYSTEM_ROOT, SOFTWARE_ROOT] {
        let lacks = |roots: &Option<Vec<&str>>| roots.as_ref().is_some_and(|r| !r.contains(&root));
        let missing_on = match (lacks(&roots_a), lacks(&roots_b)) {
            (true, true) => continue,
            (true, false) => "a",
            (false, true) => "b",
            (false, false) => continue,
        };
        let under = |r: &MemRegistry| r.entries().any(|(k, ..)| below(k, root));
        if under(&ra) || under(&rb) {
            not_compared.push(NotCompared {
                root: root.to_string(),
                missing_on,
            });
        }
        ra.retain_keys(|k| !below(k, root));
        rb.retain_keys(|k| !below(k, root));
    }
    let mut d = diff(&ra, &rb);
    d.not_compared = not_compared;
    for (side, r) in [("a", &ra), ("b", &rb)] {
        d.duplicates.extend(r.shadowed().iter().map(|s| Duplicate {
            side,
            key: s.key.clone(),
            name: s.name.clone(),
            first: s.first.clone(),
        }));
    }
    Ok(d)
}

/// Whether `key` is `root` or below it.
fn below(key: &str, root: &str) -> bool {
    crate::keypath::strip_key_prefix(key, root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('\\'))
}

/// The human rendering: `+`, `-` and `~` lines.
pub fn human(d: &Diff) -> String {
    use crate::diag::printable as p;
    let mut out = String::new();
    let name = |n: &str| {
        if n.is_empty() {
            "@".to_string()
        } else {
            format!("\"{}\"", p(n))
        }
    };
    for c in &d.removed {
        let o = c.old.as_ref().expect("removed has old");
        out.push_str(&format!(
            "- [{}] {} = {} {}\n",
            p(&c.key),
            name(&c.name),
            o.type_name,
            p(&o.data)
        ));
    }
    for c in &d.added {
        let n = c.new.as_ref().expect("added has new");
        out.push_str(&format!(
            "+ [{}] {} = {} {}\n",
            p(&c.key),
            name(&c.name),
            n.type_name,
            p(&n.data)
        ));
    }
    for n in &d.not_compared {
        out.push_str(&format!(
            "! [{}] not compared: side {} has no hive for it\n",
            p(&n.root),
            n.missing_on.to_uppercase()
        ));
    }
    for s in &d.duplicates {
        out.push_str(&format!(
            "! [{}] {}: side {} holds it after {} (the same name to Windows, which reads the first); not compared\n",
            p(&s.key),
            name(&s.name),
            s.side.to_uppercase(),
            name(&s.first)
        ));
    }
    for c in &d.changed {
        let (o, n) = (c.old.as_ref().expect("old"), c.new.as_ref().expect("new"));
        out.push_str(&format!(
            "~ [{}] {}: {} {} -> {} {}\n",
            p(&c.key),
            name(&c.name),
            o.type_name,
            p(&o.data),
            n.type_name,
            p(&n.data)
        ));
    }
    out
}
