//! Permissions, staff roles and API token scopes: what each caller may do, written once.
//!
//! A route requires one [`Permission`]. A caller holds [`Grants`]: the permissions of a staff
//! [`StaffRole`] (a console session, or a token made for that role) or the union of a token's
//! [`Scope`]s. The tables here are the only place where a role or a scope is given a
//! permission; the server's authorisation matrix test checks every route against them.
//!
//! Least privilege: the `auditor` reads the register, the audit trail and the metadata of
//! requests, incidents, disclosures and the outbox, and never a decrypted personal value;
//! `support` handles requests and sees a subject's data only inside a request assigned to
//! them ([`Grants::assigned_only`]); `admin` runs accounts, tokens and settings but reads no
//! personal data; the `dpo` does everything a privacy officer does. The token scope `admin` is
//! what tokens issued before roles existed carry: every permission, as before.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One thing a caller may do. Each route and console page requires exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read the register, the Art. 30 record, the notice preview, versions and datasets.
    RegisterRead,
    /// Read and search the audit trail, verify the chain, list checkpoints.
    AuditRead,
    /// Write a signed audit checkpoint.
    AuditCheckpoint,
    /// List requests and read their metadata (type, state, deadline, events): no identity,
    /// no personal data.
    RequestsRead,
    /// Take in a request on a subject's behalf (staff intake, a given time of receipt).
    RequestsIntake,
    /// Work a request: assign, verify, extend, reject, fulfil, plan an erasure.
    RequestsHandle,
    /// Read the personal data a request concerns: the identity, the data found, the package.
    /// With [`Grants::assigned_only`], only in requests assigned to the caller.
    RequestsData,
    /// Read incidents: the report, the 72-hour clock, notifications and communications.
    IncidentsRead,
    /// Report incidents and add assessments, notifications, communications, the closing.
    IncidentsWrite,
    /// Create subjects with their identities.
    SubjectsCreate,
    /// Look a subject up by an identity and read its decrypted identities.
    SubjectsRead,
    /// Read a subject's decrypted records, under a purpose (each read decided and audited).
    RecordsRead,
    /// Store and delete records.
    RecordsWrite,
    /// Read a subject's consents (with their proof), objections and preferences.
    ConsentsRead,
    /// Record consents, objections and preferences.
    ConsentsWrite,
    /// Ask for a decision: may a purpose use a category of a subject now.
    Decide,
    /// Read feature switches.
    FeaturesRead,
    /// Switch features.
    FeaturesWrite,
    /// Read the disclosures to authorities (metadata: authority, reference, categories).
    DisclosuresRead,
    /// Record a disclosure to an authority.
    DisclosuresWrite,
    /// Read the outbox: queued, sent and failed messages, without their bodies.
    OutboxRead,
    /// Read a message's body and address in the outbox.
    OutboxBodies,
    /// Create, disable and reset staff accounts.
    AccountsManage,
    /// Create and revoke API tokens.
    TokensManage,
    /// Change the instance's settings.
    SettingsManage,
    /// Read `/metrics`.
    MetricsRead,
    /// Run bulk imports (`POST /v1/imports`): create subjects and write consents, objections,
    /// preferences and records from another system's export, each row checked and audited.
    /// Reads nothing back.
    Import,
    /// See and work complaints (P000-72): confidential requests, for the privacy officer only.
    /// Without it a complaint is not listed and its page does not exist. Last, so that the
    /// bits of the others stay where they were.
    Complaints,
    /// Record and read the data processing agreements signed with customers (Art. 28(3),
    /// P001-25), which processor activities with `requires_agreement` wait for.
    Agreements,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 29] = [
        Permission::RegisterRead,
        Permission::AuditRead,
        Permission::AuditCheckpoint,
        Permission::RequestsRead,
        Permission::RequestsIntake,
        Permission::RequestsHandle,
        Permission::RequestsData,
        Permission::IncidentsRead,
        Permission::IncidentsWrite,
        Permission::SubjectsCreate,
        Permission::SubjectsRead,
        Permission::RecordsRead,
        Permission::RecordsWrite,
        Permission::ConsentsRead,
        Permission::ConsentsWrite,
        Permission::Decide,
        Permission::FeaturesRead,
        Permission::FeaturesWrite,
        Permission::DisclosuresRead,
        Permission::DisclosuresWrite,
        Permission::OutboxRead,
        Permission::OutboxBodies,
        Permission::AccountsManage,
        Permission::TokensManage,
        Permission::SettingsManage,
        Permission::MetricsRead,
        Permission::Import,
        Permission::Complaints,
        Permission::Agreements,
    ];

    /// The stable snake_case word for the permission (`records_read` ...), as serialised and as
    /// problems and `--help` texts name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::RegisterRead => "register_read",
            Permission::AuditRead => "audit_read",
            Permission::AuditCheckpoint => "audit_checkpoint",
            Permission::RequestsRead => "requests_read",
            Permission::RequestsIntake => "requests_intake",
            Permission::RequestsHandle => "requests_handle",
            Permission::RequestsData => "requests_data",
            Permission::IncidentsRead => "incidents_read",
            Permission::IncidentsWrite => "incidents_write",
            Permission::SubjectsCreate => "subjects_create",
            Permission::SubjectsRead => "subjects_read",
            Permission::RecordsRead => "records_read",
            Permission::RecordsWrite => "records_write",
            Permission::ConsentsRead => "consents_read",
            Permission::ConsentsWrite => "consents_write",
            Permission::Decide => "decide",
            Permission::FeaturesRead => "features_read",
            Permission::FeaturesWrite => "features_write",
            Permission::DisclosuresRead => "disclosures_read",
            Permission::DisclosuresWrite => "disclosures_write",
            Permission::OutboxRead => "outbox_read",
            Permission::OutboxBodies => "outbox_bodies",
            Permission::AccountsManage => "accounts_manage",
            Permission::TokensManage => "tokens_manage",
            Permission::SettingsManage => "settings_manage",
            Permission::MetricsRead => "metrics_read",
            Permission::Import => "import",
            Permission::Complaints => "complaints",
            Permission::Agreements => "agreements",
        }
    }

    /// Whether holding this permission lets the caller read a decrypted personal value. The
    /// auditor holds none of these (tested).
    pub const fn reads_personal_data(self) -> bool {
        matches!(
            self,
            Permission::RequestsData
                | Permission::SubjectsRead
                | Permission::RecordsRead
                | Permission::ConsentsRead
                | Permission::OutboxBodies
        )
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// A set of permissions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    /// No permission.
    pub const EMPTY: PermissionSet = PermissionSet(0);

    /// The set of `permissions`.
    pub fn of(permissions: &[Permission]) -> PermissionSet {
        permissions
            .iter()
            .fold(PermissionSet::EMPTY, |set, p| set.with(*p))
    }

    /// Every permission.
    pub fn all() -> PermissionSet {
        PermissionSet::of(&Permission::ALL)
    }

    /// This set and `permission`.
    #[must_use]
    pub fn with(self, permission: Permission) -> PermissionSet {
        PermissionSet(self.0 | permission.bit())
    }

    /// This set and every permission of `other`.
    #[must_use]
    pub fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    /// Whether `permission` is in the set.
    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// The permissions in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The role of a staff member: what the console lets them do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Accounts, tokens and settings; the register, the audit trail and metrics. No personal data.
    Admin,
    /// The privacy officer: requests, incidents, subjects, register, audit. Not accounts or tokens.
    Dpo,
    /// Takes in and works requests; a subject's data only inside a request assigned to them.
    Support,
    /// Register, Art. 30 record, audit trail, request and incident metadata. Never decrypted
    /// personal data.
    Auditor,
}

