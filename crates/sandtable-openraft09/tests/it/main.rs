//! `SimRuntime` against openraft 0.9's `AsyncRuntime` contract. openraft 0.9 ships no runtime
//! test suite (0.10's `openraft_rt::testing::Suite` is for the new trait), so these are the
//! contract's behaviours, one test each, and a sweep of seeds over a program using all of them.

mod contract;
mod sweep;
