//! The voter: grants at most one lease at a time, and no other until the one it granted has
//! expired by its own clock — with the drift bound added ([`Settings::voter_hold`]).
//!
//! Epochs make leaderships distinct: a fresh candidacy must ask for an epoch above every
//! epoch the voter has granted, and only the holder of the current epoch may renew it. The
//! granted epoch and its holder are durable (the shell persists them before the grant leaves);
//! how long the lease lasts is not, so a restarted voter grants nothing for a whole hold.
//!
//! [`Settings::voter_hold`]: crate::Settings::voter_hold

use std::time::Duration;

use crate::message::NodeIdx;

/// What a voter keeps on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Promise {
    /// The highest epoch granted.
    pub epoch: u64,
    /// To whom.
    pub holder: Option<NodeIdx>,
}

/// A voter's answer to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Granted; `durable` when the promise changed and must be on disk before the answer goes.
    Granted {
        /// The promise changed.
        durable: bool,
    },
    /// Refused.
    Refused,
}

/// One node's voter.
#[derive(Clone, Debug)]
pub struct Voter {
    promise: Promise,
    /// Local time until which the voter grants no candidate but the holder.
    hold_until: Duration,
    hold: Duration,
}

impl Voter {
    /// A voter that starts at local time `now` with `promise` from its disk. It may have
    /// granted a lease just before a crash, so it holds for a whole `hold` first.
    pub fn new(promise: Promise, now: Duration, hold: Duration) -> Voter {
        Voter {
            promise,
            hold_until: now + hold,
            hold,
        }
    }

    /// The durable part.
    pub fn promise(&self) -> Promise {
        self.promise
    }

    /// The node holding a lease from this voter at `now`, if any (a hint for clients).
    pub fn holder(&self, now: Duration) -> Option<NodeIdx> {
        self.promise.holder.filter(|_| now < self.hold_until)
    }

    /// The local time until which the voter grants no candidate but the holder.
    pub fn held_until(&self) -> Duration {
        self.hold_until
    }

    /// Whether `candidate` could be granted a fresh lease at `now` (no one else holds one).
    pub fn free_for(&self, candidate: NodeIdx, now: Duration) -> bool {
        now >= self.hold_until || self.promise.holder == Some(candidate)
    }

    /// Answers `from`'s request for a lease under `epoch` at local time `now`.
    pub fn request(&mut self, now: Duration, from: NodeIdx, epoch: u64, renew: bool) -> Vote {
        let is_holder = self.promise.holder == Some(from);
        if renew {
            // Only the holder of the current epoch renews; a voter that has granted a newer
            // epoch since has let the old lease go.
            if epoch != self.promise.epoch || !is_holder {
                return Vote::Refused;
            }
            self.hold_until = self.hold_until.max(now + self.hold);
            return Vote::Granted { durable: false };
        }
        if epoch <= self.promise.epoch || !self.free_for(from, now) {
            return Vote::Refused;
        }
        self.promise = Promise {
            epoch,
            holder: Some(from),
        };
        self.hold_until = now + self.hold;
        Vote::Granted { durable: true }
    }
}

impl Voter {
    /// `from` will not act on its lease under `epoch` again (it gave up its candidacy or
    /// stepped down): nothing is left to protect, so the voter may grant another candidate.
    pub fn release(&mut self, now: Duration, from: NodeIdx, epoch: u64) {
        if self.promise.holder == Some(from) && self.promise.epoch == epoch {
            self.hold_until = self.hold_until.min(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: Duration = Duration::from_millis(550);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn started() -> Voter {
        let mut v = Voter::new(Promise::default(), ms(0), HOLD);
        v.hold_until = ms(0); // past the start-up hold
        v
    }

    #[test]
    fn a_restarted_voter_grants_nothing_for_a_whole_hold() {
        let mut v = Voter::new(Promise::default(), ms(1000), HOLD);
        assert_eq!(v.request(ms(1549), 1, 1, false), Vote::Refused);
        assert_eq!(
            v.request(ms(1550), 1, 1, false),
            Vote::Granted { durable: true }
        );
    }

    #[test]
    fn one_lease_at_a_time_until_it_expires_by_the_voters_clock() {
        let mut v = started();
        assert_eq!(
            v.request(ms(10), 1, 1, false),
            Vote::Granted { durable: true }
        );
        assert_eq!(v.request(ms(559), 2, 2, false), Vote::Refused);
        assert_eq!(v.holder(ms(559)), Some(1));
        assert_eq!(v.holder(ms(560)), None);
        assert_eq!(
            v.request(ms(560), 2, 2, false),
            Vote::Granted { durable: true }
        );
        assert_eq!(
            v.promise(),
            Promise {
                epoch: 2,
                holder: Some(2)
            }
        );
    }

    #[test]
    fn renewals_extend_the_hold_without_touching_the_disk() {
        let mut v = started();
        v.request(ms(0), 1, 1, false);
        assert_eq!(
            v.request(ms(400), 1, 1, true),
            Vote::Granted { durable: false }
        );
        assert_eq!(v.request(ms(900), 2, 2, false), Vote::Refused);
        assert_eq!(
            v.request(ms(950), 2, 2, false),
            Vote::Granted { durable: true }
        );
    }

    #[test]
    fn only_the_holder_renews_and_only_its_epoch() {
        let mut v = started();
        v.request(ms(0), 1, 3, false);
        assert_eq!(v.request(ms(10), 2, 3, true), Vote::Refused);
        assert_eq!(v.request(ms(10), 1, 2, true), Vote::Refused);
        v.request(ms(600), 2, 4, false);
        assert_eq!(
            v.request(ms(610), 1, 3, true),
            Vote::Refused,
            "epoch 3 was let go"
        );
    }

    #[test]
    fn a_fresh_candidacy_needs_a_higher_epoch() {
        let mut v = started();
        v.request(ms(0), 1, 5, false);
        assert_eq!(v.request(ms(1000), 2, 5, false), Vote::Refused);
        assert_eq!(v.request(ms(1000), 1, 5, false), Vote::Refused);
        assert_eq!(
            v.request(ms(1000), 2, 6, false),
            Vote::Granted { durable: true }
        );
    }

    #[test]
    fn a_release_frees_the_vote_only_for_the_epoch_it_names() {
        let mut v = started();
        v.request(ms(0), 1, 4, false);
        v.release(ms(10), 1, 3);
        v.release(ms(10), 2, 4);
        assert!(!v.free_for(2, ms(20)));
        v.release(ms(30), 1, 4);
        assert!(v.free_for(2, ms(30)));
        assert_eq!(
            v.request(ms(30), 2, 5, false),
            Vote::Granted { durable: true }
        );
    }

    #[test]
    fn the_holder_may_start_over_under_a_new_epoch_at_once() {
        let mut v = started();
        v.request(ms(0), 1, 1, false);
        assert!(v.free_for(1, ms(10)));
        assert!(!v.free_for(2, ms(10)));
        assert_eq!(
            v.request(ms(10), 1, 2, false),
            Vote::Granted { durable: true }
        );
    }
}
