//! Profiles: the validated, resolved form of a YAML profile (after `extends`), and how it
//! becomes a [`Plan`].
//!
//! Loading happens in three steps: [`decode`] turns one file into a [`Layer`] while collecting
//! every problem with its place; [`load()`] follows `extends` and merges layers (later wins);
//! [`Profile::check`] adds the warnings that need the whole resolved profile.

pub mod decode;
pub mod lists;
pub mod load;
pub mod show;

use crate::catalog::{self, traps, KeyBits, TLS13_MIN_BUILD};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::keypath::fold;
use crate::plan::{Plan, PlanBuilder};
use crate::setting::{Setting, SettingKey, State};
use crate::value::RegData;
use crate::yamlpos::Pos;
use std::collections::BTreeMap;

pub use load::{builtin_summaries, load, load_with, Loaded, ProfileRef};

/// The most data (bytes as the registry stores them: strings as UTF-16) the values of one
/// resolved profile may hold together. The registry's standard hive format stores at most
/// 1 MB in one value, and the largest legitimate raw data is a few hundred kilobytes; this
/// keeps a `.reg` file under about 7 MB.
pub const MAX_PLAN_DATA_BYTES: usize = 1024 * 1024;

/// Where a setting was written: for diagnostics that point at it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file as diagnostics name it: its path as given, or `builtin:NAME`.
    pub file: String,
    /// Where in the file (the key or the value, as the diagnostic wants); line 0 for no place.
    pub pos: Pos,
    /// The source line at `pos`, for the excerpt; `None` for no place (or a profile made
    /// by `import`).
    pub line_text: Option<std::sync::Arc<str>>,
}

impl Origin {
    /// A diagnostic pointing here.
    pub fn diag(&self, code: Code, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::new(code, message, &self.file, None, self.pos);
        d.source_line = self.line_text.clone();
        d
    }
}

/// The Windows builds a profile is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The oldest build the profile will be applied to (0 when only `max-build` is given).
    pub min_build: u32,
    /// The newest, when the profile is not for every later build too.
    pub max_build: Option<u32>,
}

/// One raw registry operation from the `raw:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawOp {
    /// Set a value.
    Set {
        /// The value name (`""` is the default value).
        name: String,
        /// The data, with its type.
        data: RegData,
    },
    /// Delete a value (`delete`).
    DeleteValue {
        /// The value name.
        name: String,
    },
    /// Delete the key and everything below it (`delete-key`).
    DeleteKey,
}

/// A raw operation on a key (full path, root spelled out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// The key path, root spelled out.
    pub key: String,
    /// What is done to it.
    pub op: RawOp,
    /// Where the entry was written.
    pub origin: Origin,
}

impl RawEntry {
    /// Identity for merging: the key and, for value operations, the value name.
    fn id(&self) -> (String, Option<String>) {
        match &self.op {
            RawOp::Set { name, .. } | RawOp::DeleteValue { name } => {
                (fold(&self.key), Some(fold(name)))
            }
            RawOp::DeleteKey => (fold(&self.key), None),
        }
    }
}

/// A resolved profile: everything it sets, each with where it was said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Its `name:` (that of the outermost file of the `extends` chain), or the file stem or
    /// built-in name when it has none.
    pub name: String,
    /// Its `description:`, the last one given along the chain.
    pub description: Option<String>,
    /// Its `references:` (sources for what it sets), of every file of the chain, without repeats.
    pub references: Vec<String>,
    /// Its `target:`, the last one given along the chain; `None` for any build.
    pub target: Option<Target>,
    /// Every named setting, in catalogue order, with what it says and where.
    pub settings: BTreeMap<SettingKey, (Setting, Origin)>,
    /// The `raw:` entries, in the order written (a later layer's entry replaces an equal one in
    /// place).
    pub raw: Vec<RawEntry>,
    /// The profiles this one was built from, base first, itself last.
    pub chain: Vec<String>,
}

