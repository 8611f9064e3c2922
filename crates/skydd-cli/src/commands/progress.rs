//! The progress of a long command on stderr (`skydd import`, `skydd scan`): a bar redrawn in
//! place on a terminal, else a plain line every few seconds, so a log stays readable.

use std::io::Write as _;
use std::time::{Duration, Instant};

/// How often the progress is written as a line when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// The bar's width in characters.
const WIDTH: usize = 30;

/// Progress towards `total` units (lines, bytes), with the rate since the first report.
pub(crate) struct Progress {
    total: Option<u64>,
    started: Instant,
    last_plain: Instant,
    terminal: bool,
    first: Option<u64>,
}

impl Progress {
    /// Progress towards `total` (unknown for standard input), drawn as a bar when `terminal`.
    pub(crate) fn new(total: Option<u64>, terminal: bool) -> Progress {
        Progress {
            total,
            started: Instant::now(),
            last_plain: Instant::now(),
            terminal,
            first: None,
        }
    }

    /// `done` units so far; `detail` says what they are ("1200 / 5000 lines, 3 refused").
    pub(crate) fn show(&mut self, done: u64, detail: &str) {
        let first = *self.first.get_or_insert(done);
        let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done.saturating_sub(first) as f64 / elapsed;
        let percent = self
            .total
            .map(|total| (done * 100).checked_div(total).unwrap_or(100).min(100));
        let text = match percent {
            Some(percent) => format!("{detail} ({percent}%), {rate:.0}/s"),
            None => format!("{detail}, {rate:.0}/s"),
        };
        let mut stderr = std::io::stderr();
        if self.terminal {
            let filled = percent.map_or(0, |p| usize::try_from(p).unwrap_or(100) * WIDTH / 100);
            let bar = format!("{}{}", "#".repeat(filled), "-".repeat(WIDTH - filled));
            let _ = write!(stderr, "\r[{bar}] {text}\x1b[K");
            let _ = stderr.flush();
        } else if self.last_plain.elapsed() >= PLAIN_EVERY {
            self.last_plain = Instant::now();
            let _ = writeln!(stderr, "{text}");
        }
    }

    /// Ends the bar's line on a terminal.
    pub(crate) fn finish(&self) {
        if self.terminal && self.first.is_some() {
            eprintln!();
        }
    }
}