const ADMIN: &[Permission] = &[
    Permission::AccountsManage,
    Permission::TokensManage,
    Permission::SettingsManage,
    Permission::RegisterRead,
    Permission::AuditRead,
    Permission::AuditCheckpoint,
    Permission::MetricsRead,
];

const SUPPORT: &[Permission] = &[
    Permission::RegisterRead,
    Permission::RequestsRead,
    Permission::RequestsIntake,
    Permission::RequestsHandle,
    Permission::RequestsData,
];

const AUDITOR: &[Permission] = &[
    Permission::RegisterRead,
    Permission::AuditRead,
    Permission::RequestsRead,
    Permission::IncidentsRead,
    Permission::DisclosuresRead,
    Permission::OutboxRead,
    Permission::MetricsRead,
];

impl StaffRole {
    /// Every role, in the order the console lists them.
    pub const ALL: [StaffRole; 4] = [
        StaffRole::Admin,
        StaffRole::Dpo,
        StaffRole::Support,
        StaffRole::Auditor,
    ];

    /// The stable word for the role (`admin`, `dpo`, `support`, `auditor`).
    pub const fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Dpo => "dpo",
            StaffRole::Support => "support",
            StaffRole::Auditor => "auditor",
        }
    }

    /// Whether the role holds a permission that [`Permission::reads_personal_data`]: granting
    /// it calls for privacy training (P000-63).
    pub fn reads_personal_data(self) -> bool {
        self.grants()
            .permissions
            .iter()
            .any(Permission::reads_personal_data)
    }

    /// What the role may do.
    pub fn grants(self) -> Grants {
        let permissions = match self {
            StaffRole::Admin => PermissionSet::of(ADMIN),
            // Everything a privacy officer does; accounts, tokens and settings are the admin's.
            StaffRole::Dpo => PermissionSet::of(
                &Permission::ALL
                    .into_iter()
                    .filter(|p| {
                        !matches!(
                            p,
                            Permission::AccountsManage
                                | Permission::TokensManage
                                | Permission::SettingsManage
                        )
                    })
                    .collect::<Vec<_>>(),
            ),
            StaffRole::Support => PermissionSet::of(SUPPORT),
            StaffRole::Auditor => PermissionSet::of(AUDITOR),
        };
        Grants {
            permissions,
            assigned_only: self == StaffRole::Support,
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no role or scope; its message lists the valid words, never the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a {what}; expected one of: {expected}")]
pub struct UnknownWord {
    what: &'static str,
    expected: String,
}

impl FromStr for StaffRole {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<StaffRole, UnknownWord> {
        StaffRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownWord {
                what: "role",
                expected: StaffRole::ALL.map(StaffRole::as_str).join(", "),
            })
    }
}

/// What an API token may do: a role's permissions, or a system's narrow capability. Stored and
/// shown by [`Scope::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every permission. Tokens issued before scopes existed (role `admin`) carry it.
    Admin,
    /// The permissions of a staff role (`dpo`, `support`, `auditor`).
    Role(StaffRole),
    /// `/metrics` only.
    Metrics,
    /// `decide`: ask for decisions.
    Decide,
    /// `subjects:write`: create subjects.
    SubjectsWrite,
    /// `subjects:read`: look subjects up by identity.
    SubjectsRead,
    /// `records:write`: store and delete records.
    RecordsWrite,
    /// `records:read`: read records under a purpose.
    RecordsRead,
    /// `consents:write`: record consents, objections and preferences.
    ConsentsWrite,
    /// `consents:read`: read consents, objections and preferences.
    ConsentsRead,
    /// `features:write`: switch features (and read them).
    FeaturesWrite,
    /// `requests:read`: request metadata.
    RequestsRead,
    /// `requests:write`: take in and work requests, read their data.
    RequestsWrite,
    /// `incidents:read`.
    IncidentsRead,
    /// `incidents:write`: report and document incidents (and read them).
    IncidentsWrite,
    /// `disclosures:write`: record disclosures to authorities (and read them).
    DisclosuresWrite,
    /// `audit:read`: the audit trail.
    AuditRead,
    /// `register:read`: the register, the record, datasets.
    RegisterRead,
    /// `import`: bulk imports of consents and records (issue 19).
    Import,
}

