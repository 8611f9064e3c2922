//! Bulk imports (issue 19), on both backends: JSON lines and CSV written with their subjects,
//! audit events and original times; bad rows reported by line (never quoting a value) while
//! the good ones are written; an import stopped mid-way continued by the next run without a
//! line written twice.

use skydd_vault::{
    Actor, ChunkFuture, ImportError, ImportFormat, ImportInput, ImportJob, ImportProgress,
    ImportSummary, ReadInput, Vault, file_import_id,
};

use crate::{EMAIL, Harness, NAME, PHONE, at, dpo, on_each_backend};

const NOW: &str = "2026-12-01T12:00:00Z";

async fn run(
    vault: &Vault,
    actor: &Actor,
    format: ImportFormat,
    file: &str,
    batch_rows: usize,
) -> Result<(ImportSummary, Vec<ImportProgress>), ImportError> {
    let mut input = ReadInput(file.as_bytes());
    let mut seen = Vec::new();
    let summary = vault
        .import(
            actor,
            ImportJob {
                id: file_import_id(file.as_bytes()).unwrap(),
                format,
                input: &mut input,
                batch_rows,
            },
            &mut |p: &ImportProgress| seen.push(*p),
            at(NOW),
        )
        .await?;
    Ok((summary, seen))
}

fn jsonl() -> String {
    [
        // A consent, then a record resting on it, for a subject the import creates.
        format!(
            r#"{{"type":"consent","identity_kind":"email","identity":"{EMAIL}","purpose":"newsletter","granted":true,"at":"2021-03-04T10:15:00Z","method":"web_form"}}"#
        ),
        format!(
            r#"{{"type":"record","identity_kind":"email","identity":"{EMAIL}","category":"contact","purpose":"newsletter","source":"data_subject","fields":{{"name":"{NAME}","email":"{EMAIL}"}},"collected_at":"2021-03-04T10:15:00Z"}}"#
        ),
        String::new(),
        format!(
            r#"{{"type":"objection","identity_kind":"phone","identity":"{PHONE}","purpose":"marketing","at":"2022-01-01T00:00:00Z"}}"#
        ),
        format!(
            r#"{{"type":"preference","identity_kind":"phone","identity":"{PHONE}","channel":"sms","opted_in":false,"at":"2022-01-02T00:00:00Z"}}"#
        ),
    ]
    .join("\n")
}

async fn subject_of(h: &Harness, kind: &str, value: &str) -> String {
    h.vault
        .find_subject(&dpo(), None, kind, value, at(NOW))
        .await
        .unwrap()
        .expect("the import created the subject")
        .id
}

