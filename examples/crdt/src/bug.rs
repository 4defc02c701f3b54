//! Planted bugs: one knob, chosen at run time. Each `if bug == …` sits at the line a real
//! implementer would get wrong.

use std::fmt;
use std::str::FromStr;

/// A planted bug, or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// The correct implementation.
    #[default]
    None,
    /// G-Counter merge adds the two replicas' entries instead of taking their maximum: not
    /// idempotent, so every gossip round re-counts (`gcounter.rs`).
    GCounterSumMerge,
    /// PN-Counter merge joins the increments but forgets the decrements: each replica keeps
    /// only the decrements made through it, so replicas never agree (`pncounter.rs`).
    PnMergeForgetsDecrements,
    /// OR-Set merge joins the element map with `BTreeMap::extend`, which replaces an element's
    /// tag set with the other replica's instead of uniting them: concurrent adds are lost
    /// (`orset.rs`).
    OrSetMapExtend,
    /// OR-Set remove drops the observed tags without keeping them as tombstones: the next
    /// gossip from a replica that still has them brings the element back (`orset.rs`).
    OrSetNoTombstone,
    /// The node acknowledges an operation before its state is on disk and does not recover
    /// its state at restart: after a crash its own G-Counter entry restarts at zero and the
    /// increments it acknowledged are lost (`node.rs`).
    AckBeforeDurable,
}

impl Bug {
    /// Every planted bug (not `None`).
    pub const ALL: [Bug; 5] = [
        Bug::GCounterSumMerge,
        Bug::PnMergeForgetsDecrements,
        Bug::OrSetMapExtend,
        Bug::OrSetNoTombstone,
        Bug::AckBeforeDurable,
    ];

    /// The bug's name, as `FromStr` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Bug::None => "none",
            Bug::GCounterSumMerge => "gcounter-sum-merge",
            Bug::PnMergeForgetsDecrements => "pn-merge-forgets-decrements",
            Bug::OrSetMapExtend => "orset-map-extend",
            Bug::OrSetNoTombstone => "orset-no-tombstone",
            Bug::AckBeforeDurable => "ack-before-durable",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bug name `FromStr` does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownBug(pub String);

impl fmt::Display for UnknownBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown bug {:?}", self.0)
    }
}

impl std::error::Error for UnknownBug {}

impl FromStr for Bug {
    type Err = UnknownBug;
    fn from_str(s: &str) -> Result<Bug, UnknownBug> {
        std::iter::once(Bug::None)
            .chain(Bug::ALL)
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBug(s.to_string()))
    }
}
