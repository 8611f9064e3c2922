//! Staff accounts, sign-in and console sessions (issue 17) through `skydd_app::staff`, on
//! SQLite and on PostgreSQL (`SKYDD_TEST_DATABASE_URL`; required in CI): the whole sign-in with
//! enrolment, refusals that look alike, lock-out with back-off at chosen times, TOTP replay,
//! single-use recovery codes, idle and absolute timeouts, account changes ending sessions, and
//! an audit trail and database without a secret or an address in plaintext.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use skydd_app::staff::{NewAccount, SignInStep, SignedIn, Staff, StaffError};
use skydd_crypto::{Keyring, SessionSecret, TotpSecret, totp};
use skydd_staff::account::{AccountId, AccountState, SessionStage, StaffEmail};
use skydd_staff::permission::{Permission, StaffRole};
use skydd_storage::{AuditFilter, Location, Storage};
use skydd_vault::{Actor, StorageAudit};
use zeroize::Zeroizing;

const EMAIL: &str = "anna.dpo@example.se";
const PASSWORD: &str = "correct horse battery staple";
const IP: &str = "192.0.2.44";

/// One fresh database (a SQLite file, or a PostgreSQL schema dropped afterwards) and a keyring.
struct Fixture {
    _dir: tempfile::TempDir,
    storage: Arc<dyn Storage>,
    staff: Staff,
    postgres: Option<(String, String)>,
    sqlite_dir: std::path::PathBuf,
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = skydd_storage::open(&Location::Sqlite(dir.path().join("skydd.db")))
            .await
            .unwrap();
        Fixture::with(dir, storage, None)
    }

    async fn postgres() -> Option<Fixture> {
        let Ok(url) = std::env::var("SKYDD_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs SKYDD_TEST_DATABASE_URL for the staff tests on PostgreSQL"
            );
            eprintln!(
                "note: SKYDD_TEST_DATABASE_URL is not set; staff tests on PostgreSQL skipped"
            );
            return None;
        };
        let schema = format!(
            "staff_{}",
            AccountId::from_random(skydd_crypto::random_bytes().unwrap()).as_str()
        );
        let storage = skydd_storage::open_postgres_in_schema(&url, &schema)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        Some(Fixture::with(dir, storage, Some((url, schema))))
    }

    fn with(
        dir: tempfile::TempDir,
        storage: Arc<dyn Storage>,
        postgres: Option<(String, String)>,
    ) -> Fixture {
        let (keyring, _) = Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
        let audit = Arc::new(StorageAudit::new(storage.clone()));
        let staff = Staff::new(storage.clone(), Arc::new(keyring), audit);
        let sqlite_dir = dir.path().to_owned();
        Fixture {
            _dir: dir,
            storage,
            staff,
            postgres,
            sqlite_dir,
        }
    }

    async fn clean_up(self) {
        self.storage.close().await.unwrap();
        if let Some((url, schema)) = &self.postgres {
            skydd_storage::drop_postgres_schema(url, schema)
                .await
                .unwrap();
        }
    }
}

/// Each scenario as a test on SQLite and one on PostgreSQL.
macro_rules! staff_scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let fixture = super::Fixture::sqlite().await;
                    super::$name(&fixture).await;
                    fixture.clean_up().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(fixture) = super::Fixture::postgres().await else { return };
                    super::$name(&fixture).await;
                    fixture.clean_up().await;
                }
            )*
        }
    };
}

staff_scenarios!(
    an_account_signs_in_enrols_and_signs_out,
    refusals_look_alike_and_bad_input_is_refused,
    failures_lock_the_account_with_back_off,
    a_totp_code_is_accepted_once_and_recovery_codes_once,
    sessions_time_out_idle_absolute_and_pending,
    account_changes_end_sessions,
    nothing_secret_reaches_the_audit_trail_or_the_database,
);

fn at(time: &str) -> Timestamp {
    time.parse().unwrap()
}

