//! The log store's planted bug, shared by both openraft lines' log stores.

/// A bug planted in the log store, to show that the invariants catch what it breaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogBug {
    /// No bug.
    #[default]
    None,
    /// `append` syncs the file before writing the entries instead of after: each batch is
    /// durable only once the next one is written, so a crash loses entries the node reported
    /// flushed (a leader restarted in its term then reuses their log ids: Log Matching).
    SyncBeforeWrite,
}
