//! Catching nondeterminism that enters a simulated task from the operating system: reads of the
//! OS clock (`std::time::Instant::now`, `SystemTime::now`), OS randomness (`getrandom`, the
//! first `std` `RandomState` of a thread) and OS threads spawned (`std::thread::spawn`, tokio's
//! blocking pool).
//!
//! On Linux (glibc, 64-bit) the crate defines the C library's `clock_gettime`, `getrandom`,
//! `getentropy` and `pthread_create` in the test binary (`interpose.rs`), as madsim does. Each
//! forwards to the real symbol (found once with `dlsym(RTLD_NEXT, ..)`) unless the calling
//! thread is polling a simulated task of a simulation built with [`OsCalls::Report`] or
//! [`OsCalls::Simulate`]: the executor sets a thread-local mode around each poll and each
//! scheduled action, and everything else — the checker's threads, a real (tokio) runtime,
//! `std` itself — sees a plain pass-through that neither allocates nor locks.
//!
//! What a simulated task's OS call does, by mode:
//!
//! | mode | clock | randomness | thread |
//! |---|---|---|---|
//! | [`OsCalls::Allow`] (default) | real | real | real |
//! | [`OsCalls::Report`] | real, the run fails after the poll with [`SimError::OsCall`](crate::SimError::OsCall) naming the call site | same | same |
//! | [`OsCalls::Simulate`] | the node's virtual clock | the node's seeded stream | real, reported as above |
//!
//! `SANDTABLE_DETERMINISM=1` (or `CheckConfig::determinism_check(true)`) turns on `Report` with
//! the harness's double run; `SANDTABLE_DETERMINISM=simulate` turns on `Simulate` instead.
//!
//! Limits: Linux with glibc only (elsewhere the modes compile and detect nothing; on macOS the
//! same symbols plus `mach_absolute_time` and `CCRandomGenerateBytes` would be needed, and
//! were not done). Only calls from code linked into the binary are seen: a shared library's
//! calls bind to libc directly, and so does code that asks `dlsym(RTLD_DEFAULT, ..)` for a
//! symbol (std's and the `getrandom` crate's lookups of `getrandom` on some versions) or makes
//! raw syscalls; vDSO reads are intercepted only through `clock_gettime`. std's `RandomState`
//! draws OS randomness once per thread and then counts up, so a `HashMap`'s order also changes
//! between two runs on the same thread without any OS call: the harness's double run (with the
//! event log) is what catches that, and [`OsCalls::Simulate`] cannot make it deterministic —
//! use a `BTreeMap`, sort, or a fixed hasher. Two copies of `sandtable` in one binary would
//! define the symbols twice (a link error).

#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
mod interpose;
mod site;

use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::fmt;

use rand::RngCore;

use crate::fingerprint::EventKind;
use crate::sim::SimBuilder;
use crate::world::World;

/// What a simulated task's calls to the OS clock, OS randomness and thread creation do.
///
/// Set with [`SimBuilder::os_calls`]; the harness's determinism check
/// ([`CheckConfig::determinism_check`](crate::CheckConfig::determinism_check), or
/// `SANDTABLE_DETERMINISM=1`) uses `Report`, `SANDTABLE_DETERMINISM=simulate` uses `Simulate`.
///
/// How: on Linux with glibc (64-bit) the crate defines `clock_gettime`, `getrandom`,
/// `getentropy` and `pthread_create` in the binary; each forwards to libc's own (found with
/// `dlsym(RTLD_NEXT, ..)`) unless the calling thread is polling a task of a simulation in a
/// checking mode, so tokio's threads, the checker's threads and std outside a task see no
/// change. `std::time::Instant::now`, `SystemTime::now`, `std::thread::spawn` and the first std
/// `RandomState` of a thread go through them.
///
/// Limits: nothing is detected on other platforms (macOS would need `mach_absolute_time`,
/// `gettimeofday` and `CCRandomGenerateBytes` too; not done). Calls from shared libraries,
/// raw syscalls and symbols looked up with `dlsym(RTLD_DEFAULT, ..)` bypass it. std counts its
/// hash keys up per map without asking the OS again, so a `HashMap`'s order also changes
/// between two runs on one thread: the double run catches that (payloads and disk writes are in
/// the fingerprint), `Simulate` fixes it only for runs on a fresh thread. Two copies of
/// `sandtable` in one binary would define the symbols twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OsCalls {
    /// They reach the OS, unnoticed (the default: no cost, no checks).
    #[default]
    Allow,
    /// They reach the OS, and the run fails after the poll with
    /// [`SimError::OsCall`](crate::SimError::OsCall), naming the first call and its call site.
    /// The fingerprint also records how far each node's random stream has been drawn.
    Report,
    /// Clock reads answer from the node's virtual clock and randomness from a seeded stream
    /// per node, so third-party code becomes deterministic; threads are still reported.
    /// Records random-stream positions as `Report` does.
    Simulate,
}