fn admin() -> Actor {
    Actor {
        id: "cli:root".into(),
        ip: Some("192.0.2.1".into()),
        tenant: None,
        sees_confidential: true,
    }
}

async fn create(staff: &Staff, email: &str, role: StaffRole, now: Timestamp) -> AccountId {
    staff
        .create_account(
            NewAccount {
                email: StaffEmail::parse(email).unwrap(),
                role,
                password: Zeroizing::new(PASSWORD.into()),
            },
            &admin(),
            now,
        )
        .await
        .unwrap()
}

async fn password(staff: &Staff, email: &str, given: &str, now: Timestamp) -> SignInStep {
    staff
        .sign_in_password(email, given, Some(IP.into()), now)
        .await
        .unwrap()
}

/// The code an authenticator app shows at `now` for the secret it was given as base32.
fn code_at(base32: &str, now: Timestamp, steps_later: u64) -> String {
    let bytes = data_encoding::BASE32_NOPAD
        .decode(base32.as_bytes())
        .unwrap();
    let secret = TotpSecret::from_bytes(&bytes).unwrap();
    secret
        .code_at_step(totp::step_at(now.as_second()) + steps_later)
        .to_string()
}

/// A complete first sign-in with enrolment at `now`; returns the session, the TOTP secret's
/// base32 and the recovery codes.
async fn enrol(staff: &Staff, email: &str, now: Timestamp) -> (SignedIn, String, Vec<String>) {
    enrol_with(staff, email, PASSWORD, now).await
}

/// [`enrol`] with the password `given`.
async fn enrol_with(
    staff: &Staff,
    email: &str,
    given: &str,
    now: Timestamp,
) -> (SignedIn, String, Vec<String>) {
    let SignInStep::Enrol { pending } = password(staff, email, given, now).await else {
        panic!("a new account enrols first");
    };
    let enrolment = staff.begin_enrolment(&pending, now).await.unwrap();
    let base32 = enrolment.secret_base32.to_string();
    assert!(enrolment.otpauth_uri.starts_with("otpauth://totp/Skydd:"));
    assert!(enrolment.otpauth_uri.contains(&base32));
    let code = code_at(&base32, now, 0);
    let (signed_in, codes) = staff
        .confirm_enrolment(&pending, &code, Some(IP.into()), now)
        .await
        .unwrap();
    let codes = codes.0.iter().map(|c| c.as_str().to_owned()).collect();
    (signed_in, base32, codes)
}

async fn an_account_signs_in_enrols_and_signs_out(f: &Fixture) {
    let t0 = at("2026-12-06T09:00:00Z");
    let id = create(&f.staff, " Anna.DPO@Example.se ", StaffRole::Dpo, t0).await;
    let view = f.staff.account(&id).await.unwrap().unwrap();
    assert_eq!(view.email.expose(), EMAIL);
    assert_eq!(
        (view.role, view.state),
        (StaffRole::Dpo, AccountState::Active)
    );
    assert!(!view.totp_enrolled);

    let (signed_in, _, codes) = enrol(&f.staff, "ANNA.dpo@example.se", t0).await;
    assert_eq!(codes.len(), 10);
    let session = &signed_in.session;
    assert_eq!(session.stage, SessionStage::Full);
    assert_eq!(session.account_id, id);
    assert_eq!(session.email.expose(), EMAIL);
    assert!(session.grants.allows(Permission::IncidentsWrite));
    assert!(!session.grants.allows(Permission::AccountsManage));
    assert_eq!(session.csrf_token, signed_in.secret.csrf_token());
    assert_eq!(
        session.actor(Some(IP.into())).id,
        format!("account:{id}/session:{}", session.session_public_id)
    );

    let found = f
        .staff
        .session(&signed_in.secret, t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.session_public_id, session.session_public_id);
    let view = f.staff.account(&id).await.unwrap().unwrap();
    assert!(view.totp_enrolled);
    assert_eq!(view.recovery_codes_left, 10);
    assert_eq!(view.last_sign_in_at, Some(t0));
    let mine = f.staff.sessions_of(&id, t0).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].ip.as_deref(), Some(IP));

    assert!(f.staff.sign_out(&signed_in.secret, None, t0).await.unwrap());
    assert!(
        f.staff
            .session(&signed_in.secret, t0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!f.staff.sign_out(&signed_in.secret, None, t0).await.unwrap());

    // The next sign-in asks for a code; the pending session has no grants and is not the full one.
    let t1 = at("2026-12-06T10:00:00Z");
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t1).await else {
        panic!("an enrolled account is asked for a code");
    };
    let pending_view = f.staff.session(&pending, t1).await.unwrap().unwrap();
    assert_eq!(pending_view.stage, SessionStage::SecondFactor);
    assert!(pending_view.grants.permissions.iter().next().is_none());
    assert!(matches!(
        f.staff.begin_enrolment(&pending, t1).await,
        Err(StaffError::SignInExpired)
    ));
}

