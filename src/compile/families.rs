//! A profile's target range cut into families of builds that get the same cipher-suite
//! and curve lists, and the lists resolved for one build.

use super::{CompileError, Options};
use crate::profile::{BuildChange, Profile};
use crate::setting::{Setting, SettingKey};

/// A run of builds of a profile's target range that get the same cipher-suite and curve
/// lists: one `.reg` file each when the lists differ across the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// Its first build.
    pub first: u32,
    /// Its last build: the last one a Microsoft table names before the next family (or the
    /// target's `max-build`); `None` for every later build.
    pub last: Option<u32>,
    /// The profile with these builds' lists.
    pub profile: Profile,
    /// What resolving the lists for `first` changed.
    pub changes: Vec<BuildChange>,
}

impl Family {
    /// The part of its file names: `build-7601-9600`, `build-14393`, `build-20348-up`.
    pub fn label(&self) -> String {
        match self.last {
            None => format!("build-{}-up", self.first),
            Some(l) if l == self.first => format!("build-{l}"),
            Some(l) => format!("build-{}-{l}", self.first),
        }
    }

    /// Its builds in words: `builds 7601 to 9600`, `build 14393`, `builds 20348 and later`.
    pub fn builds(&self) -> String {
        match self.last {
            None => format!("builds {} and later", self.first),
            Some(l) if l == self.first => format!("build {l}"),
            Some(l) => format!("builds {} to {l}", self.first),
        }
    }
}

/// A profile's lists as they will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// One profile for every build it is compiled for (`--target-build`, no target, or a
    /// target whose builds all get the same lists), with what resolving changed.
    One {
        /// The profile with its lists resolved.
        profile: Profile,
        /// What resolving changed (names left out, respelled).
        changes: Vec<BuildChange>,
    },
    /// Builds of the target that get different lists, oldest first (at least two).
    Families(Vec<Family>),
}

/// The lists of `list` keys of a profile, for comparing families.
fn lists(p: &Profile) -> Vec<Option<&Vec<String>>> {
    [SettingKey::CipherSuites, SettingKey::EccCurves]
        .iter()
        .map(|k| match p.settings.get(k) {
            Some((Setting::List(l), _)) => Some(l),
            _ => None,
        })
        .collect()
}

/// A list the profile writes that resolving for `build` emptied: writing it would leave
/// Windows no suite (or curve) at all.
fn check_not_emptied(before: &Profile, after: &Profile, build: u32) -> Result<(), CompileError> {
    for (key, list) in [
        (SettingKey::CipherSuites, "cipher-suite"),
        (SettingKey::EccCurves, "curve"),
    ] {
        let len = |p: &Profile| match p.settings.get(&key) {
            Some((Setting::List(l), _)) => l.len(),
            _ => 0,
        };
        if len(before) > 0 && len(after) == 0 {
            return Err(CompileError::NothingLeft { build, list });
        }
    }
    Ok(())
}

/// The families of a profile whose `target` is a range: its lists resolved at the first
/// build of every Microsoft table in the range (and at `min-build`); neighbours with the
/// same lists are one family. A profile without a target or without lists is one family.
pub fn families(profile: &Profile) -> Result<Vec<Family>, CompileError> {
    use crate::catalog::suite_builds::TABLES;
    let whole = || Family {
        first: profile.target.map_or(0, |t| t.min_build),
        last: profile.target.and_then(|t| t.max_build),
        profile: profile.clone(),
        changes: Vec::new(),
    };
    let Some(target) = profile.target else {
        return Ok(vec![whole()]);
    };
    if lists(profile).iter().all(Option::is_none) {
        return Ok(vec![whole()]);
    }
    let mut probes: Vec<u32> = TABLES
        .iter()
        .map(|t| t.min_build.max(target.min_build))
        .filter(|b| target.max_build.is_none_or(|m| *b <= m))
        .collect();
    probes.push(target.min_build);
    probes.sort_unstable();
    probes.dedup();
    let mut out: Vec<Family> = Vec::new();
    for b in probes {
        let (p, changes) = profile.for_build(b, None);
        check_not_emptied(profile, &p, b)?;
        if out.last().is_none_or(|f| lists(&f.profile) != lists(&p)) {
            out.push(Family {
                first: b,
                last: None,
                profile: p,
                changes,
            });
        }
    }
    // Each family ends where the next begins; its last build is the last one a table
    // names in between (there are no Windows releases between Microsoft's tables).
    let starts: Vec<u32> = out.iter().map(|f| f.first).skip(1).collect();
    for (f, next) in out.iter_mut().zip(starts) {
        let end = next - 1;
        f.last = Some(
            TABLES
                .iter()
                .filter(|t| t.min_build <= end && t.max_build.is_none_or(|m| m >= f.first))
                .map(|t| t.max_build.unwrap_or(end).min(end))
                .max()
                .unwrap_or(f.first)
                .max(f.first),
        );
    }
    if let Some(f) = out.last_mut() {
        f.last = target.max_build;
    }
    Ok(out)
}

/// The profile's lists as compiled with `opts`: for `opts.target_build` (names that build
/// does not know left out, ECDHE names respelled), else per family of its target range.
/// A list that would be emptied is an error.
pub fn resolve(profile: &Profile, opts: Options) -> Result<Resolved, CompileError> {
    if let Some(build) = opts.target_build {
        let (resolved, changes) = profile.for_build(build, None);
        check_not_emptied(profile, &resolved, build)?;
        return Ok(Resolved::One {
            profile: resolved,
            changes,
        });
    }
    let mut fams = families(profile)?;
    if fams.len() == 1 {
        let f = fams.remove(0);
        return Ok(Resolved::One {
            profile: f.profile,
            changes: f.changes,
        });
    }
    Ok(Resolved::Families(fams))
}

/// The profile as compiled for `opts.target_build`, or for its whole target when that gets
/// one list ([`resolve`]), with what changed; a target whose builds get different lists is
/// [`CompileError::ListsDifferInRange`] here (use [`outputs`](super::outputs), which writes one file per
/// family).
pub fn resolve_for_build(
    profile: &Profile,
    opts: Options,
) -> Result<(Profile, Vec<BuildChange>), CompileError> {
    match resolve(profile, opts)? {
        Resolved::One { profile, changes } => Ok((profile, changes)),
        Resolved::Families(f) => Err(CompileError::ListsDifferInRange {
            starts: f.iter().map(|f| f.first).collect(),
        }),
    }
}
