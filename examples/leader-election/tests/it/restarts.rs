//! A voter that restarts has forgotten how long the lease it granted last runs: it must grant
//! nothing for a whole hold. The sweeps rarely build the case that needs it, so this test
//! builds it on purpose: from 2 s on, as soon as a node leads, it is cut off from the other
//! nodes, which all restart at once — they granted its lease moments ago. Without the restart
//! hold they elect a new leader within a few hundred milliseconds, while the old one still
//! leads (seed 0 fails); with it, they wait until its lease is over.

use std::time::Duration;

use leader_election::scenario::Scenario;
use sandtable::{run_seeds, CheckConfig};

use leader_election::strike::{strike_the_leader, Strike};

#[test]
fn restarted_voters_wait_out_the_lease_they_may_have_granted() {
    let scenario = Scenario::within_bound(0.9).without_environment_faults();
    let config = CheckConfig::new()
        .seeds(0..20)
        .name("leader_election_restarts")
        .regressions(false);
    run_seeds(config, |sim| {
        let run = scenario.start(sim)?;
        let struck = strike_the_leader(
            sim,
            run.checker(),
            scenario.node_names(),
            Strike::RestartTheOthers,
            Duration::from_secs(2),
            Duration::from_secs(1),
        );
        let report = run.finish(sim)?;
        assert!(struck.get(), "the leader was struck");
        assert!(report.elections >= 2, "a new leader after the cut");
        Ok::<_, sandtable::BoxError>(())
    })
    .unwrap_or_else(|failure| panic!("{failure}"));
}
