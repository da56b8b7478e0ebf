//! Finding profiles (built-in names or files), following `extends` (later entries win,
//! cycles rejected) and merging the layers into one [`Profile`].

use super::decode::{decode, Shown, MAX_PROFILE_BYTES};
use super::{Origin, Profile};
use crate::builtin;
use crate::catalog::did_you_mean;
use crate::diag::{quote, Code, Diagnostic, Diagnostics};
use std::path::{Path, PathBuf};

/// How deep `extends` may nest.
const MAX_DEPTH: usize = 32;

/// A profile named on the command line or in `extends`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileRef {
    /// A built-in profile, by name (`enable-tls12`).
    Builtin(String),
    /// A profile file.
    File(PathBuf),
}

impl ProfileRef {
    /// A path if it looks like one (has a slash or a `.yaml`/`.yml` ending) or names an
    /// existing file that is not a built-in name; otherwise a built-in name.
    pub fn parse(arg: &str) -> ProfileRef {
        let looks_like_path = arg.contains('/')
            || arg.contains('\\')
            || arg.ends_with(".yaml")
            || arg.ends_with(".yml");
        // `exists`, not `is_file`: a FIFO or device named here is then refused by the reader
        // with what it is, instead of being looked up as a built-in name.
        if looks_like_path || (builtin::get(arg).is_none() && Path::new(arg).exists()) {
            ProfileRef::File(PathBuf::from(arg))
        } else {
            ProfileRef::Builtin(arg.to_string())
        }
    }

    /// The name outputs are given: the built-in name or the file's stem.
    pub fn output_name(&self) -> String {
        match self {
            ProfileRef::Builtin(n) => n.clone(),
            ProfileRef::File(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "profile".into()),
        }
    }

    /// How diagnostics name it.
    pub fn label(&self) -> String {
        match self {
            ProfileRef::Builtin(n) => format!("builtin:{n}"),
            ProfileRef::File(p) => p.display().to_string(),
        }
    }
}

/// A loaded profile and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The resolved profile, `extends` followed.
    pub profile: Profile,
    /// The warnings and notes, sorted (an error makes [`load`] fail instead).
    pub warnings: Diagnostics,
}

struct Loader {
    diags: Diagnostics,
    /// Identities of the profiles being resolved, outermost first.
    stack: Vec<(String, String)>,
}

/// Reads a profile file as UTF-8 text (a BOM is allowed), bounded in size; only a regular
/// file is read ([`crate::input::read`]), so a FIFO or a device fails at once.
pub fn read_text(path: &Path, label: &str) -> Result<String, Diagnostic> {
    use crate::input::InputError;
    let at = crate::yamlpos::Pos {
        line: 0,
        col: 0,
        len: 0,
    };
    let io = |msg: String| Diagnostic::new(Code::Io, msg, label, None, at);
    let bytes =
        crate::input::read(path, MAX_PROFILE_BYTES as u64, "a profile").map_err(|e| match e {
            InputError::TooLarge { size, .. } => Diagnostic::new(
                Code::TooLarge,
                format!(
                    "the file is {size} bytes; a profile may be at most {MAX_PROFILE_BYTES} bytes"
                ),
                label,
                None,
                at,
            ),
            InputError::NotAFile { kind, .. } => io(format!(
                "cannot read the profile: it is a {kind}, not a regular file"
            )),
            InputError::Io { source, .. } => io(format!("cannot read the profile: {source}")),
        })?;
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let bytes = &bytes[bom..];
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let off = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&bytes[..off]);
        let line = text.matches('\n').count() + 1;
        let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic::new(
            Code::Encoding,
            format!(
                "the file is not UTF-8 text (invalid byte 0x{:02x} at offset {}); save it as UTF-8",
                bytes[off],
                off + bom
            ),
            label,
            None,
            crate::yamlpos::Pos { line, col, len: 1 },
        )
    })
}

