//! Faults as data: a schedule of timestamped fault events that can be printed, saved as JSON,
//! edited (shrunk) and replayed. Nodes are named, so a schedule reads well and survives reordering.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One fault (or recovery) to inject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Cut these directed links; `shape` says which partition it is, for people.
    Partition {
        /// Human description, e.g. `halves {n0,n1} | {n2,n3,n4}`.
        shape: String,
        /// Directed (from, to) pairs whose messages are dropped.
        cut: Vec<(String, String)>,
    },
    /// Restore every link.
    HealAll,
    /// Crash a node (unsynced disk writes follow its disk's crash behaviour).
    Crash {
        /// The node.
        node: String,
    },
    /// Crash a node and lose every unsynced write, whatever its disk's crash behaviour.
    CrashWipe {
        /// The node.
        node: String,
    },
    /// Crash a node in the middle of its next disk write or sync: a write takes effect
    /// (unsynced) and the node crashes; a sync does not take effect, and the node crashes before
    /// it returns. Either way the code that issued it never sees it complete. This lands crashes
    /// in the window between an I/O and what the code does after it (an ack before a sync, a
    /// torn in-place overwrite). A node that does no write or sync until its `Restart` is
    /// crashed by the restart itself.
    CrashDuringIo {
        /// The node.
        node: String,
    },
    /// Restart a node (crashing it first if it is up).
    Restart {
        /// The node.
        node: String,
    },
    /// Pause a node.
    Pause {
        /// The node.
        node: String,
    },
    /// Resume a paused node.
    Resume {
        /// The node.
        node: String,
    },
    /// Step a node's clock (negative: the wall clock goes back, the monotonic clock holds).
    ClockStep {
        /// The node.
        node: String,
        /// Signed step in nanoseconds.
        delta_ns: i64,
    },
    /// Set a node's clock drift (0.01 = 1% fast).
    ClockDrift {
        /// The node.
        node: String,
        /// The new drift.
        drift: f64,
    },
    /// Make a directed link slow and lossy.
    LinkDegrade {
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// Smallest latency, ns.
        latency_min_ns: u64,
        /// Largest latency, ns.
        latency_max_ns: u64,
        /// Loss probability.
        loss: f64,
    },
    /// Remove a link's degradation.
    LinkRestore {
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
    },
    /// Protocol-aware: isolate the nodes a registered hook names (e.g. the current leader).
    IsolateTarget {
        /// The hook's name.
        hook: String,
    },
    /// Protocol-aware: crash the nodes a registered hook names.
    CrashTarget {
        /// The hook's name.
        hook: String,
    },
    /// Final heal: restore links, resume paused nodes, restart crashed ones, zero every drift.
    RecoverAll,
}

/// A fault at a true virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultEvent {
    /// True virtual time, ns since the start of the run.
    pub at_ns: u64,
    /// What happens.
    pub fault: Fault,
}

/// A whole fault schedule, in time order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// The events, sorted by time.
    pub events: Vec<FaultEvent>,
    /// With swarm testing, the fault mix this seed drew (for people; replay uses `events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix: Option<String>,
}

/// A schedule file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("fault schedule is not valid JSON of the expected shape: {0}")]
pub struct ScheduleError(#[from] serde_json::Error);

impl Schedule {
    /// Adds an event, keeping time order (stable for equal times).
    pub fn push(&mut self, at: Duration, fault: Fault) {
        let at_ns = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        let i = self.events.partition_point(|e| e.at_ns <= at_ns);
        self.events.insert(i, FaultEvent { at_ns, fault });
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a schedule always serializes")
    }

    /// Parses JSON written by [`Schedule::to_json`].
    pub fn from_json(s: &str) -> Result<Schedule, ScheduleError> {
        Ok(serde_json::from_str(s)?)
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True if there are no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Partition { shape, cut } => {
                write!(f, "partition {shape} ({} links cut)", cut.len())
            }
            Fault::HealAll => write!(f, "heal all links"),
            Fault::Crash { node } => write!(f, "crash {node}"),
            Fault::CrashWipe { node } => write!(f, "crash {node} and wipe unsynced writes"),
            Fault::CrashDuringIo { node } => {
                write!(f, "crash {node} during its next write or sync")
            }
            Fault::Restart { node } => write!(f, "restart {node}"),
            Fault::Pause { node } => write!(f, "pause {node}"),
            Fault::Resume { node } => write!(f, "resume {node}"),
            Fault::ClockStep { node, delta_ns } => {
                write!(f, "step clock of {node} by {:+.3}s", *delta_ns as f64 / 1e9)
            }
            Fault::ClockDrift { node, drift } => {
                write!(f, "drift clock of {node} by {:+.2}%", drift * 100.0)
            }
            Fault::LinkDegrade {
                from,
                to,
                latency_min_ns,
                latency_max_ns,
                loss,
            } => write!(
                f,
                "degrade {from}->{to}: latency {:.1}-{:.1} ms, loss {:.0}%",
                *latency_min_ns as f64 / 1e6,
                *latency_max_ns as f64 / 1e6,
                loss * 100.0
            ),
            Fault::LinkRestore { from, to } => write!(f, "restore {from}->{to}"),
            Fault::IsolateTarget { hook } => write!(f, "isolate target `{hook}`"),
            Fault::CrashTarget { hook } => write!(f, "crash target `{hook}`"),
            Fault::RecoverAll => write!(f, "recover all (heal, resume, restart, zero drift)"),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(mix) = &self.mix {
            writeln!(f, "  fault mix (swarm): {mix}")?;
        }
        if self.events.is_empty() {
            return writeln!(f, "  (no faults)");
        }
        for e in &self.events {
            writeln!(f, "  {:>9.3}s  {}", e.at_ns as f64 / 1e9, e.fault)?;
        }
        Ok(())
    }
}
