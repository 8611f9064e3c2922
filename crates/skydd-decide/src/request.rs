//! What a caller asks.

use skydd_register::model::Channel;

/// An organisation, and optionally one of its projects: where the data in question lives (the
/// project a work item belongs to). Feature switches and organisation consents are looked up here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope<'a> {
    /// The organisation's id.
    pub organisation: &'a str,
    /// The project's id, when the data belongs to one project.
    pub project: Option<&'a str>,
}

/// What the caller wants to do with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Operation {
    /// Read, send, analyse, disclose: any processing beyond keeping it.
    #[default]
    Use,
    /// Keep the data as it is, without using it. The only processing a restriction (Art. 18(2))
    /// still allows. Storage is checked against the register, processor mode, retention and legal
    /// holds only: consent, objections, features and preferences govern use, not keeping.
    Store,
}

/// "May `purpose` use `category` now?", with what the answer may depend on.
///
/// Built with [`DecisionRequest::new`] and the `with_*` methods; ids are borrowed, so building a
/// request does not allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecisionRequest<'a> {
    /// The purpose id, as the register writes it.
    pub purpose: &'a str,
    /// The data category id (`data[].id`), as the register writes it.
    pub category: &'a str,
    /// The channel of a message (marketing e-mail, SMS ...), when the use is sending one.
    pub channel: Option<Channel>,
    /// The interest area of a marketing message, when it has one.
    pub interest: Option<&'a str>,
    /// The organisation or project the data belongs to; defaults to the subject's own.
    pub scope: Option<Scope<'a>>,
    /// Use (default) or storage only.
    pub operation: Operation,
    /// The job role (`roles[].id`) of the person the use is for, when a person asks: the
    /// role must work for the purpose. `None` for a system asking on its own account.
    pub role: Option<&'a str>,
    /// The recipient (`recipients[].id`) that asks, for a use on its side (a sub-processor
    /// asking before it processes): the register must give it the purpose and the category
    /// (P002-30). `None` for the controller's own systems.
    pub recipient: Option<&'a str>,
}

impl<'a> DecisionRequest<'a> {
    /// A request to use `category` for `purpose`.
    pub fn new(purpose: &'a str, category: &'a str) -> DecisionRequest<'a> {
        DecisionRequest {
            purpose,
            category,
            channel: None,
            interest: None,
            scope: None,
            operation: Operation::Use,
            role: None,
            recipient: None,
        }
    }

    /// The use is by the register's recipient `recipient` (`recipients[].id`), on its side.
    pub fn by_recipient(self, recipient: &'a str) -> DecisionRequest<'a> {
        DecisionRequest {
            recipient: Some(recipient),
            ..self
        }
    }

    /// The use is for someone in the job role `role` (`roles[].id`).
    pub fn for_role(self, role: &'a str) -> DecisionRequest<'a> {
        DecisionRequest {
            role: Some(role),
            ..self
        }
    }

    /// The use sends a message on `channel`.
    pub fn with_channel(self, channel: Channel) -> DecisionRequest<'a> {
        DecisionRequest {
            channel: Some(channel),
            ..self
        }
    }

    /// The message is about the interest area `interest`.
    pub fn with_interest(self, interest: &'a str) -> DecisionRequest<'a> {
        DecisionRequest {
            interest: Some(interest),
            ..self
        }
    }

    /// The data belongs to `organisation` as a whole.
    pub fn in_organisation(self, organisation: &'a str) -> DecisionRequest<'a> {
        DecisionRequest {
            scope: Some(Scope {
                organisation,
                project: None,
            }),
            ..self
        }
    }

    /// The data belongs to `project` of `organisation`.
    pub fn in_project(self, organisation: &'a str, project: &'a str) -> DecisionRequest<'a> {
        DecisionRequest {
            scope: Some(Scope {
                organisation,
                project: Some(project),
            }),
            ..self
        }
    }

    /// Ask about keeping the data only ([`Operation::Store`]).
    pub fn storing(self) -> DecisionRequest<'a> {
        DecisionRequest {
            operation: Operation::Store,
            ..self
        }
    }
}
