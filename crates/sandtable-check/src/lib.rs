//! # sandtable-check
//!
//! A fast linearizability checker for Jepsen-style histories.
//!
//! ```
//! use sandtable_check::{check, models, CheckOptions, Recorder, Value, Verdict};
//!
//! let rec = Recorder::new();
//! let w = rec.invoke(0, "write", None, Value::from(1), None);
//! let r = rec.invoke(1, "read", None, Value::Null, None);
//! rec.ok(w, Value::from(1), None);
//! rec.ok(r, Value::from(2), None); // 2 was never written
//! let result = check(&rec.history(), &models::CasRegister, &CheckOptions::default());
//! assert_eq!(result.verdict, Verdict::NotLinearizable);
//! println!("{}", result.explanation.unwrap());
//! ```
#![warn(missing_docs)]

mod bitset;
mod decide;
mod entries;
mod frontier;
mod memo;
mod precheck;
mod schedule;
mod search;
mod shadows;
mod witness;
mod zones;

mod value;
pub use value::Value;

mod event;
pub use event::{Event, EventType};

mod op;
pub use op::{Op, OpStatus};

mod parse_error;
pub use parse_error::{ParseError, ParseErrorKind};

mod history;
pub use history::{History, TimeOrder};

mod edn;
mod edn_flat;
mod edn_history;
mod format;
mod jepsen_log;
pub use format::{Format, ParseOptions};

mod recorder;
pub use recorder::{OpId, Recorder};

mod interner;
pub use interner::Interner;

mod model;
pub use model::{partition_by_key, Model, Partition, RegisterAccess, ShapeError, Timed};

pub mod models;
pub use models::DynModel;

mod options;
pub use options::CheckOptions;

mod explanation;
pub use explanation::{Blocked, Explanation, Linearized, MAX_PREFIX_SHOWN};

mod disagreement;
pub use disagreement::{Disagreement, Shortcut};

mod check_result;
pub use check_result::{CheckResult, PartitionResult, Verdict};

mod checker;
pub use checker::{check, linearizable, try_check, CheckError};

mod html;
pub use html::html_report;

mod convergence;
pub use convergence::{
    check_counter, check_register, check_set, replicas_agree, ConvergenceError, CounterBounds,
    CounterHistory, Outcome, RegisterWrite, SetAdd, SetHistory, SetRemove, SetSummary,
};

pub mod gen;
