//! `GET /v1/decisions`: may purpose P use category C of subject S now? A denial is an answer
//! (200 with `allowed: false` and the reason code), not an error. `POST /v1/decisions` asks up
//! to [`MAX_QUESTIONS`] such questions at once, for batch jobs.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use skydd_decide::Decision;
use skydd_register::model::{Channel, Choice, PurposeId, Register};
use skydd_vault::{Question, VaultError};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiQuery, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The most questions one `POST /v1/decisions` takes.
pub const MAX_QUESTIONS: usize = 1000;

/// The query of `GET /v1/decisions`, and one question of `POST /v1/decisions`.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    /// The subject's id: 32 lowercase hex digits.
    pub subject: String,
    /// The purpose that wants to use the data (a register purpose id).
    pub purpose: RegisterId,
    /// The data category (a register `data` id).
    pub category: RegisterId,
    /// The channel of a direct marketing use: `email`, `sms`, `phone`, `post`, `push`, `in_app`.
    pub channel: Option<RegisterId>,
    /// The organisation the use happens in (needed for purposes behind an opt-in feature).
    pub organisation: Option<String>,
    /// The project within `organisation`.
    pub project: Option<String>,
    /// The job role (a register `roles` id) of the person the use is for, when a person asks:
    /// denied with `role_not_for_purpose` unless the role works for the purpose (access only
    /// for those who need it for their tasks).
    pub role: Option<RegisterId>,
    /// The register recipient (a sub-processor, a partner) asking before a use on its side:
    /// denied with `recipient_not_for_purpose` unless the register gives it the purpose, and
    /// `recipient_not_for_category` unless it receives the category.
    pub recipient: Option<RegisterId>,
}

/// The answer to `GET /v1/decisions`: allowed or not, the code and why; every answer is
/// audited.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"allowed": false, "code": "consent_missing", "legal_basis": null,
    "explanation": "purpose `newsletter` rests on consent and the subject has not given it"}))]
pub struct DecisionResponse {
    /// Whether the use is allowed.
    pub allowed: bool,
    /// `allowed`, or the stable deny code: `unknown_purpose`, `unknown_category`,
    /// `recipient_not_for_purpose`, `recipient_not_for_category`, `unknown_role`,
    /// `role_not_for_purpose`, `category_not_processed_for_purpose`, `channel_not_declared`,
    /// `record_category_mismatch`,
    /// `processor_mode`, `retention_expired`, `legal_hold_other_purpose`, `restricted`,
    /// `feature_disabled`, `objection`, `channel_opted_out`, `interest_opted_out`,
    /// `consent_missing`, `consent_withdrawn`.
    #[schema(example = "allowed")]
    pub code: String,
    /// The legal basis the use rests on when allowed (`contract`, `consent`,
    /// `legitimate_interest` ...); `null` when denied or for a processor activity.
    #[schema(example = "contract")]
    pub legal_basis: Option<String>,
    /// Why it was denied, naming register ids only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub explanation: Option<String>,
}

impl From<Decision> for DecisionResponse {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Allow { legal_basis, .. } => DecisionResponse {
                allowed: true,
                code: "allowed".to_owned(),
                legal_basis: legal_basis.map(|basis| basis.word().to_owned()),
                explanation: None,
            },
            Decision::Deny { code, explanation } => DecisionResponse {
                allowed: false,
                code: code.as_str().to_owned(),
                legal_basis: None,
                explanation: Some(explanation),
            },
        }
    }
}

