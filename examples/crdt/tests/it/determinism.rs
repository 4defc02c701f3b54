//! Same seed, same run: the fingerprint of every scheduling decision, delivery and timer.

use crdt::scenario::Scenario;
use sandtable::Sim;

#[test]
fn a_seed_reruns_identically() {
    let run = |seed| {
        let sim = Sim::new(seed);
        let report = Scenario::default().run(&sim).expect("converges");
        (sim.fingerprint(), report.acknowledged, report.verdicts)
    };
    for seed in [1, 7] {
        assert_eq!(run(seed), run(seed));
    }
}
