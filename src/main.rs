//! The `tlsreg` command line: parses arguments, calls the library, renders results and maps
//! them to exit codes (0 ok, 1 drift found, 2 error).

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tlsreg::compile::{self, Flavor, Options};
use tlsreg::diag::Diagnostics;
use tlsreg::output;
use tlsreg::profile::{self, Loaded, ProfileRef};

#[derive(Parser)]
#[command(name = "tlsreg", version, about = "Compile SCHANNEL/TLS hardening profiles into byte-exact .reg files and safe PowerShell scripts, and audit, export and diff offline hives", long_about = None)]
struct Cli {
    /// When to colour messages (NO_COLOR is respected with auto).
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutFormat {
    /// regedit .reg files
    Reg,
    /// PowerShell scripts
    Ps1,
    /// every format
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FlavorArg {
    /// regedit.exe and reg import on Windows: UTF-16LE with BOM, CRLF
    Regedit,
    /// hivexregedit --merge / virt-win-reg --merge: UTF-8, one file per hive, real control set
    Hivex,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuditFormat {
    /// grouped text, coloured on a terminal
    Human,
    /// the report as JSON (schema_version 1)
    Json,
    /// JUnit XML, one test case per finding
    Junit,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Report {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Compile profiles (built-in names or YAML files) into .reg files and PowerShell scripts.
    Compile {
        /// Built-in profile names (see `tlsreg profiles`) or paths to YAML profiles.
        #[arg(required = true)]
        profiles: Vec<String>,
        /// Folder to write to (created if missing).
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
    },
    /// List the built-in profiles.
    Profiles,
    /// Audit offline SYSTEM and SOFTWARE hives against a profile.
    Audit(AuditArgs),
    /// Turn a .reg file into a profile (YAML on stdout).
    Import {
        /// The .reg file (any encoding regedit reads).
        file: PathBuf,
        /// Encoding of a file without BOM that is not UTF-8 (an encoding_rs label).
        #[arg(long, default_value = "windows-1252")]
        encoding: String,
    },
    /// Write a hive's keys (whole, or subtrees) as a regedit 5.00 .reg file.
    Export {
        /// A SYSTEM hive: keys are named HKEY_LOCAL_MACHINE\SYSTEM\...
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "software",
            required_unless_present = "software"
        )]
        system: Option<PathBuf>,
        /// A SOFTWARE hive (or any other hive): keys are named HKEY_LOCAL_MACHINE\SOFTWARE\...
        #[arg(long, value_name = "FILE")]
        software: Option<PathBuf>,
        /// A subtree to export, relative to the hive root (repeatable); CurrentControlSet is
        /// resolved through Select\Current.
        #[arg(long, value_name = "PATH")]
        key: Vec<String>,
        /// Name the current ControlSet00N "CurrentControlSet" in the output.
        #[arg(long)]
        current_control_set: bool,
        /// Write here (atomically) instead of standard output.
        #[arg(short, long, value_name = "OUT.reg")]
        output: Option<PathBuf>,
        /// Read a dirty hive as it is, without replaying its .LOG1/.LOG2 transaction logs.
        #[arg(long)]
        no_recover: bool,
    },
    /// Registry-level differences between two profiles, .reg files or hives.
    Diff {
        /// A profile (built-in name or YAML file), a .reg file, a hive file, or a mounted
        /// Windows volume (its SYSTEM and SOFTWARE hives).
        a: String,
        /// The other side.
        b: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Report::Human)]
        format: Report,
        /// Read a dirty hive as it is, without replaying its .LOG1/.LOG2 transaction logs.
        #[arg(long)]
        no_recover: bool,
    },
    /// Check .reg files for known traps.
    Lint {
        /// The .reg files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The oldest Windows build the files are for (enables build checks).
        #[arg(long, value_name = "BUILD")]
        os_build: Option<u32>,
        /// Encoding of a file without BOM that is not UTF-8 (an encoding_rs label).
        #[arg(long, default_value = "windows-1252")]
        encoding: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Report::Human)]
        format: Report,
    },
}

struct Ui {
    /// Colour on standard error (diagnostics, errors).
    color: bool,
    /// Colour on standard output (reports).
    color_out: bool,
    /// With `--report json`, diagnostics are collected for the JSON report instead.
    collected: Option<std::cell::RefCell<Vec<tlsreg::diag::Diagnostic>>>,
}

