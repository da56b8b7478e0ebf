//! The command line as clap reads it: every subcommand, option and help text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "tlsreg", version, about = "Compile SCHANNEL/TLS hardening profiles into byte-exact .reg files and safe PowerShell scripts, and audit, export and diff offline hives", long_about = None)]
pub struct Cli {
    /// When to colour messages (NO_COLOR is respected with auto).
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    /// regedit .reg files
    Reg,
    /// PowerShell scripts
    Ps1,
    /// every format
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlavorArg {
    /// regedit.exe and reg import on Windows: UTF-16LE with BOM, CRLF
    Regedit,
    /// hivexregedit --merge / virt-win-reg --merge: UTF-8, one file per hive, real control set
    Hivex,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// grouped text, coloured on a terminal
    Human,
    /// the report as JSON (schema_version 1)
    Json,
    /// JUnit XML, one test case per finding
    Junit,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// the profile format (YAML profiles, read as JSON)
    Profile,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Report {
    Human,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Compile profiles (built-in names or YAML files) into .reg files and PowerShell scripts.
    Compile {
        /// Built-in profile names (see `tlsreg profiles`) or paths to YAML profiles.
        #[arg(required = true)]
        profiles: Vec<String>,
        /// Folder to write to (created if missing); `-` writes the one file this run makes
        /// (one profile, one format) to standard output.
        #[arg(short, long, default_value = ".")]
        out_dir: PathBuf,
        /// What to write.
        #[arg(long, value_enum, default_value_t = OutFormat::Reg)]
        format: OutFormat,
        /// Write the undo files (NAME.revert.reg, NAME.revert.ps1): delete every value the profile sets.
        #[arg(long)]
        revert: bool,
        /// Which importer the .reg is for.
        #[arg(long, value_enum, default_value_t = FlavorArg::Regedit)]
        flavor: FlavorArg,
        /// Write to ControlSet00N instead of CurrentControlSet (needed by the hivex flavour;
        /// N is the hive's SYSTEM\Select\Current).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=999))]
        control_set: Option<u32>,
        /// Write the cipher-suite and curve lists for this Windows build (a number or a name
        /// such as windows-server-2012-r2): names it does not know are left out, ECDHE suites
        /// get the curve-suffixed names Windows before 10240 uses, each change a warning.
        #[arg(long, value_name = "BUILD", value_parser = parse_build)]
        target_build: Option<u32>,
        /// Write nothing; exit 1 if the files in the output folder differ from what would be written.
        #[arg(long)]
        check: bool,
        /// How to report what was written or checked.
        #[arg(long, value_enum, default_value_t = Report::Human)]
        report: Report,
    },
    /// Print a profile as resolved (after extends) in YAML.
    Show {
        /// A built-in profile name or a path to a YAML profile.
        profile: String,
        /// Print the registry operations the profile compiles to instead.
        #[arg(long)]
        plan: bool,
        /// Write here (atomically) instead of standard output (`-`: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List the built-in profiles.
    Profiles,
    /// Print a shell completion script (source it, or install it where your shell looks).
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output: `tlsreg man > tlsreg.1`.
    Man,
    /// Print a JSON Schema (draft 2020-12) for editors: `tlsreg schema profile > tlsreg-profile.schema.json`.
    Schema {
        /// Which file format.
        #[arg(value_enum)]
        what: SchemaKind,
    },
    /// Say what a diagnostic code means (every code, without one).
    Explain {
        /// A code as messages show it, e.g. unknown-on-build.
        code: Option<String>,
    },
    /// Audit offline SYSTEM and SOFTWARE hives against a profile.
    Audit(AuditArgs),
    /// Turn a .reg file into a profile (YAML on stdout).
    Import {
        /// The .reg file (any encoding regedit reads).
        file: PathBuf,
        /// Encoding of a file without BOM that is not UTF-8 (an encoding_rs label).
        #[arg(long, default_value = "windows-1252")]
        encoding: String,
        /// Write the profile here (atomically) instead of standard output (`-`: standard
        /// output).
        #[arg(short, long, value_name = "OUT.yaml")]
        output: Option<PathBuf>,
    },
    /// Write a hive's keys (whole, or subtrees) as a regedit 5.00 .reg file.
    Export {
        /// A SYSTEM hive: keys are named HKEY_LOCAL_MACHINE\SYSTEM\... (with --image, no
        /// file: the image's SYSTEM hive)
        #[arg(
            long,
            value_name = "FILE",
            num_args = 0..=1,
            default_missing_value = "",
            conflicts_with = "software",
            required_unless_present = "software"
        )]
        system: Option<std::ffi::OsString>,
        /// A SOFTWARE hive (or any other hive): keys are named HKEY_LOCAL_MACHINE\SOFTWARE\...
        /// (with --image, no file: the image's SOFTWARE hive)
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "")]
        software: Option<std::ffi::OsString>,
        /// Read the hive out of this disk image (raw, VHD, VHDX, VMDK, QCOW2), without
        /// mounting it.
        #[arg(long, value_name = "FILE")]
        image: Option<PathBuf>,
        /// With --image: the partition holding the Windows installation, when there are
        /// several.
        #[arg(long, value_name = "N", requires = "image")]
        partition: Option<u32>,
        /// A subtree to export, relative to the hive root (repeatable); CurrentControlSet is
        /// resolved through Select\Current.
        #[arg(long, value_name = "PATH")]
        key: Vec<String>,
        /// Name the current ControlSet00N "CurrentControlSet" in the output.
        #[arg(long)]
        current_control_set: bool,
        /// Write here (atomically) instead of standard output (`-`: standard output).
        #[arg(short, long, value_name = "OUT.reg")]
        output: Option<PathBuf>,
        /// Read a dirty hive as it is, without replaying its .LOG1/.LOG2 transaction logs.
        #[arg(long)]
        no_recover: bool,
    },
    /// Registry-level differences between two profiles, .reg files or hives.
    Diff {
        /// A profile (built-in name or YAML file), a .reg file, a hive file, a mounted
        /// Windows volume (its SYSTEM and SOFTWARE hives), or a disk image file (raw, VHD,
        /// VHDX, VMDK, QCOW2: its Windows installation's hives).
        a: String,
        /// The other side.
        b: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Report::Human)]
        format: Report,
        /// Read a dirty hive as it is, without replaying its .LOG1/.LOG2 transaction logs.
        #[arg(long)]
        no_recover: bool,
        /// When A is a disk image holding several Windows installations: the partition of
        /// the one to compare.
        #[arg(long, value_name = "N")]
        partition_a: Option<u32>,
        /// The same for B.
        #[arg(long, value_name = "N")]
        partition_b: Option<u32>,
    },
    /// Check .reg files for known traps.
    Lint {
        /// The .reg files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The Windows build the files are for (enables build checks); with --max-build,
        /// the oldest of a range.
        #[arg(long, value_name = "BUILD", value_parser = parse_build)]
        os_build: Option<u32>,
        /// The newest build the files are for: names unknown on any build from --os-build
        /// to this one are flagged.
        #[arg(long, value_name = "BUILD", value_parser = parse_build, requires = "os_build")]
        max_build: Option<u32>,
        /// Encoding of a file without BOM that is not UTF-8 (an encoding_rs label).
        #[arg(long, default_value = "windows-1252")]
        encoding: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Report::Human)]
        format: Report,
    },
}

