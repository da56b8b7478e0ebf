//! Where a Windows installation keeps its hives: the SYSTEM and SOFTWARE files of a mounted
//! volume (`DIR/Windows/System32/config`) or of a `config` folder, found as Windows names
//! them (case-insensitively).

use std::path::{Path, PathBuf};

/// The hive files of one Windows installation; at least one is there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HivePaths {
    /// The SYSTEM hive file, if there is one.
    pub system: Option<PathBuf>,
    /// The SOFTWARE hive file, if there is one.
    pub software: Option<PathBuf>,
}

/// The SYSTEM and SOFTWARE hives of a mounted Windows volume (`DIR/Windows/System32/config`)
/// or of a `config` folder itself, matched case-insensitively as on Windows.
pub fn find_hives(dir: &Path) -> std::io::Result<HivePaths> {
    fn entry(dir: &Path, name: &str, want_dir: bool) -> std::io::Result<Option<PathBuf>> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            if e.file_name().to_string_lossy().eq_ignore_ascii_case(name) {
                let is_dir = e.file_type()?.is_dir() || e.path().is_dir();
                if is_dir == want_dir {
                    return Ok(Some(e.path()));
                }
            }
        }
        Ok(None)
    }
    let mut config = dir.to_path_buf();
    if entry(dir, "SYSTEM", false)?.is_none() && entry(dir, "SOFTWARE", false)?.is_none() {
        for part in ["Windows", "System32", "config"] {
            match entry(&config, part, true)? {
                Some(p) => config = p,
                None => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!(
                            "{} has neither SYSTEM/SOFTWARE hives nor Windows/System32/config",
                            dir.display()
                        ),
                    ))
                }
            }
        }
    }
    let system = entry(&config, "SYSTEM", false)?;
    let software = entry(&config, "SOFTWARE", false)?;
    if system.is_none() && software.is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} holds no SYSTEM or SOFTWARE hive", config.display()),
        ));
    }
    Ok(HivePaths { system, software })
}
