//! [`App`]: the services of one opened instance, built once and shared by every surface.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skydd_crypto::{ApiToken, Keyring};
use skydd_storage::{KeyBinding, Storage, StorageError};
use skydd_vault::{Audit, Enforced, FactCache, GroupCommitAudit, Vault};

use crate::clock::Clock;
use crate::datasets::{self, DatasetError, Datasets};
use crate::history::VersionChange;
use crate::instance::{self, Create, DataSettings, InstanceError};
use crate::keys::Keys;
use crate::oidc::{OidcSettings, Sso};
use crate::operations::SweepLog;
use crate::register::{self, LoadedRegister, RegisterChoice, Remembered};
use crate::site::PublicSite;
use crate::staff::StaffPolicies;
use crate::tokens::{self, IssueError};

/// How long a "ready" answer of [`App::readiness`] is given again without a new check.
const READY_ANSWER_KEPT: Duration = Duration::from_secs(1);

/// What [`App::readiness`] found last.
#[derive(Debug, Default)]
struct ReadinessSeen {
    /// `ready` or the reason it was not; empty before the first check.
    word: &'static str,
    /// When the last check found the instance ready; `None` after a failed one.
    ready_at: Option<Instant>,
}

/// Why [`App::prepare_to_serve`] failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The register version could not be recorded.
    #[error("cannot record the register version")]
    RecordVersion(#[source] StorageError),
    /// The data directory could not remember the register served.
    #[error("cannot remember the register served in {}", dir.display())]
    RememberRegister {
        /// The data directory.
        dir: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The first admin token could not be issued.
    #[error("cannot create the admin token")]
    AdminToken(#[source] IssueError),
}

/// The services of an instance: storage, the register and the policy compiled from it, the
/// keyring (reloaded after `skydd key rotate`), the audit sink, the vault and the clock. Built
/// once per process; cheap to clone (every field is an `Arc`), so the HTTP server, the CLI and
/// the background jobs share one.
#[derive(Clone)]
pub struct App {
    /// The database (SQLite or PostgreSQL) the vault, the server and the jobs all read and
    /// write.
    pub storage: Arc<dyn Storage>,
    /// The register this instance enforces.
    pub register: Arc<LoadedRegister>,
    /// The source of `now` for everything the app does: handlers and jobs read it, the domain
    /// is given what it returned.
    pub clock: Arc<dyn Clock>,
    /// The vault and the keyring it encrypts with.
    pub(crate) keys: Arc<Keys>,
    /// The master key file: reloaded when a data key names a version not loaded yet, and
    /// rotated by [`App::add_key_version`]; `None`: never reload.
    key_file: Option<Arc<Path>>,
    /// Where the copy of the newest audit checkpoint is kept; `None`: nowhere.
    witness_file: Option<Arc<Path>>,
    /// The data directory that remembers the register served ([`Remembered`]), written by
    /// [`App::prepare_to_serve`]; `None`: nothing is remembered.
    data_dir: Option<Arc<Path>>,
    /// The last readiness check: its word (`ready` or the reason; empty before the first) and
    /// when it found the instance ready. Held across a check, so probes arriving together wait
    /// for one check instead of each writing to the database.
    readiness: Arc<tokio::sync::Mutex<ReadinessSeen>>,
    /// The retention sweeps this process ran, for [`App::operations`].
    pub(crate) sweep_log: Arc<SweepLog>,
    /// The company's own databases this instance reaches (`skydd serve --dataset`), checked
    /// against `register`; empty unless [`App::with_datasets`] or [`App::load_datasets`].
    datasets: Arc<Datasets>,
    /// Single sign-on with an OpenID provider; `None` unless [`App::with_sso`].
    sso: Option<Arc<Sso>>,
    /// The rules of staff sign-in ([`App::staff`]); the defaults unless
    /// [`App::with_staff_policies`].
    staff_policies: StaffPolicies,
    /// How the instance faces the public (links, brand, allowed website origins); the
    /// default unless [`App::with_site`].
    site: Arc<PublicSite>,
    /// The API tokens kept in memory, forgotten on revocation here and by the follower of the
    /// change log.
    tokens: Arc<tokens::TokenCache>,
}

impl App {
    /// Build the services over an opened database. The vault enforces `register`, encrypts with
    /// `keyring` and audits into `storage`, one transaction per event. Without
    /// [`App::with_key_file`] the keyring is never reloaded.
    pub fn new(
        storage: Arc<dyn Storage>,
        keyring: Arc<Keyring>,
        register: LoadedRegister,
        clock: Arc<dyn Clock>,
    ) -> App {
        let enforced = Arc::new(Enforced::new(register.register.clone()));
        let audit = instance::storage_audit(&storage);
        let facts = Arc::new(FactCache::default());
        let keys = Keys::new(storage.clone(), keyring, enforced, audit, facts);
        App {
            storage,
            register: Arc::new(register),
            clock,
            keys: Arc::new(keys),
            key_file: None,
            witness_file: None,
            data_dir: None,
            readiness: Arc::new(tokio::sync::Mutex::new(ReadinessSeen::default())),
            sweep_log: Arc::new(SweepLog::default()),
            tokens: Arc::new(tokens::TokenCache::default()),
            datasets: Arc::new(Datasets::default()),
            sso: None,
            staff_policies: StaffPolicies::default(),
            site: Arc::new(PublicSite::default()),
        }
    }

    /// The same services offering single sign-on with the provider `settings` name (the
    /// console's "Sign in with ..."). Nothing is fetched until the first sign-in.
    pub fn with_sso(mut self, settings: OidcSettings) -> App {
        self.sso = Some(Arc::new(Sso::new(settings)));
        self
    }

    /// The same services facing the public as `site` says (`skydd serve --public-url`,
    /// `--allowed-origin`, `--brand-*`).
    pub fn with_site(mut self, site: PublicSite) -> App {
        self.site = Arc::new(site);
        self
    }

    /// How the instance faces the public: links in messages, the privacy centre's brand, the
    /// website origins allowed to call it.
    pub fn site(&self) -> &PublicSite {
        &self.site
    }

    /// Single sign-on, when configured.
    pub fn sso(&self) -> Option<&Sso> {
        self.sso.as_deref()
    }

    /// The same services applying `policies` to staff sign-in and sessions.
    pub fn with_staff_policies(mut self, policies: StaffPolicies) -> App {
        self.staff_policies = policies;
        self
    }

    /// The rules of staff sign-in and sessions this app applies.
    pub fn staff_policies(&self) -> StaffPolicies {
        self.staff_policies
    }

    /// The same services reaching the connected databases `datasets` describes (already
    /// checked against this app's register).
    pub fn with_datasets(mut self, datasets: Datasets) -> App {
        self.datasets = Arc::new(datasets);
        self
    }

    /// Read and check the dataset files `paths` name (files, or directories of `*.yaml`)
    /// against the register this app serves ([`datasets::load`]) and reach those databases.
    /// On success also returns the warnings' text (empty when none); any error leaves the app
    /// unchanged and is to refuse the start. No connection string is read here.
    pub fn load_datasets(self, paths: &[PathBuf]) -> Result<(App, String), DatasetError> {
        if paths.is_empty() {
            return Ok((self, String::new()));
        }
        let (datasets, warnings) = datasets::load(paths, &self.register.register)?;
        for loaded in datasets.all() {
            tracing::info!(dataset = %loaded.dataset.name, kind = skydd_register::model::Choice::word(loaded.dataset.kind), "connected database described");
        }
        Ok((self.with_datasets(datasets), warnings))
    }

    /// The connected databases this instance reaches, in the order given.
    pub fn datasets(&self) -> &Datasets {
        &self.datasets
    }

    /// Open the instance `data` names ([`instance::open`]) and build its services: the key file
    /// is reloaded when needed and the witness of each checkpoint is kept in the data
    /// directory. The one way the CLI builds the services.
    pub async fn open(
        data: &DataSettings,
        create: Create,
        register: LoadedRegister,
        clock: Arc<dyn Clock>,
    ) -> Result<App, InstanceError> {
        let opened = instance::open(data, create).await?;
        if opened.key_created {
            tracing::info!(path = %data.master_key_path().display(), "created a new master key; back it up");
        }
        Ok(App::new(opened.storage, opened.keyring, register, clock)
            .with_key_file(&data.master_key_path())
            .with_witness_file(&data.witness_path()))
    }

    /// Open the instance `data` names as [`App::open`] does, with the register `choice` picks
    /// ([`register::choose`]: the one served last, or a given one that is allowed to replace
    /// it); [`App::prepare_to_serve`] then remembers it in the data directory. The one way the
    /// CLI builds the services.
    pub async fn open_served(
        data: &DataSettings,
        create: Create,
        choice: RegisterChoice,
        clock: Arc<dyn Clock>,
    ) -> Result<App, InstanceError> {
        let opened = instance::open(data, create).await?;
        let register = match register::choose(&*opened.storage, &data.data_dir, choice).await {
            Ok(register) => register,
            Err(error) => {
                opened.storage.close().await?;
                return Err(error.into());
            }
        };
        if opened.key_created {
            tracing::info!(path = %data.master_key_path().display(), "created a new master key; back it up");
        }
        let mut app = App::new(opened.storage, opened.keyring, register, clock)
            .with_key_file(&data.master_key_path())
            .with_witness_file(&data.witness_path());
        app.data_dir = Some(Arc::from(data.data_dir.as_path()));
        Ok(app)
    }

    /// Reload the master key file at `path` when a data key is wrapped with a version this app
    /// has not loaded (`skydd key rotate` ran meanwhile), see [`App::reload_keys`]; also the
    /// file [`App::add_key_version`] rotates.
    pub fn with_key_file(mut self, path: &Path) -> App {
        self.key_file = Some(Arc::from(path));
        self
    }

    /// Keep a copy of each audit checkpoint written by [`App::checkpoint`] at `path`.
    pub fn with_witness_file(mut self, path: &Path) -> App {
        self.witness_file = Some(Arc::from(path));
        self
    }

    /// The same services with the vault auditing to `audit` (benchmarks can measure without
    /// auditing).
    pub fn with_audit(mut self, audit: Arc<dyn Audit>) -> App {
        let keyring = self.keys.current().keyring;
        let enforced = self.keys.enforced().clone();
        let facts = self.keys.facts().clone();
        self.keys = Arc::new(Keys::new(
            self.storage.clone(),
            keyring,
            enforced,
            audit,
            facts,
        ));
        self
    }

    /// The same services keeping the decision facts of at most `subjects` subjects in memory
    /// (the least recently used are dropped); [`DEFAULT_CACHED_SUBJECTS`] unless called
    /// (`skydd serve --facts-cache-subjects`). Starts with an empty cache.
    ///
    /// [`DEFAULT_CACHED_SUBJECTS`]: skydd_vault::DEFAULT_CACHED_SUBJECTS
    pub fn with_fact_cache_subjects(mut self, subjects: usize) -> App {
        let current = self.keys.current();
        self.keys = Arc::new(Keys::new(
            self.storage.clone(),
            current.keyring,
            self.keys.enforced().clone(),
            self.keys.audit().clone(),
            Arc::new(FactCache::new(subjects)),
        ));
        self
    }

    /// The decision facts this instance keeps in memory (issue 19): shared by every vault the
    /// app hands out, forgotten by the vault's writes and by the follower of the change log
    /// ([`crate::change_log`]).
    pub fn fact_cache(&self) -> &Arc<FactCache> {
        self.keys.facts()
    }

    /// The API tokens this instance keeps in memory ([`tokens::authenticate`]).
    pub fn token_cache(&self) -> &tokens::TokenCache {
        &self.tokens
    }

    /// The same services with audit events of concurrent callers sharing a commit, at most
    /// `max_batch` per transaction; each caller still waits for its own (`skydd serve`). Must
    /// be called on a Tokio runtime: it starts the writer task.
    pub fn with_group_commit(self, max_batch: usize) -> App {
        let audit = Arc::new(GroupCommitAudit::spawn(self.storage.clone(), max_batch));
        self.with_audit(audit)
    }

    /// Subjects, records, consents and decisions: the only way to personal data. Take it once
    /// per request or job round, so that a reloaded keyring is used from the next one on.
    pub fn vault(&self) -> Vault {
        self.keys.current().vault
    }

    /// The master key version new data keys are wrapped with now.
    pub fn key_version(&self) -> u32 {
        self.keys.current().keyring.current_version()
    }

    /// The keyring in use now (its checkpoint key signs the audit trail).
    pub fn keyring(&self) -> Arc<Keyring> {
        self.keys.current().keyring
    }

    /// Where every audit event goes, also those written outside the vault (token changes,
    /// reads of the trail): the same sink the vault writes to.
    pub fn audit(&self) -> &dyn Audit {
        self.keys.audit().as_ref()
    }

    /// The master key file, when this app reloads it.
    pub fn key_file(&self) -> Option<&Arc<Path>> {
        self.key_file.as_ref()
    }

    /// The file keeping a copy of the newest audit checkpoint, when there is one.
    pub fn witness_file(&self) -> Option<&Path> {
        self.witness_file.as_deref()
    }

    /// Record the loaded register as a version (when it is new) and say what it changed
    /// compared with the version before ([`LoadedRegister::record_version`]).
    pub async fn record_register_version(&self) -> Result<VersionChange, StorageError> {
        let now = self.clock.now();
        self.register.record_version(&*self.storage, now).await
    }

    /// What a server does before it serves: record the register as a version (logging what
    /// changed, by ids and counts) and, when the database has no token at all (a first start),
    /// issue the admin token. Returns that token, whose secret is to be shown once.
    pub async fn prepare_to_serve(&self) -> Result<Option<ApiToken>, StartError> {
        let register = &self.register;
        let change = self
            .record_register_version()
            .await
            .map_err(StartError::RecordVersion)?;
        if change.newly_recorded() {
            tracing::info!(digest = %register.digest, "recorded a new register version");
        }
        change.log(&register.digest);
        tracing::info!(digest = %register.digest, source = %register.source_name, "register loaded");
        if let Some(dir) = &self.data_dir {
            self.remember_register(dir)
                .map_err(|source| StartError::RememberRegister {
                    dir: dir.to_path_buf(),
                    source,
                })?;
        }

        let now = self.clock.now();
        let token = tokens::issue_first_admin(&*self.storage, now)
            .await
            .map_err(StartError::AdminToken)?;
        if let Some(token) = &token {
            tracing::info!(token_id = %token.id, "created the first admin token");
        }
        Ok(token)
    }

    /// Remember the register served in `dir`, keeping the remembered file when this register
    /// was rebuilt from the database (it has no file of its own).
    fn remember_register(&self, dir: &Path) -> std::io::Result<()> {
        let before = Remembered::read(dir).ok().flatten();
        let path = self.register.path.clone().or_else(|| {
            before
                .filter(|r| r.digest == self.register.digest)
                .and_then(|r| r.path)
        });
        Remembered {
            digest: self.register.digest.clone(),
            path,
        }
        .write(dir, self.clock.now())
    }

    /// Whether the instance can serve now: the database answers a read, has every migration of
    /// this build applied, is bound to the loaded master key and takes a write (a probe of one
    /// row, [`Storage::probe_write`]). `Err` carries the reason as one word (`database_unreachable`,
    /// `schema_not_migrated`, `master_key_not_bound`, `database_not_writable`), never a
    /// database message. A change from the last check is logged once (a warning when the
    /// instance stops being ready, with the database's diagnostic; an info when it is ready
    /// again); checks that find the same are not logged.
    pub async fn readiness(&self) -> Result<(), &'static str> {
        let mut seen = self.readiness.lock().await;
        // A "ready" found within the last second is answered again without a check, so a
        // loop of probes writes at most once a second; "not ready" is checked every time, so
        // recovery shows at once.
        if seen
            .ready_at
            .is_some_and(|at| at.elapsed() < READY_ANSWER_KEPT)
        {
            return Ok(());
        }
        let found = self.check_readiness().await;
        let reason = match &found {
            Ok(()) => "ready",
            Err((reason, _)) => reason,
        };
        if seen.word != reason {
            match &found {
                Ok(()) if seen.word.is_empty() => {}
                Ok(()) => tracing::info!(was = seen.word, "ready again"),
                Err((reason, error)) => {
                    tracing::warn!(reason, error = %error, "not ready");
                }
            }
            seen.word = reason;
        }
        seen.ready_at = found.is_ok().then(Instant::now);
        found.map_err(|(reason, _)| reason)
    }

    /// The checks of [`App::readiness`], the first failing one with its reason and error.
    async fn check_readiness(&self) -> Result<(), (&'static str, StorageError)> {
        let storage = &*self.storage;
        let version = storage
            .schema_version()
            .await
            .map_err(|e| ("database_unreachable", e))?;
        if version != skydd_storage::SCHEMA_VERSION {
            return Err((
                "schema_not_migrated",
                StorageError::Schema(format!("schema version {version}")),
            ));
        }
        match storage.bind_master_key(&self.keyring().check_value()).await {
            Ok(KeyBinding::Matches | KeyBinding::NewlyBound) => {}
            Ok(KeyBinding::Mismatch) => {
                return Err((
                    "master_key_not_bound",
                    StorageError::Invalid("the database is bound to another master key".into()),
                ));
            }
            Err(e) => return Err(("database_not_writable", e)),
        }
        storage
            .probe_write(self.clock.now())
            .await
            .map_err(|e| ("database_not_writable", e))
    }

    /// Close the database: wait for its connections to finish.
    pub async fn close(&self) -> Result<(), StorageError> {
        self.storage.close().await
    }
}
