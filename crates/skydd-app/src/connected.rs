//! Requests reach the connected databases (issue 16, part 3): the access package and the
//! portability file read every dataset's database live with the request's verified
//! identities ([`skydd_connect::access::collect`], one read-only transaction per database).
//! No value read here is stored, logged or put in an error: it goes into the package only.

use jiff::Timestamp;
use skydd_connect::access::{AccessFindings, collect};
use skydd_connect::{ConnectError, Database, read_url};
use skydd_dataset::Dataset;
use skydd_subject::Identity;
use skydd_vault::{AccessPackage, Actor, PackageConnectedValue, PackageSystem, VaultError};

use crate::App;

/// Read what `identities` reach in the database `dataset` describes: connect (the connection
/// string read now, from where the dataset says), collect, close. A database that cannot be
/// reached or read is a [`PackageSystem`] with `failed` set to the reason (scrubbed: no
/// connection string, no value).
pub async fn read_system(dataset: &Dataset, identities: &[Identity]) -> PackageSystem {
    let mut system = PackageSystem {
        system: dataset.name.clone(),
        description: dataset.description.clone(),
        failed: None,
        values: Vec::new(),
    };
    match findings(dataset, identities).await {
        Ok(found) => system.values = values(&found),
        Err(error) => {
            tracing::warn!(dataset = %dataset.name, error = %error, "a connected database could not be read");
            system.failed = Some(error.to_string());
        }
    }
    system
}

async fn findings(
    dataset: &Dataset,
    identities: &[Identity],
) -> Result<AccessFindings, ConnectError> {
    let url = read_url(&dataset.connection)?;
    let mut database = Database::connect(dataset.kind, &url, dataset.tls.as_ref()).await?;
    let found = collect(&mut database, dataset, identities).await;
    database.close().await;
    found
}

/// The findings as labelled values: per collection, row and categorised field.
fn values(found: &AccessFindings) -> Vec<PackageConnectedValue> {
    let mut values = Vec::new();
    for collection in &found.collections {
        for row in &collection.rows {
            let key = row
                .key
                .iter()
                .map(|(column, value)| format!("{column}={}", value.expose().unwrap_or("NULL")))
                .collect::<Vec<_>>()
                .join(", ");
            for field in &row.fields {
                values.push(PackageConnectedValue {
                    collection: collection.collection.clone(),
                    row: key.clone(),
                    category: field.category.as_str().to_owned(),
                    field: field.name.clone(),
                    value: field.value.expose().map(str::to_owned),
                });
            }
        }
    }
    values
}

impl App {
    /// Read every connected database for the verified access or portability request `id`
    /// (one after the other, each in its own read-only transaction); empty without datasets.
    /// Refused, reading nothing, when the request may not have a package.
    pub async fn read_connected(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<PackageSystem>, VaultError> {
        if self.datasets().is_empty() {
            return Ok(Vec::new());
        }
        let identities = self.vault().package_identities(actor, id, now).await?;
        let mut systems = Vec::new();
        for loaded in self.datasets().all() {
            systems.push(read_system(&loaded.dataset, &identities).await);
        }
        Ok(systems)
    }

    /// The access package (Art. 15) of a verified access or portability request: the vault's
    /// data and what every connected database holds, read live.
    pub async fn access_package(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<AccessPackage, VaultError> {
        let systems = self.read_connected(actor, id, now).await?;
        self.vault()
            .access_package_with(actor, id, now, systems)
            .await
    }

    /// The portability file (Art. 20) of a verified portability request, with the portable
    /// values of every connected database, read live.
    pub async fn portability_zip(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<u8>, VaultError> {
        let systems = self.read_connected(actor, id, now).await?;
        self.vault()
            .portability_zip_with(actor, id, now, systems)
            .await
    }
}
