//! Where each node of a YAML file starts: serde_yaml parses the profile, this index
//! (built from yaml-rust2's marked event stream) gives every key and value its line and
//! column so diagnostics can point at them.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in a source file: 1-based line and column, and the length to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    /// The 1-based line; 0 for no place in the file.
    pub line: usize,
    /// The 1-based column, in characters.
    pub col: usize,
    /// How many characters to underline (rendering underlines at least one); not serialized.
    #[serde(skip)]
    pub len: usize,
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A mapping key, as text.
    Key(String),
    /// A sequence index, from 0.
    Index(usize),
}

/// A path from the document root, e.g. `protocols` / `TLS 1.2` / `client`.
pub type Path = Vec<Seg>;

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    key: Option<Pos>,
    value: Pos,
}

/// Positions of the keys and values of one YAML document.
#[derive(Debug, Default, Clone)]
pub struct PosIndex {
    map: HashMap<Path, Entry>,
    duplicates: Vec<DuplicateKey>,
    /// Where the document, with every alias replaced by what it names, first grew past the
    /// bound it was indexed with.
    too_large: Option<TooLarge>,
    /// Whether the scan reached the end of the document (yaml-rust2 parsed all of it).
    complete: bool,
    /// Unquoted mapping keys that YAML reads as something other than text.
    retyped: Vec<RetypedKey>,
}

/// An unquoted mapping key that YAML reads as a number, boolean or null (`0x10`, `TRUE`).
#[derive(Debug, Clone, PartialEq)]
struct RetypedKey {
    /// The mapping it is a key of.
    mapping: Path,
    /// Its text in the file.
    text: String,
    at: Pos,
}

/// What serde_yaml reads an unquoted scalar as, when that is not text. Only scalars that
/// could be a YAML 1.2 number, boolean or null are parsed.
fn retyped(text: &str) -> Option<serde_yaml::Value> {
    let first = text.chars().next()?;
    let maybe = first.is_ascii_digit()
        || matches!(first, '+' | '-' | '.' | '~')
        || matches!(
            text,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL"
        );
    if !maybe || text.len() > 64 {
        return None;
    }
    serde_yaml::from_str::<serde_yaml::Value>(text)
        .ok()
        .filter(|v| !v.is_string())
}

/// How large a document may grow once its aliases are expanded: the bytes of its scalars and
/// the number of its nodes (an alias counts as everything its anchor holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The most bytes of scalar text.
    pub bytes: u64,
    /// The most nodes (scalars, sequences and mappings).
    pub nodes: u64,
}

/// Where, and why, a document outgrew its [`Bound`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// The node (usually an alias) that crossed the bound.
    pub at: Pos,
    /// What was exceeded, in words: `4194304 bytes of text`, `100000 nodes`, or an alias
    /// inside the node it names.
    pub what: String,
}

/// A key given twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key's text, as written in both places.
    pub key: String,
    /// Where the key is first given.
    pub first: Pos,
    /// Where it is given again.
    pub second: Pos,
}

enum Frame {
    Map {
        path: Path,
        key: Option<(String, Pos)>,
        /// Keys seen so far, for duplicate detection.
        seen: HashMap<String, Pos>,
        /// A block mapping's start marker sits at its first key's colon; that key fixes it.
        block: bool,
    },
    Seq {
        path: Path,
        next: usize,
    },
    /// A collection used as a mapping key (`[a]: x`): its contents are not addressable.
    ComplexKey {
        start: Pos,
    },
}

struct Builder<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    stack: Vec<Frame>,
    map: HashMap<Path, Entry>,
    root_done: bool,
    duplicates: Vec<DuplicateKey>,
    size: Size,
    retyped: Vec<RetypedKey>,
}

/// The expanded size of the document so far, counted in one pass over the events: a scalar
/// adds its bytes and one node, a collection one node, an alias the whole expanded size of
/// its anchor (known once the anchor's node has ended). Linear in the input, whatever the
/// expansion would be.
struct Size {
    bound: Bound,
    bytes: u64,
    nodes: u64,
    /// Expanded size of each finished anchor, by yaml-rust2 anchor id.
    anchors: HashMap<usize, (u64, u64)>,
    /// Open collections: their anchor id (0 for none) and the totals when they started.
    open: Vec<(usize, u64, u64)>,
    over: Option<TooLarge>,
}

