//! `skydd dataset check`: validate a dataset file (one of the company's own databases) like a
//! compiler, against the register the server enforces and, with `--connect`, the live database;
//! `skydd dataset introspect`: draft a dataset from a live database.

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
        /// Also check the live database the dataset's `connection` names: tables and columns
        /// exist, erasures fit the column types, keys are not masked, identity and reference
        /// columns have an index. Exits 2 when the database cannot be reached.
        #[arg(long)]
        connect: bool,
    },
    /// Convert Fides datasets (ethyca/fides YAML) into a draft dataset of ours, mapping
    /// fideslang categories to the register's through MAP; every guess is commented.
    ///
    /// The draft goes to stdout (or `-o OUT`), the diagnostics to stderr. Exits 0 when
    /// everything converted (guesses are warnings), 1 when something could not be converted
    /// (no draft is written unless `--partial`), 2 when a file cannot be read, OUT exists
    /// without `--force`, or the register is invalid.
    ImportFides(ImportFides),
    /// Draft a dataset from a live database: its tables, primary keys, foreign keys as
    /// references, and guessed identities and data categories, each guess marked `# guess:`.
    ///
    /// The URL is never printed. Prefer `--url-env NAME` to a URL on the command line, which
    /// other users of the machine can see in the process list.
    Introspect {
        /// The database URL (postgres://..., mysql://..., sqlite://PATH).
        #[arg(
            value_name = "URL",
            required_unless_present = "url_env",
            conflicts_with = "url_env"
        )]
        url: Option<String>,
        /// Read the URL from this environment variable; the draft's `connection.env` names it.
        #[arg(long, value_name = "NAME")]
        url_env: Option<String>,
        /// The kind of database [default: from the URL's scheme].
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// The register whose categories the guesses are matched against [default: the bundled
        /// example register].
        #[arg(long, env = "SKYDD_REGISTER", value_name = "PATH")]
        register: Option<PathBuf>,
        /// The dataset's `name` [default: the database's name].
        #[arg(long)]
        name: Option<String>,
        /// Write the draft here (a new file) instead of stdout.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

/// `--kind` of `dataset introspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum KindArg {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
}

/// The arguments of `skydd dataset import-fides`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportFides {
    /// The Fides dataset file(s) of one database; several are merged into one dataset.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The category map: YAML, fideslang category -> register category (see
    /// docs/dataset-format.md, "Importing a Fides dataset").
    #[arg(long, value_name = "MAP")]
    map: PathBuf,
    /// The register the categories come from [default: the bundled example register].
    #[arg(long, env = "SKYDD_REGISTER", value_name = "PATH")]
    register: Option<PathBuf>,
    /// The database server (`postgres`, `mysql`, `sqlite`): Fides keeps it outside the dataset.
    #[arg(long, default_value = "postgres")]
    kind: String,
    /// Read the primary keys from the live database whose URL is in this environment variable
    /// (one read-only transaction): where Fides declares no key, or another, the database's key
    /// is used and the draft says so; without it such keys are guesses, marked `guess:`.
    #[arg(long, value_name = "NAME")]
    keys_from_env: Option<String>,
    /// Write the draft to this file instead of stdout.
    #[arg(short = 'o', long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    force: bool,
    /// Write the draft even when something could not be converted (it is then marked
    /// `# not converted:` and does not pass `dataset check`).
    #[arg(long)]
    partial: bool,
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
        DatasetCommand::Introspect {
            url,
            url_env,
            kind,
            register,
            name,
            output,
        } => introspect(
            url,
            url_env,
            kind,
            register.as_deref(),
            name,
            output.as_deref(),
        ),
        DatasetCommand::ImportFides(args) => Ok(import_fides(&args)),
    }
}

/// The primary keys of the tables in the connection's default schema, read from the database
/// whose URL is in the environment variable `var`.
fn live_primary_keys(
    kind: skydd_dataset::DatabaseKind,
    var: &str,
) -> anyhow::Result<skydd_dataset::fides::PrimaryKeys> {
    use skydd_connect::Database;
    use skydd_dataset::Connection;

    let url = skydd_connect::read_url(&Connection::Env(var.to_owned()))?;
    let schema = crate::runtime()?.block_on(async {
        let mut database = Database::connect(kind, &url, None).await?;
        let schema = database.schema().await;
        database.close().await;
        schema
    })?;
    Ok(schema
        .tables
        .iter()
        .filter(|t| t.schema == schema.default_schema)
        .map(|t| (t.name.clone(), t.primary_key.clone()))
        .collect())
}