/// What one file says, before `extends` is followed.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    /// What the file itself says (its `chain` is the file alone).
    pub profile: Profile,
    /// Its `extends:` entries as written (built-in names or `.yaml`/`.yml` paths relative to the
    /// file), each with where it was written.
    pub extends: Vec<(String, Origin)>,
}

impl Profile {
    /// Lays `t` over `self`: its name, its settings and raw entries replace equal ones, its
    /// references are added, its description and target win when given.
    pub fn overlay(&mut self, t: &Profile) {
        self.name = t.name.clone();
        if t.description.is_some() {
            self.description = t.description.clone();
        }
        // A set, not `Vec::contains`: 100,000 references took 16 s that way.
        let mut known: std::collections::HashSet<String> =
            self.references.iter().cloned().collect();
        for r in &t.references {
            if known.insert(r.clone()) {
                self.references.push(r.clone());
            }
        }
        if t.target.is_some() {
            self.target = t.target;
        }
        // What `t` deletes with delete-key goes, with everything below it, before `t`'s own
        // entries are laid over: a later layer's deletion removes what earlier ones set there.
        let deleted: std::collections::HashSet<String> = t
            .raw
            .iter()
            .filter(|e| e.op == RawOp::DeleteKey)
            .map(|e| fold(&e.key))
            .collect();
        if !deleted.is_empty() {
            self.settings
                .retain(|k, _| crate::keypath::covering(&deleted, &k.key_path()).is_none());
            self.raw.retain(|e| {
                e.op == RawOp::DeleteKey || crate::keypath::covering(&deleted, &e.key).is_none()
            });
        }
        for (k, v) in &t.settings {
            self.settings.insert(*k, v.clone());
        }
        let mut index: std::collections::HashMap<_, usize> = self
            .raw
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id(), i))
            .collect();
        for e in &t.raw {
            match index.get(&e.id()) {
                Some(&i) => self.raw[i] = e.clone(),
                None => {
                    index.insert(e.id(), self.raw.len());
                    self.raw.push(e.clone());
                }
            }
        }
        self.chain.extend(t.chain.iter().cloned());
    }

    /// The ordered registry operations this profile means.
    pub fn plan(&self) -> Plan {
        self.sourced_plan().into_plan()
    }

    /// [`Profile::plan`] with the source of each operation: its named setting, or `raw`.
    pub fn sourced_plan(&self) -> crate::plan::SourcedPlan {
        let mut b = PlanBuilder::default();
        for (key, (setting, _)) in &self.settings {
            b.add_setting(key, setting);
        }
        b.source(crate::plan::Source::Raw);
        for e in &self.raw {
            match &e.op {
                RawOp::Set { name, data } => b.set(&e.key, name, data.clone()),
                RawOp::DeleteValue { name } => b.delete_value(&e.key, name),
                RawOp::DeleteKey => b.delete_key(&e.key),
            }
        }
        b.finish_sourced()
    }

    /// A profile describes one end state: a key it deletes cannot also hold values it sets
    /// (the `.reg` would recreate the key, and the audit of the profile's own output would
    /// fail). Each such value is an error that names the deletion.
    fn check_deleted_keys(&self, out: &mut Diagnostics) {
        let deletions: std::collections::HashMap<String, &RawEntry> = self
            .raw
            .iter()
            .filter(|e| e.op == RawOp::DeleteKey)
            .map(|e| (fold(&e.key), e))
            .collect();
        if deletions.is_empty() {
            return;
        }
        let deleted: std::collections::HashSet<String> = deletions.keys().cloned().collect();
        let mut report = |origin: &Origin, what: String, key: &str| {
            if let Some(at) = crate::keypath::covering(&deleted, key) {
                let d = deletions[&at];
                let below = if fold(key) == at {
                    String::new()
                } else {
                    format!(", below {}", d.key)
                };
                let place = if d.origin.file == origin.file {
                    format!("line {}", d.origin.pos.line)
                } else {
                    format!("{}:{}", d.origin.file, d.origin.pos.line)
                };
                out.push(origin.diag(Code::DeletedKeyWritten, format!(
                    "{what}{below}, a key this profile deletes (delete-key on {place}); a profile says how the registry ends up, so delete the key or set values in it, not both (to drop old values, delete them by name: `Old: delete`)"
                )));
            }
        };
        for (key, (setting, origin)) in &self.settings {
            let mut b = PlanBuilder::default();
            b.add_setting(key, setting);
            let sets = b
                .finish()
                .ops
                .iter()
                .any(|op| matches!(op, crate::plan::Op::SetValue { .. }));
            if sets {
                report(
                    origin,
                    format!(
                        "the setting {} sets values in {}",
                        key.label(),
                        key.key_path()
                    ),
                    &key.key_path(),
                );
            }
        }
        for e in &self.raw {
            match &e.op {
                RawOp::Set { name, .. } => report(
                    &e.origin,
                    format!("raw sets {} in {}", crate::diag::quote(name), e.key),
                    &e.key,
                ),
                // Deleting a value of a deleted key is only redundant: the plan leaves it out.
                RawOp::DeleteValue { .. } | RawOp::DeleteKey => {}
            }
        }
    }

    /// The error when the values this profile writes hold more than [`MAX_PLAN_DATA_BYTES`]
    /// of data together, at the setting or raw value that crosses the bound.
    pub fn check_size(&self) -> Option<Diagnostic> {
        let mut total = 0usize;
        let over = |total: usize, o: &Origin| {
            (total > MAX_PLAN_DATA_BYTES).then(|| {
                o.diag(
                    Code::TooLarge,
                    format!(
                        "with this value, the values the profile writes hold more than {MAX_PLAN_DATA_BYTES} bytes of data; a profile may write at most that much"
                    ),
                )
            })
        };
        for (key, (setting, origin)) in &self.settings {
            let mut b = PlanBuilder::default();
            b.add_setting(key, setting);
            for op in b.finish().ops {
                if let crate::plan::Op::SetValue { data, .. } = op {
                    total = total.saturating_add(data.to_bytes().len());
                }
            }
            if let Some(d) = over(total, origin) {
                return Some(d);
            }
        }
        for e in &self.raw {
            if let RawOp::Set { data, .. } = &e.op {
                total = total.saturating_add(data.to_bytes().len());
                if let Some(d) = over(total, &e.origin) {
                    return Some(d);
                }
            }
        }
        None
    }

    /// Warnings about known traps in the resolved profile, and the errors that need all of
    /// it (values written at or below a key it deletes).
    pub fn check(&self) -> Diagnostics {
        let mut out = Diagnostics::default();
        self.check_deleted_keys(&mut out);
        let warn = |o: &Origin, code, msg: String| o.diag(code, msg);
        let min_build = self.target.map(|t| t.min_build);
        let max_build = self.target.and_then(|t| t.max_build);
        for (key, (setting, origin)) in &self.settings {
            match (key, setting) {
                (
                    SettingKey::Protocol(catalog::ProtocolId::Tls13, _),
                    Setting::State(State::Enabled),
                ) => {
                    if let Some(b) = min_build
                        .filter(|b| traps::protocol_too_new(catalog::ProtocolId::Tls13, *b))
                    {
                        out.push(warn(origin, Code::Tls13Below20348, format!(
                            "TLS 1.3 is enabled but target.min-build is {b}; Schannel has TLS 1.3 only from build {TLS13_MIN_BUILD} (Server 2022, Windows 11), and Server 2019 with TLS 1.3 enabled resets connections (FreeRDP#7987)"
                        )));
                    }
                }
                (SettingKey::Hash(h), Setting::State(State::Disabled))
                    if h.entry().name == traps::SHA1_HASH =>
                {
                    out.push(warn(origin, Code::ShaDisabledBreaksRdp, "disabling the SHA (SHA-1) hash disables every suite that uses it and has broken RDP (\"none of the cipher suites supported by the client application are supported by the server\", windows_hardening#95)".to_string()));
                }
                (SettingKey::CipherSuites, Setting::List(suites)) => {
                    let len = suites.join(",").chars().count();
                    if len > catalog::MAX_SUITE_LIST_CHARS {
                        out.push(warn(origin, Code::SuiteListTooLong, format!(
                            "the cipher-suite list is {len} characters long; Windows reads at most {} characters of Functions, so the suites past that are lost",
                            catalog::MAX_SUITE_LIST_CHARS
                        )));
                    }
                    if let Some(b) = min_build {
                        unknown_on_build(origin, suites, b, max_build, &mut out);
                    }
                    if let Some(b) = min_build.filter(|b| *b < TLS13_MIN_BUILD) {
                        let tls13: Vec<&str> = suites
                            .iter()
                            .map(String::as_str)
                            .filter(|s| traps::is_tls13_suite(s))
                            .collect();
                        if !tls13.is_empty() {
                            let (what, verb) = if tls13.len() == 1 {
                                ("a TLS 1.3 suite", "it")
                            } else {
                                ("TLS 1.3 suites", "them")
                            };
                            out.push(warn(origin, Code::Tls13SuiteBelow20348, format!(
                                "{} {} {what}, but target.min-build is {b}; builds before {TLS13_MIN_BUILD} do not know {verb}, and compile leaves {verb} out of the files for those builds",
                                tls13.join(", "),
                                if tls13.len() == 1 { "is" } else { "are" }
                            )));
                        }
                    }
                }
                (SettingKey::EccCurves, Setting::List(curves)) => {
                    if let Some(b) = min_build {
                        unknown_on_build(origin, curves, b, max_build, &mut out);
                    }
                }
                _ => {}
            }
        }
        // A raw value that a named setting also writes.
        let mut named: BTreeMap<(String, String), SettingKey> = BTreeMap::new();
        for key in self.settings.keys() {
            for n in key.value_names() {
                named.insert((fold(&key.key_path()), fold(n)), *key);
            }
        }
        for e in &self.raw {
            if let RawOp::Set { name, .. } | RawOp::DeleteValue { name } = &e.op {
                if let Some(k) = named.get(&(fold(&e.key), fold(name))) {
                    out.push(warn(&e.origin, Code::RawOverridesSetting, format!(
                        "this raw value replaces what the named setting {} writes to \"{name}\"; say it once, in the named setting",
                        k.label()
                    )));
                }
            }
        }
        out
    }
}

