//! The connected databases an instance serves (issue 16): the dataset files given to `skydd
//! serve` (`--dataset`, a file or a directory of `*.yaml`), each checked against the register
//! the instance serves, held once in [`crate::App`]. The connection strings are not read here:
//! only when a database is connected to ([`crate::connected`]).

use std::path::{Path, PathBuf};

use skydd_dataset::Dataset;
use skydd_register::Register;
use skydd_register::diagnostic::{Diagnostic, render_summary, render_text};
use skydd_register::node::Pos;

/// One checked dataset and the file it was read from.
#[derive(Debug, Clone)]
pub struct LoadedDataset {
    /// The checked dataset: names, categories, strategies; the connection's source only.
    pub dataset: Dataset,
    /// The file it was read from, as given (for messages).
    pub path: PathBuf,
}

/// Every dataset an instance serves, in the order given (a directory's files sorted by name);
/// names are unique. Empty when `serve` was given none.
#[derive(Debug, Clone, Default)]
pub struct Datasets {
    loaded: Vec<LoadedDataset>,
}

impl Datasets {
    /// The datasets, in the order given.
    pub fn all(&self) -> &[LoadedDataset] {
        &self.loaded
    }

    /// The dataset called `name`.
    pub fn get(&self, name: &str) -> Option<&LoadedDataset> {
        self.loaded.iter().find(|d| d.dataset.name == name)
    }

    /// Whether no dataset is served.
    pub fn is_empty(&self) -> bool {
        self.loaded.is_empty()
    }

    /// The systems the Art. 30 record names: each dataset's name, description and the register
    /// categories its fields hold (sorted, each once).
    pub fn systems(&self) -> Vec<skydd_notice::record::System> {
        self.loaded
            .iter()
            .map(|loaded| {
                let dataset = &loaded.dataset;
                let mut categories: Vec<String> = dataset
                    .collections
                    .iter()
                    .filter(|c| !c.reach_only)
                    .flat_map(|c| &c.fields)
                    .filter_map(|f| f.category.as_ref().map(|c| c.as_str().to_owned()))
                    .collect();
                categories.sort();
                categories.dedup();
                skydd_notice::record::System {
                    name: dataset.name.clone(),
                    description: dataset.description.clone(),
                    categories,
                }
            })
            .collect()
    }

    /// Per system, the fields a restriction or an objection covers (Skydd does not write
    /// there; the company acts on them): every field with a category in a collection that
    /// holds data (reach-only ones left out), as `(collection, field, category)`.
    pub fn coverage(&self) -> Vec<(String, Vec<CoveredField>)> {
        self.coverage_of(None)
    }

    /// [`Datasets::coverage`] limited to the fields of `categories` (all when `None`): what an
    /// objection to one purpose covers.
    pub fn coverage_of(&self, categories: Option<&[String]>) -> Vec<(String, Vec<CoveredField>)> {
        self.loaded
            .iter()
            .map(|loaded| {
                let fields = loaded
                    .dataset
                    .collections
                    .iter()
                    .filter(|c| !c.reach_only)
                    .flat_map(|c| {
                        c.fields.iter().filter_map(move |f| {
                            let category = f.category.as_ref()?;
                            if categories
                                .is_some_and(|only| !only.iter().any(|c| c == category.as_str()))
                            {
                                return None;
                            }
                            Some((c.name.clone(), f.name.clone(), category.as_str().to_owned()))
                        })
                    })
                    .collect();
                (loaded.dataset.name.clone(), fields)
            })
            .collect()
    }

    /// Datasets already checked (tests and embedders that build them in code); names must be
    /// unique, which this does not check.
    pub fn from_checked(loaded: Vec<LoadedDataset>) -> Datasets {
        Datasets { loaded }
    }
}

/// A field of a connected system a restriction or objection covers: `(collection, field,
/// category)`.
pub type CoveredField = (String, String, String);

/// Why the datasets could not be loaded: `skydd serve` refuses to start (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A file or directory could not be read.
    #[error("cannot read the dataset {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A directory holds no `*.yaml` file (a wrong path is more likely than none meant).
    #[error("the dataset directory {} holds no *.yaml file", path.display())]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// One or more datasets have errors: `report` is every diagnostic, compiler-style
    /// (`PATH:LINE:COL: error: ...` + `help:`), and a summary line per file.
    #[error("{errors} dataset file(s) have errors")]
    Invalid {
        /// The files with errors.
        errors: usize,
        /// The diagnostics of every file (warnings of valid files too), as text.
        report: String,
    },
}

/// The dataset files `paths` name: each file as given, each directory's `*.yaml` files sorted
/// by name.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DatasetError> {
    let mut found = Vec::new();
    for path in paths {
        let read = |source| DatasetError::Read {
            path: path.clone(),
            source,
        };
        if !path.is_dir() {
            found.push(path.clone());
            continue;
        }
        let mut in_dir = Vec::new();
        for entry in std::fs::read_dir(path).map_err(read)? {
            let entry = entry.map_err(read)?;
            let file = entry.path();
            if file.extension().is_some_and(|e| e == "yaml") && file.is_file() {
                in_dir.push(file);
            }
        }
        if in_dir.is_empty() {
            return Err(DatasetError::EmptyDirectory { path: path.clone() });
        }
        in_dir.sort();
        found.extend(in_dir);
    }
    Ok(found)
}

/// Read and check every dataset `paths` names ([`files`]) against `register`. Every file is
/// checked (all errors in one run), then names are compared: a name used twice is an error at
/// the second file's `name:`. Warnings of valid files are in `Ok`'s second value.
pub fn load(paths: &[PathBuf], register: &Register) -> Result<(Datasets, String), DatasetError> {
    let mut report = String::new();
    let mut errors = 0;
    let mut loaded: Vec<LoadedDataset> = Vec::new();
    for path in files(paths)? {
        let source = std::fs::read_to_string(&path).map_err(|source| DatasetError::Read {
            path: path.clone(),
            source,
        })?;
        let name = path.display().to_string();
        let checked = skydd_dataset::check(&source, Some(register));
        let mut diagnostics = checked.diagnostics;
        if let Some(dataset) = &checked.dataset
            && let Some(first) = loaded.iter().find(|d| d.dataset.name == dataset.name)
        {
            diagnostics.push(duplicate(&source, &dataset.name, &first.path));
        }
        report.push_str(&render_text(&name, &diagnostics));
        match checked.dataset {
            Some(dataset) if !diagnostics.iter().any(Diagnostic::is_error) => {
                loaded.push(LoadedDataset { dataset, path });
            }
            _ => {
                errors += 1;
                report.push_str(&render_summary(&name, &diagnostics));
                report.push('\n');
            }
        }
    }
    if errors > 0 {
        return Err(DatasetError::Invalid { errors, report });
    }
    Ok((Datasets { loaded }, report))
}

/// The error for a dataset whose `name` another file already uses, at its `name:` line.
fn duplicate(source: &str, name: &str, first: &Path) -> Diagnostic {
    let line = source
        .lines()
        .position(|line| line.starts_with("name:"))
        .map_or(1, |i| i + 1);
    Diagnostic::error(
        "duplicate-dataset",
        Pos { line, column: 1 },
        format!(
            "the dataset name `{name}` is already used by {}",
            first.display()
        ),
    )
    .with_help("each connected database needs a name of its own: rename one of the two")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_name_points_at_the_name_line() {
        let d = duplicate(
            "skydd_dataset: 1\nname: shop\n",
            "shop",
            Path::new("a.yaml"),
        );
        assert_eq!((d.line, d.column), (2, 1));
        assert!(d.is_error());
    }
}
