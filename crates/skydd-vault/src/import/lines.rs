//! Reading an import file as it arrives: numbered lines (at most [`MAX_LINE_BYTES`] each), and
//! from them rows as JSON objects, one per line (JSON lines) or one per record (CSV, where a
//! quoted cell may span lines). Nothing here quotes the file's content in an error.

use serde_json::{Map, Value};

use super::{ImportInput, LineError};

/// The longest line read; a longer one is refused (and skipped) without being kept in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One line of the file, numbered from 1.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line's text, without its line break.
    Text { number: u64, text: String },
    /// A line that cannot be read as text: why.
    Bad { number: u64, problem: &'static str },
}

/// Splits bytes into lines as chunks arrive, keeping at most one line (and one chunk) in
/// memory.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    start: usize,
    /// Where to look for the next line break in `buffer` (from `start` to here there is none).
    scanned: usize,
    /// Lines returned so far.
    count: u64,
    /// The current line has passed [`MAX_LINE_BYTES`]; its bytes are dropped until its end.
    overlong: bool,
}

impl Lines {
    /// Add the next chunk of the file.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.buffer.drain(..self.start);
        self.scanned -= self.start;
        self.start = 0;
        self.buffer.extend_from_slice(chunk);
    }

    /// The next whole line, if the bytes pushed hold one; with `eof`, the last line even
    /// without a line break.
    pub(crate) fn next_line(&mut self, eof: bool) -> Option<Line> {
        let rest = self.buffer.len() - self.start;
        let end = match self.buffer[self.scanned..].iter().position(|b| *b == b'\n') {
            Some(at) => self.scanned + at,
            None if eof && (rest > 0 || self.overlong) => self.buffer.len(),
            None => {
                self.scanned = self.buffer.len();
                if rest > MAX_LINE_BYTES {
                    self.overlong = true;
                    self.buffer.clear();
                    self.start = 0;
                    self.scanned = 0;
                }
                return None;
            }
        };
        let mut bytes = self.buffer[self.start..end].to_vec();
        self.start = (end + 1).min(self.buffer.len());
        self.scanned = self.start;
        self.count += 1;
        let number = self.count;
        if std::mem::take(&mut self.overlong) || bytes.len() > MAX_LINE_BYTES {
            return Some(Line::Bad {
                number,
                problem: "the line is longer than 1 MiB",
            });
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if number == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        Some(match String::from_utf8(bytes) {
            Ok(text) => Line::Text { number, text },
            Err(_) => Line::Bad {
                number,
                problem: "the line is not UTF-8 text",
            },
        })
    }

    /// How many lines were returned.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }
}

/// The lines of an [`ImportInput`], read as needed.
pub(crate) struct LineReader<'a> {
    input: &'a mut dyn ImportInput,
    lines: Lines,
    eof: bool,
}

impl<'a> LineReader<'a> {
    pub(crate) fn new(input: &'a mut dyn ImportInput) -> LineReader<'a> {
        LineReader {
            input,
            lines: Lines::default(),
            eof: false,
        }
    }

    /// The next line, `None` at the end of the file.
    pub(crate) async fn next(&mut self) -> Result<Option<Line>, std::io::Error> {
        loop {
            if let Some(line) = self.lines.next_line(self.eof) {
                return Ok(Some(line));
            }
            if self.eof {
                return Ok(None);
            }
            match self.input.next_chunk().await? {
                Some(chunk) => self.lines.push(&chunk),
                None => self.eof = true,
            }
        }
    }

    /// How many lines were read.
    pub(crate) fn count(&self) -> u64 {
        self.lines.count()
    }
}

/// One row of the file: the lines it spans and its cells as a JSON object, or why it cannot
/// be read.
#[derive(Debug)]
pub(crate) struct RawRow {
    /// Its first line.
    pub(crate) line: u64,
    /// Its last line (after `line` only for a CSV record with a line break in a quoted cell).
    pub(crate) last_line: u64,
    /// Its cells, or why it cannot be read.
    pub(crate) cells: Result<Map<String, Value>, LineError>,
}

/// A JSON lines row from `text` (line `number`, not blank).
pub(crate) fn json_row(number: u64, text: &str) -> RawRow {
    let cells = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(LineError::new(
            number,
            None,
            "the line is not a JSON object",
            "write each item as one object: {\"type\": \"consent\", ...}",
        )),
        // serde_json's message may quote the text; only its kind and column are kept.
        Err(error) => Err(LineError::new(
            number,
            None,
            format!("the line is not valid JSON (column {})", error.column()),
            "write one JSON object per line, each on a single line",
        )),
    };
    RawRow {
        line: number,
        last_line: number,
        cells,
    }
}

