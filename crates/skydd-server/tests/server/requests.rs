//! Data-subject requests through the HTTP API (issue 4), on every backend, at chosen dates:
//! intake, the one-time code, deadlines, every request type, the bad-input list, documents,
//! processor mode, and the plaintext scan of the new tables.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use skydd_app::{App, Clock, LoadedRegister, tokens};
use skydd_crypto::Keyring;
use skydd_server::AppState;
use skydd_staff::permission::{Scope, StaffRole};
use skydd_storage::{Location, Storage};
use skydd_vault::{Actor, OutboxState};
use tokio::sync::oneshot;

use super::{
    Backend, TestApp, backends, capture_logs, database_contents, json_body, problem, random_schema,
    skydd_token,
};

/// The test register with what requests need besides: a category the subject did not provide
/// (`invoice`) kept under Bokföringslagen, and two recipients of contact details (Art. 19): one
/// without a `notify` address (notices wait for manual handling), one with (notices go through
/// the outbox).
const REGISTER: &str = r#"
skydd: 1
published: 2026-01-05
controller:
  name: Exempel AB
  organisation_number: 556647-9241
  address: {street: Box 1, postal_code: 311 22, city: Falkenberg, country: SE}
  contact: {email: privacy@example.se}
authority:
  name: {en: Swedish Authority for Privacy Protection (IMY)}
  country: SE
  address: Box 8114, 104 20 Stockholm, Sweden
  email: imy@imy.se
  url: https://www.imy.se
subjects:
  - {id: customer, name: Customers}
sources:
  - {id: data_subject, kind: data_subject, name: You}
  - {id: accounting, kind: customer, name: Our accounting system}
data:
  - id: contact
    name: Contact details
    provided_by_subject: true
    fields: [name, {id: email, format: email}, {id: phone, format: phone}]
  - id: invoice
    name: Invoices
    provided_by_subject: false
    fields: [number, amount]
events:
  - {id: financial_year_end, name: the end of the financial year}
purposes:
  - id: delivery
    name: Deliver the service
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: contract}
  - id: newsletter
    name: Newsletter
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: consent}
    consent: {wording: I want the newsletter.}
  - id: marketing
    name: Marketing of our products
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: legitimate_interest}
    legitimate_interest: {balancing: Customers expect offers; objection is absolute.}
    direct_marketing: true
    channels: [email]
  - id: bookkeeping
    name: Bookkeeping
    role: controller
    subjects: [customer]
    sources: [accounting]
    legal_basis: {invoice: legal_obligation}
    law: {en: Bokföringslagen (1999:1078)}
retention:
  - {id: contact, category: contact, after: contract_end, keep: 24 months}
  - {id: invoice, category: invoice, after: financial_year_end, keep: 7 years}
legal_holds:
  - id: bookkeeping
    name: {en: Accounting records}
    law: {en: "Bokföringslagen (1999:1078) 7 kap. 2 §"}
    purpose: bookkeeping
    categories: [invoice]
    after: financial_year_end
    keep: 7 years
    round_up_to: end_of_year
recipients:
  - id: mail_provider
    name: {en: Our e-mail provider}
    kind: processor
    country: SE
    purposes: [marketing, newsletter]
    categories: [contact]
  - id: print_shop
    name: {en: Our print shop}
    kind: processor
    country: SE
    purposes: [delivery]
    categories: [contact]
    notify: {email: privacy@print-shop.example}
security:
  - {id: encryption_at_rest, kind: technical, description: Personal data is encrypted at rest.}
rights:
  contact: {email: privacy@example.se}
  response_time: 1 month
  extension: 2 months
  copies: {free: 1, per: 12 months, further: fee}
  identity_verification: [email_code]
"#;

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<Timestamp>>);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn set(&self, at: &str) {
        *self.0.lock().unwrap() = at.parse().unwrap();
    }
}

/// A server on this module's register, with a clock the test moves and the state (for the
/// outbox, which only the operator reads).
struct RequestsApp {
    app: TestApp,
    state: AppState,
    clock: TestClock,
}

async fn spawn(backend: &Backend, at: &str) -> RequestsApp {
    capture_logs();
    let data = tempfile::tempdir().unwrap();
    let postgres_schema = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(url) => Some((url.clone(), format!("{}_rq", random_schema()))),
    };
    let storage: Arc<dyn Storage> = match &postgres_schema {
        None => skydd_storage::open(&Location::Sqlite(data.path().join("skydd.db")))
            .await
            .unwrap(),
        Some((url, schema)) => skydd_storage::open_postgres_in_schema(url, schema)
            .await
            .unwrap(),
    };
    let checked = skydd_register::check(REGISTER);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("register is invalid: {:#?}", checked.diagnostics));
    let register = LoadedRegister::new(register, "requests register");
    let now: Timestamp = at.parse().unwrap();
    register.record(&*storage, now).await.unwrap();
    let admin = tokens::issue(&*storage, &skydd_token(Scope::Admin, "test admin"), now)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let key_file = data.path().join("master.key");
    let (keyring, _) = Keyring::load_or_create(&key_file).unwrap();
    let clock = TestClock(Arc::new(Mutex::new(now)));
    let state = AppState::new(App::new(
        storage.clone(),
        Arc::new(keyring),
        register.clone(),
        Arc::new(clock.clone()),
    ));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(skydd_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    RequestsApp {
        app: TestApp {
            backend: backend.name(),
            app: state.app().clone(),
            address,
            client: reqwest::Client::new(),
            admin_token: admin.secret().to_owned(),
            storage,
            register,
            now,
            shutdown,
            server,
            key_file,
            postgres_schema,
            _data: data,
        },
        state,
        clock,
    }
}

async fn on_each_backend_at(at: &str, scenario: impl AsyncFn(&RequestsApp)) {
    for backend in backends() {
        let app = spawn(&backend, at).await;
        scenario(&app).await;
        app.app.stop().await;
    }
}

