//! `zosmf-ha probe` against small servers of the test's own (loopback,
//! port 0, plain HTTP or TLS, answering the statuses they are told): the
//! accepted statuses, the trust (the system's CA store, --cacert), the
//! other protocol refused at once, --user, Ctrl-C, and the text and JSON
//! summaries saying the same.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::sysplex::Proc;
use crate::*;

/// A server on 127.0.0.1 (port 0) answering its n-th connection with the
/// n-th (status, system) of its cycle; plain HTTP, or TLS with a key ring
/// of its own. Stopped and joined when dropped.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn plain(cycle: &[(u16, &'static str)]) -> Server {
        Server::start(cycle.to_vec(), None)
    }

    fn tls(cycle: &[(u16, &'static str)], ring: &Ring) -> Server {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&ring.cert)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(&ring.key).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        Server::start(cycle.to_vec(), Some(Arc::new(config)))
    }

    fn start(cycle: Vec<(u16, &'static str)>, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let n = Arc::new(AtomicUsize::new(0));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let tcp = match l.accept() {
                        Ok((tcp, _)) => tcp,
                        Err(_) => {
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                    };
                    let (status, system) = cycle[n.fetch_add(1, Ordering::Relaxed) % cycle.len()];
                    let tls = tls.clone();
                    std::thread::spawn(move || answer(tcp, tls, status, system));
                }
            })
        };
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}/zosmf/info", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Read the request, answer `status` from `system`, close.
fn answer(tcp: TcpStream, tls: Option<Arc<rustls::ServerConfig>>, status: u16, system: &str) {
    let _ = tcp.set_nonblocking(false);
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let reply = format!(
        "HTTP/1.1 {status} X\r\nX-ZHA-System: {system}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let exchange = |s: &mut dyn ReadWrite| {
        let mut req = Vec::new();
        let mut b = [0u8; 4096];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut b) {
                Ok(0) | Err(_) => return,
                Ok(n) => req.extend_from_slice(&b[..n]),
            }
            // What is not an HTTP request (a TLS handshake) gets a 400 at
            // once, as web servers answer it.
            if !req[0].is_ascii_uppercase() {
                let _ = s.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return;
            }
        }
        let _ = s.write_all(reply.as_bytes());
        let _ = s.flush();
    };
    match tls {
        None => {
            let mut tcp = tcp;
            exchange(&mut tcp);
        }
        Some(c) => {
            let Ok(conn) = rustls::ServerConnection::new(c) else {
                return;
            };
            let mut s = rustls::StreamOwned::new(conn, tcp);
            exchange(&mut s);
            s.conn.send_close_notify();
            let _ = s.flush();
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A key ring (a CA and a server certificate for 127.0.0.1) in `dir`.
struct Ring {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// A CA of another name, which signed nothing here.
fn stranger_ca(dir: &Path) -> PathBuf {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "a CA of another name");
    let ca = params
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let p = dir.join("stranger.pem");
    std::fs::write(&p, ca.pem()).unwrap();
    p
}

fn ring(dir: &Path) -> Ring {
    let k = zha_zosmf::keyring::ensure(dir, &["127.0.0.1".into()]).unwrap();
    Ring {
        ca: k.ca,
        cert: k.cert,
        key: k.key,
    }
}

/// `zosmf-ha probe URL ARGS` with SSL_CERT_FILE as given (the system's
/// store otherwise left as the machine has it).
fn probe(url: &str, args: &[&str], cert_file: Option<&Path>) -> Output {
    let mut c = bin();
    c.arg("probe")
        .arg(url)
        .args(args)
        .env_remove("SSL_CERT_DIR");
    match cert_file {
        Some(f) => c.env("SSL_CERT_FILE", f),
        None => c.env_remove("SSL_CERT_FILE"),
    };
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

/// The text summary's lines, by label (`requests`, `answered by`, …).
fn summary(text: &str) -> BTreeMap<String, String> {
    let start = text
        .find("probe summary ---\n")
        .unwrap_or_else(|| panic!("no summary in:\n{text}"));
    text[start..]
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (label, value) = l.split_at_checked(14)?;
            Some((label.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// `SYSA 3, SYSB 1` as a map.
fn counted(s: &str) -> BTreeMap<String, u64> {
    if s == "nobody" {
        return BTreeMap::new();
    }
    s.split(", ")
        .map(|kv| {
            let (k, v) = kv.rsplit_once(' ').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

/// A JSON object of counts as a map.
fn counted_json(v: &serde_json::Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

const QUICK: [&str; 4] = ["--rate", "20", "--duration", "500ms"];

#[test]
fn probe_a_404_is_not_accepted() {
    let s = Server::plain(&[(404, "SYSA")]);
    let o = probe(&s.url("http"), &QUICK, None);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let t = summary(&stdout(&o));
    assert_eq!(t["not accepted"], "404 10", "{t:?}");
    assert!(
        t["availability"].starts_with("0.00% (0 of 10 requests"),
        "{t:?}"
    );
    let o = probe(
        &s.url("http"),
        &[&QUICK[..], &["--format", "json"]].concat(),
        None,
    );
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(
        (v["requests"].as_u64(), v["accepted"].as_u64()),
        (Some(10), Some(0)),
        "{v}"
    );
    assert_eq!(v["accept"], "200-399,401,403");
    // Accepted when the set says so.
    let o = probe(
        &s.url("http"),
        &[&QUICK[..], &["--accept", "2xx,404"]].concat(),
        None,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn probe_401_and_403_are_accepted() {
    let s = Server::plain(&[(401, "SYSA"), (403, "SYSA")]);
    let o = probe(
        &s.url("http"),
        &[&QUICK[..], &["--format", "json"]].concat(),
        None,
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["accepted"], 10, "{v}");
    assert_eq!(v["by_status"]["401"], 5, "{v}");
    assert_eq!(v["by_status"]["403"], 5, "{v}");
    assert_eq!(v["availability_percent"], 100.0, "{v}");
    // A bad set is refused with what is wrong.
    let o = probe(&s.url("http"), &["--accept", "200-600"], None);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`200-600` is out of range"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn probe_http_urls_work_and_the_other_protocol_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = ring(dir.path());
    let plain = Server::plain(&[(200, "SYSA")]);
    let tls = Server::tls(&[(200, "SYSA")], &r);
    let o = probe(
        &plain.url("http"),
        &[&QUICK[..], &["--json"]].concat(),
        None,
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["by_system"]["SYSA"], 10);
    // The TLS server works over https.
    let ca = r.ca.to_str().unwrap();
    let o = probe(
        &tls.url("https"),
        &[&QUICK[..], &["--cacert", ca]].concat(),
        None,
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // The other protocol: one line at once, not a run of failures.
    for (url, says, hint) in [
        (
            tls.url("http"),
            "speaks TLS, not plain HTTP",
            "use https://",
        ),
        (
            plain.url("https"),
            "speaks plain HTTP, not TLS",
            "use http://",
        ),
    ] {
        let t = Instant::now();
        let o = probe(&url, &["--duration", "10s", "--cacert", ca], None);
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(says) && e.contains(hint), "{e}");
    }
}

#[test]
fn probe_trusts_the_system_store_and_cacert_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = ring(&dir.path().join("good"));
    let stranger = stranger_ca(dir.path());
    let s = Server::tls(&[(200, "SYSA")], &r);
    let url = s.url("https");
    // The system's store (here SSL_CERT_FILE) holds the server's CA.
    let o = probe(&url, &QUICK, Some(&r.ca));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // It does not: every request failed, and why, in text and JSON.
    let o = probe(&url, &QUICK, Some(&stranger));
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let t = summary(&stdout(&o));
    assert_eq!(t["failed"], "10", "{t:?}");
    assert!(
        t["errors"].starts_with("certificate not trusted: UnknownIssuer"),
        "{t:?}"
    );
    let o = probe(
        &url,
        &[&QUICK[..], &["--format", "json"]].concat(),
        Some(&stranger),
    );
    let v = json(&o);
    assert_eq!(v["failed"], 10, "{v}");
    let errors = counted_json(&v["errors"]);
    assert_eq!(errors.len(), 1, "{v}");
    assert!(
        errors
            .keys()
            .all(|e| e.starts_with("certificate not trusted")),
        "{v}"
    );
    // --cacert replaces the store, as curl's does.
    let o = probe(
        &url,
        &[&QUICK[..], &["--cacert", stranger.to_str().unwrap()]].concat(),
        Some(&r.ca),
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("certificate not trusted"),
        "{}",
        stdout(&o)
    );
    // An empty store is an error that says what to do, before any request.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let o = probe(&url, &QUICK, Some(&empty));
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the system's CA store holds no certificate"),
        "{e}"
    );
    assert!(
        e.contains("SSL_CERT_FILE=") && e.contains("--cacert FILE"),
        "{e}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn probe_user_without_a_colon_is_refused() {
    let o = run(&["probe", "http://127.0.0.1:9", "--user", "nocolon"]);
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("--user") && e.contains("write USER:PASSWORD"),
        "{e}"
    );
    assert_eq!(stdout(&o), "");
    // With a colon, the credentials are sent (the server answers anyway).
    let s = Server::plain(&[(200, "SYSA")]);
    let o = probe(
        &s.url("http"),
        &[&QUICK[..], &["--user", "IBMUSER:sec:ret"]].concat(),
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn probe_ctrl_c_prints_the_summary() {
    let s = Server::plain(&[(200, "SYSA")]);
    let mut c = bin();
    c.arg("probe")
        .arg(s.url("http"))
        .args(["--duration", "60s"]);
    let mut p = Proc::spawn(c);
    p.expect("1s  ");
    let t = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, out) = p.wait();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(status, 0, "{out}");
    let t = summary(&format!("{out}\n"));
    assert!(t["requests"].contains(", stopped by Ctrl-C"), "{out}");
    assert_eq!(t["failed"], "0", "{out}");
    assert!(t["availability"].starts_with("100.00%"), "{out}");
}

/// Two runs against the same cycle of answers (so the same counts): what
/// the text summary says is what the JSON says, field by field.
#[test]
fn probe_text_and_json_summaries_agree() {
    let cycle = [(200, "SYSA"), (401, "SYSB"), (404, "SYSA"), (503, "SYSB")];
    let args = ["--rate", "20", "--duration", "1s"];
    let s = Server::plain(&cycle);
    let text = probe(
        &s.url("http"),
        &[&args[..], &["--format", "text"]].concat(),
        None,
    );
    drop(s);
    let s = Server::plain(&cycle);
    let o = probe(
        &s.url("http"),
        &[&args[..], &["--format", "json"]].concat(),
        None,
    );
    assert_eq!(code(&text), code(&o));
    assert_eq!(code(&o), 1, "404 and 503 are not accepted");
    let v = json(&o);
    assert_eq!(v["version"], 1, "{v}");
    let t = summary(&stdout(&text));

    let requests: u64 = t["requests"].split(' ').next().unwrap().parse().unwrap();
    assert_eq!(Some(requests), v["requests"].as_u64(), "{t:?} {v}");
    assert_eq!(requests, 20);
    assert_eq!(counted(&t["answered by"]), counted_json(&v["by_system"]));
    assert_eq!(counted(&t["statuses"]), counted_json(&v["by_status"]));
    assert_eq!(counted(&t["statuses"]).len(), 4, "{t:?}");
    let refused: BTreeMap<String, u64> = counted_json(&v["by_status"])
        .into_iter()
        .filter(|(s, _)| s == "404" || s == "503")
        .collect();
    assert_eq!(counted(&t["not accepted"]), refused);
    assert_eq!(t["failed"], v["failed"].to_string());
    assert_eq!(t["cut"], v["cut"].to_string());
    assert!(!t.contains_key("errors") && v["errors"].as_object().unwrap().is_empty());
    let availability = format!(
        "{:.2}% ({} of {} requests answered with a status in {})",
        v["availability_percent"].as_f64().unwrap(),
        v["accepted"],
        v["requests"],
        v["accept"].as_str().unwrap()
    );
    assert_eq!(t["availability"], availability);
    // Latencies are each run's own: both give every percentile.
    let latency = &t["latency"];
    for p in ["p50", "p90", "p99", "max"] {
        assert!(v["latency_ms"][p].as_f64().is_some(), "{v}");
        assert!(latency.contains(&format!("{p} ")), "{latency}");
    }
}
