//! `tlsreg diff A B`: registry-level differences between two sources, each a profile (its
//! plan applied to an empty registry), a `.reg` file (imported as regedit would), or a hive
//! (only the keys the other side names, or everything when both are hives). [`Source`]
//! reads a side from a command-line argument; [`compare`] reads two sides into a
//! [`Compared`], which renders its differences as it finds them; [`diff`] collects the
//! differences of two registries.

mod source;

pub use source::{hive_values, Input, Note, Source, SourceError};

use crate::keypath::{SOFTWARE_ROOT, SYSTEM_ROOT};
use crate::memreg::{data_field, Identified, MemRegistry};
use crate::value::type_name;
use serde::Serialize;

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

fn change(i: &Identified<'_>, old: Option<Side>, new: Option<Side>) -> Change {
    Change {
        key: i.key.to_string(),
        name: i.name.to_string(),
        old,
        new,
    }
}

/// One difference, borrowed from the two registries.
#[derive(Debug, Clone, Copy)]
pub enum Delta<'a> {
    /// Only in `b`.
    Added(Identified<'a>),
    /// Only in `a`.
    Removed(Identified<'a>),
    /// In both, with another type or other data: (`a`'s, `b`'s).
    Changed(Identified<'a>, Identified<'a>),
}

/// The differences from `a` to `b` as they are found: one merge of the two registries'
/// sorted values, so time is linear and nothing is copied.
pub fn deltas<'a>(a: &'a MemRegistry, b: &'a MemRegistry) -> impl Iterator<Item = Delta<'a>> + 'a {
    use std::cmp::Ordering;
    let (mut ia, mut ib) = (a.identified().peekable(), b.identified().peekable());
    std::iter::from_fn(move || loop {
        let order = match (ia.peek(), ib.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => (x.key_id, x.name_id).cmp(&(y.key_id, y.name_id)),
        };
        match order {
            Ordering::Less => return ia.next().map(Delta::Removed),
            Ordering::Greater => return ib.next().map(Delta::Added),
            Ordering::Equal => {
                let (x, y) = (ia.next()?, ib.next()?);
                if x.type_code != y.type_code || x.data != y.data {
                    return Some(Delta::Changed(x, y));
                }
            }
        }
    })
}

/// The differences from `a` to `b`, collected (see [`deltas`] for large registries).
pub fn diff(a: &MemRegistry, b: &MemRegistry) -> Diff {
    let mut d = Diff {
        version: 1,
        ..Diff::default()
    };
    for delta in deltas(a, b) {
        match delta {
            Delta::Removed(x) => d
                .removed
                .push(change(&x, Some(side(x.type_code, x.data)), None)),
            Delta::Added(y) => d
                .added
                .push(change(&y, None, Some(side(y.type_code, y.data)))),
            Delta::Changed(x, y) => d.changed.push(change(
                &x,
                Some(side(x.type_code, x.data)),
                Some(side(y.type_code, y.data)),
            )),
        }
    }
    d
}

/// Two sides read and ready to compare: their values (with what could not be compared
/// left out) and what to say about them. Rendering streams from here, so a diff of two
/// whole hives holds the two registries and nothing else of that size.
#[derive(Debug)]
pub struct Compared {
    pub a: MemRegistry,
    pub b: MemRegistry,
    pub not_compared: Vec<NotCompared>,
    pub duplicates: Vec<Duplicate>,
}

impl Compared {
    /// The differences as they are found.
    pub fn deltas(&self) -> impl Iterator<Item = Delta<'_>> + '_ {
        deltas(&self.a, &self.b)
    }

    /// Whether the sides differ where both were compared.
    pub fn differs(&self) -> bool {
        self.deltas().next().is_some()
    }

    /// Everything collected into a [`Diff`].
    pub fn diff(&self) -> Diff {
        let mut d = diff(&self.a, &self.b);
        d.not_compared = self.not_compared.clone();
        d.duplicates = self.duplicates.clone();
        d
    }

