//! Skydd's application layer: opens an instance, builds its services once and runs every
//! background job. The HTTP server and the `skydd` command are surfaces over it.
//!
//! An instance is a data directory with its master key and database ([`instance`]). [`App`]
//! holds the services built over it once: storage, the loaded register ([`register`]) and the
//! policy compiled from it, the keyring (reloaded after `skydd key rotate`, [`keys`]), the audit
//! sink, the vault and the [`clock`]. The operations that are not a single vault call live here
//! too: which register a (re)started instance serves ([`register::choose`]), backups and
//! restores ([`backup`]), token issuing ([`tokens`]), staff accounts, sign-in and console
//! sessions ([`staff`]), register version recording and history
//! ([`history`]), audit checkpoints ([`checkpoint`]), retention sweeps ([`retention`]), what
//! monitoring reads ([`operations`]), following the change log of decision facts so that
//! what other servers change reaches this one's memory ([`change_log`]), single sign-on with OpenID Connect ([`oidc`]), requests in the company's own databases ([`connected`],
//! [`erasure`], [`rectification`]), and the background [`jobs`] with one way to start and stop them.
//!
//! `now` comes from the one [`Clock`]; the domain crates are given it.
//!
//! ```no_run
//! # async fn run(data: skydd_app::instance::DataSettings, register: skydd_app::LoadedRegister)
//! # -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use skydd_app::{App, Jobs, JobSettings, SystemClock, instance::Create};
//!
//! let app = App::open(&data, Create::IfMissing, register, Arc::new(SystemClock)).await?;
//! let jobs = Jobs::spawn(&app, None, &JobSettings::default());
//! // ... serve ...
//! jobs.stop().await;
//! app.close().await?;
//! # Ok(())
//! # }
//! ```

pub mod backup;
pub mod centre;
pub mod change_log;
pub mod checkpoint;
pub mod clock;
pub mod connected;
pub mod datasets;
pub mod erasure;
pub mod history;
pub mod instance;
pub mod jobs;
pub mod keys;
pub mod oidc;
pub mod operations;
mod outbound;
pub mod rectification;
pub mod register;
pub mod retention;
mod services;
pub mod site;
pub mod staff;
pub mod tokens;

pub use clock::{Clock, FixedClock, SystemClock};
pub use jobs::{JobSettings, Jobs};
pub use register::LoadedRegister;
pub use services::{App, StartError};