impl OsCalls {
    /// Reads `SANDTABLE_DETERMINISM`: unset or `0` is `None`; `simulate` is [`OsCalls::Simulate`];
    /// anything else (`1`, `report`) is [`OsCalls::Report`].
    pub fn from_env() -> Option<OsCalls> {
        match std::env::var("SANDTABLE_DETERMINISM").ok()?.as_str() {
            "0" | "" => None,
            "simulate" => Some(OsCalls::Simulate),
            _ => Some(OsCalls::Report),
        }
    }

    fn code(self) -> u8 {
        match self {
            OsCalls::Allow => ALLOW,
            OsCalls::Report => REPORT,
            OsCalls::Simulate => SIMULATE,
        }
    }
}

impl SimBuilder {
    /// What simulated tasks' calls to the OS clock, OS randomness and thread creation do (see
    /// [`OsCalls`]; default [`OsCalls::Allow`]).
    pub fn os_calls(self, mode: OsCalls) -> Self {
        let mut config = self.into_config();
        config.os_calls = mode;
        SimBuilder::from(config)
    }
}

/// An OS call made from inside a simulated task, as [`SimError::OsCall`](crate::SimError::OsCall)
/// reports it: what was reached, from where, and the stack up to the task's poll.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OsCallReport {
    /// The run's seed.
    pub seed: u64,
    /// The node whose task made the call (or "a scheduled action").
    pub node: String,
    /// True virtual time of the step.
    pub time: std::time::Duration,
    /// Which OS facility was reached, e.g. "the OS monotonic clock (clock_gettime(..))".
    pub call: String,
    /// The first frame outside the standard library: `function at file:line:col` (file and
    /// line need debug info, which test builds have; with `debug = "line-tables-only"` an
    /// inlined frame is named short, e.g. `{async_block#0}`, and its file and line place it).
    pub site: String,
    /// The frames from the call site up to the executor, one per line.
    pub backtrace: String,
    /// OS calls made in that step (the first is described).
    pub count: usize,
}

impl fmt::Display for OsCallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seed = self.seed;
        writeln!(
            f,
            "seed {seed}: node `{}` reached {} from inside a simulated task at virtual time {:?} \
             ({} OS call(s) in that step)",
            self.node, self.call, self.time, self.count
        )?;
        writeln!(f, "  call site: {}", self.site)?;
        writeln!(f, "  stack up to the task's poll:\n{}", self.backtrace)?;
        writeln!(
            f,
            "  use sandtable::time / rand / task instead, or build the simulation with \
             OsCalls::Simulate to answer clocks and randomness from it"
        )?;
        write!(f, "  rerun: SANDTABLE_SEED={seed}")
    }
}

/// Which OS facility a simulated task reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `clock_gettime` with this clock id.
    Clock(i32),
    /// `getrandom`/`getentropy` of this many bytes.
    Random(usize),
    /// `pthread_create`.
    Thread,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Kind::Clock(0) => write!(
                f,
                "the OS wall clock (clock_gettime(CLOCK_REALTIME), as SystemTime::now reads it)"
            ),
            Kind::Clock(1) => write!(
                f,
                "the OS monotonic clock (clock_gettime(CLOCK_MONOTONIC), as Instant::now reads it)"
            ),
            Kind::Clock(id) => write!(f, "an OS clock (clock_gettime, clock id {id})"),
            Kind::Random(n) => write!(f, "OS randomness (getrandom, {n} bytes)"),
            Kind::Thread => write!(
                f,
                "an OS thread (pthread_create, as thread::spawn calls it)"
            ),
        }
    }
}

/// One OS call made from inside a simulated task, with the stack that made it.
struct Found {
    kind: Kind,
    backtrace: Backtrace,
}