impl Scope {
    /// Every scope, in the order `--help` lists them.
    pub const ALL: [Scope; 22] = [
        Scope::Admin,
        Scope::Role(StaffRole::Dpo),
        Scope::Role(StaffRole::Support),
        Scope::Role(StaffRole::Auditor),
        Scope::Metrics,
        Scope::Decide,
        Scope::SubjectsWrite,
        Scope::SubjectsRead,
        Scope::RecordsWrite,
        Scope::RecordsRead,
        Scope::ConsentsWrite,
        Scope::ConsentsRead,
        Scope::FeaturesWrite,
        Scope::RequestsRead,
        Scope::RequestsWrite,
        Scope::IncidentsRead,
        Scope::IncidentsWrite,
        Scope::DisclosuresWrite,
        Scope::AuditRead,
        Scope::RegisterRead,
        Scope::Import,
        Scope::Role(StaffRole::Admin),
    ];

    /// The stable word for the scope (`admin`, `dpo`, `records:write` ...). The staff role
    /// `admin` as a scope is `staff-admin`: `admin` stays what old tokens mean.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::Role(StaffRole::Admin) => "staff-admin",
            Scope::Role(role) => role.as_str(),
            Scope::Metrics => "metrics",
            Scope::Decide => "decide",
            Scope::SubjectsWrite => "subjects:write",
            Scope::SubjectsRead => "subjects:read",
            Scope::RecordsWrite => "records:write",
            Scope::RecordsRead => "records:read",
            Scope::ConsentsWrite => "consents:write",
            Scope::ConsentsRead => "consents:read",
            Scope::FeaturesWrite => "features:write",
            Scope::RequestsRead => "requests:read",
            Scope::RequestsWrite => "requests:write",
            Scope::IncidentsRead => "incidents:read",
            Scope::IncidentsWrite => "incidents:write",
            Scope::DisclosuresWrite => "disclosures:write",
            Scope::AuditRead => "audit:read",
            Scope::RegisterRead => "register:read",
            Scope::Import => "import",
        }
    }

    /// What the scope may do in words, for `--help` texts and the OpenAPI document: its
    /// permissions' words separated by commas (`every permission` for `admin`), and
    /// `request data only in assigned requests` where that limit holds.
    pub fn permission_words(self) -> String {
        if self == Scope::Admin {
            return "every permission".to_owned();
        }
        let grants = self.grants();
        let mut words = grants
            .permissions
            .iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if grants.assigned_only {
            words.push_str(" (request data only in requests assigned to the token)");
        }
        words
    }

    /// What the scope may do.
    pub fn grants(self) -> Grants {
        use Permission as P;
        let only = |permissions: &[Permission]| Grants {
            permissions: PermissionSet::of(permissions),
            assigned_only: false,
        };
        match self {
            Scope::Admin => Grants {
                permissions: PermissionSet::all(),
                assigned_only: false,
            },
            Scope::Role(role) => role.grants(),
            Scope::Metrics => only(&[P::MetricsRead]),
            Scope::Decide => only(&[P::Decide]),
            Scope::SubjectsWrite => only(&[P::SubjectsCreate]),
            Scope::SubjectsRead => only(&[P::SubjectsRead]),
            Scope::RecordsWrite => only(&[P::RecordsWrite]),
            Scope::RecordsRead => only(&[P::RecordsRead]),
            Scope::ConsentsWrite => only(&[P::ConsentsWrite]),
            Scope::ConsentsRead => only(&[P::ConsentsRead]),
            Scope::FeaturesWrite => only(&[P::FeaturesWrite, P::FeaturesRead]),
            Scope::RequestsRead => only(&[P::RequestsRead]),
            Scope::RequestsWrite => only(&[
                P::RequestsRead,
                P::RequestsIntake,
                P::RequestsHandle,
                P::RequestsData,
            ]),
            Scope::IncidentsRead => only(&[P::IncidentsRead]),
            Scope::IncidentsWrite => only(&[P::IncidentsWrite, P::IncidentsRead]),
            Scope::DisclosuresWrite => only(&[P::DisclosuresWrite, P::DisclosuresRead]),
            Scope::AuditRead => only(&[P::AuditRead]),
            Scope::RegisterRead => only(&[P::RegisterRead]),
            Scope::Import => only(&[P::Import]),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Scope, UnknownWord> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownWord {
                what: "scope",
                expected: Scope::ALL.map(Scope::as_str).join(", "),
            })
    }
}

