//! Requests reach the connected databases (issue 16, part 3): the access package and the
//! portability file read every dataset's database live with the request's verified
//! identities ([`skydd_connect::access::collect`], one read-only transaction per database).
//! No value read here is stored, logged or put in an error: it goes into the package only.
//!
//! Each system's outcome is kept per request ([`skydd_vault::SystemOutcome`]): reading for a
//! package records `done` (the receipt: collections and row counts) or `failed` with the
//! reason. [`App::run_connected_step`] is the one way a step that changes connected databases
//! (erasure, rectification) runs: per system, recorded, retrying only failed or pending ones.

use jiff::Timestamp;
use skydd_connect::access::{AccessFindings, collect};
use skydd_connect::{ConnectError, Database, read_url};
use skydd_dataset::Dataset;
use skydd_subject::Identity;
use skydd_vault::{
    AccessPackage, Actor, NewRequest, PackageConnectedValue, PackageSystem, RequestReceipt,
    SystemAction, SystemOutcome, SystemOutcomeView, SystemState, VaultError,
};

use crate::App;
use crate::datasets::LoadedDataset;

/// How one system's step of [`App::run_connected_step`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Done; the receipt (no personal value other than an erasure's primary keys, `keys`, and a
    /// rectification's `old_and_new`: both stay sealed, out of the audit and of views).
    Done(serde_json::Value),
    /// Failed, with the reason (no value, no connection string) and what was done before it.
    Failed {
        /// Why.
        reason: String,
        /// What the receipt can say (may be `null`).
        receipt: serde_json::Value,
    },
    /// Not run, with the reason; the request cannot complete until it is dealt with.
    Skipped(String),
}

/// Read what `identities` reach in the database `dataset` describes: connect (the connection
/// string read now, from where the dataset says), collect, close. A database that cannot be
/// reached or read is a [`PackageSystem`] with `failed` set to the reason (scrubbed: no
/// connection string, no value).
pub async fn read_system(
    dataset: &Dataset,
    identities: &[Identity],
    today: jiff::civil::Date,
) -> PackageSystem {
    let mut system = PackageSystem {
        system: dataset.name.clone(),
        description: dataset.description.clone(),
        failed: None,
        values: Vec::new(),
    };
    match findings(dataset, identities, Some(today)).await {
        Ok(found) => system.values = values(&found),
        Err(error) => {
            tracing::warn!(dataset = %dataset.name, error = %error, "a connected database could not be read");
            system.failed = Some(error.to_string());
        }
    }
    system
}

/// What `identities` reach in the database `dataset` describes; with `mentions_on` (the day, for
/// an access package) also the rows whose free text mentions the person.
async fn findings(
    dataset: &Dataset,
    identities: &[Identity],
    mentions_on: Option<jiff::civil::Date>,
) -> Result<AccessFindings, ConnectError> {
    let url = read_url(&dataset.connection)?;
    let mut database = Database::connect(dataset.kind, &url, dataset.tls.as_ref()).await?;
    let found = match mentions_on {
        Some(today) => {
            skydd_connect::access::collect_with_mentions(&mut database, dataset, identities, today)
                .await
        }
        None => collect(&mut database, dataset, identities).await,
    };
    database.close().await;
    found
}

/// The receipt of a read: rows per collection, never a value.
fn access_receipt(system: &PackageSystem) -> serde_json::Value {
    let mut rows: Vec<(String, std::collections::BTreeSet<&str>)> = Vec::new();
    for value in &system.values {
        match rows.iter_mut().find(|(c, _)| *c == value.collection) {
            Some((_, keys)) => {
                keys.insert(&value.row);
            }
            None => rows.push((value.collection.clone(), [value.row.as_str()].into())),
        }
    }
    serde_json::json!({
        "collections": rows
            .iter()
            .map(|(collection, keys)| serde_json::json!({"collection": collection, "rows": keys.len()}))
            .collect::<Vec<_>>(),
        "values": system.values.len(),
    })
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
                    mentioned: row.mentioned,
                });
            }
        }
    }
    values
}

impl App {
    /// Register a data-subject request ([`skydd_vault::Vault::submit_request`]). A request made
    /// with an e-mail address (not for a tenant) first asks every connected database whether
    /// that address reaches any row: if one does, the vault sends the code to the address even
    /// when it has no subject for it, so a customer known only to the company's own systems can
    /// verify and be answered. The answer to the submitter is the same either way. A database
    /// that cannot be read counts as not holding it (logged by name, never the address).
    pub async fn submit_request(
        &self,
        actor: &Actor,
        mut new: NewRequest,
        now: Timestamp,
    ) -> Result<RequestReceipt, VaultError> {
        let for_tenant = new.tenant.is_some() || actor.tenant.is_some();
        if new.identity_kind == "email" && !for_tenant && !self.datasets().is_empty() {
            new.held_elsewhere = self.held_in_connected(&new.identity_value, now).await;
        }
        self.vault().submit_request(actor, new, now).await
    }

