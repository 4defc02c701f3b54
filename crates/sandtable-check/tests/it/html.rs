//! The HTML report.

use sandtable_check::models::CasRegister;

use crate::support::run;

#[test]
fn report_marks_window_and_linearization() {
    let r = run(
        &CasRegister,
        "0 invoke write k=x 1\n0 ok write k=x 1\n1 invoke cas k=x [1,2]\n2 invoke read k=x null\n1 ok cas k=x [1,2]\n2 ok read k=x 3\n",
    );
    let html = r.to_html();
    assert!(html.contains("not linearizable"));
    assert!(html.contains("#f4a3a8"), "blocked op highlighted");
    assert!(html.contains("linearized #2"), "linearization order shown");
    assert!(html.contains("model state is 2, but the read returned 3"));
    assert!(html.contains("process 2"));
}

#[test]
fn report_for_linearizable_history() {
    let r = run(&CasRegister, "0 invoke write 1\n0 ok write 1\n");
    let html = r.to_html();
    assert!(html.contains(">linearizable<"));
    assert!(html.contains("<svg"));
}
