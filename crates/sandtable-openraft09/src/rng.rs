//! `SimRng`: the node's seeded stream behind rand 0.8's `Rng`, which openraft 0.9 asks for
//! (its election timeouts are drawn from it).

use rand_core_06::{Error, RngCore};
use sandtable::rand::with_rng;

/// The current node's random stream (`sandtable::rand`), for rand 0.8 callers. It holds
/// nothing: every draw goes to the node whose task is running.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimRng;

impl RngCore for SimRng {
    fn next_u32(&mut self) -> u32 {
        with_rng(rand_core::RngCore::next_u32)
    }

    fn next_u64(&mut self) -> u64 {
        with_rng(rand_core::RngCore::next_u64)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        with_rng(|r| rand_core::RngCore::fill_bytes(r, dest))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
