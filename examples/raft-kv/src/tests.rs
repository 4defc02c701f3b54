//! Unit tests of the core, without a simulator: the paper's rules, each with the planted bug
//! that breaks it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::bug::Bug;
use crate::log::Log;
use crate::message::{Command, Entry, Msg, Op};
use crate::probe::Probe;
use crate::raft::{Dest, Raft, Role};
use crate::settings::Settings;
use crate::storage::Recovered;

const T0: Duration = Duration::ZERO;

fn addr() -> SocketAddr {
    "10.0.0.9:7000".parse().unwrap()
}

fn entry(term: u64, n: i64) -> Entry {
    Entry {
        term,
        command: Command::Client {
            client: 1,
            seq: n as u64,
            op: Op::Put(0, n),
        },
    }
}

/// Node `me` of `n`, in `term`, holding entries of the given terms.
fn node(me: usize, n: usize, term: u64, terms: &[u64], bug: Bug) -> Raft {
    let entries = terms
        .iter()
        .enumerate()
        .map(|(i, &t)| entry(t, i as i64))
        .collect();
    let rec = Recovered {
        term,
        voted_for: None,
        log: Log::new(0, 0, entries),
        snapshot: None,
    };
    let settings = Settings::default().with_bug(bug);
    Raft::new(me, n, settings, rec, 7 + me as u64, Probe::none(), T0).unwrap()
}

/// Makes `r` leader of its next term with the votes of `voters`.
fn elect(r: &mut Raft, voters: &[usize]) {
    r.tick(Duration::from_secs(10));
    assert_eq!(r.role(), Role::Candidate);
    for &v in voters {
        let term = r.term();
        r.step(
            T0,
            addr(),
            Msg::VoteReply {
                term,
                from: v,
                granted: true,
            },
        );
    }
    assert_eq!(r.role(), Role::Leader);
    r.take_ready();
}

fn vote(r: &mut Raft, term: u64, from: usize, last_index: u64, last_term: u64) -> bool {
    r.step(
        T0,
        addr(),
        Msg::Vote {
            term,
            from,
            last_index,
            last_term,
        },
    );
    let ready = r.take_ready();
    ready
        .messages
        .iter()
        .any(|(_, m)| matches!(m, Msg::VoteReply { granted: true, .. }))
}

#[test]
fn a_vote_needs_an_up_to_date_log() {
    // Our last entry is of term 3; the candidate's of term 2 (longer): not up to date.
    assert!(!vote(&mut node(0, 3, 3, &[1, 3], Bug::None), 4, 1, 5, 2));
    assert!(vote(
        &mut node(0, 3, 3, &[1, 3], Bug::VoteWithoutLogCheck),
        4,
        1,
        5,
        2
    ));
    // Same last term, at least as long: granted.
    assert!(vote(&mut node(0, 3, 3, &[1, 3], Bug::None), 4, 1, 2, 3));
}

#[test]
fn a_vote_and_appended_entries_are_persisted_before_the_reply() {
    // A candidate's new term and its vote for itself go out in RequestVote: saved first.
    let mut r = node(0, 3, 1, &[1], Bug::None);
    r.tick(Duration::from_secs(10));
    let ready = r.take_ready();
    assert!(!ready.messages.is_empty() && ready.hard_state);
    // Already in the candidate's term: only the vote changes, and it must be saved.
    let mut r = node(0, 3, 4, &[1], Bug::None);
    r.step(
        T0,
        addr(),
        Msg::Vote {
            term: 4,
            from: 1,
            last_index: 1,
            last_term: 1,
        },
    );
    let ready = r.take_ready();
    assert!(
        ready.hard_state,
        "the vote is durable before the reply goes out"
    );
    assert_eq!(r.voted_for(), Some(1));
    let mut r = node(0, 3, 4, &[1], Bug::None);
    append(&mut r, 4, (1, 1), vec![entry(4, 5)], 0);
    r.step(
        T0,
        addr(),
        Msg::Append {
            term: 4,
            from: 1,
            prev_index: 2,
            prev_term: 4,
            entries: vec![entry(4, 6)],
            commit: 0,
        },
    );
    assert_eq!(
        r.take_ready().log_from,
        Some(3),
        "the new entry is written before the reply"
    );
}

#[test]
fn one_vote_per_term() {
    let mut r = node(0, 3, 1, &[], Bug::None);
    assert!(vote(&mut r, 2, 1, 0, 0));
    assert!(
        !vote(&mut r, 2, 2, 0, 0),
        "a second candidate of the same term"
    );
    assert!(vote(&mut r, 2, 1, 0, 0), "the same candidate asking again");
    assert!(r.take_ready().messages.is_empty());
}

