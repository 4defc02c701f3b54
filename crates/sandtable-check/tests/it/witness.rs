//! A witness always wins: when a shortcut (the pre-check, the zone analysis, a model's anomaly
//! proof) says "impossible" but the search finds a linearization that replays, the key is
//! linearizable and the contradiction is reported as a checker bug naming the shortcut.
//! The built-in shortcuts are sound, so these tests plant lies in a model's hints.

use sandtable_check::models::{Register, RegisterOp};
use sandtable_check::{
    check, CheckOptions, Interner, Model, Op, Partition, RegisterAccess, ShapeError, Shortcut,
    Timed, Value, Verdict,
};

use crate::support::h;

/// Which hint of the register lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    /// `Model::impossible` calls the first operation impossible.
    Proof,
    /// `Model::needs` says a read needs a value nothing writes (the pre-check believes it).
    Needs,
    /// `Model::register_access` says a read returned a value nothing writes (the zone analysis
    /// believes it).
    Access,
}

/// A register whose hints tell the lies in `.0`; its `step` tells the truth.
struct Lying(&'static [Lie]);

const NOBODY: u32 = 999_999;

impl Model for Lying {
    type State = u32;
    type Input = RegisterOp;

    fn name(&self) -> &str {
        "lying-register"
    }
    fn init(&self) -> u32 {
        Register.init()
    }
    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<RegisterOp, ShapeError> {
        Register.prepare(op, values)
    }
    fn step(&self, state: &u32, input: &RegisterOp) -> Option<u32> {
        Register.step(state, input)
    }
    fn is_noop(&self, input: &RegisterOp) -> bool {
        Register.is_noop(input)
    }
    fn is_read_only(&self, input: &RegisterOp) -> bool {
        Register.is_read_only(input)
    }
    fn needs(&self, input: &RegisterOp) -> Option<u32> {
        match input {
            RegisterOp::Read(_) if self.0.contains(&Lie::Needs) => Some(NOBODY),
            _ => Register.needs(input),
        }
    }
    fn sets(&self, input: &RegisterOp) -> Option<u32> {
        Register.sets(input)
    }
    fn register_access(&self, input: &RegisterOp) -> Option<RegisterAccess<u32>> {
        match input {
            RegisterOp::Read(_) if self.0.contains(&Lie::Access) => {
                Some(RegisterAccess::Read(NOBODY))
            }
            _ => Register.register_access(input),
        }
    }
    fn impossible(&self, ops: &[Timed<'_, RegisterOp>], _: &Interner) -> Option<(usize, String)> {
        (self.0.contains(&Lie::Proof) && !ops.is_empty()).then(|| (0, "a planted lie".into()))
    }
    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        Register.partition(ops)
    }
    fn describe(&self, state: &u32, values: &Interner) -> String {
        if *state == NOBODY {
            "(a value nobody writes)".into()
        } else {
            Register.describe(state, values)
        }
    }
}

const GOOD_X: &str = "
0 invoke write k=x 1
0 ok write k=x 1
1 invoke read k=x null
1 ok read k=x 1
";

fn one_thread() -> CheckOptions {
    CheckOptions::default().threads(1)
}

#[test]
fn a_witness_beats_the_models_anomaly_proof() {
    let r = check(&h(GOOD_X), &Lying(&[Lie::Proof]), &one_thread());
    assert_eq!(r.verdict, Verdict::Linearizable);
    assert!(r.explanation.is_none());
    assert_eq!(r.disagreements.len(), 1, "{:?}", r.disagreements);
    let d = &r.disagreements[0];
    assert_eq!(d.shortcut, Shortcut::ModelProof);
    assert_eq!(d.key, Some(Value::from("x")));
    let text = d.to_string();
    assert!(
        text.starts_with("checker bug on key x: the model's anomaly proof (Model::impossible) claimed that no linearization exists"),
        "{text}"
    );
    assert!(text.contains("a planted lie"), "{text}");
    assert!(
        text.contains("found a linearization of all 2 operations, and it replays"),
        "{text}"
    );
}

#[test]
fn a_witness_beats_the_pre_check() {
    let r = check(
        &h(GOOD_X),
        &Lying(&[Lie::Needs]),
        &one_thread().zones(false),
    );
    assert_eq!(r.verdict, Verdict::Linearizable);
    let shortcuts: Vec<Shortcut> = r.disagreements.iter().map(|d| d.shortcut).collect();
    assert_eq!(shortcuts, [Shortcut::PreCheck]);
}

#[test]
fn a_witness_beats_the_zone_analysis() {
    let r = check(&h(GOOD_X), &Lying(&[Lie::Access]), &one_thread());
    assert_eq!(r.verdict, Verdict::Linearizable);
    let shortcuts: Vec<Shortcut> = r.disagreements.iter().map(|d| d.shortcut).collect();
    assert_eq!(shortcuts, [Shortcut::ZoneAnalysis]);
    assert!(
        r.disagreements[0].claim.contains("no operation writes"),
        "{:?}",
        r.disagreements
    );
}

#[test]
fn two_lying_shortcuts_are_both_named() {
    let r = check(
        &h(GOOD_X),
        &Lying(&[Lie::Needs, Lie::Access]),
        &one_thread(),
    );
    assert_eq!(r.verdict, Verdict::Linearizable);
    let shortcuts: Vec<Shortcut> = r.disagreements.iter().map(|d| d.shortcut).collect();
    assert_eq!(shortcuts, [Shortcut::PreCheck, Shortcut::ZoneAnalysis]);
}

#[test]
fn when_the_pre_check_and_the_zone_analysis_disagree_the_search_settles_it() {
    // The pre-check lies "impossible", the zone analysis (truthfully) says linearizable: the
    // full search finds the linearization, and the pre-check is named.
    let r = check(&h(GOOD_X), &Lying(&[Lie::Needs]), &one_thread());
    assert_eq!(r.verdict, Verdict::Linearizable);
    let shortcuts: Vec<Shortcut> = r.disagreements.iter().map(|d| d.shortcut).collect();
    assert_eq!(shortcuts, [Shortcut::PreCheck]);
    assert!(r.partitions[0].steps > 0, "the search ran");
}

#[test]
fn a_true_claim_is_no_disagreement() {
    let bad = "
0 invoke write k=x 1
0 ok write k=x 1
1 invoke read k=x null
1 ok read k=x 2
";
    let r = check(&h(bad), &Lying(&[Lie::Proof]), &one_thread());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    assert!(r.disagreements.is_empty(), "{:?}", r.disagreements);
}

#[test]
fn a_lie_on_one_key_does_not_hide_a_real_failure_on_another() {
    let text = "
0 invoke write k=x 1
0 ok write k=x 1
1 invoke read k=x null
1 ok read k=x 1
2 invoke write k=y 1
2 ok write k=y 1
3 invoke read k=y null
3 ok read k=y 5
";
    for threads in [1, 2] {
        let options = CheckOptions::default().threads(threads).zones(false);
        let r = check(&h(text), &Lying(&[Lie::Needs]), &options);
        assert_eq!(r.verdict, Verdict::NotLinearizable);
        let e = r.explanation.as_ref().expect("explained");
        assert_eq!(e.key, Some(Value::from("y")));
        // The lie on key x is checked first (proved-impossible keys go first) and overturned.
        assert_eq!(r.disagreements.len(), 1);
        assert_eq!(r.disagreements[0].key, Some(Value::from("x")));
        assert_eq!(r.partitions[0].verdict, Some(Verdict::Linearizable));
    }
}
