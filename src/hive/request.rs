//! [`Request`]: what part of a hive an extraction copies (read by the query and, ahead of
//! it, by the demand reader).

/// How a request walks the hive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The key's values (and whether it exists).
    Key(String),
    /// The key, its values and every key below it, with their values.
    Tree(String),
    /// The key and the names of its direct subkeys (no values).
    Children(String),
}

impl Request {
    /// The key path the request starts at, relative to the hive root.
    pub fn path(&self) -> &str {
        match self {
            Request::Key(p) | Request::Tree(p) | Request::Children(p) => p,
        }
    }
}
