//! Repository-level integration tests: the simulator, the nemesis, the harness and the checker
//! working together on small replicated systems.

mod toy_register;
