//! `skydd security review|reviews` (issue 20, P003-42: "We are regularly evaluating our security
//! measures"): a review recorded from the command line on SQLite and PostgreSQL against the
//! work-items register's 12-month cycle, the cycle's state before and after, a day in the
//! future refused with how to fix it, and the audit trail holding the date, never the summary.

use super::{Database, block_on, open_in_process, skydd_on, text};

const WORKITEMS: &str = include_str!("../../../../examples/registers/workitems.yaml");
const SUMMARY: &str = "Penetration test of the API; two findings fixed";

#[test]
fn security_reviews_are_recorded_and_listed_from_the_command_line() {
    for database in Database::all() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let args = database.args();
        block_on(async {
            open_in_process(&data, &args, WORKITEMS)
                .await
                .close()
                .await
                .unwrap();
        });
        // The day the command sees: it runs on the system clock.
        let today =
            skydd_register::zone::stockholm_date(skydd_app::Clock::now(&skydd_app::SystemClock));

        // None yet: the cycle is overdue.
        let listed = skydd_on(&data, &args, &["security", "reviews"]);
        assert!(listed.status.success(), "{}", text(&listed.stderr));
        let stdout = text(&listed.stdout);
        assert!(
            stdout.contains("cycle: every 12 months; last none recorded; next due now; OVERDUE"),
            "{}: {stdout}",
            database.name()
        );

        // A day after today is refused, saying how to fix it; nothing is recorded.
        // (Two days ahead, so that a run across midnight still asks for a day after today.)
        let tomorrow = today
            .checked_add(jiff::Span::new().days(2))
            .unwrap()
            .to_string();
        let refused = skydd_on(
            &data,
            &args,
            &[
                "security",
                "review",
                "--on",
                &tomorrow,
                "--summary",
                SUMMARY,
            ],
        );
        assert_eq!(refused.status.code(), Some(2), "{}", database.name());
        let stderr = text(&refused.stderr);
        assert!(stderr.contains("is after today"), "{stderr}");
        assert!(
            stderr.contains("help: record a review once it has been held"),
            "{stderr}"
        );

        // Held yesterday: recorded, and the cycle is in time until a year after it.
        let yesterday = today.yesterday().unwrap();
        let recorded = skydd_on(
            &data,
            &args,
            &[
                "security",
                "review",
                "--on",
                &yesterday.to_string(),
                "--summary",
                SUMMARY,
            ],
        );
        assert!(recorded.status.success(), "{}", text(&recorded.stderr));
        let due = yesterday.checked_add(jiff::Span::new().months(12)).unwrap();
        let stdout = text(&recorded.stdout);
        assert!(
            stdout.contains(&format!("recorded the security review of {yesterday}")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("last {yesterday}; next due {due}; in time")),
            "{}: {stdout}",
            database.name()
        );
        let listed = text(&skydd_on(&data, &args, &["security", "reviews"]).stdout);
        let rows: Vec<&str> = listed.lines().filter(|l| l.contains(SUMMARY)).collect();
        assert_eq!(rows.len(), 1, "{listed}");
        assert!(rows[0].starts_with(&yesterday.to_string()), "{listed}");
        assert!(
            rows[0].contains("cli:"),
            "recorded by the CLI actor: {listed}"
        );

        // Audited with the date; the summary is the DPO's words and stays out of the trail.
        let export = skydd_on(&data, &args, &["audit", "export"]);
        assert!(export.status.success(), "{}", text(&export.stderr));
        let trail = text(&export.stdout);
        assert!(trail.contains("\"security.review\""), "{trail}");
        assert!(!trail.contains("Penetration"), "{trail}");

        database.drop_schema();
        eprintln!("{}: ok", database.name());
    }
}
