//! `skydd import FILE`: a bulk import of consents, objections, preferences and records from
//! another system's export (JSON lines or CSV) into the instance, with a progress bar on
//! stderr, resumable by running the same command again. The work is the vault's
//! [`skydd_vault::Vault::import`], as `POST /v1/imports` does it.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use skydd_app::Clock as _;
use skydd_app::instance::Create;
use skydd_vault::{
    DEFAULT_IMPORT_BATCH, ImportError, ImportFormat, ImportJob, ImportProgress, ImportSummary,
    LineError, ReadInput, is_import_key,
};

use super::progress::Progress;
use super::{cli_actor, open_app, served_register};
use crate::settings::DataArgs;

/// Exit code when some rows were refused (the others were imported).
const EXIT_REFUSED: u8 = 1;
/// Exit code when the file could not be read (nothing more was imported).
const EXIT_UNREADABLE: u8 = 2;

/// The format of the file, when its extension does not say.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header line.
    Csv,
}

/// Arguments of `skydd import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file: JSON lines (`.jsonl`, `.ndjson`) or CSV (`.csv`); see docs/import.md.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The file's format [default: from its extension]
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The import's key [default: the SHA-256 of the file]. Running again with the same key
    /// continues after the last committed line.
    #[arg(long)]
    key: Option<String>,
    /// Rows written per transaction.
    #[arg(long, default_value_t = DEFAULT_IMPORT_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..=10000))]
    batch: u64,
    #[command(flatten)]
    data: DataArgs,
}

/// The file's id (its SHA-256) and its number of lines, read once before the import.
fn measure(path: &Path) -> std::io::Result<(String, u64)> {
    let file = std::fs::File::open(path)?;
    let mut lines = 0u64;
    let mut last = b'\n';
    let mut counting = CountingReader {
        inner: file,
        lines: &mut lines,
        last: &mut last,
    };
    let id = skydd_vault::file_import_id(&mut counting)?;
    Ok((id, lines + u64::from(last != b'\n')))
}

/// A reader that counts the line breaks it reads.
struct CountingReader<'a, R> {
    inner: R,
    lines: &'a mut u64,
    last: &'a mut u8,
}

impl<R: std::io::Read> std::io::Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        if let Some(last) = buf[..n].last() {
            *self.last = *last;
        }
        Ok(n)
    }
}

/// `FILE:LINE: error: MESSAGE` and `  help: HELP`, the project's diagnostic style.
fn render(file: &str, error: &LineError) -> String {
    let column = match &error.field {
        Some(field) if !error.message.contains(&format!("`{field}`")) => {
            format!(" (column `{field}`)")
        }
        _ => String::new(),
    };
    format!(
        "{file}:{}: error: {}{column}\n  help: {}\n",
        error.line, error.message, error.help
    )
}

/// What the run did, on stdout.
fn report(file: &str, summary: &ImportSummary) {
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if summary.already_done > 0 {
        println!(
            "{file}: continued after line {} (earlier runs imported {} and refused {}).",
            summary.already_done,
            plural(summary.imported_before, "row"),
            plural(summary.skipped_before, "row")
        );
    }
    println!(
        "{file}: {} imported, {} refused, {} read.",
        plural(summary.imported, "row"),
        plural(summary.skipped, "row"),
        plural(summary.lines, "line")
    );
    if summary.errors_left_out > 0 {
        println!(
            "{file}: {} more refused rows are not listed.",
            summary.errors_left_out
        );
    }
    println!("Import {}", summary.id);
}

/// Run `skydd import`: exit 0 when every row was imported, 1 when some were refused, 2 when
/// the file could not be read.
pub(crate) async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let format = match args.format {
        Some(FormatArg::Jsonl) => ImportFormat::JsonLines,
        Some(FormatArg::Csv) => ImportFormat::Csv,
        None => match ImportFormat::from_path(&args.file) {
            Some(format) => format,
            None => {
                eprintln!("{name}: error: the extension does not say the format");
                eprintln!("  help: name the file .jsonl or .csv, or give --format jsonl|csv");
                return Ok(ExitCode::from(EXIT_UNREADABLE));
            }
        },
    };
    if let Some(key) = &args.key
        && !is_import_key(key)
    {
        anyhow::bail!("--key is 1 to 128 ASCII letters, digits, `.`, `_`, `-` or `:`");
    }
    let (hash, total) = match measure(&args.file) {
        Ok(measured) => measured,
        Err(error) => {
            eprintln!("{name}: error: cannot read the file: {error}");
            return Ok(ExitCode::from(EXIT_UNREADABLE));
        }
    };
    let file = match std::fs::File::open(&args.file) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{name}: error: cannot read the file: {error}");
            return Ok(ExitCode::from(EXIT_UNREADABLE));
        }
    };
    let app = open_app(&args.data, Create::Never, served_register()).await?;
    let mut input = ReadInput(file);
    let job = ImportJob {
        id: args.key.unwrap_or(hash),
        format,
        input: &mut input,
        batch_rows: usize::try_from(args.batch).unwrap_or(DEFAULT_IMPORT_BATCH),
    };
    let mut bar = Progress::new(Some(total), std::io::stderr().is_terminal());
    let now = skydd_app::SystemClock.now();
    let outcome = app
        .vault()
        .import(
            &cli_actor(),
            job,
            &mut |p: &ImportProgress| {
                let detail = format!(
                    "importing: {} / {total} lines, {} refused",
                    p.lines_done, p.skipped
                );
                bar.show(p.lines_done, &detail);
            },
            now,
        )
        .await;
    bar.finish();
    app.close().await.context("cannot close the database")?;
    let summary = match outcome {
        Ok(summary) => summary,
        Err(ImportError::Header(error)) => {
            eprint!("{}", render(&name, &error));
            return Ok(ExitCode::from(EXIT_UNREADABLE));
        }
        Err(ImportError::Read(error)) => {
            eprintln!("{name}: error: the file could not be read to its end: {error}");
            eprintln!("  help: what was read is imported; run the same command again to go on");
            return Ok(ExitCode::from(EXIT_UNREADABLE));
        }
        Err(error) => {
            return Err(error).context(format!(
                "the import of {name} stopped; what was committed stays, run the same command \
                 again to go on"
            ));
        }
    };
    let mut stderr = std::io::stderr().lock();
    for error in &summary.errors {
        let _ = stderr.write_all(render(&name, error).as_bytes());
    }
    drop(stderr);
    report(&name, &summary);
    Ok(if summary.skipped == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REFUSED)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn an_error_names_file_line_and_column_once() {
        let error = LineError {
            line: 7,
            field: Some("at".into()),
            message: "`at` is in the future".into(),
            help: "give the time it happened".into(),
        };
        assert_eq!(
            render("crm.jsonl", &error),
            "crm.jsonl:7: error: `at` is in the future\n  help: give the time it happened\n"
        );
        let error = LineError {
            field: Some("identity".into()),
            message: "invalid e-mail address: it has no `@`".into(),
            ..error
        };
        assert!(render("f.csv", &error).starts_with(
            "f.csv:7: error: invalid e-mail address: it has no `@` (column `identity`)\n"
        ));
    }

    #[test]
    fn lines_are_counted_with_or_without_a_last_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, "a\nb\nc").unwrap();
        assert_eq!(measure(&path).unwrap().1, 3);
        std::fs::write(&path, "a\nb\n").unwrap();
        assert_eq!(measure(&path).unwrap().1, 2);
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(
            measure(&path).unwrap().0,
            skydd_vault::file_import_id(&bytes[..]).unwrap()
        );
    }
}