impl RequestsApp {
    fn backend(&self) -> &'static str {
        self.app.backend
    }

    /// POST without a token (the public intake).
    async fn post_public(&self, path: &str, body: Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn post_admin(&self, path: &str, body: Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .bearer_auth(&self.app.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        self.app.get_ok(path).await
    }

    /// Submit a request and return the answer.
    async fn submit(&self, body: Value) -> Value {
        json_body(
            self.post_public("/v1/requests", body).await,
            StatusCode::ACCEPTED,
            self.backend(),
        )
        .await
    }

    /// The queued messages (decrypted, as `skydd outbox list` shows them).
    async fn outbox(&self) -> Vec<skydd_vault::OutboxView> {
        self.state
            .vault()
            .outbox(&Actor::new("test"), None, self.clock.now())
            .await
            .unwrap()
    }

    /// The one outbox message of `request` telling a recipient (Art. 19), which must be the
    /// message `notice` names: checked to be stored as ciphertext and addressed to the print
    /// shop, the only recipient with a `notify` address. Returned decrypted.
    async fn recipient_notice_message(
        &self,
        request: &str,
        notice: &skydd_storage::RecipientNotificationRow,
    ) -> skydd_vault::OutboxView {
        let stored: Vec<_> = self
            .app
            .storage
            .outbox_messages(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.request_id.as_deref() == Some(request) && m.kind == "recipient_notice")
            .collect();
        assert_eq!(
            stored.len(),
            1,
            "{}: one notice per address",
            self.backend()
        );
        assert_eq!(notice.recipient, "print_shop");
        assert_eq!(notice.state, "queued");
        assert_eq!(
            notice.outbox_message_id.as_deref(),
            Some(stored[0].id.as_str())
        );
        let contains =
            |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
        assert!(!contains(&stored[0].address_ciphertext, b"print-shop"));
        assert!(!contains(&stored[0].body_ciphertext, b"print shop"));
        assert!(!contains(&stored[0].body_ciphertext, request.as_bytes()));
        let message = self
            .outbox()
            .await
            .into_iter()
            .find(|m| m.id == stored[0].id)
            .unwrap();
        assert_eq!(message.to, "privacy@print-shop.example");
        message
    }

    /// The one-time code sent for `request`.
    async fn code_for(&self, request: &str) -> String {
        let message = self
            .outbox()
            .await
            .into_iter()
            .find(|m| m.request_id.as_deref() == Some(request) && m.kind == "verification_code")
            .unwrap_or_else(|| panic!("{}: no code was sent for {request}", self.backend()));
        message
            .text
            .split(|c: char| !c.is_ascii_digit())
            .find(|word| word.len() == 8)
            .unwrap()
            .to_string()
    }

    /// A subject with this e-mail address and a contact record; returns (subject, record).
    async fn customer(&self, email: &str, name: &str) -> (String, String) {
        let subject = self.app.create_subject(json!({"email": email})).await;
        let record = self
            .app
            .create_record(
                &subject,
                json!({"category": "contact", "purpose": "delivery", "source": "data_subject",
                       "fields": {"name": name, "email": email}}),
            )
            .await;
        (subject, record)
    }

    /// Submit a request of `kind` for `email` and verify it with the code sent.
    async fn verified(&self, kind: &str, email: &str, extra: Value) -> String {
        let mut body = json!({"type": kind, "identity": {"email": email}});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let receipt = self.submit(body).await;
        let id = receipt["id"].as_str().unwrap().to_string();
        if receipt["state"] == "verifying" {
            let code = self.code_for(&id).await;
            let verified = json_body(
                self.post_public(&format!("/v1/requests/{id}/verify"), json!({"code": code}))
                    .await,
                StatusCode::OK,
                self.backend(),
            )
            .await;
            assert_eq!(verified["state"], "verified", "{}", self.backend());
        }
        id
    }

    async fn fulfil(&self, id: &str, body: Value) -> Value {
        json_body(
            self.post_admin(&format!("/v1/requests/{id}/fulfil"), body)
                .await,
            StatusCode::OK,
            self.backend(),
        )
        .await
    }

    async fn decide(&self, subject: &str, purpose: &str) -> Value {
        self.get(&format!(
            "/v1/decisions?subject={subject}&purpose={purpose}&category=contact"
        ))
        .await
    }
}

fn redact(text: &str, ids: &[&str]) -> String {
    let mut text = text.to_string();
    for (n, id) in ids.iter().enumerate() {
        text = text.replace(id, &format!("[id{n}]"));
    }
    text
}

#[tokio::test]
async fn an_access_request_is_verified_by_code_and_answered_with_the_register_excerpt() {
    // Received 14 April 2026: one month ends on Kristi himmelfärdsdag (14 May), so the request
    // is due on Friday 15 May, at the end of the day in Stockholm.
    on_each_backend_at("2026-04-14T08:00:00Z", async |app| {
        let (subject, _) = app.customer("karin@example.se", "Karin Berg").await;
        let receipt = app
            .submit(json!({"type": "access", "identity": {"email": "Karin@Example.se"}}))
            .await;
        let id = receipt["id"].as_str().unwrap().to_string();
        assert_eq!(
            receipt["due_at"],
            "2026-05-15T21:59:59Z",
            "{}",
            app.backend()
        );
        insta::assert_json_snapshot!("request_receipt", receipt, {".id" => "[id]"});

        // Someone who is not a customer gets the same answer and no code goes anywhere.
        let stranger = app
            .submit(json!({"type": "access", "identity": {"email": "nobody@example.se"}}))
            .await;
        assert_eq!(stranger["state"], receipt["state"]);
        assert_eq!(stranger["due_at"], receipt["due_at"]);
        let outbox = app.outbox().await;
        assert!(
            outbox.iter().all(|m| m.to == "karin@example.se"),
            "{}",
            app.backend()
        );
        assert!(
            outbox
                .iter()
                .all(|m| m.request_id.as_deref() != stranger["id"].as_str()),
            "{}: nothing is sent for an unknown identity",
            app.backend()
        );

        let code = app.code_for(&id).await;
        let verified = json_body(
            app.post_public(&format!("/v1/requests/{id}/verify"), json!({"code": code}))
                .await,
            StatusCode::OK,
            app.backend(),
        )
        .await;
        assert_eq!(verified["state"], "verified");

        let package = app.get(&format!("/v1/requests/{id}/package")).await;
        assert_eq!(package["data_found"], true);
        assert_eq!(
            package["identities"][0],
            json!(["email", "karin@example.se"])
        );
        assert_eq!(package["records"][0]["fields"]["name"], "Karin Berg");
        assert_eq!(package["recipients"][0]["id"], "mail_provider");
        assert!(package["authority"].as_str().unwrap().contains("IMY"));
        let html = app
            .app
            .client
            .get(
                app.app
                    .url(&format!("/v1/requests/{id}/package?format=html")),
            )
            .bearer_auth(&app.app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(html.status(), StatusCode::OK);
        let record = package["records"][0]["id"].as_str().unwrap().to_string();
        let html = redact(&html.text().await.unwrap(), &[&id, &record]);
        insta::assert_snapshot!("access_package_html", html);

        let done = app.fulfil(&id, json!({})).await;
        assert_eq!(done["state"], "completed");
        let actions: Vec<&str> = done["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["received", "verified", "started", "completed"]);
        assert!(
            done["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["actor"].is_string() && e["at"].is_string())
        );
        let mut kinds: Vec<String> = app
            .outbox()
            .await
            .into_iter()
            .filter(|m| m.request_id.as_deref() == Some(id.as_str()))
            .map(|m| m.kind)
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            ["completed", "received", "verification_code"],
            "{}",
            app.backend()
        );

        // A second access request within 12 months needs an admin's decision (Art. 12(5)).
        let again = app.verified("access", "karin@example.se", json!({})).await;
        let shown = app.get(&format!("/v1/requests/{again}")).await;
        assert!(
            shown["needs_decision"].is_string(),
            "{}: {shown}",
            app.backend()
        );
        let refused = problem(
            app.post_admin(&format!("/v1/requests/{again}/fulfil"), json!({}))
                .await,
            StatusCode::CONFLICT,
            app.backend(),
        )
        .await;
        assert!(refused["help"].as_str().unwrap().contains("provide_copy"));
        let _ = subject;
    })
    .await;
}

#[tokio::test]
async fn portability_exports_only_what_the_subject_provided_as_json_and_csv_in_a_zip() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let (subject, _) = app.customer("olle@example.se", "Olle Ek").await;
        app.app
            .create_record(
                &subject,
                json!({"category": "invoice", "purpose": "bookkeeping", "source": "accounting",
                       "fields": {"number": "F-1001", "amount": "499"}}),
            )
            .await;
        let id = app
            .verified("portability", "olle@example.se", json!({}))
            .await;
        let response = app
            .app
            .client
            .get(
                app.app
                    .url(&format!("/v1/requests/{id}/package?format=zip")),
            )
            .bearer_auth(&app.app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/zip");
        let zip = response.bytes().await.unwrap();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        let text = String::from_utf8_lossy(&zip);
        assert!(text.contains("data.json") && text.contains("data.csv"));
        assert!(
            text.contains("Olle Ek"),
            "{}: provided data is exported",
            app.backend()
        );
        assert!(
            !text.contains("F-1001"),
            "{}: invoices were not provided by the subject",
            app.backend()
        );
        app.fulfil(&id, json!({})).await;
    })
    .await;
}

#[tokio::test]
async fn rectification_replaces_the_values_audits_and_notifies_recipients() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let (subject, record) = app.customer("eva@example.se", "Eva Smtih").await;
        let id = app
            .verified("rectification", "eva@example.se", json!({}))
            .await;
        // Nothing to correct, or a record of someone else: refused, nothing changed.
        for body in [
            json!({}),
            json!({"corrections": [{"record_id": "0".repeat(32), "fields": {"name": "X"}}]}),
        ] {
            problem(
                app.post_admin(&format!("/v1/requests/{id}/fulfil"), body)
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                app.backend(),
            )
            .await;
            assert_eq!(
                app.get(&format!("/v1/requests/{id}")).await["state"],
                "verified"
            );
        }
        let done = app
            .fulfil(
                &id,
                json!({"corrections": [{"record_id": record, "fields": {"name": "Eva Smith"}}]}),
            )
            .await;
        assert_eq!(done["outcome"]["rectified_records"], 1);
        let read = app
            .get(&format!("/v1/subjects/{subject}/records?purpose=delivery"))
            .await;
        assert_eq!(read["records"][0]["fields"]["name"], "Eva Smith");
        assert_eq!(read["records"][0]["fields"]["email"], "eva@example.se");
        assert_eq!(
            done["recipient_notifications"],
            json!([
                {"recipient": "mail_provider", "action": "rectified", "categories": ["contact"], "state": "manual"},
                {"recipient": "print_shop", "action": "rectified", "categories": ["contact"], "state": "queued"},
            ])
        );
        let notices = app.app.storage.recipient_notifications(&id).await.unwrap();
        assert_eq!(notices.len(), 2, "{}", app.backend());
        assert_eq!(
            (notices[0].recipient.as_str(), notices[0].action.as_str()),
            ("mail_provider", "rectified")
        );
        assert!(!notices[0].letter_text.contains("eva@example.se"));
        assert_eq!(notices[0].outbox_message_id, None, "no address: manual");
        let message = app.recipient_notice_message(&id, &notices[1]).await;
        assert!(message.subject.contains(&id), "{}", message.subject);
        assert!(message.text.contains("Our print shop"), "{}", message.text);
        assert!(!message.text.contains("eva@example.se"));
        assert!(!message.text.contains("Smith"));

        // Delivered: the notice follows its message, and the request shows it.
        let mailer = FakeMailer {
            sent: Mutex::new(Vec::new()),
            fail: None,
        };
        skydd_app::jobs::deliver_due(&app.state.vault(), &mailer, app.clock.now())
            .await
            .unwrap();
        assert!(
            mailer
                .sent
                .lock()
                .unwrap()
                .iter()
                .any(|m| m.to == "privacy@print-shop.example" && m.subject == message.subject),
            "{}",
            app.backend()
        );
        let shown = app.get(&format!("/v1/requests/{id}")).await;
        assert_eq!(
            shown["recipient_notifications"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| (n["recipient"].as_str().unwrap(), n["state"].as_str().unwrap()))
                .collect::<Vec<_>>(),
            [("mail_provider", "manual"), ("print_shop", "sent")],
            "{}",
            app.backend()
        );
        let audit = app
            .app
            .storage
            .audit_events_for_subject(&subject)
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "record.rectify" && e.outcome == "fields:name")
        );
        let contents = String::from_utf8_lossy(&database_contents(&app.app).await).to_lowercase();
        assert!(!contents.contains("smtih"), "{}", app.backend());
    })
    .await;
}