/// Decide whether a purpose may use a category of a subject's data now, from the register,
/// consents, objections, restriction, retention, legal holds and feature opt-ins. Every answer
/// is audited.
#[utoipa::path(
    get,
    path = "/v1/decisions",
    tag = "decisions",
    security(("bearer" = [])),
    params(DecisionQuery),
    responses(
        (status = 200, description = "The decision: allowed, or denied with a stable code.",
            body = DecisionResponse),
        (status = 422, description = "A missing parameter, a purpose, category, channel, role or \
            recipient the register does not have, or a project without its organisation.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::Decide>,
    ApiQuery(query): ApiQuery<DecisionQuery>,
) -> Result<Json<DecisionResponse>, ApiError> {
    let now = state.clock.now();
    let vault = state.vault();
    let question = checked(vault.register(), &query).map_err(|unanswerable| {
        // The query names register ids only (checked against their pattern): they may be said.
        let said = |what: &str, id: Option<&RegisterId>| {
            format!(
                "{what} `{}`",
                id.map(RegisterId::as_str).unwrap_or_default()
            )
        };
        match unanswerable {
            Unanswerable::UnknownPurpose => ApiError::invalid(
                said("unknown purpose", Some(&query.purpose)),
                "use a purpose of the register",
            ),
            Unanswerable::UnknownCategory => ApiError::invalid(
                said("unknown data category", Some(&query.category)),
                "use a data category of the register",
            ),
            Unanswerable::UnknownChannel => ApiError::invalid(
                said("unknown channel", query.channel.as_ref()),
                CHANNEL_HELP,
            ),
            Unanswerable::UnknownRole => ApiError::invalid(
                said("unknown role", query.role.as_ref()),
                Unanswerable::UnknownRole.help(),
            ),
            Unanswerable::UnknownRecipient => ApiError::invalid(
                said("unknown recipient", query.recipient.as_ref()),
                Unanswerable::UnknownRecipient.help(),
            ),
            other => ApiError::invalid(other.detail(), other.help()),
        }
    })?;
    let decision = vault.decide_question(&caller.actor, &question, now).await?;
    state.metrics().observe_decision(&decision);
    Ok(Json(decision.into()))
}

/// How to name a channel.
const CHANNEL_HELP: &str = "use email, sms, phone, post, push or in_app";

/// Why a question cannot be answered. Said in fixed words: `POST /v1/decisions` echoes nothing
/// of a question back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unanswerable {
    UnknownSubject,
    UnknownPurpose,
    UnknownCategory,
    UnknownChannel,
    UnknownRole,
    UnknownRecipient,
    ProjectWithoutOrganisation,
    /// A question the vault refused for another reason of its own.
    Invalid,
}

impl Unanswerable {
    fn detail(self) -> &'static str {
        match self {
            Unanswerable::UnknownSubject => {
                "There is no such subject, or none this API token may reach."
            }
            Unanswerable::UnknownPurpose => "The purpose is not in the register.",
            Unanswerable::UnknownCategory => "The data category is not in the register.",
            Unanswerable::UnknownChannel => "The channel is not one Skydd knows.",
            Unanswerable::UnknownRole => "The role is not in the register.",
            Unanswerable::UnknownRecipient => "The recipient is not in the register.",
            Unanswerable::ProjectWithoutOrganisation => "`project` needs `organisation`.",
            Unanswerable::Invalid => "The question does not fit the register or the rules.",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Unanswerable::UnknownSubject => "use the id Skydd gave the subject",
            Unanswerable::UnknownPurpose => "use a purpose of the register",
            Unanswerable::UnknownCategory => "use a data category of the register",
            Unanswerable::UnknownChannel => CHANNEL_HELP,
            Unanswerable::UnknownRole => "use a role of the register's `roles`",
            Unanswerable::UnknownRecipient => "use a recipient of the register's `recipients`",
            Unanswerable::ProjectWithoutOrganisation => {
                "give the organisation the project belongs to"
            }
            Unanswerable::Invalid => "ask it alone with GET /v1/decisions to see what is wrong",
        }
    }

    fn error(self) -> QuestionError {
        let (slug, title) = match self {
            Unanswerable::UnknownSubject => ("unknown-subject", "Unknown subject"),
            _ => ("invalid-request", "Invalid request"),
        };
        QuestionError {
            problem_type: format!("https://skydd.dev/problems/{slug}"),
            title: title.to_owned(),
            detail: self.detail().to_owned(),
            help: self.help().to_owned(),
        }
    }
}

/// `query` checked against `register`: the question for the vault, or why it cannot be
/// answered. The one check of both `GET` and `POST /v1/decisions`.
fn checked<'q>(
    register: &Register,
    query: &'q DecisionQuery,
) -> Result<Question<'q>, Unanswerable> {
    if register
        .purpose(&PurposeId(query.purpose.0.clone()))
        .is_none()
    {
        return Err(Unanswerable::UnknownPurpose);
    }
    if !register
        .data
        .iter()
        .any(|category| category.id.as_str() == query.category.as_str())
    {
        return Err(Unanswerable::UnknownCategory);
    }
    let channel = query.channel.as_ref().map(RegisterId::as_str);
    if channel.is_some_and(|channel| !Channel::ALL.iter().any(|(word, _)| *word == channel)) {
        return Err(Unanswerable::UnknownChannel);
    }
    let role = query.role.as_ref().map(RegisterId::as_str);
    if role.is_some_and(|role| !register.roles.iter().any(|r| r.id.as_str() == role)) {
        return Err(Unanswerable::UnknownRole);
    }
    let recipient = query.recipient.as_ref().map(RegisterId::as_str);
    if recipient.is_some_and(|id| !register.recipients.iter().any(|r| r.id.as_str() == id)) {
        return Err(Unanswerable::UnknownRecipient);
    }
    let scope = match (query.organisation.as_deref(), query.project.as_deref()) {
        (Some(organisation), project) => Some((organisation, project)),
        (None, None) => None,
        (None, Some(_)) => return Err(Unanswerable::ProjectWithoutOrganisation),
    };
    Ok(Question {
        subject: &query.subject,
        purpose: query.purpose.as_str(),
        category: query.category.as_str(),
        channel,
        scope,
        role,
        recipient,
    })
}

