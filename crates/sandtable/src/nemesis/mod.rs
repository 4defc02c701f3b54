//! Faults as data: a [`Nemesis`] turns a seed into a [`Schedule`]; a schedule is applied to a
//! simulation, saved as JSON on failure, replayed, and (later) shrunk.

mod apply;
mod generate;
mod schedule;

pub use apply::NemesisError;
pub use generate::{Nemesis, TargetHook};
pub use schedule::{Fault, FaultEvent, Schedule, ScheduleError};