/// What splitting a CSV record found.
#[derive(Debug, PartialEq, Eq)]
pub enum Split {
    /// The record's cells.
    Cells(Vec<String>),
    /// A quoted cell is still open: the record goes on on the next line.
    Open,
    /// The text is not CSV: why.
    Bad(&'static str),
}

/// Split one CSV record (RFC 4180, cells separated by `delimiter`, `""` a quote inside a
/// quoted cell, line breaks allowed only inside quotes).
pub fn split_record(text: &str, delimiter: char) -> Split {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    loop {
        // At the start of a cell.
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Split::Open,
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cell.push(c),
                }
            }
            match chars.next() {
                None => {
                    cells.push(cell);
                    return Split::Cells(cells);
                }
                Some(c) if c == delimiter => cells.push(std::mem::take(&mut cell)),
                Some(_) => return Split::Bad("a quoted cell goes on after its closing quote"),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        cells.push(cell);
                        return Split::Cells(cells);
                    }
                    Some(c) if c == delimiter => {
                        cells.push(std::mem::take(&mut cell));
                        break;
                    }
                    Some('"') => return Split::Bad("a quote in the middle of an unquoted cell"),
                    Some(c) => cell.push(c),
                }
            }
        }
    }
}

/// Columns holding `true` or `false`.
const BOOLEAN_COLUMNS: [&str; 3] = ["granted", "objected", "opted_in"];

/// The header of a CSV file: its column names and delimiter.
#[derive(Debug, Clone)]
pub(crate) struct CsvHeader {
    columns: Vec<String>,
    delimiter: char,
}

impl CsvHeader {
    /// The header from the file's first record: `,` separates cells, or `;` when the header
    /// has a `;` and no `,` (as spreadsheets in Sweden write it).
    pub(crate) fn parse(number: u64, text: &str) -> Result<CsvHeader, LineError> {
        let delimiter = if text.contains(';') && !text.contains(',') {
            ';'
        } else {
            ','
        };
        let help = "the first line names the columns: type,identity_kind,identity,purpose,...";
        let columns = match split_record(text, delimiter) {
            Split::Cells(cells) => cells,
            Split::Open => {
                return Err(LineError::new(number, None, "a quote is not closed", help));
            }
            Split::Bad(problem) => return Err(LineError::new(number, None, problem, help)),
        };
        let columns: Vec<String> = columns.into_iter().map(|c| c.trim().to_string()).collect();
        for (i, column) in columns.iter().enumerate() {
            if column.is_empty() {
                return Err(LineError::new(
                    number,
                    None,
                    format!("column {} has no name", i + 1),
                    help,
                ));
            }
            if columns[..i].contains(column) {
                return Err(LineError::new(
                    number,
                    Some(column.clone()),
                    "the column is named twice",
                    "name each column once",
                ));
            }
        }
        // Every row says what it is in `type`; a header without it (a JSON object sent as
        // CSV, a file of another program) can import nothing, so it is refused whole.
        if !columns.iter().any(|column| column == "type") {
            return Err(LineError::new(
                number,
                None,
                "the header has no `type` column",
                help,
            ));
        }
        Ok(CsvHeader { columns, delimiter })
    }

    /// The row of the record in `text` (lines `line` to `last_line`), cells named by the
    /// header: empty cells are left out, `fields.<id>` and `anchors.<event>` go into objects.
    pub(crate) fn row(&self, line: u64, last_line: u64, text: &str) -> RawRow {
        let cells = match split_record(text, self.delimiter) {
            Split::Cells(cells) => self.object(line, cells),
            Split::Open => Err(LineError::new(
                line,
                None,
                "a quoted cell is not closed before the end of the file",
                "close every quote; write a quote inside a quoted cell as \"\"",
            )),
            Split::Bad(problem) => Err(LineError::new(
                line,
                None,
                problem,
                "quote a cell that holds the delimiter, a quote or a line break",
            )),
        };
        RawRow {
            line,
            last_line,
            cells,
        }
    }

