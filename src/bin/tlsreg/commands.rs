//! One function per subcommand: turn the arguments into a library call, print what it
//! returns, and give the exit code (0 ok, 1 differences found, 2 error).

use crate::args::{Command, FlavorArg, OutFormat, Report};
use crate::ui::{Reported, Ui};
use anyhow::{anyhow, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use tlsreg::compile::{self, Flavor, Options};
use tlsreg::diag::printable as p;
use tlsreg::keypath::{SOFTWARE_ROOT, SYSTEM_ROOT};

/// Runs one subcommand; the exit code, or an error for exit 2.
pub fn run(cmd: Command, ui: &Ui) -> Result<u8> {
    match cmd {
        Command::Profiles => profiles(),
        Command::Completions { shell } => {
            // Made in memory, then written: a closed pipe is an error here, not a panic.
            let mut cmd = <crate::args::Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "tlsreg", &mut out);
            write_output(None, &out, &[])?;
            Ok(0)
        }
        Command::Explain { code } => explain(code.as_deref()),
        Command::Schema { what } => {
            let doc = match what {
                crate::args::SchemaKind::Profile => tlsreg::schema::profile(),
                crate::args::SchemaKind::Report => tlsreg::schema::report(),
            };
            print_json(&doc)?;
            Ok(0)
        }
        Command::Man { out_dir } => man(out_dir.as_deref()),
        Command::Audit(args) => crate::audit::audit(args, ui),
        Command::Import {
            file,
            encoding,
            output,
        } => import(&file, &encoding, stdout_or(output.as_deref()), ui),
        Command::Export {
            system,
            software,
            image,
            partition,
            key,
            current_control_set,
            output,
            no_recover,
        } => {
            let (file, root) = match (system, software) {
                (Some(f), _) => (PathBuf::from(f), SYSTEM_ROOT),
                (None, Some(f)) => (PathBuf::from(f), SOFTWARE_ROOT),
                (None, None) => anyhow::bail!("give --system FILE or --software FILE"),
            };
            let src = match &image {
                // `--system` / `--software` without a file: that hive of the image.
                Some(img) => {
                    if !file.as_os_str().is_empty() {
                        anyhow::bail!("with --image, give --system or --software without a file: the hive is read from the image");
                    }
                    image_hive(img, partition, root == SYSTEM_ROOT)?
                }
                None if file.as_os_str().is_empty() => {
                    anyhow::bail!(
                        "give the hive file: --system FILE or --software FILE (or --image FILE)"
                    )
                }
                None => tlsreg::hive::HiveSource::file(&file)?,
            };
            let opts = tlsreg::export::ExportOptions::new(root, &key, current_control_set);
            export(&src, &opts, stdout_or(output.as_deref()), !no_recover, ui)
        }
        Command::Diff {
            a,
            b,
            format,
            no_recover,
            partition_a,
            partition_b,
        } => diff(&a, &b, format, !no_recover, (partition_a, partition_b), ui),
        Command::Lint {
            files,
            os_build,
            max_build,
            encoding,
            format,
            allow,
            deny,
            flavor,
        } => {
            use crate::args::LintFlavor;
            use tlsreg::regfile::lint::{lint_code, CodeLevels, Flavor, LintOptions};
            let codes = |option: &str, names: &[String]| -> Result<_> {
                names
                    .iter()
                    .map(|n| {
                        lint_code(n)
                            .map_err(|e| anyhow!("{option}: {e} (`tlsreg explain` lists them all)"))
                    })
                    .collect()
            };
            let levels = CodeLevels {
                allow: codes("--allow", &allow)?,
                deny: codes("--deny", &deny)?,
            };
            let opts = LintOptions {
                os_build,
                max_build,
                flavor: match flavor {
                    LintFlavor::Auto => Flavor::Auto,
                    LintFlavor::Regedit => Flavor::Regedit,
                    LintFlavor::Hivex => Flavor::Hivex,
                },
            };
            lint(&files, opts, &levels, &encoding, format, ui)
        }
        Command::Show {
            profile,
            plan,
            output,
        } => {
            let (r, l) = ui.load_showing(&profile, true)?;
            let text = if plan {
                let mut t = String::new();
                for op in &l.profile.plan().ops {
                    t.push_str(&format!("{op}\n"));
                }
                t
            } else {
                tlsreg::profile::show::to_yaml(&l.profile)
            };
            let inputs = compile::profile_inputs(&r, &l);
            write_output(stdout_or(output.as_deref()), text.as_bytes(), &inputs)?;
            Ok(0)
        }
        Command::Compile {
            profiles,
            out_dir,
            format,
            revert,
            flavor,
            control_set,
            target_build,
            check,
            report,
        } => {
            let opts = Options {
                target_build,
                flavor: match flavor {
                    FlavorArg::Regedit => Flavor::Regedit,
                    FlavorArg::Hivex => Flavor::Hivex,
                },
                revert,
                control_set,
            };
            let asked = |f: OutFormat| format.contains(&f);
            let formats = compile::Formats {
                reg: asked(OutFormat::Reg) || asked(OutFormat::All),
                ps1: asked(OutFormat::Ps1) || asked(OutFormat::All),
                pol: asked(OutFormat::Pol),
                intune: asked(OutFormat::Intune),
                ansible: asked(OutFormat::Ansible),
                gpp: asked(OutFormat::Gpp),
            };
            compile(&profiles, &out_dir, opts, formats, check, report, ui)
        }
    }
}

