//! Bulk imports (issue 19): consents, objections, preferences and records from another system,
//! read from JSON lines or CSV as they arrive, each row checked against the register by the same
//! builders the single writes use, written in batches, resumable after any stop.
//!
//! An import has an id (the SHA-256 of its file, or a key its client chooses). Each batch of
//! rows is one transaction that also moves the import's progress (`imports.lines_done`), so a
//! second run of the same import reads the file again from the start, passes over the lines
//! already settled, and goes on after the last committed one: no line is written twice. A row
//! that cannot be imported is skipped and reported by line (column, what, how to fix; never a
//! value from the file); the others are written.
//!
//! Auditing: one audit event per imported item, with the action the single write uses
//! (`consent.record`, `objection.record`, `preference.record`, `record.create`,
//! `subject.create`), the subject's id, the purpose and categories, and the detail
//! `import <id> line <n>`. One event per batch naming many subjects would be shorter, but the
//! DPO finds a subject's trail by the subject column: only an event per item keeps an imported
//! consent in the answer to "what happened to this subject?". The events are chained in the
//! batch's own transaction. A row the register refuses writes nothing, not even an event: the
//! import's summary reports it.

mod batch;
mod lines;
mod row;

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;

use crate::{Actor, Vault, VaultError};
use batch::Pending;
use lines::{HeaderOrRead, RowReader};

pub use lines::{MAX_LINE_BYTES, Split as CsvSplit, split_record as split_csv_record};

/// Rows written per transaction unless the caller asks otherwise.
pub const DEFAULT_IMPORT_BATCH: usize = 500;

/// Refused rows described in a summary; more are only counted.
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON object per line (`application/x-ndjson`, `.jsonl`, `.ndjson`).
    JsonLines,
    /// Comma-separated values with a header line (`text/csv`, `.csv`); `;` when the header has
    /// no `,`.
    Csv,
}

impl ImportFormat {
    /// The format named `word` (`jsonl`, `ndjson` or `csv`), as the CLI's `--format` takes it.
    pub fn from_word(word: &str) -> Option<ImportFormat> {
        match word.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(ImportFormat::JsonLines),
            "csv" => Some(ImportFormat::Csv),
            _ => None,
        }
    }

    /// The format a file name's extension names, if it names one.
    pub fn from_path(path: &std::path::Path) -> Option<ImportFormat> {
        ImportFormat::from_word(path.extension()?.to_str()?)
    }

    /// The format of a request body's media type (`application/x-ndjson`,
    /// `application/jsonl`, `text/csv`; parameters such as `charset` ignored).
    pub fn from_media_type(media_type: &str) -> Option<ImportFormat> {
        let essence = media_type.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/x-ndjson" | "application/jsonl" | "application/json-lines" => {
                Some(ImportFormat::JsonLines)
            }
            "text/csv" => Some(ImportFormat::Csv),
            _ => None,
        }
    }
}

/// The next chunk of an import's bytes, `None` at the end.
pub type ChunkFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, std::io::Error>> + Send + 'a>>;

/// The bytes of an import as they arrive: a request body, a file. Only one chunk and one line
/// are held in memory at a time.
pub trait ImportInput: Send {
    /// The next chunk (never empty), `None` at the end.
    fn next_chunk(&mut self) -> ChunkFuture<'_>;
}

/// An [`ImportInput`] over a blocking reader (a file, a byte slice), read 64 KiB at a time on
/// the calling task: for the CLI and tests, not for a server's request.
#[derive(Debug)]
pub struct ReadInput<R>(pub R);

impl<R: std::io::Read + Send> ImportInput for ReadInput<R> {
    fn next_chunk(&mut self) -> ChunkFuture<'_> {
        Box::pin(async move {
            let mut chunk = vec![0; 64 * 1024];
            loop {
                match self.0.read(&mut chunk) {
                    Ok(0) => return Ok(None),
                    Ok(n) => {
                        chunk.truncate(n);
                        return Ok(Some(chunk));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        })
    }
}

/// A refused row: where, what, how to fix it. Never a value from the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    /// The row's (first) line, from 1.
    pub line: u64,
    /// The column or field concerned, when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl LineError {
    pub(crate) fn new(
        line: u64,
        field: Option<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> LineError {
        LineError {
            line,
            field,
            message: message.into(),
            help: help.into(),
        }
    }
}

/// An import to run: its id, format and bytes.
pub struct ImportJob<'a> {
    /// The import's id: [`file_import_id`] of the file, or a key its client chose (1 to 128
    /// ASCII letters, digits, `.`, `_`, `-`, `:`). The same id continues the same import.
    pub id: String,
    /// How the bytes are written.
    pub format: ImportFormat,
    /// The bytes, from the first line (lines already imported are read and passed over).
    pub input: &'a mut dyn ImportInput,
    /// Rows per transaction (at least 1); [`DEFAULT_IMPORT_BATCH`] as a rule.
    pub batch_rows: usize,
}

/// How far a running import has got, after each committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Lines settled (by this run and earlier ones).
    pub lines_done: u64,
    /// Rows written by this run.
    pub imported: u64,
    /// Rows refused by this run.
    pub skipped: u64,
}

