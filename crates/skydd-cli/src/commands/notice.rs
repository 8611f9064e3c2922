//! `skydd notice`: write the privacy notice from a register file, in English or Swedish, as
//! HTML or Markdown.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Args, ValueEnum};
use skydd_register::Register;
use skydd_register::diagnostic::{render_summary, render_text};
use skydd_register::model::{Choice as _, Language};

/// Exit code when the register file cannot be read or is not a valid register.
pub(crate) const EXIT_BAD_FILE: u8 = 2;

/// `skydd notice PATH --lang en|sv --format html|md [--output FILE]`
#[derive(Debug, Args)]
pub(crate) struct NoticeArgs {
    /// The register file (YAML).
    path: PathBuf,
    /// Language of the notice. Texts the register has no Swedish for are shown in English.
    #[arg(long, value_parser = language_parser(), default_value = "en")]
    lang: Language,
    /// HTML (a complete page) or Markdown.
    #[arg(long, value_enum, default_value_t = NoticeFormat::Html)]
    format: NoticeFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// The `--lang` parser: one of the register's language words (`en`, `sv`), listed in `--help`.
pub(crate) fn language_parser() -> impl TypedValueParser<Value = Language> {
    clap::builder::PossibleValuesParser::new(Language::ALL.iter().map(|(word, _)| *word)).map(
        |word| {
            // The possible values are exactly the words of `Language::ALL`, so the search
            // always finds one; English is never taken.
            Language::ALL
                .iter()
                .find(|(w, _)| *w == word)
                .map_or(Language::En, |(_, language)| *language)
        },
    )
}

/// What `skydd notice --format` writes: `html` (the default) or `md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoticeFormat {
    /// A complete HTML page.
    Html,
    /// Markdown.
    Md,
}

/// Read and check a register file; on failure print why and return the exit code to use.
pub(crate) fn load(path: &Path) -> Result<Register, ExitCode> {
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("skydd: cannot read {shown}: {error}");
        ExitCode::from(EXIT_BAD_FILE)
    })?;
    let checked = skydd_register::check(&source);
    match checked.register {
        Some(register) => Ok(register),
        None => {
            eprint!("{}", render_text(&shown, &checked.diagnostics));
            eprintln!("{}", render_summary(&shown, &checked.diagnostics));
            Err(ExitCode::from(EXIT_BAD_FILE))
        }
    }
}

/// Write `content` to `output`, or to standard output.
pub(crate) fn write_out(output: Option<&Path>, content: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match output {
        Some(path) => std::fs::write(path, content)
            .with_context(|| format!("cannot write {}", path.display())),
        None => {
            print!("{content}");
            Ok(())
        }
    }
}

/// Run `skydd notice`.
pub(crate) fn run(args: NoticeArgs) -> anyhow::Result<ExitCode> {
    let register = match load(&args.path) {
        Ok(register) => register,
        Err(code) => return Ok(code),
    };
    let language = args.lang;
    if !register.languages.contains(&language) {
        eprintln!(
            "skydd: warning: {} does not list `{}` in `languages`; its texts are shown in English",
            args.path.display(),
            skydd_register::model::Choice::word(language)
        );
    }
    let content = match args.format {
        NoticeFormat::Html => skydd_notice::render_html(&register, language),
        NoticeFormat::Md => skydd_notice::render_markdown(&register, language),
    };
    write_out(args.output.as_deref(), &content)?;
    Ok(ExitCode::SUCCESS)
}
