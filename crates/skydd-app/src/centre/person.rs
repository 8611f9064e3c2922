//! What a signed-in person sees and does in the privacy centre: their data read once (the
//! vault's and every connected system's, read live with the identities they proved), the
//! downloads, and the actions that go through the vault's own operations with the actor
//! `centre:<session>`.

use jiff::Timestamp;
use skydd_consent::ObjectionSource;
use skydd_register::model::{Channel, Choice as _, LegalBasis, PurposeId, Role};
use skydd_requests::RequestType;
use skydd_subject::{Identity, IdentityKind};
use skydd_vault::{
    ConsentInput, PackageSystem, PersonData, PreferenceView, ProposedValue, RequestReceipt,
    VerifiedRequest,
};

use super::sign_in::{LiveSession, actor};
use super::{
    Centre, CentreConsent, CentreError, CentreLetter, CentrePreference, CentreRequest,
    CentreRequestForm, Client, DownloadFile, DownloadFormat, Objectable, Overview, Person,
};
use crate::connected::read_system;

impl Centre {
    /// The connected systems read live with the session's identities and, for a vault
    /// subject, every identity of the subject; none without datasets.
    async fn read_systems(
        &self,
        live: &LiveSession,
        now: Timestamp,
    ) -> Result<Vec<PackageSystem>, CentreError> {
        if self.app.datasets().is_empty() {
            return Ok(Vec::new());
        }
        let identities = self
            .app
            .vault()
            .person_identities(live.row.subject_id.as_deref(), &live.identities, now)
            .await?;
        let mut systems = Vec::new();
        for loaded in self.app.datasets().all() {
            let today = now.to_zoned(skydd_register::zone::stockholm()).date();
            systems.push(read_system(&loaded.dataset, &identities, today).await);
        }
        Ok(systems)
    }

    /// Everything the personal page shows, in `client.language`; reading it is audited.
    pub async fn overview(
        &self,
        client: &Client,
        person: &Person,
        now: Timestamp,
    ) -> Result<Overview, CentreError> {
        let live = self.live_session(person, now).await?;
        let systems = self.read_systems(&live, now).await?;
        let vault = self.app.vault();
        let data = vault
            .person_data(
                &actor(person, client),
                live.row.subject_id.as_deref(),
                &live.identities,
                client.language,
                now,
                systems,
            )
            .await?;
        Ok(Overview {
            portable: vault.has_portable_data(&data.package),
            consents: self.consents(&data, client),
            preferences: self.preferences(&data.preferences, client),
            objectable: self.objectable(&data, client),
            requests: requests(&data),
            package: data.package,
        })
    }

    /// The latest consent per purpose with the register's name and wording for it.
    fn consents(&self, data: &PersonData, client: &Client) -> Vec<CentreConsent> {
        let register = &self.app.register.register;
        data.consents
            .iter()
            .map(|view| {
                let purpose = register.purpose(&PurposeId(view.purpose.clone()));
                CentreConsent {
                    purpose: view.purpose.clone(),
                    name: purpose.map_or_else(
                        || view.purpose.clone(),
                        |p| p.name.get(client.language).to_owned(),
                    ),
                    wording: purpose
                        .and_then(|p| p.consent.as_ref())
                        .map(|c| c.wording.get(client.language).to_owned())
                        .unwrap_or_default(),
                    granted: view.granted,
                    at: view.at,
                    method: view.method.clone(),
                    notice_version: view.notice_version.clone(),
                }
            })
            .collect()
    }

    /// The channels direct marketing uses in the register (in the register's channel order)
    /// and the interest areas the person has a choice for, each with where they stand.
    fn preferences(&self, chosen: &[PreferenceView], client: &Client) -> Vec<CentrePreference> {
        let register = &self.app.register.register;
        let find =
            |kind: &str, name: &str| chosen.iter().find(|p| p.kind == kind && p.name == name);
        let mut preferences: Vec<CentrePreference> = Channel::ALL
            .iter()
            .filter(|(_, channel)| {
                register
                    .purposes
                    .iter()
                    .any(|p| p.direct_marketing && p.channels.contains(channel))
            })
            .map(|(word, channel)| {
                let stands = find("channel", word);
                CentrePreference {
                    kind: "channel".into(),
                    name: (*word).to_owned(),
                    label: skydd_notice::wording::channel(client.language, *channel).to_owned(),
                    opted_in: stands.map(|p| p.opted_in),
                    at: stands.map(|p| p.at),
                }
            })
            .collect();
        preferences.extend(chosen.iter().filter(|p| p.kind == "interest").map(|p| {
            CentrePreference {
                kind: p.kind.clone(),
                name: p.name.clone(),
                label: p.name.replace('_', " "),
                opted_in: Some(p.opted_in),
                at: Some(p.at),
            }
        }));
        preferences
    }

