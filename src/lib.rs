//! Example systems built on Sandtable, shared by `examples/` and the repository tests.
//!
//! - [`register`]: a primary–backup register, correct or (with one switch) serving stale reads.

#![warn(missing_docs)]

pub mod register;