async fn refusals_look_alike_and_bad_input_is_refused(f: &Fixture) {
    let t0 = at("2026-12-06T09:00:00Z");
    let id = create(&f.staff, EMAIL, StaffRole::Support, t0).await;
    let unknown = password(&f.staff, "nobody@example.se", PASSWORD, t0).await;
    let not_an_address = password(&f.staff, "nobody", PASSWORD, t0).await;
    let wrong = password(&f.staff, EMAIL, "wrong horse battery staple", t0).await;
    f.staff.disable_account(&id, &admin(), t0).await.unwrap();
    let disabled = password(&f.staff, EMAIL, PASSWORD, t0).await;
    for step in [unknown, not_an_address, wrong, disabled] {
        assert!(
            matches!(step, SignInStep::Refused { retry_after: None }),
            "{step:?}"
        );
    }

    let duplicate = f
        .staff
        .create_account(
            NewAccount {
                email: StaffEmail::parse("ANNA.DPO@example.se").unwrap(),
                role: StaffRole::Admin,
                password: Zeroizing::new(PASSWORD.into()),
            },
            &admin(),
            t0,
        )
        .await;
    assert!(
        matches!(duplicate, Err(StaffError::Duplicate)),
        "{duplicate:?}"
    );
    let weak = f
        .staff
        .create_account(
            NewAccount {
                email: StaffEmail::parse("other@example.se").unwrap(),
                role: StaffRole::Admin,
                password: Zeroizing::new("short".into()),
            },
            &admin(),
            t0,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(weak.contains("at least 12 characters"), "{weak}");
    assert_eq!(f.staff.list_accounts().await.unwrap().len(), 1);
    let missing = AccountId::from_random([7; 16]);
    assert!(matches!(
        f.staff.disable_account(&missing, &admin(), t0).await,
        Err(StaffError::NoSuchAccount)
    ));
}

async fn failures_lock_the_account_with_back_off(f: &Fixture) {
    let t0 = at("2026-12-06T09:00:00Z");
    create(&f.staff, EMAIL, StaffRole::Dpo, t0).await;
    let wrong = "wrong horse battery staple";
    for n in 1..=4 {
        let step = password(&f.staff, EMAIL, wrong, t0).await;
        assert!(
            matches!(step, SignInStep::Refused { retry_after: None }),
            "{n}: {step:?}"
        );
    }
    let fifth = password(&f.staff, EMAIL, wrong, t0).await;
    let minute = SignedDuration::from_mins(1);
    assert!(
        matches!(fifth, SignInStep::Refused { retry_after: Some(d) } if d == minute),
        "{fifth:?}"
    );
    // Locked: even the right password is refused, with the time left.
    let t30 = t0.checked_add(SignedDuration::from_secs(30)).unwrap();
    let locked = password(&f.staff, EMAIL, PASSWORD, t30).await;
    assert!(
        matches!(locked, SignInStep::Refused { retry_after: Some(d) } if d == SignedDuration::from_secs(30)),
        "{locked:?}"
    );
    // After the minute another failure locks for two.
    let t61 = t0.checked_add(SignedDuration::from_secs(61)).unwrap();
    let sixth = password(&f.staff, EMAIL, wrong, t61).await;
    assert!(
        matches!(sixth, SignInStep::Refused { retry_after: Some(d) } if d == SignedDuration::from_mins(2)),
        "{sixth:?}"
    );
    // Once the lock ends the right password opens the enrolment, and completing the sign-in
    // resets the count.
    let t4 = at("2026-12-06T09:04:00Z");
    let (signed_in, _, _) = enrol(&f.staff, EMAIL, t4).await;
    let view = f
        .staff
        .account(&signed_in.session.account_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.last_sign_in_at, Some(t4));
    let after = password(&f.staff, EMAIL, wrong, t4).await;
    assert!(
        matches!(after, SignInStep::Refused { retry_after: None }),
        "{after:?}"
    );
}

async fn a_totp_code_is_accepted_once_and_recovery_codes_once(f: &Fixture) {
    let t0 = at("2026-12-06T09:00:00Z");
    let id = create(&f.staff, EMAIL, StaffRole::Dpo, t0).await;
    let (_, base32, codes) = enrol(&f.staff, EMAIL, t0).await;

    // The code that confirmed the enrolment cannot sign in again in the same step.
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t0).await else {
        panic!("second factor expected");
    };
    let replay = f
        .staff
        .sign_in_second_factor(&pending, &code_at(&base32, t0, 0), None, t0)
        .await;
    assert!(
        matches!(replay, Err(StaffError::CodeRefused { .. })),
        "{replay:?}"
    );
    // The next step's code works (one step of drift is allowed), once.
    let next = code_at(&base32, t0, 1);
    let signed_in = f
        .staff
        .sign_in_second_factor(&pending, &next, None, t0)
        .await
        .unwrap();
    assert_eq!(signed_in.session.stage, SessionStage::Full);
    assert!(
        f.staff.session(&pending, t0).await.unwrap().is_none(),
        "the pending secret no longer opens the session"
    );
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t0).await else {
        panic!("second factor expected");
    };
    assert!(matches!(
        f.staff
            .sign_in_second_factor(&pending, &next, None, t0)
            .await,
        Err(StaffError::CodeRefused { .. })
    ));

    // A recovery code, in any spelling, works once.
    let sloppy = codes[3].to_lowercase().replace('-', " ");
    f.staff
        .sign_in_second_factor(&pending, &sloppy, None, t0)
        .await
        .unwrap();
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t0).await else {
        panic!("second factor expected");
    };
    assert!(matches!(
        f.staff
            .sign_in_second_factor(&pending, &codes[3], None, t0)
            .await,
        Err(StaffError::CodeRefused { .. })
    ));
    assert_eq!(
        f.staff
            .account(&id)
            .await
            .unwrap()
            .unwrap()
            .recovery_codes_left,
        9
    );
    // Failed codes count toward the lock-out too (one since the last sign-in, four more lock).
    for _ in 0..4 {
        let _ = f
            .staff
            .sign_in_second_factor(&pending, "000000", None, t0)
            .await;
    }
    let locked = f
        .staff
        .sign_in_second_factor(&pending, &code_at(&base32, t0, 1), None, t0)
        .await;
    assert!(
        matches!(
            locked,
            Err(StaffError::CodeRefused {
                retry_after: Some(_)
            })
        ),
        "{locked:?}"
    );
}