    /// The register's purposes a person may object to (the controller's, on legitimate
    /// interest or for direct marketing), with whether they have.
    fn objectable(&self, data: &PersonData, client: &Client) -> Vec<Objectable> {
        let register = &self.app.register.register;
        register
            .purposes
            .iter()
            .filter(|p| is_objectable(p))
            .map(|p| Objectable {
                purpose: p.id.as_str().to_owned(),
                name: p.name.get(client.language).to_owned(),
                direct_marketing: p.direct_marketing,
                objected: data.objections.iter().any(|(target, _)| {
                    target == p.id.as_str() || (target == "*" && p.direct_marketing)
                }),
            })
            .collect()
    }

    /// A download of the person's data; audited.
    pub async fn download(
        &self,
        client: &Client,
        person: &Person,
        format: DownloadFormat,
        now: Timestamp,
    ) -> Result<DownloadFile, CentreError> {
        let live = self.live_session(person, now).await?;
        let systems = self.read_systems(&live, now).await?;
        let vault = self.app.vault();
        let actor = actor(person, client);
        let subject = live.row.subject_id.as_deref();
        if format == DownloadFormat::PortableZip {
            let bytes = vault
                .person_portability_zip(&actor, subject, client.language, now, systems)
                .await?;
            return Ok(DownloadFile {
                filename: "personal-data.zip".into(),
                media_type: "application/zip",
                bytes,
            });
        }
        let package = vault
            .person_package(&actor, subject, client.language, now, systems)
            .await?;
        Ok(match format {
            DownloadFormat::Html => DownloadFile {
                filename: "personal-data.html".into(),
                media_type: "text/html; charset=utf-8",
                bytes: package.to_html().into_bytes(),
            },
            _ => DownloadFile {
                filename: "personal-data.json".into(),
                media_type: "application/json",
                bytes: serde_json::to_vec_pretty(&package)
                    .map_err(|e| skydd_vault::VaultError::Corrupt(e.to_string()))?,
            },
        })
    }

    /// Start a request, verified by the session (no second code).
    pub async fn submit_request(
        &self,
        client: &Client,
        person: &Person,
        form: CentreRequestForm,
        now: Timestamp,
    ) -> Result<RequestReceipt, CentreError> {
        let live = self.live_session(person, now).await?;
        if form.correction.is_some() && form.request_type != RequestType::Rectification {
            return Err(CentreError::Invalid {
                what: "a correction belongs only to a rectification request".into(),
                help: "choose rectification to propose a correction".into(),
            });
        }
        let identity = request_identity(&live.identities)?;
        let request = VerifiedRequest {
            request_type: form.request_type,
            identity,
            subject: live.row.subject_id.clone(),
            purpose: form.purpose,
            correction: form.correction.map(|c| ProposedValue {
                category: c.category,
                field: c.field,
                value: c.value,
            }),
            message: form.message,
        };
        Ok(self
            .app
            .vault()
            .submit_verified_request(&actor(person, client), request, now)
            .await?)
    }

    /// Withdraw consent to a purpose, as easily as it was given: one event, method
    /// `web_form`, effective at once.
    pub async fn withdraw_consent(
        &self,
        client: &Client,
        person: &Person,
        purpose: &str,
        now: Timestamp,
    ) -> Result<(), CentreError> {
        let register = &self.app.register.register;
        if register.purpose(&PurposeId(purpose.to_owned())).is_none() {
            return Err(CentreError::Invalid {
                what: "this is not a purpose of ours".into(),
                help: "choose a consent from the list on the page".into(),
            });
        }
        let subject = self.subject_of(person, now, "consent to withdraw").await?;
        let input = ConsentInput {
            subject,
            purpose: purpose.to_owned(),
            granted: false,
            method: "web_form".into(),
            notice_version: None,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            gpc: false,
            dnt: false,
        };
        Ok(self
            .app
            .vault()
            .record_consent(&actor(person, client), input, now)
            .await?)
    }