impl Loader {
    fn resolve(
        &mut self,
        id: String,
        label: String,
        src: &str,
        dir: Option<&Path>,
        default_name: &str,
        shown: Shown,
    ) -> Option<Profile> {
        let layer = decode(&label, src, default_name, &mut self.diags, shown)?;
        self.stack.push((id, label.clone()));
        let mut base = Profile::default();
        let mut ok = true;
        for (ext, origin) in &layer.extends {
            match self.base(ext, origin, dir) {
                Some(p) => {
                    let name = base.name.clone();
                    base.overlay(&p);
                    base.name = name;
                }
                None => ok = false,
            }
        }
        self.stack.pop();
        base.overlay(&layer.profile);
        ok.then_some(base)
    }

    fn err(&mut self, origin: &Origin, code: Code, msg: String) {
        self.diags.push(origin.diag(code, msg));
    }

    fn base(&mut self, ext: &str, origin: &Origin, dir: Option<&Path>) -> Option<Profile> {
        // Only built-in names and `.yaml`/`.yml` files: anything else is never opened, so
        // `extends: /etc/shadow` cannot make a diagnostic quote a file that is not a profile.
        let r = match dir {
            Some(d) if is_profile_file_name(ext) => {
                // `./` adds nothing to a label.
                ProfileRef::File(if d == Path::new(".") {
                    PathBuf::from(ext)
                } else {
                    d.join(ext)
                })
            }
            Some(d)
                if builtin::get(ext).is_none()
                    && (ext.contains(['/', '\\'])
                        || std::fs::symlink_metadata(d.join(ext)).is_ok()) =>
            {
                self.err(
                    origin,
                    Code::ExtendsNotAProfile,
                    format!(
                        "extends {}: not a built-in profile, and a file is extended only when its name ends in .yaml or .yml; it was not read",
                        quote(ext)
                    ),
                );
                return None;
            }
            _ => ProfileRef::Builtin(ext.to_string()),
        };
        let (id, label, src, sub_dir) = match &r {
            ProfileRef::Builtin(n) => match builtin::get(n) {
                Some(src) => (format!("builtin:{n}"), r.label(), src.to_string(), None),
                None => {
                    let hint = did_you_mean(n, builtin::names())
                        .map(|s| format!("; did you mean \"{s}\"?"))
                        .unwrap_or_default();
                    let tail = if dir.is_none() {
                        " (built-in profiles extend only built-in profiles)"
                    } else {
                        ""
                    };
                    self.err(origin, Code::ExtendsNotFound, format!("extends \"{ext}\": no built-in profile and no file of that name{hint}{tail}"));
                    return None;
                }
            },
            ProfileRef::File(p) => {
                let id = p
                    .canonicalize()
                    .map(|c| c.display().to_string())
                    .unwrap_or_else(|_| p.display().to_string());
                let label = p.display().to_string();
                match read_text(p, &label) {
                    Ok(src) => (id, label, src, p.parent().map(Path::to_path_buf)),
                    Err(_) if !p.exists() => {
                        let hint = did_you_mean(ext, builtin::names())
                            .map(|s| format!("; did you mean \"{s}\"?"))
                            .unwrap_or_default();
                        let msg = format!(
                            "extends \"{ext}\": no built-in profile and no file {label}{hint}"
                        );
                        self.err(origin, Code::ExtendsNotFound, msg);
                        return None;
                    }
                    Err(e) if e.code == Code::Encoding => {
                        // Its bytes are not quoted: it may not be a profile.
                        let msg = format!(
                            "extends \"{ext}\": {label} is not UTF-8 text, so it is not a profile; its content is not shown"
                        );
                        self.err(origin, Code::ExtendsNotAProfile, msg);
                        return None;
                    }
                    Err(e) => {
                        self.err(origin, e.code, format!("extends \"{ext}\": {}", e.message));
                        return None;
                    }
                }
            }
        };
        if let Some(i) = self.stack.iter().position(|(s, _)| *s == id) {
            let mut names: Vec<&str> = self.stack[i..].iter().map(|(_, l)| l.as_str()).collect();
            names.push(&label);
            self.err(
                origin,
                Code::ExtendsCycle,
                format!("extends \"{ext}\" makes a cycle: {}", names.join(" -> ")),
            );
            return None;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.err(
                origin,
                Code::TooDeep,
                format!("extends nests deeper than {MAX_DEPTH} profiles"),
            );
            return None;
        }
        let name = r.output_name();
        // A file reached through `extends` is quoted only once it is known to be a profile.
        let shown = match r {
            ProfileRef::Builtin(_) => Shown::Always,
            ProfileRef::File(_) => Shown::IfProfile,
        };
        self.resolve(
            id,
            label,
            &src,
            sub_dir.as_deref().or(dir.filter(|_| false)),
            &name,
            shown,
        )
    }
}

