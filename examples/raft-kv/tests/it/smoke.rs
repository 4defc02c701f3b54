use raft_kv::scenario::Scenario;
use sandtable::Sim;

#[test]
fn one_seed() {
    let sim = Sim::new(1);
    let r = Scenario::default().run(&sim).unwrap();
    let s = sim.net().stats();
    eprintln!("{r:?} events={} polls={} sent={} delivered={}", sim.event_count(), sim.polls(), s.sent, s.delivered);
}
