//! `tlsreg diff A B`: registry-level differences between two sources, each a profile (its
//! plan applied to an empty registry), a `.reg` file (imported as regedit would), or a hive
//! (only the keys the other side names, or everything when both are hives). [`Source`]
//! reads a side from a command-line argument; [`compare`] reads two sides into a
//! [`Compared`], which renders its differences as it finds them; [`diff`] collects the
//! differences of two registries.

mod source;

pub use source::{hive_values, Input, Note, Source, SourceError};

use crate::hive::{HiveError, HiveFile, ZipEvent};
use crate::keypath::{SOFTWARE_ROOT, SYSTEM_ROOT};
use crate::memreg::{data_field, Identified, MemRegistry};
use crate::value::type_name;
use serde::Serialize;

/// One value as it stands on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The type name (`REG_DWORD`; `REG_0xN` for a type with no name).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The data as the normalized line format writes it ([`data_field`]: `0x00000001`,
    /// escaped text, `hex:...`).
    pub data: String,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The key path, as side `a` spells it when it has the value.
    pub key: String,
    /// The value name (`""` is the default value).
    pub name: String,
    /// `None` when the value is only on the other side.
    pub old: Option<Side>,
    /// The value on side `b`; `None` when it is only on side `a`.
    pub new: Option<Side>,
}

/// All differences, in key order, and what could not be compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `diff`.
    pub command: &'static str,
    /// Values only on side `b` (`new` set).
    pub added: Vec<Change>,
    /// Values only on side `a` (`old` set).
    pub removed: Vec<Change>,
    /// Values on both sides with another type or other data.
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
    /// The root (`HKEY_LOCAL_MACHINE\SOFTWARE`).
    pub root: String,
    /// `a` or `b`: the side without a hive for it.
    pub missing_on: &'static str,
}

/// A value a hive key holds under a name an earlier value has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// `a` or `b`.
    pub side: &'static str,
    /// The key path.
    pub key: String,
    /// This value's name.
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

fn change(v: &Val<'_>, old: Option<Side>, new: Option<Side>) -> Change {
    Change {
        key: v.key.to_string(),
        name: v.name.to_string(),
        old,
        new,
    }
}

/// One value on one side of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Val<'a> {
    /// The key path.
    pub key: &'a str,
    /// The value name (`""` is the default value).
    pub name: &'a str,
    /// The stored type code.
    pub type_code: u32,
    /// The stored bytes.
    pub data: &'a [u8],
}

impl<'a> From<Identified<'a>> for Val<'a> {
    fn from(i: Identified<'a>) -> Self {
        Val {
            key: i.key,
            name: i.name,
            type_code: i.type_code,
            data: i.data,
        }
    }
}

impl Val<'_> {
    fn side(&self) -> Side {
        side(self.type_code, self.data)
    }
}

/// One difference.
#[derive(Debug, Clone, Copy)]
pub enum Delta<'a> {
    /// Only in `b`.
    Added(Val<'a>),
    /// Only in `a`.
    Removed(Val<'a>),
    /// In both, with another type or other data: (`a`'s, `b`'s).
    Changed(Val<'a>, Val<'a>),
}

impl Delta<'_> {
    fn change(&self) -> Change {
        match self {
            Delta::Removed(x) => change(x, Some(x.side()), None),
            Delta::Added(y) => change(y, None, Some(y.side())),
            Delta::Changed(x, y) => change(x, Some(x.side()), Some(y.side())),
        }
    }
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
            Ordering::Less => return ia.next().map(|x| Delta::Removed(x.into())),
            Ordering::Greater => return ib.next().map(|y| Delta::Added(y.into())),
            Ordering::Equal => {
                let (x, y) = (ia.next()?, ib.next()?);
                if x.type_code != y.type_code || x.data != y.data {
                    return Some(Delta::Changed(x.into(), y.into()));
                }
            }
        }
    })
}

/// The differences from `a` to `b`, collected (see [`deltas`] for large registries).
pub fn diff(a: &MemRegistry, b: &MemRegistry) -> Diff {
    let mut d = Diff {
        schema_version: crate::SCHEMA_VERSION,
        command: "diff",
        ..Diff::default()
    };
    for delta in deltas(a, b) {
        let c = delta.change();
        match delta {
            Delta::Removed(_) => d.removed.push(c),
            Delta::Added(_) => d.added.push(c),
            Delta::Changed(..) => d.changed.push(c),
        }
    }
    d
}

