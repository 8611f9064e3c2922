//! `GET /v1/datasets` and `GET /v1/datasets/{name}`: the company's own databases this server
//! reaches (`skydd serve --dataset`), as their checked dataset files describe them. Where the
//! connection string comes from is a word (`env` or `file`); the variable's name, the file's
//! path and the string itself are never shown.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use skydd_dataset::{Collection, Connection, Dataset, Erasure, Field};
use skydd_register::model::Choice as _;
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::extract::ApiPath;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Every connected database.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetsResponse {
    /// The datasets in the order `serve` was given them.
    pub datasets: Vec<DatasetResponse>,
}

/// One connected database.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetResponse {
    /// The dataset's name: the system named in packages, receipts and the Art. 30 record.
    #[schema(example = "shop")]
    pub name: String,
    /// `postgres`, `mysql` (MySQL and MariaDB) or `sqlite`.
    #[schema(example = "postgres")]
    pub kind: String,
    /// What the database is for, if the file says.
    pub description: Option<String>,
    /// TLS to the server (`disable` ... `verify-full`); `null` for SQLite.
    #[schema(example = "verify-full")]
    pub tls_mode: Option<String>,
    /// Where the connection string is read from: `env` (an environment variable) or `file` (a
    /// file readable only by its owner). Never the value.
    #[schema(example = "env")]
    pub connection: String,
    /// The register's data categories the database holds, sorted.
    pub categories: Vec<String>,
    /// The identity kinds requests find rows by (`email`, `customer_number` ...), sorted.
    pub identity_kinds: Vec<String>,
    /// The declared tables.
    pub collections: Vec<CollectionResponse>,
}

/// One declared table.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionResponse {
    /// The table's name.
    pub name: String,
    /// Its schema (PostgreSQL) or database (MySQL); `null`: the connection's default.
    pub schema: Option<String>,
    /// The primary key's columns.
    pub primary_key: Vec<String>,
    /// Read only to reach other tables: nothing in it is returned or erased.
    pub reach_only: bool,
    /// Why no identity reaches it, when none does.
    pub unreachable: Option<String>,
    /// Tables read before this one.
    pub after: Vec<String>,
    /// Tables erased before this one.
    pub erase_after: Vec<String>,
    /// Where its retention counts from, if it has a rule.
    pub retention: Option<RetentionResponse>,
    /// The declared columns.
    pub fields: Vec<FieldResponse>,
}

/// A table's retention.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionResponse {
    /// The column the period counts from.
    pub anchor: String,
    /// The register's retention rule.
    pub rule: String,
}

/// One declared column.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldResponse {
    /// The column's name.
    pub name: String,
    /// Its register data category; `null`: not personal data.
    pub category: Option<String>,
    /// The identity kind it holds, if any.
    pub identity: Option<String>,
    /// Columns of other tables it is joined to.
    pub references: Vec<ReferenceResponse>,
    /// What erasure does: `null`, `replace`, `keyed_hash`, `random`, `delete_row` or `keep`.
    #[schema(example = "keyed_hash")]
    pub erase: String,
    /// The fixed value `replace` writes (from the dataset file, not personal data).
    pub replacement: Option<String>,
    /// Whether it holds free text.
    pub free_text: bool,
    /// Why this copy may be erased although a legal hold keeps its category.
    pub outside_hold: Option<String>,
}

/// A join to another column.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceResponse {
    /// The column joined to, `table.column`.
    #[schema(example = "customer.id")]
    pub field: String,
    /// `to`: this column's values find rows there; `from`: that column's values find rows here.
    pub direction: String,
}

/// The connected databases this server reaches. Admins and auditors may read them.
#[utoipa::path(
    get,
    path = "/v1/datasets",
    tag = "datasets",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The connected databases.", body = DatasetsResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read datasets.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_datasets(
    State(state): State<AppState>,
    _: Authorized<need::RegisterRead>,
) -> Result<Json<DatasetsResponse>, ApiError> {
    Ok(Json(DatasetsResponse {
        datasets: state
            .datasets()
            .all()
            .iter()
            .map(|d| describe(&d.dataset))
            .collect(),
    }))
}

/// One connected database, by name.
#[utoipa::path(
    get,
    path = "/v1/datasets/{name}",
    tag = "datasets",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The dataset's name.")),
    responses(
        (status = 200, description = "The connected database.", body = DatasetResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read datasets.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such dataset.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_dataset(
    State(state): State<AppState>,
    _: Authorized<need::RegisterRead>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DatasetResponse>, ApiError> {
    let loaded = state.datasets().get(&name).ok_or(ApiError::NotFound)?;
    Ok(Json(describe(&loaded.dataset)))
}

/// The wire form of a checked dataset.
pub fn describe(dataset: &Dataset) -> DatasetResponse {
    let fields = || dataset.collections.iter().flat_map(|c| &c.fields);
    let mut categories: Vec<String> = fields()
        .filter_map(|f| f.category.as_ref().map(|c| c.as_str().to_owned()))
        .collect();
    categories.sort();
    categories.dedup();
    let mut identity_kinds: Vec<String> = fields()
        .filter_map(|f| f.identity.map(|k| k.as_str().to_owned()))
        .collect();
    identity_kinds.sort();
    identity_kinds.dedup();
    DatasetResponse {
        name: dataset.name.clone(),
        kind: dataset.kind.word().to_owned(),
        description: dataset.description.clone(),
        tls_mode: dataset.tls.as_ref().map(|t| t.mode.word().to_owned()),
        connection: match dataset.connection {
            Connection::Env(_) => "env",
            Connection::File(_) => "file",
        }
        .to_owned(),
        categories,
        identity_kinds,
        collections: dataset.collections.iter().map(collection).collect(),
    }
}

fn collection(c: &Collection) -> CollectionResponse {
    CollectionResponse {
        name: c.name.clone(),
        schema: c.schema.clone(),
        primary_key: c.primary_key.clone(),
        reach_only: c.reach_only,
        unreachable: c.unreachable.clone(),
        after: c.after.clone(),
        erase_after: c.erase_after.clone(),
        retention: c.retention.as_ref().map(|r| RetentionResponse {
            anchor: r.anchor.clone(),
            rule: r.rule.as_str().to_owned(),
        }),
        fields: c.fields.iter().map(field).collect(),
    }
}

fn field(f: &Field) -> FieldResponse {
    FieldResponse {
        name: f.name.clone(),
        category: f.category.as_ref().map(|c| c.as_str().to_owned()),
        identity: f.identity.map(|k| k.as_str().to_owned()),
        references: f
            .references
            .iter()
            .map(|r| ReferenceResponse {
                field: r.field.to_string(),
                direction: r.direction.word().to_owned(),
            })
            .collect(),
        erase: f.erase.word().to_owned(),
        replacement: match &f.erase {
            Erasure::Replace(value) => Some(value.clone()),
            _ => None,
        },
        free_text: f.free_text,
        outside_hold: f.outside_hold.clone(),
    }
}
