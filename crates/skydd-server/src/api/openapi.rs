//! `GET /openapi.json`: the OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Object, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::{
    agreements, attributes, audit, banner, consents, datasets, decisions, disclosures, features,
    health, imports, incidents, metrics, notice, preferences, records, register, requests,
    security, signals, subjects, unsubscribe, versions,
};
use crate::extract::REGISTER_ID_PATTERN;
use crate::problem::{PROBLEM_JSON, Problem};

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
        datasets::list_datasets,
        datasets::get_dataset,
        notice::privacy,
        versions::versions,
        versions::version,
        subjects::create_subject,
        subjects::find_subject,
        subjects::get_subject,
        attributes::set_attribute,
        attributes::remove_attribute,
        attributes::get_attributes,
        agreements::record_agreement,
        agreements::list_agreements,
        records::create_record,
        records::read_records,
        records::set_anchor,
        consents::record_consent,
        consents::get_consents,
        consents::record_objection,
        signals::record_signals,
        imports::import,
        preferences::set_preference,
        preferences::unsubscribe_link,
        unsubscribe::show,
        unsubscribe::unsubscribe,
        decisions::decide,
        decisions::decide_many,
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
        security::record_review,
        security::list_reviews,
        requests::submit_request,
        requests::list_requests,
        requests::get_request,
        requests::verify_request,
        requests::confirm_identity,
        requests::upload_document,
        requests::extend_request,
        requests::fulfil_request,
        requests::assign_request,
        requests::reject_request,
        requests::get_package,
        requests::erasure_plan,
        audit::list_audit,
        banner::config,
        banner::log_choice,
        banner::list_choices,
        crate::banner_assets::script,
        crate::banner_assets::stylesheet,
    ),
    components(schemas(
        Problem,
        health::Health,
        health::Readiness,
        register::RegisterResponse,
        notice::Art30RecordResponse,
        datasets::DatasetsResponse,
        datasets::DatasetResponse,
        datasets::CollectionResponse,
        datasets::RetentionResponse,
        datasets::FieldResponse,
        datasets::ReferenceResponse,
        notice::NoticeFormat,
        notice::RecordFormat,
        versions::HistoryFormat,
        versions::VersionsResponse,
        versions::VersionResponse,
        versions::VersionChangesResponse,
        versions::SignificantChange,
        subjects::Identities,
        subjects::CreateSubjectRequest,
        subjects::Created,
        subjects::SubjectResponse,
        attributes::SetAttributeRequest,
        attributes::AttributeResponse,
        attributes::AttributesResponse,
        agreements::AgreementRequest,
        agreements::AgreementResponse,
        agreements::AgreementsResponse,
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
        consents::ObjectionChannel,
        signals::SignalsRequest,
        signals::SignalName,
        signals::SignalsRecorded,
        signals::SignalRecorded,
        signals::ObjectsTo,
        consents::ObjectionRecorded,
        imports::ImportResponse,
        imports::ImportLineError,
        preferences::PreferenceRequest,
        preferences::PreferenceResponse,
        preferences::UnsubscribeLinkResponse,
        unsubscribe::UnsubscribeForm,
        decisions::DecisionResponse,
        decisions::DecisionQuery,
        decisions::DecisionBatch,
        decisions::DecisionAnswers,
        decisions::DecisionAnswer,
        decisions::QuestionError,
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
        disclosures::DisclosedSubjectResponse,
        disclosures::DisclosedRecordResponse,
        disclosures::DisclosuresResponse,
        security::SecurityReviewRequest,
        security::SecurityReviewResponse,
        security::SecurityReviewsResponse,
        requests::RequestIdentity,
        requests::SubmitRequest,
        requests::ReceiptResponse,
        requests::RequestEventResponse,
        requests::RecipientNoticeResponse,
        requests::RequestResponse,
        requests::SystemResponse,
        requests::SystemOutcomeResponse,
        requests::ErasurePlanResponse,
        requests::SystemPlanResponse,
        requests::CoveredField,
        requests::VerifyRequest,
        requests::ConfirmIdentity,
        requests::ExtendRequest,
        requests::AssignRequest,
        requests::RejectRequest,
        requests::CorrectionBody,
        requests::ConnectedCorrectionBody,
        requests::FulfilRequest,
        requests::TransmitToBody,
        requests::DocumentStored,
        requests::DocumentBytes,
        audit::AuditEntryResponse,
        audit::AuditPage,
        banner::BannerConfig,
        banner::BannerTexts,
        banner::BannerCategory,
        banner::BannerService,
        banner::BannerCookie,
        banner::ChoiceBody,
        banner::ChoiceResponse,
        banner::ChoicesResponse,
    )),
    modifiers(&BearerScheme, &SharedResponses),
    tags(
        (name = "health", description = "Liveness and readiness."),
        (name = "register", description = "The register of processing (GDPR Art. 30)."),
        (name = "datasets", description = "The company's own databases Skydd reaches (issue 16)."),
        (name = "notice", description = "The public privacy notice, written from the register."),
        (name = "subjects", description = "Data subjects, found by any identity."),
        (name = "tenants", description = "Customers on whose instructions Skydd's company processes \
            data: their data processing agreements (Art. 28(3))."),
        (name = "records", description = "Personal data, encrypted per subject, read under a purpose."),
        (name = "consents", description = "The consent ledger and objections (Art. 7, Art. 21)."),
        (name = "imports", description = "Bulk imports of consents, objections, preferences \
            and records from another system (issue 19): JSON lines or CSV, resumable by key."),
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
        (name = "security", description = "Dated reviews of the security measures (Art. 32(1)(d)) \
            against the register's cycle."),
        (name = "requests", description = "Data-subject requests (Art. 12-22): public intake and \
            identity check, deadlines, fulfilment, the access package."),
        (name = "audit", description = "The tamper-evident audit trail, for callers with `audit_read`."),
        (name = "banner", description = "The consent banner (issue 18): its script and style \
            sheet, its configuration and the log of visitors' choices. All but the listing are \
            public: a company's website loads and calls them from the browser."),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme: `Authorization: Bearer TOKEN` with a token from
/// `skydd token create`.
struct BearerScheme;

/// The bearer scheme's description: what a token is and what each scope grants, from
/// `skydd-staff`'s one table.
fn bearer_description() -> String {
    let mut text = String::from(
        "An API token from `skydd token create`. A token holds one or more scopes; each \
         operation requires one permission, and a token without it gets 403 (the problem \
         names the permission); an expired token gets 401 (`expired-token`). Scopes:",
    );
    for scope in skydd_staff::permission::Scope::ALL {
        text.push_str(&format!(
            "\n- `{}`: {}",
            scope.as_str(),
            scope.permission_words()
        ));
    }
    text
}

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(bearer_description()))
                    .build(),
            ),
        );
    }
}

