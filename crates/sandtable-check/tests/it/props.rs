//! Property tests: the checker agrees with the brute force on thousands of
//! small random histories.

use proptest::prelude::*;
use sandtable_check::{check, models, CheckOptions, Model, Verdict};

use crate::brute::{self, Spec};
use crate::randhist::{history, Kind, Shape};

fn shape() -> impl Strategy<Value = Shape> {
    (
        1usize..=4,
        1usize..=12,
        0u32..300,
        prop_oneof![Just(0u32), 0u32..400],
    )
        .prop_map(
            |(processes, ops, info_per_mille, corrupt_per_mille)| Shape {
                processes,
                ops,
                info_per_mille,
                corrupt_per_mille,
            },
        )
}

fn agree<M: Model, P: Spec>(
    kind: Kind,
    model: &M,
    spec: &P,
    shape: Shape,
    seed: u64,
) -> Result<(), TestCaseError> {
    let h = history(kind, shape, seed);
    let expected = brute::linearizable(&h, spec);
    let got = check(&h, model, &CheckOptions::default().unlimited().threads(1));
    prop_assert_ne!(got.verdict, Verdict::Unknown);
    prop_assert_eq!(
        got.verdict == Verdict::Linearizable,
        expected,
        "history:\n{}\nchecker said: {}",
        h.to_jsonl_string(),
        got
    );
    if shape.corrupt_per_mille == 0 {
        prop_assert!(expected, "uncorrupted simulations are linearizable");
    }
    if let Some(e) = &got.explanation {
        prop_assert!(!e.blocked.is_empty());
    }
    Ok(())
}

/// Many processes and many `info` ops: stresses subsumption and symmetry.
fn crowded() -> impl Strategy<Value = Shape> {
    (
        3usize..=6,
        6usize..=12,
        150u32..500,
        prop_oneof![Just(0u32), 50u32..300],
    )
        .prop_map(
            |(processes, ops, info_per_mille, corrupt_per_mille)| Shape {
                processes,
                ops,
                info_per_mille,
                corrupt_per_mille,
            },
        )
}

fn cases() -> u32 {
    std::env::var("SANDTABLE_CHECK_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500)
}

proptest! {
    // Brute force on crowded histories is slow in debug builds: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(cases() / 5))]

    #[test]
    fn crowded_registers_match_brute_force(shape in crowded(), seed: u64) {
        agree(Kind::CasRegister, &models::CasRegister, &brute::Registers, shape, seed)?;
        agree(Kind::Register, &models::Register, &brute::Registers, shape, seed)?;
    }

    #[test]
    fn crowded_queues_and_sets_match_brute_force(shape in crowded(), seed: u64) {
        agree(Kind::Queue, &models::Queue, &brute::QueueSpec, shape, seed)?;
        agree(Kind::Set, &models::Set, &brute::SetSpec, shape, seed)?;
        agree(Kind::KvAppend, &models::KvAppend, &brute::AppendSpec, shape, seed)?;
        agree(Kind::Mutex, &models::Mutex, &brute::MutexSpec, shape, seed)?;
        agree(Kind::AppendTxn, &models::Txn::list_append(), &brute::TxnSpec { lists: true }, shape, seed)?;
        agree(Kind::RwTxnUnique, &models::Txn::rw_register(), &brute::TxnSpec { lists: false }, shape, seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn register_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::Register, &models::Register, &brute::Registers, shape, seed)?;
    }

    #[test]
    fn cas_register_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::CasRegister, &models::CasRegister, &brute::Registers, shape, seed)?;
    }

    #[test]
    fn kv_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::Kv, &models::Kv, &brute::Registers, shape, seed)?;
    }

    #[test]
    fn set_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::Set, &models::Set, &brute::SetSpec, shape, seed)?;
    }

    #[test]
    fn queue_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::Queue, &models::Queue, &brute::QueueSpec, shape, seed)?;
    }

    #[test]
    fn counter_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::Counter, &models::Counter, &brute::CounterSpec, shape, seed)?;
    }

    #[test]
    fn kv_append_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::KvAppend, &models::KvAppend, &brute::AppendSpec, shape, seed)?;
    }

    #[test]
    fn mutex_matches_brute_force(shape in shape(), seed: u64) {
        agree(Kind::Mutex, &models::Mutex, &brute::MutexSpec, shape, seed)?;
    }

    #[test]
    fn rw_register_txns_match_brute_force(shape in shape(), seed: u64) {
        agree(Kind::RwTxn, &models::Txn::rw_register(), &brute::TxnSpec { lists: false }, shape, seed)?;
    }

    #[test]
    fn rw_register_txns_with_unique_writes_match_brute_force(shape in shape(), seed: u64) {
        agree(Kind::RwTxnUnique, &models::Txn::rw_register(), &brute::TxnSpec { lists: false }, shape, seed)?;
    }

    #[test]
    fn list_append_txns_match_brute_force(shape in shape(), seed: u64) {
        agree(Kind::AppendTxn, &models::Txn::list_append(), &brute::TxnSpec { lists: true }, shape, seed)?;
    }

    #[test]
    fn verdict_is_deterministic(shape in shape(), seed: u64) {
        let h = history(Kind::Kv, shape, seed);
        let a = check(&h, &models::Kv, &CheckOptions::default().threads(2));
        let b = check(&h, &models::Kv, &CheckOptions::default().threads(1));
        prop_assert_eq!(a.verdict, b.verdict);
        prop_assert_eq!(a.explanation, b.explanation);
    }
}

/// The generator must produce both verdicts often, or the properties above
/// would be vacuous.
#[test]
fn random_histories_cover_both_verdicts() {
    let kinds = [
        Kind::Register,
        Kind::CasRegister,
        Kind::Kv,
        Kind::Set,
        Kind::Queue,
        Kind::Counter,
        Kind::KvAppend,
        Kind::Mutex,
        Kind::RwTxn,
        Kind::RwTxnUnique,
        Kind::AppendTxn,
    ];
    for kind in kinds {
        let mut yes = 0;
        let mut info = 0;
        for seed in 0..300u64 {
            let shape = Shape {
                processes: 3,
                ops: 10,
                info_per_mille: 100,
                corrupt_per_mille: 150,
            };
            let h = history(kind, shape, seed);
            info += h
                .ops()
                .iter()
                .filter(|o| o.status == sandtable_check::OpStatus::Info)
                .count();
            let linearizable = match kind {
                Kind::Set => brute::linearizable(&h, &brute::SetSpec),
                Kind::Queue => brute::linearizable(&h, &brute::QueueSpec),
                Kind::Counter => brute::linearizable(&h, &brute::CounterSpec),
                Kind::KvAppend => brute::linearizable(&h, &brute::AppendSpec),
                Kind::Mutex => brute::linearizable(&h, &brute::MutexSpec),
                Kind::RwTxn | Kind::RwTxnUnique => {
                    brute::linearizable(&h, &brute::TxnSpec { lists: false })
                }
                Kind::AppendTxn => brute::linearizable(&h, &brute::TxnSpec { lists: true }),
                _ => brute::linearizable(&h, &brute::Registers),
            };
            yes += usize::from(linearizable);
        }
        eprintln!("{kind:?}: {yes}/300 linearizable, {info} info ops");
        assert!(
            (60..=260).contains(&yes),
            "{kind:?}: {yes}/300 linearizable"
        );
        assert!(info > 100, "{kind:?}: only {info} info ops");
    }
}
