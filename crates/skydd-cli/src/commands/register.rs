//! `skydd register check`: validate a register file like a compiler; `diff`: list the changes
//! between two versions and mark the significant ones; `export`: the Art. 30 record.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use skydd_register::diagnostic::{render_json, render_summary, render_text};
use skydd_register::model::Language;

use crate::commands::notice::{language_parser, load, write_out};

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
    /// List the changes from OLD to NEW and mark the significant ones (new purpose, recipient,
    /// transfer or data category, changed legal basis or consent wording, longer retention).
    ///
    /// Exits 0 when no change is significant, 1 when some are (people must be told before the
    /// new version takes effect), 2 when a file cannot be read or is not a valid register.
    Diff {
        /// The register in force.
        old: PathBuf,
        /// The new version.
        new: PathBuf,
        /// Lines of text on stdout, or one JSON document.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Export the record of processing activities (GDPR Art. 30): one row per purpose.
    ///
    /// Exits 0 on success, 2 when the file cannot be read or is not a valid register.
    Export {
        /// The register file (YAML).
        path: PathBuf,
        /// CSV (RFC 4180), an HTML page, or JSON.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Language of the texts.
        #[arg(long, value_parser = language_parser(), default_value = "en")]
        lang: Language,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// A connected database's dataset file (or a directory of them), as `skydd serve
        /// --dataset` takes it: the record names the systems holding each category.
        /// Repeatable; an invalid dataset exits 2 with its diagnostics.
        #[arg(long = "dataset", value_name = "PATH")]
        datasets: Vec<PathBuf>,
    },
}

/// Output format of `register export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// Comma-separated values, one row per processing activity.
    Csv,
    /// An HTML page, one table per processing activity.
    Html,
    /// A JSON document.
    Json,
}

/// Output format of `register check` and `register diff`.
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
        RegisterCommand::Diff { old, new, format } => Ok(diff(&old, &new, format)),
        RegisterCommand::Export {
            path,
            format,
            lang,
            output,
            datasets,
        } => export(&path, format, lang, output.as_deref(), &datasets),
    }
}

/// Exit code of `register diff` when some change is significant.
const EXIT_SIGNIFICANT: u8 = 1;

fn diff(old_path: &Path, new_path: &Path, format: Format) -> ExitCode {
    let (old, new) = match (load(old_path), load(new_path)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let diff = skydd_notice::diff(&old, &new);
    match format {
        Format::Text => print!(
            "{}",
            diff.render_text(
                &old_path.display().to_string(),
                &new_path.display().to_string()
            )
        ),
        Format::Json => println!("{:#}", diff.to_json()),
    }
    if diff.is_significant() {
        ExitCode::from(EXIT_SIGNIFICANT)
    } else {
        ExitCode::SUCCESS
    }
}

fn export(
    path: &Path,
    format: ExportFormat,
    lang: Language,
    output: Option<&Path>,
    datasets: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let register = match load(path) {
        Ok(register) => register,
        Err(code) => return Ok(code),
    };
    let systems = if datasets.is_empty() {
        Vec::new()
    } else {
        match skydd_app::datasets::load(datasets, &register) {
            Ok((datasets, warnings)) => {
                eprint!("{warnings}");
                datasets.systems()
            }
            Err(error) => {
                if let skydd_app::datasets::DatasetError::Invalid { report, .. } = &error {
                    eprint!("{report}");
                }
                eprintln!("skydd: {error}");
                return Ok(ExitCode::from(EXIT_IO));
            }
        }
    };
    let language = lang;
    let record = skydd_notice::record_with_systems(&register, language, &systems);
    let content = match format {
        ExportFormat::Csv => record.to_csv(language),
        ExportFormat::Html => record.to_html(&register, language),
        ExportFormat::Json => format!("{:#}\n", record.to_json()),
    };
    write_out(output, &content)?;
    Ok(ExitCode::SUCCESS)
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
