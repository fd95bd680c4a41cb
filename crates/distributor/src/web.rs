//! The HTTP side of the metrics address: `/metrics` (OpenMetrics),
//! `/healthz` (the process works: its control task answers), `/readyz`
//! (joined the group and accepting for the DVIPAs it owns), and the status
//! page at `/` and `/status`: the facts of `zosmf-ha top`, rendered on the
//! server as one HTML document with no external asset that reloads itself
//! every 2 s. Read-only: nothing here changes the distributor. Any other
//! path is a 404 page that lists these.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::protocol::{Flag, Reply, Report, SrvType, View};
use crate::shared::{Input, Shared};

/// How long a page waits for the control task.
const ANSWER: Duration = Duration::from_secs(2);

/// The page reloads itself this often (seconds).
pub const REFRESH: u32 = 2;

/// Serve until `stop`, with bounds a scraper or an attacker cannot push:
/// at most `settings.max_connections` open at once (more are closed at
/// once), a header within `settings.header_timeout`, a whole connection
/// within 6 times that, one request per connection.
pub async fn serve(
    listener: Arc<TcpListener>,
    shared: Arc<Shared>,
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
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let shared = shared.clone();
        let header = settings.header_timeout;
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(answer(&req, &shared).await) }
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

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

async fn answer<B>(req: &Request<B>, shared: &Shared) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            "read-only: GET only\n".into(),
        );
    }
    match req.uri().path() {
        "/metrics" => reply(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            shared.metrics.encode(),
        ),
        "/healthz" => match alive(shared, ANSWER).await {
            Ok(()) => reply(StatusCode::OK, TEXT, "ok\n".into()),
            Err(why) => reply(StatusCode::SERVICE_UNAVAILABLE, TEXT, format!("{why}\n")),
        },
        "/readyz" => match shared.readiness() {
            Ok(()) => reply(StatusCode::OK, TEXT, "ready\n".into()),
            Err(why) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                TEXT,
                format!("not ready: {why}\n"),
            ),
        },
        "/" | "/status" => match status(shared).await {
            Ok(v) => reply(StatusCode::OK, HTML, page(&v)),
            Err(why) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                HTML,
                shell("zosmf-ha", &format!("<p class=\"bad\">{}</p>", esc(&why))),
            ),
        },
        other => reply(StatusCode::NOT_FOUND, HTML, not_found(other)),
    }
}

/// Whether the control task answers within `within`.
pub async fn alive(shared: &Shared, within: Duration) -> Result<(), String> {
    let (tx, rx) = oneshot::channel();
    let asked = async {
        shared
            .inputs
            .send(Input::Ping(tx))
            .await
            .map_err(|_| "the distributor is stopping".to_owned())?;
        rx.await
            .map_err(|_| "the distributor is stopping".to_owned())
    };
    tokio::time::timeout(within, asked)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the distributor's control task did not answer within {within:?}"
            ))
        })
}

/// The status view, from the control task.
async fn status(shared: &Shared) -> Result<View, String> {
    let (tx, rx) = oneshot::channel();
    let req = crate::protocol::Request::Netstat {
        report: Report::Status,
    };
    if shared.inputs.send(Input::Request(req, tx)).await.is_err() {
        return Err("the distributor is stopping".into());
    }
    match tokio::time::timeout(ANSWER, rx).await {
        Ok(Ok(Reply::View(v))) => Ok(v),
        Ok(Ok(_)) | Ok(Err(_)) => Err("the distributor is stopping".into()),
        Err(_) => Err(format!(
            "the distributor's control task did not answer within {ANSWER:?}"
        )),
    }
}

/// Text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\
h1{font-size:1.3em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}\
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.Active{background:#d8f5d8}.Backup{background:#fff}.Quiesced{background:#fff2c6}.Unavailable{background:#f8d0d0}\
.bad{color:#a00}.meta{color:#555}code{font-size:.95em}";

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"refresh\" content=\"{REFRESH}\">\
<meta name=\"viewport\" content=\"width=device-width\">\
<title>{}</title><style>{STYLE}</style></head><body>\n{body}</body></html>\n",
        esc(title)
    )
}

