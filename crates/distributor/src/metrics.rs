//! Prometheus metrics (OpenMetrics text): target state, the active target
//! and since when, switches by reason, connections, bytes each way,
//! connect failures and refused clients by reason, probe latency and last
//! result, DVIPA ownership and takeovers, build info and the process's
//! CPU, memory and descriptors. One explicit registry (no globals). The
//! HTTP side (`/metrics`, `/healthz`, `/readyz`, the status page) is
//! `web`.
//!
//! Every target's labels carry its system name (`system`, empty when the
//! settings do not name it) beside its address, so that alerts read
//! `SYSA`, not `10.1.1.1:443`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::RwLock;
use std::sync::atomic::AtomicU64;
use std::time::SystemTime;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetLabels {
    pub service: String,
    pub target: String,
    /// The target's system name (`[systems]`), or empty.
    pub system: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ServiceLabels {
    pub service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DvipaLabels {
    pub dvipa: String,
    /// The system this stack is (`--system`).
    pub system: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MoveLabels {
    pub dvipa: String,
    pub system: String,
    /// takeover, takeback or defined.
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RejectLabels {
    pub service: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SwitchLabels {
    pub service: String,
    /// unavailable, switchback, better, quiesced, reconfigured, recovered, adopted.
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailLabels {
    pub service: String,
    pub target: String,
    pub system: String,
    /// refused, timeout, unreachable, reset or other.
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BytesLabels {
    pub service: String,
    pub target: String,
    pub system: String,
    /// to_target (the client's bytes) or to_client.
    pub direction: String,
}

/// A probe is of an endpoint, whatever services share it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProbeLabels {
    pub target: String,
    pub system: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

/// Why a connect to a target failed, as the metric's `reason` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    Refused,
    Timeout,
    Unreachable,
    Reset,
    Other,
}

impl ConnectFailure {
    pub const ALL: [ConnectFailure; 5] = [
        ConnectFailure::Refused,
        ConnectFailure::Timeout,
        ConnectFailure::Unreachable,
        ConnectFailure::Reset,
        ConnectFailure::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ConnectFailure::Refused => "refused",
            ConnectFailure::Timeout => "timeout",
            ConnectFailure::Unreachable => "unreachable",
            ConnectFailure::Reset => "reset",
            ConnectFailure::Other => "other",
        }
    }

    /// The reason of a connect's error.
    pub fn of(e: &std::io::Error) -> ConnectFailure {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => ConnectFailure::Refused,
            K::TimedOut => ConnectFailure::Timeout,
            K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
                ConnectFailure::Unreachable
            }
            K::ConnectionReset | K::ConnectionAborted => ConnectFailure::Reset,
            _ => ConnectFailure::Other,
        }
    }
}

type Seconds = Gauge<f64, AtomicU64>;

pub struct Metrics {
    registry: Registry,
    pub available: Family<TargetLabels, Gauge>,
    pub listening: Family<TargetLabels, Gauge>,
    pub healthy: Family<TargetLabels, Gauge>,
    pub quiesced: Family<TargetLabels, Gauge>,
    pub active_target: Family<TargetLabels, Gauge>,
    /// When the service's active target became active (Unix seconds).
    pub active_since: Family<ServiceLabels, Seconds>,
    pub switches: Family<SwitchLabels, Counter>,
    pub connections: Family<TargetLabels, Counter>,
    pub connections_active: Family<TargetLabels, Gauge>,
    pub bytes: Family<BytesLabels, Counter>,
    pub connect_failures: Family<FailLabels, Counter>,
    pub retries: Family<ServiceLabels, Counter>,
    pub rejected: Family<RejectLabels, Counter>,
    pub lost_in_flight: Family<TargetLabels, Counter>,
    pub probe_duration: Family<ProbeLabels, Histogram, fn() -> Histogram>,
    pub probe_success: Family<ProbeLabels, Gauge>,
    pub probe_last: Family<ProbeLabels, Seconds>,
    /// With `--system`: 1 while this stack owns the DVIPA and accepts.
    pub dvipa_owned: Family<DvipaLabels, Gauge>,
    /// With `--system`: DVIPAs this stack took (over, back, or first).
    pub dvipa_moves: Family<MoveLabels, Counter>,
    /// From the arrival of evidence (a probe result, a failed connect) to
    /// the published route, for inputs that changed a route or state.
    pub decision: Histogram,
    /// Each target endpoint's system name, for the labels.
    systems: RwLock<HashMap<SocketAddr, String>>,
}

fn probe_histogram() -> Histogram {
    // 0.5 ms to 8 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut root = Registry::default();
        root.register_collector(Box::new(ProcessCollector));
        let registry = root.sub_registry_with_prefix("zosmf_ha");
        let m = Metrics {
            available: Family::default(),
            listening: Family::default(),
            healthy: Family::default(),
            quiesced: Family::default(),
            active_target: Family::default(),
            active_since: Family::default(),
            switches: Family::default(),
            connections: Family::default(),
            connections_active: Family::default(),
            bytes: Family::default(),
            connect_failures: Family::default(),
            retries: Family::default(),
            rejected: Family::default(),
            lost_in_flight: Family::default(),
            probe_duration: Family::new_with_constructor(probe_histogram),
            probe_success: Family::default(),
            probe_last: Family::default(),
            dvipa_owned: Family::default(),
            dvipa_moves: Family::default(),
            decision: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            systems: RwLock::default(),
            registry: Registry::default(),
        };
        registry.register(
            // An info metric: the text calls it zosmf_ha_build_info.
            "build",
            "the zosmf-ha build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            }),
        );
        registry.register(
            "target_available",
            "1 when the target can take new connections",
            m.available.clone(),
        );
        registry.register(
            "target_listening",
            "1 when the target accepts TCP connections",
            m.listening.clone(),
        );
        registry.register(
            "target_healthy",
            "1 when the application probe passes (or none runs)",
            m.healthy.clone(),
        );
        registry.register(
            "target_quiesced",
            "1 when the operator quiesced the target",
            m.quiesced.clone(),
        );
        registry.register(
            "active_target",
            "1 for the target that gets new connections",
            m.active_target.clone(),
        );
        registry.register(
            "active_since_seconds",
            "when the service's active target became active (Unix time)",
            m.active_since.clone(),
        );
        registry.register(
            "switches",
            "changes of the active target, by reason",
            m.switches.clone(),
        );
        registry.register(
            "connections",
            "client connections forwarded to the target",
            m.connections.clone(),
        );
        registry.register(
            "connections_active",
            "client connections open to the target",
            m.connections_active.clone(),
        );
        registry.register(
            "bytes",
            "bytes forwarded each way, counted when the connection ends (kernel forwarding: IP bytes from conntrack, with net.netfilter.nf_conntrack_acct on)",
            m.bytes.clone(),
        );
        registry.register(
            "connect_failures",
            "connects to the target that failed, by reason",
            m.connect_failures.clone(),
        );
        registry.register(
            "retries",
            "client connections retried on another target",
            m.retries.clone(),
        );
        registry.register(
            "rejected",
            "client connections closed without a target, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "lost_in_flight",
            "connections whose target closed or reset them before sending any byte",
            m.lost_in_flight.clone(),
        );
        registry.register(
            "probe_duration_seconds",
            "how long each probe of the target took (connect, and the application probe when configured)",
            m.probe_duration.clone(),
        );
        registry.register(
            "probe_success",
            "1 when the target's last probe passed",
            m.probe_success.clone(),
        );
        registry.register(
            "probe_last_seconds",
            "when the target's last probe ended (Unix time)",
            m.probe_last.clone(),
        );
        registry.register(
            "dvipa_owned",
            "1 while this stack of the sysplex group owns the DVIPA and accepts its connections",
            m.dvipa_owned.clone(),
        );
        registry.register(
            "dvipa_moves",
            "DVIPAs this stack took: over from a stack that left, back as its VIPADEFINE stack, or first",
            m.dvipa_moves.clone(),
        );
        registry.register(
            "decision_seconds",
            "time from the arrival of evidence (a probe result, a failed connect) to the published route",
            m.decision.clone(),
        );
        Metrics {
            registry: root,
            ..m
        }
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }

    /// Name the systems of the target endpoints (at start and reload):
    /// the labels of counters made from now on carry them.
    pub fn name_systems(&self, systems: impl IntoIterator<Item = (SocketAddr, String)>) {
        if let Ok(mut m) = self.systems.write() {
            m.extend(systems);
        }
    }

    fn system(&self, endpoint: SocketAddr) -> String {
        self.systems
            .read()
            .ok()
            .and_then(|m| m.get(&endpoint).cloned())
            .unwrap_or_default()
    }

    pub fn labels(&self, service: &zha_standby::ServiceKey, target: SocketAddr) -> TargetLabels {
        TargetLabels {
            service: service.to_string(),
            target: target.to_string(),
            system: self.system(target),
        }
    }

    pub fn fail_labels(
        &self,
        service: &zha_standby::ServiceKey,
        target: SocketAddr,
        why: ConnectFailure,
    ) -> FailLabels {
        FailLabels {
            service: service.to_string(),
            target: target.to_string(),
            system: self.system(target),
            reason: why.label().to_owned(),
        }
    }

    pub fn bytes_labels(
        &self,
        service: &zha_standby::ServiceKey,
        target: SocketAddr,
        to_target: bool,
    ) -> BytesLabels {
        BytesLabels {
            service: service.to_string(),
            target: target.to_string(),
            system: self.system(target),
            direction: if to_target { "to_target" } else { "to_client" }.to_owned(),
        }
    }

    /// A probe of `target` ended: it took `took`, and passed or not.
    pub fn probed(&self, target: SocketAddr, took: std::time::Duration, passed: bool) {
        let l = ProbeLabels {
            target: target.to_string(),
            system: self.system(target),
        };
        self.probe_duration
            .get_or_create(&l)
            .observe(took.as_secs_f64());
        self.probe_success.get_or_create(&l).set(i64::from(passed));
        self.probe_last.get_or_create(&l).set(unix_now());
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// Seconds since 1970.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The process metrics Prometheus's client libraries export
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_open_fds`, `process_max_fds`, `process_start_time_seconds`),
/// read from /proc at each scrape. Nothing where /proc cannot be read.
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Ok(me) = procfs::process::Process::myself() else {
            return Ok(());
        };
        let tps = procfs::ticks_per_second() as f64;
        if let Ok(stat) = me.stat() {
            let cpu = ConstCounter::new((stat.utime + stat.stime) as f64 / tps);
            cpu.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "user and system CPU time spent, in seconds",
                None,
                cpu.metric_type(),
            )?)?;
            let rss = ConstGauge::new(stat.rss as i64 * procfs::page_size() as i64);
            rss.encode(encoder.encode_descriptor(
                "process_resident_memory_bytes",
                "resident memory size, in bytes",
                None,
                rss.metric_type(),
            )?)?;
            if let Ok(boot) = procfs::boot_time_secs() {
                let start = ConstGauge::new(boot as f64 + stat.starttime as f64 / tps);
                start.encode(encoder.encode_descriptor(
                    "process_start_time_seconds",
                    "start time of the process since the Unix epoch, in seconds",
                    None,
                    start.metric_type(),
                )?)?;
            }
        }
        if let Ok(n) = me.fd_count() {
            let fds = ConstGauge::new(n as i64);
            fds.encode(encoder.encode_descriptor(
                "process_open_fds",
                "open file descriptors",
                None,
                fds.metric_type(),
            )?)?;
        }
        if let Ok(limits) = me.limits()
            && let procfs::process::LimitValue::Value(max) = limits.max_open_files.soft_limit
        {
            let max = ConstGauge::new(max as i64);
            max.encode(encoder.encode_descriptor(
                "process_max_fds",
                "the limit of open file descriptors",
                None,
                max.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_build_process_and_labelled_families() {
        let m = Metrics::new();
        let key = zha_standby::ServiceKey {
            dvipa: "10.1.1.10".parse().unwrap(),
            port: 443,
        };
        let ep: SocketAddr = "10.1.1.1:443".parse().unwrap();
        m.name_systems([(ep, "SYSA".to_owned())]);
        m.connections.get_or_create(&m.labels(&key, ep)).inc();
        m.probed(ep, std::time::Duration::from_millis(3), true);
        let t = m.encode();
        assert!(t.contains("zosmf_ha_build_info{version=\""), "{t}");
        assert!(
            t.contains(
                "zosmf_ha_connections_total{service=\"10.1.1.10..443\",target=\"10.1.1.1:443\",system=\"SYSA\"} 1"
            ),
            "{t}"
        );
        assert!(
            t.contains("zosmf_ha_probe_success{target=\"10.1.1.1:443\",system=\"SYSA\"} 1"),
            "{t}"
        );
        assert!(t.contains("zosmf_ha_probe_duration_seconds_bucket{"), "{t}");
        assert!(t.contains("\nprocess_open_fds "), "{t}");
        assert!(t.contains("\nprocess_cpu_seconds_total "), "{t}");
        assert!(t.ends_with("# EOF\n"));
    }

    #[test]
    fn connect_errors_have_reasons() {
        use std::io::{Error, ErrorKind};
        assert_eq!(
            ConnectFailure::of(&Error::from(ErrorKind::ConnectionRefused)),
            ConnectFailure::Refused
        );
        assert_eq!(
            ConnectFailure::of(&Error::from_raw_os_error(libc::EHOSTUNREACH)),
            ConnectFailure::Unreachable
        );
        assert_eq!(
            ConnectFailure::of(&Error::other("x")),
            ConnectFailure::Other
        );
    }
}