    /// The human rendering, streamed: `-` lines (only in A), `+` lines (only in B), `!`
    /// lines (not compared, duplicates), `~` lines (changed, old and new type and data).
    pub fn write_human(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use crate::diag::printable as p;
        let name = |n: &str| {
            if n.is_empty() {
                "@".to_string()
            } else {
                format!("\"{}\"", p(n))
            }
        };
        let shown = |i: &Identified<'_>| {
            let s = side(i.type_code, i.data);
            format!("{} {}", s.type_name, p(&s.data))
        };
        for d in self.deltas() {
            if let Delta::Removed(x) = d {
                writeln!(w, "- [{}] {} = {}", p(x.key), name(x.name), shown(&x))?;
            }
        }
        for d in self.deltas() {
            if let Delta::Added(y) = d {
                writeln!(w, "+ [{}] {} = {}", p(y.key), name(y.name), shown(&y))?;
            }
        }
        for n in &self.not_compared {
            writeln!(
                w,
                "! [{}] not compared: side {} has no hive for it",
                p(&n.root),
                n.missing_on.to_uppercase()
            )?;
        }
        for s in &self.duplicates {
            writeln!(
                w,
                "! [{}] {}: side {} holds it after {} (the same name to Windows, which reads the first); not compared",
                p(&s.key),
                name(&s.name),
                s.side.to_uppercase(),
                name(&s.first)
            )?;
        }
        for d in self.deltas() {
            if let Delta::Changed(x, y) = d {
                writeln!(
                    w,
                    "~ [{}] {}: {} -> {}",
                    p(x.key),
                    name(x.name),
                    shown(&x),
                    shown(&y)
                )?;
            }
        }
        Ok(())
    }

    /// The JSON document ([`Diff`]'s shape), streamed and pretty-printed.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> serde_json::Result<()> {
        let mut ser =
            serde_json::Serializer::with_formatter(w, serde_json::ser::PrettyFormatter::new());
        serde::Serialize::serialize(self, &mut ser)
    }
}

/// A sequence serialized from an iterator made on demand.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

impl Serialize for Compared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let pick = |want: fn(&Delta<'_>) -> bool| {
            move || {
                self.deltas().filter(want).map(|d| match d {
                    Delta::Removed(x) => change(&x, Some(side(x.type_code, x.data)), None),
                    Delta::Added(y) => change(&y, None, Some(side(y.type_code, y.data))),
                    Delta::Changed(x, y) => change(
                        &x,
                        Some(side(x.type_code, x.data)),
                        Some(side(y.type_code, y.data)),
                    ),
                })
            }
        };
        let mut st = s.serialize_struct("Diff", 6)?;
        st.serialize_field("version", &1u32)?;
        st.serialize_field("added", &Seq(pick(|d| matches!(d, Delta::Added(_)))))?;
        st.serialize_field("removed", &Seq(pick(|d| matches!(d, Delta::Removed(_)))))?;
        st.serialize_field("changed", &Seq(pick(|d| matches!(d, Delta::Changed(..)))))?;
        st.serialize_field("not_compared", &self.not_compared)?;
        st.serialize_field("duplicates", &self.duplicates)?;
        st.end()
    }
}

/// The differences from side `a` to side `b`. A hive is read only where the other side has
/// keys (everything when both sides are hives). Where one side is hives without one for a
/// root (`HKEY_LOCAL_MACHINE\SOFTWARE` of a volume with only its SYSTEM hive), nothing
/// under that root is compared, and [`Diff::not_compared`] says so.
pub fn compare(a: Source, b: Source) -> Result<Compared, crate::hive::HiveError> {
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
    let mut duplicates = Vec::new();
    for (side, r) in [("a", &ra), ("b", &rb)] {
        duplicates.extend(r.shadowed().iter().map(|s| Duplicate {
            side,
            key: s.key.clone(),
            name: s.name.clone(),
            first: s.first.clone(),
        }));
    }
    Ok(Compared {
        a: ra,
        b: rb,
        not_compared,
        duplicates,
    })
}

/// Whether `key` is `root` or below it.
fn below(key: &str, root: &str) -> bool {
    crate::keypath::strip_key_prefix(key, root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('\\'))
}
