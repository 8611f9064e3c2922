//! The register an instance runs with: the checked model, its digest, where it came from,
//! recording it as a version, and which register a restarted instance serves (the one it
//! served last, remembered in the data directory) and which loads need the operator's word.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use skydd_register::Register;
use skydd_register::diagnostic::Diagnostic;
use skydd_register::model::Controller;
use skydd_storage::{RegisterVersionRecord, Storage, StorageError};

use crate::history::{self, StoredVersion, StoredVersionError, VersionChange};

/// The file in the data directory that remembers the register the instance served last: its
/// digest and the path it was read from (JSON).
pub const SERVED_REGISTER_FILE: &str = "served-register.json";

/// A register that passed `check`, ready to be served.
#[derive(Debug, Clone)]
pub struct LoadedRegister {
    /// The validated register.
    pub register: Register,
    /// SHA-256 (hex) of its canonical content: the register's version.
    pub digest: String,
    /// Where it was read from (a path, or `bundled example`), for messages.
    pub source_name: String,
    /// The file it was read from, remembered so that a restart serves it again; `None` for the
    /// bundled example or a version rebuilt from the database.
    pub path: Option<PathBuf>,
    /// The warnings `check` gave when the register was read from its file (empty: none);
    /// `None` when it was not read from a file (the bundled example, or a version rebuilt
    /// from the database), so its warnings are not known here. The console shows them.
    pub warnings: Option<Vec<Diagnostic>>,
    /// The body of `GET /v1/register`, serialised once: the register does not change while it
    /// is loaded.
    response_body: bytes::Bytes,
}

impl LoadedRegister {
    /// Wrap a checked register, computing its digest once.
    pub fn new(register: Register, source_name: impl Into<String>) -> Self {
        let digest = register.digest();
        let response_body = serde_json::json!({
            "digest": digest,
            "published": register.published.to_string(),
            "register": register.to_json(),
        })
        .to_string()
        .into();
        Self {
            register,
            digest,
            source_name: source_name.into(),
            path: None,
            warnings: None,
            response_body,
        }
    }

    /// The same register with the diagnostics `check` gave for its file: only its warnings
    /// are kept (a register that passed `check` has no errors).
    pub fn with_warnings(mut self, diagnostics: Vec<Diagnostic>) -> Self {
        self.warnings = Some(diagnostics.into_iter().filter(|d| !d.is_error()).collect());
        self
    }

    /// The same register, read from the file at `path` (made absolute against the current
    /// directory, so a restart from another directory finds it).
    pub fn with_path(mut self, path: &Path) -> Self {
        self.path = Some(std::path::absolute(path).unwrap_or_else(|_| path.to_owned()));
        self
    }

    /// The JSON body of `GET /v1/register`: digest, `published` and the register's canonical
    /// JSON, serialised once.
    pub fn response_body(&self) -> bytes::Bytes {
        self.response_body.clone()
    }

    /// Record this version in storage so that notices and consents can name it later. Returns
    /// whether the version is new to the database.
    pub async fn record(
        &self,
        storage: &dyn Storage,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        storage
            .record_register_version(RegisterVersionRecord {
                digest: self.digest.clone(),
                published: self.register.published.to_string(),
                first_loaded_at: now,
                content: self.register.to_json().to_string(),
            })
            .await
    }

    /// Record this version (as [`LoadedRegister::record`]) and say what it changed compared
    /// with the latest version recorded before it: the previous version is rebuilt from its
    /// stored content and compared with [`skydd_notice::diff()`]. A damaged previous version is
    /// reported as [`VersionChange::PreviousUnreadable`], not as an error: the server can still
    /// start. The result is what notice-of-change messages are queued from (P000-69, P001-05).
    pub async fn record_version(
        &self,
        storage: &dyn Storage,
        now: Timestamp,
    ) -> Result<VersionChange, StorageError> {
        let newly_recorded = self.record(storage, now).await?;
        let versions = storage.list_register_versions().await?;
        Ok(history::compare_with_previous(
            &self.register,
            &self.digest,
            newly_recorded,
            versions,
        ))
    }
}

/// What the data directory remembers about the register its instance served last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The digest of the register served.
    pub digest: String,
    /// The file it was read from, if it came from one.
    pub path: Option<PathBuf>,
}