    /// Whether any connected database holds a row the e-mail address `raw` reaches; false for
    /// an address that does not parse (the vault then refuses the request and says why).
    async fn held_in_connected(&self, raw: &str, now: Timestamp) -> bool {
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let context = skydd_subject::ParseContext::sweden(today);
        let Ok(identity) = Identity::parse(skydd_subject::IdentityKind::Email, raw, context) else {
            return false;
        };
        self.connected_holds(&identity).await
    }

    /// Whether any connected database holds a row `identity` reaches (each asked in turn, in
    /// its own read-only transaction; one that cannot be read counts as not holding it, logged
    /// by name, never the value). Intake and the privacy centre's sign-in ask it.
    pub(crate) async fn connected_holds(&self, identity: &Identity) -> bool {
        for loaded in self.datasets().all() {
            match findings(&loaded.dataset, std::slice::from_ref(identity), None).await {
                Ok(found) if !found.collections.is_empty() => return true,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(dataset = %loaded.dataset.name, error = %error, "a connected database could not be asked whether it holds a requester");
                }
            }
        }
        false
    }

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
        let vault = self.vault();
        let identities = vault.package_identities(actor, id, now).await?;
        let mut systems = Vec::new();
        for loaded in self.datasets().all() {
            let today = skydd_register::zone::stockholm_date(now);
            let system = read_system(&loaded.dataset, &identities, today).await;
            let state = match &system.failed {
                Some(reason) => SystemState::Failed(reason.clone()),
                None => SystemState::Done,
            };
            let outcome = SystemOutcome {
                system: system.system.clone(),
                action: SystemAction::Access,
                state,
                receipt: access_receipt(&system),
            };
            vault.record_system_outcome(actor, id, outcome, now).await?;
            systems.push(system);
        }
        Ok(systems)
    }

    /// Fulfil request `id` ([`skydd_vault::Vault::fulfil_request`]) after its steps in the
    /// connected systems: for a verified access or portability request, a read of every
    /// system that has no `done` read yet; for a verified erasure request, the erasure step
    /// ([`crate::erasure`]) in every system not `done` (done ones are never rerun), whose
    /// receipts the completion letter then names; for a verified rectification request with
    /// connected corrections, the rectification step ([`crate::rectification`]) likewise. The outcome of each is recorded, and the
    /// vault refuses to complete (and erases nothing of its own) while one is not done.
    pub async fn fulfil_request(
        &self,
        actor: &Actor,
        id: &str,
        mut input: skydd_vault::FulfilInput,
        now: Timestamp,
    ) -> Result<skydd_vault::RequestView, VaultError> {
        let vault = self.vault();
        if self.datasets().is_empty() && !input.connected_corrections.is_empty() {
            return Err(VaultError::Invalid {
                what: "`connected_corrections` are given but no connected database is served"
                    .into(),
                help: "start the server (or the command) with --dataset for the systems to correct"
                    .into(),
            });
        }
        if !self.datasets().is_empty() {
            let view = vault.request(actor, id, now).await?;
            let open = view.state.identity_checked() && !view.state.is_closed();
            if view.request_type == skydd_requests::RequestType::Erasure && open {
                input.connected_erasures = self.erase_connected(actor, id, now).await?;
            }
            if view.request_type == skydd_requests::RequestType::Rectification
                && open
                && !input.connected_corrections.is_empty()
            {
                self.rectify_connected(actor, id, &input.connected_corrections, now)
                    .await?;
            }
            if view.request_type.discloses_data() && view.state.identity_checked() {
                let outcomes = vault.system_outcomes(actor, id).await?;
                let unread = self.datasets().all().iter().any(|d| {
                    !outcomes.iter().any(|o| {
                        o.system == d.dataset.name
                            && o.action == SystemAction::Access.as_str()
                            && o.state == "done"
                    })
                });
                if unread {
                    self.read_connected(actor, id, now).await?;
                }
            }
        }
        if let Some(transmission) = input.transmit_to.take() {
            let sent = self
                .transmit(actor, id, &transmission, input.provide_copy, now)
                .await?;
            input.transmitted_to = Some(sent);
        }
        vault.fulfil_request(actor, id, input, now).await
    }

    /// Send a verified, open portability request's file directly to another controller (Art.
    /// 20(2)): the zip [`App::portability_zip`] makes, POSTed as `application/zip` to the
    /// endpoint the person gave, with its bearer token if any. Only a 2xx answer counts; any
    /// other, or no answer, is an error naming the endpoint's origin and the status, and the
    /// request is not completed (fulfil again, or without `transmit_to` to hand the file to the
    /// person). Nothing of the answer is read beyond its status.
    async fn transmit(
        &self,
        actor: &Actor,
        id: &str,
        transmission: &skydd_vault::Transmission,
        provide_copy: bool,
        now: Timestamp,
    ) -> Result<skydd_vault::Transmitted, VaultError> {
        let view = self.vault().request(actor, id, now).await?;
        if view.request_type != skydd_requests::RequestType::Portability {
            return Err(VaultError::invalid(
                "`transmit_to` is given for a request that is not for portability",
                "only a portability request's file can be sent to another controller (Art. 20(2))",
            ));
        }
        let controller = transmission.controller.trim();
        if controller.is_empty()
            || controller.chars().count() > 200
            || controller.chars().any(char::is_control)
        {
            return Err(VaultError::invalid(
                "`transmit_to.controller` is empty, longer than 200 characters or has control characters",
                "give the receiving controller's name as the person gave it",
            ));
        }
        let url = url::Url::parse(&transmission.url)
            .ok()
            .filter(crate::outbound::allowed)
            .ok_or_else(|| {
                VaultError::invalid(
                    "`transmit_to.url` is not an https:// URL",
                    "give the receiving controller's endpoint: https://, or http:// to a loopback address",
                )
            })?;
        let origin = crate::outbound::origin(&url);
        let refused_anyway = !view.state.identity_checked()
            || view.state.is_closed()
            || (view.needs_decision.is_some() && !provide_copy);
        if refused_anyway {
            // Let the fulfilment refuse it with its own words; nothing is sent, so a second
            // attempt after the decision sends the file once.
            return Ok(skydd_vault::Transmitted {
                controller: controller.to_owned(),
                origin,
            });
        }
        if view.subject_id.is_none() && self.datasets().is_empty() {
            return Err(VaultError::invalid(
                "there is no data about the requester to send",
                "fulfil without `transmit_to`: the letter tells the person that no data was found",
            ));
        }
        let zip = self.portability_zip(actor, id, now).await?;
        let mut headers = Vec::new();
        if let Some(token) = &transmission.token {
            let value =
                hyper::header::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    VaultError::invalid(
                        "`transmit_to.token` is not a valid header value",
                        "give the token as printable ASCII",
                    )
                })?;
            headers.push((hyper::header::AUTHORIZATION, value));
        }
        let refused = |reason: String| {
            VaultError::invalid(
                format!("the receiving endpoint {origin} did not accept the file: {reason}"),
                "check the endpoint with the receiving controller and fulfil again, or fulfil without `transmit_to` and hand the file to the person",
            )
        };
        match crate::outbound::post_bytes(&url, "application/zip", zip.into(), headers).await {
            Ok(answer) if answer.status.is_success() => Ok(skydd_vault::Transmitted {
                controller: controller.to_owned(),
                origin,
            }),
            Ok(answer) => Err(refused(format!("HTTP {}", answer.status.as_u16()))),
            Err(error) => Err(refused(error.to_string())),
        }
    }

    /// Run `step` for request `id` in every connected system whose outcome for `action` is
    /// not `done` or `skipped` (never run, `pending` after a crash, or `failed`), recording
    /// `pending` before it runs and its [`StepOutcome`] after. Returns every outcome of the
    /// request. This is the hook erasure and rectification run through: `step` gets the
    /// system's dataset and does its work in one transaction there.
    pub async fn run_connected_step<F, Fut>(
        &self,
        actor: &Actor,
        id: &str,
        action: SystemAction,
        now: Timestamp,
        mut step: F,
    ) -> Result<Vec<SystemOutcomeView>, VaultError>
    where
        F: FnMut(LoadedDataset) -> Fut,
        Fut: std::future::Future<Output = StepOutcome>,
    {
        let vault = self.vault();
        let recorded = vault.system_outcomes(actor, id).await?;
        for loaded in self.datasets().all() {
            let name = &loaded.dataset.name;
            let settled = recorded.iter().any(|o| {
                &o.system == name
                    && o.action == action.as_str()
                    && matches!(o.state.as_str(), "done" | "skipped")
            });
            if settled {
                continue;
            }
            // `pending` keeps what an earlier run recorded (an erasure's primary keys, written
            // just before a commit a crash then overtook): a rerun killed before it records its
            // own must not lose them.
            let earlier = recorded
                .iter()
                .find(|o| &o.system == name && o.action == action.as_str())
                .map_or(serde_json::Value::Null, |o| o.receipt.clone());
            let pending = SystemOutcome {
                system: name.clone(),
                action,
                state: SystemState::Pending,
                receipt: earlier,
            };
            vault.record_system_outcome(actor, id, pending, now).await?;
            let (state, receipt) = match step(loaded.clone()).await {
                StepOutcome::Done(receipt) => (SystemState::Done, receipt),
                StepOutcome::Failed { reason, receipt } => (SystemState::Failed(reason), receipt),
                StepOutcome::Skipped(reason) => {
                    (SystemState::Skipped(reason), serde_json::Value::Null)
                }
            };
            let outcome = SystemOutcome {
                system: name.clone(),
                action,
                state,
                receipt,
            };
            vault.record_system_outcome(actor, id, outcome, now).await?;
        }
        vault.system_outcomes(actor, id).await
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
