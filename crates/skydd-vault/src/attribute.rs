//! Facts about a person that a legal basis depends on (issue 20; the register's `attributes`):
//! "support rests on the contract while you have a support agreement with us". The company's
//! own systems set them with their dates; `decide` reads them from the subject's facts.

use jiff::Timestamp;
use skydd_storage::SubjectAttributeRow;

use crate::{Actor, Vault, VaultError};

/// A subject's attribute, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttributeView {
    /// The attribute's id, as the register declares it.
    pub attribute: String,
    /// From when it holds.
    pub since: Timestamp,
    /// When it ends (exclusive); `None` while it goes on.
    pub until: Option<Timestamp>,
    /// When it was last set.
    pub recorded_at: Timestamp,
    /// Whether it holds at the time asked about.
    pub holds: bool,
}

impl AttributeView {
    fn from_row(row: SubjectAttributeRow, now: Timestamp) -> AttributeView {
        AttributeView {
            holds: row.since <= now && row.until.is_none_or(|end| now < end),
            attribute: row.attribute,
            since: row.since,
            until: row.until,
            recorded_at: row.recorded_at,
        }
    }
}

impl Vault {
    /// Record that subject `id` holds `attribute` from `since`, until `until` when given
    /// (exclusive), replacing the dates recorded before. Audited as `subject.attribute` with the
    /// attribute and its dates. Refused: an attribute the register does not declare, an end not
    /// after the start; an unknown subject (or another tenant's) is
    /// [`VaultError::UnknownSubject`].
    pub async fn set_attribute(
        &self,
        actor: &Actor,
        id: &str,
        attribute: &str,
        since: Timestamp,
        until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<AttributeView, VaultError> {
        self.declared_attribute(attribute)?;
        if until.is_some_and(|end| end <= since) {
            return Err(VaultError::invalid(
                "`until` is not after `since`",
                "give the moment the attribute ends (exclusive), after the one it starts; leave `until` out while it goes on",
            ));
        }
        let subject = self.subject_row(actor, id).await?;
        let row = SubjectAttributeRow {
            subject_id: subject.id.clone(),
            attribute: attribute.to_owned(),
            since,
            until,
            recorded_at: now,
        };
        if !self.storage.set_subject_attribute(row.clone()).await? {
            return Err(VaultError::UnknownSubject);
        }
        self.facts_changed(&subject.id);
        let dates = match until {
            Some(end) => format!("since:{since} until:{end}"),
            None => format!("since:{since}"),
        };
        self.audit_with_detail(
            actor,
            now,
            "subject.attribute",
            None,
            Some(&subject.id),
            Vec::new(),
            "set",
            Some(format!("attribute:{attribute} {dates}")),
        )
        .await?;
        Ok(AttributeView::from_row(row, now))
    }

    /// Remove an attribute recorded by mistake (an attribute that ended is set again with its
    /// `until` instead, so that what held when stays known). Audited as `subject.attribute`
    /// with outcome `removed`. `Ok(false)` when it was not set.
    pub async fn remove_attribute(
        &self,
        actor: &Actor,
        id: &str,
        attribute: &str,
        now: Timestamp,
    ) -> Result<bool, VaultError> {
        self.declared_attribute(attribute)?;
        let subject = self.subject_row(actor, id).await?;
        let removed = self
            .storage
            .remove_subject_attribute(&subject.id, attribute)
            .await?;
        if removed {
            self.facts_changed(&subject.id);
            self.audit_with_detail(
                actor,
                now,
                "subject.attribute",
                None,
                Some(&subject.id),
                Vec::new(),
                "removed",
                Some(format!("attribute:{attribute}")),
            )
            .await?;
        }
        Ok(removed)
    }

    /// Subject `id`'s attributes, each with whether it holds at `now`.
    pub async fn attributes(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<AttributeView>, VaultError> {
        let subject = self.subject_row(actor, id).await?;
        Ok(self
            .storage
            .subject_attributes(&subject.id)
            .await?
            .into_iter()
            .map(|row| AttributeView::from_row(row, now))
            .collect())
    }

    fn declared_attribute(&self, attribute: &str) -> Result<(), VaultError> {
        if self
            .register()
            .attributes
            .iter()
            .any(|a| a.id.as_str() == attribute)
        {
            return Ok(());
        }
        let declared = self
            .register()
            .attributes
            .iter()
            .map(|a| format!("`{}`", a.id))
            .collect::<Vec<_>>();
        Err(VaultError::invalid(
            "the attribute is not declared in the register",
            if declared.is_empty() {
                "the register declares no `attributes`; add the fact under `attributes` and name it in a basis's `when: {attribute: ID}`".to_owned()
            } else {
                format!("use one of {}", declared.join(", "))
            },
        ))
    }
}