impl Ui {
    fn diags(&self, d: &Diagnostics) {
        if let Some(c) = &self.collected {
            c.borrow_mut().extend(d.0.iter().cloned());
        } else if !d.0.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{}", d.render(self.color));
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One colour policy for both streams: `always` and `never` are final, `auto` colours a
    // stream that is a terminal unless NO_COLOR is set.
    let color_for = |terminal: bool| match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
    };
    let color = color_for(std::io::stderr().is_terminal());
    let color_out = color_for(std::io::stdout().is_terminal());
    let json = matches!(
        &cli.command,
        Command::Compile {
            report: Report::Json,
            ..
        }
    );
    let ui = Ui {
        color,
        color_out,
        collected: json.then(Default::default),
    };
    match run(cli.command, &ui) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "{}: {e:#}",
                if ui.color {
                    "\x1b[1;31merror\x1b[0m"
                } else {
                    "error"
                }
            );
            ExitCode::from(2)
        }
    }
}

/// Errors already shown to the user (diagnostics); this is the closing line.
#[derive(Debug)]
struct Reported(&'static str);
impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Reported {}

fn load(arg: &str, ui: &Ui) -> Result<(ProfileRef, Loaded), Diagnostics> {
    let r = ProfileRef::parse(arg);
    match profile::load(&r) {
        Ok(l) => {
            ui.diags(&l.warnings);
            Ok((r, l))
        }
        Err(d) => {
            ui.diags(&d);
            Err(d)
        }
    }
}

fn run(cmd: Command, ui: &Ui) -> Result<u8> {
    match cmd {
        Command::Profiles => {
            let mut out = std::io::stdout().lock();
            for (name, _) in tlsreg::builtin::BUILTINS {
                let l = profile::load(&ProfileRef::Builtin(name.to_string()))
                    .map_err(|_| anyhow::anyhow!("built-in profile {name} does not load"))?;
                let desc = l.profile.description.unwrap_or_default();
                let first = desc.split(". ").next().unwrap_or("").trim_end_matches('.');
                writeln!(out, "{name:<22} {first}")?;
            }
            Ok(0)
        }
        Command::Audit(args) => audit_cmd(args, ui),
        Command::Import { file, encoding } => {
            let f = read_reg(&file, &encoding)?;
            let shown = file.display().to_string();
            let errors = show_reg_diags(&shown, &f, &f.diagnostics, ui);
            if errors {
                return Err(Reported("the file has errors; nothing was imported").into());
            }
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "imported".into());
            let (profile, skipped) = tlsreg::import::import(&f, &name, &shown);
            for s in skipped {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: {shown}:{}: {}",
                    s.line,
                    s.reason
                );
            }
            write!(
                std::io::stdout().lock(),
                "{}",
                tlsreg::import::to_yaml(&profile, &shown)
            )?;
            Ok(0)
        }
        Command::Export {
            system,
            software,
            key,
            current_control_set,
            output,
            no_recover,
        } => {
            let (file, root) = match (&system, &software) {
                (Some(f), _) => (f, r"HKEY_LOCAL_MACHINE\SYSTEM"),
                (None, Some(f)) => (f, r"HKEY_LOCAL_MACHINE\SOFTWARE"),
                (None, None) => bail!("give --system FILE or --software FILE"),
            };
            // Keys may be given with their root; the export wants them relative to the hive.
            let keys = key
                .iter()
                .map(|k| {
                    for prefix in [root.to_string(), root.replace("HKEY_LOCAL_MACHINE", "HKLM")] {
                        if k.len() >= prefix.len()
                            && k.is_char_boundary(prefix.len())
                            && k[..prefix.len()].eq_ignore_ascii_case(&prefix)
                        {
                            return k[prefix.len()..].trim_start_matches('\\').to_string();
                        }
                    }
                    k.clone()
                })
                .collect();
            let mut hive = tlsreg::hive::HiveFile::open_with(file, Vec::new(), !no_recover)?;
            if hive.recovery != tlsreg::hive::Recovery::Clean {
                let _ = writeln!(
                    std::io::stderr(),
                    "{}: {}",
                    if hive.recovery.stale() {
                        "warning"
                    } else {
                        "note"
                    },
                    format_args!("{} was {}", file.display(), hive.recovery.describe())
                );
            }
            let opts = tlsreg::export::ExportOptions {
                root: root.to_string(),
                keys,
                current_control_set,
            };
            let ex = match &output {
                Some(out) => {
                    let mut result = None;
                    output::write_atomic_with(
                        out,
                        std::slice::from_ref(file),
                        |w| -> Result<()> {
                            result = Some(tlsreg::export::export(&mut hive, &opts, w)?);
                            Ok(())
                        },
                    )?;
                    result.expect("the export ran")
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
                    tlsreg::export::export(&mut hive, &opts, &mut w)?
                }
            };
            drop(hive);
            for w in &ex.warnings {
                let _ = writeln!(std::io::stderr(), "warning: {w}");
            }
            if let Some(out) = &output {
                let _ = writeln!(
                    std::io::stderr(),
                    "exported {} keys and {} values to {}",
                    ex.keys,
                    ex.values,
                    out.display()
                );
            }
            Ok(0)
        }
        Command::Diff {
            a,
            b,
            format,
            no_recover,
        } => {
            let sa = source(&a, !no_recover, ui)?;
            let sb = source(&b, !no_recover, ui)?;
            let d = tlsreg::diff::compare(sa, sb)?;
            let mut out = std::io::stdout().lock();
            match format {
                Report::Human => write!(out, "{}", tlsreg::diff::human(&d))?,
                Report::Json => writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?,
            }
            Ok(if d.is_empty() { 0 } else { 1 })
        }
        Command::Lint {
            files,
            os_build,
            encoding,
            format,
        } => {
            let mut found = false;
            let mut failed = false;
            let mut all = Vec::new();
            for file in &files {
                let shown = file.display().to_string();
                let f = match read_reg(file, &encoding) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = writeln!(std::io::stderr(), "error: {e:#}");
                        failed = true;
                        continue;
                    }
                };
                let diags = tlsreg::regfile::lint::check(
                    &f,
                    tlsreg::regfile::lint::LintOptions { os_build },
                );
                found |= !diags.is_empty();
                if format == Report::Json {
                    all.push(serde_json::json!({"file": shown, "diagnostics": diags}));
                } else {
                    show_reg_diags(&shown, &f, &diags, ui);
                }
            }
            if format == Report::Json {
                writeln!(
                    std::io::stdout().lock(),
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"version": 1, "files": all}))?
                )?;
            }
            Ok(if failed {
                2
            } else if found {
                1
            } else {
                0
            })
        }
        Command::Show { profile, plan } => {
            let (_, l) = load(&profile, ui).map_err(|_| Reported("the profile has errors"))?;
            let mut out = std::io::stdout().lock();
            if plan {
                for op in &l.profile.plan().ops {
                    writeln!(out, "{}", render_op(op))?;
                }
            } else {
                write!(out, "{}", profile::show::to_yaml(&l.profile))?;
            }
            Ok(0)
        }
        Command::Compile {
            profiles,
            out_dir,
            format,
            revert,
            flavor,
            control_set,
            check,
            report,
        } => {
            let opts = Options {
                flavor: match flavor {
                    FlavorArg::Regedit => Flavor::Regedit,
                    FlavorArg::Hivex => Flavor::Hivex,
                },
                revert,
                control_set,
            };
            compile_cmd(&profiles, &out_dir, opts, format, check, report, ui)
        }
    }
}

