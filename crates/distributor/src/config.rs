//! `zosmf-ha.toml`: what z/OS does not say — probes, timeouts, where to
//! listen and connect on this machine, limits, control and metrics. Every
//! setting has a default, so `distribute --profile FILE` alone works.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
pub struct Settings {
    pub probe: Probe,
    pub connect: Connect,
    pub listen: Listen,
    /// Where to connect instead of DESTIP:port, e.g. `"10.1.1.1:443" = "127.0.0.11:8443"`.
    pub targets: BTreeMap<String, SocketAddr>,
    /// System names of DESTIP addresses, for `vary quiesce SYSA`: `SYSA = "10.1.1.1"`.
    pub systems: BTreeMap<String, IpAddr>,
    pub limits: Limits,
    pub control: Control,
    pub metrics: Metrics,
    pub state: State,
    pub pump: Pump,
    pub log: Log,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Probe {
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    /// The application probe; none unless this table is present.
    pub http: Option<HttpProbe>,
}

impl Default for Probe {
    fn default() -> Probe {
        Probe {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            rise: 2,
            fall: 2,
            http: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpProbe {
    /// The path to GET, e.g. `/zosmf/info`.
    pub path: String,
    /// HTTPS (true, the default) or plain HTTP.
    pub tls: bool,
    /// PEM file of the CA certificates to trust.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (testing only).
    pub insecure: bool,
    /// Accepted statuses, e.g. "200-499" (401 means alive, 503 not ready).
    pub accept: StatusRange,
    /// The Host header and TLS server name; default: the DVIPA.
    pub host: Option<String>,
}

impl Default for HttpProbe {
    fn default() -> HttpProbe {
        HttpProbe {
            path: "/zosmf/info".into(),
            tls: true,
            ca_file: None,
            insecure: false,
            accept: StatusRange { lo: 200, hi: 499 },
            host: None,
        }
    }
}

/// `"200-499"` or `"200"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRange {
    pub lo: u16,
    pub hi: u16,
}

impl StatusRange {
    pub fn contains(self, s: u16) -> bool {
        self.lo <= s && s <= self.hi
    }
}

impl<'de> Deserialize<'de> for StatusRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StatusRange, D::Error> {
        let s = String::deserialize(d)?;
        let parse = |x: &str| {
            x.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (100..=599).contains(n))
        };
        let r = match s.split_once('-') {
            Some((a, b)) => parse(a)
                .zip(parse(b))
                .map(|(lo, hi)| StatusRange { lo, hi }),
            None => parse(&s).map(|n| StatusRange { lo: n, hi: n }),
        };
        r.filter(|r| r.lo <= r.hi).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a status range like \"200-499\""))
        })
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Connect {
    /// Connect timeout to a target (SPEC §1: 500 ms).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Try the next target for the same client when a connect fails.
    pub retry: bool,
    /// Replay up to 64 KiB of client bytes to the next target when a target
    /// closes or resets before sending any byte (off: a server may have acted).
    pub replay: bool,
    /// TCP keepalive idle time on both legs; `"0s"` turns it off.
    #[serde(with = "humantime_serde")]
    pub keepalive: Duration,
    /// Send a PROXY protocol v2 header to targets.
    pub proxy_protocol: bool,
}

