//! Operating the command: settings from `skydd.toml` (flags > environment > file > defaults),
//! `skydd config check`, shell completions and manual pages.

use super::*;

/// The subcommands `skydd --help` lists.
fn subcommands() -> Vec<String> {
    let help = text(&run(skydd().arg("--help")).stdout);
    let listed = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .unwrap()
        .to_owned();
    let names: Vec<String> = listed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() > 10, "{help}");
    names
}

#[test]
fn settings_come_from_the_file_unless_the_environment_or_a_flag_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let register = write(dir.path(), "register.yaml", VALID_REGISTER);
    let from_file = dir.path().join("from-file");
    let from_env = dir.path().join("from-env");
    let from_flag = dir.path().join("from-flag");
    let config = write(
        dir.path(),
        "skydd.toml",
        &format!(
            "# Skydd\ndata_dir = \"{}\"\nregister = \"{}\"\nretention_interval = \"0\"\n",
            from_file.display(),
            register.display()
        ),
    );
    let config_arg = config.to_str().unwrap();

    // The file alone.
    let stopped = Server::start(&["--config", config_arg], &[]).terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(from_file.join("skydd.db").is_file());
    assert!(
        stopped
            .stderr
            .contains(&format!("source={}", register.display())),
        "{}",
        stopped.stderr
    );

    // SKYDD_CONFIG names the file; the environment wins over it.
    let stopped = Server::start(
        &[],
        &[
            ("SKYDD_CONFIG", config.as_os_str()),
            ("SKYDD_DATA_DIR", from_env.as_os_str()),
        ],
    )
    .terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(from_env.join("skydd.db").is_file());

    // A flag wins over both.
    let stopped = Server::start(
        &[
            "--config",
            config_arg,
            "--data-dir",
            from_flag.to_str().unwrap(),
        ],
        &[("SKYDD_DATA_DIR", from_env.as_os_str())],
    )
    .terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(from_flag.join("skydd.db").is_file());

    // ./skydd.toml is read when nothing names a file.
    let output = run(skydd().current_dir(dir.path()).args(["config", "check"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(&format!("data_dir = \"{}\"  # file", from_file.display())),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn config_check_reports_unknown_keys_where_they_are_and_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "skydd.toml",
        "bind = \"127.0.0.1:9000\"\n\nsmtp_pasword = \"x\"\ndatabase_url = \"postgres://u:canary-secret@db/skydd\"\n",
    );
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:3:1: error: unknown setting `smtp_pasword`",
            config.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `smtp_password`?"), "{stderr}");
    assert!(!stderr.contains("canary-secret"), "{stderr}");

    // The same file refuses to run anything else, too.
    let output = run(skydd()
        .args(["serve", "--bind", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data")));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("unknown setting"));
    assert!(!dir.path().join("data").exists());

    // Fixed: the effective settings, the secret hidden, each with its source.
    std::fs::write(
        &config,
        "bind = \"127.0.0.1:9000\"\nsmtp_port = 2525\nlog_format = \"json\"\ndatabase_url = \"postgres://u:canary-secret@db/skydd\"\n",
    )
    .unwrap();
    let output = run(skydd()
        .args(["config", "check"])
        .arg(&config)
        .env("SKYDD_BUSY_TIMEOUT", "2s"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for line in [
        "bind = \"127.0.0.1:9000\"  # file",
        "smtp_port = \"2525\"  # file",
        "busy_timeout = \"2s\"  # environment (SKYDD_BUSY_TIMEOUT)",
        "retention_interval = \"1h\"  # default",
        "database_url = \"(hidden)\"  # file",
        // A setting of every command (a global flag) is shown too.
        "log_format = \"json\"  # file",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    assert!(!stdout.contains("canary-secret"), "{stdout}");

    // A value the flag would refuse is refused from the file too.
    std::fs::write(&config, "busy_timeout = \"0\"\n").unwrap();
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("busy timeout"),
        "{}",
        text(&output.stderr)
    );

    // Broken TOML: where.
    std::fs::write(&config, "bind = \n").unwrap();
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains(&format!("{}:1:", config.display())),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn config_check_shows_the_single_sign_on_settings_but_never_the_client_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "skydd.toml",
        "oidc_issuer = \"http://login.example.com\"\noidc_client_id = \"skydd\"\noidc_redirect_url = \"https://privacy.example.com/console/sso/callback\"\noidc_roles = [\"privacy-team=dpo\", \"cn=audit,ou=groups=auditor\"]\n",
    );
    let check = |secret: Option<&str>| {
        let mut command = skydd();
        command.args(["config", "check"]).arg(&config);
        match secret {
            Some(secret) => command.env("SKYDD_OIDC_CLIENT_SECRET", secret),
            None => command.env_remove("SKYDD_OIDC_CLIENT_SECRET"),
        };
        run(&mut command)
    };
    // A plain-HTTP issuer that is not on this host is refused, saying how to fix it.
    let output = check(Some("canary-oidc-secret"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("must be an https:// URL"), "{stderr}");
    assert!(!stderr.contains("canary-oidc-secret"), "{stderr}");

    let fixed = std::fs::read_to_string(&config)
        .unwrap()
        .replace("http://login", "https://login");
    std::fs::write(&config, fixed).unwrap();
    // No secret anywhere: refused, naming where it goes.
    let output = check(None);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("SKYDD_OIDC_CLIENT_SECRET is not set"),
        "{}",
        text(&output.stderr)
    );
    let output = check(Some("canary-oidc-secret"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for line in [
        "oidc_issuer = \"https://login.example.com\"  # file",
        "oidc_roles = [\"privacy-team=dpo\", \"cn=audit,ou=groups=auditor\"]  # file",
        "oidc_role_claim = \"groups\"  # default",
        "# oidc_client_secret: set in the environment (SKYDD_OIDC_CLIENT_SECRET), not shown",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    assert!(!stdout.contains("canary-oidc-secret"), "{stdout}");
    // The secret is no flag: a command line is readable by every user of the host.
    let output = run(skydd().args(["serve", "--oidc-client-secret", "x"]));
    assert_eq!(output.status.code(), Some(2));
}

/// `--trusted-proxy`, `--header-timeout`, `--body-timeout` and `--rate-limit-scale` (issue 18)
/// read from skydd.toml like every setting, refused when malformed, and in effect when serving:
/// a raised scale is a warning, and a request through a trusted proxy is audited with the
/// client's address.
#[test]
fn serve_takes_the_public_surface_settings_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "skydd.toml",
        "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\nheader_timeout = \"5s\"\n\
         body_timeout = \"2m\"\nrate_limit_scale = 3\nretention_interval = \"0\"\n",
    );
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for line in [
        "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]  # file",
        "header_timeout = \"5s\"  # file",
        "body_timeout = \"2m\"  # file",
        "rate_limit_scale = \"3\"  # file",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    for (bad, says) in [
        ("trusted_proxies = [\"10.0.0.0/33\"]\n", "CIDR notation"),
        (
            "trusted_proxies = [\"proxy.example\"]\n",
            "is not an IP address",
        ),
        (
            "header_timeout = \"0\"\n",
            "the header timeout must be more than zero",
        ),
        ("body_timeout = \"soon\"\n", "does not start with a number"),
        ("rate_limit_scale = 0\n", "rate-limit-scale"),
    ] {
        let file = write(dir.path(), "bad.toml", bad);
        let output = run(skydd().args(["config", "check"]).arg(&file));
        assert_eq!(output.status.code(), Some(1), "{bad}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(says), "{bad}: {stderr}");
    }

    let data = dir.path().join("data");
    let server = Server::start(
        &[
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    );
    let token = server.admin_token();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(server.url("/v1/requests"))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&serde_json::json!({"type": "access", "identity": {"email": "x@example.se"}}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 202);
    let (status, audit) = send("GET", &server.url("/v1/audit"), &token, None);
    assert_eq!(status, 200, "{audit}");
    let received: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "request.receive")
        .collect();
    assert_eq!(received.len(), 1, "{audit}");
    assert_eq!(received[0]["ip"], "203.0.113.7", "{audit}");
    let stopped = server.terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("--rate-limit-scale"),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped
            .stderr
            .contains("trusting X-Forwarded-For from the reverse proxies 127.0.0.1/32, 10.0.0.0/8"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn completions_and_manual_pages_cover_every_subcommand() {
    let names = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = run(skydd().args(["completions", shell]));
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell} lacks `{name}`");
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man");
    let output = run(skydd().arg("man").arg(&pages));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let main = std::fs::read_to_string(pages.join("skydd.1")).unwrap();
    assert!(
        main.starts_with(".ie") || main.contains(".TH skydd 1"),
        "{main}"
    );
    for name in &names {
        let page = pages.join(format!("skydd-{name}.1"));
        assert!(page.is_file(), "no page for `{name}`");
        assert!(
            main.contains(name.as_str()),
            "skydd.1 does not name `{name}`"
        );
    }
    assert!(pages.join("skydd-serve.1").is_file());
    let serve = std::fs::read_to_string(pages.join("skydd-serve.1")).unwrap();
    assert!(serve.contains("replace\\-register"), "{serve}");
}