impl Remembered {
    /// Read the remembered register of the data directory `data_dir`: `None` when nothing is
    /// remembered (an instance that never served, or one from before this file existed).
    pub fn read(data_dir: &Path) -> Result<Option<Remembered>, ChoiceError> {
        let file = data_dir.join(SERVED_REGISTER_FILE);
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(ChoiceError::Remembered {
                    file,
                    reason: error.to_string(),
                });
            }
        };
        let damaged = |reason: &str| ChoiceError::Remembered {
            file: file.clone(),
            reason: reason.to_owned(),
        };
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| damaged(&e.to_string()))?;
        let digest = json
            .get("digest")
            .and_then(serde_json::Value::as_str)
            .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| damaged("`digest` is not a SHA-256 in hex"))?;
        let path = match json.get("path") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(path)) => Some(PathBuf::from(path)),
            Some(_) => return Err(damaged("`path` is not a string")),
        };
        Ok(Some(Remembered {
            digest: digest.to_owned(),
            path,
        }))
    }

    /// Write what `data_dir` remembers, through a temporary file renamed into place, so that a
    /// crash leaves the old or the new content, never half of one. The temporary name is the
    /// process's own, so servers starting together on one data directory do not write into
    /// each other's (it holds no secret: a leftover is harmless).
    pub fn write(&self, data_dir: &Path, now: Timestamp) -> std::io::Result<()> {
        let file = data_dir.join(SERVED_REGISTER_FILE);
        let temporary = data_dir.join(format!(
            ".{SERVED_REGISTER_FILE}.{}.tmp",
            std::process::id()
        ));
        let body = serde_json::json!({
            "digest": self.digest,
            "path": self.path.as_ref().map(|p| p.display().to_string()),
            "remembered_at": now.to_string(),
        });
        let mut out = std::fs::File::create(&temporary)?;
        out.write_all(format!("{body:#}\n").as_bytes())?;
        out.sync_all()?;
        std::fs::rename(&temporary, &file)
    }
}

/// Which register an opened instance runs with.
#[derive(Debug)]
pub enum RegisterChoice {
    /// The register the instance served last (a restart without `--register`, and every
    /// command that manages an instance). An instance that never served runs with
    /// `new_instance` when given (the bundled example, for `skydd serve` only).
    Served {
        /// What a brand-new instance serves; `None`: a new instance is an error.
        new_instance: Option<LoadedRegister>,
    },
    /// A register file the operator named (`skydd serve --register PATH`). A new version of
    /// the register served last is taken (that is how the notice changes); a register of
    /// another controller, or an older version loaded again, needs `replace`.
    Given {
        /// The checked register.
        register: LoadedRegister,
        /// The operator's word that another controller or an older version is meant
        /// (`--replace-register`).
        replace: bool,
    },
}

/// Why no register could be chosen. Messages name digests, controllers (companies) and paths,
/// never personal data.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    /// The instance never served a register, and none was given.
    #[error(
        "this instance has never served a register; start it once with `skydd serve --register PATH`"
    )]
    NeverServed,
    /// The remembered register file in the data directory cannot be read.
    #[error("cannot read {}: {reason}; delete it to fall back to the latest version in the database", file.display())]
    Remembered {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The given register is for another controller than the one served.
    #[error(
        "the register is for {given}, but this instance serves {served}; if this instance is now \
         to serve {given}, pass --replace-register (every existing subject stays, and the notice \
         change is announced to them)"
    )]
    OtherController {
        /// The controller of the register served last.
        served: String,
        /// The controller of the given register.
        given: String,
    },
    /// The given register is a version recorded before, not the one served last.
    #[error(
        "the register is version {given}, an older version than the one this instance served \
         last ({served}); loading it again rolls the notice back: pass --replace-register if that \
         is meant"
    )]
    OlderVersion {
        /// The digest of the version served last.
        served: String,
        /// The digest of the given register.
        given: String,
    },
    /// The register served last cannot be rebuilt from the database.
    #[error("{0}; pass --register PATH to serve a register file")]
    StoredVersion(#[from] StoredVersionError),
    /// The database could not be read.
    #[error("cannot read the register versions")]
    Storage(#[from] StorageError),
}

/// Choose the register the instance in `data_dir`, whose database is `storage`, runs with
/// (see [`RegisterChoice`]). What is chosen and why is logged (digests and paths only).
pub async fn choose(
    storage: &dyn Storage,
    data_dir: &Path,
    choice: RegisterChoice,
) -> Result<LoadedRegister, ChoiceError> {
    let remembered = Remembered::read(data_dir)?;
    let versions = storage.list_register_versions().await?;
    let last = last_served(remembered.as_ref(), &versions);
    match choice {
        RegisterChoice::Served { new_instance } => match last {
            Some(last) => serve_last(last, remembered.as_ref()),
            None => {
                let register = new_instance.ok_or(ChoiceError::NeverServed)?;
                tracing::warn!(
                    digest = %register.digest,
                    source = %register.source_name,
                    "A NEW INSTANCE SERVES THE BUNDLED EXAMPLE REGISTER (a made-up company): pass \
                     --register PATH to serve your own; its notice is public at /privacy"
                );
                Ok(register)
            }
        },
        RegisterChoice::Given { register, replace } => {
            if let Some(last) = last {
                check_given(&register, last, &versions, replace)?;
            }
            Ok(register)
        }
    }
}

/// The version served last: the remembered one when the database holds it, else the latest
/// recorded.
fn last_served<'a>(
    remembered: Option<&Remembered>,
    versions: &'a [RegisterVersionRecord],
) -> Option<&'a RegisterVersionRecord> {
    if let Some(remembered) = remembered {
        if let Some(version) = versions.iter().find(|v| v.digest == remembered.digest) {
            return Some(version);
        }
        tracing::warn!(
            remembered = %remembered.digest,
            "the data directory remembers a register version the database does not hold (a \
             database restored from an older backup?); using the latest version in the database"
        );
    }
    versions.last()
}