impl Default for Connect {
    fn default() -> Connect {
        Connect {
            timeout: Duration::from_millis(500),
            retry: true,
            replay: false,
            keepalive: Duration::from_secs(60),
            proxy_protocol: false,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Listen {
    /// Bind here instead of the DVIPA (a DVIPA that is not local).
    pub address: Option<IpAddr>,
    /// Port remapping, e.g. `443 = 8443` when not root.
    pub ports: BTreeMap<String, u16>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Client connections open at once; more are refused at once.
    pub max_connections: usize,
    /// Close a connection with no byte either way for this long; "0s": never.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// On SIGTERM, how long existing connections may finish.
    #[serde(with = "humantime_serde")]
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 10_000,
            idle_timeout: Duration::from_secs(3600),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Control {
    /// The Unix socket for netstat/vary/reload; default `<state dir>/control.sock`.
    pub socket: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Metrics {
    /// Serve Prometheus metrics at http://ADDRESS/metrics; off by default.
    pub address: Option<SocketAddr>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct State {
    /// Where the active targets are kept across restarts; default
    /// `$XDG_STATE_HOME/zosmf-ha`, else `~/.local/state/zosmf-ha`.
    pub dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Pump {
    /// Move bytes with splice(2) on Linux (plain TCP only).
    pub splice: bool,
    /// Buffer per direction for the portable path, in bytes.
    pub buffer: usize,
}

impl Default for Pump {
    fn default() -> Pump {
        Pump {
            splice: cfg!(target_os = "linux"),
            buffer: 64 * 1024,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Log {
    /// "human" (default) or "json".
    pub format: LogFormat,
    /// One line per closed client connection.
    pub access: Option<bool>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The state directory: the setting, else XDG, else ~/.local/state.
pub fn default_state_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("zosmf-ha");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".local/state/zosmf-ha");
    }
    PathBuf::from(".zosmf-ha")
}

impl Settings {
    pub fn state_dir(&self) -> PathBuf {
        self.state.dir.clone().unwrap_or_else(default_state_dir)
    }

    pub fn control_socket(&self) -> PathBuf {
        self.control
            .socket
            .clone()
            .unwrap_or_else(|| self.state_dir().join("control.sock"))
    }

    /// The port to listen on for a DVIPA port.
    pub fn listen_port(&self, port: u16) -> u16 {
        self.listen
            .ports
            .get(&port.to_string())
            .copied()
            .unwrap_or(port)
    }

    /// Where to connect for DESTIP:port.
    pub fn target(&self, destip: SocketAddr) -> SocketAddr {
        self.targets
            .get(&destip.to_string())
            .copied()
            .unwrap_or(destip)
    }

    /// The system name of a DESTIP address, if configured.
    pub fn system_of(&self, ip: IpAddr) -> Option<String> {
        self.systems
            .iter()
            .find(|(_, a)| **a == ip)
            .map(|(n, _)| n.clone())
    }
}

/// Parse settings; the error is a finding with the TOML location.
pub fn parse(path: &Path, text: &str) -> Result<Settings, String> {
    let s: Settings = toml::from_str(text).map_err(|e| {
        let loc = e.span().map(|sp| {
            let line = text[..sp.start.min(text.len())].matches('\n').count() + 1;
            format!(":{line}")
        });
        format!(
            "{}{}: {}",
            path.display(),
            loc.unwrap_or_default(),
            e.message().trim()
        )
    })?;
    for k in s.listen.ports.keys() {
        if k.parse::<u16>().is_err() {
            return Err(format!(
                "{}: [listen.ports] key `{k}` is not a port",
                path.display()
            ));
        }
    }
    for k in s.targets.keys() {
        if k.parse::<SocketAddr>().is_err() {
            return Err(format!(
                "{}: [targets] key `{k}` is not DESTIP:PORT",
                path.display()
            ));
        }
    }
    if s.probe.rise == 0 || s.probe.fall == 0 {
        return Err(format!(
            "{}: probe rise and fall must be at least 1",
            path.display()
        ));
    }
    if s.probe.interval.is_zero() || s.probe.timeout.is_zero() || s.connect.timeout.is_zero() {
        return Err(format!(
            "{}: probe interval, probe timeout and connect timeout must be above 0",
            path.display()
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_full_file() {
        let s = parse(Path::new("x"), "").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.connect.timeout, Duration::from_millis(500));
        let s = parse(
            Path::new("x"),
            r#"
[probe]
interval = "250ms"
rise = 1
[probe.http]
path = "/zosmf/info"
insecure = true
accept = "200-404"
[connect]
timeout = "200ms"
replay = true
[listen]
address = "127.0.0.10"
ports = { 443 = 8443 }
[targets]
"10.1.1.1:443" = "127.0.0.11:8443"
[systems]
SYSA = "10.1.1.1"
"#,
        )
        .unwrap();
        assert_eq!(s.probe.interval, Duration::from_millis(250));
        assert_eq!(
            s.probe.http.as_ref().unwrap().accept,
            StatusRange { lo: 200, hi: 404 }
        );
        assert_eq!(s.listen_port(443), 8443);
        assert_eq!(s.listen_port(7554), 7554);
        assert_eq!(
            s.target("10.1.1.1:443".parse().unwrap()),
            "127.0.0.11:8443".parse().unwrap()
        );
        assert_eq!(
            s.system_of("10.1.1.1".parse().unwrap()).as_deref(),
            Some("SYSA")
        );
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse(Path::new("z.toml"), "[probe]\ninterval = \"soon\"\n").unwrap_err();
        assert!(e.starts_with("z.toml:2"), "{e}");
        assert!(parse(Path::new("z"), "[probe.http]\naccept = \"600\"\n").is_err());
        assert!(parse(Path::new("z"), "[listen]\nports = { https = 1 }\n").is_err());
        assert!(parse(Path::new("z"), "bogus = 1\n").is_err());
    }
}