fn not_found(path: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>404 Not Found</title>\
<style>{STYLE}</style></head><body>\n<h1>404 Not Found</h1>\n<p>zosmf-ha serves no <code>{}</code> here. It serves:</p>\n<ul>\
<li><a href=\"/\">/</a> (or <code>/status</code>): the status page</li>\
<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics (OpenMetrics)</li>\
<li><a href=\"/healthz\">/healthz</a>: the process works</li>\
<li><a href=\"/readyz\">/readyz</a>: ready for clients</li></ul>\n</body></html>\n",
        esc(path)
    )
}

/// How long ago, short: `3 s`, `2 min`, `5 h`.
pub fn ago(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.0} h", s / 3600.0)
    } else {
        format!("{:.0} d", s / 86_400.0)
    }
}

/// The role as z/OS names it: `Preferred`, `Backup 100`.
pub fn role(srv: SrvType, rank: Option<u8>) -> String {
    match (srv, rank) {
        (SrvType::Preferred, _) => "Preferred".into(),
        (SrvType::Backup, Some(r)) => format!("Backup {r}"),
        (SrvType::Backup, None) => "Backup".into(),
    }
}

pub fn flag_name(f: Flag) -> &'static str {
    match f {
        Flag::Active => "Active",
        Flag::Backup => "Backup",
        Flag::Quiesced => "Quiesced",
        Flag::Unavailable => "Unavailable",
    }
}

/// Why a target cannot take new connections, in a few words (empty when it can).
pub fn why_not(t: &crate::protocol::TargetRow) -> String {
    match t.flag {
        Flag::Quiesced => "quiesced by operator".into(),
        Flag::Unavailable => match (&t.probe, t.listening, t.healthy) {
            (_, Some(false), _) | (_, _, Some(false)) => {
                t.probe.as_ref().filter(|p| !p.passed).map_or_else(
                    || {
                        if t.listening == Some(false) {
                            "not listening".into()
                        } else {
                            "not healthy".into()
                        }
                    },
                    |p| short(&p.detail),
                )
            }
            (None, None, _) => "not probed yet".into(),
            _ => "unavailable".into(),
        },
        Flag::Active | Flag::Backup => String::new(),
    }
}

/// A probe's finding without the error number: "connect: Connection
/// refused" for "… (os error 111)".
fn short(detail: &str) -> String {
    match detail.rfind(" (os error ") {
        Some(i) if detail.ends_with(')') => detail[..i].to_owned(),
        _ => detail.to_owned(),
    }
}