#[test]
fn a_vote_stays_cast_for_the_whole_term() {
    // Voted for 1 in term 2; 1's first AppendEntries as leader must not free the vote.
    let mut r = node(0, 3, 1, &[], Bug::None);
    assert!(vote(&mut r, 2, 1, 0, 0));
    append(&mut r, 2, (0, 0), vec![], 0);
    assert_eq!(r.voted_for(), Some(1));
    assert!(
        !vote(&mut r, 2, 2, 0, 0),
        "a late candidate of the term the node already voted in"
    );
    // A candidate that hears of its term's leader steps down, keeping the vote for itself.
    let mut r = node(0, 3, 1, &[], Bug::None);
    r.tick(Duration::from_secs(10));
    assert_eq!((r.role(), r.term()), (Role::Candidate, 2));
    append(&mut r, 2, (0, 0), vec![], 0);
    assert_eq!((r.role(), r.voted_for()), (Role::Follower, Some(0)));
    assert!(!vote(&mut r, 2, 2, 0, 0), "it voted for itself in term 2");
}

#[test]
fn a_leader_or_candidate_steps_down_on_a_reply_of_a_higher_term() {
    let mut r = node(0, 3, 1, &[], Bug::None);
    elect(&mut r, &[1]);
    let reply = append_reply(5, 2, false, 0);
    r.step(T0, addr(), reply);
    assert_eq!((r.role(), r.term()), (Role::Follower, 5));
    r.tick(Duration::from_secs(20));
    assert_eq!((r.role(), r.term()), (Role::Candidate, 6));
    let reply = Msg::VoteReply {
        term: 7,
        from: 1,
        granted: false,
    };
    r.step(T0, addr(), reply);
    assert_eq!((r.role(), r.term()), (Role::Follower, 7));
}

#[test]
fn an_append_from_the_leader_restarts_the_election_timer() {
    let mut r = node(0, 3, 1, &[], Bug::None);
    let due = r.next_deadline();
    let now = due - Duration::from_millis(1);
    let heartbeat = Msg::Append {
        term: 1,
        from: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![],
        commit: 0,
    };
    r.step(now, addr(), heartbeat);
    assert!(
        r.next_deadline() >= now + Settings::default().election_timeout.0,
        "a follower hearing its leader waits a whole timeout again"
    );
    r.tick(due);
    assert_eq!(r.role(), Role::Follower);
}

/// The paper's Figure 8: a leader of term 4 holding an entry of term 2 on a majority must not
/// commit it by counting; it commits once an entry of its own term is on a majority.
#[test]
fn figure_8_entries_of_earlier_terms_are_not_committed_by_counting() {
    for bug in [Bug::None, Bug::CommitPreviousTerm] {
        let mut r = node(0, 5, 3, &[1, 2], bug);
        elect(&mut r, &[1, 2]);
        let last = r.log().last_index();
        let term = r.term();
        for from in [1, 2] {
            let msg = Msg::AppendReply {
                term,
                from,
                success: true,
                index: 2,
            };
            r.step(T0, addr(), msg);
        }
        let expected = if bug == Bug::None { 0 } else { 2 };
        assert_eq!(r.commit_index(), expected, "{bug}");
        if bug == Bug::None {
            // The no-op of term 4 reaches the majority: it commits, and index 2 with it.
            for from in [1, 2] {
                let msg = Msg::AppendReply {
                    term,
                    from,
                    success: true,
                    index: last,
                };
                r.step(T0, addr(), msg);
            }
            assert_eq!(r.commit_index(), last);
        }
    }
}

