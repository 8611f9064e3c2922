//! `GET /openapi.json`: the OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    audit, consents, decisions, disclosures, features, health, incidents, metrics, notice,
    preferences, records, register, requests, subjects, unsubscribe, versions,
};
use crate::problem::Problem;

/// The API description. Every `/v1` operation requires the `bearer` security scheme; the
/// `/unsubscribe` pages and the `/privacy` notice are public.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Skydd API",
        description = "Privacy operations: the register of processing, data subjects and their \
                       encrypted records, the consent ledger, and decisions on every use of \
                       personal data. Errors are RFC 9457 problem documents."
    ),
    paths(
        health::healthz,
        health::readyz,
        metrics::metrics,
        register::get_register,
        notice::get_record,
        notice::privacy,
        versions::versions,
        versions::version,
        subjects::create_subject,
        subjects::find_subject,
        subjects::get_subject,
        records::create_record,
        records::read_records,
        records::set_anchor,
        consents::record_consent,
        consents::get_consents,
        consents::record_objection,
        preferences::set_preference,
        preferences::unsubscribe_link,
        unsubscribe::show,
        unsubscribe::unsubscribe,
        decisions::decide,
        features::switch_organisation_feature,
        features::get_organisation_feature,
        features::switch_project_feature,
        features::get_project_feature,
        incidents::report_incident,
        incidents::list_incidents,
        incidents::get_incident,
        incidents::notify_authority,
        incidents::no_notification,
        incidents::reassess,
        incidents::inform_subjects,
        incidents::communication_exemption,
        incidents::close_incident,
        disclosures::disclose,
        disclosures::list_disclosures,
        requests::submit_request,
        requests::list_requests,
        requests::get_request,
        requests::verify_request,
        requests::upload_document,
        requests::extend_request,
        requests::fulfil_request,
        requests::reject_request,
        requests::get_package,
        audit::list_audit,
    ),
    components(schemas(
        Problem,
        health::Health,
        health::Readiness,
        register::RegisterResponse,
        notice::RecordResponse,
        versions::VersionsResponse,
        versions::VersionResponse,
        versions::VersionChangesResponse,
        versions::SignificantChange,
        subjects::Identities,
        subjects::CreateSubjectRequest,
        subjects::Created,
        subjects::SubjectResponse,
        records::CreateRecordRequest,
        records::SetAnchorRequest,
        records::RecordResponse,
        records::WithheldResponse,
        records::RecordsResponse,
        consents::ConsentRequest,
        consents::ConsentRecorded,
        consents::ConsentEventResponse,
        consents::ObjectionInForce,
        consents::ConsentsResponse,
        consents::ObjectionRequest,
        consents::ObjectionRecorded,
        preferences::PreferenceRequest,
        preferences::PreferenceResponse,
        preferences::UnsubscribeLinkResponse,
        unsubscribe::UnsubscribeForm,
        decisions::DecisionResponse,
        features::SwitchFeatureRequest,
        features::FeatureResponse,
        incidents::ReportIncidentRequest,
        incidents::NotificationRequest,
        incidents::NoNotificationRequest,
        incidents::AssessmentRequest,
        incidents::CommunicationRequest,
        incidents::CommunicationResponse,
        incidents::CommunicationExemptionRequest,
        incidents::CloseRequest,
        incidents::EntryResponse,
        incidents::IncidentResponse,
        incidents::IncidentsResponse,
        disclosures::DecisionRequest,
        disclosures::DisclosureRequest,
        disclosures::DisclosureResponse,
        disclosures::DisclosuresResponse,
        requests::RequestIdentity,
        requests::SubmitRequest,
        requests::ReceiptResponse,
        requests::RequestEventResponse,
        requests::RecipientNoticeResponse,
        requests::RequestResponse,
        requests::VerifyRequest,
        requests::ExtendRequest,
        requests::RejectRequest,
        requests::CorrectionBody,
        requests::FulfilRequest,
        requests::DocumentStored,
        audit::AuditEntryResponse,
        audit::AuditPage,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "health", description = "Liveness and readiness."),
        (name = "register", description = "The register of processing (GDPR Art. 30)."),
        (name = "notice", description = "The public privacy notice, written from the register."),
        (name = "subjects", description = "Data subjects, found by any identity."),
        (name = "records", description = "Personal data, encrypted per subject, read under a purpose."),
        (name = "consents", description = "The consent ledger and objections (Art. 7, Art. 21)."),
        (name = "preferences", description = "Marketing channels and interest areas, and the \
            signed unsubscribe link for messages."),
        (name = "unsubscribe", description = "Public HTML pages behind the unsubscribe link: no \
            API token, the link's signature is the authority."),
        (name = "decisions", description = "May a purpose use a category of a subject's data now?"),
        (name = "features", description = "Features an organisation or project must opt in to."),
        (name = "incidents", description = "Personal data breaches: documented, notified to the \
            authority within 72 hours (Art. 33) and communicated to the subjects (Art. 34)."),
        (name = "disclosures", description = "Disclosures to authorities, only on a court \
            decision or similar decision."),
        (name = "requests", description = "Data-subject requests (Art. 12-22): public intake and \
            identity check, deadlines, fulfilment, the access package."),
        (name = "audit", description = "The tamper-evident audit trail, for admins and auditors."),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme: `Authorization: Bearer TOKEN` with a token from
/// `skydd token create`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `skydd token create`."))
                    .build(),
            ),
        );
    }
}

/// Serve the OpenAPI document.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