fn render_op(op: &tlsreg::plan::Op) -> String {
    use tlsreg::plan::Op;
    match op {
        Op::DeleteKey { key } => format!("delete key   [{key}]"),
        Op::DeleteValue { key, name } => format!(
            "delete value [{key}] {}",
            if name.is_empty() {
                "@".into()
            } else {
                format!("{name:?}")
            }
        ),
        Op::SetValue { key, name, data } => {
            format!(
                "set          [{key}] {} = {data}",
                if name.is_empty() {
                    "@".into()
                } else {
                    format!("{name:?}")
                }
            )
        }
    }
}

fn compile_cmd(
    args: &[String],
    out_dir: &Path,
    opts: Options,
    format: OutFormat,
    check: bool,
    report: Report,
    ui: &Ui,
) -> Result<u8> {
    // Load and compile everything first: on any error, nothing is written.
    let formats = compile::Formats {
        reg: format != OutFormat::Ps1,
        ps1: format != OutFormat::Reg,
    };
    let mut failed = false;
    let mut batch = compile::Batch::default();
    for arg in args {
        let Ok((r, l)) = load(arg, ui) else {
            failed = true;
            continue;
        };
        if let Err(e) = batch.add(arg, &r, &l, opts, formats) {
            failed = true;
            let _ = writeln!(std::io::stderr(), "error: {}: {e}", r.label());
        }
    }
    if failed {
        if report == Report::Json {
            json_report(ui, &[])?;
        }
        return Err(Reported("nothing was written").into());
    }
    let rows = batch.write(out_dir, check)?;
    let mut out = std::io::stdout().lock();
    match report {
        Report::Human => {
            for row in &rows {
                writeln!(out, "{:<10} {}", row.status.as_str(), row.file)?;
            }
        }
        Report::Json => json_report(ui, &rows)?,
    }
    let drift = rows.iter().any(|r| {
        matches!(
            r.status,
            compile::FileStatus::Missing | compile::FileStatus::Differs
        )
    });
    Ok(if drift { 1 } else { 0 })
}