/// `tlsreg man`: the page on standard output, or every page (the command's and one per
/// subcommand, as clap_mangen names them) written into `dir`: each staged beside its target
/// first, and put in place only when all are staged, so an error writes nothing.
fn man(dir: Option<&Path>) -> Result<u8> {
    let mut cmd = <crate::args::Cli as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut out)?;
        write_output(None, &out, &[])?;
        return Ok(0);
    };
    cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    fn pages(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut bytes = Vec::new();
        man.render(&mut bytes)?;
        out.push((man.get_filename(), bytes));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub, out)?;
        }
        Ok(())
    }
    let mut all = Vec::new();
    pages(&cmd, &mut all)?;
    std::fs::create_dir_all(dir).map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
    let staged = all
        .iter()
        .map(|(name, bytes)| tlsreg::output::stage(&dir.join(name), bytes, &[]))
        .collect::<Result<Vec<_>, _>>()?;
    for s in staged {
        s.commit()?;
    }
    for (name, _) in &all {
        writeln!(
            std::io::stdout().lock(),
            "wrote {}",
            dir.join(name).display()
        )?;
    }
    Ok(0)
}

/// `None` for standard output: no `-o`, or `-o -`.
fn stdout_or(output: Option<&Path>) -> Option<&Path> {
    output.filter(|p| *p != Path::new("-"))
}

/// Writes a command's whole output to `out` (atomically, never over one of `inputs`) or to
/// standard output.
fn write_output(out: Option<&Path>, bytes: &[u8], inputs: &[PathBuf]) -> Result<()> {
    match out {
        Some(p) => tlsreg::output::write_atomic(p, bytes, inputs)?,
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)?;
            o.flush()?;
        }
    }
    Ok(())
}

/// `tlsreg explain [CODE]`: the code's severity and meaning, where it is used (profiles,
/// `.reg` files or both); every code without one.
fn explain(code: Option<&str>) -> Result<u8> {
    let tables = [
        ("profiles", tlsreg::diag::CODES),
        (".reg files (lint)", tlsreg::regfile::CODES),
    ];
    let mut out = String::new();
    let mut found = false;
    for (place, table) in tables {
        for (c, sev, meaning) in table.iter() {
            if code.is_none_or(|want| want.eq_ignore_ascii_case(c)) {
                found = true;
                out.push_str(&format!("{c} ({}, in {place}): {meaning}\n", sev.as_str()));
            }
        }
    }
    for f in tlsreg::audit::FindingCode::ALL {
        if code.is_none_or(|want| want.eq_ignore_ascii_case(f.as_str())) {
            found = true;
            out.push_str(&format!(
                "{} (audit finding): {}\n",
                f.as_str(),
                f.meaning()
            ));
        }
    }
    if let (Some(want), false) = (code, found) {
        let all = tables
            .iter()
            .flat_map(|(_, t)| t.iter().map(|(c, ..)| *c))
            .chain(tlsreg::audit::FindingCode::ALL.iter().map(|f| f.as_str()));
        let hint = tlsreg::catalog::did_you_mean(want, all)
            .map(|c| format!("; did you mean \"{c}\"?"))
            .unwrap_or_default();
        anyhow::bail!(
            "no diagnostic or finding code is called {}{hint} (`tlsreg explain` lists them all)",
            p(&format!("\"{want}\""))
        );
    }
    write_output(None, out.as_bytes(), &[])?;
    Ok(0)
}

