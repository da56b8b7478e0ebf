//! The command line as clap reads it: every subcommand, option and help text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The exit codes, at the end of every `--help`.
macro_rules! exit_codes {
    () => {
        "Exit codes: 0 ok; 1 differences found (compile --check drift, an audit not compliant or an expired waiver, lint findings, diff differences); 2 error (nothing written)."
    };
}

const MAIN_HELP: &str = concat!(
    "Examples:
  tlsreg compile best-practices --format all -o out
  tlsreg audit -p strict --image vm.vhdx
  tlsreg lint --format sarif legacy.reg > lint.sarif
  tlsreg explain enabled-ffffffff",
    "\n\n",
    exit_codes!()
);

const COMPILE_HELP: &str = concat!(
    "Examples:
  tlsreg compile strict                          # strict.reg here
  tlsreg compile best-practices --format all -o out
  tlsreg compile best-practices --format pol -o gpo   # best-practices.pol: Registry.pol
  tlsreg compile strict --format intune -o intune     # strict.detect.ps1, strict.remediate.ps1
  tlsreg compile strict --format ansible -o play      # strict.playbook.yml
  tlsreg compile strict --format gpp -o gpo           # strict.gpp.xml: Preferences\\Registry\\Registry.xml
  tlsreg compile my.yaml --target-build windows-server-2012-r2 -o -
  tlsreg compile profiles/*.yaml -o generated --check   # CI: exit 1 on drift
  tlsreg compile strict --flavor hivex --control-set 1 -o offline",
    "\n\n",
    exit_codes!()
);

const AUDIT_HELP: &str = concat!(
    "Examples:
  tlsreg audit -p strict --system SYSTEM --software SOFTWARE
  tlsreg audit -p strict --root /mnt/win --effective
  tlsreg audit -p pci-dss-4 --image a.vhdx --image b.qcow2 --format junit > audit.xml
  tlsreg audit -p pci-dss-4 --roots-file images.txt --format jsonl --waivers waivers.yaml
  tlsreg audit -p site.yaml --image sample.vhdx --format sarif > audit.sarif",
    "\n\n",
    exit_codes!()
);

const LINT_HELP: &str = concat!(
    "Examples:
  tlsreg lint hardening.reg
  tlsreg lint --os-build 9600 --max-build 26100 *.reg
  tlsreg lint --allow control-set-mix --deny enabled-ffffffff --format sarif *.reg",
    "\n\n",
    exit_codes!()
);

const DIFF_HELP: &str = concat!(
    "Examples:
  tlsreg diff strict best-practices
  tlsreg diff old.reg new.reg
  tlsreg diff /mnt/win strict --format json
  tlsreg diff before.vhdx after.vhdx",
    "\n\n",
    exit_codes!()
);

const EXPORT_HELP: &str = concat!(
    "Examples:
  tlsreg export --system SYSTEM --key CurrentControlSet\\Control\\SecurityProviders -o schannel.reg
  tlsreg export --image vm.qcow2 --software --key 'Microsoft\\.NETFramework' -o -",
    "\n\n",
    exit_codes!()
);

const SHOW_HELP: &str = concat!(
    "Examples:\n  tlsreg show strict\n  tlsreg show my.yaml --plan\n  tlsreg show pci-dss-4 -o resolved.yaml",
    "\n\n",
    exit_codes!()
);

const IMPORT_HELP: &str = concat!(
    "Examples:\n  tlsreg import legacy.reg > legacy.yaml\n  tlsreg import --encoding windows-1251 old.reg -o old.yaml",
    "\n\n",
    exit_codes!()
);

const EXPLAIN_HELP: &str = concat!(
    "Examples:\n  tlsreg explain\n  tlsreg explain control-set-mix\n  tlsreg explain setting-value",
    "\n\n",
    exit_codes!()
);

const SCHEMA_HELP: &str = concat!(
    "Examples:\n  tlsreg schema profile > tlsreg-profile.schema.json\n  tlsreg schema report > tlsreg-report.schema.json",
    "\n\n",
    exit_codes!()
);

const SHELL_HELP: &str = concat!(
    "Examples:\n  tlsreg completions bash > /etc/bash_completion.d/tlsreg\n  tlsreg man > tlsreg.1\n  tlsreg man --out-dir /usr/local/share/man/man1\n  tlsreg profiles",
    "\n\n",
    exit_codes!()
);

#[derive(Parser)]
#[command(name = "tlsreg", version, about = "Compile SCHANNEL/TLS hardening profiles into byte-exact .reg files and safe PowerShell scripts, and audit, export and diff offline hives", long_about = None, after_help = MAIN_HELP)]
pub struct Cli {
    /// When to colour messages (NO_COLOR is respected with auto).
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    /// Say less: no notes, warnings or progress on standard error; an audit prints only
    /// each image's verdict line.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: an audit lists the checks that pass too; profile notes are shown.
    #[arg(short, long, global = true)]
    pub verbose: bool,
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
    /// .reg files and PowerShell scripts (the other formats only when named)
    All,
    /// Group Policy Registry.pol files (a GPO's Machine\Registry.pol, LGPO.exe /m)
    Pol,
    /// Intune Remediations: NAME.detect.ps1 and NAME.remediate.ps1
    Intune,
    /// an Ansible playbook of ansible.windows.win_regedit tasks (NAME.playbook.yml)
    Ansible,
    /// Group Policy Preferences: NAME.gpp.xml (a GPO's Machine\Preferences\Registry\Registry.xml)
    Gpp,
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
    /// one JSON document: {"schema_version": 2, "images": [...], ...}
    Json,
    /// JSON Lines: one object per image, written as each finishes
    Jsonl,
    /// JUnit XML: a test suite per image, a test case per finding
    Junit,
    /// SARIF 2.1.0 (GitHub code scanning): a result per finding that does not pass
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// the profile format (YAML profiles, read as JSON)
    Profile,
    /// every JSON document tlsreg writes (audit, jsonl records, compile, lint, diff)
    Report,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Report {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// each finding with its line and a caret, on standard error
    Human,
    /// {"version": 1, "files": [...]} on standard output
    Json,
    /// a SARIF 2.1.0 log on standard output (GitHub code scanning)
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFlavor {
    /// hivex for a file of the form `compile --flavor hivex` writes, regedit otherwise
    Auto,
    /// regedit or reg import on a running Windows (CurrentControlSet)
    Regedit,
    /// hivexregedit --merge / virt-win-reg --merge into an offline hive (ControlSet00N)
    Hivex,
}

#[derive(Subcommand)]
pub enum Command {
    /// Compile profiles (built-in names or YAML files) into .reg files and PowerShell scripts.
    #[command(after_help = COMPILE_HELP)]
    Compile {
        /// Built-in profile names (see `tlsreg profiles`) or paths to YAML profiles.
        #[arg(required = true)]
        profiles: Vec<String>,
        /// Folder to write to (created if missing); `-` writes the one file this run makes
        /// (one profile, one format) to standard output.
        #[arg(short, long, default_value = ".")]
        out_dir: PathBuf,
        /// What to write: one or more formats, comma-separated or repeated
        /// (`--format all,pol`).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "reg")]
        format: Vec<OutFormat>,
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
    #[command(after_help = SHOW_HELP)]
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
    #[command(after_help = SHELL_HELP)]
    Profiles,
    /// Print a shell completion script (source it, or install it where your shell looks).
    #[command(after_help = SHELL_HELP)]
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output: `tlsreg man > tlsreg.1`; with
    /// --out-dir, write it and one page per subcommand (tlsreg-audit.1, ...).
    #[command(after_help = SHELL_HELP)]
    Man {
        /// Write tlsreg.1 and a tlsreg-SUBCOMMAND.1 for every subcommand into this folder
        /// (created if missing), all or none.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Print a JSON Schema (draft 2020-12) for editors: `tlsreg schema profile > tlsreg-profile.schema.json`.
    #[command(after_help = SCHEMA_HELP)]
    Schema {
        /// Which file format.
        #[arg(value_enum)]
        what: SchemaKind,
    },
    /// Say what a diagnostic or audit finding code means (every code, without one).
    #[command(after_help = EXPLAIN_HELP)]
    Explain {
        /// A code as messages show it, e.g. unknown-on-build.
        code: Option<String>,
    },
    /// Audit offline SYSTEM and SOFTWARE hives against a profile.
    #[command(after_help = AUDIT_HELP)]
    Audit(AuditArgs),
    /// Turn a .reg file into a profile (YAML on stdout).
    #[command(after_help = IMPORT_HELP)]
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
    #[command(after_help = EXPORT_HELP)]
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
    #[command(after_help = DIFF_HELP)]
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
    #[command(after_help = LINT_HELP)]
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
        #[arg(long, value_enum, default_value_t = LintFormat::Human)]
        format: LintFormat,
        /// Leave out this code's findings: not shown, not counted in the exit code
        /// (repeatable, or comma-separated).
        #[arg(long, value_name = "CODE", value_delimiter = ',')]
        allow: Vec<String>,
        /// Report this code's findings as errors (repeatable, or comma-separated); a code
        /// both allowed and denied is denied.
        #[arg(long, value_name = "CODE", value_delimiter = ',')]
        deny: Vec<String>,
        /// The importer the files are for.
        #[arg(long, value_enum, default_value_t = LintFlavor::Auto)]
        flavor: LintFlavor,
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
    /// A YAML file of waivers: findings accepted until a date (each names a code, and
    /// optionally a key, value and image, with a reason and an expiry date).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Audit this many images at once (default: one per core).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
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
