//! Two hive trees compared in one paired depth-first walk, with nothing copied but one key's
//! values at a time: what `tlsreg diff` of two hives reads, in memory near the two hives'
//! size. Keys and values are paired by name as Windows compares names ([`fold`]); children
//! and values are visited in folded-name order; a root subkey naming a side's current
//! control set is named `CurrentControlSet`, so two images whose current sets differ in
//! number still compare set with set. The traversal guard (cycles, depth, key budget) is
//! the one of [`walk`](super::walk).

use super::error::HiveError;
use super::walk::{node_id, Faults, Guard, Reader, WalkEvent};
use crate::keypath::{control_set_name, fold, same_name};
use nt_hive::{Hive, KeyNode};

type Node<'h> = KeyNode<'h, &'h [u8]>;

/// A value on one side: its type and data.
pub type ZipData<'a> = Option<(u32, &'a [u8])>;

/// What the paired walk reports.
pub enum ZipEvent<'a> {
    /// A value that is not the same on both sides (missing on one, or another type or
    /// data). `key` is spelled as side `a` spells it when it has the key.
    Differs {
        /// The key's full path, under the walk's prefix.
        key: &'a str,
        /// The value name as spelled on side `a` when it has the value, else as on side `b`; `""`
        /// is the default value.
        name: &'a str,
        /// The value on side `a`; `None` when `a` does not have it.
        a: ZipData<'a>,
        /// The value on side `b`; `None` when `b` does not have it.
        b: ZipData<'a>,
    },
    /// A value that a key holds after an earlier value of the same name (Windows reads the
    /// first; this one is not compared).
    Shadowed {
        /// Side `b` (else `a`).
        on_b: bool,
        /// The key's full path, under the walk's prefix.
        key: &'a str,
        /// The shadowed value's name as spelled.
        name: &'a str,
        /// The name of the earlier value Windows reads, as spelled.
        first: &'a str,
    },
}

/// One side of the walk: the hive bytes and the control set to call `CurrentControlSet`.
pub(crate) struct ZipSide<'h> {
    pub reader: Reader<'h>,
    pub current: Option<u32>,
}

/// One key's values, first of each name, sorted by folded name.
struct Values {
    /// (folded name, name, type, data).
    items: Vec<(String, String, u32, Vec<u8>)>,
}

