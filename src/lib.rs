//! Example systems built on Sandtable, shared by `examples/` and the repository tests.
//!
//! - [`register`]: a primary–backup register, correct or (with one switch) serving stale reads.

#![warn(missing_docs)]

pub mod register;

/// The repository README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