#[tokio::test]
async fn erasure_shreds_everything_except_what_a_legal_hold_keeps_and_says_so() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        // With an invoice of the running financial year: kept under Bokföringslagen.
        let (kept, _) = app.customer("per@example.se", "Per Holm").await;
        app.app
            .create_record(
                &kept,
                json!({"category": "invoice", "purpose": "bookkeeping", "source": "accounting",
                       "fields": {"number": "F-2002", "amount": "99"},
                       "anchors": {"financial_year_end": "2026-12-31T00:00:00Z"}}),
            )
            .await;
        let id = app.verified("erasure", "per@example.se", json!({})).await;
        let done = app.fulfil(&id, json!({})).await;
        assert_eq!(
            done["outcome"]["deleted_records"],
            1,
            "{}: {done}",
            app.backend()
        );
        let exception = &done["outcome"]["kept_under_legal_hold"][0];
        assert_eq!(exception["hold"], "bookkeeping");
        assert_eq!(exception["law"], "Bokföringslagen (1999:1078) 7 kap. 2 §");
        assert_eq!(exception["categories"], json!(["invoice"]));
        let subject = app.get(&format!("/v1/subjects/{kept}")).await;
        assert_eq!(subject["restricted"], true, "kept data is only stored");
        let records = app.app.storage.records_of_subject(&kept).await.unwrap();
        assert_eq!(
            records
                .iter()
                .map(|r| r.category.as_str())
                .collect::<Vec<_>>(),
            ["invoice"]
        );
        let completed = app
            .outbox()
            .await
            .into_iter()
            .find(|m| m.request_id.as_deref() == Some(id.as_str()) && m.kind == "completed")
            .unwrap();
        assert!(
            completed.text.contains("Bokföringslagen") || completed.text.contains("bookkeeping"),
            "{}",
            completed.text
        );

        // Without a hold: the subject is crypto-shredded.
        let (gone, _) = app.customer("lisa@example.se", "Lisa Ny").await;
        let id = app.verified("erasure", "lisa@example.se", json!({})).await;
        app.fulfil(&id, json!({})).await;
        assert!(app.app.storage.get_subject(&gone).await.unwrap().is_none());
        assert!(app.app.storage.subject_key(&gone).await.unwrap().is_none());
        let contents = String::from_utf8_lossy(&database_contents(&app.app).await).to_lowercase();
        assert!(!contents.contains("lisa"), "{}", app.backend());
        // The recipients were told (Art. 19): the one with an address through the outbox.
        let notices = app.app.storage.recipient_notifications(&id).await.unwrap();
        assert_eq!(
            notices
                .iter()
                .map(|n| (n.recipient.as_str(), n.action.as_str(), n.state.as_str()))
                .collect::<Vec<_>>(),
            [
                ("mail_provider", "erased", "manual"),
                ("print_shop", "erased", "queued")
            ],
            "{}",
            app.backend()
        );
        let message = app.recipient_notice_message(&id, &notices[1]).await;
        assert!(
            message.text.contains(&gone),
            "named by the subject reference"
        );
        assert!(!message.text.to_lowercase().contains("lisa"));
    })
    .await;
}

