//! `skydd dataset check`: validate a dataset file (one of the company's own databases) like a
//! compiler, against the register the server enforces.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use skydd_register::diagnostic::{render_json, render_summary, render_text};

use crate::commands::register::Format;

/// Exit code of `dataset check` when the file or the register cannot be read or the register is
/// invalid (the dataset was then not checked).
const EXIT_IO: u8 = 2;

/// `skydd dataset ...`
#[derive(Debug, Subcommand)]
pub(crate) enum DatasetCommand {
    /// Check a dataset file: every error and warning with its line and column, its data
    /// categories, retention rules and legal holds against the register.
    ///
    /// Exits 0 when the dataset is valid (warnings allowed), 1 when it has errors, 2 when the
    /// file or the register cannot be read or the register is invalid.
    Check {
        /// The dataset file (YAML, see docs/dataset-format.md).
        path: PathBuf,
        /// The register the categories and rules come from [default: the bundled example
        /// register, as `skydd serve`].
        #[arg(long, env = "SKYDD_REGISTER", value_name = "PATH")]
        register: Option<PathBuf>,
        /// How to print the result: diagnostics on stderr (text) or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also check the live database (tables, columns, types, indexes). Not available yet.
        #[arg(long)]
        connect: bool,
    },
}

/// Run a `skydd dataset` command.
pub(crate) fn run(command: DatasetCommand) -> anyhow::Result<ExitCode> {
    match command {
        DatasetCommand::Check {
            path,
            register,
            format,
            connect,
        } => Ok(check(&path, register.as_deref(), format, connect)),
    }
}

fn check(path: &Path, register: Option<&Path>, format: Format, connect: bool) -> ExitCode {
    if connect {
        eprintln!(
            "skydd: `dataset check --connect` is not available yet (issue 16, part 2): nothing was checked; without `--connect` the file is checked against the register"
        );
        return ExitCode::from(EXIT_IO);
    }
    let shown = path.display().to_string();
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("skydd: cannot read {shown}: {error}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let loaded = match register.map_or_else(
        || crate::commands::bundled_register().map(Some),
        crate::commands::load_register,
    ) {
        Ok(Some(loaded)) => loaded,
        Ok(None) => {
            eprintln!("skydd: the register is not valid, so {shown} was not checked");
            return ExitCode::from(EXIT_IO);
        }
        Err(error) => {
            eprintln!("skydd: {error:#}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let checked = skydd_dataset::check(&source, Some(&loaded.register));
    match format {
        Format::Text => {
            eprint!("{}", render_text(&shown, &checked.diagnostics));
            eprintln!(
                "{} (register: {})",
                render_summary(&shown, &checked.diagnostics),
                loaded.source_name
            );
        }
        Format::Json => {
            let mut body = render_json(&shown, &checked.diagnostics, None);
            if let Some(object) = body.as_object_mut() {
                object.remove("digest");
                object.insert(
                    "register".into(),
                    serde_json::json!({
                        "source": loaded.source_name,
                        "digest": loaded.digest,
                    }),
                );
            }
            println!("{body:#}");
        }
    }
    if checked.dataset.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
