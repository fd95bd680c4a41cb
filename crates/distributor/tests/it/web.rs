//! The metrics address as an operator meets it: `/healthz`, `/readyz`,
//! the status page and its 404, metrics worth alerting on (bytes each
//! way, switches and failed connects by reason, probe latency, the active
//! target and since when, process metrics), and an address in use.

use std::time::Duration;

use zha_distributor::protocol::{Reply, VaryAction};

use crate::support::*;

fn extra(net: &Net) -> String {
    format!(
        "[metrics]\naddress = \"{}:0\"\n[systems]\nSYSA = \"{}\"\nSYSB = \"{}\"\n",
        net.ip(99),
        net.ip(11),
        net.ip(12)
    )
}

#[tokio::test]
async fn health_readiness_status_page_and_404() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, &extra(&net)).await;
    let m = d.running.as_ref().unwrap().metrics_addr.unwrap();
    assert_eq!(get(m, "/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(get(m, "/readyz").await, (200, "ready\n".to_owned()));

    let (status, page) = get(m, "/").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains("data-system=\"SYSA\" data-state=\"Active\""),
        "{page}"
    );
    assert!(
        page.contains("data-system=\"SYSB\" data-state=\"Backup\""),
        "{page}"
    );
    assert!(
        page.contains("forwarding <b id=\"forwarding\">proxy</b>"),
        "{page}"
    );
    // The first choice is an event, with its message id.
    assert!(page.contains("<code>ZHA3025I</code>"), "{page}");
    assert_eq!(get(m, "/status").await.0, 200);

    // A quiesce shows, with why, and moves the active target.
    let r = d.vary(VaryAction::Quiesce, "SYSA", None).await;
    assert!(matches!(r, Reply::Done { .. }), "{r:?}");
    let (_, page) = get(m, "/status").await;
    assert!(
        page.contains("data-system=\"SYSA\" data-state=\"Quiesced\"")
            && page.contains("quiesced by operator"),
        "{page}"
    );
    assert!(page.contains("<code>ZHA3005I</code>"), "{page}");

    let (status, body) = get(m, "/no/such/page?x=%3Cb%3E").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("404 Not Found") && body.contains("href=\"/metrics\""),
        "{body}"
    );
    assert!(body.contains("<code>/no/such/page</code>"), "{body}");
}

#[tokio::test]
async fn metrics_say_what_an_operator_alerts_on() {
    let net = Net::new();
    let (a, _b, d) = pair(&net, &extra(&net)).await;
    let m = d.running.as_ref().unwrap().metrics_addr.unwrap();
    let service = format!("{}..{PORT}", net.ip(10));
    let sysa = format!(
        "service=\"{service}\",target=\"{}\",system=\"SYSA\"",
        net.sys(1)
    );
    // One request: bytes each way, counted when the connection ends.
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    let page = metrics_wait(m, |p| {
        metric(
            p,
            &format!("zosmf_ha_bytes_total{{{sysa},direction=\"to_client\"}}"),
        ) > Some(0.0)
    })
    .await;
    assert!(
        metric(
            &page,
            &format!("zosmf_ha_bytes_total{{{sysa},direction=\"to_target\"}}")
        ) > Some(0.0),
        "{page}"
    );
    // Probes: latency, last result, when.
    let probe = format!("target=\"{}\",system=\"SYSA\"", net.sys(1));
    assert!(metric(&page, &format!("zosmf_ha_probe_success{{{probe}}}")) == Some(1.0));
    assert!(
        metric(
            &page,
            &format!("zosmf_ha_probe_duration_seconds_count{{{probe}}}")
        ) >= Some(1.0),
        "{page}"
    );
    let last = metric(&page, &format!("zosmf_ha_probe_last_seconds{{{probe}}}")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - last).abs() < 60.0, "{last} vs {now}");
    let since = metric(
        &page,
        &format!("zosmf_ha_active_since_seconds{{service=\"{service}\"}}"),
    )
    .unwrap();
    assert!((now - since).abs() < 60.0, "{since} vs {now}");
    assert!(page.contains("zosmf_ha_build_info{version=\""), "{page}");
    assert!(metric(&page, "process_open_fds ") > Some(0.0), "{page}");
    assert!(
        metric(&page, "process_resident_memory_bytes ") > Some(0.0),
        "{page}"
    );

    // SYSA dies: the next client's connect is refused (a failed connect by
    // reason), the client is retried on SYSB, and the switch has a reason.
    a.kill();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    let page = metrics_wait(m, |p| {
        metric(
            p,
            &format!("zosmf_ha_switches_total{{service=\"{service}\",reason=\"unavailable\"}}"),
        ) == Some(1.0)
    })
    .await;
    assert!(
        metric(
            &page,
            &format!("zosmf_ha_connect_failures_total{{{sysa},reason=\"refused\"}}")
        ) >= Some(1.0),
        "{page}"
    );
    assert_eq!(
        metric(
            &page,
            &format!("zosmf_ha_connect_failures_total{{{sysa},reason=\"timeout\"}}")
        ),
        Some(0.0)
    );
}

/// The metrics page once `ok` holds of it.
async fn metrics_wait(m: std::net::SocketAddr, ok: impl Fn(&str) -> bool) -> String {
    let end = tokio::time::Instant::now() + LIMIT;
    loop {
        let page = metrics_page(m).await;
        if ok(&page) {
            return page;
        }
        assert!(tokio::time::Instant::now() < end, "{page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_metrics_address_in_use_is_a_clear_error_at_start() {
    let net = Net::new();
    let held = std::net::TcpListener::bind((net.ip(99), 0)).unwrap();
    let e = Dist::start_error(
        &net.profile(&[None, Some(100)], true),
        &format!("[metrics]\naddress = \"{}\"\n", held.local_addr().unwrap()),
    )
    .await;
    let msg = e.to_string();
    assert!(
        msg.contains("cannot listen for metrics on")
            && msg.contains("another process listens there"),
        "{msg}"
    );
}