/// Calls recorded per poll before further ones are only counted (a limit on everything).
const FOUND_MAX: usize = 8;

const ALLOW: u8 = 0;
const REPORT: u8 = 1;
const SIMULATE: u8 = 2;
/// Drawing this thread's std hash keys from the seed (see [`seed_std_hash_keys`]).
const SEEDING: u8 = 3;

thread_local! {
    /// The mode in force on this thread: `ALLOW` except while a simulated task is polled.
    /// A `Cell<u8>` with a const initialiser and no destructor: reading it from inside a libc
    /// call neither allocates nor registers anything.
    static MODE: Cell<u8> = const { Cell::new(ALLOW) };
    /// The seed whose stream answers `getrandom` while `MODE` is `SEEDING`, and whether it did.
    static SEEDING_FROM: Cell<(u64, bool)> = const { Cell::new((0, false)) };
    /// Calls recorded during the current poll (only in the checking modes).
    static FOUND: RefCell<(Vec<Found>, usize)> = const { RefCell::new((Vec::new(), 0)) };
}

/// The mode in force on this thread (`ALLOW` during thread teardown).
#[inline]
fn mode() -> u8 {
    MODE.try_with(Cell::get).unwrap_or(ALLOW)
}

/// Sets the thread's mode for a poll or action of a simulation in `mode`; restores on drop.
pub(crate) struct Entered {
    previous: u8,
}

/// Marks this thread as running a simulated task under `mode` until the guard is dropped.
/// The caller skips this for [`OsCalls::Allow`] (nothing to do, no cost).
#[inline]
pub(crate) fn enter(mode: OsCalls) -> Entered {
    let previous = MODE.with(|m| m.replace(mode.code()));
    Entered { previous }
}

impl Drop for Entered {
    #[inline]
    fn drop(&mut self) {
        let _ = MODE.try_with(|m| m.set(self.previous));
    }
}

/// Runs `f` with the mode set to `ALLOW`, so that the OS calls `f` makes (allocation, symbol
/// resolution, the backtrace's own reads) are not themselves intercepted.
fn unguarded<R>(f: impl FnOnce() -> R) -> R {
    let _restore = Entered {
        previous: MODE.with(|m| m.replace(ALLOW)),
    };
    f()
}

/// Records a call in the checking modes (the run fails after the poll).
fn record(kind: Kind) {
    unguarded(|| {
        FOUND.with(|found| {
            let mut found = found.borrow_mut();
            found.1 += 1;
            if found.0.len() < FOUND_MAX {
                let backtrace = Backtrace::force_capture();
                found.0.push(Found { kind, backtrace });
            }
        })
    })
}

/// Called when a simulation is built: keeps the interposer's object file in the link.
pub(crate) fn keep_linked() {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    std::hint::black_box(interpose::linked());
}

/// Under [`OsCalls::Simulate`], when a simulation is built: if this thread has not made a std
/// `RandomState` yet, its keys (which every later `HashMap` of the thread derives from) are
/// drawn from the seed, so std hash maps iterate the same way in every run on a fresh thread.
/// Returns whether they were (false: the thread already had keys; nothing can change them).
pub(crate) fn seed_std_hash_keys(seed: u64) -> bool {
    SEEDING_FROM.with(|s| s.set((seed, false)));
    let previous = MODE.with(|m| m.replace(SEEDING));
    let _ = std::hint::black_box(std::collections::hash_map::RandomState::new());
    MODE.with(|m| m.set(previous));
    SEEDING_FROM.with(Cell::get).1
}

/// Answers `clock_gettime(clock)` from the simulation in `Simulate` mode: `Some((secs, nanos))`,
/// or `None` for the real clock (after recording the call in `Report` mode).
#[inline]
pub(crate) fn on_clock(clock: i32) -> Option<(i64, i64)> {
    let mode = mode();
    if mode == ALLOW {
        return None;
    }
    if mode == REPORT {
        record(Kind::Clock(clock));
        return None;
    }
    let answer = unguarded(|| crate::context::try_with(|w| w.os_clock_ns(clock)).flatten());
    if answer.is_none() {
        record(Kind::Clock(clock));
    }
    answer.map(|ns| {
        (
            ns.div_euclid(1_000_000_000) as i64,
            ns.rem_euclid(1_000_000_000) as i64,
        )
    })
}