/// What an import run did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// The import's id.
    pub id: String,
    /// Lines in the file.
    pub lines: u64,
    /// Lines settled by earlier runs of the same import, passed over by this one.
    pub already_done: u64,
    /// Rows written by this run.
    pub imported: u64,
    /// Rows refused by this run.
    pub skipped: u64,
    /// The refused rows, in file order (at most [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<LineError>,
    /// Refused rows not described in `errors`.
    pub errors_left_out: u64,
    /// Rows written by earlier runs.
    pub imported_before: u64,
    /// Rows refused by earlier runs.
    pub skipped_before: u64,
}

/// Why an import stopped. Every batch committed before stays committed; running the same
/// import again goes on after it.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The import's key is not usable as an id.
    #[error("the import key is not 1 to 128 ASCII letters, digits, `.`, `_`, `-` or `:`")]
    InvalidKey,
    /// The CSV header cannot be read: no row can be.
    #[error("line {}: {}", .0.line, .0.message)]
    Header(LineError),
    /// The bytes could not be read (the file, the connection).
    #[error("the input could not be read: {0}")]
    Read(std::io::Error),
    /// Storage failed, or another run of the same import wrote first.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Whether `key` may name an import.
pub fn is_import_key(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// The id of an import of a file: the SHA-256 of its bytes, in hexadecimal.
pub fn file_import_id(mut reader: impl std::io::Read) -> std::io::Result<String> {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => hasher.update(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(data_encoding::HEXLOWER.encode(&hasher.finalize()))
}

impl Vault {
    /// Run (or continue) the import `job` for `actor`: read its rows, check each against the
    /// register, write the valid ones `job.batch_rows` at a time, each batch with its audit
    /// events and the import's progress in one transaction, and call `progress` after each.
    /// Refused rows are reported in the summary. Subjects named by an identity no subject has
    /// are created in the actor's tenant. Times in the rows are the original ones; `now` is
    /// when the import runs (the audit events' time, the bound of the rows' times).
    pub async fn import(
        &self,
        actor: &Actor,
        job: ImportJob<'_>,
        progress: &mut (dyn FnMut(&ImportProgress) + Send),
        now: Timestamp,
    ) -> Result<ImportSummary, ImportError> {
        if !is_import_key(&job.id) {
            return Err(ImportError::InvalidKey);
        }
        // A tenant's imports are its own: the same key in two tenants names two imports (`/`
        // is not a key's character).
        let stored_id = match &actor.tenant {
            Some(tenant) => format!("{tenant}/{}", job.id),
            None => job.id.clone(),
        };
        let before = self
            .storage
            .import_progress(&stored_id)
            .await
            .map_err(VaultError::from)?;
        let done = before.as_ref().map_or(0, |p| p.lines_done);
        let mut pending = Pending::new(&stored_id, actor, done, now, job.batch_rows.max(1));
        progress(&pending.progress());
        let mut rows = RowReader::new(job.input, job.format);
        loop {
            let raw = match rows.next().await {
                Ok(Some(raw)) => raw,
                Ok(None) => break,
                Err(HeaderOrRead::Header(error)) => return Err(ImportError::Header(error)),
                Err(HeaderOrRead::Read(error)) => return Err(ImportError::Read(error)),
            };
            if raw.last_line <= done {
                continue;
            }
            self.import_row(&mut pending, raw, progress).await?;
            if pending.is_full() {
                self.commit(&mut pending).await?;
                progress(&pending.progress());
            }
        }
        pending.settle(rows.lines_read());
        self.commit(&mut pending).await?;
        progress(&pending.progress());
        let mut summary = pending.summary(
            rows.lines_read(),
            done,
            before.map_or((0, 0), |p| (p.imported, p.skipped)),
        );
        summary.id = job.id;
        Ok(summary)
    }
}
