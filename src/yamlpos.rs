//! Where each node of a YAML file starts: serde_yaml parses the profile, this index
//! (built from yaml-rust2's marked event stream) gives every key and value its line and
//! column so diagnostics can point at them.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in a source file: 1-based line and column, and the length to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    #[serde(skip)]
    pub len: usize,
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
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
}

enum Frame {
    Map {
        path: Path,
        key: Option<(String, Pos)>,
    },
    Seq {
        path: Path,
        next: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    map: HashMap<Path, Entry>,
    root_done: bool,
}

fn pos(mark: Marker, len: usize) -> Pos {
    // yaml-rust2 markers count lines from 1 and columns from 0.
    Pos {
        line: mark.line(),
        col: mark.col() + 1,
        len,
    }
}

impl Builder {
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
            Some(Frame::Map { path, key }) => {
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
        }
    }

    /// In a mapping awaiting a key, a scalar is that key.
    fn awaiting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, style, ..) => {
                let quoted = matches!(
                    style,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                );
                let len = text.chars().count().max(1) + if quoted { 2 } else { 0 };
                if self.awaiting_key() {
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some((text, pos(mark, len)));
                    }
                } else if let Some((path, key)) = self.place() {
                    self.map.insert(
                        path,
                        Entry {
                            key,
                            value: pos(mark, len),
                        },
                    );
                }
            }
            Event::Alias(_) => {
                if self.awaiting_key() {
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(("*alias".into(), pos(mark, 1)));
                    }
                } else if let Some((path, key)) = self.place() {
                    self.map.insert(
                        path,
                        Entry {
                            key,
                            value: pos(mark, 1),
                        },
                    );
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let path = if self.awaiting_key() {
                    // A complex key: its contents are not addressable.
                    Vec::new()
                } else {
                    match self.place() {
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
                    }
                };
                self.stack.push(if is_map {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

impl PosIndex {
    /// Indexes `src`; a document yaml-rust2 cannot scan gives an empty index (serde_yaml
    /// reports the syntax error itself).
    pub fn new(src: &str) -> Self {
        let mut b = Builder {
            stack: Vec::new(),
            map: HashMap::new(),
            root_done: false,
        };
        let mut parser = Parser::new_from_str(src);
        let _ = parser.load(&mut b, false);
        PosIndex { map: b.map }
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

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn keys_and_values_have_positions() {
        let src = "name: x\nprotocols:\n  TLS 1.2: enabled\n  'SSL 3.0': { client: disabled }\nlist:\n  - a\n  - b\n";
        let idx = PosIndex::new(src);
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
}
