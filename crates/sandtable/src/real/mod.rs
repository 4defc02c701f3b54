//! The real backend (cargo feature `real`): outside a simulation, the APIs protocol code calls
//! answer from tokio (a current-thread runtime with a `LocalSet`), the OS clocks, real sockets
//! and files under a data directory.
