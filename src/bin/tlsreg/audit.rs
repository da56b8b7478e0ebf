//! `tlsreg audit`: the images to audit, run on a thread pool, each image's report written as
//! soon as it and every one before it are done, a progress bar on a terminal, and the exit
//! code of the whole (waivers included).

use crate::args::{AuditArgs, AuditFormat};
use crate::ui::Ui;
use anyhow::Result;
use std::io::{IsTerminal, Write};
use tlsreg::diag::printable as p;

/// Runs `tlsreg audit`; the exit code.
pub fn audit(a: AuditArgs, ui: &Ui) -> Result<u8> {
    use tlsreg::audit::batch::{self, RunOptions, Targets};
    use tlsreg::audit::render::{Format, Renderer};
    use tlsreg::audit::waivers::{self, Waivers};
    let (_, loaded) = ui.load(&a.profile)?;
    let waivers = a.waivers.as_deref().map(Waivers::load).transpose()?;
    let today = waivers::today();
    let targets = Targets {
        system: a.system,
        software: a.software,
        roots: a.root,
        images: a.image,
        partition: a.partition,
        roots_file: a.roots_file,
        os_build: a.os_build,
        no_recover: a.no_recover,
    };
    let jobs = targets.jobs()?;
    let format = match a.format {
        AuditFormat::Human => Format::Human,
        AuditFormat::Json => Format::Json,
        AuditFormat::Jsonl => Format::Jsonl,
        AuditFormat::Junit => Format::Junit,
        AuditFormat::Sarif => Format::Sarif,
    };
    let run = RunOptions {
        audit: tlsreg::audit::Options {
            effective: a.effective,
            require_all: a.require_all,
        },
        threads: a.jobs.map_or_else(batch::default_threads, |n| n as usize),
        waivers: waivers.as_ref().map(|w| (w, today)),
    };
    let mut render = Renderer::new(
        format,
        &loaded.profile.name,
        jobs.len(),
        ui.color_out,
        ui.verbosity,
    );
    // A progress bar only for a batch on a terminal, and never in its way: it is drawn on
    // standard error, and cleared while a report is written.
    let bar = (jobs.len() > 1 && !ui.quiet() && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(jobs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} images, {elapsed} elapsed, about {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut stdout = std::io::stdout().lock();
    let mut failed: Option<std::io::Error> = None;
    let mut put = |text: &str, failed: &mut Option<std::io::Error>| {
        if failed.is_none() && !text.is_empty() {
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                *failed = Some(e);
            }
        }
    };
    put(&render.begin(), &mut failed);
    batch::stream(&loaded.profile, &targets, &jobs, run, |_, _, outcomes| {
        let text = render.outcomes(&outcomes);
        let mut show = || {
            for o in &outcomes {
                // Partitions of a disk image set aside (EFI, BitLocker, ...) and why: the
                // human report says it; the other formats carry it in their records.
                if let Err(e) = &o.result {
                    let _ = writeln!(std::io::stderr(), "error: {}", p(e));
                }
            }
            put(&text, &mut failed);
        };
        match &bar {
            Some(b) => {
                b.suspend(show);
                b.inc(1);
            }
            None => show(),
        }
        failed.is_none()
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcomes = waivers
        .as_ref()
        .map(|w| w.outcomes(today))
        .unwrap_or_default();
    put(&render.end(&outcomes), &mut failed);
    if let Some(e) = failed {
        return Err(e.into());
    }
    if !ui.quiet() && format != Format::Human {
        for w in &outcomes {
            use tlsreg::audit::waivers::WaiverState;
            let what = match w.state {
                WaiverState::Active => continue,
                WaiverState::Expired => "error: the waiver has expired",
                WaiverState::Unmatched => "warning: the waiver matches no finding",
            };
            let _ = writeln!(
                std::io::stderr(),
                "{}: {what} ({}, until {})",
                p(&w.at),
                w.code,
                w.expires
            );
        }
    }
    Ok(render.exit_code(&outcomes))
}
