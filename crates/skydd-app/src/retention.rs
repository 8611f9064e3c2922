//! Retention sweeps: expired records deleted or anonymised, then a signed audit checkpoint.

use jiff::Timestamp;
use skydd_vault::{Actor, SweepProgress, SweepSummary, VaultError};

use crate::checkpoint::CheckpointError;
use crate::operations::SweepEnd;
use crate::services::App;

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep itself failed; the batches done before are committed.
    #[error("the sweep stopped; what was done is committed, run it again to finish")]
    Sweep(#[source] VaultError),
    /// The sweep finished but the checkpoint after it failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl App {
    /// Sweep as of `at`, `batch` records per transaction, reporting to `progress`, then sign a
    /// checkpoint of the audit trail ([`App::checkpoint`]). `None` when another sweeper holds
    /// the sweep lock (several servers on one database: one sweeps, the others skip). Counted
    /// for [`App::operations`].
    pub async fn sweep(
        &self,
        actor: &Actor,
        at: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepProgress) + Send),
    ) -> Result<Option<SweepSummary>, SweepError> {
        let swept = self.sweep_and_checkpoint(actor, at, batch, progress).await;
        let end = match &swept {
            Ok(Some(_)) => SweepEnd::Done,
            Ok(None) => SweepEnd::Skipped,
            Err(_) => SweepEnd::Failed,
        };
        self.sweep_log.record(at, end);
        swept
    }

    async fn sweep_and_checkpoint(
        &self,
        actor: &Actor,
        at: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepProgress) + Send),
    ) -> Result<Option<SweepSummary>, SweepError> {
        let summary = self
            .vault()
            .retention_sweep(actor, at, batch, progress)
            .await
            .map_err(SweepError::Sweep)?;
        self.checkpoint(at).await?;
        Ok(summary)
    }
}
