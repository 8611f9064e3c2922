//! Checkpoints of SQLite's WAL on a thread of their own, so that commits rarely wait for one
//! (issue 19).
//!
//! SQLite by default checkpoints inside the commit that grew the WAL past 1,000 pages: that
//! commit copies every page back into the database file and syncs it, several milliseconds
//! during which the ledger writer, and every decision and consent waiting for its group commit,
//! waits too (p99 12.8 ms against 5.8 ms without). Here a thread copies committed pages back
//! every [`INTERVAL`] once the WAL file has reached SQLite's own threshold ([`FROM_WAL_BYTES`];
//! `PASSIVE`: beside the writer, never blocking it), so that when the ledger
//! writer's own automatic checkpoint comes due ([`WRITER_CHECKPOINT_FRAMES`]) it only copies
//! the pages of the last few commits. That one is still needed: a passive copy beside a
//! continuous stream of commits never catches up with the newest, and the WAL file restarts
//! from its beginning only after a checkpoint that did.
//!
//! A checkpoint that fails on the files (a full disk, above all: the database file cannot grow
//! to take the copied pages) is remembered until one succeeds, and the write probe behind
//! readiness reports it ([`Checkpointer::fault`]). Without that, a small write can succeed on a
//! full disk (a WAL that was copied back starts over inside its own file, which needs no new
//! space) while every larger one fails, and readiness would flicker between the two.
//!
//! The thread stops when its [`Checkpointer`] is dropped (with the storage).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rusqlite::Connection;

/// The ledger writer's `wal_autocheckpoint`: the WAL pages (4 KiB each, so 64 MiB) after which
/// its commit finishes the copy this thread keeps doing (the pages of the last
/// [`INTERVAL`] and two syncs), and the WAL restarts. The callers of the commits queued behind
/// that one wait for it, so the rarer it is the fewer requests see it: at 1,000 pages (SQLite's
/// default) the decisions bench's p99 was 10.9 ms, at 16,000 7.9 ms, with no checkpoint 4.6 ms.
pub(super) const WRITER_CHECKPOINT_FRAMES: i64 = 16_000;

/// How often the thread copies committed pages back.
const INTERVAL: Duration = Duration::from_millis(20);

/// The WAL file size from which the thread copies pages back: SQLite's own automatic
/// checkpoint starts at 1,000 pages, and a WAL that never grew that large is left as SQLite
/// would leave it (the pool's connections still checkpoint it at that size). The file keeps
/// its largest size when the WAL starts over, so under a steady load the thread keeps copying.
const FROM_WAL_BYTES: u64 = 1_000 * 4_096;

/// The checkpointing thread of one storage; dropping this stops it.
pub(super) struct Checkpointer {
    /// Dropped to stop the thread (it then sees the channel closed).
    _stop: mpsc::Sender<()>,
    /// Whether the last checkpoint failed on the files (read-only, I/O, full, cannot open).
    fault: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Start checkpointing the WAL of the database at `path`. Returns `None` where no thread
    /// can be started; SQLite's own automatic checkpoint then keeps the WAL bounded.
    pub(super) fn start(path: PathBuf) -> Option<Checkpointer> {
        let (stop, stopped) = mpsc::channel::<()>();
        let fault = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&fault);
        std::thread::Builder::new()
            .name("skydd-sqlite-checkpoint".into())
            .spawn(move || run(&path, &stopped, &seen))
            .ok()?;
        Some(Checkpointer { _stop: stop, fault })
    }

    /// Whether the last checkpoint failed on the files: committed pages cannot be copied back
    /// into the database file (a full disk, read-only files), so the WAL can only grow.
    pub(super) fn fault(&self) -> bool {
        self.fault.load(Ordering::Relaxed)
    }
}

/// Look at the WAL every [`INTERVAL`] until `stopped` closes; a connection that fails is
/// dropped and opened again at the next look.
fn run(path: &std::path::Path, stopped: &mpsc::Receiver<()>, fault: &AtomicBool) {
    let mut connection: Option<Connection> = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        if !wal_reached(path, FROM_WAL_BYTES) {
            fault.store(false, Ordering::Relaxed);
            continue;
        }
        let outcome = match connection.as_ref() {
            Some(open) => checkpoint(open),
            None => open(path).and_then(|opened| checkpoint(connection.insert(opened))),
        };
        fault.store(
            outcome
                .as_ref()
                .is_err_and(super::ledger_writer::file_fault),
            Ordering::Relaxed,
        );
        if let Err(error) = outcome {
            // Tried again at the next look; the writer's own checkpoint keeps the WAL bounded.
            tracing::debug!(%error, "the WAL checkpoint failed; trying again");
            connection = None;
        }
    }
}

/// Whether the WAL file beside the database at `path` has `bytes` or more (no file: no).
fn wal_reached(path: &std::path::Path, bytes: u64) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|metadata| metadata.len() >= bytes)
}

/// A connection for checkpoints only (a passive checkpoint never waits for a lock).
fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    super::open_own_connection(path, Duration::ZERO, "")
}

/// Copy the pages committed since the last checkpoint back into the database file. Another
/// checkpoint running (the writer's) makes this one return at once; it is tried again later.
fn checkpoint(connection: &Connection) -> rusqlite::Result<()> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
