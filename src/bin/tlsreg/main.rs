//! The `tlsreg` command line: parses arguments, calls the library, renders results and maps
//! them to exit codes (0 ok, 1 differences found, 2 error). Everything a command does is a
//! library call ([`tlsreg`]); this binary only chooses what to print and where.

mod args;
mod commands;
mod ui;

use args::{Cli, Command, Report};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `compile --report json` puts the diagnostics in its report instead of on stderr.
    let collect = matches!(
        &cli.command,
        Command::Compile {
            report: Report::Json,
            ..
        }
    );
    let ui = ui::Ui::new(cli.color, collect);
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