    /// Object to a purpose (Art. 21), effective at once for direct marketing.
    pub async fn object(
        &self,
        client: &Client,
        person: &Person,
        purpose: &str,
        now: Timestamp,
    ) -> Result<(), CentreError> {
        let register = &self.app.register.register;
        if !register
            .purpose(&PurposeId(purpose.to_owned()))
            .is_some_and(is_objectable)
        {
            return Err(CentreError::Invalid {
                what: "this purpose is not one you can object to here".into(),
                help: "choose a purpose from the list on the page, or make a request".into(),
            });
        }
        let subject = self
            .subject_of(person, now, "processing to object to")
            .await?;
        Ok(self
            .app
            .vault()
            .object(
                &actor(person, client),
                &subject,
                Some(purpose),
                ObjectionSource::AccountSettings,
                true,
                now,
            )
            .await?)
    }

    /// Opt in or out of a marketing channel or interest area.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_preference(
        &self,
        client: &Client,
        person: &Person,
        kind: &str,
        name: &str,
        opted_in: bool,
        now: Timestamp,
    ) -> Result<(), CentreError> {
        let known = match kind {
            "channel" => Channel::ALL.iter().any(|(word, _)| *word == name),
            "interest" => {
                !name.is_empty()
                    && name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            }
            _ => false,
        };
        if !known {
            // Refused here, so the vault's message (which names what it was given) is never
            // shown for whatever a form sent.
            return Err(CentreError::Invalid {
                what: "this is not a marketing channel or interest of ours".into(),
                help: "choose one from the list on the page".into(),
            });
        }
        let subject = self.subject_of(person, now, "marketing to choose").await?;
        Ok(self
            .app
            .vault()
            .set_preference(&actor(person, client), &subject, kind, name, opted_in, now)
            .await?)
    }

    /// Upload an identity document to one of the person's requests; its type is read from
    /// its content (PDF, JPEG, PNG), never from what the browser declared.
    pub async fn upload_document(
        &self,
        client: &Client,
        person: &Person,
        request_id: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<String, CentreError> {
        let live = self.live_session(person, now).await?;
        Ok(self
            .app
            .vault()
            .upload_person_document(
                &actor(person, client),
                live.row.subject_id.as_deref(),
                &live.identities,
                request_id,
                bytes,
                now,
            )
            .await?)
    }

    /// The vault subject of a live session; a person only connected systems know has no
    /// ledger there, so `what` (a consent to withdraw ...) is refused with a way forward.
    async fn subject_of(
        &self,
        person: &Person,
        now: Timestamp,
        what: &str,
    ) -> Result<String, CentreError> {
        let live = self.live_session(person, now).await?;
        live.row.subject_id.ok_or_else(|| CentreError::Invalid {
            what: format!("we hold no {what} for you here"),
            help: "make a request instead; the team answers it".into(),
        })
    }
}

/// Whether a person may object to `purpose` (Art. 21): the controller's own activity, on
/// legitimate interest or for direct marketing.
fn is_objectable(purpose: &skydd_register::model::Purpose) -> bool {
    purpose.role == Role::Controller
        && (purpose.direct_marketing || purpose.uses_basis(LegalBasis::LegitimateInterest))
}

/// The person's requests as the page lists them.
fn requests(data: &PersonData) -> Vec<CentreRequest> {
    data.requests
        .iter()
        .map(|r| CentreRequest {
            id: r.view.id.clone(),
            request_type: r.view.request_type,
            state: r.view.state,
            received_at: r.view.received_at,
            due_at: r.view.due_at,
            extended: r.view.extended,
            needs_document: r.needs_document,
            letters: r
                .letters
                .iter()
                .map(|l| CentreLetter {
                    kind: l.kind.clone(),
                    at: l.created_at,
                    state: l.state.as_str().to_owned(),
                })
                .collect(),
        })
        .collect()
}

/// The identity a centre request is made with: the e-mail address proved, else the phone.
fn request_identity(identities: &[Identity]) -> Result<Identity, CentreError> {
    identities
        .iter()
        .find(|i| i.kind() == IdentityKind::Email)
        .or_else(|| identities.first())
        .cloned()
        .ok_or(CentreError::NoSession)
}