/// What resolving a profile for one build changed in its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildChange {
    /// A name that build does not know, left out.
    LeftOut {
        /// The build.
        build: u32,
        /// The name, as the profile lists it.
        name: String,
    },
    /// An unsuffixed ECDHE name replaced by the curve-suffixed names that build knows.
    Respelled {
        /// The build.
        build: u32,
        /// The unsuffixed ECDHE suite name.
        name: String,
        /// The curve-suffixed names written instead, in list order.
        into: Vec<String>,
    },
}

impl std::fmt::Display for BuildChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildChange::LeftOut { build, name } => write!(
                f,
                "for build {build}: {name} is left out: Microsoft's table for that build does not list it"
            ),
            BuildChange::Respelled { build, name, into } => write!(
                f,
                "for build {build}: {name} is written as {}, the names that build knows",
                into.join(", ")
            ),
        }
    }
}

impl Profile {
    /// The profile as written for one build (and edition, when known): in the cipher-suite
    /// and curve lists, a name Microsoft's table for that build does not list is left out,
    /// and an unsuffixed ECDHE suite becomes the curve-suffixed names (`_P256`, `_P384`,
    /// `_P521`) the build knows where only those exist (Windows before 10240). A name no
    /// table covers for the build stays (unknown is not absent). Every change is returned.
    pub fn for_build(
        &self,
        build: u32,
        edition: Option<catalog::suite_builds::Edition>,
    ) -> (Profile, Vec<BuildChange>) {
        let known = |n: &str| catalog::suite_builds::known_for(n, build, edition);
        let mut out = self.clone();
        let mut changes = Vec::new();
        for key in [SettingKey::CipherSuites, SettingKey::EccCurves] {
            let Some((Setting::List(list), _)) = out.settings.get_mut(&key) else {
                continue;
            };
            let mut kept: Vec<String> = Vec::new();
            for name in list.iter() {
                match known(name) {
                    Some(false) => {
                        let into: Vec<String> = ["_P256", "_P384", "_P521"]
                            .iter()
                            .map(|sfx| format!("{name}{sfx}"))
                            .filter(|n| known(n) == Some(true))
                            .collect();
                        if into.is_empty() {
                            changes.push(BuildChange::LeftOut {
                                build,
                                name: name.clone(),
                            });
                        } else {
                            for n in &into {
                                if !kept.iter().any(|k| k.eq_ignore_ascii_case(n)) {
                                    kept.push(n.clone());
                                }
                            }
                            changes.push(BuildChange::Respelled {
                                build,
                                name: name.clone(),
                                into,
                            });
                        }
                    }
                    _ => {
                        if !kept.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                            kept.push(name.clone());
                        }
                    }
                }
            }
            *list = kept;
        }
        (out, changes)
    }
}