#[tokio::test]
async fn restriction_stops_use_and_lifting_it_tells_the_subject_first() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let (subject, _) = app.customer("nils@example.se", "Nils Ås").await;
        let id = app
            .verified("restriction", "nils@example.se", json!({}))
            .await;
        app.fulfil(&id, json!({})).await;
        let decision = app.decide(&subject, "delivery").await;
        assert_eq!(
            decision["code"],
            "restricted",
            "{}: {decision}",
            app.backend()
        );
        let notices = app.app.storage.recipient_notifications(&id).await.unwrap();
        assert_eq!(notices[0].action, "restricted");

        let lift = app
            .verified("restriction", "nils@example.se", json!({}))
            .await;
        app.fulfil(
            &lift,
            json!({"lift_restriction": "The accuracy of your data is now verified."}),
        )
        .await;
        assert_eq!(app.decide(&subject, "delivery").await["allowed"], true);
        let kinds: Vec<String> = app
            .outbox()
            .await
            .into_iter()
            .filter(|m| m.request_id.as_deref() == Some(lift.as_str()))
            .map(|m| m.kind)
            .collect();
        assert!(
            kinds.contains(&"restriction_lifting".to_string()),
            "{kinds:?}"
        );
        // The notice is queued (and committed) in its own step before the restriction is lifted.
        let shown = app.get(&format!("/v1/requests/{lift}")).await;
        let actions: Vec<&str> = shown["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "received",
                "verified",
                "started",
                "lifting_notified",
                "completed"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn objection_withdrawal_and_opt_out_go_through_the_ledgers() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let (subject, _) = app.customer("ida@example.se", "Ida Lund").await;
        app.post_admin("/v1/consents", json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": "web_form"})).await;
        assert_eq!(app.decide(&subject, "newsletter").await["allowed"], true);
        let id = app.verified("withdraw_consent", "ida@example.se", json!({"purpose": "newsletter"})).await;
        app.fulfil(&id, json!({})).await;
        assert_eq!(app.decide(&subject, "newsletter").await["allowed"], false);

        assert_eq!(app.decide(&subject, "marketing").await["allowed"], true);
        let id = app.verified("objection", "ida@example.se", json!({"purpose": "marketing"})).await;
        let done = app.fulfil(&id, json!({})).await;
        assert_eq!(done["outcome"]["objected_to"], "marketing");
        assert_eq!(app.decide(&subject, "marketing").await["code"], "objection");

        // An objection to a contract purpose is not an Art. 21 objection: answered "not
        // applicable" with the reason (issue 20), and the purpose stays allowed.
        let id = app.verified("objection", "ida@example.se", json!({"purpose": "delivery"})).await;
        let done = app.fulfil(&id, json!({})).await;
        assert_eq!(done["state"], "completed");
        assert_eq!(done["outcome"]["assessment"], "not_applicable");
        assert_eq!(done["outcome"]["not_applicable"], json!([{"purpose": "delivery", "categories": [], "reason": "not_objectable", "basis": "contract"}]));
        assert_eq!(app.decide(&subject, "delivery").await["allowed"], true);
        // An unknown purpose is still refused, and nothing changes (another person: the public
        // intake limits requests per identity).
        app.customer("eva@example.se", "Eva Ek").await;
        let id = app.verified("objection", "eva@example.se", json!({"purpose": "delivery"})).await;
        problem(app.post_admin(&format!("/v1/requests/{id}/fulfil"), json!({"purpose": "nope"})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        assert_eq!(app.get(&format!("/v1/requests/{id}")).await["state"], "verified");

        let (other, _) = app.customer("bo@example.se", "Bo Ek").await;
        let id = app.verified("marketing_opt_out", "bo@example.se", json!({})).await;
        app.fulfil(&id, json!({})).await;
        assert_eq!(app.decide(&other, "marketing").await["allowed"], false);
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_a_clear_client_error_and_changes_nothing() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        app.customer("anna@example.se", "Anna Öberg").await;
        let count = async || app.get("/v1/requests").await.as_array().unwrap().len();

        let unknown = problem(app.post_public("/v1/requests", json!({"type": "delete_me", "identity": {"email": "anna@example.se"}})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        assert!(unknown["detail"].as_str().unwrap().contains("erasure"), "{unknown}");
        insta::assert_json_snapshot!("request_unknown_type", unknown);
        let missing = problem(app.post_public("/v1/requests", json!({"type": "access"})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        insta::assert_json_snapshot!("request_missing_identity", missing);
        problem(app.post_public("/v1/requests", json!({"type": "access", "identity": {"email": "anna@example.se"}, "received_at": "2026-02-01T00:00:00Z"})).await, StatusCode::FORBIDDEN, app.backend()).await;
        assert_eq!(count().await, 0);

        let receipt = app.submit(json!({"type": "erasure", "identity": {"email": "anna@example.se"}})).await;
        let id = receipt["id"].as_str().unwrap().to_string();
        let before = app.get(&format!("/v1/requests/{id}")).await;
        let wrong = problem(app.post_public(&format!("/v1/requests/{id}/verify"), json!({"code": "00000000"})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        insta::assert_json_snapshot!("request_wrong_code", wrong);
        assert_eq!(app.get(&format!("/v1/requests/{id}")).await, before, "a wrong code changes no state");

        // The code expires after 30 minutes.
        let code = app.code_for(&id).await;
        app.clock.set("2026-03-02T08:31:00Z");
        let expired = problem(app.post_public(&format!("/v1/requests/{id}/verify"), json!({"code": code})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        assert!(expired["detail"].as_str().unwrap().contains("expired"), "{expired}");
        assert_eq!(app.get(&format!("/v1/requests/{id}")).await["state"], "verifying");

        // An admin registers a letter that arrived on 31 January: due 2 March (28 Feb is a
        // Saturday); too late to extend on 3 March.
        let letter = json_body(app.post_admin("/v1/requests", json!({"type": "access", "channel": "letter", "identity": {"email": "anna@example.se"}, "received_at": "2026-01-31T10:00:00Z"})).await, StatusCode::ACCEPTED, app.backend()).await;
        assert_eq!(letter["unrolled_due"], "2026-02-28");
        assert_eq!(letter["due_at"], "2026-03-02T22:59:59Z");
        let letter_id = letter["id"].as_str().unwrap().to_string();
        let overdue = app.get("/v1/requests?overdue=true").await;
        assert_eq!(overdue.as_array().unwrap().len(), 0, "due at the end of today");
        app.clock.set("2026-03-03T08:00:00Z");
        let overdue = app.get("/v1/requests?overdue=true").await;
        assert_eq!(overdue[0]["id"], letter_id.as_str());
        let late = problem(app.post_admin(&format!("/v1/requests/{letter_id}/extend"), json!({"months": 1, "reason": "Many requests"})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        insta::assert_json_snapshot!("request_extension_too_late", late);
        assert_eq!(app.get(&format!("/v1/requests/{letter_id}")).await["extended"], false);

        // A closed request cannot be fulfilled again.
        let rejected = json_body(app.post_admin(&format!("/v1/requests/{letter_id}/reject"), json!({"reasons": "The requester could not prove the identity."})).await, StatusCode::OK, app.backend()).await;
        assert_eq!(rejected["state"], "rejected");
        let again = problem(app.post_admin(&format!("/v1/requests/{letter_id}/fulfil"), json!({})).await, StatusCode::CONFLICT, app.backend()).await;
        let again: Value = serde_json::from_str(&redact(&again.to_string(), &[&letter_id])).unwrap();
        insta::assert_json_snapshot!("request_second_fulfilment", again);
        assert_eq!(app.get(&format!("/v1/requests/{letter_id}")).await, rejected);
        problem(app.post_admin(&format!("/v1/requests/{id}/reject"), json!({"reasons": " "})).await, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
    })
    .await;
}

#[tokio::test]
async fn an_extension_within_the_first_month_moves_the_deadline_and_tells_the_subject() {
    on_each_backend_at("2026-11-25T10:00:00Z", async |app| {
        app.customer("sven@example.se", "Sven Dahl").await;
        let receipt = app
            .submit(json!({"type": "access", "identity": {"email": "sven@example.se"}}))
            .await;
        // 25 December is juldagen, then annandag jul, then a weekend: Monday 28 December.
        assert_eq!(receipt["due_at"], "2026-12-28T22:59:59Z");
        let id = receipt["id"].as_str().unwrap();
        let extended = json_body(
            app.post_admin(
                &format!("/v1/requests/{id}/extend"),
                json!({"months": 2, "reason": "Many requests this month."}),
            )
            .await,
            StatusCode::OK,
            app.backend(),
        )
        .await;
        assert_eq!(extended["extended_months"], 2);
        assert_eq!(extended["unrolled_due"], "2027-02-25");
        problem(
            app.post_admin(
                &format!("/v1/requests/{id}/extend"),
                json!({"months": 1, "reason": "More"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend(),
        )
        .await;
        let notice = app
            .outbox()
            .await
            .into_iter()
            .find(|m| m.kind == "extension")
            .unwrap();
        assert!(notice.text.contains("Many requests this month."));
        let soon = app
            .state
            .vault()
            .requests_due_before("2026-12-31T00:00:00Z".parse().unwrap())
            .await
            .unwrap();
        assert!(
            soon.is_empty(),
            "the extension moved it out of the next week"
        );
    })
    .await;
}

#[tokio::test]
async fn identity_documents_are_destroyed_bytes_and_key_when_the_request_closes() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        app.customer("maja@example.se", "Maja Sten").await;
        let receipt = app
            .submit(json!({"type": "access", "identity": {"email": "maja@example.se"}}))
            .await;
        let id = receipt["id"].as_str().unwrap();
        let scan = b"%PDF-1.4 PASSPORT-SCAN-OF-MAJA-STEN-1985".repeat(40);
        let response = app
            .app
            .client
            .post(app.app.url(&format!("/v1/requests/{id}/documents")))
            .header("content-type", "application/pdf")
            .body(scan.clone())
            .send()
            .await
            .unwrap();
        let stored = json_body(response, StatusCode::CREATED, app.backend()).await;
        assert!(stored["id"].is_string());
        let bad = app
            .app
            .client
            .post(app.app.url(&format!("/v1/requests/{id}/documents")))
            .header("content-type", "text/html")
            .body("<p>")
            .send()
            .await
            .unwrap();
        problem(bad, StatusCode::UNPROCESSABLE_ENTITY, app.backend()).await;
        // Beyond the route's limit the body is not even read: a 413 problem, as documented,
        // not the framework's plain text.
        let huge = app
            .app
            .client
            .post(app.app.url(&format!("/v1/requests/{id}/documents")))
            .header("content-type", "application/pdf")
            .body(vec![b'%'; 11 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        let refused = problem(huge, StatusCode::PAYLOAD_TOO_LARGE, app.backend()).await;
        assert_eq!(
            refused["type"], "https://skydd.dev/problems/payload-too-large",
            "{refused}"
        );
        let rows = app.app.storage.request_documents(id).await.unwrap();
        assert_eq!(rows.len(), 1);
        let (ciphertext, wrapped) = (rows[0].ciphertext.clone(), rows[0].wrapped_key.clone());
        let documents = app
            .state
            .vault()
            .request_documents(&Actor::new("dpo"), id, app.clock.now())
            .await
            .unwrap();
        assert_eq!(documents[0].1, scan);

        app.post_admin(
            &format!("/v1/requests/{id}/reject"),
            json!({"reasons": "The scan is unreadable."}),
        )
        .await;
        assert!(
            app.app
                .storage
                .request_documents(id)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            app.app
                .storage
                .verification_code(id)
                .await
                .unwrap()
                .is_none()
        );
        if let Backend::Sqlite = backend_of(app) {
            sqlx_checkpoint(app).await;
        }
        let contents = database_contents(&app.app).await;
        for gone in [&ciphertext[..64], &wrapped[..]] {
            assert!(
                !contents.windows(gone.len()).any(|w| w == gone),
                "{}: bytes or key remain",
                app.backend()
            );
        }
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let text = String::from_utf8_lossy(&contents);
        assert!(!text.contains(&hex(&wrapped)), "{}", app.backend());
        assert!(!text.contains("PASSPORT-SCAN"));
    })
    .await;
}

fn backend_of(app: &RequestsApp) -> Backend {
    match &app.app.postgres_schema {
        None => Backend::Sqlite,
        Some((url, _)) => Backend::Postgres(url.clone()),
    }
}

/// Move the WAL into the database file, so the scan sees what is stored now.
async fn sqlx_checkpoint(app: &RequestsApp) {
    use sqlx::Connection as _;
    let path = app.app._data.path().join("skydd.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_request_about_a_tenants_user_goes_to_the_tenants_queue() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let body = json_body(app.app.client.post(app.app.url("/v1/subjects")).bearer_auth(&app.app.admin_token)
            .json(&json!({"identities": {"email": "user@customer.example"}, "tenant": "acme"})).send().await.unwrap(), StatusCode::CREATED, app.backend()).await;
        let subject = body["id"].as_str().unwrap().to_string();
        let receipt = app.submit(json!({"type": "erasure", "identity": {"email": "user@customer.example"}, "tenant": "acme"})).await;
        assert_eq!(receipt["state"], "received");
        let id = receipt["id"].as_str().unwrap();
        let queue = app.get("/v1/requests?tenant=acme&state=received").await;
        assert_eq!(queue[0]["id"], id);
        assert_eq!(queue[0]["routed_to_controller"], true);
        assert_eq!(queue[0]["subject_id"], subject.as_str());
        problem(app.post_admin(&format!("/v1/requests/{id}/fulfil"), json!({})).await, StatusCode::CONFLICT, app.backend()).await;
        assert!(app.app.storage.get_subject(&subject).await.unwrap().is_some(), "nothing erased on Skydd's own authority");
        assert!(app.outbox().await.is_empty(), "the tenant answers its user");
    })
    .await;
}

#[tokio::test]
async fn request_identities_and_letters_are_never_stored_in_plaintext() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        app.customer("gustav.vasa@example.se", "Gustav Vasa").await;
        let id = app
            .verified("access", "gustav.vasa@example.se", json!({}))
            .await;
        app.submit(json!({"type": "erasure", "identity": {"email": "okand.person@example.se"}}))
            .await;
        app.fulfil(&id, json!({})).await;
        assert!(!app.outbox().await.is_empty());
        let contents = String::from_utf8_lossy(&database_contents(&app.app).await).to_lowercase();
        assert!(
            contents.contains(&id),
            "{}: the scan reads request rows",
            app.backend()
        );
        for value in ["gustav", "vasa", "okand.person", "verification code"] {
            assert!(
                !contents.contains(value),
                "{}: `{value}` is stored in plaintext",
                app.backend()
            );
        }
    })
    .await;
}

#[tokio::test]
async fn only_intake_and_verification_are_public_and_auditors_only_read() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let receipt = app
            .submit(json!({"type": "access", "identity": {"email": "x@example.se"}}))
            .await;
        let id = receipt["id"].as_str().unwrap();
        let auditor = app.app.issue(Scope::Role(StaffRole::Auditor)).await;
        for path in [
            "/v1/requests".to_string(),
            format!("/v1/requests/{id}"),
            format!("/v1/requests/{id}/package"),
        ] {
            problem(
                app.app.get(&path, None).await,
                StatusCode::UNAUTHORIZED,
                app.backend(),
            )
            .await;
            problem(
                app.app.get(&path, Some("skydd_bogus_token")).await,
                StatusCode::UNAUTHORIZED,
                app.backend(),
            )
            .await;
        }
        assert_eq!(
            app.app
                .get("/v1/requests", Some(auditor.secret()))
                .await
                .status(),
            StatusCode::OK
        );
        for action in ["fulfil", "reject", "extend"] {
            let path = format!("/v1/requests/{id}/{action}");
            problem(
                app.post_public(&path, json!({})).await,
                StatusCode::UNAUTHORIZED,
                app.backend(),
            )
            .await;
            let response = app
                .app
                .client
                .post(app.app.url(&path))
                .bearer_auth(auditor.secret())
                .json(&json!({"reasons": "x", "months": 1, "reason": "x"}))
                .send()
                .await
                .unwrap();
            problem(response, StatusCode::FORBIDDEN, app.backend()).await;
        }
        assert_eq!(
            app.get(&format!("/v1/requests/{id}")).await["state"],
            "verifying"
        );
    })
    .await;
}

/// A mailer that records what it is asked to send, or fails as told.
struct FakeMailer {
    sent: Mutex<Vec<skydd_outbox::OutgoingMessage>>,
    fail: Option<skydd_outbox::MailError>,
}

impl skydd_outbox::Mailer for FakeMailer {
    fn send(
        &self,
        message: &skydd_outbox::OutgoingMessage,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), skydd_outbox::MailError>> + Send + '_>>
    {
        let message = message.clone();
        Box::pin(async move {
            match &self.fail {
                Some(error) => Err(error.clone()),
                None => {
                    self.sent.lock().unwrap().push(message);
                    Ok(())
                }
            }
        })
    }
}

#[tokio::test]
async fn the_outbox_is_delivered_retried_and_never_dropped() {
    use skydd_app::jobs::{deliver_due, warn_due_soon};
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        app.customer("tove@example.se", "Tove Alm").await;
        app.submit(json!({"type": "access", "identity": {"email": "tove@example.se"}}))
            .await;
        let vault = app.state.vault();
        let now = app.clock.now();

        // The server is down for now: retried later, with the error (no address in it) kept.
        let deferred = FakeMailer {
            sent: Mutex::new(Vec::new()),
            fail: Some(skydd_outbox::MailError::Deferred { code: 451 }),
        };
        let round = deliver_due(&vault, &deferred, now).await.unwrap();
        assert_eq!((round.sent, round.failed), (0, 2), "{}", app.backend());
        let queued = app.outbox().await;
        assert!(
            queued.iter().all(|m| m.state == OutboxState::Queued
                && m.attempts == 1
                && m.next_attempt_at > now)
        );
        assert!(
            queued
                .iter()
                .all(|m| !m.last_error.as_deref().unwrap().contains("tove"))
        );
        assert_eq!(
            deliver_due(&vault, &deferred, now).await.unwrap().failed,
            0,
            "not due yet"
        );

        // Later it works: both messages go out once.
        app.clock.set("2026-03-02T09:00:00Z");
        let working = FakeMailer {
            sent: Mutex::new(Vec::new()),
            fail: None,
        };
        let round = deliver_due(&vault, &working, app.clock.now())
            .await
            .unwrap();
        assert_eq!(round.sent, 2);
        assert!(
            working
                .sent
                .lock()
                .unwrap()
                .iter()
                .all(|m| m.to == "tove@example.se")
        );
        assert!(
            app.outbox()
                .await
                .iter()
                .all(|m| m.state == OutboxState::Sent && m.sent_at.is_some())
        );
        assert_eq!(
            deliver_due(&vault, &working, app.clock.now())
                .await
                .unwrap()
                .sent,
            0
        );

        // A permanent refusal is not retried, and the message stays listed as failed.
        app.submit(json!({"type": "erasure", "identity": {"email": "tove@example.se"}}))
            .await;
        let refused = FakeMailer {
            sent: Mutex::new(Vec::new()),
            fail: Some(skydd_outbox::MailError::Rejected { code: 550 }),
        };
        deliver_due(&vault, &refused, app.clock.now())
            .await
            .unwrap();
        let failed = vault
            .outbox(
                &Actor::new("test"),
                Some(OutboxState::Failed),
                app.clock.now(),
            )
            .await
            .unwrap();
        assert_eq!(failed.len(), 2, "{}", app.backend());

        // Both requests are due on 2 April: within a week from 27 March, not from 20 March.
        assert_eq!(
            warn_due_soon(&vault, "2026-03-20T08:00:00Z".parse().unwrap())
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            warn_due_soon(&vault, "2026-03-27T08:00:00Z".parse().unwrap())
                .await
                .unwrap(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn portability_is_sent_directly_to_another_controller_when_asked() {
    // Issue 20 (Art. 20(2)): "the right to have the personal data transmitted directly from one
    // controller to another, where technically feasible". The file goes to the endpoint the
    // person gave, with its token; only an accepted file completes the request, and the letter
    // names the receiving controller.
    use std::sync::{Arc, Mutex};
    /// What the receiver was sent: the `Authorization` header and the body.
    type Received = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;
    let received: Received = Arc::default();
    let store = received.clone();
    let receiver = axum::Router::new()
        .route(
            "/import",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let store = store.clone();
                    async move {
                        let auth = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        store.lock().unwrap().push((auth, body.to_vec()));
                        StatusCode::ACCEPTED
                    }
                },
            ),
        )
        .route(
            "/busy",
            axum::routing::post(|| async { StatusCode::SERVICE_UNAVAILABLE }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        received.lock().unwrap().clear();
        app.customer("moves@example.se", "Mia Flytt").await;
        let id = app.verified("portability", "moves@example.se", json!({})).await;
        let to = |path: &str| {
            json!({"transmit_to": {"controller": "Ny Leverantör AB", "url": format!("{endpoint}{path}"), "token": "s3cret-token"}})
        };

        // The receiver cannot take it: nothing completes, the error names the origin and the
        // status, never the token.
        let refused = problem(
            app.post_admin(&format!("/v1/requests/{id}/fulfil"), to("/busy")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend(),
        )
        .await;
        let detail = refused["detail"].as_str().unwrap();
        assert!(detail.contains(&endpoint) && detail.contains("HTTP 503"), "{detail}");
        assert!(!refused.to_string().contains("s3cret"), "{refused}");
        assert_ne!(app.get(&format!("/v1/requests/{id}")).await["state"], "completed");

        // Not an https:// address: refused before anything is sent.
        problem(
            app.post_admin(
                &format!("/v1/requests/{id}/fulfil"),
                json!({"transmit_to": {"controller": "X", "url": "ftp://example.org/in"}}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend(),
        )
        .await;

        let done = app.fulfil(&id, to("/import")).await;
        assert_eq!(done["state"], "completed", "{}", app.backend());
        assert_eq!(
            done["outcome"]["transmitted_to"],
            json!({"controller": "Ny Leverantör AB", "origin": endpoint}),
            "{}",
            app.backend()
        );
        let sent = received.lock().unwrap().clone();
        assert_eq!(sent.len(), 1, "{}", app.backend());
        assert_eq!(sent[0].0.as_deref(), Some("Bearer s3cret-token"));
        assert_eq!(&sent[0].1[..4], b"PK\x03\x04", "a zip file");
        assert!(String::from_utf8_lossy(&sent[0].1).contains("Mia Flytt"));
        let letter = app
            .outbox()
            .await
            .into_iter()
            .find(|m| m.request_id.as_deref() == Some(id.as_str()) && m.kind == "completed")
            .unwrap();
        assert!(
            letter.text.contains("sent the data directly to Ny Leverantör AB")
                || letter.text.contains("skickat uppgifterna direkt till Ny Leverantör AB"),
            "{}",
            letter.text
        );

        // Only a portability request is sent anywhere.
        let access = app.verified("access", "moves@example.se", json!({})).await;
        problem(
            app.post_admin(&format!("/v1/requests/{access}/fulfil"), to("/import")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend(),
        )
        .await;
    })
    .await;
}

/// P003-35: a register that verifies identity by a signed written request only (work-items:
/// `identity_verification: [signed_request]`) sends no code; a code is refused with 409, and
/// staff confirm the identity with `POST /v1/requests/{id}/identity`: a method the register
/// does not name is refused with 422, the signed request verifies it.
#[tokio::test]
async fn a_signed_written_request_is_confirmed_by_staff_where_the_register_takes_no_code() {
    const WORKITEMS: &str = include_str!("../../../../examples/registers/workitems.yaml");
    for backend in super::backends() {
        let app = super::spawn_app_on_register(&backend, WORKITEMS).await;
        let submitted = app
            .post_ok(
                "/v1/requests",
                json!({"type": "access", "identity": {"email": "anna@example.se"}}),
                StatusCode::ACCEPTED,
            )
            .await;
        assert_eq!(submitted["state"], "verifying", "{}", app.backend);
        let id = submitted["id"].as_str().unwrap().to_owned();

        let code = app
            .send(
                reqwest::Method::POST,
                &format!("/v1/requests/{id}/verify"),
                Some(&json!({"code": "12345678"})),
            )
            .await;
        let refused = problem(code, StatusCode::CONFLICT, app.backend).await;
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("verified by signed_request, not by a code"),
            "{refused}"
        );
        for (method, says) in [
            ("id_document", "does not verify identity by `id_document`"),
            ("email_code", "is proved with the code"),
            ("fax", "is not an identity verification method"),
        ] {
            let response = app
                .send(
                    reqwest::Method::POST,
                    &format!("/v1/requests/{id}/identity"),
                    Some(&json!({"method": method})),
                )
                .await;
            let refused = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(
                refused["detail"].as_str().unwrap().contains(says),
                "{method}: {refused}"
            );
        }

        let verified = app
            .post_ok(
                &format!("/v1/requests/{id}/identity"),
                json!({"method": "signed_request"}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(verified["state"], "verified", "{}", app.backend);
        let shown = app.get_ok(&format!("/v1/requests/{id}")).await;
        let events = shown["events"].as_array().unwrap();
        assert_eq!(
            events.last().unwrap()["detail"],
            "method:signed_request",
            "{shown}"
        );
        let again = app
            .send(
                reqwest::Method::POST,
                &format!("/v1/requests/{id}/identity"),
                Some(&json!({"method": "signed_request"})),
            )
            .await;
        problem(again, StatusCode::CONFLICT, app.backend).await;
        app.stop().await;
    }
}

/// P000-72: "We treat your request and any complaints confidentially. Our representative will
/// contact you ... We strive to remedy complaints within a reasonable time." A complaint is a
/// request of its own type: taken in without a code, seen only by the privacy officer (a DPO
/// token sees it; support and auditor tokens neither list it nor find it), owned by whom it is
/// assigned to, due within the register's response time, and overdue after it (listed as such
/// and counted in `/metrics`); answering it completes it without touching data.
#[tokio::test]
async fn a_complaint_is_the_privacy_officers_alone_and_goes_overdue() {
    on_each_backend_at("2026-03-02T08:00:00Z", async |app| {
        let receipt = app
            .submit(json!({"type": "complaint", "identity": {"email": "upset@example.se"}}))
            .await;
        let id = receipt["id"].as_str().unwrap().to_owned();
        let dpo = app.app.issue(Scope::Role(StaffRole::Dpo)).await;
        let support = app.app.issue(Scope::Role(StaffRole::Support)).await;
        let auditor = app.app.issue(Scope::Role(StaffRole::Auditor)).await;
        let listed = async |token: &str| -> Vec<String> {
            let response = app.app.get("/v1/requests", Some(token)).await;
            json_body(response, StatusCode::OK, app.backend())
                .await
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(listed(dpo.secret()).await, [id.as_str()]);
        for other in [&support, &auditor] {
            assert!(listed(other.secret()).await.is_empty(), "{}", app.backend());
            problem(
                app.app
                    .get(&format!("/v1/requests/{id}"), Some(other.secret()))
                    .await,
                StatusCode::NOT_FOUND,
                app.backend(),
            )
            .await;
        }
        let seen = json_body(
            app.app
                .get(&format!("/v1/requests/{id}"), Some(dpo.secret()))
                .await,
            StatusCode::OK,
            app.backend(),
        )
        .await;
        assert_eq!(seen["type"], "complaint", "{seen}");
        // No identity check: a complaint is heard whoever makes it.
        assert_eq!(seen["state"], "verified", "{seen}");
        assert_eq!(seen["due_at"], "2026-04-02T21:59:59Z", "{seen}");

        // Owned: assigned to the DPO token.
        let response = app
            .app
            .client
            .post(app.app.url(&format!("/v1/requests/{id}/assign")))
            .bearer_auth(dpo.secret())
            .json(&json!({"assignee": dpo.id.to_string()}))
            .send()
            .await
            .unwrap();
        let assigned = json_body(response, StatusCode::OK, app.backend()).await;
        assert_eq!(assigned["assignee"], dpo.id.to_string());

        // A month later it is overdue, for the DPO and in /metrics.
        app.clock.set("2026-04-03T08:00:00Z");
        let overdue = json_body(
            app.app
                .get("/v1/requests?overdue=true", Some(dpo.secret()))
                .await,
            StatusCode::OK,
            app.backend(),
        )
        .await;
        assert_eq!(overdue[0]["id"], id.as_str(), "{overdue}");
        let metrics = app
            .app
            .get("/metrics", Some(&app.app.admin_token))
            .await
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("skydd_requests_overdue 1"), "{metrics}");

        // Answered: completed, no data touched.
        let done = app.fulfil(&id, json!({})).await;
        assert_eq!(done["state"], "completed", "{done}");
        assert_eq!(done["outcome"]["complaint_answered"], true, "{done}");
    })
    .await;
}

/// P002-42: "we may request that the customer assists in identifying the individual user and
/// specifying which right the user wishes to exercise". With PartnerSec's register
/// (`identity_verification: [customer_confirmation]`) a request waits in `verifying` with its
/// task, `confirm_identity_by: ["customer_confirmation"]`; it cannot be fulfilled until the
/// customer's answer is recorded, which is then in its history; the task is gone after it.
#[tokio::test]
async fn a_request_waits_for_the_customers_confirmation_before_fulfilment() {
    const PARTNERSEC: &str = include_str!("../../../../examples/registers/partnersec.yaml");
    for backend in super::backends() {
        let app = super::spawn_app_on_register(&backend, PARTNERSEC).await;
        let submitted = app
            .post_ok(
                "/v1/requests",
                json!({"type": "access", "identity": {"email": "user@customer.example"}}),
                StatusCode::ACCEPTED,
            )
            .await;
        assert_eq!(submitted["state"], "verifying", "{}", app.backend);
        let id = submitted["id"].as_str().unwrap().to_owned();
        let pending = app.get_ok(&format!("/v1/requests/{id}")).await;
        assert_eq!(
            pending["confirm_identity_by"],
            json!(["customer_confirmation"]),
            "{pending}"
        );

        let early = app
            .send(
                reqwest::Method::POST,
                &format!("/v1/requests/{id}/fulfil"),
                Some(&json!({})),
            )
            .await;
        problem(early, StatusCode::CONFLICT, app.backend).await;

        let confirmed = app
            .post_ok(
                &format!("/v1/requests/{id}/identity"),
                json!({"method": "customer_confirmation"}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(confirmed["state"], "verified", "{confirmed}");
        let shown = app.get_ok(&format!("/v1/requests/{id}")).await;
        assert_eq!(shown["confirm_identity_by"], json!([]), "{shown}");
        let events = shown["events"].as_array().unwrap();
        assert_eq!(
            events.last().unwrap()["detail"],
            "method:customer_confirmation",
            "{shown}"
        );
        let done = app
            .post_ok(
                &format!("/v1/requests/{id}/fulfil"),
                json!({}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(done["state"], "completed", "{done}");
        app.stop().await;
    }
}

/// P002-41: "It is important that it is the data subject (the individual user) ... that
/// exercises these individual rights." A request filed by the customer's administrator for a
/// user (`on_behalf`) waits for the user's own confirmation: a code goes to the user although
/// PartnerSec's register otherwise takes none, staff cannot confirm it in the user's place, and
/// the user's code verifies it.
#[tokio::test]
async fn a_request_filed_for_a_user_needs_the_users_own_confirmation() {
    const PARTNERSEC: &str = include_str!("../../../../examples/registers/partnersec.yaml");
    for backend in super::backends() {
        let app = super::spawn_app_on_register(&backend, PARTNERSEC).await;
        app.create_subject(json!({"email": "user@customer.example"}))
            .await;
        let submitted = app
            .post_ok(
                "/v1/requests",
                json!({"type": "erasure", "identity": {"email": "user@customer.example"},
                       "on_behalf": true}),
                StatusCode::ACCEPTED,
            )
            .await;
        assert_eq!(submitted["state"], "verifying", "{}", app.backend);
        let id = submitted["id"].as_str().unwrap().to_owned();

        // Staff (the customer's confirmation) cannot stand in for the user.
        let staff = app
            .send(
                reqwest::Method::POST,
                &format!("/v1/requests/{id}/identity"),
                Some(&json!({"method": "customer_confirmation"})),
            )
            .await;
        let refused = problem(staff, StatusCode::CONFLICT, app.backend).await;
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("filed on the person's behalf"),
            "{refused}"
        );

        // The user got a code and confirms with it.
        let code = app.verification_code(&id).await;
        let verified = app
            .post_ok(
                &format!("/v1/requests/{id}/verify"),
                json!({"code": code}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(verified["state"], "verified", "{verified}");
        app.stop().await;
    }
}