async fn sessions_time_out_idle_absolute_and_pending(f: &Fixture) {
    let t0 = at("2026-12-06T08:00:00Z");
    create(&f.staff, EMAIL, StaffRole::Auditor, t0).await;
    let (signed_in, base32, _) = enrol(&f.staff, EMAIL, t0).await;
    let secret = &signed_in.secret;
    let minutes = |m: i64| t0.checked_add(SignedDuration::from_mins(m)).unwrap();

    // Idle: a request every 29 minutes keeps it alive ...
    let mut now = t0;
    for _ in 0..24 {
        now = now.checked_add(SignedDuration::from_mins(29)).unwrap();
        if now >= minutes(12 * 60) {
            break;
        }
        assert!(
            f.staff.session(secret, now).await.unwrap().is_some(),
            "{now}"
        );
    }
    // ... until the absolute timeout of 12 hours.
    assert!(
        f.staff
            .session(secret, minutes(12 * 60))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.staff
            .session(secret, minutes(12 * 60 - 10))
            .await
            .unwrap()
            .is_none(),
        "a timed-out session is ended, not only hidden"
    );

    // A pending session waits 10 minutes for its code.
    let t1 = minutes(13 * 60);
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t1).await else {
        panic!("second factor expected");
    };
    let late = t1.checked_add(SignedDuration::from_mins(10)).unwrap();
    assert!(matches!(
        f.staff
            .sign_in_second_factor(&pending, &code_at(&base32, late, 0), None, late)
            .await,
        Err(StaffError::SignInExpired)
    ));

    // 30 minutes without a request end a session; 29 do not.
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t1).await else {
        panic!("second factor expected");
    };
    let signed_in = f
        .staff
        .sign_in_second_factor(&pending, &code_at(&base32, t1, 0), None, t1)
        .await
        .unwrap();
    let after = |m: i64| t1.checked_add(SignedDuration::from_mins(m)).unwrap();
    assert!(
        f.staff
            .session(&signed_in.secret, after(29))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.staff
            .session(&signed_in.secret, after(59))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.staff
            .session(&signed_in.secret, after(30))
            .await
            .unwrap()
            .is_none(),
        "ended when found idle"
    );
    let unknown = SessionSecret::generate().unwrap();
    assert!(f.staff.session(&unknown, t1).await.unwrap().is_none());
}

