//! `zosmf-ha.toml`: what z/OS does not say — probes, timeouts, where to
//! listen and connect on this machine, limits, control and metrics. Every
//! setting has a default, so `distribute --profile FILE` alone works.
//!
//! Relative paths in the file are relative to the file's folder (under
//! systemd the current directory is `/`). Map keys are typed: a key that
//! is not an address or a port, or two keys that are the same address
//! written twice (`"10.1.1.1:443"` and `"10.1.1.1:0443"`), are errors with
//! their place, never silently ignored.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use zha_client::StatusSet;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
pub struct Settings {
    /// How connections reach the targets (SPEC §8): "proxy" (default) or
    /// "kernel" (nftables and conntrack; needs CAP_NET_ADMIN and --system).
    pub forwarding: Forwarding,
    pub probe: Probe,
    pub connect: Connect,
    pub listen: Listen,
    /// Where to connect instead of DESTIP:port, e.g. `"10.1.1.1:443" = "127.0.0.11:8443"`.
    #[serde(deserialize_with = "typed_keys")]
    pub targets: BTreeMap<SocketAddr, SocketAddr>,
    /// System names of DESTIP addresses, for `vary quiesce SYSA`: `SYSA = "10.1.1.1"`.
    pub systems: BTreeMap<String, IpAddr>,
    pub limits: Limits,
    pub control: Control,
    pub metrics: Metrics,
    pub state: State,
    pub pump: Pump,
    pub tune: Tune,
    pub log: Log,
    /// A command run on events (none unless this table is present).
    pub hook: Option<Hook>,
}

/// `[hook]`: the command run on events (see `hooks`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    /// The program and its arguments (no shell), e.g. `["/usr/local/bin/notify", "ops"]`.
    #[serde(deserialize_with = "range::command")]
    pub command: Vec<String>,
    /// The kinds of event it runs for [every kind].
    #[serde(default = "all_kinds", deserialize_with = "range::kinds")]
    pub events: Vec<String>,
    /// It is killed after this long [10s] (10ms to 10min).
    #[serde(default = "hook_timeout", deserialize_with = "range::timeout")]
    pub timeout: Duration,
    /// At most one run starts per this long [1s] (0s to 1h); events that
    /// come faster wait (64 at most; more are dropped and counted).
    #[serde(default = "hook_interval", deserialize_with = "range::min_interval")]
    pub min_interval: Duration,
}

/// Every kind of event a hook can ask for.
pub const HOOK_EVENTS: [&str; 13] = [
    "switch",
    "first_active",
    "fallback",
    "recovered",
    "no_target",
    "target_up",
    "target_down",
    "target_healthy",
    "target_unhealthy",
    "quiesced",
    "resumed",
    "takeover",
    "takeback",
];

fn all_kinds() -> Vec<String> {
    HOOK_EVENTS.iter().map(|k| (*k).to_owned()).collect()
}

fn hook_timeout() -> Duration {
    Duration::from_secs(10)
}