    fn object(&self, line: u64, cells: Vec<String>) -> Result<Map<String, Value>, LineError> {
        if cells.len() != self.columns.len() {
            return Err(LineError::new(
                line,
                None,
                format!(
                    "the row has {} cells and the header {}",
                    cells.len(),
                    self.columns.len()
                ),
                "give every row one cell per column (empty cells are allowed)",
            ));
        }
        let mut object = Map::new();
        for (column, cell) in self.columns.iter().zip(cells) {
            if cell.is_empty() {
                continue;
            }
            let nested = ["fields.", "anchors."].iter().find_map(|prefix| {
                Some((prefix.trim_end_matches('.'), column.strip_prefix(prefix)?))
            });
            if let Some((parent, name)) = nested {
                let slot = object
                    .entry(parent)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(inner) = slot {
                    inner.insert(name.to_string(), Value::String(cell));
                }
                continue;
            }
            let value = match (BOOLEAN_COLUMNS.contains(&column.as_str()), cell.as_str()) {
                (true, "true" | "yes" | "1") => Value::Bool(true),
                (true, "false" | "no" | "0") => Value::Bool(false),
                _ => Value::String(cell),
            };
            object.insert(column.clone(), value);
        }
        Ok(object)
    }
}

/// Reads rows from lines, in either format.
pub(crate) struct RowReader<'a> {
    lines: LineReader<'a>,
    format: super::ImportFormat,
    header: Option<CsvHeader>,
}