/// The `--report json` document: schema version, one entry per file, every diagnostic.
fn json_report(ui: &Ui, rows: &[compile::FileRow]) -> Result<()> {
    let diags = ui
        .collected
        .as_ref()
        .map(|c| c.borrow().clone())
        .unwrap_or_default();
    let doc = compile::Report {
        diagnostics: &diags,
        files: rows,
        version: 1,
    };
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&doc)?
    )?;
    Ok(())
}

#[derive(clap::Args)]
struct AuditArgs {
    /// A built-in profile name or a path to a YAML profile.
    #[arg(short, long)]
    profile: String,
    /// The SYSTEM hive file.
    #[arg(long, value_name = "FILE")]
    system: Option<PathBuf>,
    /// The SOFTWARE hive file.
    #[arg(long, value_name = "FILE")]
    software: Option<PathBuf>,
    /// A mounted Windows volume (or a config folder); repeat to audit a batch.
    #[arg(long, value_name = "DIR")]
    root: Vec<PathBuf>,
    /// A file listing one root per line (blank lines and # comments ignored).
    #[arg(long, value_name = "FILE")]
    roots_file: Option<PathBuf>,
    /// The Windows build, when no SOFTWARE hive is given.
    #[arg(long, value_name = "BUILD")]
    os_build: Option<u32>,
    /// Judge what Schannel will do (values plus the per-build defaults).
    #[arg(long)]
    effective: bool,
    /// Read dirty hives as they are, without replaying their .LOG1/.LOG2 transaction logs.
    #[arg(long)]
    no_recover: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    format: AuditFormat,
}

fn audit_cmd(a: AuditArgs, ui: &Ui) -> Result<u8> {
    use tlsreg::audit::batch::{Batch, Targets};
    use tlsreg::audit::render::{self, Format};
    let (_, loaded) = load(&a.profile, ui).map_err(|_| Reported("the profile has errors"))?;
    let images = Targets {
        system: a.system,
        software: a.software,
        roots: a.root,
        roots_file: a.roots_file,
        os_build: a.os_build,
        no_recover: a.no_recover,
    }
    .images()?;
    let format = match a.format {
        AuditFormat::Human => Format::Human,
        AuditFormat::Json => Format::Json,
        AuditFormat::Junit => Format::Junit,
    };
    let opts = tlsreg::audit::Options {
        effective: a.effective,
    };
    let progress = images.len() > 1 && std::io::stderr().is_terminal() && format == Format::Human;
    let batch = Batch::run(&loaded.profile, images, opts, |i, n, name| {
        if progress {
            let _ = write!(std::io::stderr(), "\r\x1b[2Kauditing {}/{n}: {name}", i + 1);
        }
    });
    if progress {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
    let color = ui.color_out;
    write!(
        std::io::stdout().lock(),
        "{}",
        render::batch(&batch, format, color)
    )?;
    for e in batch.errors() {
        let _ = writeln!(std::io::stderr(), "error: {e}");
    }
    Ok(batch.exit_code())
}

/// Reads and parses a `.reg` file.
fn read_reg(path: &Path, encoding: &str) -> Result<tlsreg::regfile::RegFile> {
    Ok(tlsreg::regfile::read_file(path, encoding)?)
}

/// Prints `.reg` diagnostics with excerpts on stderr; true when one is an error.
fn show_reg_diags(
    file: &str,
    f: &tlsreg::regfile::RegFile,
    diags: &[tlsreg::diag::Diagnostic],
    ui: &Ui,
) -> bool {
    let placed = f.placed(file, diags);
    ui.diags(&placed);
    placed.has_errors()
}

/// Reads a `diff` argument (see [`tlsreg::diff::Source::open`]), showing its notes on
/// stderr.
fn source(arg: &str, recover: bool, ui: &Ui) -> Result<tlsreg::diff::Source> {
    use tlsreg::diff::Note;
    let source = tlsreg::diff::Source::open(arg, recover, &mut |note| match note {
        Note::Recovery { path, recovery } => {
            let _ = writeln!(
                std::io::stderr(),
                "{}: {} was {}",
                if recovery.stale() { "warning" } else { "note" },
                path.display(),
                recovery.describe()
            );
        }
        Note::Reg(f) => {
            show_reg_diags(arg, &f, &f.diagnostics, ui);
        }
        Note::Profile(d) => ui.diags(&d),
    })?;
    Ok(source)
}