fn hook_interval() -> Duration {
    Duration::from_secs(1)
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Probe {
    /// 10ms to 1h.
    #[serde(deserialize_with = "range::probe_interval")]
    pub interval: Duration,
    /// 10ms to 10min.
    #[serde(deserialize_with = "range::timeout")]
    pub timeout: Duration,
    /// 1 to 100.
    #[serde(deserialize_with = "range::count")]
    pub rise: u32,
    /// 1 to 100.
    #[serde(deserialize_with = "range::count")]
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
    /// Accepted statuses (SPEC §1), e.g. "200-399,401,403" (the default:
    /// a 401 or 403 means alive; a 404 a wrong path, a 503 not ready).
    pub accept: StatusSet,
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
            accept: StatusSet::default(),
            host: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Connect {
    /// Connect timeout to a target (SPEC §1: 500 ms); 10ms to 10min.
    #[serde(deserialize_with = "range::timeout")]
    pub timeout: Duration,
    /// Try the next target for the same client when a connect fails.
    pub retry: bool,
    /// Replay up to 64 KiB of client bytes to the next target when a target
    /// closes or resets before sending any byte (off: a server may have acted).
    pub replay: bool,
    /// TCP keepalive idle time on both legs, 1s to 2h; `"0s"` turns it off.
    #[serde(deserialize_with = "range::keepalive")]
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
    #[serde(deserialize_with = "typed_keys")]
    pub ports: BTreeMap<u16, u16>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Client connections open at once; more are refused at once.
    /// 1 to 1,000,000.
    #[serde(deserialize_with = "range::max_connections")]
    pub max_connections: usize,
    /// Close a connection with no byte either way for this long (10ms to
    /// 7 days); "0s": never.
    #[serde(deserialize_with = "range::idle")]
    pub idle_timeout: Duration,
    /// On SIGTERM, how long existing connections may finish.
    /// Once one side has closed, close the connection when no byte moves
    /// for this long (10ms to 1h; "0s": never). HAProxy's client-fin and
    /// server-fin.
    #[serde(deserialize_with = "range::half_closed")]
    pub half_closed_timeout: Duration,
    /// Give a connection up when its target sends nothing for this long
    /// after the client sent data (10ms to 1 day; "0s": never).
    #[serde(deserialize_with = "range::server")]
    pub server_timeout: Duration,
    /// At most 1h.
    #[serde(deserialize_with = "range::drain")]
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 10_000,
            idle_timeout: Duration::from_secs(3600),
            half_closed_timeout: Duration::from_secs(30),
            server_timeout: Duration::from_secs(300),
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

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Metrics {
    /// Serve Prometheus metrics at http://ADDRESS/metrics; off by default.
    pub address: Option<SocketAddr>,
    /// Connections to the metrics address open at once (1 to 10,000); more
    /// are closed at once, so scrapers cannot take the data path's file
    /// descriptors.
    #[serde(deserialize_with = "range::metrics_connections")]
    pub max_connections: usize,
    /// How long a request's header may take (10ms to 1min); a connection
    /// is closed after it, or after 6 times it in all.
    #[serde(deserialize_with = "range::timeout_short")]
    pub header_timeout: Duration,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            address: None,
            max_connections: 64,
            header_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct State {
    /// Where the active targets are kept across restarts; default
    /// `$STATE_DIRECTORY` (systemd's StateDirectory=), else `$XDG_STATE_HOME/zosmf-ha`, else `~/.local/state/zosmf-ha`.
    pub dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Pump {
    /// Move bytes with splice(2) on Linux (plain TCP only).
    pub splice: bool,
    /// Buffer per direction for the portable path, in bytes.
    /// 1 KiB to 16 MiB.
    #[serde(deserialize_with = "range::buffer")]
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

/// What bounds the kernel memory a connection can hold (HAProxy's
/// tune.sndbuf, tune.rcvbuf, tune.pipesize and maxpipes): clients that never
/// read must not drive the machine's TCP memory to its limit.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Tune {
    /// SO_SNDBUF of every socket, both legs, in bytes (4 KiB to 64 MiB);
    /// 0: the kernel's autotuning.
    #[serde(deserialize_with = "range::socket_buffer")]
    pub sndbuf: usize,
    /// SO_RCVBUF of every socket, both legs (4 KiB to 64 MiB); 0: autotuning.
    #[serde(deserialize_with = "range::socket_buffer")]
    pub rcvbuf: usize,
    /// The capacity of each splice pipe (4 KiB to 1 MiB).
    #[serde(deserialize_with = "range::pipe_size")]
    pub pipe_size: usize,
    /// Splice pipes that may exist at once (1 to 1,000,000); 0: a quarter
    /// of max_connections. Beyond them, bytes are copied through a buffer.
    #[serde(deserialize_with = "range::max_pipes")]
    pub max_pipes: usize,
}

impl Default for Tune {
    fn default() -> Tune {
        Tune {
            sndbuf: 0,
            rcvbuf: 0,
            pipe_size: 256 * 1024,
            max_pipes: 0,
        }
    }
}

impl Tune {
    /// The number of splice pipes for this connection limit.
    pub fn pipes(&self, max_connections: usize) -> usize {
        if self.max_pipes == 0 {
            (max_connections / 4).max(1)
        } else {
            self.max_pipes
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Log {
    /// "human" (default) or "json".
    pub format: LogFormat,
    /// One line per closed client connection.
    pub access: bool,
}

impl Default for Log {
    fn default() -> Log {
        Log {
            format: LogFormat::Human,
            access: true,
        }
    }
}

/// How connections reach the targets (SPEC §8).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Forwarding {
    /// The distributor terminates each client connection and opens one to
    /// the target: retries, replay, no privileges.
    #[default]
    Proxy,
    /// Netfilter forwards the packets (DNAT, conntrack): the target sees
    /// the client's address; no retry.
    Kernel,
}

/// Settings the proxy applies itself and kernel forwarding cannot: set in
/// kernel mode, they are refused (`[section] key`, and why).
pub const PROXY_ONLY: &[(&str, Option<&str>, &str)] = &[
    (
        "connect",
        Some("retry"),
        "the kernel cannot retry a client's connection on another target",
    ),
    (
        "connect",
        Some("replay"),
        "the kernel cannot replay a client's bytes",
    ),
    (
        "connect",
        Some("keepalive"),
        "the kernel does not own the connections' sockets",
    ),
    (
        "connect",
        Some("proxy_protocol"),
        "the target sees the client's own address already",
    ),
    (
        "listen",
        None,
        "the kernel forwards the DVIPA's own port; nothing listens",
    ),
    ("pump", None, "the kernel moves the bytes"),
    (
        "tune",
        None,
        "the kernel moves the bytes with the sockets' own buffers",
    ),
    (
        "limits",
        Some("drain_timeout"),
        "connections stay with conntrack when the distributor stops",
    ),
];

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The state directory: the setting, else XDG, else ~/.local/state.
pub fn default_state_dir() -> PathBuf {
    // systemd's StateDirectory= (the first, when it names several).
    if let Some(x) = std::env::var_os("STATE_DIRECTORY").filter(|v| !v.is_empty())
        && let Some(first) = std::env::split_paths(&x).next()
    {
        return first;
    }
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

    /// The settings of system `system`'s stack in a sysplex group on this
    /// machine: its own folder `<state dir>/<SYSTEM>` (state, control
    /// socket), beside the group's `<state dir>/group`, which it returns.
    /// One settings file so serves every stack of a machine.
    pub fn for_system(&mut self, system: &str) -> PathBuf {
        let base = self.state_dir();
        self.state.dir = Some(base.join(system));
        base.join("group")
    }

    pub fn control_socket(&self) -> PathBuf {
        self.control
            .socket
            .clone()
            .unwrap_or_else(|| self.state_dir().join("control.sock"))
    }

    /// The port to listen on for a DVIPA port.
    pub fn listen_port(&self, port: u16) -> u16 {
        self.listen.ports.get(&port).copied().unwrap_or(port)
    }

    /// Where to connect for DESTIP:port.
    pub fn target(&self, destip: SocketAddr) -> SocketAddr {
        self.targets.get(&destip).copied().unwrap_or(destip)
    }

    /// The system name of a DESTIP address, if configured.
    pub fn system_of(&self, ip: IpAddr) -> Option<String> {
        self.systems
            .iter()
            .find(|(_, a)| **a == ip)
            .map(|(n, _)| n.clone())
    }
}

/// A settings file that cannot be used: where, and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), place(*line, *column))]
pub struct SettingsError {
    pub path: PathBuf,
    /// 1-based, when the error has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

fn place(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// Read and parse a settings file (see [`parse`]).
pub fn read(path: &Path) -> Result<Settings, SettingsError> {
    use zha_plex::Fs;
    let err = |message: String| SettingsError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        message,
    };
    // A regular file, whole and bounded (a FIFO or a device is refused).
    let bytes = zha_plex::OsFs
        .read(path)
        .map_err(|e| err(format!("cannot read the settings file: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| err("the settings file is not UTF-8 text".into()))?;
    parse(path, &text)
}

/// Parse settings read from `path`: relative paths in them become relative
/// to the file's folder. The error has the line and column.
pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
    let err = |line, column, message: String| SettingsError {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let mut s: Settings = toml::from_str(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(sp) => {
                let before = &text[..sp.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        err(line, column, e.message().trim().to_owned())
    })?;
    if s.forwarding == Forwarding::Kernel
        && let Ok(doc) = toml::de::DeTable::parse(text)
    {
        for (section, key, why) in PROXY_ONLY {
            let Some(table) = doc.get_ref().get(*section) else {
                continue;
            };
            let span = match (key, table.get_ref()) {
                (None, _) => Some(table.span()),
                (Some(k), toml::de::DeValue::Table(t)) => t.get(*k).map(|v| v.span()),
                _ => None,
            };
            if let Some(sp) = span {
                let before = &text[..sp.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                let name = match key {
                    Some(k) => format!("[{section}] {k}"),
                    None => format!("[{section}]"),
                };
                return Err(err(
                    Some(line),
                    Some(column),
                    format!(
                        "{name} applies to forwarding = \"proxy\" only: {why}; remove it, or forward with the proxy"
                    ),
                ));
            }
        }
    }
    if s.probe.rise == 0 || s.probe.fall == 0 {
        return Err(err(
            None,
            None,
            "probe rise and fall must be at least 1".into(),
        ));
    }
    if s.probe.interval.is_zero() || s.probe.timeout.is_zero() || s.connect.timeout.is_zero() {
        return Err(err(
            None,
            None,
            "probe interval, probe timeout and connect timeout must be above 0".into(),
        ));
    }
    if let Some((from, _)) = s.listen.ports.iter().find(|(k, v)| **k == 0 || **v == 0) {
        return Err(err(
            None,
            None,
            format!("[listen] ports: port 0 is no port to listen on (in the mapping of {from})"),
        ));
    }
    // Relative paths are relative to this file's folder.
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    let resolve = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    if let Some(h) = s.probe.http.as_mut()
        && let Some(ca) = h.ca_file.as_mut()
    {
        resolve(ca);
    }
    if let Some(sock) = s.control.socket.as_mut() {
        resolve(sock);
    }
    if let Some(dir) = s.state.dir.as_mut() {
        resolve(dir);
    }
    // A program named with a folder is relative to the file too; a bare
    // name is looked up in PATH.
    if let Some(h) = s.hook.as_mut()
        && let Some(program) = h.command.first_mut()
        && program.contains('/')
    {
        let mut p = PathBuf::from(&*program);
        resolve(&mut p);
        *program = p.display().to_string();
    }
    Ok(s)
}

/// A TOML table whose keys are addresses or ports: each key parsed, and
/// two keys for the same value refused (a map would keep the last one).
fn typed_keys<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: de::Deserializer<'de>,
    K: FromStr + Ord + Display + KeyKind,
    V: Deserialize<'de>,
{
    struct Keys<K, V>(PhantomData<(K, V)>);

    impl<'de, K, V> Visitor<'de> for Keys<K, V>
    where
        K: FromStr + Ord + Display + KeyKind,
        V: Deserialize<'de>,
    {
        type Value = BTreeMap<K, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a table whose keys are {}", K::WHAT)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            let mut written: BTreeMap<String, String> = BTreeMap::new();
            while let Some(raw) = map.next_key::<String>()? {
                let key: K = raw
                    .trim()
                    .parse()
                    .map_err(|_| de::Error::custom(format!("key `{raw}` is not {}", K::WHAT)))?;
                let canonical = key.to_string();
                if let Some(first) = written.get(&canonical) {
                    return Err(de::Error::custom(format!(
                        "key `{raw}` is {canonical} again (already given as `{first}`)"
                    )));
                }
                written.insert(canonical, raw);
                out.insert(key, map.next_value()?);
            }
            Ok(out)
        }
    }

    d.deserialize_map(Keys(PhantomData))
}

/// The range of every bounded setting, checked where it is read, so that
/// the error has the value's place: nothing out of these ranges reaches the
/// runtime (a huge timeout would overflow a deadline, a huge buffer abort
/// the process, a tiny interval burn a core).
mod range {
    use std::time::Duration;

    use serde::de::{self, Deserialize, Deserializer};

    const MS: Duration = Duration::from_millis(1);
    const S: Duration = Duration::from_secs(1);
    const MIN: Duration = Duration::from_secs(60);
    const H: Duration = Duration::from_secs(3600);

    fn duration<'de, D: Deserializer<'de>>(
        d: D,
        lo: Duration,
        hi: Duration,
        zero: Option<&str>,
    ) -> Result<Duration, D::Error> {
        let v: Duration = humantime_serde::deserialize(d)?;
        if (v.is_zero() && zero.is_some()) || (lo <= v && v <= hi) {
            return Ok(v);
        }
        let f = humantime::format_duration;
        Err(de::Error::custom(format!(
            "{} is out of range: {} to {}{}",
            f(v),
            f(lo),
            f(hi),
            zero.map(|z| format!(", or 0s {z}")).unwrap_or_default()
        )))
    }

    fn number<'de, D: Deserializer<'de>>(d: D, lo: u64, hi: u64) -> Result<u64, D::Error> {
        let v = i128::deserialize(d)?;
        u64::try_from(v)
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or_else(|| de::Error::custom(format!("{v} is out of range: {lo} to {hi}")))
    }

    pub fn probe_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, 10 * MS, H, None)
    }

    pub fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, 10 * MS, 10 * MIN, None)
    }

    pub fn keepalive<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, S, 2 * H, Some("(off)"))
    }

    pub fn idle<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, 10 * MS, 7 * 24 * H, Some("(never)"))
    }

    pub fn half_closed<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, 10 * MS, H, Some("(never)"))
    }

    pub fn server<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, 10 * MS, 24 * H, Some("(never)"))
    }

    pub fn drain<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, MS, H, Some("(no drain)"))
    }

    pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        number(d, 1, 100).map(|v| v as u32)
    }

    pub fn min_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, Duration::ZERO, H, None)
    }

    /// A program and its arguments: at least the program, no empty word;
    /// a lone string is the program alone.
    pub fn command<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Words {
            One(String),
            Many(Vec<String>),
        }
        let v = match Words::deserialize(d).map_err(|_| {
            de::Error::custom(
                "write the program, or the program and its arguments, e.g. [\"/usr/local/bin/notify\", \"ops\"] (no shell)",
            )
        })? {
            Words::One(p) => vec![p],
            Words::Many(v) => v,
        };
        if v.is_empty() || v.iter().any(|w| w.is_empty()) {
            return Err(de::Error::custom(
                "write the program and its arguments, none empty, e.g. [\"/usr/local/bin/notify\", \"ops\"]",
            ));
        }
        Ok(v)
    }

    /// Event kinds, each one of `hooks::KINDS`.
    pub fn kinds<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        if let Some(bad) = v.iter().find(|k| !super::HOOK_EVENTS.contains(&k.as_str())) {
            return Err(de::Error::custom(format!(
                "`{bad}` is no event kind; the kinds are {}",
                super::HOOK_EVENTS.join(", ")
            )));
        }
        Ok(v)
    }

    pub fn timeout_short<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        duration(d, 10 * MS, MIN, None)
    }

    pub fn metrics_connections<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        number(d, 1, 10_000).map(|v| v as usize)
    }

    pub fn max_connections<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        number(d, 1, 1_000_000).map(|v| v as usize)
    }

    pub fn socket_buffer<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        let v = number(d, 0, 64 << 20)? as usize;
        if v != 0 && v < 4096 {
            return Err(de::Error::custom(format!(
                "{v} is out of range: 4096 to 67108864, or 0 (the kernel's)"
            )));
        }
        Ok(v)
    }

    pub fn pipe_size<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        number(d, 4096, 1 << 20).map(|v| v as usize)
    }

    pub fn max_pipes<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        number(d, 0, 1_000_000).map(|v| v as usize)
    }

    pub fn buffer<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        number(d, 1024, 16 << 20).map(|v| v as usize)
    }
}

