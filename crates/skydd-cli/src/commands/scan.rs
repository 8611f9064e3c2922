//! `skydd scan`: personal data in free text (issue 21). Reads plain text, JSON lines or a CSV
//! column and prints one JSON line per finding (kind, where, confidence), without the value
//! unless `--show-values` asks for it: the output of a scan of support tickets is then safe to
//! keep in a ticket or a CI log. Needs no instance: the recognizers are `skydd-pii`'s, pure.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal as _, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use jiff::civil::Date;
use skydd_app::Clock as _;
use skydd_pii::{Context, Finding, Kind, scan};
use skydd_vault::{CsvSplit, split_csv_record};

use super::progress::Progress;

/// Exit code when the input could not be read (what was read before is printed).
const EXIT_UNREADABLE: u8 = 2;
/// The longest record scanned (a longer line is refused, not kept in memory).
const MAX_RECORD_BYTES: usize = 16 << 20;

/// How to read the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ScanFormat {
    /// Plain text, scanned line by line.
    Text,
    /// One JSON object per line; string members are scanned.
    Jsonl,
    /// CSV with a header line; cells are scanned.
    Csv,
}

/// Arguments of `skydd scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// The file to scan, or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// How to read it [default: from the extension: `.jsonl`/`.ndjson` JSON lines, `.csv` CSV,
    /// anything else text]
    #[arg(long, value_enum)]
    format: Option<ScanFormat>,
    /// JSON lines: the member to scan, or CSV: the column (repeat for more) [default: every
    /// string member or cell]
    #[arg(long = "field", value_name = "NAME")]
    fields: Vec<String>,
    /// A name of the person searched for (repeat for more): names are found only when given.
    #[arg(long = "name", value_name = "NAME")]
    names: Vec<String>,
    /// The day a 10-digit personnummer's century is counted from [default: today in
    /// Europe/Stockholm]
    #[arg(long, value_name = "YYYY-MM-DD")]
    reference_date: Option<Date>,
    /// Print each finding's text too. It is personal data: for a person at a terminal, never
    /// for a log.
    #[arg(long)]
    show_values: bool,
}

/// Where the findings were, for the output lines.
struct Place<'a> {
    /// The line the record starts on, from 1.
    line: u64,
    /// The JSON member or CSV column, when the input has them.
    field: Option<&'a str>,
}

/// The findings counted by kind, for the summary.
#[derive(Default)]
struct Tally {
    by_kind: BTreeMap<Kind, u64>,
    records: u64,
    bytes: u64,
}

impl Tally {
    fn summary(&self) -> String {
        let total: u64 = self.by_kind.values().sum();
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(kind, n)| format!("{n} {}", kind.as_str()))
            .collect();
        let detail = if kinds.is_empty() {
            String::new()
        } else {
            format!(": {}", kinds.join(", "))
        };
        format!(
            "{total} findings in {} records ({:.1} MB){detail}",
            self.records,
            self.bytes as f64 / 1_000_000.0
        )
    }
}

/// One output line: where a finding is (the record's first line, its member or column, byte
/// offsets in that text), its kind and confidence, and its text only when asked.
#[derive(serde::Serialize)]
struct Output<'a> {
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    kind: Kind,
    start: usize,
    end: usize,
    confidence: skydd_pii::Confidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

/// Prints findings as JSON lines.
struct Printer {
    show_values: bool,
    out: std::io::BufWriter<std::io::Stdout>,
    tally: Tally,
}

impl Printer {
    fn print(&mut self, place: &Place<'_>, text: &str, findings: &[Finding]) -> anyhow::Result<()> {
        for finding in findings {
            *self.tally.by_kind.entry(finding.kind).or_default() += 1;
            let line = Output {
                line: place.line,
                field: place.field,
                kind: finding.kind,
                start: finding.span.start,
                end: finding.span.end,
                confidence: finding.confidence,
                value: self
                    .show_values
                    .then(|| text.get(finding.span.clone()))
                    .flatten(),
            };
            writeln!(self.out, "{}", serde_json::to_string(&line)?)?;
        }
        Ok(())
    }
}

/// The format `path`'s extension says, text otherwise.
fn format_of(path: &Path) -> ScanFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson") => ScanFormat::Jsonl,
        Some("csv") => ScanFormat::Csv,
        _ => ScanFormat::Text,
    }
}

