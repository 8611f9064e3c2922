//! The staff account a single sign-on opens a console session for: found by the verified
//! e-mail address's blind index, else created for single sign-on only (no password, no TOTP:
//! the provider is the second factor), its role set from the claim at every sign-in, refused
//! when disabled; the session opened `full`, and the sign-in audited.
//!
//! Written beside `skydd_app::staff` before that module landed: it seals and stores the way
//! that module does (same associated data), and is to become a method of its `Staff`.

use jiff::Timestamp;
use skydd_crypto::SessionSecret;
use skydd_staff::account::{AccountId, AccountState, SessionStage, StaffEmail};
use skydd_staff::permission::StaffRole;
use skydd_storage::{StaffAccountRow, StaffSessionRow, StorageError};
use skydd_vault::AuditEvent;

use super::SsoIdentity;
use crate::App;

/// The associated data the e-mail address is sealed with, followed by the account id: the
/// format of `skydd_app::staff` (`skydd staff v1:{field}:{owner}`), so its pages read it.
const EMAIL_AAD: &str = "skydd staff v1:email:";
/// The same for a session's IP, followed by the session's public id.
const IP_AAD: &str = "skydd staff v1:ip:";

/// A console session single sign-on opened. `Debug` hides the secret.
#[derive(Debug)]
pub struct SsoSession {
    /// The session secret, for the cookie (shown to nobody else, stored only as a hash).
    pub secret: SessionSecret,
    /// The account signed in.
    pub account_id: String,
    /// The session's public id (in the audit trail).
    pub session_public_id: String,
    /// The role the claim gave, now the account's.
    pub role: StaffRole,
    /// Whether the account was created by this sign-in.
    pub created: bool,
}

/// Why no session was opened. Never holds the e-mail address.
#[derive(Debug, thiserror::Error)]
pub enum SsoAccountError {
    /// The account is disabled; an admin can enable it again.
    #[error("the staff account is disabled; an admin can enable it (skydd user ...)")]
    Disabled,
    /// The provider's address is not a usable e-mail address.
    #[error("the identity provider's e-mail address is not usable: {0}")]
    Email(#[from] skydd_staff::account::StaffEmailError),
    /// The stored account could not be read (an unknown role or state word).
    #[error("the stored staff account is damaged: {0}")]
    Corrupt(&'static str),
    /// Reading or writing the database failed.
    #[error("cannot open the session: {0}")]
    Storage(#[from] StorageError),
    /// Sealing failed, or no random bytes.
    #[error("cannot seal the account's data: {0}")]
    Crypto(String),
}

impl App {
    /// Open a full console session for `identity`, a person the provider signed in and
    /// [`super::Sso::finish`] checked: the account with that verified address (created with the
    /// role when there is none; its role set to the claim's otherwise), refused when disabled.
    /// The sign-in is audited as `staff.sign_in` by `account:<id>/session:<id>` from `ip`,
    /// with the method and, when it changed, the role; never the address.
    pub async fn open_sso_session(
        &self,
        identity: &SsoIdentity,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<SsoSession, SsoAccountError> {
        let email = StaffEmail::parse(&identity.email)?;
        let keyring = self.keys.current().keyring;
        let index = keyring
            .blind_index_key()
            .blind_index(StaffEmail::BLIND_INDEX_KIND, email.expose());
        let (account_id, created, role_changed) =
            match self.storage.staff_account_by_email(&index).await? {
                Some(row) => {
                    if AccountState::parse(&row.state) != Some(AccountState::Active) {
                        return Err(SsoAccountError::Disabled);
                    }
                    let stored: StaffRole = row
                        .role
                        .parse()
                        .map_err(|_| SsoAccountError::Corrupt("role"))?;
                    if stored != identity.role {
                        self.storage
                            .set_staff_role(&row.id, identity.role.as_str(), now)
                            .await?;
                    }
                    (row.id, false, stored != identity.role)
                }
                None => {
                    let id = AccountId::from_random(random()?);
                    let aad = format!("{EMAIL_AAD}{}", id.as_str());
                    let email_ciphertext = keyring
                        .staff_data_key()
                        .seal(email.expose().as_bytes(), aad.as_bytes())
                        .map_err(|e| SsoAccountError::Crypto(e.to_string()))?;
                    self.storage
                        .insert_staff_account(StaffAccountRow {
                            id: id.as_str().to_owned(),
                            email_blind_index: index.to_vec(),
                            email_ciphertext,
                            role: identity.role.as_str().to_owned(),
                            state: AccountState::Active.as_str().to_owned(),
                            password_hash: None,
                            totp_ciphertext: None,
                            totp_last_step: None,
                            failed_attempts: 0,
                            last_failure_at: None,
                            created_at: now,
                            updated_at: now,
                            last_sign_in_at: None,
                            recovery_codes_left: 0,
                        })
                        .await?;
                    (id.as_str().to_owned(), true, false)
                }
            };
        let secret =
            SessionSecret::generate().map_err(|e| SsoAccountError::Crypto(e.to_string()))?;
        let public_id = data_encoding::HEXLOWER.encode(&random()?);
        let ip_ciphertext = match &ip {
            Some(ip) => Some(
                keyring
                    .staff_data_key()
                    .seal(ip.as_bytes(), format!("{IP_AAD}{public_id}").as_bytes())
                    .map_err(|e| SsoAccountError::Crypto(e.to_string()))?,
            ),
            None => None,
        };
        self.storage
            .insert_staff_session(StaffSessionRow {
                public_id: public_id.clone(),
                secret_hash: secret.hash().to_vec(),
                account_id: account_id.clone(),
                stage: SessionStage::Full.as_str().to_owned(),
                created_at: now,
                last_seen_at: now,
                ip_ciphertext,
                pending_totp_ciphertext: None,
                ended_at: None,
            })
            .await?;
        let mut detail = format!(
            "method=oidc role={}{}",
            identity.role,
            if created { " account=created" } else { "" }
        );
        if role_changed {
            detail.push_str(" role_changed=true");
        }
        // P000-63: a role that reads personal data granted (a new account or a changed role) to
        // someone with no privacy training recorded is logged with that fact.
        if created || role_changed {
            let untrained = self
                .staff()
                .grant_lacks_training(&email, identity.role)
                .await
                .map_err(|error| match error {
                    crate::staff::StaffError::Storage(e) => SsoAccountError::Storage(e),
                    _ => SsoAccountError::Corrupt("privacy training"),
                })?;
            if untrained {
                detail.push_str(" privacy_training=none");
            }
        }
        self.audit()
            .record(AuditEvent {
                at: now,
                actor: format!("account:{account_id}/session:{public_id}"),
                ip,
                action: "staff.sign_in",
                purpose: None,
                subject_id: None,
                categories: Vec::new(),
                outcome: "done".into(),
                detail: Some(detail),
            })
            .await?;
        Ok(SsoSession {
            secret,
            account_id,
            session_public_id: public_id,
            role: identity.role,
            created,
        })
    }
}

fn random() -> Result<[u8; 16], SsoAccountError> {
    skydd_crypto::random_bytes::<16>().map_err(|e| SsoAccountError::Crypto(e.to_string()))
}