impl<'a> RowReader<'a> {
    pub(crate) fn new(
        input: &'a mut dyn ImportInput,
        format: super::ImportFormat,
    ) -> RowReader<'a> {
        RowReader {
            lines: LineReader::new(input),
            format,
            header: None,
        }
    }

    /// How many lines were read.
    pub(crate) fn lines_read(&self) -> u64 {
        self.lines.count()
    }

    /// The next row; `None` at the end of the file. A CSV file whose header cannot be read is
    /// an error of the whole file (`Err(Ok(line error))`); a read failure is `Err(Err(..))`.
    pub(crate) async fn next(&mut self) -> Result<Option<RawRow>, HeaderOrRead> {
        loop {
            let Some(line) = self.lines.next().await.map_err(HeaderOrRead::Read)? else {
                return Ok(None);
            };
            let (number, text) = match line {
                Line::Text { number, text } => (number, text),
                Line::Bad { number, problem } => {
                    let error = LineError::new(number, None, problem, "fix or remove the line");
                    if self.format == super::ImportFormat::Csv && self.header.is_none() {
                        return Err(HeaderOrRead::Header(error));
                    }
                    return Ok(Some(RawRow {
                        line: number,
                        last_line: number,
                        cells: Err(error),
                    }));
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            match self.format {
                super::ImportFormat::JsonLines => return Ok(Some(json_row(number, &text))),
                super::ImportFormat::Csv => match &self.header {
                    None => {
                        self.header =
                            Some(CsvHeader::parse(number, &text).map_err(HeaderOrRead::Header)?);
                    }
                    Some(_) => return self.csv_record(number, text).await.map(Some),
                },
            }
        }
    }

    /// The CSV record starting with line `number`, reading more lines while a quote is open.
    async fn csv_record(&mut self, number: u64, mut text: String) -> Result<RawRow, HeaderOrRead> {
        let delimiter = self.header.as_ref().map_or(',', |h| h.delimiter);
        let mut last = number;
        while split_record(&text, delimiter) == Split::Open {
            match self.lines.next().await.map_err(HeaderOrRead::Read)? {
                Some(Line::Text { number, text: more }) => {
                    text.push('\n');
                    text.push_str(&more);
                    last = number;
                }
                Some(Line::Bad { number, problem }) => {
                    return Ok(RawRow {
                        line: number,
                        last_line: number,
                        cells: Err(LineError::new(number, None, problem, "fix the line")),
                    });
                }
                None => break,
            }
        }
        let header = self.header.as_ref();
        Ok(match header {
            Some(header) => header.row(number, last, &text),
            None => json_row(number, &text),
        })
    }
}

/// Why rows cannot be read at all.
#[derive(Debug)]
pub(crate) enum HeaderOrRead {
    /// The CSV header is not readable.
    Header(LineError),
    /// The input failed.
    Read(std::io::Error),
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn all_lines(chunks: &[&[u8]]) -> Vec<Line> {
        let mut lines = Lines::default();
        let mut out = Vec::new();
        for chunk in chunks {
            lines.push(chunk);
            while let Some(line) = lines.next_line(false) {
                out.push(line);
            }
        }
        while let Some(line) = lines.next_line(true) {
            out.push(line);
        }
        out
    }

    fn text(number: u64, text: &str) -> Line {
        Line::Text {
            number,
            text: text.into(),
        }
    }

    #[test]
    fn a_header_without_a_type_column_is_refused() {
        let error = CsvHeader::parse(1, "{}").err();
        assert_eq!(
            error.map(|e| e.message),
            Some("the header has no `type` column".to_owned())
        );
        assert!(CsvHeader::parse(1, "identity_kind;identity;type").is_ok());
    }

    #[test]
    fn lines_are_numbered_across_chunks_without_their_breaks() {
        let got = all_lines(&[b"\xEF\xBB\xBFone\r\ntw", b"o\n\nthree"]);
        assert_eq!(
            got,
            vec![
                text(1, "one"),
                text(2, "two"),
                text(3, ""),
                text(4, "three")
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_refused_and_the_next_one_read() {
        let long = vec![b'a'; MAX_LINE_BYTES + 10];
        let got = all_lines(&[
            &long[..MAX_LINE_BYTES / 2],
            &long[MAX_LINE_BYTES / 2..],
            b"\nok\n",
        ]);
        assert_eq!(
            got,
            vec![
                Line::Bad {
                    number: 1,
                    problem: "the line is longer than 1 MiB"
                },
                text(2, "ok")
            ]
        );
    }

    #[test]
    fn csv_cells_quoted_and_not() {
        assert_eq!(
            split_record(r#"a,"b,c","d""e",,"""#, ','),
            Split::Cells(vec![
                "a".into(),
                "b,c".into(),
                "d\"e".into(),
                String::new(),
                String::new()
            ])
        );
        assert_eq!(split_record("a,\"b\nc", ','), Split::Open);
        assert!(matches!(split_record("a\"b", ','), Split::Bad(_)));
        assert!(matches!(split_record("\"a\"b", ','), Split::Bad(_)));
    }

    #[test]
    fn a_json_error_names_the_column_not_the_text() {
        let row = json_row(7, "{\"identity\": \"anna@example.se\" oops}");
        let error = row.cells.unwrap_err();
        assert_eq!(error.line, 7);
        assert!(!error.message.contains("anna"), "{}", error.message);
        let row = json_row(8, "\"anna@example.se\"");
        assert!(!row.cells.unwrap_err().message.contains("anna"));
    }

    /// How a CSV writer quotes a cell.
    fn quoted(cell: &str) -> String {
        if cell.contains([',', '"', '\n']) || cell.is_empty() {
            format!("\"{}\"", cell.replace('"', "\"\""))
        } else {
            cell.to_string()
        }
    }

    proptest! {
        #[test]
        fn any_csv_record_splits_back_into_its_cells(
            cells in prop::collection::vec("[a-z\"\n, é]{0,8}", 1..6),
        ) {
            let text = cells.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(",");
            prop_assert_eq!(split_record(&text, ','), Split::Cells(cells));
        }

        #[test]
        fn lines_come_back_whatever_the_chunking(
            lines in prop::collection::vec("[a-z ,\"]{0,12}", 0..8),
            cut in 0usize..64,
        ) {
            let file: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let cut = cut.min(file.len());
            let got = all_lines(&[&file.as_bytes()[..cut], &file.as_bytes()[cut..]]);
            let expected: Vec<Line> =
                lines.iter().enumerate().map(|(i, l)| text(i as u64 + 1, l)).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
