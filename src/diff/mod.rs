//! `tlsreg diff A B`: registry-level differences between two sources, each a profile (its
//! plan applied to an empty registry), a `.reg` file (imported as regedit would), or a hive
//! (only the keys the other side names, or everything when both are hives). [`Source`]
//! reads a side from a command-line argument; [`compare`] diffs two sides; [`diff`] diffs
//! two registries.

mod source;

pub use source::{hive_values, Input, Note, Source, SourceError};

use crate::keypath::fold;
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

/// All differences, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub version: u32,
    pub added: Vec<Change>,
    pub removed: Vec<Change>,
    pub changed: Vec<Change>,
}

impl Diff {
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
/// keys (everything when both sides are hives).
pub fn compare(a: Source, b: Source) -> Result<Diff, crate::hive::HiveError> {
    let (ka, kb) = (b.keys(), a.keys());
    let ra = a.values(ka.as_deref())?;
    let rb = b.values(kb.as_deref())?;
    Ok(diff(&ra, &rb))
}

/// The human rendering: `+`, `-` and `~` lines.
pub fn human(d: &Diff) -> String {
    let mut out = String::new();
    let name = |n: &str| {
        if n.is_empty() {
            "@".to_string()
        } else {
            format!("\"{n}\"")
        }
    };
    for c in &d.removed {
        let o = c.old.as_ref().expect("removed has old");
        out.push_str(&format!(
            "- [{}] {} = {} {}\n",
            c.key,
            name(&c.name),
            o.type_name,
            o.data
        ));
    }
    for c in &d.added {
        let n = c.new.as_ref().expect("added has new");
        out.push_str(&format!(
            "+ [{}] {} = {} {}\n",
            c.key,
            name(&c.name),
            n.type_name,
            n.data
        ));
    }
    for c in &d.changed {
        let (o, n) = (c.old.as_ref().expect("old"), c.new.as_ref().expect("new"));
        out.push_str(&format!(
            "~ [{}] {}: {} {} -> {} {}\n",
            c.key,
            name(&c.name),
            o.type_name,
            o.data,
            n.type_name,
            n.data
        ));
    }
    out
}
