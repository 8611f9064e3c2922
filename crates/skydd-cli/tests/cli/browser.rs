//! The browser suite (issue 17): the console in real Chromium, driven by `playwright-core`
//! from `tests/browser/console.mjs`, against a real `skydd serve` on each backend; and the
//! privacy centre (issue 18) as the seeded subject uses it.
//!
//! This test prepares what a privacy team would have on its first day: a fresh instance with
//! the bundled register (plus a newsletter on consent, which the bundled one lacks), a DPO and
//! an admin account made with `skydd user create` (neither has signed in, so the first sign-in
//! enrols TOTP), and data through the API with the admin token printed at first start: a
//! subject with a record, a consent and two access requests waiting for their codes. Then node runs the scenarios with the address, the accounts and the seeded ids in its
//! environment; the test fails with node's output when node fails.
//!
//! The consent banner (issue 18) runs in a second test: the example company website
//! (`examples/website/`) served by node from an origin of its own, a `skydd serve` with the
//! website's cookie section in its register and `--allowed-origin` for the website, and the
//! banner scenarios; then the server again on the same data with a register whose cookie
//! section differs, and the scenario that must be asked again.
//!
//! Without Chromium (`/usr/bin/chromium`, or `CHROMIUM`), node or `tests/browser/node_modules`
//! the tests skip with a note, unless `CI` is set, where they fail: `.ci/run` installs them.

use std::collections::BTreeSet;
use std::io::Write as _;

use serde_json::json;

use super::*;

/// The longest the whole node run may take before it counts as hung.
const SUITE_PATIENCE: Duration = Duration::from_secs(600);

/// The seeded subject's e-mail address (made up; the pages show it to the DPO).
const SUBJECT_EMAIL: &str = "anna.andersson@example.se";

/// The seeded subject's phone number (the Swedish privacy centre scan signs in with it).
const SUBJECT_PHONE: &str = "070-123 45 67";

/// What the runner adds to the bundled register: a newsletter on consent, which the bundled
/// register (GleSYS's policy: accepting the policy is not consent) has none of, so the privacy
/// centre has a consent to show and withdraw (issue 18).
const NEWSLETTER: &str = "
  # Added by the browser suite: a purpose on consent, for the privacy centre's withdraw button.
  - id: newsletter
    name: {en: Newsletter about new services, sv: Nyhetsbrev om nya tjänster}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis:
      customer_identity: consent
    consent:
      wording: {en: Send me the newsletter about new services., sv: Skicka mig nyhetsbrevet om nya tjänster.}
";

/// The bundled register with [`NEWSLETTER`] first among its purposes, written to `dir`.
fn register_with_a_consent(dir: &Path) -> PathBuf {
    let bundled = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/registers/glesys.yaml"),
    )
    .unwrap();
    assert!(
        bundled.contains("\npurposes:\n"),
        "the bundled register has a purposes list"
    );
    let path = dir.join("register.yaml");
    std::fs::write(
        &path,
        bundled.replacen("\npurposes:\n", &format!("\npurposes:{NEWSLETTER}"), 1),
    )
    .unwrap();
    path
}

/// The directory of the browser suite.
fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// The browser the suite drives: Debian's `chromium` unless `CHROMIUM` names another.
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Whether `program` runs (`program --version` succeeds).
fn runs(program: &OsStr) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether node, Chromium and the suite's npm packages are there; in CI they must be.
fn suite_available() -> bool {
    let modules = suite_dir().join("node_modules");
    let mut missing = Vec::new();
    if !runs(OsStr::new("node")) {
        missing.push("node (20 or newer)".to_owned());
    }
    if !runs(chromium().as_os_str()) {
        missing.push(format!(
            "Chromium at {} (`apt-get install chromium`)",
            chromium().display()
        ));
    }
    for package in ["playwright-core", "axe-core"] {
        if !modules.join(package).join("package.json").is_file() {
            missing.push(format!(
                "{package} in tests/browser/node_modules (`cd tests/browser && npm ci`)"
            ));
        }
    }
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the browser suite, but it lacks: {} (`.ci/run` installs them)",
        missing.join(", ")
    );
    // libtest captures eprintln!, not writes to the stderr handle: this note is seen.
    let _ = std::io::stderr().write_all(
        format!(
            "note: the browser suite is skipped: no {}\n",
            missing.join(", no ")
        )
        .as_bytes(),
    );
    false
}