/// Adds to every operation the responses that come from the machinery every handler shares,
/// not from the handler itself, where its annotation does not list them already: a JSON body
/// is read by [`ApiJson`] (400 when it is not the JSON the operation takes, 413 when it is
/// larger than the operation reads, 408 when it does not arrive within the body-read timeout,
/// 415 when it is not sent as `application/json`), a query string by [`ApiQuery`] (400), path parameters by
/// [`ApiPath`] under `/v1` (404 when they name nothing), and the bearer token by the token
/// check (401) and the permission check (403, naming the permission).
///
/// [`ApiJson`]: crate::extract::ApiJson
/// [`ApiQuery`]: crate::extract::ApiQuery
/// [`ApiPath`]: crate::extract::ApiPath
struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                add_shared_responses(path, operation);
            }
        }
    }
}

/// [`SharedResponses`] for one operation at `path`.
fn add_shared_responses(path: &str, operation: &mut Operation) {
    let takes_json = matches!(
        &operation.request_body,
        Some(RefOr::T(body)) if body.content.contains_key("application/json")
    );
    let has_parameter = |place: ParameterIn| {
        operation.parameters.iter().flatten().any(
            |parameter| matches!(parameter, RefOr::T(parameter) if parameter.parameter_in == place),
        )
    };
    // The unsubscribe pages read their query themselves: every bad link gets the HTML page
    // saying it is not valid, never a problem document.
    let takes_query = has_parameter(ParameterIn::Query) && path != unsubscribe::UNSUBSCRIBE_PATH;
    let takes_path = path.starts_with("/v1/") && has_parameter(ParameterIn::Path);
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|security| !security.is_empty());
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    };
    if takes_json {
        add(
            "400",
            "The body is not the JSON this operation takes; the detail says where.",
        );
        add(
            "415",
            "The body was not sent as `Content-Type: application/json`.",
        );
        add("413", "The body is larger than this operation reads.");
        add(
            "408",
            "The body did not arrive within the server's body-read timeout; the connection is \
             closed.",
        );
    }
    if takes_query {
        add(
            "400",
            "The query string is not what this operation takes; the detail says where.",
        );
    }
    if takes_path {
        add("404", "The path names nothing this API token may reach.");
    }
    if secured {
        add("401", "No valid API token, or an expired one.");
        add(
            "403",
            "The token does not hold the permission this operation requires; the problem names \
             it.",
        );
    }
}

/// A response with a [`Problem`] body.
fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The schema of a string that is one of `words`: the fixed vocabularies the API takes and
/// returns (a risk, a phase, a request type ...), spelt out so that a client knows them and
/// a word outside them is a request the document does not allow.
pub(crate) fn words_schema<'a>(words: impl IntoIterator<Item = &'a str>) -> Object {
    let mut schema = Object::with_type(SchemaType::Type(Type::String));
    schema.enum_values = Some(words.into_iter().map(serde_json::Value::from).collect());
    schema
}

/// [`words_schema`] that also takes `null`: an optional member that may be sent as `null`.
pub(crate) fn words_or_null_schema<'a>(words: impl IntoIterator<Item = &'a str>) -> Object {
    let mut schema = words_schema(words);
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    if let Some(values) = schema.enum_values.as_mut() {
        values.push(serde_json::Value::Null);
    }
    schema
}

/// The schema of an object whose member names are register ids (a record's `fields`, its
/// `anchors`), each member's value described by `values`.
pub(crate) fn register_keyed_object(values: Object) -> Object {
    let mut names = Object::with_type(SchemaType::Type(Type::String));
    names.pattern = Some(REGISTER_ID_PATTERN.to_owned());
    let mut schema = Object::with_type(SchemaType::Type(Type::Object));
    schema.property_names = Some(Box::new(names.into()));
    schema.additional_properties = Some(Box::new(
        utoipa::openapi::schema::AdditionalProperties::RefOr(RefOr::T(values.into())),
    ));
    schema
}

/// Serve the OpenAPI document.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
