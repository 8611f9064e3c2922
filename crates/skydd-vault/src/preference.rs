//! Marketing preferences (channels and interest areas) and the signed one-click unsubscribe link
//! that changes them without a login.
//!
//! A link token is `<subject id>.<channel>.<tag>`, the tag an HMAC-SHA-256 (keyed from the master
//! key) over the subject and channel. It holds no personal data and does not expire: an unsubscribe
//! link in an old e-mail must still work. Opting out of marketing never affects administrative
//! messages, which are a purpose of their own.

use jiff::Timestamp;
use skydd_register::model::{Channel, Choice};
use skydd_storage::{LedgerUnit, PreferenceEventRow};

use crate::consent::ledger_audit;
use crate::{Actor, Vault, VaultError};

/// The label that separates unsubscribe tags from every other use of the index key.
const TAG_KIND: &str = "skydd/unsubscribe-link/v1";

/// Compare two byte strings in time independent of where they differ (a tag check must not tell
/// a forger how much of the tag was right).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The stored name of a preference of `kind` (`channel`: a channel word; `interest`: a lower
/// snake case id), checked: the one check of a preference (one at a time, or imported).
pub(crate) fn preference_name(kind: &str, name: &str) -> Result<String, VaultError> {
    match kind {
        "channel" => Ok(channel(name)?.word().to_string()),
        "interest" => {
            let valid = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(VaultError::invalid(
                    "an interest area is a lower snake case id",
                    "write it like `product_news`",
                ));
            }
            Ok(name.to_string())
        }
        _ => Err(VaultError::invalid(
            format!("unknown preference kind `{kind}`"),
            "use `channel` or `interest`",
        )),
    }
}

fn channel(word: &str) -> Result<Channel, VaultError> {
    Channel::ALL
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, c)| *c)
        .ok_or_else(|| {
            VaultError::invalid(
                format!("unknown channel `{word}`"),
                "use email, sms, phone, post, push or in_app",
            )
        })
}

/// Where one marketing channel or interest area of a subject stands: the latest event for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PreferenceView {
    /// `channel` or `interest`.
    pub kind: String,
    /// The channel word (`email`, `sms` ...) or the interest area's id.
    pub name: String,
    /// Opted in (`true`) or out (`false`) by the latest event.
    pub opted_in: bool,
    /// When that event was recorded.
    pub at: Timestamp,
}

impl Vault {
    fn unsubscribe_tag(&self, subject: &str, channel: Channel) -> String {
        let tag = self
            .keyring
            .blind_index_key()
            .blind_index(TAG_KIND, &format!("{subject}\0{}", channel.word()));
        data_encoding::HEXLOWER.encode(&tag)
    }

    /// The token of a one-click unsubscribe link for `subject` on `channel`, to put in marketing
    /// messages (`https://.../unsubscribe?token=...`).
    pub async fn unsubscribe_token(
        &self,
        actor: &Actor,
        subject: &str,
        channel_word: &str,
    ) -> Result<String, VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let channel = channel(channel_word)?;
        Ok(format!(
            "{}.{}.{}",
            row.id,
            channel.word(),
            self.unsubscribe_tag(&row.id, channel)
        ))
    }

    /// Follow an unsubscribe link: opt the subject out of marketing on the link's channel. No
    /// login; the signature is the authority. Returns the channel. A forged or damaged token is
    /// [`VaultError::Invalid`], saying nothing about any subject.
    pub async fn unsubscribe(
        &self,
        token: &str,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<Channel, VaultError> {
        let refused = || {
            VaultError::invalid(
                "this unsubscribe link is not valid",
                "use the link exactly as it came in the message",
            )
        };
        let mut parts = token.trim().splitn(3, '.');
        let (Some(subject), Some(channel_word), Some(tag)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(refused());
        };
        let channel = channel(channel_word).map_err(|_| refused())?;
        if !constant_time_eq(
            self.unsubscribe_tag(subject, channel).as_bytes(),
            tag.as_bytes(),
        ) {
            return Err(refused());
        }
        let actor = Actor {
            id: "unsubscribe_link".into(),
            ip,
            tenant: None,
            sees_confidential: false,
        };
        let row = self
            .subject_row(&actor, subject)
            .await
            .map_err(|_| refused())?;
        let unit = preference_unit(
            &actor,
            &row.id,
            "channel",
            channel.word().into(),
            false,
            now,
            ("preference.unsubscribe", channel.word()),
        );
        self.commit_ledger(&row.id, unit).await?;
        Ok(channel)
    }

    /// A subject's marketing preferences as they stand: per channel and interest area the
    /// latest event, sorted by kind and name. Reading them is audited (`preference.read`).
    pub async fn preferences(
        &self,
        actor: &Actor,
        subject: &str,
        now: Timestamp,
    ) -> Result<Vec<PreferenceView>, VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let current = self.preferences_of(&row.id).await?;
        self.audit(
            actor,
            now,
            "preference.read",
            None,
            Some(&row.id),
            Vec::new(),
            "done",
        )
        .await?;
        Ok(current)
    }

    /// The preferences of the subject `subject` (an id already checked), sorted by kind and
    /// name, not audited: the caller audits the read it is part of.
    pub(crate) async fn preferences_of(
        &self,
        subject: &str,
    ) -> Result<Vec<PreferenceView>, VaultError> {
        let mut current: Vec<PreferenceView> = Vec::new();
        // Events come in `seq` order, so a later one replaces an earlier one.
        for event in self.storage.preferences_of_subject(subject).await? {
            let view = PreferenceView {
                kind: event.kind,
                name: event.name,
                opted_in: event.opted_in,
                at: event.at,
            };
            match current
                .iter_mut()
                .find(|p| p.kind == view.kind && p.name == view.name)
            {
                Some(slot) => *slot = view,
                None => current.push(view),
            }
        }
        current.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
        Ok(current)
    }

    /// Opt a subject in or out of a marketing channel (`kind` `channel`) or interest area
    /// (`kind` `interest`, a free id such as `product_news`).
    pub async fn set_preference(
        &self,
        actor: &Actor,
        subject: &str,
        kind: &str,
        name: &str,
        opted_in: bool,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let name = preference_name(kind, name)?;
        let outcome = if opted_in { "opted_in" } else { "opted_out" };
        let unit = preference_unit(
            actor,
            &row.id,
            kind,
            name,
            opted_in,
            now,
            ("preference.record", outcome),
        );
        self.commit_ledger(&row.id, unit).await
    }
}

/// A preference event of `subject` and its audit event (`action`, `outcome`) as one ledger
/// unit, written together or not at all.
fn preference_unit(
    actor: &Actor,
    subject: &str,
    kind: &str,
    name: String,
    opted_in: bool,
    now: Timestamp,
    (action, outcome): (&'static str, &str),
) -> LedgerUnit {
    LedgerUnit {
        preferences: vec![PreferenceEventRow {
            seq: 0,
            subject_id: subject.to_string(),
            kind: kind.into(),
            name,
            opted_in,
            at: now,
        }],
        audit: vec![ledger_audit(actor, now, action, None, subject, outcome)],
        ..LedgerUnit::default()
    }
}
