//! Settings from a file, `skydd.toml`: the same settings as the flags and `SKYDD_*` variables,
//! one top-level key each (`SKYDD_DATA_DIR` is `data_dir`), defined once by the command line
//! itself. A value from the file becomes that flag's default, so a flag wins over the
//! environment, the environment over the file, and the file over the built-in default.
//!
//! The file is `--config PATH`, else `SKYDD_CONFIG`, else `./skydd.toml` when it exists.
//! Unknown keys are errors with line, column and the key meant; `skydd config check` prints the
//! effective settings (secrets never) and exits 1 on any error.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{Args, Subcommand};

/// The environment variable naming the settings file.
pub(crate) const CONFIG_ENV: &str = "SKYDD_CONFIG";
/// The file read when neither `--config` nor `SKYDD_CONFIG` names one.
pub(crate) const DEFAULT_FILE: &str = "skydd.toml";
/// The prefix of every setting's environment variable.
const ENV_PREFIX: &str = "SKYDD_";

/// A settings file, read and checked: its path and each setting's value as text.
#[derive(Debug, Default)]
pub(crate) struct ConfigFile {
    /// Where it was read from; `None`: no file.
    pub(crate) path: Option<PathBuf>,
    /// `(key, values)` in file order: one value, or several for a repeatable flag written as
    /// an array (`datasets = ["a.yaml", "b/"]`).
    pub(crate) values: Vec<(String, Vec<String>)>,
}

/// The settings file this run reads: `--config` among `args`, else `SKYDD_CONFIG`, else
/// `./skydd.toml` when it exists.
pub(crate) fn locate(args: &[OsString]) -> Option<PathBuf> {
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if word == "--config" {
            return words.next().map(PathBuf::from);
        }
        if let Some(path) = word.to_str().and_then(|w| w.strip_prefix("--config=")) {
            return Some(PathBuf::from(path));
        }
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let default = PathBuf::from(DEFAULT_FILE);
    default.is_file().then_some(default)
}

/// Every setting a file may hold, `(key, environment variable)`, from the command line's
/// definition: each argument with a `SKYDD_*` variable, except the one naming the file.
pub(crate) fn settings(command: &clap::Command) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect(command, &mut found);
    found.sort();
    found.dedup();
    found
}

fn collect(command: &clap::Command, found: &mut Vec<(String, String)>) {
    for arg in command.get_arguments() {
        let Some(variable) = arg.get_env().and_then(|v| v.to_str()) else {
            continue;
        };
        if let Some(name) = variable.strip_prefix(ENV_PREFIX)
            && variable != CONFIG_ENV
        {
            found.push((name.to_ascii_lowercase(), variable.to_owned()));
        }
    }
    for sub in command.get_subcommands() {
        collect(sub, found);
    }
}

