//! The currency between the pipeline's stages: entries travel in [`Batch`]es over bounded channels
//! ([`channel`]), collected by a [`Batcher`]; [`Counters`] are shared by the stages. It sits below the stages
//! (the walker, the filter, the tree writer import it) and below `pipeline`, which only wires stages together.

use std::sync::atomic::AtomicU64;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::entry::Entry;
use crate::error::{Error, Result};

/// Entries travel between stages in batches of up to this many: one channel operation per batch keeps the
/// hand-offs between stages (and the spinning of a blocked sender or an idle receiver, which on two cores
/// steals time from the stage doing the work) off the per-file path.
pub(crate) const BATCH: usize = 128;

/// A batch is also sent once the file data it carries in memory reaches this many bytes, so that memory stays
/// bounded by bytes, not only by entries (archive readers hand small files over as in-memory bytes).
pub(crate) const BATCH_BYTES: usize = 128 << 10;

/// Capacity of the channels between stages, in batches: enough to keep every worker busy, small enough that
/// memory stays bounded (an entry is a few hundred bytes; archive data rides in bounded chunks).
pub(crate) const CHANNEL_DEPTH: usize = 16;

/// What travels between stages: entries in stream order.
pub type Batch = Vec<Entry>;

/// Collects entries and sends them to the next stage a batch at a time. Call [`Batcher::flush`] before
/// waiting on anything the next stage might need (and at the end: dropping flushes too, ignoring errors).
pub struct Batcher<'a> {
    tx: &'a Sender<Batch>,
    buf: Batch,
    bytes: usize,
}

impl<'a> Batcher<'a> {
    /// A batcher sending on `tx`.
    pub fn new(tx: &'a Sender<Batch>) -> Self {
        Batcher { tx, buf: Vec::with_capacity(BATCH), bytes: 0 }
    }

    /// Queues one entry; sends the batch when it is full.
    pub fn push(&mut self, e: Entry) -> Result<()> {
        self.bytes += e.data.in_memory_len();
        self.buf.push(e);
        if self.buf.len() >= BATCH || self.bytes >= BATCH_BYTES {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Sends what is queued. Fails with [`Error::Cancelled`] when the next stage hung up.
    pub fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let b = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH));
        self.tx.send(b).map_err(|_| Error::Cancelled("the next stage hung up".into()))
    }

    /// Entries queued and not sent yet.
    pub(crate) fn pending(&self) -> usize {
        self.buf.len()
    }
}

impl Drop for Batcher<'_> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Counters shared by the stages, readable while the job runs.
#[derive(Debug, Default)]
pub struct Counters {
    /// Entries that passed the filter.
    pub kept: AtomicU64,
    /// Entries the exclude list removed.
    pub excluded: AtomicU64,
    /// Data bytes of kept entries.
    pub bytes: AtomicU64,
}

/// A bounded channel for batches of entries.
pub fn channel() -> (Sender<Batch>, Receiver<Batch>) {
    bounded(CHANNEL_DEPTH)
}
