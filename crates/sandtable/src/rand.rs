//! Seeded randomness. Each purpose (scheduler, network, each node by name) draws from its own
//! ChaCha8 stream of the run's seed, so adding a node does not reshuffle the others.
//!
//! User code gets the current node's stream through [`rng`], [`random`] and [`random_range`].

use rand::distr::uniform::{SampleRange, SampleUniform};
use rand::distr::{Distribution, StandardUniform};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::context;

/// The ChaCha8 stream of `seed` for `purpose` and `name` (FNV-1a of both picks the stream).
pub(crate) fn stream(seed: u64, purpose: &str, name: &str) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in purpose.bytes().chain([0xff]).chain(name.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    rng.set_stream(h);
    rng
}

/// A handle to the current node's random stream. It holds nothing: every draw goes to the
/// node whose task is running, so it is `Copy` and may be stored freely.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeRng;

/// The current node's random stream. Panics outside a simulated task.
pub fn rng() -> NodeRng {
    NodeRng
}

/// Runs `f` with the current node's ChaCha8 stream. No borrow of the simulation is held while
/// `f` runs, so `f` may use the rest of the runtime (spawn, time, the network); only a nested
/// `with_rng` of the same node's stream inside `f` is refused, with a clear panic.
#[track_caller]
#[inline(always)]
pub fn with_rng<R>(f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
    let lent = context::try_with(|w| {
        let node = w
            .current
            .get()
            .expect("sandtable::rand is for code running in a simulated node's task");
        let rng = w.nodes.borrow_mut()[node.index()].rng.take().expect(
            "sandtable::rand: the node's random stream is already in use \
             (sandtable::rand called from inside a with_rng closure)",
        );
        Lease {
            node,
            rng: Some(rng),
        }
    });
    // One call site of `f` for both backends keeps the simulated path as small as before.
    let mut lease = match lent {
        Some(lease) => lease,
        None => Lease::outside(),
    };
    f(lease.rng.as_mut().expect("just set"))
}

/// The node whose stream a lease holds, when it is the real backend's.
#[cfg_attr(not(feature = "real"), allow(dead_code))]
const REAL: crate::node::NodeId = crate::node::NodeId(u32::MAX);

/// Puts the node's stream back when the closure ends, however it ends.
struct Lease {
    /// The simulated node, or [`REAL`].
    node: crate::node::NodeId,
    /// Boxed so that lending it out moves a pointer, not the generator's 300 bytes.
    rng: Option<Box<ChaCha8Rng>>,
}

impl Lease {
    /// Outside a simulation: the real backend's stream (seeded by its config, or from the OS),
    /// or the panic naming the call.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn outside() -> Lease {
        #[cfg(feature = "real")]
        if let Some(taken) = crate::real::try_with(|s| s.rng.borrow_mut().take()) {
            let rng = taken.expect(
                "sandtable::rand: the random stream is already in use \
                 (sandtable::rand called from inside a with_rng closure)",
            );
            return Lease {
                node: REAL,
                rng: Some(rng),
            };
        }
        context::outside("sandtable::rand")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let rng = self.rng.take();
        #[cfg(feature = "real")]
        if self.node == REAL {
            let _ = crate::real::try_with(|s| *s.rng.borrow_mut() = rng);
            return;
        }
        let _ = context::try_with(|w| {
            if let Some(n) = w.nodes.borrow_mut().get_mut(self.node.index()) {
                n.rng = rng;
            }
        });
    }
}

/// A random value from the current node's stream.
pub fn random<T>() -> T
where
    StandardUniform: Distribution<T>,
{
    with_rng(|r| r.random())
}

/// A random value in `range` from the current node's stream.
pub fn random_range<T: SampleUniform, R: SampleRange<T>>(range: R) -> T {
    // `Rng::random_range`, spelled out so that it inlines here.
    assert!(!range.is_empty(), "cannot sample empty range");
    with_rng(|r| range.sample_single(r).expect("a non-empty range samples"))
}

/// True with probability `p`, from the current node's stream.
pub fn random_bool(p: f64) -> bool {
    with_rng(|r| r.random_bool(p))
}

impl RngCore for NodeRng {
    fn next_u32(&mut self) -> u32 {
        with_rng(|r| r.next_u32())
    }

    fn next_u64(&mut self) -> u64 {
        with_rng(|r| r.next_u64())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        with_rng(|r| r.fill_bytes(dest))
    }
}
