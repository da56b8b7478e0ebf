//! The sides of a diff: what a command-line argument names (a mounted Windows volume or
//! config folder, a hive, a `.reg` file, a profile), read into registry values. Nothing is
//! printed: what is worth telling (a dirty hive, a `.reg` file's or a profile's
//! diagnostics) comes to the caller as a [`Note`].

use crate::diag::Diagnostics;
use crate::hive::{HiveError, HiveFile, HiveSource, Recovery, Request};
use crate::keypath::{resolve_relative, unresolve, SELECT, SOFTWARE_ROOT, SYSTEM_ROOT};
use crate::memreg::MemRegistry;
use crate::profile::ProfileRef;
use crate::regfile::{Header, RegFile};
use std::path::{Path, PathBuf};

/// What a diff argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A mounted Windows volume or a `config` folder: its SYSTEM and SOFTWARE hives (at
    /// least one is there).
    Volume {
        /// The SYSTEM hive, if found.
        system: Option<PathBuf>,
        /// The SOFTWARE hive, if found.
        software: Option<PathBuf>,
    },
    /// A hive file: a file that starts with `regf`.
    Hive(PathBuf),
    /// A disk image file (raw, VHD, VHDX, VMDK, QCOW2): the SYSTEM and SOFTWARE hives of
    /// the Windows installation in it.
    Image(PathBuf),
    /// A `.reg` file: any other file whose name does not end in `.yaml` or `.yml`.
    Reg(PathBuf),
    /// A profile: a YAML file or a built-in name (anything else).
    Profile(ProfileRef),
}

/// Something reading a side has to tell; the caller renders it.
#[derive(Debug, Clone)]
pub enum Note {
    /// A hive was dirty: how it was read ([`Recovery::stale`] says whether the values read
    /// may be stale, a warning rather than a note).
    Recovery {
        /// The hive's path, or its name inside a disk image.
        path: PathBuf,
        /// How it was read.
        recovery: Recovery,
    },
    /// A `.reg` file's diagnostics (the file carries its text, for excerpts).
    Reg(RegFile),
    /// A profile's diagnostics: its warnings when it loaded, its errors when it did not.
    Profile(Diagnostics),
}