/// The status page of a view.
pub fn page(v: &View) -> String {
    let now = crate::metrics::unix_now();
    let mut b = String::new();
    let who = v
        .system
        .as_deref()
        .map_or_else(|| "a lone distributor".to_owned(), |s| format!("stack {s}"));
    let _ = writeln!(
        b,
        "<h1>zosmf-ha: {}</h1>\n<p class=\"meta\" id=\"meta\">profile <code>{}</code> · forwarding <b id=\"forwarding\">{}</b> · pid {} · up {} · {} UTC · this page reloads every {REFRESH} s</p>",
        esc(&who),
        esc(&v.name),
        esc(v.forwarding.as_deref().unwrap_or("proxy")),
        v.pid,
        ago(now - v.started),
        esc(&v.time),
    );
    if v.system.is_some() {
        let _ = writeln!(
            b,
            "<h2>Sysplex group</h2>\n<p id=\"members\">Members: {}</p>",
            if v.members.is_empty() {
                "none (this stack is not a member)".to_owned()
            } else {
                esc(&v.members.join(" "))
            }
        );
    }
    if !v.vipadyn.is_empty() {
        b.push_str("<table id=\"dvipas\"><tr><th>DVIPA</th><th>Here</th><th>Origin</th><th>Rank</th><th>Owner</th></tr>\n");
        for r in &v.vipadyn {
            let _ = writeln!(
                b,
                "<tr data-dvipa=\"{a}\"><td>{a}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"owner\">{}</td></tr>",
                if r.active { "Active" } else { "Backup" },
                match r.origin {
                    crate::protocol::VipaKind::Define => "VIPADefine",
                    crate::protocol::VipaKind::Backup => "VIPABackup",
                },
                r.rank,
                esc(r.owner.as_deref().unwrap_or(if v.system.is_none() {
                    "this stack"
                } else {
                    "none"
                })),
                a = r.addr,
            );
        }
        b.push_str("</table>\n");
    }
    for s in &v.services {
        let dest = crate::display::dotted(s.dest);
        let active = s
            .active_target()
            .map(|t| t.system.clone().unwrap_or_else(|| t.target.to_string()));
        let _ = writeln!(
            b,
            "<h2>{dest}</h2>\n<p>New connections go to <b class=\"active\" data-service=\"{dest}\">{}</b>{} · {} · {}</p>",
            esc(active.as_deref().unwrap_or("nobody")),
            if s.starting {
                " (first probes not in yet)"
            } else {
                ""
            },
            if s.auto_switch_back {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            },
            if s.health_switch {
                "HEALTHSWITCH"
            } else {
                "NOHEALTHSWITCH"
            },
        );
        b.push_str("<table class=\"targets\"><tr><th>System</th><th>Target</th><th>Role</th><th>State</th><th>Why</th><th>Probe</th><th>Open</th><th>Total</th><th>Conn/s</th></tr>\n");
        for t in &s.targets {
            let probe = t.probe.as_ref().map_or_else(
                || "–".to_owned(),
                |p| {
                    format!(
                        "{} {:.1} ms, {} ago",
                        if p.passed { "passed" } else { "failed" },
                        p.ms,
                        ago(now - p.at)
                    )
                },
            );
            let flag = flag_name(t.flag);
            let _ = writeln!(
                b,
                "<tr class=\"{flag}\" data-service=\"{dest}\" data-system=\"{sys}\" data-state=\"{flag}\"><td>{sys}</td><td>{}</td><td>{}</td><td class=\"state\">{flag}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
                crate::display::dotted(t.target),
                role(t.srv_type, t.rank),
                esc(&why_not(t)),
                esc(&probe),
                t.active_conn,
                t.total_conn,
                t.rate,
                sys = esc(t.system.as_deref().unwrap_or("-")),
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("<h2>Latest events</h2>\n<table id=\"events\"><tr><th>When</th><th>Id</th><th>What</th></tr>\n");
    for e in v.events.iter().rev() {
        let _ = writeln!(
            b,
            "<tr><td>{} ago</td><td><code>{}</code></td><td>{}</td></tr>",
            ago(now - e.at),
            esc(&e.id),
            esc(&e.text)
        );
    }
    b.push_str("</table>\n");
    shell(&format!("zosmf-ha: {who}"), &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_unknown_paths_are_named_in_the_404() {
        assert_eq!(
            esc("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
        let p = not_found("/<script>");
        assert!(p.contains("/&lt;script&gt;") && !p.contains("<script>"));
        assert!(p.contains("href=\"/metrics\""));
    }

    #[test]
    fn the_page_of_an_empty_view_is_a_whole_document() {
        let p = page(&View::default());
        assert!(p.starts_with("<!DOCTYPE html>") && p.ends_with("</html>\n"));
        assert!(p.contains("http-equiv=\"refresh\""));
        assert!(
            !p.contains("src=") && !p.contains("<link"),
            "no external asset"
        );
    }

    #[test]
    fn error_numbers_are_left_out_of_why() {
        assert_eq!(
            short("connect: Connection refused (os error 111)"),
            "connect: Connection refused"
        );
        assert_eq!(short("HTTP 503"), "HTTP 503");
        assert_eq!(short("x (os error 1"), "x (os error 1");
    }

    #[test]
    fn ages() {
        assert_eq!(ago(3.2), "3 s");
        assert_eq!(ago(600.0), "10 min");
        assert_eq!(ago(7200.0), "2 h");
        assert_eq!(ago(-1.0), "0 s");
    }
}
