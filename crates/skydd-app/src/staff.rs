//! Staff accounts of the console (issue 17): accounts, sign-in with password and TOTP,
//! enrolment with recovery codes, console sessions, and every change audited.
//!
//! [`Staff`] is what the console and `skydd user` call; [`App::staff`] and
//! [`Instance::staff`] build one. The e-mail address is found by its blind index (kind
//! `staff_email`) and stored sealed under the keyring's staff data key, as are TOTP secrets and
//! the IP a session began from; passwords are argon2id, codes and session secrets hashes
//! (`skydd_crypto`). The rules (password, lock-out, session lifetimes) are
//! `skydd_staff::policy`, applied here with the `now` each call is given.
//!
//! Sign-in is two steps. [`Staff::sign_in_password`] answers an unknown address, a wrong
//! password and a disabled account alike ([`SignInStep::Refused`], after the same argon2 work);
//! a right password opens a pending session, and [`Staff::sign_in_second_factor`] (or, for an
//! account without TOTP, [`Staff::begin_enrolment`] then [`Staff::confirm_enrolment`]) makes it
//! full under a new secret. Failed passwords and codes count toward the lock-out; a TOTP step is
//! accepted once; a recovery code once.
//!
//! Audit actions (`staff.*`) never carry an e-mail address, password, code or secret: the
//! account id, the session's public id (in the actor `account:<id>/session:<id>`), the IP.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use skydd_crypto::{
    CryptoError, Keyring, PasswordError, PasswordHashString, RandomError, RecoveryCode,
    SessionSecret, TotpSecret, password, random_bytes, recovery,
};
use skydd_staff::account::{
    AccountId, AccountState, AccountView, SessionStage, StaffEmail, StaffEmailError,
};
use skydd_staff::permission::{Grants, PermissionSet, StaffRole};
use skydd_staff::policy::{
    LockoutPolicy, PasswordPolicy, PasswordProblem, SessionPolicy, SessionVerdict,
};
use skydd_storage::{
    StaffAccountRow, StaffFactor, StaffSessionRow, StaffSignIn, StaffTrainingRow, Storage,
    StorageError,
};
use skydd_vault::{Actor, Audit, AuditEvent};
use zeroize::Zeroizing;

use crate::App;
use crate::instance::Instance;

/// The actor of sign-in events before anyone is known to be signed in.
const ANONYMOUS: &str = "anonymous";

/// The rules the staff service applies: password, lock-out and session lifetimes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffPolicies {
    /// What a password must be.
    pub password: PasswordPolicy,
    /// When failed sign-ins lock an account.
    pub lockout: LockoutPolicy,
    /// How long sessions live.
    pub session: SessionPolicy,
}