/// Why a side cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be read to tell what it is, or a path that looks like a file is not
    /// there.
    #[error("cannot read {arg}")]
    Read {
        /// The argument as given.
        arg: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file (a FIFO, a device).
    #[error(transparent)]
    Input(crate::input::InputError),
    /// A folder that is neither a mounted volume nor a `config` folder.
    #[error(transparent)]
    Volume(std::io::Error),
    /// A hive could not be read.
    #[error(transparent)]
    Hive(#[from] HiveError),
    /// The `.reg` file has errors (they came as a [`Note::Reg`]).
    #[error("the .reg file has errors")]
    Reg,
    /// The profile has errors (they came as a [`Note::Profile`]).
    #[error("the profile has errors")]
    Profile,
    /// A disk image whose Windows installation cannot be read.
    #[error(transparent)]
    Image(crate::vm::VmError),
    /// A file that is neither a hive nor a `.reg` file (nor named like a profile): reading
    /// it as an empty registry would report every value of the other side.
    #[error("{}: neither a hive (it does not start with \"regf\") nor a .reg file (its first line is not \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"); a profile must be named .yaml or .yml", .0.display())]
    NotRegistry(PathBuf),
}

impl Input {
    /// Tells what `arg` names: a folder is a mounted volume or config folder (its hives
    /// found by [`crate::hive::find_hives`]); a file starting with `regf` is a hive; any
    /// other file is a `.reg` file unless its name ends in `.yaml` or `.yml`; anything else
    /// is a profile (a YAML file or a built-in name).
    pub fn classify(arg: &str) -> Result<Input, SourceError> {
        let path = Path::new(arg);
        if path.is_dir() {
            let found = crate::hive::find_hives(path).map_err(SourceError::Volume)?;
            return Ok(Input::Volume {
                system: found.system,
                software: found.software,
            });
        }
        if std::fs::metadata(path).is_ok() {
            // A FIFO or a device is no side: reading one could block or never end.
            let (mut f, _) = crate::input::open(path).map_err(SourceError::Input)?;
            let mut head = [0u8; 512];
            use std::io::Read;
            let n = (&mut f)
                .take(512)
                .read(&mut head)
                .map_err(|source| SourceError::Read {
                    arg: arg.to_string(),
                    source,
                })?;
            if n >= 4 && &head[..4] == b"regf" {
                return Ok(Input::Hive(path.to_path_buf()));
            }
            if looks_like_a_disk(&head[..n]) {
                return Ok(Input::Image(path.to_path_buf()));
            }
            if !(arg.ends_with(".yaml") || arg.ends_with(".yml")) {
                return Ok(Input::Reg(path.to_path_buf()));
            }
        }
        let yaml = arg.ends_with(".yaml") || arg.ends_with(".yml");
        if !yaml && (arg.contains(['/', '\\', '.'])) {
            // A path that is not there (built-in profile names have no dot or slash): say
            // why, rather than that no profile has that name.
            if let Err(source) = std::fs::metadata(path) {
                return Err(SourceError::Read {
                    arg: arg.to_string(),
                    source,
                });
            }
        }
        Ok(Input::Profile(ProfileRef::parse(arg)))
    }
}

/// Whether a file's first sector is that of a disk image: a container's signature (QCOW2,
/// VHDX, VMDK sparse extent or descriptor, a dynamic VHD's footer copy), or a raw disk (an
/// MBR or protective MBR, or an NTFS boot sector). A fixed VHD starts as its raw disk.
fn looks_like_a_disk(head: &[u8]) -> bool {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"QFI\xfb") || starts(b"vhdxfile") || starts(b"KDMV") || starts(b"conectix") {
        return true;
    }
    if starts(b"# Disk DescriptorFile") {
        return true;
    }
    head.len() == 512 && head[510..] == [0x55, 0xAA] || head.get(3..11) == Some(b"NTFS    ")
}