async fn account_changes_end_sessions(f: &Fixture) {
    let t0 = at("2026-12-06T09:00:00Z");
    let id = create(&f.staff, EMAIL, StaffRole::Admin, t0).await;
    let (first, base32, _) = enrol(&f.staff, EMAIL, t0).await;
    let SignInStep::SecondFactor { pending } = password(&f.staff, EMAIL, PASSWORD, t0).await else {
        panic!("second factor expected");
    };
    let second = f
        .staff
        .sign_in_second_factor(&pending, &code_at(&base32, t0, 1), None, t0)
        .await
        .unwrap();
    assert_eq!(f.staff.sessions_of(&id, t0).await.unwrap().len(), 2);

    // A new password ends the other sessions.
    let actor = second.session.actor(Some(IP.into()));
    f.staff
        .set_password(
            &id,
            "a new and longer passphrase",
            Some(&second.session.session_public_id),
            &actor,
            t0,
        )
        .await
        .unwrap();
    assert!(f.staff.session(&first.secret, t0).await.unwrap().is_none());
    assert!(f.staff.session(&second.secret, t0).await.unwrap().is_some());
    assert!(matches!(
        password(&f.staff, EMAIL, PASSWORD, t0).await,
        SignInStep::Refused { .. }
    ));

    // Disabling ends the rest; enabling lets the account sign in again.
    f.staff.disable_account(&id, &admin(), t0).await.unwrap();
    assert!(f.staff.session(&second.secret, t0).await.unwrap().is_none());
    f.staff.enable_account(&id, &admin(), t0).await.unwrap();
    let step = password(&f.staff, EMAIL, "a new and longer passphrase", t0).await;
    assert!(matches!(step, SignInStep::SecondFactor { .. }), "{step:?}");

    // A TOTP reset ends sessions and makes the next sign-in enrol again.
    let SignInStep::SecondFactor { pending } = step else {
        unreachable!()
    };
    let third = f
        .staff
        .sign_in_second_factor(&pending, &code_at(&base32, t0, 1), None, t0)
        .await;
    assert!(third.is_err(), "the step was used by the second sign-in");
    let t1 = at("2026-12-06T09:05:00Z");
    let SignInStep::SecondFactor { pending } =
        password(&f.staff, EMAIL, "a new and longer passphrase", t1).await
    else {
        panic!("second factor expected");
    };
    let third = f
        .staff
        .sign_in_second_factor(&pending, &code_at(&base32, t1, 0), None, t1)
        .await
        .unwrap();
    f.staff.reset_totp(&id, &admin(), t1).await.unwrap();
    assert!(f.staff.session(&third.secret, t1).await.unwrap().is_none());
    let view = f.staff.account(&id).await.unwrap().unwrap();
    assert!(!view.totp_enrolled);
    assert_eq!(view.recovery_codes_left, 0);
    let step = password(&f.staff, EMAIL, "a new and longer passphrase", t1).await;
    assert!(matches!(step, SignInStep::Enrol { .. }), "{step:?}");

    // Signing out everywhere ends every session.
    let (fourth, _, _) = enrol_with(&f.staff, EMAIL, "a new and longer passphrase", t1).await;
    let ended = f
        .staff
        .sign_out_everywhere(&id, &fourth.session.actor(None), t1)
        .await
        .unwrap();
    assert!(ended >= 1);
    assert!(f.staff.session(&fourth.secret, t1).await.unwrap().is_none());
    assert_eq!(view.state, AccountState::Active);
}