/// Read and check the settings file at `path` against the settings `command` defines. Every
/// error is reported (`PATH:LINE:COL: error: ...` with a `help:` line), not only the first.
pub(crate) fn load(path: &Path, command: &clap::Command) -> Result<ConfigFile, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("{name}: error: cannot read the settings file: {error}"))?;
    let known = settings(command);
    let repeatable = repeatable(command);
    let table = toml::de::DeTable::parse(&text).map_err(|error| {
        let at = error.span().map_or(0, |span| span.start);
        diagnostic(
            &name,
            &text,
            at,
            error.message(),
            "write `key = \"value\"` lines; see `skydd config check`",
        )
    })?;
    let mut errors = String::new();
    let mut values = Vec::new();
    for (key, value) in table.get_ref() {
        let key_text = key.get_ref().as_ref();
        if !known.iter().any(|(k, _)| k == key_text) {
            let help = match suggestion(key_text, &known) {
                Some(meant) => format!("did you mean `{meant}`?"),
                None => format!(
                    "the settings are: {}",
                    known
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            errors.push_str(&diagnostic(
                &name,
                &text,
                key.span().start,
                &format!("unknown setting `{key_text}`"),
                &help,
            ));
            continue;
        }
        let as_text = match value.get_ref() {
            toml::de::DeValue::Array(items) if repeatable.iter().any(|k| k == key_text) => items
                .iter()
                .map(|item| match item.get_ref() {
                    toml::de::DeValue::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>(),
            other => scalar(other).map(|one| vec![one]),
        };
        match as_text {
            Some(text) => values.push((key_text.to_owned(), text)),
            None if repeatable.iter().any(|k| k == key_text) => errors.push_str(&diagnostic(
                &name,
                &text,
                value.span().start,
                &format!("`{key_text}` must be a list of strings"),
                &format!("write `{key_text} = [\"...\", \"...\"]`"),
            )),
            None => errors.push_str(&diagnostic(
                &name,
                &text,
                value.span().start,
                &format!("`{key_text}` must be a string or a number"),
                &format!(
                    "write `{key_text} = \"...\"` as you would write --{}",
                    key_text.replace('_', "-")
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(ConfigFile {
            path: Some(path.to_owned()),
            values,
        })
    } else {
        Err(errors.trim_end().to_owned())
    }
}

/// A single TOML value as the text a flag would take; `None` for arrays and tables.
fn scalar(value: &toml::de::DeValue<'_>) -> Option<String> {
    match value {
        toml::de::DeValue::String(s) => Some(s.to_string()),
        toml::de::DeValue::Integer(i) if i.radix() == 10 => Some(i.as_str().to_owned()),
        toml::de::DeValue::Float(f) => Some(f.as_str().to_owned()),
        toml::de::DeValue::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The settings whose flag may be given more than once (`--dataset`): in the file, an array
/// of strings.
fn repeatable(command: &clap::Command) -> Vec<String> {
    let mut found = Vec::new();
    collect_repeatable(command, &mut found);
    found
}

fn collect_repeatable(command: &clap::Command, found: &mut Vec<String>) {
    for arg in command.get_arguments() {
        if !matches!(arg.get_action(), clap::ArgAction::Append) {
            continue;
        }
        if let Some(key) = arg
            .get_env()
            .and_then(|v| v.to_str())
            .and_then(|v| v.strip_prefix(ENV_PREFIX))
        {
            found.push(key.to_ascii_lowercase());
        }
    }
    for sub in command.get_subcommands() {
        collect_repeatable(sub, found);
    }
}

/// The known setting closest to `key`, when it is close enough to be the one meant.
fn suggestion<'a>(key: &str, known: &'a [(String, String)]) -> Option<&'a str> {
    known
        .iter()
        .map(|(k, _)| (strsim::jaro_winkler(key, k), k.as_str()))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// `PATH:LINE:COL: error: MESSAGE` and `  help: HELP`, for the byte offset `at` of `text`.
fn diagnostic(name: &str, text: &str, at: usize, message: &str, help: &str) -> String {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{name}:{line}:{column}: error: {message}\n  help: {help}\n")
}

/// `command` with each setting of `file` as the default of every argument it names (every
/// subcommand's), so flags and the environment still win.
pub(crate) fn apply(command: clap::Command, file: &ConfigFile) -> clap::Command {
    if file.values.is_empty() {
        return command;
    }
    let ids: Vec<clap::Id> = command
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    let mut command = command;
    for id in ids {
        let value = command
            .get_arguments()
            .find(|a| a.get_id() == &id)
            .and_then(|arg| arg.get_env())
            .and_then(|v| v.to_str())
            .and_then(|variable| variable.strip_prefix(ENV_PREFIX))
            .map(str::to_ascii_lowercase)
            .and_then(|key| file.values.iter().rev().find(|(k, _)| *k == key))
            .map(|(_, value)| value.clone());
        if let Some(value) = value {
            // Defaults are `'static` in clap; a settings file is read once per process, so
            // its few values live as long as the process anyway.
            let value: Vec<&'static str> = value.into_iter().map(|v| &*v.leak()).collect();
            command = command.mut_arg(id, |arg| match value.as_slice() {
                [one] => arg.default_value(*one),
                _ => arg.default_values(value),
            });
        }
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| apply(sub, file));
    }
    command
}

/// `skydd config ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Check a settings file and print the settings `skydd serve` would run with, and where
    /// each comes from (secrets are never printed). Exit 1 on any error.
    Check(CheckArgs),
}

/// Arguments of `config check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The settings file [default: --config, SKYDD_CONFIG, or ./skydd.toml when present]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
}

/// Run `skydd config check` with `base`, the command line without a file applied.
pub(crate) fn check(args: &CheckArgs, base: &clap::Command, located: Option<PathBuf>) -> ExitCode {
    let path = args.path.clone().or(located);
    let file = match &path {
        Some(path) => match load(path, base) {
            Ok(file) => file,
            Err(errors) => {
                eprintln!("{errors}");
                return ExitCode::FAILURE;
            }
        },
        None => ConfigFile::default(),
    };
    let command = apply(base.clone(), &file);
    let Some(serve) = command.find_subcommand("serve") else {
        return ExitCode::FAILURE;
    };
    // Parsed as `skydd serve`, so global settings (`log_format`) reach serve's matches too.
    let parsed = match command.clone().try_get_matches_from(["skydd", "serve"]) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("{}", error.render());
            return ExitCode::FAILURE;
        }
    };
    let Some(matches) = parsed.subcommand_matches("serve") else {
        return ExitCode::FAILURE;
    };
    let mut lines = Vec::new();
    let mut out = String::new();
    match &file.path {
        Some(path) => {
            let _ = writeln!(out, "# settings file: {}", path.display());
        }
        None => {
            let _ = writeln!(
                out,
                "# no settings file (--config, SKYDD_CONFIG or ./skydd.toml)"
            );
        }
    }
    // The file's own path is no setting of the file.
    let global = command.get_arguments().filter(|arg| {
        arg.is_global_set() && arg.get_env().and_then(|v| v.to_str()) != Some(CONFIG_ENV)
    });
    for arg in global.chain(serve.get_arguments()) {
        let Some(variable) = arg.get_env().and_then(|v| v.to_str()) else {
            continue;
        };
        let Some(key) = variable
            .strip_prefix(ENV_PREFIX)
            .map(str::to_ascii_lowercase)
        else {
            continue;
        };
        let id = arg.get_id().as_str();
        let value: Option<Vec<String>> = matches.get_raw(id).map(|values| {
            values
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        });
        let repeats = matches!(arg.get_action(), clap::ArgAction::Append);
        let source = match matches.value_source(id) {
            Some(ValueSource::EnvVariable) => format!("environment ({variable})"),
            Some(ValueSource::DefaultValue) if file.values.iter().any(|(k, _)| *k == key) => {
                "file".to_owned()
            }
            Some(ValueSource::DefaultValue) => "default".to_owned(),
            _ => "not set".to_owned(),
        };
        lines.push(match value {
            None => format!("# {key}: not set"),
            Some(_) if arg.is_hide_env_values_set() => {
                format!("{key} = \"(hidden)\"  # {source}")
            }
            Some(values) if repeats => format!(
                "{key} = [{}]  # {source}",
                values
                    .iter()
                    .map(|v| toml_string(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(values) => format!("{key} = {}  # {source}", toml_string(&values.join(","))),
        });
    }
    // The client secret is no flag (a command line is public on the host): only whether the
    // environment holds it is shown, never the value.
    let secret = crate::settings::OIDC_SECRET_ENV;
    lines.push(match std::env::var_os(secret) {
        Some(_) => format!("# oidc_client_secret: set in the environment ({secret}), not shown"),
        None => "# oidc_client_secret: not set".to_owned(),
    });
    // By key, whether set or not, so the output reads the same every time.
    lines.sort_by(|a, b| a.trim_start_matches("# ").cmp(b.trim_start_matches("# ")));
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    print!("{out}");
    let oidc = check_oidc(matches);
    let datasets = check_datasets(matches);
    if oidc == ExitCode::SUCCESS {
        datasets
    } else {
        oidc
    }
}

/// The single sign-on settings `serve` would use, checked (the client secret read, never
/// shown): the error on stderr and exit 1 when they cannot be used.
fn check_oidc(matches: &clap::ArgMatches) -> ExitCode {
    use clap::FromArgMatches as _;
    let settings = crate::settings::OidcArgs::from_arg_matches(matches)
        .map_err(anyhow::Error::from)
        .and_then(|args| args.settings());
    match settings {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("skydd: single sign-on: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The datasets `serve` would load, checked against the register setting (or the bundled
/// register): their diagnostics on stderr, exit 1 on any error.
fn check_datasets(matches: &clap::ArgMatches) -> ExitCode {
    let Some(paths) = matches.get_many::<PathBuf>("datasets") else {
        return ExitCode::SUCCESS;
    };
    let paths: Vec<PathBuf> = paths.cloned().collect();
    if paths.is_empty() {
        return ExitCode::SUCCESS;
    }
    let register = matches.get_one::<PathBuf>("register").map(PathBuf::as_path);
    let register = match crate::commands::load_register_or_bundled(register) {
        Ok(Some(register)) => register,
        Ok(None) => return ExitCode::FAILURE,
        Err(error) => {
            eprintln!("skydd: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    match skydd_app::datasets::load(&paths, &register.register) {
        Ok((_, warnings)) => {
            eprint!("{warnings}");
            ExitCode::SUCCESS
        }
        Err(skydd_app::datasets::DatasetError::Invalid { report, .. }) => {
            eprint!("{report}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("skydd: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `value` as a TOML basic string.
fn toml_string(value: &str) -> String {
    let mut quoted = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_point_at_line_and_column() {
        let text = "bind = \"x\"\n  bnd = 1\n";
        let at = text.find("bnd").unwrap();
        assert!(diagnostic("f.toml", text, at, "m", "h").starts_with("f.toml:2:3: error: m"));
    }

    #[test]
    fn a_setting_in_a_string_is_quoted_as_toml() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn the_config_flag_is_found_before_parsing() {
        let args = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            locate(&args(&["skydd", "serve", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            locate(&args(&["skydd", "--config=b.toml", "serve"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