/// Whether `extends` may name this file: its name ends in `.yaml` or `.yml`, in any case.
pub fn is_profile_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// Loads a profile by reference, following `extends`.
pub fn load(r: &ProfileRef) -> Result<Loaded, Diagnostics> {
    let label = r.label();
    match r {
        ProfileRef::Builtin(n) => match builtin::get(n) {
            Some(src) => load_with(&label, src, None, n),
            None => {
                let hint = did_you_mean(n, builtin::names())
                    .map(|s| format!("; did you mean \"{s}\"?"))
                    .unwrap_or_default();
                let msg = format!("no built-in profile \"{n}\" and no file of that name{hint} (built-in: {}; `tlsreg profiles` lists them)", builtin::names().collect::<Vec<_>>().join(", "));
                Err(Diagnostics(vec![Diagnostic::new(
                    Code::Io,
                    msg,
                    n,
                    None,
                    crate::yamlpos::Pos::default(),
                )]))
            }
        },
        ProfileRef::File(p) => {
            let src = read_text(p, &label).map_err(|d| Diagnostics(vec![d]))?;
            let dir = p.parent().map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            });
            load_with(&label, &src, dir, &r.output_name())
        }
    }
}

/// Loads a profile from text. `dir` is where relative `extends` paths start (`None` for
/// built-in profiles, which extend only built-ins).
pub fn load_with(
    label: &str,
    src: &str,
    dir: Option<&Path>,
    default_name: &str,
) -> Result<Loaded, Diagnostics> {
    let mut l = Loader {
        diags: Diagnostics::default(),
        stack: Vec::new(),
    };
    let id = match dir {
        Some(d) => d
            .join(label)
            .canonicalize()
            .map(|c| c.display().to_string())
            .unwrap_or_else(|_| label.to_string()),
        None => label.to_string(),
    };
    let id = if let Some(n) = label.strip_prefix("builtin:") {
        format!("builtin:{n}")
    } else {
        id
    };
    let profile = l.resolve(id, label.to_string(), src, dir, default_name, Shown::Always);
    let mut diags = l.diags;
    if let Some(p) = &profile {
        if let Some(d) = p.check_size() {
            diags.push(d);
        }
        for w in p.check().0 {
            diags.push(w);
        }
    }
    diags.sort();
    match profile {
        Some(profile) if !diags.has_errors() => Ok(Loaded {
            profile,
            warnings: diags,
        }),
        _ => Err(diags),
    }
}

/// Each built-in profile's name and the first sentence of its description, as
/// `tlsreg profiles` lists them; `Err(name)` names a built-in that does not load.
pub fn builtin_summaries() -> Result<Vec<(&'static str, String)>, &'static str> {
    builtin::BUILTINS
        .iter()
        .map(|(name, _)| {
            let loaded = load(&ProfileRef::Builtin(name.to_string())).map_err(|_| *name)?;
            let desc = loaded.profile.description.unwrap_or_default();
            let first = desc.split(". ").next().unwrap_or("").trim_end_matches('.');
            Ok((*name, first.to_string()))
        })
        .collect()
}