/// Why a staff operation failed. Messages say what and how to fix it, never an address, a
/// password or a code.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The e-mail address is not usable.
    #[error(transparent)]
    Email(#[from] StaffEmailError),
    /// The password does not meet the policy.
    #[error(transparent)]
    Password(#[from] PasswordProblem),
    /// An account with this e-mail address exists already.
    #[error(
        "an account with this e-mail address exists already; see `skydd user list`, or enable it with `skydd user enable`"
    )]
    Duplicate,
    /// No account has this id (or address).
    #[error("no such staff account; see `skydd user list` for the accounts there are")]
    NoSuchAccount,
    /// The pending sign-in is unknown, ended, expired or at another step.
    #[error("this sign-in has ended or expired; sign in again with your password")]
    SignInExpired,
    /// The second factor was wrong (or replayed); `retry_after` when the account is now locked.
    #[error(
        "the code was not accepted; enter the current code of your authenticator app, or a recovery code"
    )]
    CodeRefused {
        /// How long until another try is accepted, if locked.
        retry_after: Option<SignedDuration>,
    },
    /// The current password given to change one's own password was wrong; `retry_after` when
    /// the account is now locked (the failure counts toward the lock-out like a sign-in's).
    #[error("the current password was not accepted; type the password you sign in with")]
    CurrentPasswordRefused {
        /// How long until another try is accepted, if locked.
        retry_after: Option<SignedDuration>,
    },
    /// The account already has TOTP (enrolment is for accounts without).
    #[error(
        "the account has a second factor already; an admin can reset it with `skydd user reset-totp`"
    )]
    AlreadyEnrolled,
    /// No random bytes.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] PasswordError),
    /// A stored value could not be opened (wrong key file, or a changed row).
    #[error("a staff account's stored value could not be decrypted: {0}")]
    Crypto(#[from] CryptoError),
    /// A stored value is not one Skydd wrote.
    #[error("a staff account's stored {what} is not one Skydd wrote; reset the account")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(StorageError),
    /// The change was made but could not be audited.
    #[error("the change was made but could not be recorded in the audit trail")]
    Audit(#[source] StorageError),
    /// A training record that cannot be kept (a day not yet come, no course named).
    #[error("{what}; {help}")]
    Training {
        /// What is wrong.
        what: String,
        /// How to fix it.
        help: &'static str,
    },
}

impl From<StorageError> for StaffError {
    fn from(error: StorageError) -> StaffError {
        match error {
            StorageError::Conflict(_) => StaffError::Duplicate,
            other => StaffError::Storage(other),
        }
    }
}

/// A new account's details. The password is zeroed on drop and hidden from `Debug`.
pub struct NewAccount {
    /// The sign-in address.
    pub email: StaffEmail,
    /// What it may do.
    pub role: StaffRole,
    /// Its first password (checked against the policy).
    pub password: Zeroizing<String>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The answer to a password.
#[derive(Debug)]
pub enum SignInStep {
    /// Right password; the account has TOTP: ask for a code with this pending session.
    SecondFactor {
        /// The pending session's secret (a short-lived cookie).
        pending: SessionSecret,
    },
    /// Right password; the account has no TOTP yet: enrol one with this pending session.
    Enrol {
        /// The pending session's secret.
        pending: SessionSecret,
    },
    /// Not signed in: the same answer for an unknown address, a wrong password and a disabled
    /// account; `retry_after` while the account is locked.
    Refused {
        /// How long until another try is accepted.
        retry_after: Option<SignedDuration>,
    },
}

/// A TOTP secret being enrolled, to show once (QR code of the URI, and the base32 to type).
pub struct Enrolment {
    /// The secret in base32.
    pub secret_base32: Zeroizing<String>,
    /// The `otpauth://` URI.
    pub otpauth_uri: Zeroizing<String>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

/// A complete sign-in: the session's new secret (set it as the cookie, replacing the pending
/// one) and the session.
#[derive(Debug)]
pub struct SignedIn {
    /// The secret of the now full session.
    pub secret: SessionSecret,
    /// The session.
    pub session: StaffSession,
}

/// A live console session, as [`Staff::session`] finds it.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// The account signed in.
    pub account_id: AccountId,
    /// The session's public id (named in the audit trail).
    pub session_public_id: String,
    /// The account's address (shown as "signed in as"; `Debug` hides it).
    pub email: StaffEmail,
    /// The account's role.
    pub role: StaffRole,
    /// What the session may do: the role's grants once `full`, nothing while pending.
    pub grants: Grants,
    /// How far the sign-in has got.
    pub stage: SessionStage,
    /// The session's CSRF token, for every form (derived from the secret, not stored).
    pub csrf_token: String,
}

impl StaffSession {
    /// The actor of what this session does, from `ip`.
    pub fn actor(&self, ip: Option<String>) -> Actor {
        Actor::staff(self.account_id.as_str(), &self.session_public_id, ip).seeing_confidential(
            self.grants
                .permissions
                .contains(skydd_staff::permission::Permission::Complaints),
        )
    }
}

/// One of an account's open sessions, for "your sessions".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The public id.
    pub public_id: String,
    /// How far its sign-in has got.
    pub stage: SessionStage,
    /// When it began.
    pub created_at: Timestamp,
    /// Its last request (to the minute).
    pub last_seen_at: Timestamp,
    /// The IP it began from, if known.
    pub ip: Option<String>,
}

/// Ten recovery codes, to show once.
#[derive(Debug)]
pub struct RecoveryCodes(pub Vec<RecoveryCode>);

/// The staff service over one instance's storage, keyring and audit sink. Cheap to build.
#[derive(Clone)]
pub struct Staff {
    storage: Arc<dyn Storage>,
    keyring: Arc<Keyring>,
    audit: Arc<dyn Audit>,
    policies: StaffPolicies,
}

impl App {
    /// The staff service of this app, with its policies.
    pub fn staff(&self) -> Staff {
        Staff::new(
            self.storage.clone(),
            self.keyring(),
            self.keys.audit().clone(),
        )
        .with_policies(self.staff_policies())
    }
}

impl Instance {
    /// The staff service of an instance opened without its register (`skydd user`), with the
    /// default policies.
    pub fn staff(&self) -> Staff {
        Staff::new(self.storage.clone(), self.keyring.clone(), self.audit())
    }
}

impl Staff {
    /// The service over `storage`, sealing with `keyring`, auditing into `audit`, with the
    /// default policies.
    pub fn new(storage: Arc<dyn Storage>, keyring: Arc<Keyring>, audit: Arc<dyn Audit>) -> Staff {
        Staff {
            storage,
            keyring,
            audit,
            policies: StaffPolicies::default(),
        }
    }

    /// The same service applying `policies`.
    #[must_use]
    pub fn with_policies(mut self, policies: StaffPolicies) -> Staff {
        self.policies = policies;
        self
    }

    /// The policies applied.
    pub fn policies(&self) -> StaffPolicies {
        self.policies
    }

    // -- Accounts -------------------------------------------------------------------------------

    /// Create an account on behalf of `actor`. Refuses a password the policy refuses and an
    /// address that has an account ([`StaffError::Duplicate`]). The account has no TOTP: its
    /// first sign-in enrols one.
    pub async fn create_account(
        &self,
        new: NewAccount,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<AccountId, StaffError> {
        self.policies.password.check(&new.password, &new.email)?;
        let id = AccountId::from_random(random_bytes()?);
        let hash = password::hash(&new.password)?;
        let row = StaffAccountRow {
            id: id.as_str().to_owned(),
            email_blind_index: self.email_index(&new.email).to_vec(),
            email_ciphertext: self.seal(new.email.expose().as_bytes(), "email", id.as_str())?,
            role: new.role.as_str().to_owned(),
            state: AccountState::Active.as_str().to_owned(),
            password_hash: Some(hash.as_str().to_owned()),
            totp_ciphertext: None,
            totp_last_step: None,
            failed_attempts: 0,
            last_failure_at: None,
            created_at: now,
            updated_at: now,
            last_sign_in_at: None,
            recovery_codes_left: 0,
        };
        let untrained = self.grant_lacks_training(&new.email, new.role).await?;
        self.storage.insert_staff_account(row).await?;
        let training = if untrained {
            " without privacy training recorded"
        } else {
            ""
        };
        let detail = format!("account {id} role {}{training}", new.role);
        self.record(actor, "staff.account.create", "done", detail, now)
            .await?;
        Ok(id)
    }

    /// Record that the person signing in (or to sign in) as `email` completed the privacy
    /// training `course` on `completed_on` (P000-63), audited as `staff.training` with the
    /// account id when there is one, never the address. Refused: a day after `now`'s date, an
    /// empty course or one over 200 characters.
    pub async fn record_training(
        &self,
        email: &StaffEmail,
        completed_on: jiff::civil::Date,
        course: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        let today = skydd_register::zone::stockholm_date(now);
        if completed_on > today {
            return Err(StaffError::Training {
                what: format!("the training date {completed_on} is after today"),
                help: "record a training once it is completed, with the day it was",
            });
        }
        let course = course.trim();
        if course.is_empty() || course.chars().count() > 200 || course.chars().any(char::is_control)
        {
            return Err(StaffError::Training {
                what: "the course must be named, in at most 200 characters of plain text".into(),
                help: "give the course's name, e.g. `GDPR basics 2026`",
            });
        }
        let index = self.email_index(email);
        self.storage
            .insert_staff_training(StaffTrainingRow {
                email_blind_index: index.to_vec(),
                completed_on: completed_on.to_string(),
                course: course.to_owned(),
                recorded_by: actor.id.clone(),
                recorded_at: now,
            })
            .await?;
        let who = match self.storage.staff_account_by_email(&index).await? {
            Some(row) => format!("account {}", row.id),
            None => "no account yet".to_owned(),
        };
        self.record(
            actor,
            "staff.training",
            "done",
            format!("{who} completed_on {completed_on}"),
            now,
        )
        .await
    }

    /// The latest privacy training the person signing in as `email` completed, if any.
    pub async fn latest_training(
        &self,
        email: &StaffEmail,
    ) -> Result<Option<jiff::civil::Date>, StaffError> {
        let rows = self
            .storage
            .staff_trainings(&self.email_index(email))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| row.completed_on.parse().ok())
            .max())
    }

    /// Whether giving `role` to the person signing in as `email` grants personal data to
    /// someone with no privacy training recorded (P000-63): warned about, and audited with the
    /// grant.
    pub async fn grant_lacks_training(
        &self,
        email: &StaffEmail,
        role: StaffRole,
    ) -> Result<bool, StaffError> {
        Ok(role.reads_personal_data() && self.latest_training(email).await?.is_none())
    }

    /// Every account, oldest first.
    pub async fn list_accounts(&self) -> Result<Vec<AccountView>, StaffError> {
        let rows = self.storage.staff_accounts().await?;
        rows.iter().map(|row| self.view(row)).collect()
    }

    /// The account with `id`.
    pub async fn account(&self, id: &AccountId) -> Result<Option<AccountView>, StaffError> {
        let row = self.storage.staff_account(id.as_str()).await?;
        row.as_ref().map(|row| self.view(row)).transpose()
    }

    /// The account signing in as `email`.
    pub async fn account_by_email(
        &self,
        email: &StaffEmail,
    ) -> Result<Option<AccountView>, StaffError> {
        let index = self.email_index(email);
        let row = self.storage.staff_account_by_email(&index).await?;
        row.as_ref().map(|row| self.view(row)).transpose()
    }

    /// Disable an account and end its sessions.
    pub async fn disable_account(
        &self,
        id: &AccountId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        self.set_state(id, AccountState::Disabled, actor, now).await
    }

    /// Enable a disabled account.
    pub async fn enable_account(
        &self,
        id: &AccountId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        self.set_state(id, AccountState::Active, actor, now).await
    }

    async fn set_state(
        &self,
        id: &AccountId,
        state: AccountState,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        let changed = self
            .storage
            .set_staff_account_state(id.as_str(), state.as_str(), now)
            .await?;
        if !changed {
            return Err(StaffError::NoSuchAccount);
        }
        let action = match state {
            AccountState::Active => "staff.account.enable",
            AccountState::Disabled => "staff.account.disable",
        };
        self.record(actor, action, "done", format!("account {id}"), now)
            .await
    }

    /// Clear an account's TOTP and recovery codes and end its sessions: its next sign-in
    /// enrols again.
    pub async fn reset_totp(
        &self,
        id: &AccountId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        if !self.storage.reset_staff_totp(id.as_str(), now).await? {
            return Err(StaffError::NoSuchAccount);
        }
        self.record(
            actor,
            "staff.totp.reset",
            "done",
            format!("account {id}"),
            now,
        )
        .await
    }

    /// Set an account's password (checked against the policy) and end its sessions except
    /// `keep_session` (the public id of the session that changed it, if any).
    pub async fn set_password(
        &self,
        id: &AccountId,
        new_password: &str,
        keep_session: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        let account = self.account(id).await?.ok_or(StaffError::NoSuchAccount)?;
        self.policies.password.check(new_password, &account.email)?;
        let hash = password::hash(new_password)?;
        let changed = self
            .storage
            .set_staff_password(id.as_str(), hash.as_str(), keep_session, now)
            .await?;
        if !changed {
            return Err(StaffError::NoSuchAccount);
        }
        self.record(
            actor,
            "staff.password.set",
            "done",
            format!("account {id}"),
            now,
        )
        .await
    }

    /// A staff member changes their own password: `current` must be the password they sign in
    /// with (a session left open on a shared screen cannot take the account over), checked
    /// under the lock-out policy (a wrong one counts as a failed sign-in; a locked account is
    /// refused without checking), then [`Staff::set_password`].
    pub async fn change_own_password(
        &self,
        id: &AccountId,
        current: &str,
        new_password: &str,
        keep_session: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        let account = self
            .storage
            .staff_account(id.as_str())
            .await?
            .ok_or(StaffError::NoSuchAccount)?;
        let lockout = &self.policies.lockout;
        let locked = lockout.retry_after(account.failed_attempts, account.last_failure_at, now);
        let Some(stored) = account.password_hash.clone().filter(|_| locked.is_none()) else {
            password::verify_dummy(current);
            return Err(StaffError::CurrentPasswordRefused {
                retry_after: locked,
            });
        };
        if !password::verify(current, &PasswordHashString::from_stored(stored)) {
            let failures = self.storage.record_staff_failure(&account.id, now).await?;
            self.record(
                actor,
                "staff.password.set",
                "refused",
                format!("account {id}: wrong current password"),
                now,
            )
            .await?;
            return Err(StaffError::CurrentPasswordRefused {
                retry_after: lockout.retry_after(failures, Some(now), now),
            });
        }
        self.set_password(id, new_password, keep_session, actor, now)
            .await
    }

    // -- Sign-in --------------------------------------------------------------------------------

    /// The first step of a sign-in: `email` and `password` from `ip` at `now`.
    pub async fn sign_in_password(
        &self,
        email: &str,
        password_given: &str,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<SignInStep, StaffError> {
        let account = match StaffEmail::parse(email) {
            Ok(email) => {
                let index = self.email_index(&email);
                self.storage.staff_account_by_email(&index).await?
            }
            Err(_) => None,
        };
        let Some(account) = account else {
            password::verify_dummy(password_given);
            return self.refuse(None, ip, "unknown_account", None, now).await;
        };
        let usable = account.state == AccountState::Active.as_str();
        let Some(stored) = account.password_hash.clone().filter(|_| usable) else {
            password::verify_dummy(password_given);
            return self
                .refuse(Some(&account.id), ip, "disabled", None, now)
                .await;
        };
        let lockout = &self.policies.lockout;
        let locked = lockout.retry_after(account.failed_attempts, account.last_failure_at, now);
        if locked.is_some() {
            password::verify_dummy(password_given);
            return self
                .refuse(Some(&account.id), ip, "locked", locked, now)
                .await;
        }
        if !password::verify(password_given, &PasswordHashString::from_stored(stored)) {
            let failures = self.storage.record_staff_failure(&account.id, now).await?;
            let retry_after = lockout.retry_after(failures, Some(now), now);
            let reason = "wrong_password";
            return self
                .refuse(Some(&account.id), ip, reason, retry_after, now)
                .await;
        }
        self.open_pending(&account, ip, now).await
    }

    /// A refused password: audited with the account id when known, never the address.
    async fn refuse(
        &self,
        account_id: Option<&str>,
        ip: Option<String>,
        reason: &str,
        retry_after: Option<SignedDuration>,
        now: Timestamp,
    ) -> Result<SignInStep, StaffError> {
        let actor = Actor {
            id: ANONYMOUS.to_owned(),
            ip,
            tenant: None,
            sees_confidential: false,
        };
        let detail = match account_id {
            Some(id) => format!("account {id} reason {reason}"),
            None => format!("reason {reason}"),
        };
        self.record(&actor, "staff.sign_in.refused", "refused", detail, now)
            .await?;
        Ok(SignInStep::Refused { retry_after })
    }

    /// A right password: a pending session, at the second factor or the enrolment.
    async fn open_pending(
        &self,
        account: &StaffAccountRow,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<SignInStep, StaffError> {
        let stage = if account.totp_ciphertext.is_some() {
            SessionStage::SecondFactor
        } else {
            SessionStage::Enrolment
        };
        let secret = SessionSecret::generate()?;
        let public_id = AccountId::from_random(random_bytes()?).as_str().to_owned();
        let ip_ciphertext = ip
            .as_deref()
            .map(|ip| self.seal(ip.as_bytes(), "ip", &public_id))
            .transpose()?;
        self.storage
            .insert_staff_session(StaffSessionRow {
                public_id: public_id.clone(),
                secret_hash: secret.hash().to_vec(),
                account_id: account.id.clone(),
                stage: stage.as_str().to_owned(),
                created_at: now,
                last_seen_at: now,
                ip_ciphertext,
                pending_totp_ciphertext: None,
                ended_at: None,
            })
            .await?;
        let actor = Actor::staff(&account.id, &public_id, ip);
        let detail = format!("account {} next {}", account.id, stage.as_str());
        self.record(&actor, "staff.sign_in.password", "done", detail, now)
            .await?;
        Ok(match stage {
            SessionStage::SecondFactor => SignInStep::SecondFactor { pending: secret },
            _ => SignInStep::Enrol { pending: secret },
        })
    }

    /// The second step: a TOTP code (or a recovery code) for the pending session `pending`.
    /// On success the session is full under a new secret; a wrong or replayed code counts
    /// toward the lock-out.
    pub async fn sign_in_second_factor(
        &self,
        pending: &SessionSecret,
        code: &str,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<SignedIn, StaffError> {
        let (session, account) = self
            .pending(pending, SessionStage::SecondFactor, now)
            .await?;
        self.check_not_locked(&account, now)?;
        let sealed = account
            .totp_ciphertext
            .as_deref()
            .ok_or(StaffError::SignInExpired)?;
        let secret = self.open_totp(sealed, "totp", &account.id)?;
        let factor = match secret.verify(code, now.as_second(), account.totp_last_step) {
            Some(step) => Some(StaffFactor::Totp { step }),
            None if recovery::looks_like_code(code) => {
                let stored = self.storage.staff_recovery_codes(&account.id).await?;
                recovery::find(code, &stored).map(|index| StaffFactor::RecoveryCode {
                    hash: stored[index].clone(),
                })
            }
            None => None,
        };
        let Some(factor) = factor else {
            return Err(self.code_refused(&account, &session, ip, now).await?);
        };
        let used = match factor {
            StaffFactor::RecoveryCode { .. } => "recovery_code",
            _ => "totp",
        };
        self.complete(&account, &session, factor, used, ip, now)
            .await
    }

    /// Start enrolling TOTP in the pending session `pending` (stage enrolment): a new secret,
    /// kept sealed in the session until confirmed. Calling it again replaces the secret.
    pub async fn begin_enrolment(
        &self,
        pending: &SessionSecret,
        now: Timestamp,
    ) -> Result<Enrolment, StaffError> {
        let (session, account) = self.pending(pending, SessionStage::Enrolment, now).await?;
        if account.totp_ciphertext.is_some() {
            return Err(StaffError::AlreadyEnrolled);
        }
        let secret = TotpSecret::generate()?;
        let sealed = self.seal(secret.bytes(), "pending_totp", &session.public_id)?;
        if !self
            .storage
            .set_staff_pending_totp(&session.public_id, sealed)
            .await?
        {
            return Err(StaffError::SignInExpired);
        }
        let email = self.open_email(&account)?;
        Ok(Enrolment {
            secret_base32: secret.base32(),
            otpauth_uri: secret.otpauth_uri(email.expose()),
        })
    }

    /// Confirm the enrolment of the pending session `pending` with a code of the new secret:
    /// the account gets its TOTP and ten recovery codes (returned once), the session is full.
    pub async fn confirm_enrolment(
        &self,
        pending: &SessionSecret,
        code: &str,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<(SignedIn, RecoveryCodes), StaffError> {
        let (session, account) = self.pending(pending, SessionStage::Enrolment, now).await?;
        self.check_not_locked(&account, now)?;
        let sealed = session
            .pending_totp_ciphertext
            .as_deref()
            .ok_or(StaffError::SignInExpired)?;
        let secret = self.open_totp(sealed, "pending_totp", &session.public_id)?;
        let Some(step) = secret.verify(code, now.as_second(), None) else {
            return Err(self.code_refused(&account, &session, ip, now).await?);
        };
        let codes = recovery::generate()?;
        let factor = StaffFactor::Enrolment {
            totp_ciphertext: self.seal(secret.bytes(), "totp", &account.id)?,
            step,
            recovery_code_hashes: codes.iter().map(|code| code.hash().to_vec()).collect(),
        };
        let signed_in = self
            .complete(&account, &session, factor, "enrolment", ip, now)
            .await?;
        Ok((signed_in, RecoveryCodes(codes)))
    }

    /// The pending session `pending` in `stage` and its account, both usable at `now`.
    async fn pending(
        &self,
        pending: &SessionSecret,
        stage: SessionStage,
        now: Timestamp,
    ) -> Result<(StaffSessionRow, StaffAccountRow), StaffError> {
        let session = self
            .storage
            .staff_session(&pending.hash())
            .await?
            .filter(|session| session.ended_at.is_none() && session.stage == stage.as_str())
            .ok_or(StaffError::SignInExpired)?;
        let verdict =
            self.policies
                .session
                .verdict(stage, session.created_at, session.last_seen_at, now);
        if let SessionVerdict::Expired(_) = verdict {
            self.storage
                .end_staff_session(&session.public_id, now)
                .await?;
            return Err(StaffError::SignInExpired);
        }
        let account = self
            .storage
            .staff_account(&session.account_id)
            .await?
            .filter(|account| account.state == AccountState::Active.as_str())
            .ok_or(StaffError::SignInExpired)?;
        Ok((session, account))
    }

    fn check_not_locked(
        &self,
        account: &StaffAccountRow,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        let lockout = &self.policies.lockout;
        match lockout.retry_after(account.failed_attempts, account.last_failure_at, now) {
            Some(retry_after) => Err(StaffError::CodeRefused {
                retry_after: Some(retry_after),
            }),
            None => Ok(()),
        }
    }

    /// A wrong second factor: counted, audited, and the error to answer.
    async fn code_refused(
        &self,
        account: &StaffAccountRow,
        session: &StaffSessionRow,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<StaffError, StaffError> {
        let failures = self.storage.record_staff_failure(&account.id, now).await?;
        let retry_after = self.policies.lockout.retry_after(failures, Some(now), now);
        let actor = Actor::staff(&account.id, &session.public_id, ip);
        let detail = format!("account {} reason wrong_code", account.id);
        self.record(&actor, "staff.sign_in.refused", "refused", detail, now)
            .await?;
        Ok(StaffError::CodeRefused { retry_after })
    }

    /// Make the pending `session` full with `factor`, under a new secret; audited.
    async fn complete(
        &self,
        account: &StaffAccountRow,
        session: &StaffSessionRow,
        factor: StaffFactor,
        used: &str,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<SignedIn, StaffError> {
        let secret = SessionSecret::generate()?;
        let completed = self
            .storage
            .complete_staff_sign_in(StaffSignIn {
                account_id: account.id.clone(),
                session_public_id: session.public_id.clone(),
                from_stage: session.stage.clone(),
                new_secret_hash: secret.hash().to_vec(),
                factor,
                now,
            })
            .await?;
        if !completed {
            // A replayed step or a code used meanwhile: counted as a wrong code.
            return Err(self.code_refused(account, session, ip, now).await?);
        }
        let actor = Actor::staff(&account.id, &session.public_id, ip);
        let detail = format!("account {} factor {used}", account.id);
        self.record(&actor, "staff.sign_in", "done", detail, now)
            .await?;
        let session = self
            .session(&secret, now)
            .await?
            .ok_or(StaffError::SignInExpired)?;
        Ok(SignedIn { secret, session })
    }

    // -- Sessions -------------------------------------------------------------------------------

    /// The live session whose secret is `secret` at `now`, or `None` (unknown, ended, timed
    /// out, or its account disabled: a timed-out session is ended here). Records `now` as its
    /// last request at most once a minute. A pending session is returned with no grants.
    pub async fn session(
        &self,
        secret: &SessionSecret,
        now: Timestamp,
    ) -> Result<Option<StaffSession>, StaffError> {
        let Some(row) = self.storage.staff_session(&secret.hash()).await? else {
            return Ok(None);
        };
        if row.ended_at.is_some() {
            return Ok(None);
        }
        let stage = SessionStage::parse(&row.stage).ok_or(StaffError::Corrupt {
            what: "session stage",
        })?;
        let account = self.storage.staff_account(&row.account_id).await?;
        let account = account.filter(|a| a.state == AccountState::Active.as_str());
        let verdict = self
            .policies
            .session
            .verdict(stage, row.created_at, row.last_seen_at, now);
        let (Some(account), SessionVerdict::Live { touch }) = (account, verdict) else {
            self.storage.end_staff_session(&row.public_id, now).await?;
            return Ok(None);
        };
        if touch {
            self.storage
                .touch_staff_session(&row.public_id, now)
                .await?;
        }
        let role = parse_role(&account.role)?;
        let grants = if stage == SessionStage::Full {
            role.grants()
        } else {
            Grants {
                permissions: PermissionSet::EMPTY,
                assigned_only: true,
            }
        };
        Ok(Some(StaffSession {
            account_id: AccountId::parse(&account.id)
                .map_err(|_| StaffError::Corrupt { what: "account id" })?,
            session_public_id: row.public_id,
            email: self.open_email(&account)?,
            role,
            grants,
            stage,
            csrf_token: secret.csrf_token(),
        }))
    }

    /// End the session whose secret is `secret`; audited. Returns whether one was open.
    pub async fn sign_out(
        &self,
        secret: &SessionSecret,
        ip: Option<String>,
        now: Timestamp,
    ) -> Result<bool, StaffError> {
        let Some(row) = self.storage.staff_session(&secret.hash()).await? else {
            return Ok(false);
        };
        if !self.storage.end_staff_session(&row.public_id, now).await? {
            return Ok(false);
        }
        let actor = Actor::staff(&row.account_id, &row.public_id, ip);
        let detail = format!("account {}", row.account_id);
        self.record(&actor, "staff.sign_out", "done", detail, now)
            .await?;
        Ok(true)
    }

    /// End every session of `account_id` on behalf of `actor` (sign out everywhere); audited.
    /// Returns how many were open.
    pub async fn sign_out_everywhere(
        &self,
        account_id: &AccountId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<u64, StaffError> {
        let ended = self
            .storage
            .end_staff_sessions(account_id.as_str(), now)
            .await?;
        let detail = format!("account {account_id} sessions {ended}");
        self.record(actor, "staff.sessions.end", "done", detail, now)
            .await?;
        Ok(ended)
    }

    /// The open sessions of `account_id` that still live at `now`, newest first.
    pub async fn sessions_of(
        &self,
        account_id: &AccountId,
        now: Timestamp,
    ) -> Result<Vec<SessionView>, StaffError> {
        let rows = self.storage.staff_sessions_of(account_id.as_str()).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let stage = SessionStage::parse(&row.stage).ok_or(StaffError::Corrupt {
                what: "session stage",
            })?;
            let verdict =
                self.policies
                    .session
                    .verdict(stage, row.created_at, row.last_seen_at, now);
            if let SessionVerdict::Expired(_) = verdict {
                continue;
            }
            let ip = match &row.ip_ciphertext {
                Some(sealed) => Some(self.open_text(sealed, "ip", &row.public_id, "IP")?),
                None => None,
            };
            views.push(SessionView {
                public_id: row.public_id,
                stage,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                ip,
            });
        }
        Ok(views)
    }

    // -- Sealing, views, audit ------------------------------------------------------------------

    fn email_index(&self, email: &StaffEmail) -> [u8; 32] {
        self.keyring
            .blind_index_key()
            .blind_index(StaffEmail::BLIND_INDEX_KIND, email.expose())
    }

    /// Seal `plain` as the `field` of `owner` (an account id or a session's public id).
    fn seal(&self, plain: &[u8], field: &str, owner: &str) -> Result<Vec<u8>, StaffError> {
        Ok(self
            .keyring
            .staff_data_key()
            .seal(plain, &aad(field, owner))?)
    }

    fn open(
        &self,
        sealed: &[u8],
        field: &str,
        owner: &str,
    ) -> Result<Zeroizing<Vec<u8>>, StaffError> {
        Ok(self
            .keyring
            .staff_data_key()
            .open(sealed, &aad(field, owner))?)
    }

    fn open_text(
        &self,
        sealed: &[u8],
        field: &str,
        owner: &str,
        what: &'static str,
    ) -> Result<String, StaffError> {
        let plain = self.open(sealed, field, owner)?;
        String::from_utf8(plain.to_vec()).map_err(|_| StaffError::Corrupt { what })
    }

    fn open_email(&self, account: &StaffAccountRow) -> Result<StaffEmail, StaffError> {
        let text = Zeroizing::new(self.open_text(
            &account.email_ciphertext,
            "email",
            &account.id,
            "e-mail address",
        )?);
        StaffEmail::parse(&text).map_err(|_| StaffError::Corrupt {
            what: "e-mail address",
        })
    }

    fn open_totp(&self, sealed: &[u8], field: &str, owner: &str) -> Result<TotpSecret, StaffError> {
        let plain = self.open(sealed, field, owner)?;
        TotpSecret::from_bytes(&plain).map_err(|_| StaffError::Corrupt {
            what: "TOTP secret",
        })
    }

    fn view(&self, row: &StaffAccountRow) -> Result<AccountView, StaffError> {
        Ok(AccountView {
            id: AccountId::parse(&row.id)
                .map_err(|_| StaffError::Corrupt { what: "account id" })?,
            email: self.open_email(row)?,
            role: parse_role(&row.role)?,
            state: AccountState::parse(&row.state).ok_or(StaffError::Corrupt {
                what: "account state",
            })?,
            totp_enrolled: row.totp_ciphertext.is_some(),
            recovery_codes_left: row.recovery_codes_left,
            created_at: row.created_at,
            last_sign_in_at: row.last_sign_in_at,
        })
    }

    /// Record a staff event through the audit sink.
    async fn record(
        &self,
        actor: &Actor,
        action: &'static str,
        outcome: &str,
        detail: String,
        now: Timestamp,
    ) -> Result<(), StaffError> {
        self.audit
            .record(AuditEvent {
                at: now,
                actor: actor.id.clone(),
                ip: actor.ip.clone(),
                action,
                purpose: None,
                subject_id: None,
                categories: Vec::new(),
                outcome: outcome.to_owned(),
                detail: Some(detail),
            })
            .await
            .map_err(StaffError::Audit)
    }
}

/// The associated data of a sealed staff value: its field and owner.
fn aad(field: &str, owner: &str) -> Vec<u8> {
    format!("skydd staff v1:{field}:{owner}").into_bytes()
}

fn parse_role(word: &str) -> Result<StaffRole, StaffError> {
    word.parse()
        .map_err(|_| StaffError::Corrupt { what: "role" })
}
