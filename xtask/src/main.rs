//! Project automation: `cargo xtask <command>`.
mod bench_peers;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench-peers") => bench_peers::main(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask ci | bench-peers [--runs N] [--memory-curve] [--no-write]"
            );
            std::process::exit(2);
        }
    }
}

fn ci() {
    let status = std::process::Command::new("bash")
        .arg(".ci/run")
        .status()
        .expect("bash is needed to run .ci/run");
    std::process::exit(status.code().unwrap_or(1));
}