/// A side's hives, each with the root its keys are named under and its current control
/// set (named `CurrentControlSet`).
type Trees = Vec<(HiveFile, &'static str, Option<u32>)>;

/// What is compared.
enum Sides {
    /// Two registries (at least one side a profile or a `.reg` file).
    Values { a: MemRegistry, b: MemRegistry },
    /// Two sets of hives, compared root by root in a paired walk of their trees.
    Trees { a: Trees, b: Trees },
}

/// Two sides read and ready to compare. Rendering streams from here, walking the sides
/// again for each part of the output: a diff of two whole hives holds the two hives and
/// nothing else of their size.
pub struct Compared {
    sides: Sides,
    /// Roots one side has no hive for (see [`Diff::not_compared`]).
    pub not_compared: Vec<NotCompared>,
    /// Values a hive key holds under a name an earlier value has (see [`Diff::duplicates`]).
    pub duplicates: Vec<Duplicate>,
    differs: bool,
}

impl Compared {
    /// Calls `f` with every difference, in key order (two registries: by folded key path
    /// and name; two hives: depth first, subkeys and values by folded name).
    pub fn each_delta(&self, f: &mut dyn FnMut(Delta<'_>)) -> Result<(), HiveError> {
        self.walk(f, &mut |_| {})
    }

    fn walk(
        &self,
        f: &mut dyn FnMut(Delta<'_>),
        shadowed: &mut dyn FnMut(Duplicate),
    ) -> Result<(), HiveError> {
        match &self.sides {
            Sides::Values { a, b } => deltas(a, b).for_each(f),
            Sides::Trees { a, b } => {
                for (ha, root, ca) in a {
                    let Some((hb, _, cb)) = b.iter().find(|(_, r, _)| r == root) else {
                        continue;
                    };
                    HiveFile::zip(root, Some((ha, *ca)), Some((hb, *cb)), &mut |ev| match ev {
                        ZipEvent::Differs { key, name, a, b } => match (a, b) {
                            (Some((ta, da)), Some((tb, db))) => f(Delta::Changed(
                                Val {
                                    key,
                                    name,
                                    type_code: ta,
                                    data: da,
                                },
                                Val {
                                    key,
                                    name,
                                    type_code: tb,
                                    data: db,
                                },
                            )),
                            (Some((t, d)), None) => f(Delta::Removed(Val {
                                key,
                                name,
                                type_code: t,
                                data: d,
                            })),
                            (None, Some((t, d))) => f(Delta::Added(Val {
                                key,
                                name,
                                type_code: t,
                                data: d,
                            })),
                            (None, None) => {}
                        },
                        ZipEvent::Shadowed {
                            on_b,
                            key,
                            name,
                            first,
                        } => shadowed(Duplicate {
                            side: if on_b { "b" } else { "a" },
                            key: key.to_string(),
                            name: name.to_string(),
                            first: first.to_string(),
                        }),
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Whether the sides differ where both were compared.
    pub fn differs(&self) -> bool {
        self.differs
    }

    /// Everything collected into a [`Diff`].
    pub fn diff(&self) -> Result<Diff, HiveError> {
        let mut d = Diff {
            schema_version: crate::SCHEMA_VERSION,
            command: "diff",
            not_compared: self.not_compared.clone(),
            duplicates: self.duplicates.clone(),
            ..Diff::default()
        };
        self.each_delta(&mut |delta| {
            let c = delta.change();
            match delta {
                Delta::Removed(_) => d.removed.push(c),
                Delta::Added(_) => d.added.push(c),
                Delta::Changed(..) => d.changed.push(c),
            }
        })?;
        Ok(d)
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
        let shown = |v: &Val<'_>| {
            let s = v.side();
            format!("{} {}", s.type_name, p(&s.data))
        };
        let mut result = Ok(());
        let mut pass = |pick: &dyn Fn(&Delta<'_>) -> Option<String>| -> std::io::Result<()> {
            let mut io = Ok(());
            self.each_delta(&mut |d| {
                if io.is_ok() {
                    if let Some(line) = pick(&d) {
                        io = w.write_all(line.as_bytes());
                    }
                }
            })
            .map_err(std::io::Error::other)?;
            io
        };
        result = result.and_then(|_| {
            pass(&|d| match d {
                Delta::Removed(x) => Some(format!(
                    "- [{}] {} = {}\n",
                    p(x.key),
                    name(x.name),
                    shown(x)
                )),
                _ => None,
            })
        });
        result = result.and_then(|_| {
            pass(&|d| match d {
                Delta::Added(y) => Some(format!(
                    "+ [{}] {} = {}\n",
                    p(y.key),
                    name(y.name),
                    shown(y)
                )),
                _ => None,
            })
        });
        result?;
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
        let mut io = Ok(());
        self.each_delta(&mut |d| {
            if let (Delta::Changed(x, y), true) = (d, io.is_ok()) {
                io = writeln!(
                    w,
                    "~ [{}] {}: {} -> {}",
                    p(x.key),
                    name(x.name),
                    shown(&x),
                    shown(&y)
                );
            }
        })
        .map_err(std::io::Error::other)?;
        io
    }

    /// The JSON document ([`Diff`]'s shape), streamed and pretty-printed.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> serde_json::Result<()> {
        let mut ser =
            serde_json::Serializer::with_formatter(w, serde_json::ser::PrettyFormatter::new());
        Serialize::serialize(self, &mut ser)
    }
}

/// One kind of difference, serialized as a sequence straight from a walk.
struct Picked<'c> {
    c: &'c Compared,
    want: fn(&Delta<'_>) -> bool,
}

impl Serialize for Picked<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(None)?;
        let mut err = None;
        self.c
            .each_delta(&mut |d| {
                if err.is_none() && (self.want)(&d) {
                    if let Err(e) = seq.serialize_element(&d.change()) {
                        err = Some(e);
                    }
                }
            })
            .map_err(S::Error::custom)?;
        if let Some(e) = err {
            return Err(e);
        }
        seq.end()
    }
}

impl Serialize for Compared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let pick = |want| Picked { c: self, want };
        let mut st = s.serialize_struct("Diff", 7)?;
        st.serialize_field("schema_version", &crate::SCHEMA_VERSION)?;
        st.serialize_field("command", "diff")?;
        st.serialize_field("added", &pick(|d| matches!(d, Delta::Added(_))))?;
        st.serialize_field("removed", &pick(|d| matches!(d, Delta::Removed(_))))?;
        st.serialize_field("changed", &pick(|d| matches!(d, Delta::Changed(..))))?;
        st.serialize_field("not_compared", &self.not_compared)?;
        st.serialize_field("duplicates", &self.duplicates)?;
        st.end()
    }
}

/// The differences from side `a` to side `b`. A hive is read only where the other side has
/// keys; two sides of hives are compared whole, root by root, in a paired walk of their
/// trees. Where one side is hives without one for a root (`HKEY_LOCAL_MACHINE\SOFTWARE` of
/// a volume with only its SYSTEM hive), nothing under that root is compared, and
/// [`Compared::not_compared`] says so. Every hive is read here, so errors come before any
/// output.
pub fn compare(a: Source, b: Source) -> Result<Compared, HiveError> {
    let (roots_a, roots_b) = (a.roots(), b.roots());
    let mut not_compared = Vec::new();
    let lacks =
        |roots: &Option<Vec<&str>>, root: &str| roots.as_ref().is_some_and(|r| !r.contains(&root));
    let sides = match (a, b) {
        (Source::Hive(ha), Source::Hive(hb)) => {
            let trees = |hives: Vec<(HiveFile, &'static str)>| -> Result<Trees, HiveError> {
                hives
                    .into_iter()
                    .map(|(mut h, root)| {
                        let current = h.control_sets(root)?.map(|c| c.current);
                        h.read_whole()?;
                        Ok((h, root, current))
                    })
                    .collect()
            };
            for root in [SYSTEM_ROOT, SOFTWARE_ROOT] {
                match (lacks(&roots_a, root), lacks(&roots_b, root)) {
                    (true, false) => not_compared.push(NotCompared {
                        root: root.to_string(),
                        missing_on: "a",
                    }),
                    (false, true) => not_compared.push(NotCompared {
                        root: root.to_string(),
                        missing_on: "b",
                    }),
                    _ => {}
                }
            }
            Sides::Trees {
                a: trees(ha)?,
                b: trees(hb)?,
            }
        }
        (a, b) => {
            let (ka, kb) = (b.keys(), a.keys());
            let mut ra = a.values(ka.as_deref())?;
            let mut rb = b.values(kb.as_deref())?;
            for root in [SYSTEM_ROOT, SOFTWARE_ROOT] {
                let missing_on = match (lacks(&roots_a, root), lacks(&roots_b, root)) {
                    (true, false) => "a",
                    (false, true) => "b",
                    _ => continue,
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
            let differs = deltas(&ra, &rb).next().is_some();
            return Ok(Compared {
                sides: Sides::Values { a: ra, b: rb },
                not_compared,
                duplicates,
                differs,
            });
        }
    };
    // One walk before any output: its errors come now, and it finds the duplicates.
    let mut c = Compared {
        sides,
        not_compared,
        duplicates: Vec::new(),
        differs: false,
    };
    let (mut differs, mut duplicates) = (false, Vec::new());
    c.walk(&mut |_| differs = true, &mut |d| duplicates.push(d))?;
    c.differs = differs;
    c.duplicates = duplicates;
    Ok(c)
}

/// Whether `key` is `root` or below it.
fn below(key: &str, root: &str) -> bool {
    crate::keypath::strip_key_prefix(key, root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('\\'))
}