fn profiles() -> Result<u8> {
    let list = tlsreg::profile::builtin_summaries()
        .map_err(|name| anyhow!("built-in profile {name} does not load"))?;
    let mut out = std::io::stdout().lock();
    for (name, first) in list {
        writeln!(out, "{name:<22} {first}")?;
    }
    Ok(0)
}

fn compile(
    args: &[String],
    out_dir: &Path,
    opts: Options,
    formats: compile::Formats,
    check: bool,
    report: Report,
    ui: &Ui,
) -> Result<u8> {
    // Load and compile everything first: on any error, nothing is written.
    let mut failed = false;
    let mut batch = compile::Batch::default();
    for arg in args {
        let Ok((r, l)) = ui.load(arg) else {
            failed = true;
            continue;
        };
        match batch.add(arg, &r, &l, opts, formats) {
            Ok(notes) => {
                for n in notes {
                    // A name left out for the build asked for deserves a warning; the files
                    // of a build family are what the user asked for.
                    let kind = match n {
                        compile::Note::Changed(_) => "warning",
                        _ => "note",
                    };
                    let _ = writeln!(
                        std::io::stderr(),
                        "{kind}: {}",
                        p(&format!("{}: {n}", r.label()))
                    );
                }
            }
            Err(e) => {
                failed = true;
                let _ = writeln!(
                    std::io::stderr(),
                    "error: {}",
                    p(&format!("{}: {e}", r.label()))
                );
            }
        }
    }
    if failed {
        if report == Report::Json {
            compile_json(ui, &[])?;
        }
        return Err(Reported("nothing was written").into());
    }
    if out_dir == Path::new("-") {
        // One file to standard output, as it would be written; no report.
        if check {
            anyhow::bail!("--check compares the files in a folder; give -o FOLDER, not -o -");
        }
        return match &batch.outputs[..] {
            [(_, o)] => {
                write_output(None, &o.bytes, &[])?;
                Ok(0)
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(_, o)| o.file_name.as_str()).collect();
                Err(anyhow!(
                    "-o - writes one file to standard output, but this run makes {} ({}); give one profile and one format (--format reg, ps1, pol, gpp or ansible, --flavor regedit; --target-build BUILD for one build family's .reg or .pol), or -o FOLDER",
                    names.len(),
                    names.join(", ")
                ))
            }
        };
    }
    let rows = batch.write(out_dir, check)?;
    match report {
        Report::Human => {
            let mut out = std::io::stdout().lock();
            for row in &rows {
                writeln!(out, "{:<10} {}", row.status.as_str(), p(&row.file))?;
            }
        }
        Report::Json => compile_json(ui, &rows)?,
    }
    let drift = rows.iter().any(|r| {
        matches!(
            r.status,
            compile::FileStatus::Missing | compile::FileStatus::Differs
        )
    });
    Ok(u8::from(drift))
}

/// The `--report json` document, with every diagnostic collected.
fn compile_json(ui: &Ui, rows: &[compile::FileRow]) -> Result<()> {
    let diags = ui.collected();
    let doc = compile::Report {
        schema_version: tlsreg::SCHEMA_VERSION,
        command: "compile",
        diagnostics: &diags,
        files: rows,
    };
    print_json(&doc)
}

/// Pretty JSON on stdout with its keys sorted (the compile and lint reports' documented
/// form).
fn print_json(doc: &impl serde::Serialize) -> Result<()> {
    let value = serde_json::to_value(doc)?;
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&value)?
    )?;
    Ok(())
}

fn import(file: &Path, encoding: &str, output: Option<&Path>, ui: &Ui) -> Result<u8> {
    let f = tlsreg::regfile::read_file(file, encoding)?;
    let shown = file.display().to_string();
    if ui.reg_diags(&shown, &f, &f.diagnostics) {
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
    let yaml = tlsreg::import::to_yaml(&profile, &shown);
    write_output(output, yaml.as_bytes(), &[file.to_path_buf()])?;
    Ok(0)
}

/// The SYSTEM (or SOFTWARE) hive of the one Windows installation in a disk image (or the
/// one on `partition`).
fn image_hive(
    image: &Path,
    partition: Option<u32>,
    system: bool,
) -> Result<tlsreg::hive::HiveSource> {
    let (inst, seen) = tlsreg::vm::open_one(image, partition, "--partition N")?;
    let (hive, name) = if system {
        (inst.system, "SYSTEM")
    } else {
        (inst.software, "SOFTWARE")
    };
    match hive {
        Some(h) => Ok(h),
        None => {
            for n in &seen.notes {
                let _ = writeln!(std::io::stderr(), "note: {}", p(n));
            }
            anyhow::bail!(
                "{}: the Windows volume has no {name} hive in Windows\\System32\\config",
                inst.name
            )
        }
    }
}

fn export(
    src: &tlsreg::hive::HiveSource,
    opts: &tlsreg::export::ExportOptions,
    output: Option<&Path>,
    recover: bool,
    ui: &Ui,
) -> Result<u8> {
    let mut hive = tlsreg::hive::HiveFile::open_source_with(src, Vec::new(), recover)?;
    ui.recovery(&src.path, &hive.recovery);
    let ex = match output {
        Some(out) => tlsreg::export::export_to_file(&mut hive, opts, out)?,
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            tlsreg::export::export(&mut hive, opts, &mut w)?
        }
    };
    drop(hive);
    for w in &ex.warnings {
        let _ = writeln!(std::io::stderr(), "warning: {}", p(w));
    }
    if let Some(out) = output {
        let _ = writeln!(
            std::io::stderr(),
            "exported {} keys and {} values to {}",
            ex.keys,
            ex.values,
            p(&out.display().to_string())
        );
    }
    Ok(0)
}

