use sandtable::buggify;
use sandtable::prelude::*;

/// How often each of three sites fired in 2,000 calls, for one seed.
fn firing_counts(seed: u64, on: bool) -> ([u32; 3], u64) {
    let sim = Sim::builder().seed(seed).buggify(on).build();
    let counts = sim
        .block_on("c", async {
            let mut c = [0u32; 3];
            for _ in 0..2_000 {
                c[0] += buggify!() as u32;
                c[1] += buggify!(0.5) as u32;
                c[2] += buggify!(0.5) as u32;
            }
            c
        })
        .unwrap();
    (counts, sim.fingerprint())
}

#[test]
fn sites_are_enabled_per_seed_and_fire_rarely() {
    let runs: Vec<[u32; 3]> = (0..40).map(|s| firing_counts(s, true).0).collect();
    for counts in &runs {
        assert!(
            counts[0] == 0 || (40..200).contains(&counts[0]),
            "5% of 2000: {counts:?}"
        );
        assert!(
            counts[1] == 0 || (850..1150).contains(&counts[1]),
            "50% of 2000: {counts:?}"
        );
    }
    let enabled = runs.iter().filter(|c| c[1] > 0).count();
    assert!(
        (3..25).contains(&enabled),
        "about a quarter of seeds enable a site: {enabled}"
    );
    assert!(
        runs.iter().any(|c| (c[1] > 0) != (c[2] > 0)),
        "sites are decided independently"
    );
}

#[test]
fn decisions_are_stable_per_seed_and_in_the_fingerprint() {
    for seed in 0..10 {
        assert_eq!(firing_counts(seed, true), firing_counts(seed, true));
    }
    let seed = (0..40).find(|s| firing_counts(*s, true).0[1] > 0).unwrap();
    assert_ne!(firing_counts(seed, true).1, firing_counts(seed, false).1);
    assert_eq!(
        firing_counts(seed, false).0,
        [0, 0, 0],
        "switched off: never fires"
    );
}

#[test]
fn never_fires_outside_a_simulation() {
    assert!((0..10_000).all(|_| !buggify!(1.0)));
}