/// Fills `buf` from the node's seeded stream in `Simulate` mode (true), or records the call in
/// `Report` mode and leaves it to the OS (false).
#[inline]
pub(crate) fn on_random(buf: &mut [u8]) -> bool {
    let mode = mode();
    if mode == ALLOW {
        return false;
    }
    if mode == SEEDING {
        let (seed, _) = SEEDING_FROM.with(Cell::get);
        crate::rand::stream(seed, "std-hash-keys", "").fill_bytes(buf);
        SEEDING_FROM.with(|s| s.set((seed, true)));
        return true;
    }
    if mode == SIMULATE {
        let done = unguarded(|| crate::context::try_with(|w| w.os_entropy(buf)).unwrap_or(false));
        if done {
            return true;
        }
    }
    record(Kind::Random(buf.len()));
    false
}

/// Records a thread creation in either checking mode; the thread is still created.
#[inline]
pub(crate) fn on_thread() {
    if mode() != ALLOW {
        record(Kind::Thread);
    }
}

/// Takes the calls recorded during the last poll: the first one and how many there were.
fn take_found() -> Option<(Found, usize)> {
    FOUND.with(|found| {
        let mut found = found.borrow_mut();
        let count = std::mem::take(&mut found.1);
        let first = found.0.drain(..).next();
        first.map(|f| (f, count))
    })
}

/// Ticks since the epoch of the clock answered from the simulation: a day is added to the
/// monotonic reading so that `Instant::now() - an hour` does not underflow at virtual time 0.
const MONO_BASE_NS: i128 = 86_400 * 1_000_000_000;

impl World {
    /// The current node's reading of `clock` in ns, or None for a clock not simulated.
    fn os_clock_ns(&self, clock: i32) -> Option<i128> {
        let node = self.current.get()?;
        let now = self.now.get();
        let nodes = self.nodes.try_borrow().ok()?;
        let clock_of = &nodes[node.index()].clock;
        match clock {
            // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
            0 | 5 | 8 | 11 => Some(self.config.epoch_unix_ns as i128 + clock_of.wall(now) as i128),
            // MONOTONIC, MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME, BOOTTIME_ALARM
            1 | 4 | 6 | 7 | 9 => Some((MONO_BASE_NS + clock_of.mono(now) as i128).max(0)),
            _ => None,
        }
    }

    /// Fills `buf` from the current node's OS-entropy stream (its own ChaCha8 stream of the
    /// seed, apart from the node's `sandtable::rand` stream so user draws are not shifted).
    fn os_entropy(&self, buf: &mut [u8]) -> bool {
        let Some(node) = self.current.get() else {
            return false;
        };
        let Ok(mut streams) = self.os_entropy.try_borrow_mut() else {
            return false;
        };
        let name = self.names.borrow()[node.index()].clone();
        streams
            .entry(node)
            .or_insert_with(|| crate::rand::stream(self.seed, "os-entropy", &name))
            .fill_bytes(buf);
        true
    }

    /// After a poll (of `node`'s task) or an action in a checking mode: the error for the first
    /// OS call it made, if any.
    pub(crate) fn os_call_error(&self, node: Option<crate::NodeId>) -> Option<crate::SimError> {
        let (found, count) = take_found()?;
        let trace = site::Trace::of(&found.backtrace);
        Some(crate::SimError::OsCall(Box::new(OsCallReport {
            seed: self.seed,
            node: node.map_or_else(
                || "a scheduled action".to_string(),
                |n| self.name_of(n).to_string(),
            ),
            time: self.now_duration(),
            call: found.kind.to_string(),
            site: trace.site,
            backtrace: trace.frames,
            count,
        })))
    }

    /// After a poll in a checking mode: mixes the polled node's random-stream position into the
    /// fingerprint when the poll drew from it, so runs that draw differently differ there.
    pub(crate) fn mix_rng_position(&self, node: crate::NodeId, before: Option<u128>) {
        let after = self.rng_position(node);
        if after != before {
            self.mix(EventKind::Rng, after.unwrap_or(0) as u64);
        }
    }

    /// How many 32-bit words the node's `sandtable::rand` stream has produced (None while lent).
    pub(crate) fn rng_position(&self, node: crate::NodeId) -> Option<u128> {
        let nodes = self.nodes.try_borrow().ok()?;
        nodes[node.index()].rng.as_ref().map(|r| r.get_word_pos())
    }
}
