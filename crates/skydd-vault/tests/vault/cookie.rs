//! The banner's cookie choices in the vault (issue 18), on both backends: the browser id kept
//! only as a keyed blind index, the address and user agent sealed under the banner data key and
//! bound to that index, a refused choice writing nothing, the audit trail without either.

use std::collections::BTreeMap;
use std::sync::Arc;

use skydd_consent::BannerAction;
use skydd_crypto::Keyring;
use skydd_register::model::Language;
use skydd_storage::AuditFilter;
use skydd_vault::{
    Actor, BROWSER_INDEX_KIND, CookieChoiceInput, Enforced, StorageAudit, Vault, VaultError,
    WEBSITE_ACTOR,
};

use crate::{Harness, IP, USER_AGENT, at, on_each_backend};

const BROWSER: &str = "VmF1bHRCcm93c2VyX2lkXzAwMQ";

/// A vault over the harness's database enforcing the bundled GleSYS register (its banner).
fn banner_vault(h: &Harness) -> (Vault, Arc<Keyring>) {
    let keyring = Arc::new(Keyring::load(&h.dir.path().join("master.key")).unwrap());
    let register =
        skydd_register::check(include_str!("../../../../examples/registers/glesys.yaml"))
            .register
            .unwrap();
    let vault = Vault::new(
        h.storage.clone(),
        keyring.clone(),
        Arc::new(Enforced::new(register)),
        Arc::new(StorageAudit::new(h.storage.clone())),
    );
    (vault, keyring)
}

fn input(vault: &Vault, browser: &str) -> CookieChoiceInput {
    CookieChoiceInput {
        browser: browser.into(),
        revision: vault.register().cookies.revision(),
        notice_version: vault.register_version().to_owned(),
        language: Language::En,
        action: BannerAction::Custom,
        given: vec!["necessary".into(), "marketing".into()],
        refused: vec!["analytics".into()],
        services: BTreeMap::new(),
        gpc: true,
        dnt: false,
        ip: Some(IP.into()),
        user_agent: Some(USER_AGENT.into()),
    }
}

#[tokio::test]
async fn a_choice_is_stored_under_a_blind_index_with_its_context_sealed() {
    on_each_backend(async |h| {
        let (vault, keyring) = banner_vault(h);
        let now = at("2026-03-01T09:00:00Z");
        let website = Actor::new(WEBSITE_ACTOR);
        let stored = vault
            .record_cookie_choice(&website, input(&vault, BROWSER), now)
            .await
            .unwrap();
        assert_eq!(stored.method, "banner");
        assert_eq!(stored.at, now);

        let index = keyring
            .blind_index_key()
            .blind_index(BROWSER_INDEX_KIND, BROWSER);
        let rows = h.storage.cookie_choices_of(&index).await.unwrap();
        assert_eq!(rows.len(), 1, "{}", h.name);
        let sealed = rows[0].context_ciphertext.clone().unwrap();
        let mut aad = b"skydd/cookie-choice-context/v1\0".to_vec();
        aad.extend_from_slice(&index);
        let context = keyring.banner_data_key().open(&sealed, &aad).unwrap();
        let context: serde_json::Value = serde_json::from_slice(&context).unwrap();
        assert_eq!(
            context,
            serde_json::json!({"ip": IP, "user_agent": USER_AGENT})
        );
        // Bound to its browser: under another browser's index it does not open.
        let mut elsewhere = b"skydd/cookie-choice-context/v1\0".to_vec();
        elsewhere.extend_from_slice(
            &keyring
                .blind_index_key()
                .blind_index(BROWSER_INDEX_KIND, "T3RoZXJCcm93c2VyX2lkXzAwMQ"),
        );
        assert!(keyring.banner_data_key().open(&sealed, &elsewhere).is_err());

        // Listed back; audited without the browser or the address, even from an actor that
        // has one.
        let dpo = Actor {
            id: "token-dpo".into(),
            ip: Some("198.51.100.1".into()),
            tenant: None,
            sees_confidential: true,
        };
        let listed = vault.cookie_choices(&dpo, BROWSER, now).await.unwrap();
        assert!(listed.browser_known);
        assert_eq!(listed.choices, vec![stored]);
        let noisy = Actor {
            id: WEBSITE_ACTOR.into(),
            ip: Some(IP.into()),
            tenant: None,
            sees_confidential: true,
        };
        vault
            .record_cookie_choice(&noisy, input(&vault, BROWSER), now)
            .await
            .unwrap();
        let filter = AuditFilter {
            action: Some("cookie".into()),
            ..AuditFilter::default()
        };
        let audit = h.storage.audit_entries(&filter, 0, 100).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.event.action.as_str()).collect();
        assert_eq!(
            actions,
            ["cookie.choice", "cookie.read", "cookie.choice"],
            "{}",
            h.name
        );
        for entry in &audit {
            let text = format!("{:?}", entry.event);
            assert!(!text.contains(BROWSER) && !text.contains(IP), "{text}");
        }
        assert_eq!(audit[0].event.ip, None);
        assert_eq!(
            audit[2].event.ip, None,
            "the visitor's address is never in the trail"
        );
        assert_eq!(
            audit[1].event.ip.as_deref(),
            Some("198.51.100.1"),
            "staff's is"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_choice_writes_nothing() {
    on_each_backend(async |h| {
        let (vault, keyring) = banner_vault(h);
        let now = at("2026-03-01T09:00:00Z");
        let website = Actor::new(WEBSITE_ACTOR);
        let mut stale = input(&vault, BROWSER);
        stale.revision = "0000000000000000".into();
        let mut malformed = input(&vault, "not a browser id");
        malformed.gpc = false;
        for refused in [stale, malformed] {
            let error = vault
                .record_cookie_choice(&website, refused, now)
                .await
                .unwrap_err();
            assert!(matches!(error, VaultError::Invalid { .. }), "{error:?}");
        }
        let index = keyring
            .blind_index_key()
            .blind_index(BROWSER_INDEX_KIND, BROWSER);
        assert!(
            h.storage
                .cookie_choices_of(&index)
                .await
                .unwrap()
                .is_empty()
        );
        let filter = AuditFilter {
            action: Some("cookie".into()),
            ..AuditFilter::default()
        };
        assert!(
            h.storage
                .audit_entries(&filter, 0, 100)
                .await
                .unwrap()
                .is_empty()
        );
        let unknown = vault.cookie_choices(&website, BROWSER, now).await.unwrap();
        assert!(!unknown.browser_known && unknown.choices.is_empty());
    })
    .await;
}
