//! Built-in models, and [`by_name`] for choosing one at run time.

mod cas_register;
mod counter;
mod dyn_model;
mod kv;
mod kv_append;
mod mutex;
mod queue;
mod register;
mod set;
mod shape;
mod txn;

pub use cas_register::{CasRegister, RegisterOp};
pub use counter::{Counter, CounterOp};
pub use dyn_model::DynModel;
pub use kv::Kv;
pub use kv_append::{KvAppend, KvAppendOp};
pub use mutex::{Mutex, MutexOp};
pub use queue::{Queue, QueueOp};
pub use register::Register;
pub use set::{Set, SetOp};
pub use txn::{MicroOp, Seen, Txn, TxnState};

/// The names [`by_name`] accepts.
pub const NAMES: &[&str] = &[
    "register",
    "cas-register",
    "kv",
    "kv-append",
    "set",
    "queue",
    "counter",
    "mutex",
    "rw-register",
    "list-append",
];

/// The built-in model called `name` (see [`NAMES`]; `multi-register`, Knossos's name, is
/// `rw-register`).
pub fn by_name(name: &str) -> Option<Box<dyn DynModel>> {
    Some(match name {
        "register" => Box::new(Register),
        "cas-register" => Box::new(CasRegister),
        "kv" => Box::new(Kv),
        "kv-append" => Box::new(KvAppend),
        "set" => Box::new(Set),
        "queue" => Box::new(Queue),
        "counter" => Box::new(Counter),
        "mutex" => Box::new(Mutex),
        "rw-register" | "multi-register" => Box::new(Txn::rw_register()),
        "list-append" => Box::new(Txn::list_append()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves() {
        for name in NAMES {
            assert_eq!(by_name(name).unwrap().name(), *name);
        }
        assert!(by_name("nope").is_none());
    }
}
