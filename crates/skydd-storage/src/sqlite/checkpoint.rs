//! Checkpoints of SQLite's WAL on a thread of their own, so that commits rarely wait for one
//! (issue 19).
//!
//! SQLite by default checkpoints inside the commit that grew the WAL past 1,000 pages: that
//! commit copies every page back into the database file and syncs it, several milliseconds
//! during which the ledger writer, and every decision and consent waiting for its group commit,
//! waits too (p99 12.8 ms against 5.8 ms without). Here a thread copies committed pages back
//! every [`INTERVAL`] (`PASSIVE`: beside the writer, never blocking it), so that when the ledger
//! writer's own automatic checkpoint comes due ([`WRITER_CHECKPOINT_FRAMES`]) it only copies
//! the pages of the last few commits. That one is still needed: a passive copy beside a
//! continuous stream of commits never catches up with the newest, and the WAL file restarts
//! from its beginning only after a checkpoint that did.
//!
//! The thread stops when its [`Checkpointer`] is dropped (with the storage).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// The ledger writer's `wal_autocheckpoint`: the WAL pages (4 KiB each, so 64 MiB) after which
/// its commit finishes the copy this thread keeps doing (the pages of the last
/// [`INTERVAL`] and two syncs), and the WAL restarts. The callers of the commits queued behind
/// that one wait for it, so the rarer it is the fewer requests see it: at 1,000 pages (SQLite's
/// default) the decisions bench's p99 was 10.9 ms, at 16,000 7.9 ms, with no checkpoint 4.6 ms.
pub(super) const WRITER_CHECKPOINT_FRAMES: i64 = 16_000;

/// How often the thread copies committed pages back.
const INTERVAL: Duration = Duration::from_millis(20);

/// The checkpointing thread of one storage; dropping this stops it.
pub(super) struct Checkpointer {
    /// Dropped to stop the thread (it then sees the channel closed).
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Start checkpointing the WAL of the database at `path`. Returns `None` where no thread
    /// can be started; SQLite's own automatic checkpoint then keeps the WAL bounded.
    pub(super) fn start(path: PathBuf) -> Option<Checkpointer> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("skydd-sqlite-checkpoint".into())
            .spawn(move || run(&path, &stopped))
            .ok()?;
        Some(Checkpointer { _stop: stop })
    }
}

/// Look at the WAL every [`INTERVAL`] until `stopped` closes; a connection that fails is
/// dropped and opened again at the next look.
fn run(path: &std::path::Path, stopped: &mpsc::Receiver<()>) {
    let mut connection: Option<Connection> = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let outcome = match connection.as_ref() {
            Some(open) => checkpoint(open),
            None => open(path).and_then(|opened| checkpoint(connection.insert(opened))),
        };
        if let Err(error) = outcome {
            // Tried again at the next look; the writer's own checkpoint keeps the WAL bounded.
            tracing::debug!(%error, "the WAL checkpoint failed; trying again");
            connection = None;
        }
    }
}

/// A connection for checkpoints only.
fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Copy the pages committed since the last checkpoint back into the database file. Another
/// checkpoint running (the writer's) makes this one return at once; it is tried again later.
fn checkpoint(connection: &Connection) -> rusqlite::Result<()> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
