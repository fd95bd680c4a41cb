//! Prometheus metrics: target state, active target, switches, connections,
//! connect failures, retries, refused clients. One explicit registry (no
//! globals), served at `http://<metrics address>/metrics` when configured.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetLabels {
    pub service: String,
    pub target: String,
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

pub struct Metrics {
    registry: Registry,
    pub available: Family<TargetLabels, Gauge>,
    pub listening: Family<TargetLabels, Gauge>,
    pub healthy: Family<TargetLabels, Gauge>,
    pub quiesced: Family<TargetLabels, Gauge>,
    pub active_target: Family<TargetLabels, Gauge>,
    pub switches: Family<ServiceLabels, Counter>,
    pub connections: Family<TargetLabels, Counter>,
    pub connections_active: Family<TargetLabels, Gauge>,
    pub connect_failures: Family<TargetLabels, Counter>,
    pub retries: Family<ServiceLabels, Counter>,
    pub rejected: Family<RejectLabels, Counter>,
    pub lost_in_flight: Family<TargetLabels, Counter>,
    /// With `--system`: 1 while this stack owns the DVIPA and accepts.
    pub dvipa_owned: Family<DvipaLabels, Gauge>,
    /// With `--system`: DVIPAs this stack took (over, back, or first).
    pub dvipa_moves: Family<MoveLabels, Counter>,
    /// From the arrival of evidence (a probe result, a failed connect) to
    /// the published route, for inputs that changed a route or state.
    pub decision: Histogram,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("zosmf_ha");
        let m = Metrics {
            available: Family::default(),
            listening: Family::default(),
            healthy: Family::default(),
            quiesced: Family::default(),
            active_target: Family::default(),
            switches: Family::default(),
            connections: Family::default(),
            connections_active: Family::default(),
            connect_failures: Family::default(),
            retries: Family::default(),
            rejected: Family::default(),
            lost_in_flight: Family::default(),
            dvipa_owned: Family::default(),
            dvipa_moves: Family::default(),
            decision: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            registry: Registry::default(),
        };
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
            "switches",
            "changes of the active target",
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
            "connect_failures",
            "connects to the target that failed",
            m.connect_failures.clone(),
        );
        registry.register(
            "retries",
            "client connections retried on another target",
            m.retries.clone(),
        );
        registry.register(
            "rejected",
            "client connections closed without a target",
            m.rejected.clone(),
        );
        registry.register(
            "lost_in_flight",
            "connections whose target closed or reset them before sending any byte",
            m.lost_in_flight.clone(),
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
        Metrics { registry, ..m }
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// Serve `/metrics` until `stop`, with bounds a scraper or an attacker
/// cannot push: at most `settings.max_connections` open at once (more are
/// closed at once), a header within `settings.header_timeout`, a whole
/// connection within 6 times that, one request per connection.
pub async fn serve(
    listener: Arc<TcpListener>,
    metrics: Arc<Metrics>,
    settings: crate::settings::Metrics,
    stop: CancellationToken,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.max_connections));
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let m = metrics.clone();
        let header = settings.header_timeout;
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let m = m.clone();
                async move {
                    let res = if req.uri().path() == "/metrics" {
                        Response::builder()
                            .header(
                                "content-type",
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )
                            .body(Full::new(Bytes::from(m.encode())))
                    } else {
                        Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::from("see /metrics\n")))
                    };
                    Ok::<_, Infallible>(
                        res.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))),
                    )
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(header * 6, conn).await;
            drop(slot);
        });
    }
}

pub fn labels(service: &zha_standby::ServiceKey, target: SocketAddr) -> TargetLabels {
    TargetLabels {
        service: service.to_string(),
        target: target.to_string(),
    }
}