#[tokio::test]
async fn a_jsonl_import_writes_subjects_ledgers_records_and_their_audit_events() {
    on_each_backend(async |h: &Harness| {
        let (summary, progress) = run(&h.vault, &dpo(), ImportFormat::JsonLines, &jsonl(), 500)
            .await
            .unwrap();
        assert_eq!(
            (
                summary.lines,
                summary.imported,
                summary.skipped,
                summary.already_done
            ),
            (5, 4, 0, 0),
            "{}: {summary:?}",
            h.name
        );
        assert_eq!(progress.last().unwrap().lines_done, 5, "{}", h.name);
        let anna = subject_of(h, "email", EMAIL).await;
        let consents = h.vault.consents(&dpo(), &anna, at(NOW)).await.unwrap();
        assert_eq!(consents.history.len(), 1);
        assert_eq!(consents.history[0].at, at("2021-03-04T10:15:00Z"));
        assert_eq!(consents.history[0].method, "web_form");
        let read = h
            .vault
            .read_records(&dpo(), &anna, "newsletter", at(NOW))
            .await
            .unwrap();
        assert_eq!(read.records.len(), 1, "{}: {read:?}", h.name);
        assert_eq!(read.records[0].fields["name"], NAME);
        let other = subject_of(h, "phone", PHONE).await;
        let view = h.vault.consents(&dpo(), &other, at(NOW)).await.unwrap();
        assert_eq!(view.objections, vec![("marketing".into(), "import".into())]);
        let prefs = h.vault.preferences(&dpo(), &other, at(NOW)).await.unwrap();
        assert!(prefs.iter().any(|p| p.name == "sms" && !p.opted_in));

        // One audit event per item, found by the subject, naming the import and the line.
        let events = h.storage.audit_events_for_subject(&anna).await.unwrap();
        let imported: Vec<(&str, Option<&str>)> = events
            .iter()
            .filter(|e| {
                e.detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with("import "))
            })
            .map(|e| (e.action.as_str(), e.detail.as_deref()))
            .collect();
        let id = &summary.id;
        assert_eq!(
            imported,
            vec![
                (
                    "subject.create",
                    Some(format!("import {id} line 1").as_str())
                ),
                (
                    "consent.record",
                    Some(format!("import {id} line 1").as_str())
                ),
                (
                    "record.create",
                    Some(format!("import {id} line 2").as_str())
                ),
            ],
            "{}",
            h.name
        );

        // Running the same file again writes nothing more.
        let (again, _) = run(&h.vault, &dpo(), ImportFormat::JsonLines, &jsonl(), 500)
            .await
            .unwrap();
        assert_eq!(
            (again.imported, again.already_done, again.imported_before),
            (0, 5, 4)
        );
        let consents = h.vault.consents(&dpo(), &anna, at(NOW)).await.unwrap();
        assert_eq!(consents.history.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_csv_import_reads_quoted_cells_field_columns_and_semicolons() {
    on_each_backend(async |h: &Harness| {
        let file = format!(
            "type,identity_kind,identity,purpose,granted,at,category,source,fields.name,fields.email\r\n\
             consent,email,{EMAIL},newsletter,yes,2021-03-04T10:15:00Z,,,,\r\n\
             record,email,{EMAIL},delivery,,,contact,data_subject,\"Andersson, Anna\nc/o Lindqvist\",{EMAIL}\r\n"
        );
        let (summary, _) = run(&h.vault, &dpo(), ImportFormat::Csv, &file, 500)
            .await
            .unwrap();
        assert_eq!(
            (summary.lines, summary.imported, summary.skipped),
            (4, 2, 0),
            "{}: {summary:?}",
            h.name
        );
        let anna = subject_of(h, "email", EMAIL).await;
        let read = h
            .vault
            .read_records(&dpo(), &anna, "delivery", at(NOW))
            .await
            .unwrap();
        assert_eq!(read.records[0].fields["name"], "Andersson, Anna\nc/o Lindqvist");

        let semicolons = "type;identity_kind;identity;channel;opted_in;at\n\
                          preference;phone;+46701234568;email;0;2023-05-06T07:08:09+02:00\n";
        let (summary, _) = run(&h.vault, &dpo(), ImportFormat::Csv, semicolons, 500)
            .await
            .unwrap();
        assert_eq!((summary.imported, summary.skipped), (1, 0), "{summary:?}");
    })
    .await;
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_without_their_values_and_the_good_ones_written() {
    on_each_backend(async |h: &Harness| {
        let file = [
            // 1: fine.
            format!(
                r#"{{"type":"consent","identity_kind":"email","identity":"{EMAIL}","purpose":"newsletter","granted":true,"at":"2021-03-04T10:15:00Z"}}"#
            ),
            // 2: an e-mail address in the purpose column.
            format!(
                r#"{{"type":"consent","identity_kind":"email","identity":"{EMAIL}","purpose":"{EMAIL}","granted":true,"at":"2021-03-04T10:15:00Z"}}"#
            ),
            // 3: before the GDPR applies.
            format!(
                r#"{{"type":"consent","identity_kind":"email","identity":"{EMAIL}","purpose":"newsletter","granted":true,"at":"2017-01-01T00:00:00Z"}}"#
            ),
            // 4: an identity that is not one.
            r#"{"type":"consent","identity_kind":"email","identity":"anna.lindqvist at example","purpose":"newsletter","granted":true,"at":"2021-03-04T10:15:00Z"}"#.to_string(),
            // 5: a record of a purpose resting on consent, for a subject who never gave it.
            format!(
                r#"{{"type":"record","identity_kind":"phone","identity":"{PHONE}","category":"contact","purpose":"newsletter","source":"data_subject","fields":{{"name":"{NAME}"}}}}"#
            ),
            // 6: not JSON.
            format!(r#"{{"type":"consent", "identity": "{EMAIL}" "#),
            // 7: a field the category does not have, holding a value.
            format!(
                r#"{{"type":"record","identity_kind":"email","identity":"{EMAIL}","category":"contact","purpose":"delivery","source":"data_subject","fields":{{"nickname":"{NAME}"}}}}"#
            ),
            // 8: fine.
            format!(
                r#"{{"type":"objection","identity_kind":"email","identity":"{EMAIL}","at":"2024-01-01T00:00:00Z"}}"#
            ),
        ]
        .join("\n");
        let (summary, _) = run(&h.vault, &dpo(), ImportFormat::JsonLines, &file, 3)
            .await
            .unwrap();
        let lines: Vec<(u64, Option<&str>)> = summary
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, None),
                (3, Some("at")),
                (4, Some("identity")),
                (5, None),
                (6, None),
                (7, None)
            ],
            "{}: {summary:#?}",
            h.name
        );
        assert_eq!((summary.imported, summary.skipped), (2, 6));
        assert!(summary.errors[3].message.contains("consent_missing"), "{:?}", summary.errors[3]);
        let text = serde_json::to_string(&summary).unwrap();
        for personal in [EMAIL, PHONE, NAME, "anna.lindqvist", "example.se"] {
            assert!(!text.contains(personal), "{}: {personal} in {text}", h.name);
        }
        // Nothing of the refused rows was written: the subject of line 5 was not created.
        let found = h
            .vault
            .find_subject(&dpo(), None, "phone", PHONE, at(NOW))
            .await
            .unwrap();
        assert!(found.is_none(), "{}", h.name);
        let anna = subject_of(h, "email", EMAIL).await;
        let view = h.vault.consents(&dpo(), &anna, at(NOW)).await.unwrap();
        assert_eq!(view.history.len(), 1);
        assert_eq!(view.objections, vec![("*".into(), "import".into())]);
    })
    .await;
}

/// An input that gives the file a few bytes at a time and fails after `cut` bytes, as a
/// dropped connection or a killed process does.
struct Interrupted<'a> {
    file: &'a [u8],
    sent: usize,
    cut: usize,
}

impl ImportInput for Interrupted<'_> {
    fn next_chunk(&mut self) -> ChunkFuture<'_> {
        Box::pin(async move {
            if self.sent >= self.cut {
                return Err(std::io::Error::other("the connection was reset"));
            }
            let end = (self.sent + 7).min(self.cut).min(self.file.len());
            let chunk = self.file[self.sent..end].to_vec();
            self.sent = end;
            Ok((!chunk.is_empty()).then_some(chunk))
        })
    }
}

