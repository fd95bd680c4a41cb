//! The status page in a real browser: headless Chromium driven through
//! chromedriver (WebDriver) keeps one page open while the test quiesces a
//! target; the page reloads itself and the open page's DOM shows the
//! quiesce and the switch. A screenshot is kept as
//! target/tmp/status-page.png.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Net;
use crate::distribute::{Backend, LIMIT, Start};

/// chromedriver on a port of its own, killed at the end (with its browser).
struct Driver {
    child: Child,
    base: String,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        let chromium = zha_testkit::require("chromium", "apt-get install -y chromium");
        let driver = zha_testkit::require("chromedriver", "apt-get install -y chromium-driver");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            session: None,
            _profile: profile,
        };
        let end = Instant::now() + LIMIT;
        while ureq::get(&format!("{}/status", d.base)).call().is_err() {
            assert!(Instant::now() < end, "chromedriver did not answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        // As root Chromium needs --no-sandbox.
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900",
                     format!("--user-data-dir={}", d._profile.path().display())],
        }}}});
        let v = d.post("/session", caps);
        d.session = Some(
            v["value"]["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {v}"))
                .to_owned(),
        );
        d
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let r = ureq::post(&format!("{}{path}", self.base))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(body)
            .unwrap();
        r.into_body().read_json().unwrap()
    }

    fn at(&self, path: &str) -> String {
        format!(
            "/session/{}{path}",
            self.session.as_deref().unwrap_or_default()
        )
    }

    fn open(&self, url: &str) {
        let v = self.post(&self.at("/url"), json!({ "url": url }));
        assert!(v["value"].is_null(), "{v}");
    }

    /// Run `script` in the open page; its value.
    fn eval(&self, script: &str) -> Value {
        self.post(
            &self.at("/execute/sync"),
            json!({ "script": script, "args": [] }),
        )["value"]
            .clone()
    }

    /// Wait until `script` returns `want` in the open page.
    fn wait(&self, script: &str, want: Value) {
        let end = Instant::now() + LIMIT;
        loop {
            let got = self.eval(script);
            if got == want {
                return;
            }
            assert!(
                Instant::now() < end,
                "{script} is {got}, not {want}; the page: {}",
                self.eval("return document.body ? document.body.innerText : null")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, to: &std::path::Path) {
        use base64::Engine;
        let v: Value = ureq::get(&format!("{}{}", self.base, self.at("/screenshot")))
            .call()
            .unwrap()
            .into_body()
            .read_json()
            .unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(v["value"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "no PNG");
        std::fs::write(to, png).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.session.is_some() {
            let _ = ureq::delete(&format!("{}{}", self.base, self.at(""))).call();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const STATE: &str = "const r = document.querySelector('tr[data-system=\"SYSA\"]'); return r ? r.dataset.state : null;";
const ACTIVE: &str =
    "const b = document.querySelector('b.active'); return b ? b.textContent : null;";

#[test]
fn the_status_page_follows_a_quiesce_in_an_open_browser() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let port = std::net::TcpListener::bind((net.ip(99), 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics = format!("{}:{port}", net.ip(99));
    let d = Start::new(&net)
        .extra(&format!("[metrics]\naddress = \"{metrics}\"\n"))
        .run();
    d.wait_for(|| d.active().is_some_and(|a| a.ends_with(".11:8443")));
    let browser = Driver::start();
    browser.open(&format!("http://{metrics}/"));
    browser.wait(STATE, json!("Active"));
    browser.wait(ACTIVE, json!("SYSA"));
    // A mark in this document: gone once the page has reloaded itself.
    browser.eval("window.zhaMark = 1; return null;");

    assert!(d.zha(&["vary", "quiesce", "SYSA"]).status.success());
    browser.wait(STATE, json!("Quiesced"));
    browser.wait(ACTIVE, json!("SYSB"));
    assert_eq!(
        browser.eval("return window.zhaMark === undefined;"),
        json!(true),
        "the page did not reload itself"
    );
    let events = browser.eval("return document.getElementById('events').innerText;");
    assert!(
        events
            .as_str()
            .is_some_and(|e| e.contains("ZHA3003I") && e.contains("ZHA3005I")),
        "{events}"
    );
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page.png");
    browser.screenshot(&shot);
    eprintln!("screenshot: {}", shot.display());

    // A path that does not exist: the 404 page, in the browser too.
    browser.open(&format!("http://{metrics}/nope"));
    browser.wait("return document.title;", json!("404 Not Found"));
    browser.wait(
        "return document.querySelector('a[href=\"/metrics\"]') !== null;",
        json!(true),
    );
}
