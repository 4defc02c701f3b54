//! How simulated TCP connections behave: timeouts, retransmission backoff, window, segments.

use std::time::Duration;

/// The model of every simulated TCP connection. Build with the methods; the defaults are
/// close to Linux's: 200 ms initial retransmission backoff doubling up to 60 s, a 64 KiB
/// receive window, 16 KiB segments, a 10 s connect timeout and a 30 s retransmission timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpConfig {
    /// A connect that has not completed its handshake by then fails with `TimedOut`.
    pub connect_timeout: Duration,
    /// A segment still not delivered this long after its first transmission breaks the
    /// connection: both ends fail with `TimedOut` (Linux's `tcp_retries2` / user timeout).
    pub retransmission_timeout: Duration,
    /// Wait before the first retransmission of a lost segment; a seeded jitter of up to a
    /// quarter is added, then it doubles at each further loss.
    pub rto_initial: Duration,
    /// The largest wait between two retransmissions.
    pub rto_max: Duration,
    /// Bytes a sender may have written that the peer's reader has not consumed yet.
    pub window_bytes: usize,
    /// The largest segment a write is cut into.
    pub segment_bytes: usize,
    /// Connections a listener holds before `accept` takes them; further SYNs are dropped.
    pub backlog: usize,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            connect_timeout: Duration::from_secs(10),
            retransmission_timeout: Duration::from_secs(30),
            rto_initial: Duration::from_millis(200),
            rto_max: Duration::from_secs(60),
            window_bytes: 64 * 1024,
            segment_bytes: 16 * 1024,
            backlog: 128,
        }
    }
}

impl TcpConfig {
    /// The connect timeout. Panics if zero.
    #[track_caller]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        assert!(!d.is_zero(), "tcp connect_timeout must be positive");
        self.connect_timeout = d;
        self
    }

    /// The retransmission timeout. Panics if zero.
    #[track_caller]
    pub fn retransmission_timeout(mut self, d: Duration) -> Self {
        assert!(!d.is_zero(), "tcp retransmission_timeout must be positive");
        self.retransmission_timeout = d;
        self
    }

    /// The first retransmission backoff and its cap. Panics unless `0 < initial <= max`.
    #[track_caller]
    pub fn rto(mut self, initial: Duration, max: Duration) -> Self {
        assert!(!initial.is_zero(), "tcp rto_initial must be positive");
        assert!(
            initial <= max,
            "tcp rto_initial {initial:?} is larger than rto_max {max:?}"
        );
        self.rto_initial = initial;
        self.rto_max = max;
        self
    }

    /// The receive window in bytes. Panics if zero.
    #[track_caller]
    pub fn window_bytes(mut self, n: usize) -> Self {
        assert!(n > 0, "tcp window_bytes must be positive");
        self.window_bytes = n;
        self
    }

    /// The largest segment in bytes. Panics if zero.
    #[track_caller]
    pub fn segment_bytes(mut self, n: usize) -> Self {
        assert!(n > 0, "tcp segment_bytes must be positive");
        self.segment_bytes = n;
        self
    }

    /// The accept backlog of every listener. Panics if zero.
    #[track_caller]
    pub fn backlog(mut self, n: usize) -> Self {
        assert!(n > 0, "tcp backlog must be positive");
        self.backlog = n;
        self
    }

    pub(crate) fn ns(d: Duration) -> u64 {
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
    }
}
