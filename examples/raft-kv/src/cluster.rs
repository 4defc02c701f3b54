//! Running the cluster as real processes: the cluster map read from `--peers`, turned into the
//! node list every process agrees on, and logging for a process.

use sandtable::real::ClusterMap;

use crate::node::Peer;

/// The nodes of `map` in the order every process uses: sorted by name, whatever the order of
/// the `--peers` flag (node indexes must agree across processes).
pub fn peers(map: &ClusterMap) -> Vec<Peer> {
    map.iter()
        .map(|(name, addr)| Peer {
            name: name.to_string(),
            port: addr.port(),
        })
        .collect()
}

/// The index of node `id` among `peers`, or an error naming the nodes there are.
pub fn index_of(peers: &[Peer], id: &str) -> Result<usize, String> {
    peers.iter().position(|p| p.name == id).ok_or_else(|| {
        let names: Vec<&str> = peers.iter().map(|p| p.name.as_str()).collect();
        format!(
            "--id {id:?} is not in --peers (which names {})",
            names.join(", ")
        )
    })
}

/// Logs to stderr at `RUST_LOG`'s level (default `info`), each line naming the process.
pub fn init_tracing(process: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    tracing::info!(process, "started");
}
