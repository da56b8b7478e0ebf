//! SARIF 2.1.0 logs (the OASIS format GitHub code scanning and other viewers read): a small
//! serde model of the parts tlsreg writes, and a [`Builder`] that turns findings (a rule, a
//! level, a message, a place in a file and/or a logical place such as a registry key) into
//! one [`Log`]. `tlsreg lint --format sarif` writes `.reg` diagnostics with it; audit
//! findings fit the same items (the key as a [`LogicalLocation`], the profile as the file).
//!
//! GitHub shows a result only where it has a file ([`FileLocation`]); a result with only a
//! logical place is valid SARIF that GitHub keeps out of its alert list.

use crate::diag::{Code, Diagnostic, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};

/// The `$schema` of every log: SchemaStore's copy of the OASIS schema, which GitHub and
/// editors know.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The SARIF version written.
pub const VERSION: &str = "2.1.0";
/// The `uriBaseId` of a relative path: the folder the paths were given from (GitHub's
/// upload resolves it to the checkout).
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of tlsreg's fingerprint in `partialFingerprints` (see [`Builder::push`]).
pub const FINGERPRINT_KEY: &str = "tlsreg/v1";

/// A result's or a rule's level, SARIF's `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `error`: fails GitHub's check.
    Error,
    /// `warning`.
    Warning,
    /// `note`.
    Note,
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Level {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Note => Level::Note,
        }
    }
}

/// The whole log: one [`Run`] of tlsreg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    /// [`SCHEMA_URI`].
    #[serde(rename = "$schema")]
    pub schema: String,
    /// [`VERSION`].
    pub version: String,
    /// One run.
    pub runs: Vec<Run>,
}

/// One run of the tool: the tool and its rules, how the run went, and its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// tlsreg and its rules.
    pub tool: Tool,
    /// One invocation: whether every input could be read, and what could not.
    pub invocations: Vec<Invocation>,
    /// `unicodeCodePoints`: tlsreg counts columns in characters, not UTF-16 code units.
    pub column_kind: String,
    /// Every result, in the order pushed.
    pub results: Vec<SarifResult>,
}

/// SARIF's `tool`: only its `driver`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// tlsreg itself.
    pub driver: Driver,
}

/// SARIF's `toolComponent` for the driver: tlsreg, its version and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// `tlsreg`.
    pub name: String,
    /// The crate's version.
    pub version: String,
    /// The package's homepage or repository (Cargo.toml), when it names one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub information_uri: Option<String>,
    /// Every rule a result names, in the order first given; a result's `ruleIndex` points
    /// here.
    pub rules: Vec<ReportingDescriptor>,
}

/// SARIF's `reportingDescriptor`: one rule (a diagnostic code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// The code, e.g. `value-twice`.
    pub id: String,
    /// What the code means.
    pub short_description: Message,
    /// Where the code is explained, if anywhere.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub help_uri: Option<String>,
    /// The code's own level (a result may differ: `lint --deny`).
    pub default_configuration: Configuration,
}

/// SARIF's `reportingConfiguration`: only the level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// The rule's own level.
    pub level: Level,
}

/// SARIF's `message`: plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The text, one or more sentences.
    pub text: String,
}

/// SARIF's `result` (named so as not to shadow [`std::result::Result`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule's id (the code).
    pub rule_id: String,
    /// The rule's place in [`Driver::rules`].
    pub rule_index: usize,
    /// This result's level (the rule's, or raised).
    pub level: Level,
    /// What was found, and the fix.
    pub message: Message,
    /// None or one.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub locations: Vec<Location>,
    /// [`FINGERPRINT_KEY`] → `HASH:N` (see [`Builder::push`]).
    pub partial_fingerprints: BTreeMap<String, String>,
    /// Anything else the producer wants to keep with the result (SARIF's property bag).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
    /// Why the result is accepted, when it is (SARIF's `suppressions`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub suppressions: Vec<Suppression>,
}

/// SARIF's `suppression`: a result accepted on purpose, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppression {
    /// `external`: the suppression is kept outside the scanned files (a waiver file).
    pub kind: String,
    /// `accepted`.
    pub status: String,
    /// The reason given.
    pub justification: String,
}

/// SARIF's `location`: a place in a file, logical places, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file, line and column.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub physical_location: Option<PhysicalLocation>,
    /// Registry keys and values, or other places without a file position.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub logical_locations: Vec<LogicalLocation>,
}