/// Run `skydd scan`: exit 0 when the whole input was read, 2 when it could not be (the
/// findings before the problem are printed; the message names the line, never its content).
pub(crate) fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let stdin = args.file.as_os_str() == "-";
    let name = if stdin {
        "standard input".to_owned()
    } else {
        args.file.display().to_string()
    };
    let format = args.format.unwrap_or_else(|| format_of(&args.file));
    let reference = args.reference_date.unwrap_or_else(|| {
        skydd_app::SystemClock
            .now()
            .to_zoned(skydd_register::zone::stockholm())
            .date()
    });
    let mut context = Context::new(reference);
    for person in &args.names {
        context = context.with_name(person);
    }
    let (reader, total): (Box<dyn Read>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        match std::fs::File::open(&args.file) {
            Ok(file) => {
                let total = file.metadata().ok().map(|m| m.len());
                (Box::new(file), total)
            }
            Err(error) => {
                eprintln!("{name}: error: cannot read the file: {error}");
                return Ok(ExitCode::from(EXIT_UNREADABLE));
            }
        }
    };
    let mut printer = Printer {
        show_values: args.show_values,
        out: std::io::BufWriter::new(std::io::stdout()),
        tally: Tally::default(),
    };
    let mut progress = Progress::new(total, std::io::stderr().is_terminal());
    let outcome = read_records(
        BufReader::new(reader),
        format,
        &args.fields,
        &mut |place, text| {
            let findings = scan(text, &context);
            printer.print(&place, text, &findings)
        },
        &mut |records, bytes| {
            progress.show(bytes, &format!("{records} records"));
        },
    );
    progress.finish();
    printer.out.flush()?;
    match outcome {
        Ok(tally) => {
            printer.tally.records = tally.records;
            printer.tally.bytes = tally.bytes;
            eprintln!("{name}: {}", printer.tally.summary());
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            eprintln!("{name}:{}: error: {}", problem.line, problem.what);
            eprintln!("  help: {}", problem.help);
            Ok(ExitCode::from(EXIT_UNREADABLE))
        }
    }
}

/// Why the input stopped being readable: the line and what is wrong, never its content.
#[derive(Debug, PartialEq, Eq)]
struct Unreadable {
    line: u64,
    what: String,
    help: &'static str,
}

/// What was read.
#[derive(Debug, Default, PartialEq, Eq)]
struct ReadSoFar {
    records: u64,
    bytes: u64,
}

