//! Conntrack through netlink (SPEC §8): kernel forwarding's evidence and
//! its displays. The kernel tells of every connection to a DVIPA:port this
//! stack forwards — new, answered by the target, forgotten — and this
//! module turns that into the engine's inputs (a target that resets a
//! connection attempt is down at once; no answer within the connect timeout
//! is a failed connect; an answered connection that ends before it was
//! established only triggers a probe), counters and the access log; it also
//! lists the connections (`netstat vcrt`) and deletes the entry of a
//! connection attempt given up, so the client's next SYN is a new
//! connection that goes to the new active target.
//!
//! Messages are parsed with `netlink-packet-netfilter` (rust-netlink's
//! ctnetlink types); the socket is `netlink-sys`. Which events reach us is
//! narrowed per connection by the table (`ct event set new,reply,destroy`):
//! three messages per connection.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_netfilter::conntrack::{
    ConntrackAttribute, ConntrackMessage, IPTuple, ProtoInfo, ProtoInfoTCP, ProtoTuple, Protocol,
    Status, Tuple,
};
use netlink_packet_netfilter::{
    NetfilterHeader, NetfilterMessage, NetfilterMessageInner, NetfilterProtoFamily,
};
use netlink_sys::{Socket, SocketAddr as NlAddr, protocols::NETLINK_NETFILTER};

/// Conntrack's multicast groups (NFNLGRP_CONNTRACK_*).
const GROUP_NEW: u32 = 1;
const GROUP_UPDATE: u32 = 2;
const GROUP_DESTROY: u32 = 3;
/// The TCP state numbers of conntrack (TCP_CONNTRACK_*), for displays.
const TCP_STATES: [&str; 10] = [
    "NONE",
    "SYN_SENT",
    "SYN_RECV",
    "ESTABLISHED",
    "FIN_WAIT",
    "CLOSE_WAIT",
    "LAST_ACK",
    "TIME_WAIT",
    "CLOSE",
    "SYN_SENT2",
];

/// One TCP connection as conntrack tells of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The client's address (the original source).
    pub client: SocketAddr,
    /// Where the client connected: the DVIPA:port.
    pub service: SocketAddr,
    /// Where the connection went: the reply's source (the target).
    pub target: SocketAddr,
    pub status: Status,
    /// Conntrack's TCP state, when the message carries it.
    pub state: Option<u8>,
    /// Bytes client → target and back, when conntrack counts them
    /// (`net.netfilter.nf_conntrack_acct`).
    pub bytes: Option<(u64, u64)>,
}

impl Flow {
    /// Conntrack's name for the TCP state (`ESTABLISHED` …).
    pub fn state_name(&self) -> &'static str {
        self.state
            .and_then(|s| TCP_STATES.get(usize::from(s)).copied())
            .unwrap_or("-")
    }
}

/// What a message said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    New,
    Update,
    Destroy,
}

/// Why conntrack could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConntrackError {
    #[error("conntrack (netlink): {what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> ConntrackError {
    move |source| ConntrackError::Io { what, source }
}

/// Parse every conntrack message of one datagram; what is not a TCP
/// conntrack message is skipped. Never panics, whatever the bytes.
pub fn parse(mut buf: &[u8]) -> Vec<(Kind, Flow)> {
    let mut out = Vec::new();
    while buf.len() >= 16 {
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < 16 || len > buf.len() {
            break;
        }
        let (one, rest) = buf.split_at(len);
        buf = rest.get(len.div_ceil(4) * 4 - len..).unwrap_or_default();
        let Ok(msg) = NetlinkMessage::<NetfilterMessage>::deserialize(one) else {
            continue;
        };
        let flags = msg.header.flags;
        let NetlinkPayload::InnerMessage(nf) = msg.payload else {
            continue;
        };
        let NetfilterMessageInner::Conntrack(ct) = nf.inner else {
            continue;
        };
        let (kind, attrs) = match ct {
            ConntrackMessage::New(a) if flags & NLM_F_CREATE != 0 => (Kind::New, a),
            ConntrackMessage::New(a) => (Kind::Update, a),
            ConntrackMessage::Delete(a) => (Kind::Destroy, a),
            _ => continue,
        };
        if let Some(flow) = flow(&attrs) {
            out.push((kind, flow));
        }
    }
    out
}

