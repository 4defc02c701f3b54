//! Each planted bug is found from seed 0 within a stated bound, and by the check that should
//! catch it (an invariant by name, the linearizability checker, or liveness). The bounds are
//! about three times the worst first-failure seed of five sweeps from different offsets (see
//! the README's table), so a change that makes a bug harder to find fails here.

use raft_kv::invariants::{
    COMMIT_BOUNDS, DURABLE_BEFORE_SEND, LEADER_COMPLETENESS, LOG_MATCHING, STABLE_LEADER,
    STATE_MACHINE_SAFETY, TERM_MONOTONIC,
};
use raft_kv::scenario::{caught_by, Scenario};
use raft_kv::Bug;
use sandtable::{run_seeds, CheckConfig};

fn found_within(bug: Bug, bound: u64, caught: &str) {
    let scenario = Scenario::default().with_bug(bug);
    let config = CheckConfig::new()
        .seeds(0..bound)
        .name(&format!("raft_kv_bug_{bug}"))
        .regressions(false)
        .artifacts(false);
    let failure = run_seeds(config, |sim| scenario.run(sim).map(|_| ()))
        .err()
        .unwrap_or_else(|| panic!("{bug}: no failure in {bound} seeds"));
    assert_eq!(
        caught_by(&failure.message),
        caught,
        "{bug}: {}",
        failure.message
    );
    assert!(
        failure
            .message
            .contains(&format!("SANDTABLE_SEED={}", failure.seed))
            || caught == "checker"
    );
}

#[test]
fn vote_without_log_check() {
    found_within(Bug::VoteWithoutLogCheck, 10, LEADER_COMPLETENESS);
}

#[test]
fn no_sync_before_reply() {
    found_within(Bug::NoSyncBeforeReply, 10, TERM_MONOTONIC);
}

#[test]
fn term_not_persisted() {
    found_within(Bug::TermNotPersisted, 10, DURABLE_BEFORE_SEND);
}

#[test]
fn stale_local_reads() {
    found_within(Bug::StaleLocalReads, 30, "checker");
}

#[test]
fn no_dedup() {
    found_within(Bug::NoDedup, 20, "checker");
}

#[test]
fn no_truncate_on_conflict() {
    found_within(Bug::NoTruncateOnConflict, 15, LOG_MATCHING);
}

#[test]
fn accept_stale_term() {
    found_within(Bug::AcceptStaleTerm, 25, COMMIT_BOUNDS);
}

#[test]
fn fixed_election_timeout() {
    found_within(Bug::FixedElectionTimeout, 25, "liveness");
}

#[test]
fn commit_beyond_match() {
    found_within(Bug::CommitBeyondMatch, 130, STATE_MACHINE_SAFETY);
}

#[test]
fn no_timer_reset_on_append() {
    found_within(Bug::NoTimerResetOnAppend, 5, STABLE_LEADER);
}

#[test]
fn snapshot_without_sessions() {
    found_within(Bug::SnapshotWithoutSessions, 5, STATE_MACHINE_SAFETY);
}