/// The body of `POST /v1/decisions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBatch {
    /// The questions, each like the query of `GET /v1/decisions`; at most 1,000.
    #[schema(max_items = 1000)]
    pub questions: Vec<DecisionQuery>,
}

/// The answer to `POST /v1/decisions`: one answer per question, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"answers": [
    {"allowed": true, "code": "allowed", "legal_basis": "contract"},
    {"allowed": false, "code": "consent_missing", "legal_basis": null,
     "explanation": "purpose `newsletter` rests on consent and the subject has not given it"},
    {"error": {"type": "https://skydd.dev/problems/unknown-subject", "title": "Unknown subject",
     "detail": "There is no such subject, or none this API token may reach.",
     "help": "use the id Skydd gave the subject"}}
]}))]
pub struct DecisionAnswers {
    /// The answers, in the order of the questions.
    pub answers: Vec<DecisionAnswer>,
}

/// One answer of `POST /v1/decisions`: the decision (as `GET /v1/decisions` gives it, audited
/// the same way), or why this question could not be answered.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum DecisionAnswer {
    /// The decision.
    Decided(DecisionResponse),
    /// The question could not be answered; the others were.
    Unanswered {
        /// What is wrong with the question, in fixed words (nothing of it is echoed).
        error: QuestionError,
    },
}

/// Why one question of a batch could not be answered: a problem document (RFC 9457) without
/// status, which belongs to the whole response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuestionError {
    /// A URI identifying the kind of problem (`…/unknown-subject`, `…/invalid-request`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// What is wrong with the question.
    pub detail: String,
    /// How to correct it.
    pub help: String,
}

/// Decide up to 1,000 questions in one call, for batch jobs (a mailing list): each answered
/// and audited as `GET /v1/decisions` answers it, in the order asked. A question that cannot
/// be answered (an unknown subject, purpose, category or channel; a project without its
/// organisation) gets an error in its place; the others are answered. All the answers are
/// audited in one commit, and none is given unless all are recorded.
#[utoipa::path(
    post,
    path = "/v1/decisions",
    tag = "decisions",
    security(("bearer" = [])),
    request_body = DecisionBatch,
    responses(
        (status = 200, description = "One answer per question, in order: a decision, or an \
            error saying why that question could not be answered.", body = DecisionAnswers),
        (status = 400, description = "The body is not a list of questions, or holds more than \
            1,000.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token may not ask for decisions.", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the server reads.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn decide_many(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::Decide>,
    ApiJson(batch): ApiJson<DecisionBatch>,
) -> Result<Json<DecisionAnswers>, ApiError> {
    if batch.questions.len() > MAX_QUESTIONS {
        return Err(ApiError::InvalidBody(format!(
            "`questions` holds more than {MAX_QUESTIONS} questions: send at most \
             {MAX_QUESTIONS} per call."
        )));
    }
    let now = state.clock.now();
    let vault = state.vault();
    let checks: Vec<_> = batch
        .questions
        .iter()
        .map(|query| checked(vault.register(), query))
        .collect();
    let questions: Vec<Question<'_>> = checks.iter().filter_map(|check| check.ok()).collect();
    let mut decided = vault
        .decide_many(&caller.actor, &questions, now)
        .await?
        .into_iter();
    let mut answers = Vec::with_capacity(checks.len());
    for question in checks {
        let unanswerable = match question.map(|_| decided.next()) {
            Ok(Some(Ok(decision))) => {
                state.metrics().observe_decision(&decision);
                answers.push(DecisionAnswer::Decided(decision.into()));
                continue;
            }
            Ok(Some(Err(VaultError::UnknownSubject))) => Unanswerable::UnknownSubject,
            Ok(Some(Err(_)) | None) => Unanswerable::Invalid,
            Err(unanswerable) => unanswerable,
        };
        answers.push(DecisionAnswer::Unanswered {
            error: unanswerable.error(),
        });
    }
    Ok(Json(DecisionAnswers { answers }))
}