/// SARIF's `physicalLocation`: a file and, when known, the line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The line and column; none for the file as a whole.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub region: Option<Region>,
}

/// SARIF's `artifactLocation`: a URI reference ([`artifact_location`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// A relative reference (against `uri_base_id`) or a `file:` URI, percent-encoded.
    pub uri: String,
    /// [`SRCROOT`] for a relative path; none for an absolute `file:` URI.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uri_base_id: Option<String>,
}

/// SARIF's `region`: 1-based line and column (columns in characters, [`Run::column_kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based line.
    pub start_line: usize,
    /// 1-based column in characters; none for the line as a whole.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub start_column: Option<usize>,
}

/// SARIF's `logicalLocation`: a place that is not a position in a file, such as a registry
/// key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    /// The last part (a key's own name, a value's name).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// The whole name, e.g. `HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control`.
    pub fully_qualified_name: String,
    /// What it is: [`LogicalLocation::REGISTRY_KEY`], [`LogicalLocation::REGISTRY_VALUE`] or
    /// one of SARIF's kinds.
    pub kind: String,
}

impl LogicalLocation {
    /// The kind of a registry key.
    pub const REGISTRY_KEY: &'static str = "registryKey";
    /// The kind of a registry value.
    pub const REGISTRY_VALUE: &'static str = "registryValue";

    /// A registry key by its full path.
    pub fn registry_key(key: &str) -> LogicalLocation {
        LogicalLocation {
            name: key.rsplit('\\').next().map(str::to_string),
            fully_qualified_name: key.to_string(),
            kind: Self::REGISTRY_KEY.to_string(),
        }
    }

    /// A value of a registry key: the fully qualified name is `KEY\NAME` (`KEY\` for the
    /// default value), and `name` is the value's name alone, so that a value and a subkey
    /// of the same name stay apart.
    pub fn registry_value(key: &str, name: &str) -> LogicalLocation {
        LogicalLocation {
            name: Some(name.to_string()),
            fully_qualified_name: format!("{key}\\{name}"),
            kind: Self::REGISTRY_VALUE.to_string(),
        }
    }
}

/// SARIF's `invocation`: whether the run read every input, and what it could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Every input was read ([`Builder::input_failed`] was not called).
    pub execution_successful: bool,
    /// What could not be read, and why.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tool_execution_notifications: Vec<Notification>,
}

/// SARIF's `notification`: something about the run, such as a file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// How bad it is.
    pub level: Level,
    /// What happened.
    pub message: Message,
    /// The input it concerns, if one.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub locations: Vec<Location>,
}

/// A rule as a [`Builder`] item names it: the code, what it means, its own level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The stable code, e.g. `value-twice`.
    pub id: String,
    /// One line: what the code means.
    pub description: String,
    /// The code's own level.
    pub level: Level,
    /// Where the code is explained, if anywhere.
    pub help_uri: Option<String>,
}

/// A diagnostic code as a rule: its name, its meaning and severity from
/// [`Code::info`], no help URI.
impl From<Code> for Rule {
    fn from(code: Code) -> Rule {
        Rule {
            id: code.as_str().to_string(),
            description: code.meaning().to_string(),
            level: code.severity().into(),
            help_uri: None,
        }
    }
}

/// A place in a file: the path as the user gave it, 1-based line and column (line 0: the
/// file as a whole; column 0: the line as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocation {
    /// The path as given (relative to where tlsreg runs, or absolute).
    pub path: std::path::PathBuf,
    /// 1-based line; 0 for the file as a whole.
    pub line: usize,
    /// 1-based column in characters; 0 for the line as a whole.
    pub col: usize,
    /// The text of the line, when known: it goes into the fingerprint instead of the line
    /// number, so a result keeps its identity when lines are added above it. Not written to
    /// the log.
    pub line_text: Option<String>,
}

impl FileLocation {
    /// `path` at `line:col`, without the line's text.
    pub fn new(path: impl Into<std::path::PathBuf>, line: usize, col: usize) -> FileLocation {
        FileLocation {
            path: path.into(),
            line,
            col,
            line_text: None,
        }
    }
}

