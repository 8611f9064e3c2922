//! Who a consent or a feature switch is for: one subject, a whole organisation, or one project of
//! an organisation.

use skydd_register::model::{ConsentGiver, FeatureScope};

/// Whose consent an event records.
///
/// A subject gives consent for themself (a newsletter). An organisation's administrator gives it for
/// the organisation, or for one of its projects (AI features, a customer's consent to use traffic
/// data). Which one a purpose needs is its `consent.given_by` in the register.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentScope {
    /// One data subject, by the vault's subject id.
    Subject(String),
    /// A whole organisation (a customer), by its id.
    Organisation(String),
    /// One project of an organisation.
    Project {
        /// The organisation's id.
        organisation: String,
        /// The project's id, unique within the organisation.
        project: String,
    },
}

impl ConsentScope {
    /// Who gives consent at this scope.
    pub fn giver(&self) -> ConsentGiver {
        match self {
            ConsentScope::Subject(_) => ConsentGiver::Subject,
            ConsentScope::Organisation(_) => ConsentGiver::Organisation,
            ConsentScope::Project { .. } => ConsentGiver::Project,
        }
    }

    /// The subject, for a subject scope.
    pub fn subject(&self) -> Option<&str> {
        match self {
            ConsentScope::Subject(subject) => Some(subject),
            _ => None,
        }
    }

    /// The organisation, for an organisation or project scope.
    pub fn organisation(&self) -> Option<&str> {
        match self {
            ConsentScope::Subject(_) => None,
            ConsentScope::Organisation(organisation)
            | ConsentScope::Project { organisation, .. } => Some(organisation),
        }
    }

    /// The project, for a project scope.
    pub fn project(&self) -> Option<&str> {
        match self {
            ConsentScope::Project { project, .. } => Some(project),
            _ => None,
        }
    }
}

impl From<OrganisationScope> for ConsentScope {
    fn from(scope: OrganisationScope) -> ConsentScope {
        match scope {
            OrganisationScope::Organisation(organisation) => {
                ConsentScope::Organisation(organisation)
            }
            OrganisationScope::Project {
                organisation,
                project,
            } => ConsentScope::Project {
                organisation,
                project,
            },
        }
    }
}

/// An organisation, or one project of it: where a feature is switched on or off.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrganisationScope {
    /// The whole organisation.
    Organisation(String),
    /// One project of the organisation.
    Project {
        /// The organisation's id.
        organisation: String,
        /// The project's id, unique within the organisation.
        project: String,
    },
}

impl OrganisationScope {
    /// The organisation's id, for either kind of scope (a project's own organisation).
    pub fn organisation(&self) -> &str {
        match self {
            OrganisationScope::Organisation(organisation)
            | OrganisationScope::Project { organisation, .. } => organisation,
        }
    }

    /// The project, for a project scope.
    pub fn project(&self) -> Option<&str> {
        match self {
            OrganisationScope::Organisation(_) => None,
            OrganisationScope::Project { project, .. } => Some(project),
        }
    }

    /// The kind of scope, as the register's `features.scopes` names it.
    pub fn kind(&self) -> FeatureScope {
        match self {
            OrganisationScope::Organisation(_) => FeatureScope::Organisation,
            OrganisationScope::Project { .. } => FeatureScope::Project,
        }
    }
}