impl Size {
    fn add(&mut self, bytes: u64, nodes: u64, at: Pos) {
        if self.over.is_some() {
            return;
        }
        self.bytes = self.bytes.saturating_add(bytes);
        self.nodes = self.nodes.saturating_add(nodes);
        let what = if self.bytes > self.bound.bytes {
            format!("{} bytes of text", self.bound.bytes)
        } else if self.nodes > self.bound.nodes {
            format!("{} nodes", self.bound.nodes)
        } else {
            return;
        };
        self.over = Some(TooLarge { at, what });
    }

    fn event(&mut self, ev: &Event, at: Pos) {
        match ev {
            Event::Scalar(text, _, anchor, _) => {
                self.add(text.len() as u64, 1, at);
                if *anchor > 0 {
                    self.anchors.insert(*anchor, (text.len() as u64, 1));
                }
            }
            Event::Alias(id) => match self.anchors.get(id) {
                Some(&(bytes, nodes)) => self.add(bytes, nodes, at),
                // An alias inside the node it names: the expansion never ends.
                None if self.over.is_none() => {
                    self.over = Some(TooLarge {
                        at,
                        what: "any size: it names a node that contains it".into(),
                    });
                }
                None => {}
            },
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                self.open.push((*anchor, self.bytes, self.nodes));
                self.add(0, 1, at);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((anchor, bytes, nodes)) = self.open.pop() {
                    if anchor > 0 {
                        self.anchors
                            .insert(anchor, (self.bytes - bytes, self.nodes - nodes));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Nesting beyond this is not indexed.
const MAX_INDEX_DEPTH: usize = 128;

fn pos(mark: Marker, len: usize) -> Pos {
    // yaml-rust2 markers count lines from 1 and columns from 0.
    Pos {
        line: mark.line(),
        col: mark.col() + 1,
        len,
    }
}

impl Builder<'_> {
    /// The path of the node that starts now, and the key position if it is a mapping value.
    fn place(&mut self) -> Option<(Path, Option<Pos>)> {
        match self.stack.last_mut() {
            None => {
                if self.root_done {
                    None
                } else {
                    self.root_done = true;
                    Some((Vec::new(), None))
                }
            }
            Some(Frame::Map { path, key, .. }) => {
                let (k, kpos) = key.take()?;
                let mut p = path.clone();
                p.push(Seg::Key(k));
                Some((p, Some(kpos)))
            }
            Some(Frame::Seq { path, next }) => {
                let mut p = path.clone();
                p.push(Seg::Index(*next));
                *next += 1;
                Some((p, None))
            }
            Some(Frame::ComplexKey { .. }) => None,
        }
    }

    /// In a mapping awaiting a key, the next node is that key.
    fn awaiting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn in_complex_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::ComplexKey { .. }))
    }

    /// Whether a collection starting at `mark` is a flow collection (`{` or `[`).
    fn is_flow(&self, mark: Marker) -> bool {
        let Some(&start) = self.line_starts.get(mark.line().saturating_sub(1)) else {
            return false;
        };
        self.src[start..]
            .chars()
            .nth(mark.col())
            .is_some_and(|c| c == '{' || c == '[')
    }

    /// Records a mapping key: duplicates, and a block mapping's real start.
    fn on_key(&mut self, text: String, at: Pos) {
        let fix = match self.stack.last_mut() {
            Some(Frame::Map {
                path,
                key,
                seen,
                block,
            }) => {
                match seen.get(&text) {
                    Some(first) => self.duplicates.push(DuplicateKey {
                        key: text.clone(),
                        first: *first,
                        second: at,
                    }),
                    None => {
                        seen.insert(text.clone(), at);
                    }
                }
                *key = Some((text, at));
                std::mem::take(block).then(|| path.clone())
            }
            _ => None,
        };
        if let Some(path) = fix {
            if let Some(e) = self.map.get_mut(&path) {
                e.value = Pos { len: 1, ..at };
            }
        }
    }

    fn on_node(&mut self, at: Pos) {
        if let Some((path, key)) = self.place() {
            self.map.insert(path, Entry { key, value: at });
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        self.size.event(&ev, pos(mark, 1));
        match ev {
            Event::Scalar(..) | Event::Alias(_) if self.in_complex_key() => {}
            Event::Scalar(text, style, _, tag) => {
                let quoted = matches!(
                    style,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                );
                let len = (text.chars().count() + if quoted { 2 } else { 0 }).max(1);
                if self.awaiting_key() {
                    if style == TScalarStyle::Plain && tag.is_none() && retyped(&text).is_some() {
                        if let Some(Frame::Map { path, .. }) = self.stack.last() {
                            self.retyped.push(RetypedKey {
                                mapping: path.clone(),
                                text: text.clone(),
                                at: pos(mark, len),
                            });
                        }
                    }
                    self.on_key(text, pos(mark, len));
                } else {
                    self.on_node(pos(mark, len));
                }
            }
            Event::Alias(_) => {
                if self.awaiting_key() {
                    self.on_key("*alias".into(), pos(mark, 1));
                } else {
                    self.on_node(pos(mark, 1));
                }
            }
            // Deeper than any profile: not indexed (serde_yaml rejects it), so that hostile
            // nesting costs no memory here.
            Event::MappingStart(..) | Event::SequenceStart(..)
                if self.stack.len() >= MAX_INDEX_DEPTH =>
            {
                self.stack.push(Frame::ComplexKey {
                    start: pos(mark, 1),
                });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if self.awaiting_key() || self.in_complex_key() {
                    self.stack.push(Frame::ComplexKey {
                        start: pos(mark, 1),
                    });
                    return;
                }
                let path = match self.place() {
                    Some((path, key)) => {
                        self.map.insert(
                            path.clone(),
                            Entry {
                                key,
                                value: pos(mark, 1),
                            },
                        );
                        path
                    }
                    None => Vec::new(),
                };
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        path,
                        key: None,
                        seen: HashMap::new(),
                        block: !self.is_flow(mark),
                    }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Frame::ComplexKey { start }) = self.stack.pop() {
                    if !self.in_complex_key() {
                        self.on_key("*complex".into(), start);
                    }
                }
            }
            _ => {}
        }
    }
}

