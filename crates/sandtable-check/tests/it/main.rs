//! Integration tests for sandtable-check (one binary).

mod brute;
mod cases;
mod cli;
mod contradictions;
mod convergence;
mod explain;
mod formats;
mod formats_cli;
mod html;
mod porcupine;
mod precheck;
mod props;
mod randhist;
mod support;
mod txn;
mod witness;
mod zones;