/// What one caller may do: a permission set, and whether request data is limited to the
/// requests assigned to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grants {
    /// The permissions held.
    pub permissions: PermissionSet,
    /// Request data ([`Permission::RequestsData`]) only in requests assigned to the caller.
    pub assigned_only: bool,
}

impl Grants {
    /// What a token with `scopes` may do: the union of the scopes' permissions. Limited to
    /// assigned requests only when every scope granting request data is so limited.
    pub fn of_scopes(scopes: &[Scope]) -> Grants {
        let mut permissions = PermissionSet::EMPTY;
        let mut data_unlimited = false;
        let mut data_limited = false;
        for scope in scopes {
            let grants = scope.grants();
            permissions = permissions.union(grants.permissions);
            if grants.permissions.contains(Permission::RequestsData) {
                if grants.assigned_only {
                    data_limited = true;
                } else {
                    data_unlimited = true;
                }
            }
        }
        Grants {
            permissions,
            assigned_only: data_limited && !data_unlimited,
        }
    }

    /// Whether `permission` is held.
    pub fn allows(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_that_read_personal_data_are_those_given_a_decrypted_value() {
        // P000-63: granting these calls for privacy training.
        let reading: Vec<StaffRole> = StaffRole::ALL
            .into_iter()
            .filter(|role| role.reads_personal_data())
            .collect();
        assert_eq!(reading, [StaffRole::Dpo, StaffRole::Support]);
    }

    #[test]
    fn the_auditor_reads_no_personal_data() {
        for permission in StaffRole::Auditor.grants().permissions.iter() {
            assert!(!permission.reads_personal_data(), "{permission:?}");
        }
        for permission in Scope::Role(StaffRole::Auditor).grants().permissions.iter() {
            assert!(!permission.reads_personal_data(), "{permission:?}");
        }
    }

    #[test]
    fn the_admin_role_reads_no_personal_data_but_the_admin_scope_does_everything() {
        for permission in StaffRole::Admin.grants().permissions.iter() {
            assert!(!permission.reads_personal_data(), "{permission:?}");
        }
        assert_eq!(Scope::Admin.grants().permissions, PermissionSet::all());
    }

    #[test]
    fn support_sees_request_data_only_when_assigned() {
        let support = StaffRole::Support.grants();
        assert!(support.allows(Permission::RequestsData));
        assert!(support.assigned_only);
        assert!(!support.allows(Permission::SubjectsRead));
        assert!(!support.allows(Permission::RecordsRead));
        let both = Grants::of_scopes(&[Scope::Role(StaffRole::Support), Scope::RequestsWrite]);
        assert!(!both.assigned_only);
    }

    #[test]
    fn the_dpo_manages_no_accounts_or_tokens() {
        let dpo = StaffRole::Dpo.grants();
        assert!(!dpo.allows(Permission::AccountsManage));
        assert!(!dpo.allows(Permission::TokensManage));
        assert!(dpo.allows(Permission::RecordsRead));
        assert!(dpo.allows(Permission::IncidentsWrite));
    }

    #[test]
    fn imports_are_run_by_the_admin_and_import_scopes_and_the_dpo_only() {
        assert!(
            Scope::Admin
                .grants()
                .permissions
                .contains(Permission::Import)
        );
        assert!(
            StaffRole::Dpo
                .grants()
                .permissions
                .contains(Permission::Import)
        );
        assert_eq!(
            Scope::Import
                .grants()
                .permissions
                .iter()
                .collect::<Vec<_>>(),
            vec![Permission::Import]
        );
        assert!(!Permission::Import.reads_personal_data());
        for role in [StaffRole::Admin, StaffRole::Support, StaffRole::Auditor] {
            assert!(
                !role.grants().permissions.contains(Permission::Import),
                "{role}"
            );
        }
        assert_eq!("import".parse::<Scope>(), Ok(Scope::Import));
    }

    #[test]
    fn words_round_trip_and_unknown_ones_list_the_valid_words() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        for role in StaffRole::ALL {
            assert_eq!(role.as_str().parse::<StaffRole>(), Ok(role));
        }
        let error = "root@example.com".parse::<Scope>().unwrap_err().to_string();
        assert!(error.contains("records:write"), "{error}");
        assert!(!error.contains("root"), "{error}");
    }

    #[test]
    fn scope_words_name_every_permission_granted() {
        assert_eq!(Scope::Admin.permission_words(), "every permission");
        assert_eq!(Scope::Metrics.permission_words(), "metrics_read");
        assert_eq!(
            Scope::FeaturesWrite.permission_words(),
            "features_read, features_write"
        );
        let support = Scope::Role(StaffRole::Support).permission_words();
        assert!(support.contains("requests_data"), "{support}");
        assert!(support.contains("only in requests assigned"), "{support}");
    }

    #[test]
    fn permission_words_are_their_serde_names() {
        for permission in Permission::ALL {
            let json = serde_json::to_string(&permission).unwrap();
            assert_eq!(json, format!("\"{}\"", permission.as_str()));
        }
    }

    #[test]
    fn every_permission_has_its_own_bit() {
        assert_eq!(PermissionSet::all().iter().count(), Permission::ALL.len());
    }
}
