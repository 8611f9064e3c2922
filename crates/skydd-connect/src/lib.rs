//! Connections to the company's own databases that datasets describe (issue 16): reading the
//! connection string from where the dataset says without ever showing it, TLS, the live schema
//! (tables, columns, keys, indexes) of PostgreSQL, MySQL/MariaDB and SQLite, the live check of a
//! dataset against that schema, drafting a dataset from a schema, reading what a subject's
//! identities reach ([`access`]), and writing through the same graph: erasure ([`erase`], on the
//! primitive [`apply`]) and rectification ([`rectify`]). Free text that mentions a subject in
//! rows the graph does not reach is found and redacted by [`mention`].
//!
//! The service layer: it does I/O (the environment, a connection file, the database) and
//! builds on `skydd-dataset` (the checked file) and `skydd-register` (diagnostics, categories).
//! Every read of a database runs in one read-only transaction; every erasure, replay and
//! rectification in one write transaction per database. Retention sweeps ([`sweep`]) delete or
//! mask rows past their register rule in bounded batches, one transaction each.

pub mod access;
pub mod apply;
mod database;
pub mod draft;
pub mod erase;
pub mod live;
pub mod mention;
pub mod rectify;
pub mod schema;
mod secret;
pub mod sweep;

pub use database::Database;
pub use schema::{Column, ForeignKey, Index, Schema, Table};
pub use secret::{DatabaseUrl, read_url};

/// Why a connected database could not be reached or read. No variant ever holds the
/// connection string or its password: driver messages are scrubbed before they are kept.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The connection string could not be read (variable unset, file missing or readable by
    /// others).
    #[error("{0}")]
    Source(String),
    /// The database refused or could not be reached.
    #[error("cannot connect to the {kind} database: {reason}")]
    Connect {
        /// `postgres`, `mysql` or `sqlite`.
        kind: &'static str,
        /// The driver's reason, scrubbed of the URL and password.
        reason: String,
    },
    /// Reading the catalog failed.
    #[error("cannot read the schema of the {kind} database: {reason}")]
    Read {
        /// `postgres`, `mysql` or `sqlite`.
        kind: &'static str,
        /// The driver's reason.
        reason: String,
    },
    /// Reading a subject's rows failed (access through the graph); the reason names the
    /// collection and the SQLSTATE, never a value.
    #[error("cannot read the subject's rows from the {kind} database: {reason}")]
    Access {
        /// `postgres`, `mysql` or `sqlite`.
        kind: &'static str,
        /// What was being read and the database's SQLSTATE.
        reason: String,
    },
    /// Writing (erasure, rectification, replay) failed and the transaction was rolled back;
    /// the reason names the collection and the SQLSTATE, never a value.
    #[error("cannot write to the {kind} database: {reason}")]
    Write {
        /// `postgres`, `mysql` or `sqlite`.
        kind: &'static str,
        /// What was being written and the database's SQLSTATE.
        reason: String,
    },
}

/// Open the database a checked dataset describes and read its schema: the URL from the
/// dataset's `connection`, its TLS options, one read-only transaction.
pub async fn live_schema(dataset: &skydd_dataset::Dataset) -> Result<Schema, ConnectError> {
    let url = read_url(&dataset.connection)?;
    let mut database = Database::connect(dataset.kind, &url, dataset.tls.as_ref()).await?;
    let schema = database.schema().await;
    database.close().await;
    schema
}
