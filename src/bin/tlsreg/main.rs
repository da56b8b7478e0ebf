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
        Err(e) => {
            ui.error(&e);
            ExitCode::from(2)
        }
    }
}