impl PosIndex {
    /// Indexes `src`; a document yaml-rust2 cannot scan is indexed up to the problem
    /// (serde_yaml reports syntax errors itself). The scan stops where the document, its
    /// aliases expanded, outgrows `bound` ([`PosIndex::too_large`]).
    pub fn new(src: &str, bound: Bound) -> Self {
        // yaml-rust2 refuses some tabs libyaml (serde_yaml) accepts; a space in their place
        // keeps every position.
        let src = src.replace('\t', " ");
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut b = Builder {
            src: &src,
            line_starts,
            stack: Vec::new(),
            map: HashMap::new(),
            root_done: false,
            duplicates: Vec::new(),
            retyped: Vec::new(),
            size: Size {
                bound,
                bytes: 0,
                nodes: 0,
                anchors: HashMap::new(),
                open: Vec::new(),
                over: None,
            },
        };
        let mut parser = Parser::new_from_str(&src);
        // The first document, event by event (as `Parser::load` does), so that the scan
        // stops as soon as the expanded size is too large.
        let mut complete = false;
        while let Ok((ev, mark)) = parser.next_token() {
            let end = matches!(ev, Event::DocumentEnd | Event::StreamEnd);
            b.on_event(ev, mark);
            if end {
                complete = true;
                break;
            }
            if b.size.over.is_some() {
                break;
            }
        }
        PosIndex {
            map: b.map,
            duplicates: b.duplicates,
            too_large: b.size.over,
            complete,
            retyped: b.retyped,
        }
    }

    /// The text and place of the unquoted key of the mapping at `mapping` that YAML read as
    /// `key` (a number, boolean or null), if the file has one.
    pub fn retyped_key(&self, mapping: &[Seg], key: &serde_yaml::Value) -> Option<(&str, Pos)> {
        self.retyped
            .iter()
            .filter(|r| r.mapping == mapping)
            .find(|r| retyped(&r.text).as_ref() == Some(key))
            .map(|r| (r.text.as_str(), r.at))
    }

    /// Where the document outgrew the bound it was indexed with, if it did.
    pub fn too_large(&self) -> Option<&TooLarge> {
        self.too_large.as_ref()
    }

    /// Whether yaml-rust2 read the whole document; when it did not, the expanded size was
    /// counted only up to where it stopped.
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Keys given twice in one mapping, in file order.
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// Whether `path` itself is indexed.
    pub fn has(&self, path: &[Seg]) -> bool {
        self.map.contains_key(path)
    }

    /// Where the value at `path` starts, or its nearest indexed ancestor.
    pub fn value(&self, path: &[Seg]) -> Pos {
        self.find(path, false)
    }

    /// Where the key of the mapping entry at `path` starts (its value for list items).
    pub fn key(&self, path: &[Seg]) -> Pos {
        self.find(path, true)
    }

