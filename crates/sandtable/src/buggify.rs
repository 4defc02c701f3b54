//! `buggify!()`: let code under test opt into rare paths in simulation.
//!
//! In a simulated run each call site is enabled or not for the whole run, decided by the seed
//! and the site (a quarter of sites are enabled); an enabled site fires with a small probability
//! (5% by default, or the one given: `buggify!(0.3)`). Outside a simulation, or with buggify
//! switched off in the config, it is always false. Every decision is in the fingerprint.
//!
//! ```
//! # use sandtable::buggify;
//! fn flush_interval_ms() -> u64 {
//!     if buggify!() { 1 } else { 100 }   // sometimes flush absurdly often, in simulation only
//! }
//! assert_eq!(flush_interval_ms(), 100); // not in a simulation: never fires
//! ```

use rand::Rng;

use crate::context;
use crate::fingerprint::EventKind;

/// Default probability that an enabled site fires.
pub const DEFAULT_PROBABILITY: f64 = 0.05;

/// True, rarely, at enabled sites of a simulated run. See the module docs.
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::buggify::fire(
            concat!(file!(), ":", line!(), ":", column!()),
            $crate::buggify::DEFAULT_PROBABILITY,
        )
    };
    ($probability:expr) => {
        $crate::buggify::fire(concat!(file!(), ":", line!(), ":", column!()), $probability)
    };
}

fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether `site` is enabled for the run with `seed`: a pure function of the two, so it does
/// not depend on the order in which sites are first reached.
pub fn site_enabled(seed: u64, site: &str) -> bool {
    let h = fnv(
        site.as_bytes(),
        fnv(&seed.to_le_bytes(), 0xcbf2_9ce4_8422_2325),
    );
    // Finalise so nearby seeds do not give correlated answers.
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    (h ^ (h >> 29)).is_multiple_of(4)
}

/// The decision behind `buggify!`: false outside a simulation or at a disabled site.
pub fn fire(site: &'static str, probability: f64) -> bool {
    let Some(world) = context::current() else {
        return false;
    };
    if !world.config.buggify || !site_enabled(world.seed, site) {
        return false;
    }
    let fired = world
        .buggify_rng
        .borrow_mut()
        .random_bool(probability.clamp(0.0, 1.0));
    world.mix(EventKind::Choice, fnv(site.as_bytes(), fired as u64));
    fired
}