/// One finding for the [`Builder`]: its rule, its level (which may differ from the rule's:
/// `lint --deny`), its message, and where it is: a file position, a logical place (a
/// registry key), both, or neither.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The code and what it means.
    pub rule: Rule,
    /// This finding's level.
    pub level: Level,
    /// What was found, and the fix.
    pub message: String,
    /// Where in a file (for audit: the profile, at the setting's line).
    pub file: Option<FileLocation>,
    /// A place without a file position (for audit: the registry key or value).
    pub logical: Option<LogicalLocation>,
    /// Extra data kept with the result (SARIF's property bag).
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
    /// Accepted on purpose, with this justification (an audit waiver): the result carries
    /// an external, accepted suppression, which code scanning shows as dismissed.
    pub suppressed: Option<String>,
}

impl Item {
    /// A diagnostic found in the file at `path`: its code as the rule, its severity (raised
    /// or not) as the level, its line and column (and the line's text when it has it, as
    /// [`crate::regfile::RegFile::placed`] gives it).
    pub fn from_diagnostic(path: &Path, d: &Diagnostic) -> Item {
        let mut file = FileLocation::new(path, d.line, if d.line == 0 { 0 } else { d.col });
        file.line_text = d.source_line.as_deref().map(str::to_string);
        Item {
            rule: d.code.into(),
            level: d.severity().into(),
            message: d.message.clone(),
            file: Some(file),
            logical: None,
            properties: None,
            suppressed: None,
        }
    }
}

/// Collects rules and results into one [`Log`].
#[derive(Debug, Clone, Default)]
pub struct Builder {
    rules: Vec<ReportingDescriptor>,
    index: HashMap<String, usize>,
    results: Vec<SarifResult>,
    seen: HashMap<u64, usize>,
    notifications: Vec<Notification>,
    failed: bool,
}

impl Builder {
    /// An empty log.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Lists `rule` among the driver's rules, if no rule of its id is there yet (the first
    /// one given for an id stays); its index in them. Listing every rule first keeps the
    /// indices the same from run to run.
    pub fn rule(&mut self, rule: Rule) -> usize {
        if let Some(i) = self.index.get(&rule.id) {
            return *i;
        }
        let i = self.rules.len();
        self.index.insert(rule.id.clone(), i);
        self.rules.push(ReportingDescriptor {
            id: rule.id,
            short_description: Message {
                text: rule.description,
            },
            help_uri: rule.help_uri,
            default_configuration: Configuration { level: rule.level },
        });
        i
    }

    /// Adds a result (and its rule, if new). Its fingerprint ([`FINGERPRINT_KEY`]) is
    /// `HASH:N`: HASH the 64-bit FNV-1a (in 16 hex digits) of the rule id, the artifact's URI,
    /// the line's text with its ends trimmed (or `line:col` when the text is not known) and
    /// the logical place's fully qualified name; N counts the results of this log with the
    /// same HASH, from 1. It holds no line number when the text is known, so moving a line
    /// keeps the identity GitHub tracks a result by.
    pub fn push(&mut self, item: Item) {
        let rule_id = item.rule.id.clone();
        let rule_index = self.rule(item.rule);
        let physical = item.file.as_ref().map(|f| PhysicalLocation {
            artifact_location: artifact_location(&f.path),
            region: (f.line > 0).then(|| Region {
                start_line: f.line,
                start_column: (f.col > 0).then_some(f.col),
            }),
        });
        let mut hash = Fnv::new();
        hash.part(&rule_id);
        if let (Some(f), Some(p)) = (&item.file, &physical) {
            hash.part(p.artifact_location.uri_base_id.as_deref().unwrap_or(""));
            hash.part(&p.artifact_location.uri);
            match &f.line_text {
                Some(t) => hash.part(t.trim()),
                None => hash.part(&format!("{}:{}", f.line, f.col)),
            }
        }
        if let Some(l) = &item.logical {
            hash.part(&l.fully_qualified_name);
        }
        let n = self.seen.entry(hash.0).or_insert(0);
        *n += 1;
        let fingerprint = format!("{:016x}:{n}", hash.0);
        let locations = if physical.is_none() && item.logical.is_none() {
            Vec::new()
        } else {
            vec![Location {
                physical_location: physical,
                logical_locations: item.logical.into_iter().collect(),
            }]
        };
        self.results.push(SarifResult {
            rule_id,
            rule_index,
            level: item.level,
            message: Message { text: item.message },
            locations,
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY.to_string(), fingerprint)]),
            properties: item.properties,
            suppressions: item
                .suppressed
                .map(|justification| Suppression {
                    kind: "external".into(),
                    status: "accepted".into(),
                    justification,
                })
                .into_iter()
                .collect(),
        });
    }

    /// Records that an input could not be read (the run is then not successful), with the
    /// file when there is one.
    pub fn input_failed(&mut self, message: impl Into<String>, file: Option<&Path>) {
        self.failed = true;
        self.notifications.push(Notification {
            level: Level::Error,
            message: Message {
                text: message.into(),
            },
            locations: file
                .map(|p| Location {
                    physical_location: Some(PhysicalLocation {
                        artifact_location: artifact_location(p),
                        region: None,
                    }),
                    logical_locations: Vec::new(),
                })
                .into_iter()
                .collect(),
        });
    }

    /// The log.
    pub fn finish(self) -> Log {
        let information_uri = [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
            .into_iter()
            .find(|u| !u.is_empty())
            .map(str::to_string);
        Log {
            schema: SCHEMA_URI.to_string(),
            version: VERSION.to_string(),
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "tlsreg".to_string(),
                        version: env!("CARGO_PKG_VERSION").to_string(),
                        information_uri,
                        rules: self.rules,
                    },
                },
                invocations: vec![Invocation {
                    execution_successful: !self.failed,
                    tool_execution_notifications: self.notifications,
                }],
                column_kind: "unicodeCodePoints".to_string(),
                results: self.results,
            }],
        }
    }
}

