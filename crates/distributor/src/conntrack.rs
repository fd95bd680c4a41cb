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
//! ctnetlink types); the socket is `netlink-sys`. Two events per
//! connection: new and destroy (the table narrows its connections to them,
//! `ct event set new,destroy`, and the socket listens to no update, so the
//! host's other connections cost two as well). Whether an attempt was
//! answered in time is asked of conntrack for the newest overdue attempt of
//! each target only (`Conntrack::get`), never per connection.

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

/// Conntrack's multicast groups (NFNLGRP_CONNTRACK_*; 2 is the updates,
/// which this module does not listen to).
const GROUP_NEW: u32 = 1;
const GROUP_DESTROY: u32 = 3;
/// The most datagrams read in one wake-up.
const MAX_BATCH: usize = 256;
/// How long `get` waits for conntrack's answer.
const GET_WAIT: Duration = Duration::from_millis(100);
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
        for g in [GROUP_NEW, GROUP_DESTROY] {
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
        // Everything queued, in one wake-up (bounded).
        let mut out = Vec::new();
        for _ in 0..MAX_BATCH {
            let n = match rustix::net::recv(
                &self.socket,
                &mut self.buf[..],
                rustix::net::RecvFlags::DONTWAIT,
            ) {
                Ok((n, _)) => n,
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => break,
                Err(rustix::io::Errno::NOBUFS) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::OutOfMemory,
                        "conntrack events were lost (the receive buffer overran)",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            out.extend(parse(&self.buf[..n.min(self.buf.len())]));
        }
        Ok(out)
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
        self.request(
            NLM_F_ACK,
            ConntrackMessage::Delete(vec![ConntrackAttribute::CtaTupleOrig(orig(
                client, service,
            ))]),
        )
    }

    /// The entry of one connection (its original tuple), `None` when
    /// conntrack has none. For a socket from `requests`.
    pub fn get(
        &mut self,
        client: SocketAddr,
        service: SocketAddr,
    ) -> Result<Option<Flow>, ConntrackError> {
        self.drain();
        self.request(
            0,
            ConntrackMessage::Get(vec![ConntrackAttribute::CtaTupleOrig(orig(
                client, service,
            ))]),
        )?;
        let until = Instant::now() + GET_WAIT;
        while Instant::now() < until {
            use rustix::event::{PollFd, PollFlags, poll};
            let mut fds = [PollFd::new(&self.socket, PollFlags::IN)];
            let ts = rustix::event::Timespec {
                tv_sec: 0,
                tv_nsec: 10_000_000,
            };
            if poll(&mut fds, Some(&ts)).unwrap_or(0) == 0 {
                continue;
            }
            let Ok(n) = self.socket.recv(&mut &mut self.buf[..], 0) else {
                continue;
            };
            let data = &self.buf[..n.min(self.buf.len())];
            if let Some((_, f)) = parse(data)
                .into_iter()
                .find(|(_, f)| f.client == client && f.service == service)
            {
                return Ok(Some(f));
            }
            if done(data) {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// A socket for requests (`delete`, `get`).
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

/// The original tuple of a TCP connection from `client` to `service`.
fn orig(client: SocketAddr, service: SocketAddr) -> Vec<Tuple> {
    vec![
        Tuple::Ip(vec![
            IPTuple::SourceAddress(client.ip()),
            IPTuple::DestinationAddress(service.ip()),
        ]),
        Tuple::Proto(vec![
            ProtoTuple::Protocol(Protocol::Tcp),
            ProtoTuple::SourcePort(client.port()),
            ProtoTuple::DestinationPort(service.port()),
        ]),
    ]
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
    /// The target reset the attempt: a failed connect.
    Refused { target: SocketAddr },
    /// A connection the target answered ended before it was established
    /// (either side reset it): probe the target, no verdict.
    Suspect { target: SocketAddr },
    /// Conntrack forgot a connection: for the counters and the access log.
    Closed { flow: Flow, duration: Duration },
}

/// An attempt the tracker cannot judge from events alone: begun at least
/// the connect timeout ago, not known to be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overdue {
    pub client: SocketAddr,
    pub service: SocketAddr,
    pub since: Instant,
}

/// The most connection attempts followed at once; beyond, the oldest
/// verdicts come from the kernel's own timeouts only.
const MAX_FOLLOWED: usize = 1 << 20;

#[derive(Clone, Copy)]
struct Followed {
    target: SocketAddr,
    since: Instant,
    /// Known to be answered, or no longer to be judged.
    settled: bool,
}

/// Turns conntrack's new and destroy events into verdicts (sans-IO: time
/// passed in). A reset attempt is destroyed unanswered at once; whether an
/// attempt was answered in time is asked by the caller, newest overdue
/// attempt per target first (`overdue`, then `alive` or `settle`). Every
/// attempt is looked at once (a queue in start order), never the whole
/// table per sweep.
pub struct Tracker {
    connect_timeout: Duration,
    followed: HashMap<(SocketAddr, SocketAddr), Followed>,
    /// Unsettled attempts in the order they began; one settled or gone by
    /// the time it comes up is skipped.
    queue: std::collections::VecDeque<(Instant, (SocketAddr, SocketAddr))>,
    /// Per target: it answered an attempt begun then, so attempts begun up
    /// to then are no verdict.
    alive_until: HashMap<SocketAddr, Instant>,
}

impl Tracker {
    pub fn new(connect_timeout: Duration) -> Tracker {
        Tracker {
            connect_timeout,
            followed: HashMap::new(),
            queue: std::collections::VecDeque::new(),
            alive_until: HashMap::new(),
        }
    }

    /// One event of a connection to a DVIPA:port this stack forwards.
    pub fn on(&mut self, kind: Kind, flow: Flow, now: Instant) -> Vec<Verdict> {
        let key = (flow.client, flow.service);
        match kind {
            Kind::New => {
                if self.followed.len() < MAX_FOLLOWED {
                    let settled = flow.status.contains(Status::SeenReply);
                    self.followed.insert(
                        key,
                        Followed {
                            target: flow.target,
                            since: now,
                            settled,
                        },
                    );
                    if !settled {
                        self.queue.push_back((now, key));
                    }
                }
                Vec::new()
            }
            Kind::Update => Vec::new(),
            Kind::Destroy => {
                let Some(f) = self.followed.remove(&key) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                let answered = flow.status.contains(Status::SeenReply);
                let young = now.saturating_duration_since(f.since) < self.connect_timeout;
                if !answered && !f.settled && young {
                    out.push(Verdict::Refused { target: f.target });
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

    /// Per target, its attempts that became overdue (begun at least the
    /// connect timeout ago, not settled, not covered by an answer), newest
    /// first; each attempt comes up once.
    pub fn overdue(&mut self, now: Instant) -> Vec<(SocketAddr, Vec<Overdue>)> {
        let mut by: HashMap<SocketAddr, Vec<Overdue>> = HashMap::new();
        while let Some((since, key)) = self.queue.front().copied() {
            if now.saturating_duration_since(since) < self.connect_timeout {
                break;
            }
            self.queue.pop_front();
            let Some(f) = self.followed.get(&key) else {
                continue;
            };
            let covered = self
                .alive_until
                .get(&f.target)
                .is_some_and(|a| f.since <= *a);
            if f.settled || covered || f.since != since {
                continue;
            }
            by.entry(f.target).or_default().push(Overdue {
                client: key.0,
                service: key.1,
                since,
            });
        }
        let mut out: Vec<_> = by.into_iter().collect();
        for (_, v) in &mut out {
            v.sort_by_key(|a| std::cmp::Reverse(a.since));
        }
        out
    }

    /// The target answered an attempt begun at `since`: it was alive then,
    /// and its attempts begun up to then are no verdict.
    pub fn alive(&mut self, target: SocketAddr, since: Instant) {
        let a = self.alive_until.entry(target).or_insert(since);
        *a = (*a).max(since);
    }

    /// One attempt judged (failed, or gone): no verdict any more.
    pub fn settle(&mut self, client: SocketAddr, service: SocketAddr) {
        if let Some(f) = self.followed.get_mut(&(client, service)) {
            f.settled = true;
        }
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
    fn a_reset_attempt_is_refused_an_answered_one_is_not() {
        let t0 = Instant::now();
        let mut t = Tracker::new(Duration::from_millis(500));
        t.on(Kind::New, f(Status::Confirmed), t0);
        let v = t.on(Kind::Destroy, f(Status::Confirmed), t0);
        assert!(matches!(v[0], Verdict::Refused { .. }), "{v:?}");

        t.on(Kind::New, f(Status::Confirmed), t0);
        let v = t.on(Kind::Destroy, f(Status::SeenReply | Status::Assured), t0);
        assert!(matches!(v[..], [Verdict::Closed { .. }]), "{v:?}");
        // Answered, never established (a reset on either side): a probe.
        t.on(Kind::New, f(Status::Confirmed), t0);
        let v = t.on(Kind::Destroy, f(Status::SeenReply), t0);
        assert!(matches!(v[0], Verdict::Suspect { .. }), "{v:?}");
        assert!(t.is_empty());
    }

    #[test]
    fn overdue_attempts_come_newest_first_and_an_answer_settles_the_older_ones() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut t = Tracker::new(ms(500));
        let at = |port: u16| Flow {
            client: SocketAddr::new("127.0.0.1".parse().unwrap(), port),
            ..f(Status::Confirmed)
        };
        t.on(Kind::New, at(1), t0);
        t.on(Kind::New, at(2), t0 + ms(100));
        t.on(Kind::New, at(3), t0 + ms(400));
        t.on(Kind::New, at(4), t0 + ms(450));
        assert!(t.overdue(t0 + ms(499)).is_empty());
        let o = t.overdue(t0 + ms(600));
        assert_eq!(o.len(), 1);
        let ports: Vec<u16> = o[0].1.iter().map(|x| x.client.port()).collect();
        assert_eq!(ports, vec![2, 1], "newest first, the third not overdue yet");
        // Each comes up once.
        assert!(t.overdue(t0 + ms(600)).is_empty());
        // An answer to one begun at 420 ms: the third is no verdict, the
        // fourth (begun later) still is.
        t.alive(o[0].0, t0 + ms(420));
        let o = t.overdue(t0 + ms(1000));
        let ports: Vec<u16> = o[0].1.iter().map(|x| x.client.port()).collect();
        assert_eq!(ports, vec![4]);
        t.settle(o[0].1[0].client, o[0].1[0].service);
        assert!(t.overdue(t0 + ms(2000)).is_empty());
        // A settled attempt's destroy is no verdict, nor an old one's.
        let v = t.on(Kind::Destroy, at(4), t0 + ms(2000));
        assert!(matches!(v[..], [Verdict::Closed { .. }]), "{v:?}");
        let v = t.on(Kind::Destroy, at(3), t0 + ms(2000));
        assert!(matches!(v[..], [Verdict::Closed { .. }]), "{v:?}");
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
