//! `skydd register check`: validate a register file like a compiler.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use skydd_register::diagnostic::{render_json, render_summary, render_text};

/// Exit code of `register check` when the file cannot be read.
const EXIT_IO: u8 = 2;

/// `skydd register ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RegisterCommand {
    /// Check a register file: every error and warning with its line and column.
    ///
    /// Exits 0 when the register is valid (warnings allowed), 1 when it has errors, 2 when the
    /// file cannot be read.
    Check {
        /// The register file (YAML).
        path: PathBuf,
        /// How to print the result: diagnostics on stderr (text) or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Output format of `register check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Compiler-style lines on stderr and a summary line.
    Text,
    /// A JSON document on stdout.
    Json,
}

/// Run a `skydd register` command.
pub(crate) fn run(command: RegisterCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegisterCommand::Check { path, format } => Ok(check(&path, format)),
    }
}

fn check(path: &std::path::Path, format: Format) -> ExitCode {
    let shown = path.display().to_string();
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("skydd: cannot read {shown}: {error}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let checked = skydd_register::check(&source);
    match format {
        Format::Text => {
            eprint!("{}", render_text(&shown, &checked.diagnostics));
            eprintln!("{}", render_summary(&shown, &checked.diagnostics));
        }
        Format::Json => {
            let digest = checked
                .register
                .as_ref()
                .map(skydd_register::Register::digest);
            println!(
                "{:#}",
                render_json(&shown, &checked.diagnostics, digest.as_deref())
            );
        }
    }
    if checked.register.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