/// The register served last: its file again when it still holds the same version, otherwise
/// the version stored in the database.
fn serve_last(
    last: &RegisterVersionRecord,
    remembered: Option<&Remembered>,
) -> Result<LoadedRegister, ChoiceError> {
    let path = remembered
        .filter(|r| r.digest == last.digest)
        .and_then(|r| r.path.as_deref());
    if let Some(path) = path {
        let from_file = std::fs::read_to_string(path)
            .ok()
            .map(|source| skydd_register::check(&source))
            .and_then(|checked| Some((checked.register?, checked.diagnostics)))
            .filter(|(register, _)| register.digest() == last.digest);
        match from_file {
            Some((register, diagnostics)) => {
                return Ok(LoadedRegister::new(register, path.display().to_string())
                    .with_path(path)
                    .with_warnings(diagnostics));
            }
            None => tracing::warn!(
                path = %path.display(),
                digest = %last.digest,
                "the register file served last is missing or has changed since; serving the \
                 version stored in the database (to serve the file as it is now, pass --register)"
            ),
        }
    }
    let stored = StoredVersion::rebuild(last.clone());
    let name = format!("stored version {}", stored.notice_version());
    Ok(LoadedRegister::new(stored.register?, name))
}

/// Refuse a given register for another controller, or an older version loaded again, unless
/// `replace`.
fn check_given(
    given: &LoadedRegister,
    last: &RegisterVersionRecord,
    versions: &[RegisterVersionRecord],
    replace: bool,
) -> Result<(), ChoiceError> {
    if given.digest == last.digest {
        return Ok(());
    }
    let served = StoredVersion::rebuild(last.clone()).register;
    let refusal = match &served {
        Ok(served) if !same_controller(&served.controller, &given.register.controller) => {
            Some(ChoiceError::OtherController {
                served: controller_name(&served.controller),
                given: controller_name(&given.register.controller),
            })
        }
        Ok(_) if versions.iter().any(|v| v.digest == given.digest) => {
            Some(ChoiceError::OlderVersion {
                served: last.digest.clone(),
                given: given.digest.clone(),
            })
        }
        Ok(_) => None,
        Err(error) => Some(ChoiceError::StoredVersion(error.clone())),
    };
    match refusal {
        Some(refusal) if replace => {
            tracing::warn!(
                digest = %given.digest,
                served = %last.digest,
                "--replace-register: serving this register although {refusal}"
            );
            Ok(())
        }
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Whether two controllers are the same company: the same organisation number when both
/// have one, otherwise the same name in the same country.
fn same_controller(a: &Controller, b: &Controller) -> bool {
    let digits = |n: &str| n.chars().filter(char::is_ascii_digit).collect::<String>();
    match (&a.organisation_number, &b.organisation_number) {
        (Some(x), Some(y)) => digits(x) == digits(y),
        _ => a.name.trim() == b.name.trim() && a.address.country == b.address.country,
    }
}

/// A controller as messages name it: `Name (organisation number)`.
fn controller_name(controller: &Controller) -> String {
    match &controller.organisation_number {
        Some(number) => format!("{} ({number})", controller.name),
        None => controller.name.clone(),
    }
}
