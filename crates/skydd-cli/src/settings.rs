//! Where an instance's data lives, as the serve and token commands take it: flag, then environment, then default.

use std::path::PathBuf;

use clap::Args;
use skydd_server::instance::DataSettings;

/// The options that locate an instance's data.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataArgs {
    /// Directory for the master key and the SQLite database (created on first start, mode 0700).
    #[arg(
        long,
        env = "SKYDD_DATA_DIR",
        default_value = "./skydd-data",
        value_name = "DIR"
    )]
    pub(crate) data_dir: PathBuf,
    /// Use this PostgreSQL database instead of SQLite (postgres://user@host/db).
    #[arg(
        long,
        env = "SKYDD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<String>,
}

impl DataArgs {
    /// The settings the server library opens an instance with.
    pub(crate) fn settings(&self) -> DataSettings {
        DataSettings {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|url| !url.is_empty()),
        }
    }
}
