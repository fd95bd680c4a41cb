//! zosmf-ha.toml from fuzzed bytes: parse it, and when it parses, use what
//! the distributor derives from it at start. Nothing may panic, and every
//! value that parses is within its documented range.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use zha_distributor::settings::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(s) = parse(Path::new("/etc/zosmf-ha/zosmf-ha.toml"), text) else {
        return;
    };
    assert!((1..=1_000_000).contains(&s.limits.max_connections));
    assert!((1024..=16 << 20).contains(&s.pump.buffer));
    assert!(s.probe.interval.as_millis() >= 10 && s.probe.timeout.as_secs() <= 600);
    let _ = s.state_dir();
    let _ = s.control_socket();
    for port in [0, 443, 7554, u16::MAX] {
        let _ = s.listen_port(port);
    }
    for t in s.targets.keys() {
        let _ = s.target(*t);
    }
    // What the start builds from it.
    let now = std::time::Instant::now();
    let probe = zha_standby::ProbeSpec {
        interval: s.probe.interval,
        timeout: s.probe.timeout,
        rise: s.probe.rise,
        fall: s.probe.fall,
        application: s.probe.http.is_some(),
    };
    let _ = now + probe.interval + probe.timeout * 3;
    let _ = tokio::sync::Semaphore::new(s.limits.max_connections);
    let _ = vec![0u8; s.pump.buffer];
});