async fn nothing_secret_reaches_the_audit_trail_or_the_database(f: &Fixture) {
    let t0 = at("2026-12-06T09:00:00Z");
    let id = create(&f.staff, EMAIL, StaffRole::Dpo, t0).await;
    let _ = password(&f.staff, EMAIL, "wrong horse battery staple", t0).await;
    let _ = password(&f.staff, "nobody@example.se", PASSWORD, t0).await;
    let (signed_in, base32, codes) = enrol(&f.staff, EMAIL, t0).await;
    f.staff
        .sign_out(&signed_in.secret, Some(IP.into()), t0)
        .await
        .unwrap();

    let entries = f
        .storage
        .audit_entries(&AuditFilter::default(), 0, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "staff.account.create",
            "staff.sign_in.refused",
            "staff.sign_in.refused",
            "staff.sign_in.password",
            "staff.sign_in",
            "staff.sign_out",
        ]
    );
    let secret = signed_in.secret.encoded().to_string();
    let forbidden = [
        EMAIL,
        "anna.dpo",
        "nobody",
        PASSWORD,
        "wrong horse",
        &base32,
        &codes[0],
        &secret,
    ];
    for entry in &entries {
        let text = format!("{:?}", entry.event);
        for value in forbidden {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }
    let sign_in = &entries[4].event;
    assert_eq!(
        sign_in.actor,
        format!(
            "account:{id}/session:{}",
            signed_in.session.session_public_id
        )
    );
    assert_eq!(sign_in.ip.as_deref(), Some(IP));
    assert_eq!(entries[2].event.actor, "anonymous");
    assert!(
        entries[1]
            .event
            .detail
            .as_deref()
            .unwrap()
            .contains(id.as_str())
    );

    // No value in plaintext in the database files (SQLite; PostgreSQL stores the same
    // values). The IP is not looked for: the audit trail keeps every actor's IP by design.
    if f.postgres.is_none() {
        let totp_bytes = data_encoding::BASE32_NOPAD
            .decode(base32.as_bytes())
            .unwrap();
        let mut scanned = 0;
        for entry in std::fs::read_dir(&f.sqlite_dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            scanned += bytes.len();
            let needles: [&[u8]; 6] = [
                EMAIL.as_bytes(),
                PASSWORD.as_bytes(),
                &totp_bytes,
                base32.as_bytes(),
                codes[0].as_bytes(),
                secret.as_bytes(),
            ];
            for needle in needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "a staff value in plaintext"
                );
            }
        }
        assert!(scanned > 4096, "the database was scanned");
    }
}
