//! Rectification in the connected databases (issue 16, part 3, Art. 16; promises P000-56 and
//! P003-36): the corrected values written per system in one transaction
//! ([`skydd_connect::rectify::rectify`]), a step per system run before the vault's own
//! corrections. The receipt names the collections, fields and row counts changed (audited);
//! the old and new values are kept only in the sealed receipt (`old_and_new`), never in the
//! audit chain, a view or a log.

use jiff::Timestamp;
use serde::Serialize;
use skydd_connect::access::{self, AccessFindings};
use skydd_connect::rectify::{self, Concerns, Correction, RectificationReceipt};
use skydd_connect::{ConnectError, Database, read_url};
use skydd_dataset::{Dataset, FieldPath};
use skydd_register::model::CategoryId;
use skydd_subject::Identity;
use skydd_vault::{Actor, ConnectedCorrection, SystemAction, VaultError};

use crate::App;
use crate::connected::StepOutcome;

/// The old values of one field a rectification changed, and the new one: personal data,
/// stored only in the sealed receipt.
#[derive(Debug, Clone, Serialize)]
struct OldAndNew {
    collection: String,
    field: String,
    old: Vec<Option<String>>,
    new: String,
}

/// `collection.field` or a category, as a correction's target.
fn concerns(word: &str) -> Concerns {
    match word.split_once('.') {
        Some((collection, field)) => Concerns::Field(FieldPath {
            collection: collection.to_owned(),
            field: field.to_owned(),
        }),
        None => Concerns::Category(CategoryId(word.to_owned())),
    }
}

/// The corrections as the engine takes them.
fn corrections(given: &[ConnectedCorrection]) -> Vec<Correction> {
    given
        .iter()
        .map(|c| Correction {
            concerns: concerns(&c.concerns),
            value: c.value.clone(),
        })
        .collect()
}

/// The values the corrections will replace, read before writing: per changed field of the
/// receipt, the distinct old values and the new one.
fn old_and_new(
    before: &AccessFindings,
    receipt: &RectificationReceipt,
    corrections: &[Correction],
) -> Vec<OldAndNew> {
    let mut out = Vec::new();
    for changed in &receipt.collections {
        let Some(found) = before.collection(&changed.collection) else {
            continue;
        };
        for (field, rows) in &changed.fields {
            if *rows == 0 {
                continue;
            }
            let mut old: Vec<Option<String>> = Vec::new();
            let mut category = None;
            for row in &found.rows {
                for f in row.fields.iter().filter(|f| &f.name == field) {
                    category = Some(f.category.clone());
                    let value = f.value.expose().map(str::to_owned);
                    if !old.contains(&value) {
                        old.push(value);
                    }
                }
            }
            let new = corrections
                .iter()
                .rev()
                .find(|c| match &c.concerns {
                    Concerns::Field(path) => {
                        path.collection == changed.collection && &path.field == field
                    }
                    Concerns::Category(c) => category.as_ref() == Some(c),
                })
                .map(|c| c.value.clone())
                .unwrap_or_default();
            out.push(OldAndNew {
                collection: changed.collection.clone(),
                field: field.clone(),
                old,
                new,
            });
        }
    }
    out
}

/// Rectify in the database `dataset` describes: connect writable, read the values about to
/// change (one read-only transaction), write the corrections (one write transaction), close.
/// Never fails: an error is [`StepOutcome::Failed`] with a reason naming no value.
pub async fn rectify_system(
    dataset: &Dataset,
    identities: &[Identity],
    corrections: &[Correction],
) -> StepOutcome {
    match rectify_in(dataset, identities, corrections).await {
        Ok((receipt, changes)) => {
            let mut receipt = serde_json::to_value(&receipt).unwrap_or(serde_json::Value::Null);
            if let Some(members) = receipt.as_object_mut() {
                members.insert(
                    "old_and_new".into(),
                    serde_json::to_value(&changes).unwrap_or(serde_json::Value::Null),
                );
            }
            StepOutcome::Done(receipt)
        }
        Err(error) => {
            tracing::warn!(dataset = %dataset.name, error = %error, "a rectification in a connected database failed");
            StepOutcome::Failed {
                reason: error.to_string(),
                receipt: serde_json::Value::Null,
            }
        }
    }
}

async fn rectify_in(
    dataset: &Dataset,
    identities: &[Identity],
    corrections: &[Correction],
) -> Result<(RectificationReceipt, Vec<OldAndNew>), ConnectError> {
    let url = read_url(&dataset.connection)?;
    let mut database = Database::connect_writable(dataset.kind, &url, dataset.tls.as_ref()).await?;
    let outcome = async {
        let before = access::collect(&mut database, dataset, identities).await?;
        let receipt = rectify::rectify(&mut database, dataset, identities, corrections).await?;
        let changes = old_and_new(&before, &receipt, corrections);
        Ok((receipt, changes))
    }
    .await;
    database.close().await;
    outcome
}

impl App {
    /// Run the rectification step of request `id` with `given` in every connected system not
    /// done yet (see [`App::run_connected_step`]). Refused, writing nothing, when no dataset is
    /// served.
    pub(crate) async fn rectify_connected(
        &self,
        actor: &Actor,
        id: &str,
        given: &[ConnectedCorrection],
        now: Timestamp,
    ) -> Result<(), VaultError> {
        if self.datasets().is_empty() {
            return Err(VaultError::Invalid {
                what: "`connected_corrections` are given but no connected database is served"
                    .into(),
                help: "start the server (or the command) with --dataset for the systems to correct"
                    .into(),
            });
        }
        let identities = self.vault().verified_identities(actor, id, now).await?;
        let corrections = corrections(given);
        let (identities, corrections) = (&identities, &corrections);
        self.run_connected_step(
            actor,
            id,
            SystemAction::Rectification,
            now,
            |loaded| async move { rectify_system(&loaded.dataset, identities, corrections).await },
        )
        .await?;
        Ok(())
    }
}