/// Walks the two trees below their roots (either side may be absent: then everything on
/// the other side differs), keys named under `prefix`.
pub(crate) fn zip(
    prefix: &str,
    a: Option<&ZipSide<'_>>,
    b: Option<&ZipSide<'_>>,
    f: &mut dyn FnMut(ZipEvent<'_>),
) -> Result<(), HiveError> {
    let ha = a
        .map(|s| Hive::without_validation(s.reader.bytes).map_err(|e| s.reader.nt_error(e)))
        .transpose()?;
    let hb = b
        .map(|s| Hive::without_validation(s.reader.bytes).map_err(|e| s.reader.nt_error(e)))
        .transpose()?;
    let ra = match (&ha, a) {
        (Some(h), Some(s)) => Some(h.root_key_node().map_err(|e| s.reader.nt_error(e))?),
        _ => None,
    };
    let rb = match (&hb, b) {
        (Some(h), Some(s)) => Some(h.root_key_node().map_err(|e| s.reader.nt_error(e))?),
        _ => None,
    };
    let mut w = Walker {
        a,
        b,
        guard_a: Guard::new(Faults::Stop),
        guard_b: Guard::new(Faults::Stop),
    };
    w.pair(ra.as_ref(), rb.as_ref(), prefix, true, f)
}

struct Walker<'s, 'h> {
    a: Option<&'s ZipSide<'h>>,
    b: Option<&'s ZipSide<'h>>,
    guard_a: Guard,
    guard_b: Guard,
}

impl Walker<'_, '_> {
    /// Compares the keys `a` and `b` (named `full`; at least one is there), then their
    /// subkeys, paired by folded name.
    fn pair(
        &mut self,
        a: Option<&Node<'_>>,
        b: Option<&Node<'_>>,
        full: &str,
        at_root: bool,
        f: &mut dyn FnMut(ZipEvent<'_>),
    ) -> Result<(), HiveError> {
        let (ida, idb) = (a.and_then(node_id), b.and_then(node_id));
        if let (Some(_), Some(s)) = (a, self.a) {
            self.guard_a
                .check(ida, full)
                .map_err(|m| s.reader.invalid(m))?;
        }
        if let (Some(_), Some(s)) = (b, self.b) {
            self.guard_b
                .check(idb, full)
                .map_err(|m| s.reader.invalid(m))?;
        }
        let va = match (a, self.a) {
            (Some(n), Some(s)) => values(s, n, full, false, f)?,
            _ => Values { items: Vec::new() },
        };
        let vb = match (b, self.b) {
            (Some(n), Some(s)) => values(s, n, full, true, f)?,
            _ => Values { items: Vec::new() },
        };
        merge(
            &va.items,
            &vb.items,
            |x, y| x.0.cmp(&y.0),
            |x, y| {
                let (name, da, db) = match (x, y) {
                    (Some(x), Some(y)) if x.2 == y.2 && x.3 == y.3 => return,
                    (Some(x), Some(y)) => (&x.1, Some((x.2, &x.3[..])), Some((y.2, &y.3[..]))),
                    (Some(x), None) => (&x.1, Some((x.2, &x.3[..])), None),
                    (None, Some(y)) => (&y.1, None, Some((y.2, &y.3[..]))),
                    (None, None) => return,
                };
                f(ZipEvent::Differs {
                    key: full,
                    name,
                    a: da,
                    b: db,
                });
            },
        );
        drop((va, vb));
        let ka = match (a, self.a) {
            (Some(n), Some(s)) => children(s, n, at_root)?,
            _ => Vec::new(),
        };
        let kb = match (b, self.b) {
            (Some(n), Some(s)) => children(s, n, at_root)?,
            _ => Vec::new(),
        };
        if a.is_some() {
            self.guard_a.push(ida);
        }
        if b.is_some() {
            self.guard_b.push(idb);
        }
        let mut pairs = Vec::new();
        merge(&ka, &kb, |x, y| x.0.cmp(&y.0), |x, y| pairs.push((x, y)));
        let mut result = Ok(());
        for (x, y) in pairs {
            let name = x.or(y).map(|c| c.1.as_str()).unwrap_or_default();
            let sub = format!("{full}\\{name}");
            result = self.pair(x.map(|c| &c.2), y.map(|c| &c.2), &sub, false, f);
            if result.is_err() {
                break;
            }
        }
        if a.is_some() {
            self.guard_a.pop(ida);
        }
        if b.is_some() {
            self.guard_b.pop(idb);
        }
        result
    }
}

/// A key's values: the first of each name (the walk reports later ones as shadowed, and
/// so does this, in the hive's order), sorted by folded name.
fn values(
    side: &ZipSide<'_>,
    node: &Node<'_>,
    full: &str,
    on_b: bool,
    f: &mut dyn FnMut(ZipEvent<'_>),
) -> Result<Values, HiveError> {
    let mut items: Vec<(String, String, u32, Vec<u8>)> = Vec::new();
    side.reader
        .key(node, full, Faults::Stop, &mut |ev| match ev {
            WalkEvent::Value {
                name,
                type_code,
                data,
            } => items.push((fold(name), name.to_string(), type_code, data.to_vec())),
            WalkEvent::Shadowed { name, first, .. } => f(ZipEvent::Shadowed {
                on_b,
                key: full,
                name,
                first,
            }),
            WalkEvent::Key(_) | WalkEvent::Damaged { .. } => {}
        })?;
    items.sort_by(|x, y| x.0.cmp(&y.0));
    Ok(Values { items })
}

/// A key's subkeys as (folded name, name, node), sorted by folded name, the first of each
/// name kept; at the root, the current control set is named `CurrentControlSet`.
fn children<'h>(
    side: &ZipSide<'h>,
    node: &Node<'h>,
    at_root: bool,
) -> Result<Vec<(String, String, Node<'h>)>, HiveError> {
    let r = &side.reader;
    let Some(subkeys) = node.subkeys() else {
        return Ok(Vec::new());
    };
    let current = side.current.filter(|_| at_root).map(control_set_name);
    let mut out = Vec::new();
    for k in subkeys.map_err(|e| r.nt_error(e))? {
        let k = k.map_err(|e| r.nt_error(e))?;
        let mut name = k.name().map_err(|e| r.nt_error(e))?.to_string_lossy();
        if current.as_deref().is_some_and(|c| same_name(&name, c)) {
            name = crate::keypath::CURRENT_CONTROL_SET.to_string();
        }
        out.push((fold(&name), name, k));
    }
    out.sort_by(|x, y| x.0.cmp(&y.0));
    out.dedup_by(|later, earlier| later.0 == earlier.0);
    Ok(out)
}

/// Merges two lists sorted by `cmp`, calling `both` with each item of either and its
/// partner of the same rank on the other side, if any.
fn merge<'x, T>(
    a: &'x [T],
    b: &'x [T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    mut both: impl FnMut(Option<&'x T>, Option<&'x T>),
) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => match cmp(x, y) {
                std::cmp::Ordering::Less => {
                    both(Some(x), None);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    both(None, Some(y));
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    both(Some(x), Some(y));
                    i += 1;
                    j += 1;
                }
            },
            (Some(x), None) => {
                both(Some(x), None);
                i += 1;
            }
            (None, Some(y)) => {
                both(None, Some(y));
                j += 1;
            }
            (None, None) => break,
        }
    }
}