/// `skydd user create` of an account with `role` and a password given on stdin.
fn create_account(data: &Path, database: &[String], email: &str, role: &str, password: &str) {
    let mut child = skydd()
        .args(["user", "create", "--email", email, "--role", role])
        .args(["--password-stdin", "--data-dir"])
        .arg(data)
        .args(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "skydd user create --role {role}: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// The 8-digit verification codes waiting in the outbox.
fn queued_codes(data: &Path, database: &[String]) -> BTreeSet<String> {
    let output = run(skydd()
        .args(["outbox", "list", "--state", "queued", "--data-dir"])
        .arg(data)
        .args(database));
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| line.len() == 8 && line.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

/// A request of `kind` for the seeded subject by `identity`, made as the subject makes one (no
/// token): its id and the code the subject was sent.
fn intake(
    server: &Server,
    data: &Path,
    database: &[String],
    kind: &str,
    identity: Value,
) -> (String, String) {
    let before = queued_codes(data, database);
    let body = json!({"type": kind, "identity": identity});
    let (status, request) = block_on(async {
        let response = reqwest::Client::new()
            .post(server.url("/v1/requests"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    });
    assert_eq!(status, 202, "{request}");
    assert_eq!(request["state"], "verifying", "{request}");
    let codes: Vec<String> = queued_codes(data, database)
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(codes.len(), 1, "one new code in the outbox: {codes:?}");
    (request["id"].as_str().unwrap().to_owned(), codes[0].clone())
}

/// The subject, its record, a newsletter consent, an objection and an e-mail opt-out, and its
/// unsubscribe link; the link's path.
fn seed_subject(server: &Server, token: &str) -> String {
    let (status, subject) = send(
        "POST",
        &server.url("/v1/subjects"),
        token,
        Some(json!({"identities": {"email": SUBJECT_EMAIL, "phone": SUBJECT_PHONE}})),
    );
    assert_eq!(status, 201, "{subject}");
    let subject = subject["id"].as_str().unwrap();
    let (status, record) = send(
        "POST",
        &server.url(&format!("/v1/subjects/{subject}/records")),
        token,
        Some(json!({
            "category": "customer_identity",
            "purpose": "service_delivery",
            "source": "data_subject",
            "fields": {"name": "Anna Andersson", "country": "SE", "personnummer": "19811218-9876"},
        })),
    );
    assert_eq!(status, 201, "{record}");
    // A consent to the newsletter, for the privacy centre to show and withdraw.
    let (status, consent) = send(
        "POST",
        &server.url("/v1/consents"),
        token,
        Some(
            json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": "web_form"}),
        ),
    );
    assert_eq!(status, 201, "{consent}");
    // An objection to direct marketing and an opt-out of e-mail, for the subject page to show.
    let (status, objection) = send(
        "POST",
        &server.url(&format!("/v1/subjects/{subject}/objections")),
        token,
        Some(json!({"objected": true})),
    );
    assert!(status < 300, "{status} {objection}");
    let (status, preference) = send(
        "PUT",
        &server.url(&format!("/v1/subjects/{subject}/preferences/channel/email")),
        token,
        Some(json!({"opted_in": false})),
    );
    assert!(status < 300, "{status} {preference}");
    let (status, link) = send(
        "GET",
        &server.url(&format!(
            "/v1/subjects/{subject}/unsubscribe-link?channel=email"
        )),
        token,
        None,
    );
    assert_eq!(status, 200, "{link}");
    link["path"].as_str().unwrap().to_owned()
}

/// Run `node console.mjs` with `env`; its output, and whether it passed (`None`: it hung).
/// `SKYDD_SUITE` in `env` chooses the scenarios (the console's without it).
fn run_node(env: &[(&str, String)]) -> (Option<bool>, String) {
    let mut command = Command::new("node");
    command
        .arg("console.mjs")
        .current_dir(suite_dir())
        .env("CHROMIUM", chromium())
        // Only the run this test chooses writes screenshots (see below).
        .env_remove("SKYDD_SCREENSHOTS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let output = Arc::new(Mutex::new(String::new()));
    let readers = [
        collect(child.stdout.take().unwrap(), output.clone(), |_| {}),
        collect(child.stderr.take().unwrap(), output.clone(), |_| {}),
    ];
    let deadline = Instant::now() + SUITE_PATIENCE;
    let passed = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status.success());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(100));
    };
    for reader in readers {
        reader.join().unwrap();
    }
    let output = output.lock().unwrap().clone();
    (passed, output)
}

#[test]
fn the_console_works_in_chromium_for_the_privacy_team() {
    if !suite_available() {
        return;
    }
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let database_args = database.args();
        let register = register_with_a_consent(dir.path());
        let mut serve_args = vec![
            "--data-dir",
            data.to_str().unwrap(),
            "--register",
            register.to_str().unwrap(),
        ];
        serve_args.extend(database_args.iter().map(String::as_str));
        let server = Server::start(&serve_args, &[]);
        let token = server.admin_token();

        let dpo = ("dpo@glesys.example", "correct horse battery staple 41");
        let admin = ("admin@glesys.example", "quiet lantern orchard ribbon 7");
        create_account(&data, &database_args, dpo.0, "dpo", dpo.1);
        create_account(&data, &database_args, admin.0, "admin", admin.1);
        let unsubscribe = seed_subject(&server, &token);
        // Each identity may be sent three codes before the per-identity limit (issue 18) holds
        // the next back for ten minutes: the e-mail address's budget goes to this request and
        // the privacy centre's two e-mail sign-ins, the phone number's to the waiting request
        // (its code goes to the subject's e-mail address) and the Swedish centre scan.
        let (worked, worked_code) = intake(
            &server,
            &data,
            &database_args,
            "access",
            json!({"email": SUBJECT_EMAIL}),
        );
        let (waiting, _) = intake(
            &server,
            &data,
            &database_args,
            "access",
            json!({"phone": SUBJECT_PHONE}),
        );

        let failures = dir.path().join("failures");
        let mut env = vec![
            ("SKYDD_BASE_URL", server.url("")),
            ("SKYDD_DPO_EMAIL", dpo.0.to_owned()),
            ("SKYDD_DPO_PASSWORD", dpo.1.to_owned()),
            ("SKYDD_ADMIN_EMAIL", admin.0.to_owned()),
            ("SKYDD_ADMIN_PASSWORD", admin.1.to_owned()),
            ("SKYDD_API_TOKEN", token.clone()),
            ("SKYDD_SUBJECT_EMAIL", SUBJECT_EMAIL.to_owned()),
            ("SKYDD_SUBJECT_PHONE", SUBJECT_PHONE.to_owned()),
            ("SKYDD_UNSUBSCRIBE_PATH", unsubscribe),
            ("SKYDD_REQUEST_ID", worked),
            ("SKYDD_REQUEST_CODE", worked_code),
            ("SKYDD_WAITING_REQUEST_ID", waiting),
            ("SKYDD_FAILURES", failures.display().to_string()),
        ];
        // Screenshots for docs/console/ come from one backend's run: they look the same.
        if let (Some(shots), Database::Sqlite) = (std::env::var_os("SKYDD_SCREENSHOTS"), &database)
        {
            env.push(("SKYDD_SCREENSHOTS", shots.to_string_lossy().into_owned()));
        }
        let (passed, output) = run_node(&env);
        let stopped = server.terminate();
        if passed != Some(true) {
            // Keep the screenshots of the failed steps: the paths in node's output point there.
            let kept = dir.keep();
            panic!(
                "{backend}: the browser suite {} (screenshots of failed steps under {}):\n{output}\n\
                 the server's log:\n{}",
                if passed.is_none() { "hung" } else { "failed" },
                kept.join("failures").display(),
                stopped.stderr
            );
        }
        // Passing output is shown with --nocapture: which scenarios ran, what axe reported.
        println!("{backend}:\n{output}");
        for secret in [
            dpo.1,
            admin.1,
            token.as_str(),
            SUBJECT_EMAIL,
            "+46701234567",
        ] {
            assert!(
                !stopped.stderr.contains(secret),
                "{backend}: the server logged a password, a token or an e-mail address"
            );
        }
        database.drop_schema();
    }
}

/// The bundled register with its `cookies` section replaced by `section` (YAML starting with
/// `cookies:`), and `published` moved to `published`.
fn register_with_cookies(section: &str, published: &str) -> String {
    let bundled = std::fs::read_to_string(examples().join("glesys.yaml")).unwrap();
    let start = bundled
        .find("\ncookies:\n")
        .expect("the bundled register has cookies")
        + 1;
    let end = start
        + bundled[start..]
            .find("\n# ")
            .expect("a commented section follows cookies");
    let old_published = "published: 2018-05-07";
    assert!(bundled.contains(old_published));
    format!("{}{section}{}", &bundled[..start], &bundled[end..]).replacen(
        old_published,
        &format!("published: {published}"),
        1,
    )
}

/// The example website's cookie section (`examples/website/cookies.yaml`, from `cookies:` on).
fn website_cookies() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/website/cookies.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("\ncookies:\n").unwrap() + 1;
    text[start..].to_owned()
}

/// A port nothing listens on now, for the example website (node binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Run one part of the banner suite; panic with node's output and the server's log if it fails.
fn run_banner_part(server: Server, backend: &str, env: &[(&str, String)], kept: &Path) -> Stopped {
    let (passed, output) = run_node(env);
    let stopped = server.terminate();
    if passed != Some(true) {
        panic!(
            "{backend}: the banner suite ({}) {} (screenshots of failed steps under {}):\n{output}\n\
             the server's log:\n{}",
            env.iter()
                .find(|(name, _)| *name == "SKYDD_SUITE")
                .map_or("", |(_, v)| v),
            if passed.is_none() { "hung" } else { "failed" },
            kept.join("failures").display(),
            stopped.stderr
        );
    }
    println!("{backend}:\n{output}");
    stopped
}

#[test]
fn the_consent_banner_works_on_a_company_website_in_chromium() {
    if !suite_available() {
        return;
    }
    let cookies = website_cookies();
    // The register after a change to its cookie section: one more service, so a new revision.
    let chat = "    - id: chat\n      name: Support chat\n      provider: Example Chat Ltd\n      \
                category: marketing\n      purpose:\n        en: Answers questions in a chat window.\n        \
                sv: Svarar på frågor i ett chattfönster.\n";
    let changed_cookies = cookies.replacen("  services:\n", &format!("  services:\n{chat}"), 1);
    assert_ne!(cookies, changed_cookies);
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = write(
            dir.path(),
            "first.yaml",
            &register_with_cookies(&cookies, "2026-11-01"),
        );
        let changed = write(
            dir.path(),
            "changed.yaml",
            &register_with_cookies(&changed_cookies, "2026-12-01"),
        );
        let port = free_port();
        let origin = format!("http://localhost:{port}");
        let serve = |register: &Path| {
            let mut args = vec![
                "--data-dir".to_owned(),
                data.display().to_string(),
                "--register".to_owned(),
                register.display().to_string(),
                "--allowed-origin".to_owned(),
                origin.clone(),
            ];
            args.extend(database.args());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            Server::start(&args, &[])
        };
        let state = dir.path().join("visitor.json");
        let failures = dir.path().join("failures");

        let server = serve(&first);
        let token = server.admin_token();
        let mut env = vec![
            ("SKYDD_SUITE", "banner".to_owned()),
            ("SKYDD_BASE_URL", server.url("")),
            ("SKYDD_API_TOKEN", token.clone()),
            ("SKYDD_WEBSITE_PORT", port.to_string()),
            ("SKYDD_BANNER_STATE", state.display().to_string()),
            ("SKYDD_FAILURES", failures.display().to_string()),
        ];
        // Screenshots for docs/banner/ (beside docs/console/) come from one backend's run.
        if let (Some(shots), Database::Sqlite) = (std::env::var_os("SKYDD_SCREENSHOTS"), &database)
        {
            let banner = Path::new(&shots).with_file_name("banner");
            env.push(("SKYDD_SCREENSHOTS", banner.display().to_string()));
        }
        let first_log = run_banner_part(server, backend, &env, dir.path());

        // The same data, a register whose cookie section changed: the visitor is asked again.
        let server = serve(&changed);
        env.retain(|(name, _)| {
            !matches!(
                *name,
                "SKYDD_SUITE" | "SKYDD_BASE_URL" | "SKYDD_SCREENSHOTS"
            )
        });
        env.push(("SKYDD_SUITE", "banner-changed".to_owned()));
        env.push(("SKYDD_BASE_URL", server.url("")));
        let second_log = run_banner_part(server, backend, &env, dir.path());

        // The visitor's pseudonymous id and the token never reach the log.
        let visitor: Value =
            serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let browser = visitor["browser"].as_str().unwrap();
        for log in [&first_log.stderr, &second_log.stderr] {
            assert!(
                !log.contains(browser) && !log.contains(&token),
                "{backend}: the server logged a browser id or the token"
            );
        }
        database.drop_schema();
    }
}
