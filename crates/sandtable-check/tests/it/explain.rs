//! Pinned explanations.

use sandtable_check::models::{CasRegister, Register};
use sandtable_check::Verdict;

use crate::support::run;

#[test]
fn stale_read_explanation() {
    let r = run(
        &Register,
        "0 invoke write 1\n0 ok write 1\n0 invoke write 2\n0 ok write 2\n1 invoke read null\n1 ok read 1",
    );
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let text = r.explanation.unwrap().to_string();
    let expected = "\
history: not linearizable (register model, 3 operations checked).
Longest linearizable prefix (2 ops):
  1. op #0 (process 0, write 1, invoked at line 1, returned at line 2) => state 1
  2. op #1 (process 0, write 2, invoked at line 3, returned at line 4) => state 2
Then no operation can be linearized next (model state 2), yet op #2 must take effect before it returns at line 6:
  op #2 (process 1, read -> 1, invoked at line 5, returned at line 6): model state is 2, but the read returned 1
Why no order exists: Each value is written at most once, so its write and its reads take effect in one stretch in which the register holds it and nothing else is written. Here value 1 must be held from line 2 at the latest (when op #0, which writes it, returned) until line 5 at the earliest (when op #2, which read it, was invoked), but op #1, which writes 2, was invoked at line 3 and returned at line 4, inside that stretch.
";
    assert_eq!(text, expected);
}

#[test]
fn keyed_cas_explanation() {
    let r = run(
        &CasRegister,
        "0 invoke write k=x 1\n0 ok write k=x 1\n1 invoke cas k=x [1,2]\n2 invoke read k=x null\n1 ok cas k=x [1,2]\n2 ok read k=x 3\n",
    );
    let text = r.explanation.unwrap().to_string();
    let expected = "\
key x: not linearizable (cas-register model, 3 operations checked).
Longest linearizable prefix (2 ops):
  1. op #0 (process 0, write x 1, invoked at line 1, returned at line 2) => state 1
  2. op #1 (process 1, cas x [1,2], invoked at line 3, returned at line 5) => state 2
Then no operation can be linearized next (model state 2), yet op #2 must take effect before it returns at line 6:
  op #2 (process 2, read x -> 3, invoked at line 4, returned at line 6): model state is 2, but the read returned 3
";
    assert_eq!(text, expected);
}
