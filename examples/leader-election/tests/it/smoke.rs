use leader_election::scenario::Scenario;
use sandtable::Sim;

#[test]
fn one_seed() {
    let sim = Sim::new(1);
    let r = Scenario::default().run(&sim).unwrap();
    eprintln!("{r:?} events={}", sim.event_count());
}
