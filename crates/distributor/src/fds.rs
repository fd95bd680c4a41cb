//! The file descriptor budget. Running out of descriptors must never make
//! healthy targets look dead, nor stop probes and the control socket: at
//! start the soft limit is raised toward the hard one, and when even that
//! cannot hold `max_connections`, the connection limit is lowered to fit,
//! keeping a reserve for probes, listeners, the control socket and metrics.

/// Descriptors a client connection can hold at the most: its two sockets,
/// and with splice(2) a pipe (two descriptors) for each direction whose
/// bytes wait for a slow reader.
pub fn per_connection(splice: bool) -> u64 {
    if splice { 6 } else { 2 }
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
/// aside: `wanted` when it fits, else as many as fit (at least 1).
pub fn fit(wanted: usize, limit: u64, reserve: u64, per_connection: u64) -> usize {
    let room = limit.saturating_sub(reserve) / per_connection.max(1);
    let fits = usize::try_from(room).unwrap_or(usize::MAX).max(1);
    wanted.min(fits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_lowered_only_when_it_does_not_fit() {
        assert_eq!(fit(10_000, 1 << 20, 100, 6), 10_000);
        assert_eq!(fit(10_000, 1024, 100, 2), 462);
        assert_eq!(fit(10_000, 1024, 100, 6), 154);
        assert_eq!(fit(10_000, 64, 100, 2), 1, "never zero");
        assert!(raise_limit() >= 64);
    }
}