    fn find(&self, path: &[Seg], want_key: bool) -> Pos {
        let mut p = path;
        loop {
            if let Some(e) = self.map.get(p) {
                return if want_key {
                    e.key.unwrap_or(e.value)
                } else {
                    e.value
                };
            }
            match p.split_last() {
                Some((_, rest)) => p = rest,
                None => {
                    return Pos {
                        line: 1,
                        col: 1,
                        len: 1,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: Bound = Bound {
        bytes: u64::MAX,
        nodes: u64::MAX,
    };

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn aliases_count_as_what_they_name() {
        let bound = Bound {
            bytes: 100,
            nodes: 1000,
        };
        // 30 bytes, named 3 times: 90 bytes, within the bound.
        let three = format!("a: &x {}\nb: [*x, *x]\n", "y".repeat(30));
        assert_eq!(PosIndex::new(&three, bound).too_large(), None);
        // The fourth reference crosses it, at that alias.
        let four = format!("a: &x {}\nb: [*x, *x]\nc: *x\n", "y".repeat(30));
        let over = PosIndex::new(&four, bound);
        assert_eq!(
            over.too_large(),
            Some(&TooLarge {
                at: Pos {
                    line: 3,
                    col: 4,
                    len: 1
                },
                what: "100 bytes of text".into()
            })
        );
        // Nested anchors multiply: 10 levels of 10 references are 10^10 nodes, found at the
        // first alias that crosses, after a few hundred events.
        let mut bomb = String::from("l0: &l0 [a,a,a,a,a,a,a,a,a,a]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "l{i}: &l{i} [{}]\n",
                vec![format!("*l{}", i - 1); 10].join(",")
            ));
        }
        let nodes = Bound {
            bytes: 1 << 20,
            nodes: 1000,
        };
        let over = PosIndex::new(&bomb, nodes).too_large().cloned().unwrap();
        assert_eq!((over.at.line, over.what.as_str()), (3, "1000 nodes"));
        // An alias inside its own anchor never ends.
        let rec = PosIndex::new("a: &a [1, *a]\n", bound);
        assert_eq!(
            rec.too_large().map(|t| t.what.as_str()),
            Some("any size: it names a node that contains it")
        );
    }

    #[test]
    fn keys_and_values_have_positions() {
        let src = "name: x\nprotocols:\n  TLS 1.2: enabled\n  'SSL 3.0': { client: disabled }\nlist:\n  - a\n  - b\n";
        let idx = PosIndex::new(src, BIG);
        assert_eq!(
            idx.key(&[k("protocols"), k("TLS 1.2")]),
            Pos {
                line: 3,
                col: 3,
                len: 7
            }
        );
        assert_eq!(
            idx.value(&[k("protocols"), k("TLS 1.2")]),
            Pos {
                line: 3,
                col: 12,
                len: 7
            }
        );
        assert_eq!(
            idx.key(&[k("protocols"), k("SSL 3.0"), k("client")]),
            Pos {
                line: 4,
                col: 16,
                len: 6
            }
        );
        assert_eq!(
            idx.value(&[k("list"), Seg::Index(1)]),
            Pos {
                line: 7,
                col: 5,
                len: 1
            }
        );
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(idx.value(&[k("list"), Seg::Index(9)]).line, 6);
    }

    #[test]
    fn block_mappings_start_at_their_first_key() {
        let idx = PosIndex::new("raw:\n  - values: {}\n    key: x\n", BIG);
        assert_eq!(
            idx.value(&[k("raw"), Seg::Index(0)]),
            Pos {
                line: 2,
                col: 5,
                len: 1
            }
        );
        assert_eq!(
            idx.value(&[k("raw"), Seg::Index(0), k("values")]),
            Pos {
                line: 2,
                col: 13,
                len: 1
            }
        );
    }

    #[test]
    fn duplicates_and_tabs_and_complex_keys() {
        let idx = PosIndex::new("a: 1\nb:\tx\na: 2\n[c]: 3\nd: 4\n", BIG);
        assert_eq!(
            idx.duplicates(),
            &[DuplicateKey {
                key: "a".into(),
                first: Pos {
                    line: 1,
                    col: 1,
                    len: 1
                },
                second: Pos {
                    line: 3,
                    col: 1,
                    len: 1
                }
            }]
        );
        assert_eq!(
            idx.value(&[k("b")]),
            Pos {
                line: 2,
                col: 4,
                len: 1
            }
        );
        assert_eq!(
            idx.key(&[k("*complex")]),
            Pos {
                line: 4,
                col: 1,
                len: 1
            }
        );
        assert_eq!(
            idx.key(&[k("d")]),
            Pos {
                line: 5,
                col: 1,
                len: 1
            }
        );
    }
}
