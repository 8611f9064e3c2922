//! Decisions from memory (issue 19) at the vault, on every backend: a warm decision reads no
//! ledger (no miss), every vault write of decision facts answers the very next decision (a
//! consent given and withdrawn, an objection, a feature switch), vaults sharing one cache (as
//! after a key reload) see each other's writes at once, and a vault with its own cache keeps
//! its stale answer until told (what the app's follower of the change log does).

use std::sync::Arc;

use skydd_consent::ObjectionSource;
use skydd_decide::DenyCode;
use skydd_vault::{FactCache, FeatureInput, Vault};

use super::{Harness, anna, at, consent, denied, dpo, on_each_backend};

#[tokio::test]
async fn warm_decisions_read_no_ledger_and_the_vaults_own_writes_answer_at_once() {
    on_each_backend(async |h: &Harness| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        let cache = Arc::new(FactCache::new(10));
        let vault = h.vault.clone().with_fact_cache(cache.clone());
        let reloaded = h.vault.clone().with_fact_cache(cache.clone());
        let elsewhere = h
            .vault
            .clone()
            .with_fact_cache(Arc::new(FactCache::new(10)));
        let ask = async |v: &Vault, purpose: &str, channel: Option<&str>| {
            v.decide(&dpo(), &subject, purpose, "contact", channel, None, now)
                .await
        };
        let name = h.name;

        assert_eq!(
            denied(ask(&vault, "newsletter", None).await),
            DenyCode::ConsentMissing
        );
        assert_eq!(
            denied(ask(&elsewhere, "newsletter", None).await),
            DenyCode::ConsentMissing
        );
        let misses = cache.stats().misses;
        assert_eq!(
            denied(ask(&reloaded, "newsletter", None).await),
            DenyCode::ConsentMissing
        );
        assert_eq!(
            cache.stats().misses,
            misses,
            "{name}: a warm decision read the ledgers"
        );

        vault
            .record_consent(&dpo(), consent(&subject, "newsletter", true), now)
            .await
            .unwrap();
        assert!(
            ask(&reloaded, "newsletter", None)
                .await
                .unwrap()
                .is_allowed(),
            "{name}"
        );
        assert_eq!(
            denied(ask(&elsewhere, "newsletter", None).await),
            DenyCode::ConsentMissing,
            "{name}: a cache nobody told keeps its answer"
        );
        elsewhere.fact_cache().forget_subject(&subject);
        assert!(
            ask(&elsewhere, "newsletter", None)
                .await
                .unwrap()
                .is_allowed(),
            "{name}"
        );

        reloaded
            .record_consent(&dpo(), consent(&subject, "newsletter", false), now)
            .await
            .unwrap();
        assert_eq!(
            denied(ask(&vault, "newsletter", None).await),
            DenyCode::ConsentWithdrawn,
            "{name}"
        );

        assert!(
            ask(&vault, "marketing", Some("email"))
                .await
                .unwrap()
                .is_allowed()
        );
        vault
            .object(&dpo(), &subject, None, ObjectionSource::Request, true, now)
            .await
            .unwrap();
        assert_eq!(
            denied(ask(&vault, "marketing", Some("email")).await),
            DenyCode::Objection,
            "{name}"
        );

        let in_acme = async |v: &Vault| {
            v.decide(
                &dpo(),
                &subject,
                "ai_processing",
                "work_items",
                None,
                Some(("acme", None)),
                now,
            )
            .await
        };
        assert_eq!(denied(in_acme(&vault).await), DenyCode::FeatureDisabled);
        let switch = FeatureInput {
            feature: "ai_features".into(),
            organisation: "acme".into(),
            project: None,
            enabled: true,
        };
        vault.switch_feature(&dpo(), switch, now).await.unwrap();
        assert!(in_acme(&vault).await.unwrap().is_allowed(), "{name}");

        cache.clear();
        assert_eq!(cache.stats().subjects, 0);
        assert!(
            in_acme(&vault).await.unwrap().is_allowed(),
            "{name}: read again after a clear"
        );
    })
    .await;
}
