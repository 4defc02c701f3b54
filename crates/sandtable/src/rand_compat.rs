//! The node's random stream for code on rand 0.10 (rand_core 0.10), beside rand 0.9's
//! `RngCore` in [`crate::rand`]: the same stream, so a library on either version (openraft's
//! runtime asks for rand 0.10's `Rng`) draws the node's seeded values with no shim.

use std::convert::Infallible;

use rand::RngCore;
use rand_core_010::{TryCryptoRng, TryRng};

use crate::rand::{with_rng, NodeRng};

/// rand_core 0.10 derives `Rng` (what rand 0.10 calls `Rng`, with `RngExt` for `random`,
/// `random_range`, ...) from an infallible `TryRng`.
impl TryRng for NodeRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(with_rng(|r| r.next_u32()))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(with_rng(|r| r.next_u64()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        with_rng(|r| r.fill_bytes(dst));
        Ok(())
    }
}

/// ChaCha8 is a cryptographic generator (the stream is seeded, so not a secret one: this marks
/// the algorithm, as rand_chacha does for rand 0.9).
impl TryCryptoRng for NodeRng {}

#[cfg(test)]
mod tests {
    use rand_core_010::Rng as Rng010;

    use crate::rand::{rng, with_rng};
    use crate::Sim;

    /// Draws through rand 0.10's trait and through rand 0.9's continue one stream.
    #[test]
    fn both_versions_share_the_node_stream() {
        let draws = |mixed: bool| {
            Sim::new(3)
                .block_on("n", async move {
                    let mut r = rng();
                    let a = if mixed {
                        Rng010::next_u64(&mut r)
                    } else {
                        rand::RngCore::next_u64(&mut r)
                    };
                    let b = with_rng(rand::RngCore::next_u64);
                    (a, b)
                })
                .unwrap()
        };
        assert_eq!(draws(true), draws(false));
    }
}
