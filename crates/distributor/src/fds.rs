//! The file descriptor budget. Running out of descriptors must never make
//! healthy targets look dead, nor stop probes and the control socket: at
//! start the soft limit is raised toward the hard one, and when even that
//! cannot hold `max_connections`, the connection limit is lowered to fit,
//! keeping a reserve for probes, listeners, the control socket and metrics.

/// Descriptors `connections` client connections can hold at the most: two
/// sockets each, and two for each splice pipe that may exist (`pipes(n)`).
pub fn needed(connections: usize, pipes: impl Fn(usize) -> usize) -> u64 {
    2 * connections as u64 + 2 * pipes(connections) as u64
}

/// Raise the soft limit on open files to the hard one; the limit now.
pub fn raise_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut l = getrlimit(Resource::Nofile);
    if let (Some(cur), max) = (l.current, l.maximum)
        && max.is_none_or(|m| m > cur)
    {
        // An unlimited hard limit is capped by the kernel (nr_open): ask
        // for a million.
        l.current = Some(max.unwrap_or(1 << 20));
        // If the kernel refuses, the limit stays as it was.
        let _ = setrlimit(Resource::Nofile, l);
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// The connection limit that fits `limit` descriptors with `reserve` kept
/// aside: `wanted` when it fits, else the most that fit (at least 1).
pub fn fit(wanted: usize, limit: u64, reserve: u64, pipes: impl Fn(usize) -> usize) -> usize {
    let room = limit.saturating_sub(reserve);
    if needed(wanted, &pipes) <= room {
        return wanted;
    }
    // The need grows with the connections: the largest that fits.
    let (mut lo, mut hi) = (1, wanted);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if needed(mid, &pipes) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_lowered_only_when_it_does_not_fit() {
        let none = |_| 0;
        let quarter = |n: usize| (n / 4).max(1);
        assert_eq!(fit(10_000, 1 << 20, 100, quarter), 10_000);
        assert_eq!(fit(10_000, 1024, 100, none), 462);
        // 2 per connection and 2 per pipe, a pipe for 4 connections.
        let n = fit(10_000, 1024, 100, quarter);
        assert!(
            needed(n, quarter) <= 924 && needed(n + 1, quarter) > 924,
            "{n}"
        );
        assert_eq!(fit(10_000, 64, 100, none), 1, "never zero");
        assert!(raise_limit() >= 64);
    }
}