#[tokio::test]
async fn an_interrupted_import_resumes_after_its_last_batch_without_duplicates() {
    on_each_backend(async |h: &Harness| {
        let file: String = (0..9)
            .map(|i| {
                format!(
                    "{{\"type\":\"consent\",\"identity_kind\":\"customer_number\",\"identity\":\"C{i:04}\",\"purpose\":\"newsletter\",\"granted\":{},\"at\":\"2021-03-04T10:15:0{i}Z\"}}\n",
                    i % 2 == 0
                )
            })
            .collect();
        let id = "crm-export-2026-12".to_string();
        // Stops in the middle of line 6: batches of 2 rows committed lines 1-4.
        let cut = file.lines().take(5).map(|l| l.len() + 1).sum::<usize>() + 20;
        let mut input = Interrupted {
            file: file.as_bytes(),
            sent: 0,
            cut,
        };
        let mut seen = Vec::new();
        let stopped = h
            .vault
            .import(
                &dpo(),
                ImportJob {
                    id: id.clone(),
                    format: ImportFormat::JsonLines,
                    input: &mut input,
                    batch_rows: 2,
                },
                &mut |p: &ImportProgress| seen.push(*p),
                at(NOW),
            )
            .await;
        assert!(matches!(stopped, Err(ImportError::Read(_))), "{}: {stopped:?}", h.name);
        assert_eq!(seen.last().unwrap().lines_done, 4, "{}", h.name);

        let mut input = ReadInput(file.as_bytes());
        let summary = h
            .vault
            .import(
                &dpo(),
                ImportJob {
                    id,
                    format: ImportFormat::JsonLines,
                    input: &mut input,
                    batch_rows: 2,
                },
                &mut |_: &ImportProgress| {},
                at(NOW),
            )
            .await
            .unwrap();
        assert_eq!(
            (summary.already_done, summary.imported, summary.imported_before),
            (4, 5, 4),
            "{}: {summary:?}",
            h.name
        );
        for i in 0..9 {
            let subject = subject_of(h, "customer_number", &format!("C{i:04}")).await;
            let view = h.vault.consents(&dpo(), &subject, at(NOW)).await.unwrap();
            assert_eq!(view.history.len(), 1, "{}: line {}", h.name, i + 1);
        }
    })
    .await;
}

#[tokio::test]
async fn a_tenants_import_is_its_own_under_the_same_key() {
    on_each_backend(async |h: &Harness| {
        let (first, _) = run(&h.vault, &dpo(), ImportFormat::JsonLines, &jsonl(), 500)
            .await
            .unwrap();
        let acme = Actor {
            tenant: Some("acme".into()),
            ..dpo()
        };
        let (theirs, _) = run(&h.vault, &acme, ImportFormat::JsonLines, &jsonl(), 500)
            .await
            .unwrap();
        assert_eq!(theirs.id, first.id);
        // Not passed over as done; the record is refused for a tenant's subject (the
        // newsletter is the controller's own purpose, not processing on the tenant's behalf).
        assert_eq!(
            (theirs.imported, theirs.skipped, theirs.already_done),
            (3, 1, 0),
            "{}: {theirs:?}",
            h.name
        );
        assert!(theirs.errors[0].message.contains("processor_mode"));
        let found = h
            .vault
            .find_subject(&acme, None, "email", EMAIL, at(NOW))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.tenant.as_deref(), Some("acme"));
        assert_ne!(found.id, subject_of(h, "email", EMAIL).await);
    })
    .await;
}