/// What a typed key must be, for the error.
trait KeyKind {
    const WHAT: &'static str;
}

impl KeyKind for SocketAddr {
    const WHAT: &'static str = "DESTIP:PORT, e.g. \"10.1.1.1:443\"";
}

impl KeyKind for u16 {
    const WHAT: &'static str = "a port, e.g. 443";
}

/// The options every socket of the data path gets: TCP_NODELAY, keepalive
/// (idle time only; the kernel's probe interval and count), and the buffer
/// sizes of `[tune]` (0: the kernel's autotuning). Set on listeners once
/// (accepted sockets inherit them) and on each target socket before it
/// connects (so the receive window scales to the buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockOpts {
    pub keepalive: Duration,
    pub sndbuf: usize,
    pub rcvbuf: usize,
    /// Listeners bind an address that is not on this host yet (across
    /// hosts, the DVIPA is there only while this stack owns it).
    pub freebind: bool,
}

impl SockOpts {
    pub fn of(settings: &Settings) -> SockOpts {
        SockOpts {
            keepalive: settings.connect.keepalive,
            sndbuf: settings.tune.sndbuf,
            rcvbuf: settings.tune.rcvbuf,
            freebind: false,
        }
    }

    pub fn apply(&self, s: &impl std::os::fd::AsFd) {
        let s = socket2::SockRef::from(s);
        let _ = s.set_tcp_nodelay(true);
        if !self.keepalive.is_zero() {
            let _ = s.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(self.keepalive));
        }
        if self.sndbuf > 0 {
            let _ = s.set_send_buffer_size(self.sndbuf);
        }
        if self.rcvbuf > 0 {
            let _ = s.set_recv_buffer_size(self.rcvbuf);
        }
    }
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
        // The old single-range spelling is a set too.
        assert_eq!(s.probe.http.as_ref().unwrap().accept.to_string(), "200-404");
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

    /// SPEC §1: 2xx, 3xx, 401 and 403 are available; 404 and 5xx not.
    #[test]
    fn a_hook_is_a_program_and_its_arguments() {
        let s = parse(
            Path::new("/etc/z/zosmf-ha.toml"),
            "[hook]\ncommand = \"notify\"\n",
        )
        .unwrap();
        let h = s.hook.unwrap();
        assert_eq!(h.command, ["notify"]);
        assert_eq!(h.events.len(), HOOK_EVENTS.len());
        assert_eq!(
            (h.timeout, h.min_interval),
            (Duration::from_secs(10), Duration::from_secs(1))
        );
        let s = parse(
            Path::new("/etc/z/zosmf-ha.toml"),
            "[hook]\ncommand = [\"bin/notify\", \"ops\"]\nevents = [\"switch\"]\nmin_interval = \"0s\"\n",
        )
        .unwrap();
        let h = s.hook.unwrap();
        assert_eq!(
            h.command,
            ["/etc/z/bin/notify", "ops"],
            "a program with a folder is relative to the file"
        );
        assert_eq!(h.events, ["switch"]);
        assert!(parse(Path::new("z"), "[hook]\ncommand = [\"x\", \"\"]\n").is_err());
    }

    #[test]
    fn the_default_accepted_statuses_are_the_spec_ones() {
        let s = parse(Path::new("x"), "[probe.http]\npath = \"/zosmf/info\"\n").unwrap();
        let accept = &s.probe.http.as_ref().unwrap().accept;
        assert_eq!(accept.to_string(), "200-399,401,403");
        for status in [200, 204, 301, 302, 399, 401, 403] {
            assert!(accept.contains(status), "{status}");
        }
        for status in [199, 400, 402, 404, 499, 500, 503] {
            assert!(!accept.contains(status), "{status}");
        }
        let s = parse(Path::new("x"), "[probe.http]\naccept = \"2xx,401\"\n").unwrap();
        assert_eq!(
            s.probe.http.as_ref().unwrap().accept.to_string(),
            "200-299,401"
        );
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse(Path::new("z.toml"), "[probe]\ninterval = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("z.toml:2:12"), "{e}");
        let e = parse(Path::new("z"), "[probe.http]\naccept = \"200,600\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("z:2:"), "{e}");
        assert!(e.contains("`600` is out of range"), "{e}");
        assert!(parse(Path::new("z"), "bogus = 1\n").is_err());
        let e = parse(Path::new("z"), "[listen]\nports = { https = 1 }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `https` is not a port"), "{e}");
        assert!(e.starts_with("z:2:"), "{e}");
    }

    #[test]
    fn every_bounded_setting_says_its_range_and_place() {
        let bad = [
            (
                "[limits]\nmax_connections = 9223372036854775807\n",
                "1 to 1000000",
            ),
            ("[limits]\nmax_connections = 0\n", "1 to 1000000"),
            ("[probe]\ntimeout = \"300000000000years\"\n", "10ms to 10m"),
            ("[probe]\ninterval = \"1ns\"\n", "10ms to 1h"),
            ("[probe]\ninterval = \"100000h\"\n", "10ms to 1h"),
            ("[probe]\nrise = 0\n", "1 to 100"),
            ("[probe]\nfall = -1\n", "1 to 100"),
            ("[connect]\ntimeout = \"0s\"\n", "10ms to 10m"),
            ("[connect]\nkeepalive = \"500ms\"\n", "or 0s (off)"),
            ("[pump]\nbuffer = 1000000000000\n", "1024 to 16777216"),
            ("[limits]\nidle_timeout = \"100000h\"\n", "or 0s (never)"),
            ("[limits]\ndrain_timeout = \"2h\"\n", "or 0s (no drain)"),
        ];
        for (text, range) in bad {
            let e = parse(Path::new("z.toml"), text).unwrap_err().to_string();
            assert!(e.contains(range), "{text}: {e}");
            assert!(e.starts_with("z.toml:2:"), "{text}: {e}");
        }
        let ok = parse(
            Path::new("z.toml"),
            "[connect]\nkeepalive = \"0s\"\n[limits]\nidle_timeout = \"0s\"\nmax_connections = 1000000\n",
        )
        .unwrap();
        assert!(ok.connect.keepalive.is_zero() && ok.limits.idle_timeout.is_zero());
    }

    #[test]
    fn map_keys_are_typed_canonical_and_unique() {
        // A port written with a leading zero is the same address.
        let s = parse(
            Path::new("z"),
            "[targets]\n\"198.51.100.1:0443\" = \"127.0.0.11:8443\"\n",
        )
        .unwrap();
        assert_eq!(
            s.target("198.51.100.1:443".parse().unwrap()),
            "127.0.0.11:8443".parse().unwrap()
        );
        // The same address twice is an error, not "the last one wins".
        let e = parse(
            Path::new("z"),
            "[targets]\n\"198.51.100.1:443\" = \"127.0.0.11:8443\"\n\"198.51.100.1:0443\" = \"127.0.0.12:8443\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("198.51.100.1:443 again"), "{e}");
        // Not an address.
        let e = parse(
            Path::new("z"),
            "[targets]\n\"198.51.100.1\" = \"127.0.0.11:8443\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("is not DESTIP:PORT"), "{e}");
        let e = parse(Path::new("z"), "[listen]\nports = { 443 = 0 }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("port 0"), "{e}");
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let s = parse(
            Path::new("/etc/zosmf-ha/zosmf-ha.toml"),
            "[probe.http]\nca_file = \"ca.pem\"\n[state]\ndir = \"state\"\n[control]\nsocket = \"/run/zha.sock\"\n",
        )
        .unwrap();
        assert_eq!(
            s.probe.http.unwrap().ca_file.unwrap(),
            Path::new("/etc/zosmf-ha/ca.pem")
        );
        assert_eq!(s.state.dir.unwrap(), Path::new("/etc/zosmf-ha/state"));
        assert_eq!(s.control.socket.unwrap(), Path::new("/run/zha.sock"));
    }
}