fn diff(
    a: &str,
    b: &str,
    format: Report,
    recover: bool,
    partitions: (Option<u32>, Option<u32>),
    ui: &Ui,
) -> Result<u8> {
    let sa = diff_side(a, recover, partitions.0, ui)?;
    let sb = diff_side(b, recover, partitions.1, ui)?;
    let c = tlsreg::diff::compare(sa, sb)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match format {
        Report::Human => c.write_human(&mut w)?,
        Report::Json => {
            c.write_json(&mut w)?;
            writeln!(w)?;
        }
    }
    w.flush()?;
    Ok(u8::from(c.differs()))
}

/// Reads a `diff` argument (see [`tlsreg::diff::Source::open`]), showing its notes.
fn diff_side(
    arg: &str,
    recover: bool,
    partition: Option<u32>,
    ui: &Ui,
) -> Result<tlsreg::diff::Source> {
    use tlsreg::diff::{Input, Note};
    Ok(tlsreg::diff::Source::read(
        Input::classify(arg)?,
        recover,
        partition,
        &mut |note| match note {
            Note::Recovery { path, recovery } => ui.recovery(&path, &recovery),
            Note::Reg(f) => {
                ui.reg_diags(arg, &f, &f.diagnostics);
            }
            Note::Profile(d) => ui.diags(&d),
        },
    )?)
}

fn lint(
    files: &[PathBuf],
    opts: tlsreg::regfile::lint::LintOptions,
    levels: &tlsreg::regfile::lint::CodeLevels,
    encoding: &str,
    format: crate::args::LintFormat,
    ui: &Ui,
) -> Result<u8> {
    use crate::args::LintFormat;
    use tlsreg::sarif;
    let (mut found, mut failed) = (false, false);
    let mut all = Vec::new();
    let mut log = sarif::Builder::new();
    // Every .reg code is a rule, in one order, so rule indices stay put from run to run.
    for code in tlsreg::diag::Code::REG {
        log.rule(code.into());
    }
    for file in files {
        let shown = file.display().to_string();
        let f = match tlsreg::regfile::read_file(file, encoding) {
            Ok(f) => f,
            Err(e) => {
                let text = crate::ui::chain(&anyhow::Error::from(e));
                let _ = writeln!(std::io::stderr(), "error: {}", p(&text));
                if format == LintFormat::Json {
                    all.push(serde_json::json!({"file": shown, "error": text, "diagnostics": []}));
                }
                log.input_failed(text, Some(file));
                failed = true;
                continue;
            }
        };
        let diags = levels.apply(tlsreg::regfile::lint::check(&f, opts));
        found |= !diags.is_empty();
        match format {
            LintFormat::Json => {
                all.push(serde_json::json!({"file": shown, "error": null, "diagnostics": diags}));
            }
            LintFormat::Sarif => {
                for d in f.placed(&shown, &diags).0 {
                    log.push(sarif::Item::from_diagnostic(file, &d));
                }
            }
            LintFormat::Human => {
                ui.reg_diags(&shown, &f, &diags);
            }
        }
    }
    match format {
        LintFormat::Json => print_json(&serde_json::json!({
            "schema_version": tlsreg::SCHEMA_VERSION,
            "command": "lint",
            "files": all,
        }))?,
        LintFormat::Sarif => writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&log.finish())?
        )?,
        LintFormat::Human => {}
    }
    Ok(if failed { 2 } else { u8::from(found) })
}