/// One side of a diff.
pub enum Source {
    /// A profile or a `.reg` file, already applied to an empty registry.
    Values(MemRegistry),
    /// Hives and the roots their keys are named under (a mounted volume has two).
    Hive(Vec<(HiveFile, &'static str)>),
}

impl Source {
    /// Reads the side `arg` names (see [`Input::classify`]). A dirty hive's logs are
    /// replayed in memory when `recover` is set. Notes come to `notes` as they arise, before
    /// any error that follows them.
    pub fn open(
        arg: &str,
        recover: bool,
        notes: &mut dyn FnMut(Note),
    ) -> Result<Source, SourceError> {
        Self::read(Input::classify(arg)?, recover, None, notes)
    }

    /// Reads a side already classified; in a disk image, the Windows installation on
    /// `partition` (needed when it holds several).
    pub fn read(
        input: Input,
        recover: bool,
        partition: Option<u32>,
        notes: &mut dyn FnMut(Note),
    ) -> Result<Source, SourceError> {
        let mut open_src = |src: &HiveSource| -> Result<HiveFile, HiveError> {
            // Lazily: a hive waiting for its turn holds no memory, and a profile side reads
            // only its keys.
            let h = HiveFile::open_source_lazy(src, recover)?;
            if h.recovery != Recovery::Clean {
                notes(Note::Recovery {
                    path: src.path.clone(),
                    recovery: h.recovery.clone(),
                });
            }
            Ok(h)
        };
        match input {
            Input::Volume { system, software } => {
                let mut hives = Vec::new();
                if let Some(s) = system {
                    hives.push((open_src(&HiveSource::file(&s)?)?, SYSTEM_ROOT));
                }
                if let Some(s) = software {
                    hives.push((open_src(&HiveSource::file(&s)?)?, SOFTWARE_ROOT));
                }
                Ok(Source::Hive(hives))
            }
            Input::Image(path) => {
                let (inst, _) =
                    crate::vm::open_one(&path, partition, "--partition-a N or --partition-b N")
                        .map_err(SourceError::Image)?;
                let mut hives = Vec::new();
                if let Some(s) = &inst.system {
                    hives.push((open_src(s)?, SYSTEM_ROOT));
                }
                if let Some(s) = &inst.software {
                    hives.push((open_src(s)?, SOFTWARE_ROOT));
                }
                Ok(Source::Hive(hives))
            }
            Input::Hive(path) => {
                let mut h = open_src(&HiveSource::file(&path)?)?;
                let root = hive_root(&mut h)?;
                Ok(Source::Hive(vec![(h, root)]))
            }
            Input::Reg(path) => {
                // Bounded: a large file that is no hive is read no further than a .reg
                // file may be.
                let bytes = crate::input::read(&path, crate::regfile::MAX_REG_BYTES, "a .reg file")
                    .map_err(SourceError::Input)?;
                let opts = crate::regfile::ReadOptions {
                    ansi: Some(encoding_rs::WINDOWS_1252),
                };
                let f = crate::regfile::parse(&bytes, opts);
                if !matches!(f.header, Header::V5 | Header::Regedit4) {
                    // Not a .reg file: its lines are not worth quoting back.
                    return Err(SourceError::NotRegistry(path));
                }
                let failed = f.has_errors();
                let mut r = MemRegistry::new();
                if !failed {
                    f.apply(&mut r);
                }
                if !f.diagnostics.is_empty() {
                    notes(Note::Reg(f));
                }
                match failed {
                    true => Err(SourceError::Reg),
                    false => Ok(Source::Values(r)),
                }
            }
            Input::Profile(r) => match crate::profile::load(&r) {
                Ok(l) => {
                    if !l.warnings.0.is_empty() {
                        notes(Note::Profile(l.warnings));
                    }
                    let mut reg = MemRegistry::new();
                    reg.apply(&l.profile.plan());
                    Ok(Source::Values(reg))
                }
                Err(d) => {
                    notes(Note::Profile(d));
                    Err(SourceError::Profile)
                }
            },
        }
    }

    /// The keys this side has values under, when it is not a hive: a hive on the other
    /// side is read only there.
    pub fn keys(&self) -> Option<Vec<String>> {
        match self {
            Source::Values(r) => {
                let mut keys: Vec<String> = r.entries().map(|(k, ..)| k.to_string()).collect();
                keys.dedup();
                Some(keys)
            }
            Source::Hive(..) => None,
        }
    }

    /// The roots this side holds, when it is hives: a volume without a SOFTWARE hive says
    /// nothing about `HKEY_LOCAL_MACHINE\SOFTWARE`. `None` for a profile or `.reg` file,
    /// which speak for every key.
    pub fn roots(&self) -> Option<Vec<&'static str>> {
        match self {
            Source::Values(_) => None,
            Source::Hive(hives) => Some(hives.iter().map(|(_, root)| *root).collect()),
        }
    }

    /// The values of this side; a hive's only under `keys` (full paths, with
    /// `CurrentControlSet`) when given, see [`hive_values`]. Values a hive key holds twice
    /// are [`MemRegistry::shadowed`].
    pub fn values(self, keys: Option<&[String]>) -> Result<MemRegistry, HiveError> {
        match self {
            Source::Values(r) => Ok(r),
            Source::Hive(hives) => {
                let mut all = MemRegistry::new();
                for (mut h, root) in hives {
                    let values = hive_values(&mut h, root, keys)?;
                    // The hive's bytes go before the next one is read.
                    drop(h);
                    all.absorb(values);
                }
                Ok(all)
            }
        }
    }
}

/// The root a lone hive's keys are named under: `HKEY_LOCAL_MACHINE\SYSTEM` when it has a
/// `Select` key, else `HKEY_LOCAL_MACHINE\SOFTWARE`.
fn hive_root(h: &mut HiveFile) -> Result<&'static str, HiveError> {
    let probe = h.extract(SYSTEM_ROOT, &[Request::Key(SELECT.into())])?;
    Ok(if probe.key_exists(&format!(r"{SYSTEM_ROOT}\{SELECT}")) {
        SYSTEM_ROOT
    } else {
        SOFTWARE_ROOT
    })
}

