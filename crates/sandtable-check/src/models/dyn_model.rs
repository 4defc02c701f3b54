//! [`DynModel`]: an object-safe face of [`Model`] for run-time model choice.

use crate::{try_check, CheckError, CheckOptions, CheckResult, History, Model};

/// A model chosen at run time (e.g. from the command line). Every [`Model`]
/// is a `DynModel`; the search itself stays monomorphic.
pub trait DynModel: Sync {
    /// The model's name.
    fn name(&self) -> &str;

    /// Checks `history`; see [`try_check`].
    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckResult, CheckError>;
}

impl<M: Model> DynModel for M {
    fn name(&self) -> &str {
        Model::name(self)
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckResult, CheckError> {
        try_check(history, self, options)
    }
}