/// The addresses of a tuple, if it is TCP.
fn tuple(t: &[Tuple]) -> Option<(SocketAddr, SocketAddr)> {
    let (mut src, mut dst, mut sport, mut dport, mut tcp) = (None, None, None, None, false);
    for part in t {
        match part {
            Tuple::Ip(ips) => {
                for ip in ips {
                    match ip {
                        IPTuple::SourceAddress(a) => src = Some(*a),
                        IPTuple::DestinationAddress(a) => dst = Some(*a),
                        _ => {}
                    }
                }
            }
            Tuple::Proto(ps) => {
                for p in ps {
                    match p {
                        ProtoTuple::Protocol(Protocol::Tcp) => tcp = true,
                        ProtoTuple::SourcePort(p) => sport = Some(*p),
                        ProtoTuple::DestinationPort(p) => dport = Some(*p),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if !tcp {
        return None;
    }
    Some((SocketAddr::new(src?, sport?), SocketAddr::new(dst?, dport?)))
}

/// CTA_COUNTERS_ORIG / _REPLY: nested CTA_COUNTERS_BYTES (u64, big endian).
fn counted_bytes(value: &[u8]) -> Option<u64> {
    let mut v = value;
    while v.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([v[0], v[1]]));
        let kind = u16::from_ne_bytes([v[2], v[3]]) & 0x3fff;
        if len < 4 || len > v.len() {
            return None;
        }
        if kind == 2 && len == 12 {
            let b: [u8; 8] = v[4..12].try_into().ok()?;
            return Some(u64::from_be_bytes(b));
        }
        v = v.get(len.div_ceil(4) * 4..).unwrap_or_default();
    }
    None
}

fn flow(attrs: &[ConntrackAttribute]) -> Option<Flow> {
    let (mut orig, mut reply, mut status, mut state) = (None, None, Status::empty(), None);
    let (mut up, mut down) = (None, None);
    for a in attrs {
        match a {
            ConntrackAttribute::CtaTupleOrig(t) => orig = tuple(t),
            ConntrackAttribute::CtaTupleReply(t) => reply = tuple(t),
            ConntrackAttribute::CtaStatus(s) => status = *s,
            ConntrackAttribute::CtaProtoInfo(p) => {
                for i in p {
                    if let ProtoInfo::TCP(tcp) = i {
                        for t in tcp {
                            if let ProtoInfoTCP::State(s) = t {
                                state = Some(*s);
                            }
                        }
                    }
                }
            }
            ConntrackAttribute::Other(nla) => {
                use netlink_packet_core::Nla;
                let mut value = vec![0; nla.value_len()];
                nla.emit_value(&mut value);
                match nla.kind() & 0x3fff {
                    9 => up = counted_bytes(&value),
                    10 => down = counted_bytes(&value),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let (client, service) = orig?;
    let (target, _) = reply?;
    Some(Flow {
        client,
        service,
        target,
        status,
        state,
        bytes: up.zip(down),
    })
}

/// A ctnetlink socket: events (`listen`) or requests (`dump`, `delete`).
pub struct Conntrack {
    socket: Socket,
    buf: Vec<u8>,
}

impl Conntrack {
    fn open() -> Result<Conntrack, ConntrackError> {
        let mut socket = Socket::new(NETLINK_NETFILTER).map_err(io("open a socket"))?;
        socket.bind_auto().map_err(io("bind"))?;
        Ok(Conntrack {
            socket,
            buf: vec![0; 1 << 16],
        })
    }

    /// A socket that receives conntrack's events (new, update, destroy),
    /// with a receive buffer large enough for bursts.
    pub fn listen() -> Result<Conntrack, ConntrackError> {
        let c = Conntrack::open()?;
        for g in [GROUP_NEW, GROUP_UPDATE, GROUP_DESTROY] {
            c.socket
                .add_membership(g)
                .map_err(io("subscribe to events (needs CAP_NET_ADMIN)"))?;
        }
        // SO_RCVBUFFORCE (CAP_NET_ADMIN): beyond rmem_max, no sysctl changed.
        let _ = rustix::net::sockopt::set_socket_recv_buffer_size_force(&c.socket, 8 << 20);
        Ok(c)
    }

    /// Wait up to `timeout` for events; `Ok(vec![])` when none came. An
    /// overrun (events lost, ENOBUFS) is `Err` with ErrorKind::OutOfMemory
    /// — the caller goes on.
    pub fn next(&mut self, timeout: Duration) -> std::io::Result<Vec<(Kind, Flow)>> {
        use rustix::event::{PollFd, PollFlags, poll};
        let mut fds = [PollFd::new(&self.socket, PollFlags::IN)];
        let ts = rustix::event::Timespec {
            tv_sec: timeout.as_secs() as i64,
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return Ok(Vec::new()),
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
        let n = match rustix::net::recv(
            &self.socket,
            &mut self.buf[..],
            rustix::net::RecvFlags::DONTWAIT,
        ) {
            Ok((n, _)) => n,
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => return Ok(Vec::new()),
            Err(rustix::io::Errno::NOBUFS) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::OutOfMemory,
                    "conntrack events were lost (the receive buffer overran)",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        Ok(parse(&self.buf[..n.min(self.buf.len())]))
    }

    fn request(&mut self, flags: u16, message: ConntrackMessage) -> Result<(), ConntrackError> {
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        let mut packet = NetlinkMessage::new(
            header,
            NetlinkPayload::from(NetfilterMessage::new(
                NetfilterHeader::new(NetfilterProtoFamily::IPv4, 0, 0),
                message,
            )),
        );
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket
            .send_to(&buf, &NlAddr::new(0, 0), 0)
            .map_err(io("send a request"))?;
        Ok(())
    }

    /// Every TCP connection conntrack knows (IPv4).
    pub fn dump() -> Result<Vec<Flow>, ConntrackError> {
        let mut c = Conntrack::open()?;
        c.request(NLM_F_DUMP, ConntrackMessage::Get(vec![]))?;
        let mut flows = Vec::new();
        // Bounded: a dump ends with NLMSG_DONE; a table of millions of
        // entries takes that many datagrams at most.
        for _ in 0..1_000_000 {
            let n = c
                .socket
                .recv(&mut &mut c.buf[..], 0)
                .map_err(io("read the dump"))?;
            let data = &c.buf[..n.min(c.buf.len())];
            flows.extend(parse(data).into_iter().map(|(_, f)| f));
            if done(data) {
                break;
            }
        }
        Ok(flows)
    }

    /// Forget one connection (its original tuple), so that the client's
    /// next packet is a new connection. Absent is fine.
    pub fn delete(
        &mut self,
        client: SocketAddr,
        service: SocketAddr,
    ) -> Result<(), ConntrackError> {
        let tuple = vec![
            Tuple::Ip(vec![
                IPTuple::SourceAddress(client.ip()),
                IPTuple::DestinationAddress(service.ip()),
            ]),
            Tuple::Proto(vec![
                ProtoTuple::Protocol(Protocol::Tcp),
                ProtoTuple::SourcePort(client.port()),
                ProtoTuple::DestinationPort(service.port()),
            ]),
        ];
        self.request(
            NLM_F_ACK,
            ConntrackMessage::Delete(vec![ConntrackAttribute::CtaTupleOrig(tuple)]),
        )
    }

    /// A socket for requests (`delete`).
    pub fn requests() -> Result<Conntrack, ConntrackError> {
        let c = Conntrack::open()?;
        c.socket
            .set_non_blocking(true)
            .map_err(io("set non-blocking"))?;
        Ok(c)
    }

    /// Read and drop the answers to earlier requests.
    pub fn drain(&mut self) {
        for _ in 0..1024 {
            if self.socket.recv(&mut &mut self.buf[..], 0).is_err() {
                break;
            }
        }
    }
}

/// Whether a datagram holds NLMSG_DONE or an error (the end of a dump).
fn done(mut buf: &[u8]) -> bool {
    while buf.len() >= 16 {
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        if kind == 3 || kind == 2 {
            return true;
        }
        if len < 16 || len > buf.len() {
            return true;
        }
        buf = buf.get(len.div_ceil(4) * 4..).unwrap_or_default();
    }
    false
}

/// What the tracker concludes from the events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A connection attempt to `target` began.
    Opened { target: SocketAddr },
    /// The target reset the attempt, or did not answer within the connect
    /// timeout (`timed_out`): a failed connect. A connection that timed out
    /// is forgotten by conntrack (the caller deletes it).
    Failed {
        target: SocketAddr,
        client: SocketAddr,
        service: SocketAddr,
        timed_out: bool,
    },
    /// A connection the target answered ended before it was established
    /// (either side reset it): probe the target, no verdict.
    Suspect { target: SocketAddr },
    /// Conntrack forgot a connection: for the counters and the access log.
    Closed { flow: Flow, duration: Duration },
}

/// The most connection attempts followed at once; beyond, the oldest
/// verdicts come from the kernel's own timeouts only.
const MAX_FOLLOWED: usize = 1 << 20;

#[derive(Clone, Copy)]
struct Followed {
    target: SocketAddr,
    since: Instant,
    answered: bool,
    given_up: bool,
}

/// Turns conntrack's events into verdicts (sans-IO: time passed in).
pub struct Tracker {
    connect_timeout: Duration,
    followed: HashMap<(SocketAddr, SocketAddr), Followed>,
}

impl Tracker {
    pub fn new(connect_timeout: Duration) -> Tracker {
        Tracker {
            connect_timeout,
            followed: HashMap::new(),
        }
    }

    /// One event of a connection to a DVIPA:port this stack forwards.
    pub fn on(&mut self, kind: Kind, flow: Flow, now: Instant) -> Vec<Verdict> {
        let key = (flow.client, flow.service);
        match kind {
            Kind::New => {
                if self.followed.len() >= MAX_FOLLOWED {
                    return vec![Verdict::Opened {
                        target: flow.target,
                    }];
                }
                self.followed.insert(
                    key,
                    Followed {
                        target: flow.target,
                        since: now,
                        answered: flow.status.contains(Status::SeenReply),
                        given_up: false,
                    },
                );
                vec![Verdict::Opened {
                    target: flow.target,
                }]
            }
            Kind::Update => {
                if flow.status.contains(Status::SeenReply)
                    && let Some(f) = self.followed.get_mut(&key)
                {
                    f.answered = true;
                }
                Vec::new()
            }
            Kind::Destroy => {
                let Some(f) = self.followed.remove(&key) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                let answered = f.answered || flow.status.contains(Status::SeenReply);
                if !answered && !f.given_up {
                    out.push(Verdict::Failed {
                        target: f.target,
                        client: flow.client,
                        service: flow.service,
                        timed_out: false,
                    });
                } else if answered && !flow.status.contains(Status::Assured) {
                    out.push(Verdict::Suspect { target: f.target });
                }
                out.push(Verdict::Closed {
                    duration: now.saturating_duration_since(f.since),
                    flow,
                });
                out
            }
        }
    }

    /// Attempts not answered within the connect timeout: failed connects
    /// (each once).
    pub fn sweep(&mut self, now: Instant) -> Vec<Verdict> {
        let mut out = Vec::new();
        for ((client, service), f) in &mut self.followed {
            if !f.answered
                && !f.given_up
                && now.saturating_duration_since(f.since) >= self.connect_timeout
            {
                f.given_up = true;
                out.push(Verdict::Failed {
                    target: f.target,
                    client: *client,
                    service: *service,
                    timed_out: true,
                });
            }
        }
        out
    }

    /// Connections followed now (open or being attempted).
    pub fn len(&self) -> usize {
        self.followed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.followed.is_empty()
    }
}

/// Whether `ip` is one of this host's (a target on this machine).
pub fn local_target(ip: IpAddr) -> bool {
    ip.is_loopback() || std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(status: Status) -> Flow {
        Flow {
            client: "127.0.0.1:40000".parse().unwrap(),
            service: "127.0.0.10:443".parse().unwrap(),
            target: "127.0.0.11:8443".parse().unwrap(),
            status,
            state: None,
            bytes: None,
        }
    }

    #[test]
    fn a_reset_attempt_is_a_failed_connect_an_answered_one_is_not() {
        let t0 = Instant::now();
        let mut t = Tracker::new(Duration::from_millis(500));
        t.on(Kind::New, f(Status::Confirmed), t0);
        let v = t.on(Kind::Destroy, f(Status::Confirmed), t0);
        assert!(
            matches!(
                v[0],
                Verdict::Failed {
                    timed_out: false,
                    ..
                }
            ),
            "{v:?}"
        );

        t.on(Kind::New, f(Status::Confirmed), t0);
        t.on(Kind::Update, f(Status::SeenReply), t0);
        assert!(t.sweep(t0 + Duration::from_secs(1)).is_empty());
        let v = t.on(Kind::Destroy, f(Status::SeenReply | Status::Assured), t0);
        assert!(matches!(v[..], [Verdict::Closed { .. }]), "{v:?}");
    }

    #[test]
    fn no_answer_within_the_timeout_fails_once_and_a_client_reset_only_suspects() {
        let t0 = Instant::now();
        let mut t = Tracker::new(Duration::from_millis(500));
        t.on(Kind::New, f(Status::Confirmed), t0);
        assert!(t.sweep(t0 + Duration::from_millis(499)).is_empty());
        let v = t.sweep(t0 + Duration::from_millis(500));
        assert!(
            matches!(
                v[..],
                [Verdict::Failed {
                    timed_out: true,
                    ..
                }]
            ),
            "{v:?}"
        );
        assert!(t.sweep(t0 + Duration::from_secs(2)).is_empty());
        // Its deletion afterwards is no second verdict.
        let v = t.on(Kind::Destroy, f(Status::Confirmed), t0);
        assert!(matches!(v[..], [Verdict::Closed { .. }]), "{v:?}");

        t.on(Kind::New, f(Status::Confirmed), t0);
        let v = t.on(Kind::Destroy, f(Status::SeenReply), t0);
        assert!(matches!(v[0], Verdict::Suspect { .. }), "{v:?}");
        assert!(t.is_empty());
    }

    #[test]
    fn parse_never_panics_on_bytes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..4000 {
            let mut buf = vec![0u8; n % 300];
            for b in buf.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            if buf.len() >= 6 {
                let len = (buf.len() as u32).to_ne_bytes();
                buf[..4].copy_from_slice(&len);
                buf[4] = 0; // NFNL_SUBSYS_CTNETLINK << 8 | type
                buf[5] = 1;
            }
            let _ = parse(&buf);
            let _ = done(&buf);
        }
    }
}