/// The values of a hive under `root`, with the current `ControlSet00N` named
/// `CurrentControlSet` so a hive compares with profiles and `.reg` files. `keys` limits the
/// read to those keys (full paths with `CurrentControlSet`); `None` reads the whole hive.
pub fn hive_values(
    h: &mut HiveFile,
    root: &str,
    keys: Option<&[String]>,
) -> Result<MemRegistry, HiveError> {
    let current = h.control_sets(root)?.map(|c| c.current);
    let rel = |k: &str| -> Option<String> {
        let head = k.get(..root.len())?;
        if !head.eq_ignore_ascii_case(root) {
            return None;
        }
        let r = k[root.len()..].trim_start_matches('\\');
        Some(match current {
            Some(n) => resolve_relative(r, n),
            None => r.to_string(),
        })
    };
    let requests: Vec<Request> = match keys {
        Some(ks) => ks.iter().filter_map(|k| rel(k)).map(Request::Key).collect(),
        None => vec![Request::Tree(String::new())],
    };
    let raw = h.extract(root, &requests)?;
    let Some(n) = current else { return Ok(raw) };
    Ok(raw.renamed(|k| unresolve(k, root, n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_told_apart() {
        let d = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit");
        let hive = fixtures.join("ccs2-system.hive");
        let arg = |p: &Path| p.to_str().unwrap().to_string();
        assert_eq!(
            Input::classify(&arg(&hive)).unwrap(),
            Input::Hive(hive.clone())
        );
        let reg = d.path().join("x.txt");
        std::fs::write(&reg, "Windows Registry Editor Version 5.00\r\n").unwrap();
        assert_eq!(Input::classify(&arg(&reg)).unwrap(), Input::Reg(reg));
        let yaml = d.path().join("p.yaml");
        std::fs::write(&yaml, "name: p\n").unwrap();
        assert!(matches!(
            Input::classify(&arg(&yaml)).unwrap(),
            Input::Profile(ProfileRef::File(_))
        ));
        assert_eq!(
            Input::classify("enable-tls12").unwrap(),
            Input::Profile(ProfileRef::Builtin("enable-tls12".into()))
        );
        // A folder with neither hives nor Windows/System32/config.
        assert!(matches!(
            Input::classify(&arg(d.path())),
            Err(SourceError::Volume(_))
        ));
        // A lone SYSTEM hive is named under HKLM\SYSTEM; its current control set is
        // CurrentControlSet.
        let mut notes = Vec::new();
        let s = Source::open(&arg(&hive), true, &mut |n| notes.push(n)).unwrap();
        assert!(notes.is_empty());
        let keys = [format!(
            r"{SYSTEM_ROOT}\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client"
        )];
        let values = s.values(Some(&keys)).unwrap();
        assert_eq!(
            values.get(&keys[0], "Enabled"),
            Some((4, &1u32.to_le_bytes()[..]))
        );
    }

    #[test]
    fn reg_errors_come_back_as_a_note_and_an_error() {
        let d = tempfile::tempdir().unwrap();
        let reg = d.path().join("bad.reg");
        std::fs::write(
            &reg,
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_NOWHERE\\X]\r\n",
        )
        .unwrap();
        let mut notes = Vec::new();
        let r = Source::open(reg.to_str().unwrap(), true, &mut |n| notes.push(n));
        assert!(matches!(r, Err(SourceError::Reg)));
        assert!(matches!(&notes[..], [Note::Reg(f)] if f.has_errors()));
    }
}
