//! The `tlsreg` command line: parses arguments, calls the library, renders results and maps
//! them to exit codes (0 ok, 1 differences found, 2 error). Everything a command does is a
//! library call ([`tlsreg`]); this binary only chooses what to print and where.

mod args;
mod audit;
mod commands;
mod ui;

use args::{Cli, Command, Report};
use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// The `--color` the arguments ask for, read before clap parses them, so that clap's own
/// help and usage errors follow it too (`never` is never coloured, `always` always is).
fn color_asked(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    let mut choice = None;
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let value = match a.strip_prefix("--color") {
            Some("") => it.next().map(|v| v.into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        match value.as_deref() {
            Some("always") => choice = Some(clap::ColorChoice::Always),
            Some("never") => choice = Some(clap::ColorChoice::Never),
            Some("auto") => choice = Some(clap::ColorChoice::Auto),
            _ => {}
        }
    }
    match choice {
        Some(c) => c,
        // clap's auto colours a terminal; NO_COLOR turns it off, as for everything else.
        None if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => {
            clap::ColorChoice::Never
        }
        None => clap::ColorChoice::Auto,
    }
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = Cli::command()
        .color(color_asked(&args))
        .get_matches_from(&args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // `compile --report json` puts the diagnostics in its report instead of on stderr.
    let collect = matches!(
        &cli.command,
        Command::Compile {
            report: Report::Json,
            ..
        }
    );
    let verbosity = if cli.quiet {
        tlsreg::audit::render::Verbosity::Quiet
    } else if cli.verbose {
        tlsreg::audit::render::Verbosity::Verbose
    } else {
        tlsreg::audit::render::Verbosity::Normal
    };
    let ui = ui::Ui::new(cli.color, collect, verbosity);
    match commands::run(cli.command, &ui) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`tlsreg ... | head`): nothing more to say to anyone.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            ui.error(&e);
            ExitCode::from(2)
        }
    }
}

/// Whether an error is (or was caused by) writing to a pipe whose reader has closed it.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