fn import_fides(args: &ImportFides) -> ExitCode {
    use skydd_dataset::fides::{self, Input, Origin};
    use skydd_register::model::Choice as _;

    let Some(kind) = skydd_dataset::DatabaseKind::ALL
        .iter()
        .find(|(word, _)| *word == args.kind)
        .map(|(_, kind)| *kind)
    else {
        eprintln!(
            "skydd: `--kind {}` is not a database kind; use postgres, mysql or sqlite",
            args.kind
        );
        return ExitCode::from(EXIT_IO);
    };
    if let Some(out) = &args.output
        && out.exists()
        && !args.force
    {
        eprintln!(
            "skydd: {} exists; pass --force to overwrite it, or choose another -o",
            out.display()
        );
        return ExitCode::from(EXIT_IO);
    }
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|error| {
            eprintln!("skydd: cannot read {}: {error}", path.display());
        })
    };
    let mut sources = Vec::new();
    for path in &args.files {
        let Ok(text) = read(path) else {
            return ExitCode::from(EXIT_IO);
        };
        sources.push((path.display().to_string(), text));
    }
    let Ok(map_text) = read(&args.map) else {
        return ExitCode::from(EXIT_IO);
    };
    let loaded = match crate::commands::load_register_or_bundled(args.register.as_deref()) {
        Ok(Some(loaded)) => loaded,
        Ok(None) => {
            eprintln!("skydd: the register is not valid, so nothing was imported");
            return ExitCode::from(EXIT_IO);
        }
        Err(error) => {
            eprintln!("skydd: {error:#}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let map_name = args.map.display().to_string();
    let inputs: Vec<Input<'_>> = sources
        .iter()
        .map(|(name, text)| Input { name, text })
        .collect();
    let map = Input {
        name: &map_name,
        text: &map_text,
    };
    let keys = match &args.keys_from_env {
        Some(var) => match live_primary_keys(kind, var) {
            Ok(keys) => keys,
            Err(error) => {
                eprintln!("skydd: {error:#}");
                return ExitCode::from(EXIT_IO);
            }
        },
        None => fides::PrimaryKeys::new(),
    };
    let imported = fides::import_with_keys(&inputs, map, Some(&loaded.register), kind, &keys);
    let draft_name = args
        .output
        .as_ref()
        .map_or_else(|| "<draft>".to_string(), |p| p.display().to_string());
    for finding in &imported.findings {
        let shown = match finding.origin {
            Origin::Dataset(i) => sources.get(i).map_or("", |(name, _)| name.as_str()),
            Origin::Map => map_name.as_str(),
            Origin::Draft => draft_name.as_str(),
        };
        eprint!(
            "{}",
            render_text(shown, std::slice::from_ref(&finding.diagnostic))
        );
    }
    let diagnostics: Vec<_> = imported
        .findings
        .iter()
        .map(|f| f.diagnostic.clone())
        .collect();
    let errors = imported.has_errors();
    let write = imported.draft.as_ref().filter(|_| !errors || args.partial);
    if let Some(draft) = write {
        match &args.output {
            None => print!("{draft}"),
            Some(out) => {
                // Without `--force`, `create_new`: a file that appeared since the check above is
                // not overwritten either.
                let written = if args.force {
                    std::fs::write(out, draft)
                } else {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(out)
                        .and_then(|mut file| std::io::Write::write_all(&mut file, draft.as_bytes()))
                };
                if let Err(error) = written {
                    eprintln!("skydd: cannot write {}: {error}", out.display());
                    return ExitCode::from(EXIT_IO);
                }
            }
        }
    }
    let summary = render_summary("import-fides", &diagnostics);
    let written = match (write.is_some(), &args.output) {
        (false, _) if errors => "no draft written (pass --partial for the partial one)".to_string(),
        (false, _) => "no draft".to_string(),
        (true, None) => "draft on stdout".to_string(),
        (true, Some(out)) => format!("draft in {}", out.display()),
    };
    eprintln!("{summary}; {written} (register: {})", loaded.source_name);
    if errors {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check(path: &Path, register: Option<&Path>, format: Format, connect: bool) -> ExitCode {
    let shown = path.display().to_string();
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("skydd: cannot read {shown}: {error}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let loaded = match crate::commands::load_register_or_bundled(register) {
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
    let mut checked = skydd_dataset::check(&source, Some(&loaded.register));
    if connect {
        match &checked.dataset {
            Some(dataset) => match live_check(&source, dataset) {
                Ok(found) => {
                    checked.diagnostics.extend(found);
                    checked.diagnostics.sort_by_key(|d| (d.line, d.column));
                    if checked.has_errors() {
                        checked.dataset = None;
                    }
                }
                Err(error) => {
                    eprintln!("skydd: {error:#}; {shown} was not checked against the database");
                    return ExitCode::from(EXIT_IO);
                }
            },
            None => eprintln!(
                "skydd: {shown} has errors, so the live database was not checked; fix them and run again"
            ),
        }
    }
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

/// The live part of `check --connect`: read the schema the dataset's connection leads to and
/// compare. Errors never contain the connection string.
fn live_check(
    source: &str,
    dataset: &skydd_dataset::Dataset,
) -> anyhow::Result<Vec<skydd_register::Diagnostic>> {
    let schema = crate::runtime()?.block_on(skydd_connect::live_schema(dataset))?;
    Ok(skydd_connect::live::check_live(source, dataset, &schema))
}

/// `skydd dataset introspect`.
fn introspect(
    url: Option<String>,
    url_env: Option<String>,
    kind: Option<KindArg>,
    register: Option<&Path>,
    name: Option<String>,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    use anyhow::{Context as _, bail};
    use skydd_connect::{Database, DatabaseUrl};
    use skydd_dataset::{Connection, DatabaseKind};

    let url = match (&url_env, url) {
        (Some(var), _) => skydd_connect::read_url(&Connection::Env(var.clone()))?,
        (None, Some(url)) => DatabaseUrl::new(url),
        (None, None) => {
            bail!("give the database URL, or `--url-env NAME` for a variable holding it")
        }
    };
    let kind = match kind {
        Some(KindArg::Postgres) => DatabaseKind::Postgres,
        Some(KindArg::Mysql) => DatabaseKind::Mysql,
        Some(KindArg::Sqlite) => DatabaseKind::Sqlite,
        None => url.kind().context(
            "cannot tell the kind of database from the URL's scheme: give `--kind postgres|mysql|sqlite`",
        )?,
    };
    let name = match name {
        Some(name) => name,
        None => url.database_name().unwrap_or_else(|| "database".into()),
    };
    let connection_env = url_env.unwrap_or_else(|| format!("{}_DATABASE_URL", name.to_uppercase()));
    let Some(loaded) = crate::commands::load_register_or_bundled(register)? else {
        bail!("the register is not valid, so no categories can be guessed");
    };
    let schema = crate::runtime()?.block_on(async {
        let mut database = Database::connect(kind, &url, None).await?;
        let schema = database.schema().await;
        database.close().await;
        schema
    })?;
    let draft = skydd_connect::draft::draft(
        &schema,
        kind,
        Some(&loaded.register),
        &skydd_connect::draft::DraftOptions {
            name,
            connection_env,
        },
    );
    match output {
        Some(path) => {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| {
                    format!(
                        "cannot create {} (an existing file is not overwritten)",
                        path.display()
                    )
                })?;
            file.write_all(draft.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "skydd: drafted {} tables into {}; confirm every `# guess:`, then `skydd dataset check {} --connect`",
                schema
                    .tables
                    .iter()
                    .filter(|t| t.schema == schema.default_schema && !t.view)
                    .count(),
                path.display(),
                path.display()
            );
        }
        None => print!("{draft}"),
    }
    Ok(ExitCode::SUCCESS)
}
