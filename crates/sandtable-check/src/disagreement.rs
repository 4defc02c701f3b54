//! [`Disagreement`]: two parts of the checker contradict each other on one key, which is a bug
//! in the checker, reported loudly instead of being settled silently.

use std::fmt;

use crate::Value;

/// A part of the checker that can decide a key on its own, without (or before) the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shortcut {
    /// The pre-check of register-like models ([`Model::needs`](crate::Model::needs) and
    /// [`Model::sets`](crate::Model::sets)): an operation needs a state nothing could set in
    /// time.
    PreCheck,
    /// The model's own proof that no order exists ([`Model::impossible`](crate::Model::impossible);
    /// for `list-append` and `rw-register`, the transactional anomaly checks).
    ModelProof,
    /// The zone analysis of registers whose written values are unique.
    ZoneAnalysis,
    /// The search itself: it claimed a linearization that does not replay.
    Search,
}

impl Shortcut {
    /// `the pre-check`, `the model's anomaly proof`, ...
    pub fn name(self) -> &'static str {
        match self {
            Shortcut::PreCheck => "the pre-check",
            Shortcut::ModelProof => "the model's anomaly proof (Model::impossible)",
            Shortcut::ZoneAnalysis => "the zone analysis",
            Shortcut::Search => "the search",
        }
    }
}

/// Two parts of the checker contradict each other on one key: a bug in the checker (or in a
/// user-written [`Model`](crate::Model)'s hints). The key's verdict is the one backed by proof:
/// a linearization the search found and that replays wins over a shortcut that called the key
/// impossible. The CLI reports every disagreement on standard error and exits with code 4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The key, if the model is keyed.
    pub key: Option<Value>,
    /// The part of the checker that was contradicted (the one presumed wrong).
    pub shortcut: Shortcut,
    /// What it claimed.
    pub claim: String,
    /// What contradicts the claim.
    pub evidence: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match &self.key {
            Some(k) => format!("key {k}"),
            None => "the history".to_string(),
        };
        write!(
            f,
            "checker bug on {key}: {} claimed {}, but {}. Please report this, with the history.",
            self.shortcut.name(),
            self.claim.trim_end(),
            self.evidence
        )
    }
}