#[derive(clap::Args)]
pub struct AuditArgs {
    /// A built-in profile name or a path to a YAML profile.
    #[arg(short, long)]
    pub profile: String,
    /// The SYSTEM hive file.
    #[arg(long, value_name = "FILE")]
    pub system: Option<PathBuf>,
    /// The SOFTWARE hive file.
    #[arg(long, value_name = "FILE")]
    pub software: Option<PathBuf>,
    /// A mounted Windows volume (or a config folder); repeat to audit a batch.
    #[arg(long, value_name = "DIR")]
    pub root: Vec<PathBuf>,
    /// A disk image file (raw, VHD, VHDX, VMDK, QCOW2), read without mounting; repeat to
    /// audit a batch. Each Windows installation in it is audited.
    #[arg(long, value_name = "FILE")]
    pub image: Vec<PathBuf>,
    /// In disk images, audit only the Windows installation on this partition number.
    #[arg(long, value_name = "N")]
    pub partition: Option<u32>,
    /// A file listing one root folder or disk image file per line (blank lines and #
    /// comments ignored).
    #[arg(long, value_name = "FILE")]
    pub roots_file: Option<PathBuf>,
    /// The Windows build, when no SOFTWARE hive is given.
    #[arg(long, value_name = "BUILD")]
    pub os_build: Option<u32>,
    /// Judge what Schannel will do (values plus the per-build defaults).
    #[arg(long)]
    pub effective: bool,
    /// Read dirty hives as they are, without replaying their .LOG1/.LOG2 transaction logs.
    #[arg(long)]
    pub no_recover: bool,
    /// A check that could not be made because its hive was not given makes the image
    /// non-compliant (by default it is reported and does not).
    #[arg(long)]
    pub require_all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,
}

/// A Windows build: a number, or a name of `tlsreg::catalog::NAMED_BUILDS`.
fn parse_build(s: &str) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return Ok(n);
    }
    tlsreg::catalog::NAMED_BUILDS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, b)| *b)
        .ok_or_else(|| {
            let names: Vec<&str> = tlsreg::catalog::NAMED_BUILDS
                .iter()
                .map(|(n, _)| *n)
                .collect();
            format!("not a build number or one of: {}", names.join(", "))
        })
}