/// Warns about each name of a suite or curve list that Microsoft's table for some build from
/// `min_build` on (to `max_build`) does not list (TLS 1.3 suites below 20348 have their own
/// warning).
fn unknown_on_build(
    origin: &Origin,
    names: &[String],
    min_build: u32,
    max_build: Option<u32>,
    out: &mut Diagnostics,
) {
    use catalog::suite_builds::{builds_having, unknown_from, Edition};
    for name in names {
        if min_build < TLS13_MIN_BUILD && traps::is_tls13_suite(name) {
            continue;
        }
        let missing = unknown_from(name, min_build, max_build);
        if missing.is_empty() {
            continue;
        }
        let mut parts: Vec<(u32, Vec<&str>)> = Vec::new();
        for (b, e) in missing {
            let e = match e {
                Edition::Client => "client",
                Edition::Server => "server",
            };
            match parts.last_mut() {
                Some((pb, es)) if *pb == b => es.push(e),
                _ => parts.push((b, vec![e])),
            }
        }
        let show = |(b, es): &(u32, Vec<&str>)| format!("{b} ({})", es.join(", "));
        let builds = match &parts[..] {
            [first, .., last] if parts.len() > 3 => format!(
                "{} builds from {} to {}",
                parts.len(),
                show(first),
                show(last)
            ),
            [one] => format!("build {}", show(one)),
            _ => format!(
                "builds {}",
                parts.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
        };
        let suffixed = format!("{name}_P256");
        let what = if !builds_having(&suffixed).is_empty() {
            format!(
                "; before build 10240 Windows names ECDHE suites with their curve, as {suffixed}: compile writes those names for the builds whose table lists them, and leaves the name out elsewhere"
            )
        } else {
            ", so compile leaves it out of the files for those builds".to_string()
        };
        out.push(origin.diag(
            Code::UnknownOnBuild,
            format!(
                "{name} is not in Microsoft's table for {builds}, and the target is {}: that Windows does not know it{what}",
                match max_build {
                    Some(m) => format!("builds {min_build} to {m}"),
                    None => format!("build {min_build} and later"),
                }
            ),
        ));
    }
}

/// The key-size fields a key exchange accepts, for messages.
pub fn key_bits_fields(kx: catalog::KeyExchangeRef) -> Vec<&'static str> {
    KeyBits::ALL
        .iter()
        .filter(|b| b.applies_to(kx))
        .map(|b| b.field())
        .collect()
}