/// 64-bit FNV-1a, over parts each ended by a NUL (so `a`,`bc` and `ab`,`c` differ). Stable
/// across Rust versions and platforms, unlike `std`'s hasher.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn part(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(&[0]);
    }
}

/// `path` as an RFC 3986 URI reference: a relative path stays relative (components joined
/// with `/`, a leading `./` dropped) with [`SRCROOT`] as its base; an absolute one becomes a
/// `file:` URI. Every byte but the unreserved characters, the sub-delimiters and `@` is
/// percent-encoded (a space as `%20`, `é` as `%C3%A9`, and `%`, `#`, `?`, `:` and, on
/// Unix, a backslash in a name too), so the URI reads back as the same path.
pub fn artifact_location(path: &Path) -> ArtifactLocation {
    let mut segments: Vec<String> = Vec::new();
    let mut prefix: Option<String> = None;
    let mut absolute = false;
    for c in path.components() {
        match c {
            Component::Prefix(p) => prefix = Some(windows_prefix(p.as_os_str())),
            Component::RootDir => absolute = true,
            Component::CurDir => {}
            Component::ParentDir => segments.push("..".to_string()),
            Component::Normal(name) => segments.push(encode_segment(name)),
        }
    }
    let body = segments.join("/");
    match (prefix, absolute) {
        (Some(p), _) => ArtifactLocation {
            uri: format!("file:{p}/{body}"),
            uri_base_id: None,
        },
        (None, true) => ArtifactLocation {
            uri: format!("file:///{body}"),
            uri_base_id: None,
        },
        (None, false) => ArtifactLocation {
            uri: body,
            uri_base_id: Some(SRCROOT.to_string()),
        },
    }
}

/// A Windows path prefix as the start of a `file:` URI: `C:` → `///C:`, `\\server\share` →
/// `//server/share` (verbatim forms alike).
fn windows_prefix(p: &std::ffi::OsStr) -> String {
    let s = p.to_string_lossy();
    let s = s
        .strip_prefix(r"\\?\UNC\")
        .map(|rest| format!(r"\\{rest}"))
        .unwrap_or_else(|| s.strip_prefix(r"\\?\").unwrap_or(&s).to_string());
    if let Some(unc) = s.strip_prefix(r"\\") {
        let parts: Vec<String> = unc
            .split('\\')
            .map(|x| encode_bytes(x.as_bytes()))
            .collect();
        format!("//{}", parts.join("/"))
    } else {
        // A drive letter and its colon stay as they are (`file:///C:/...`).
        format!("///{s}")
    }
}

/// One path component, percent-encoded.
fn encode_segment(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        encode_bytes(name.as_bytes())
    }
    #[cfg(not(unix))]
    {
        encode_bytes(name.to_string_lossy().as_bytes())
    }
}

/// Bytes with all but `A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = @` as `%XX`.
fn encode_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
