//! The `skydd` subcommands, one module each.

pub(crate) mod audit;
pub(crate) mod incidents;
pub(crate) mod key;
pub(crate) mod notice;
pub(crate) mod register;
pub(crate) mod requests;
pub(crate) mod retention;
pub(crate) mod serve;
pub(crate) mod token;

use anyhow::Context as _;
use skydd_server::instance::{self, Create, Instance};

use crate::settings::DataArgs;

/// Open the instance (data directory and database) that `data` names, which must exist.
pub(crate) async fn open_existing(data: &DataArgs) -> anyhow::Result<Instance> {
    let settings = data.settings();
    instance::open(&settings, Create::Never)
        .await
        .with_context(|| {
            format!(
                "cannot open the instance in {}",
                settings.data_dir.display()
            )
        })
}