fn append(r: &mut Raft, term: u64, prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> Msg {
    let (prev_index, prev_term) = prev;
    let msg = Msg::Append {
        term,
        from: 1,
        prev_index,
        prev_term,
        entries,
        commit,
    };
    r.step(T0, addr(), msg);
    let mut ready = r.take_ready();
    ready.messages.pop().expect("an answer").1
}

fn append_reply(term: u64, from: usize, success: bool, index: u64) -> Msg {
    Msg::AppendReply {
        term,
        from,
        success,
        index,
    }
}

fn terms(r: &Raft) -> Vec<u64> {
    r.log().entries().iter().map(|e| e.term).collect()
}

#[test]
fn a_conflicting_suffix_is_truncated() {
    let mut r = node(0, 3, 2, &[1, 1, 2, 2], Bug::None);
    let reply = append(&mut r, 3, (2, 1), vec![entry(3, 9)], 0);
    assert!(matches!(
        reply,
        Msg::AppendReply {
            success: true,
            index: 3,
            ..
        }
    ));
    assert_eq!(terms(&r), [1, 1, 3]);
    let mut r = node(0, 3, 2, &[1, 1, 2, 2], Bug::NoTruncateOnConflict);
    append(&mut r, 3, (2, 1), vec![entry(3, 9)], 0);
    assert_eq!(
        terms(&r),
        [1, 1, 3, 2],
        "the planted bug keeps the stale suffix"
    );
}

#[test]
fn the_consistency_check_rejects_a_gap_and_hints_where_to_retry() {
    let mut r = node(0, 3, 2, &[1, 1, 2, 2], Bug::None);
    let reply = append(&mut r, 3, (6, 3), vec![entry(3, 9)], 0);
    assert!(matches!(
        reply,
        Msg::AppendReply {
            success: false,
            index: 5,
            ..
        }
    ));
    // A mismatch at index 4 (term 2 here, 3 there): retry from the first entry of term 2.
    let reply = append(&mut r, 3, (4, 3), vec![], 0);
    assert!(matches!(
        reply,
        Msg::AppendReply {
            success: false,
            index: 3,
            ..
        }
    ));
    assert_eq!(terms(&r), [1, 1, 2, 2], "nothing changed");
}

#[test]
fn an_append_of_an_older_term_is_refused() {
    let mut r = node(0, 3, 5, &[1], Bug::None);
    let reply = append(&mut r, 4, (1, 1), vec![entry(4, 9)], 0);
    assert!(matches!(
        reply,
        Msg::AppendReply {
            success: false,
            term: 5,
            ..
        }
    ));
    assert_eq!(terms(&r), [1]);
    let mut r = node(0, 3, 5, &[1], Bug::AcceptStaleTerm);
    append(&mut r, 4, (1, 1), vec![entry(4, 9)], 0);
    assert_eq!(terms(&r), [1, 4], "the planted bug takes it");
}

#[test]
fn a_follower_commits_only_what_it_verified() {
    // Entries 3 and 4 of term 2 are stale; the leader (term 3) sends only up to index 2.
    for (bug, expected) in [(Bug::None, 2), (Bug::CommitBeyondMatch, 4)] {
        let mut r = node(0, 3, 2, &[1, 1, 2, 2], bug);
        let reply = append(&mut r, 3, (1, 1), vec![entry(1, 1)], 4);
        assert_eq!(r.commit_index(), expected, "{bug}");
        // The reply claims only what was verified, not the stale suffix.
        assert!(
            matches!(
                reply,
                Msg::AppendReply {
                    success: true,
                    index: 2,
                    ..
                }
            ),
            "{reply:?}"
        );
    }
}

#[test]
fn a_leader_answers_a_client_once_the_entry_is_applied() {
    let mut r = node(0, 3, 1, &[], Bug::None);
    elect(&mut r, &[1]);
    let op = Op::Put(7, 42);
    r.step(
        T0,
        addr(),
        Msg::Request {
            client: 9,
            seq: 1,
            op,
        },
    );
    let ready = r.take_ready();
    assert!(
        ready.log_from.is_some(),
        "the entry is persisted before it is sent"
    );
    assert!(ready
        .messages
        .iter()
        .all(|(d, _)| matches!(d, Dest::Peer(_))));
    let (term, last) = (r.term(), r.log().last_index());
    let msg = Msg::AppendReply {
        term,
        from: 1,
        success: true,
        index: last,
    };
    r.step(T0, addr(), msg);
    let replies: Vec<_> = r
        .take_ready()
        .messages
        .into_iter()
        .filter(|(d, _)| *d == Dest::Client(addr()))
        .collect();
    assert_eq!(replies.len(), 1);
    assert!(matches!(
        &replies[0].1,
        Msg::Reply {
            client: 9,
            seq: 1,
            result: Ok(_)
        }
    ));
}

#[test]
fn election_timeouts_are_randomized_unless_the_bug_fixes_them() {
    let deadlines = |bug| {
        (0..5)
            .map(|me| node(me, 5, 1, &[], bug).next_deadline())
            .collect::<Vec<_>>()
    };
    let random = deadlines(Bug::None);
    assert!(random.windows(2).any(|w| w[0] != w[1]), "{random:?}");
    let fixed = deadlines(Bug::FixedElectionTimeout);
    assert!(fixed.windows(2).all(|w| w[0] == w[1]), "{fixed:?}");
}

#[test]
fn a_leader_sends_heartbeats_to_every_peer() {
    let mut r = node(0, 5, 1, &[], Bug::None);
    elect(&mut r, &[1, 2]);
    let due = r.next_deadline();
    r.tick(due);
    let to: Vec<Dest> = r
        .take_ready()
        .messages
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(
        to,
        [1, 2, 3, 4].map(Dest::Peer),
        "one AppendEntries per peer"
    );
    assert!(r.next_deadline() > due, "the next heartbeat is scheduled");
}

#[test]
fn votes_from_an_earlier_candidacy_do_not_count() {
    let mut r = node(0, 5, 1, &[], Bug::None);
    r.tick(Duration::from_secs(10)); // candidate in term 2
    r.tick(Duration::from_secs(20)); // timed out again: candidate in term 3
    assert_eq!((r.role(), r.term()), (Role::Candidate, 3));
    for from in [1, 2] {
        // Late answers to the term-2 request.
        r.step(
            T0,
            addr(),
            Msg::VoteReply {
                term: 2,
                from,
                granted: true,
            },
        );
    }
    assert_eq!(
        r.role(),
        Role::Candidate,
        "two stale votes and its own are not a majority of term 3"
    );
    r.step(
        T0,
        addr(),
        Msg::VoteReply {
            term: 3,
            from: 3,
            granted: true,
        },
    );
    r.step(
        T0,
        addr(),
        Msg::VoteReply {
            term: 3,
            from: 4,
            granted: true,
        },
    );
    assert_eq!(r.role(), Role::Leader);
}

#[test]
fn a_success_reply_of_an_earlier_term_is_not_counted() {
    // Leader of term 2 with its no-op at index 2; a late reply of term 1 claims index 2.
    let mut r = node(0, 3, 1, &[1], Bug::None);
    elect(&mut r, &[1]);
    assert_eq!((r.term(), r.log().last_index()), (2, 2));
    let late = append_reply(1, 2, true, 2);
    r.step(T0, addr(), late);
    assert_eq!(
        r.commit_index(),
        0,
        "a stale reply says nothing about this term's log"
    );
    let current = append_reply(2, 2, true, 2);
    r.step(T0, addr(), current);
    assert_eq!(r.commit_index(), 2);
}

#[test]
fn a_snapshot_discards_a_log_whose_entry_at_its_index_differs() {
    let data = crate::kv::KvStore::default().to_bytes();
    let snapshot = |last_term| Msg::Snapshot {
        term: 3,
        from: 1,
        last_index: 3,
        last_term,
        offset: 0,
        data: data.clone(),
        done: true,
    };
    // Index 3 holds an entry of term 2; the snapshot's is of term 3: nothing after it is kept.
    let mut r = node(0, 3, 2, &[1, 1, 2, 2], Bug::None);
    r.step(T0, addr(), snapshot(3));
    assert_eq!((r.log().base_index(), r.log().last_index()), (3, 3));
    // The same entry at index 3: the suffix after it is kept.
    let mut r = node(0, 3, 2, &[1, 1, 3, 3], Bug::None);
    r.step(T0, addr(), snapshot(3));
    assert_eq!((r.log().base_index(), r.log().last_index()), (3, 4));
}

#[test]
fn a_snapshot_of_an_earlier_term_is_refused() {
    // A leader of term 2 hears a delayed InstallSnapshot of term 1: it stays leader, and the
    // reply carries its term so the old leader steps down.
    let mut r = node(0, 3, 1, &[1], Bug::None);
    elect(&mut r, &[1]);
    let data = crate::kv::KvStore::default().to_bytes();
    let late = Msg::Snapshot {
        term: 1,
        from: 2,
        last_index: 5,
        last_term: 1,
        offset: 0,
        data,
        done: true,
    };
    r.step(T0, addr(), late);
    assert_eq!(
        (r.role(), r.term(), r.log().base_index()),
        (Role::Leader, 2, 0)
    );
    let reply = r.take_ready().messages.pop().expect("a reply").1;
    assert!(
        matches!(reply, Msg::SnapshotReply { term: 2, .. }),
        "{reply:?}"
    );
}

#[test]
fn a_snapshot_records_its_last_entrys_term_and_an_install_commits_it() {
    // A follower in term 3 applies two entries of term 1 and snapshots after every two.
    let rec = Recovered {
        term: 3,
        voted_for: None,
        log: Log::new(0, 0, Vec::new()),
        snapshot: None,
    };
    let settings = Settings::default().with_snapshots(2, 64);
    let mut r = Raft::new(0, 3, settings, rec, 7, Probe::none(), T0).unwrap();
    let entries = vec![entry(1, 1), entry(1, 2), entry(3, 3)];
    append(&mut r, 3, (0, 0), entries, 2);
    assert_eq!(
        (r.log().base_index(), r.log().base_term()),
        (2, 1),
        "the snapshot ends at the applied entry, of term 1"
    );
    // A snapshot installed past the commit index moves the commit index with it.
    let mut r = node(0, 3, 2, &[1], Bug::None);
    let data = crate::kv::KvStore::default().to_bytes();
    let install = Msg::Snapshot {
        term: 3,
        from: 1,
        last_index: 4,
        last_term: 2,
        offset: 0,
        data,
        done: true,
    };
    r.step(T0, addr(), install);
    assert_eq!((r.log().base_index(), r.commit_index()), (4, 4));
}