/// Read `input` as `format` and hand each text to scan to `found`, with where it was; call
/// `progress` now and then with the records and bytes read so far.
fn read_records(
    input: impl BufRead,
    format: ScanFormat,
    fields: &[String],
    found: &mut dyn FnMut(Place<'_>, &str) -> anyhow::Result<()>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReadSoFar, Unreadable> {
    let mut read = ReadSoFar::default();
    let mut header: Option<(Vec<String>, char)> = None;
    let mut pending: Option<(u64, String)> = None;
    let mut number = 0u64;
    for line in input.split(b'\n') {
        number += 1;
        let line = line.map_err(|e| Unreadable {
            line: number,
            what: format!("cannot read: {e}"),
            help: "check the file and run again",
        })?;
        read.bytes += line.len() as u64 + 1;
        let text = String::from_utf8(line).map_err(|_| Unreadable {
            line: number,
            what: "the line is not UTF-8".into(),
            help: "convert the file to UTF-8 (iconv -f latin1 -t utf-8)",
        })?;
        let text = text.strip_suffix('\r').unwrap_or(&text).to_owned();
        if text.len() > MAX_RECORD_BYTES {
            return Err(Unreadable {
                line: number,
                what: format!("the record is longer than {MAX_RECORD_BYTES} bytes"),
                help: "split the record, or scan it as text",
            });
        }
        let report = |e: anyhow::Error| Unreadable {
            line: number,
            what: format!("cannot write the findings: {e}"),
            help: "check where standard output goes",
        };
        match format {
            ScanFormat::Text => {
                found(
                    Place {
                        line: number,
                        field: None,
                    },
                    &text,
                )
                .map_err(report)?;
                read.records += 1;
            }
            ScanFormat::Jsonl => {
                if text.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| Unreadable {
                        line: number,
                        what: format!("the line is not valid JSON (column {})", e.column()),
                        help: "write one JSON object per line, or scan with --format text",
                    })?;
                let Some(members) = value.as_object() else {
                    return Err(Unreadable {
                        line: number,
                        what: "the line is not a JSON object".into(),
                        help: "write one JSON object per line, or scan with --format text",
                    });
                };
                for (member, value) in members {
                    if !fields.is_empty() && !fields.contains(member) {
                        continue;
                    }
                    if let Some(text) = value.as_str() {
                        found(
                            Place {
                                line: number,
                                field: Some(member),
                            },
                            text,
                        )
                        .map_err(report)?;
                    }
                }
                read.records += 1;
            }
            ScanFormat::Csv => {
                let (start, record) = match pending.take() {
                    Some((start, mut before)) => {
                        before.push('\n');
                        before.push_str(&text);
                        (start, before)
                    }
                    None => (number, text),
                };
                let delimiter = header.as_ref().map_or_else(
                    || {
                        if record.contains(';') && !record.contains(',') {
                            ';'
                        } else {
                            ','
                        }
                    },
                    |(_, d)| *d,
                );
                let cells = match split_csv_record(&record, delimiter) {
                    CsvSplit::Cells(cells) => cells,
                    CsvSplit::Open => {
                        pending = Some((start, record));
                        continue;
                    }
                    CsvSplit::Bad(problem) => {
                        return Err(Unreadable {
                            line: start,
                            what: format!("the record is not CSV: {problem}"),
                            help: "quote cells that hold the delimiter or a quote (\"\" inside)",
                        });
                    }
                };
                let Some((columns, _)) = &header else {
                    if let Some(missing) = fields.iter().find(|f| !cells.contains(f)) {
                        return Err(Unreadable {
                            line: start,
                            what: format!("the header has no column `{missing}`"),
                            help: "name a column of the header with --field",
                        });
                    }
                    header = Some((cells, delimiter));
                    continue;
                };
                for (column, cell) in columns.iter().zip(&cells) {
                    if fields.is_empty() || fields.contains(column) {
                        found(
                            Place {
                                line: start,
                                field: Some(column),
                            },
                            cell,
                        )
                        .map_err(report)?;
                    }
                }
                read.records += 1;
            }
        }
        if number.is_multiple_of(4096) {
            progress(read.records, read.bytes);
        }
    }
    if let Some((start, _)) = pending {
        return Err(Unreadable {
            line: start,
            what: "a quoted cell is not closed by the end of the input".into(),
            help: "close the quote, or scan with --format text",
        });
    }
    // The last line had no line break, or the input was empty.
    read.bytes = read.bytes.saturating_sub(1);
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(
        input: &str,
        format: ScanFormat,
        fields: &[&str],
    ) -> Result<Vec<(u64, Option<String>, String)>, Unreadable> {
        let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        let mut seen = Vec::new();
        read_records(
            input.as_bytes(),
            format,
            &fields,
            &mut |place, text| {
                seen.push((place.line, place.field.map(str::to_owned), text.to_owned()));
                Ok(())
            },
            &mut |_, _| {},
        )?;
        Ok(seen)
    }

    #[test]
    fn csv_cells_keep_the_line_their_record_starts_on_and_quoted_line_breaks() {
        let input = "id;body\n1;\"Hej,\nmitt nummer\"\n2;inget\n";
        let seen = collect(input, ScanFormat::Csv, &["body"]).unwrap();
        assert_eq!(
            seen,
            [
                (2, Some("body".into()), "Hej,\nmitt nummer".into()),
                (4, Some("body".into()), "inget".into()),
            ]
        );
    }

    #[test]
    fn a_missing_column_and_bad_json_are_named_by_line_without_their_content() {
        let error = collect("id,text\n", ScanFormat::Csv, &["body"]).unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.what.contains("`body`"));
        let error = collect(
            "{\"a\": \"x\"}\n{\"a\": 19121212-1212}\n",
            ScanFormat::Jsonl,
            &[],
        )
        .unwrap_err();
        assert_eq!(error.line, 2);
        assert!(!error.what.contains("1212"), "{}", error.what);
    }

    #[test]
    fn json_lines_scan_the_named_string_members_only() {
        let input = "{\"id\": 1, \"subject\": \"a\", \"body\": \"b\"}\n\n";
        let seen = collect(input, ScanFormat::Jsonl, &["body"]).unwrap();
        assert_eq!(seen, [(1, Some("body".into()), "b".into())]);
    }
}
