//! Moving a DVIPA between hosts (SPEC §7): the stack that owns it adds it
//! to its interface and announces it, so that neighbours send to this host
//! at once instead of when their caches expire; the stack that loses it
//! removes it first.
//!
//! A blocking API for a plain thread (the group task has no runtime): each
//! call opens its own routing netlink socket, asks the kernel and waits for
//! the answer, bounded by [`TIMEOUT`]. Adding and removing need
//! CAP_NET_ADMIN; announcing needs CAP_NET_RAW (a packet socket for the
//! gratuitous ARP, a raw ICMPv6 socket for the unsolicited Neighbor
//! Advertisement). Without them the error says which one is missing and how
//! to grant it.
//!
//! Linux only, like the rest of the distributor.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkLayerType, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rustix::net::addr::{SocketAddrArg, SocketAddrLen, SocketAddrOpaque};
use rustix::net::{SendFlags, SocketType, ipproto, sockopt};

/// How long one call waits for the kernel's answer at most.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A privilege an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Changing addresses (netlink RTM_NEWADDR / RTM_DELADDR).
    NetAdmin,
    /// Sending frames of our own (packet and raw sockets).
    NetRaw,
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::NetRaw => "CAP_NET_RAW",
        })
    }
}

/// What can go wrong while moving an address.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    /// The process (or thread) lacks a capability.
    #[error(
        "{operation} needs {capability}: run as root, or give the binary the capability \
         (setcap cap_net_admin,cap_net_raw+ep /path/to/zosmf-ha), or set \
         AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW in its systemd unit"
    )]
    PermissionDenied {
        operation: String,
        capability: Capability,
    },
    #[error("no network interface named {0:?} on this host (`ip link` lists them)")]
    NoSuchInterface(String),
    #[error("invalid prefix /{prefix} for {addr}: at most /{max} for an IPv{version} address")]
    InvalidPrefix {
        addr: IpAddr,
        prefix: u8,
        max: u8,
        version: u8,
    },
    /// Announcing an address this host does not hold would draw its traffic
    /// here for nothing.
    #[error("cannot announce {addr}: it is not on {interface} (add it first)")]
    NotOnInterface { addr: IpAddr, interface: String },
    #[error(
        "cannot announce {addr} on {interface}: it is not an Ethernet interface \
         (neighbours learn addresses through ARP or Neighbor Discovery on Ethernet only)"
    )]
    NotEthernet { addr: IpAddr, interface: String },
    #[error("{operation}: {source}")]
    Io {
        operation: String,
        #[source]
        source: io::Error,
    },
}

/// A network interface of this host (in the calling thread's network
/// namespace), as it was when looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    name: String,
    index: u32,
    /// The Ethernet address; `None` for other kinds of links (loopback,
    /// tunnels), which cannot announce.
    mac: Option<[u8; 6]>,
}

impl Interface {
    /// Look an interface up by name (e.g. "eth0"); a clear error if there is
    /// none. Needs no privilege.
    pub fn named(name: &str) -> Result<Interface, AddressError> {
        // The kernel's own rule (dev_valid_name): a name it would refuse
        // names no interface. Checked here because a NUL would cut the name
        // short in the request and look up another interface.
        let valid = !name.is_empty()
            && name.len() < 16
            && name != "."
            && name != ".."
            && !name
                .chars()
                .any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace());
        if !valid {
            return Err(AddressError::NoSuchInterface(name.to_owned()));
        }
        let operation = || format!("look up interface {name}");
        let mut link = LinkMessage::default();
        link.attributes.push(LinkAttribute::IfName(name.to_owned()));
        match Netlink::request(RouteNetlinkMessage::GetLink(link), 0) {
            Ok(answers) => Interface::from_answers(name, answers, &operation),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {
                Err(AddressError::NoSuchInterface(name.to_owned()))
            }
            Err(e) => Err(io_error(operation(), e, Capability::NetAdmin)),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kernel's index of the interface.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Its Ethernet address when it was looked up, if it is Ethernet.
    pub fn mac(&self) -> Option<[u8; 6]> {
        self.mac
    }

    /// Add `addr/prefix` to the interface. Idempotent: already present is
    /// Ok (for IPv6 with any prefix: the kernel keeps one entry per
    /// address). Needs CAP_NET_ADMIN.
    ///
    /// IPv6 addresses are added without duplicate address detection
    /// (`nodad`): which stack holds the DVIPA is the group's decision, and
    /// DAD would leave the address tentative — unusable, and not
    /// announceable — for a second of every takeover.
    pub fn add(&self, addr: IpAddr, prefix: u8) -> Result<(), AddressError> {
        check_prefix(addr, prefix)?;
        let operation = format!("add {addr}/{prefix} to {}", self.name);
        let message = self.address_message(addr, prefix, true);
        match Netlink::request(
            RouteNetlinkMessage::NewAddress(message),
            NLM_F_CREATE | NLM_F_EXCL,
        ) {
            Ok(_) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            Err(e) => Err(self.error(operation, e, Capability::NetAdmin)),
        }
    }

    /// Remove `addr/prefix` from the interface. Idempotent: absent is Ok.
    /// Only that prefix is removed: the same address with another prefix
    /// stays (as `ip addr del` does). Needs CAP_NET_ADMIN.
    pub fn remove(&self, addr: IpAddr, prefix: u8) -> Result<(), AddressError> {
        check_prefix(addr, prefix)?;
        let operation = format!("remove {addr}/{prefix} from {}", self.name);
        let message = self.address_message(addr, prefix, false);
        match Netlink::request(RouteNetlinkMessage::DelAddress(message), 0) {
            Ok(_) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(()),
            Err(e) => Err(self.error(operation, e, Capability::NetAdmin)),
        }
    }

    /// Whether the address is on this interface now (with any prefix).
    /// Needs no privilege.
    pub fn has(&self, addr: IpAddr) -> Result<bool, AddressError> {
        let operation = || format!("list the addresses of {}", self.name);
        let mut message = AddressMessage::default();
        message.header.family = family(addr);
        // With strict checking the kernel sends this interface's addresses
        // only; either way the answers are filtered here.
        message.header.index = self.index;
        let answers = Netlink::request(RouteNetlinkMessage::GetAddress(message), NLM_F_DUMP)
            .map_err(|e| self.error(operation(), e, Capability::NetAdmin))?;
        Ok(answers.iter().any(|answer| match answer {
            RouteNetlinkMessage::NewAddress(a) if a.header.index == self.index => {
                // IFA_LOCAL is the address itself when present (IFA_ADDRESS
                // is then the peer of a point-to-point link).
                let local = a.attributes.iter().find_map(|attr| match attr {
                    AddressAttribute::Local(ip) => Some(*ip),
                    _ => None,
                });
                let address = a.attributes.iter().find_map(|attr| match attr {
                    AddressAttribute::Address(ip) => Some(*ip),
                    _ => None,
                });
                local.or(address) == Some(addr)
            }
            _ => false,
        }))
    }

    /// Tell the neighbours that `addr` is here now, so they update their
    /// caches at once: for IPv4 a gratuitous ARP request and reply
    /// (broadcast, sender = target = `addr`, from the interface's current
    /// Ethernet address); for IPv6 an unsolicited Neighbor Advertisement
    /// with the override flag to all nodes (ff02::1). Sent once each; the
    /// address must be on the interface. Needs CAP_NET_RAW.
    ///
    /// Neighbours replace an entry they have; Linux creates none from an
    /// announcement unless `arp_accept` (IPv6: `accept_untracked_na`) is
    /// set, and needs none: it asks when it first sends.
    pub fn announce(&self, addr: IpAddr) -> Result<(), AddressError> {
        let operation = format!("announce {addr} on {}", self.name);
        // The Ethernet address now, not when looked up: a bond may have
        // moved to another port with another address since.
        let now = self.refreshed(&operation)?;
        let Some(mac) = now.mac else {
            return Err(AddressError::NotEthernet {
                addr,
                interface: self.name.clone(),
            });
        };
        if !self.has(addr)? {
            return Err(AddressError::NotOnInterface {
                addr,
                interface: self.name.clone(),
            });
        }
        let sent = match addr {
            IpAddr::V4(ip) => self.send_arp(ip, mac),
            IpAddr::V6(ip) => self.send_neighbor_advertisement(ip, mac),
        };
        sent.map_err(|e| self.error(operation, e, Capability::NetRaw))
    }

    /// Whether `announce` can work for `addr` here, without sending
    /// anything: an Ethernet interface, and the socket it needs (CAP_NET_RAW).
    /// A stack checks at start, so that it never owns an address it cannot
    /// announce.
    pub fn can_announce(&self, addr: IpAddr) -> Result<(), AddressError> {
        let operation = format!("announce {addr} on {}", self.name);
        if self.mac.is_none() {
            return Err(AddressError::NotEthernet {
                addr,
                interface: self.name.clone(),
            });
        }
        let opened = match addr {
            IpAddr::V4(_) => {
                rustix::net::socket(rustix::net::AddressFamily::PACKET, SocketType::RAW, None)
            }
            IpAddr::V6(_) => rustix::net::socket(
                rustix::net::AddressFamily::INET6,
                SocketType::RAW,
                Some(ipproto::ICMPV6),
            ),
        };
        opened
            .map(drop)
            .map_err(|e| self.error(operation, io::Error::from(e), Capability::NetRaw))
    }

    /// The interface as the kernel sees it now (looked up by index).
    fn refreshed(&self, operation: &str) -> Result<Interface, AddressError> {
        let mut link = LinkMessage::default();
        link.header.index = self.index;
        let answers = Netlink::request(RouteNetlinkMessage::GetLink(link), 0)
            .map_err(|e| self.error(operation.to_owned(), e, Capability::NetAdmin))?;
        Interface::from_answers(&self.name, answers, &|| operation.to_owned())
    }

    fn from_answers(
        name: &str,
        answers: Vec<RouteNetlinkMessage>,
        operation: &dyn Fn() -> String,
    ) -> Result<Interface, AddressError> {
        for answer in answers {
            if let RouteNetlinkMessage::NewLink(link) = answer {
                let address = link.attributes.iter().find_map(|a| match a {
                    LinkAttribute::Address(bytes) => <[u8; 6]>::try_from(bytes.as_slice()).ok(),
                    _ => None,
                });
                let ethernet = link.header.link_layer_type == LinkLayerType::Ether;
                return Ok(Interface {
                    name: name.to_owned(),
                    index: link.header.index,
                    mac: address.filter(|_| ethernet),
                });
            }
        }
        Err(AddressError::Io {
            operation: operation(),
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                "the kernel answered without the interface",
            ),
        })
    }

    fn address_message(&self, addr: IpAddr, prefix: u8, adding: bool) -> AddressMessage {
        let mut message = AddressMessage::default();
        message.header.family = family(addr);
        message.header.prefix_len = prefix;
        message.header.index = self.index;
        // As `ip addr` sends it: IFA_LOCAL is the address, IFA_ADDRESS the
        // same on a link without a peer. With IFA_ADDRESS the kernel deletes
        // only the entry of that prefix.
        message.attributes.push(AddressAttribute::Local(addr));
        message.attributes.push(AddressAttribute::Address(addr));
        if adding && addr.is_ipv6() {
            message
                .attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        message
    }

    /// A gratuitous ARP request, then a reply: hosts that ignore one kind
    /// take the other (for Linux, a reply counts as gratuitous when its
    /// target hardware address is the sender's).
    fn send_arp(&self, ip: Ipv4Addr, mac: [u8; 6]) -> io::Result<()> {
        let socket = rustix::net::socket(rustix::net::AddressFamily::PACKET, SocketType::RAW, None)
            .map_err(io::Error::from)?;
        let to = LinkAddr::broadcast_arp(self.index)?;
        for frame in [
            arp_frame(ARP_REQUEST, mac, ip, [0; 6]),
            arp_frame(ARP_REPLY, mac, ip, mac),
        ] {
            rustix::net::sendto(&socket, &frame, SendFlags::empty(), &to)
                .map_err(io::Error::from)?;
        }
        Ok(())
    }

    /// An unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) from `ip` to
    /// all nodes on the link, hop limit 255 as receivers demand; the kernel
    /// fills in the checksum of an ICMPv6 raw socket.
    fn send_neighbor_advertisement(&self, ip: Ipv6Addr, mac: [u8; 6]) -> io::Result<()> {
        let socket: OwnedFd = rustix::net::socket(
            rustix::net::AddressFamily::INET6,
            SocketType::RAW,
            Some(ipproto::ICMPV6),
        )
        .map_err(io::Error::from)?;
        sockopt::set_ipv6_multicast_hops(&socket, 255).map_err(io::Error::from)?;
        sockopt::set_ipv6_multicast_if(&socket, self.index).map_err(io::Error::from)?;
        sockopt::set_ipv6_multicast_loop(&socket, false).map_err(io::Error::from)?;
        // The source is the address announced; freebind lets the bind pass
        // while an address someone added with DAD is still tentative.
        sockopt::set_ipv6_freebind(&socket, true).map_err(io::Error::from)?;
        let scope = if ip.is_unicast_link_local() {
            self.index
        } else {
            0
        };
        rustix::net::bind(&socket, &SocketAddrV6::new(ip, 0, 0, scope)).map_err(io::Error::from)?;
        let all_nodes =
            SocketAddrV6::new(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1), 0, 0, self.index);
        rustix::net::sendto(
            &socket,
            &neighbor_advertisement(ip, mac),
            SendFlags::empty(),
            &all_nodes,
        )
        .map_err(io::Error::from)?;
        Ok(())
    }

    /// An I/O error of this interface: ENODEV means it is gone.
    fn error(&self, operation: String, e: io::Error, capability: Capability) -> AddressError {
        if e.raw_os_error() == Some(libc::ENODEV) {
            return AddressError::NoSuchInterface(self.name.clone());
        }
        io_error(operation, e, capability)
    }
}

/// EPERM and EACCES mean the capability is missing.
fn io_error(operation: String, e: io::Error, capability: Capability) -> AddressError {
    match e.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => AddressError::PermissionDenied {
            operation,
            capability,
        },
        _ => AddressError::Io {
            operation,
            source: e,
        },
    }
}

fn check_prefix(addr: IpAddr, prefix: u8) -> Result<(), AddressError> {
    let (max, version) = match addr {
        IpAddr::V4(_) => (32, 4),
        IpAddr::V6(_) => (128, 6),
    };
    if prefix > max {
        return Err(AddressError::InvalidPrefix {
            addr,
            prefix,
            max,
            version,
        });
    }
    Ok(())
}

fn family(addr: IpAddr) -> AddressFamily {
    match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// One request on a fresh routing netlink socket, and its answers.
struct Netlink;

impl Netlink {
    /// Send `message` with `flags` (plus REQUEST and ACK) and collect the
    /// answers until the acknowledgement, the end of a dump, or an error
    /// (returned as the errno the kernel gave).
    fn request(message: RouteNetlinkMessage, flags: u16) -> io::Result<Vec<RouteNetlinkMessage>> {
        let mut socket = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&netlink_sys::SocketAddr::new(0, 0))?;
        sockopt::set_socket_timeout(&socket, sockopt::Timeout::Recv, Some(TIMEOUT))
            .map_err(io::Error::from)?;
        // Lets the kernel filter dumps by the header (Linux 4.20 on); an
        // older kernel refuses the option and sends everything.
        let _ = socket.set_netlink_get_strict_chk(true);

        const SEQUENCE: u32 = 1;
        let mut packet =
            NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(message));
        packet.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        packet.header.sequence_number = SEQUENCE;
        packet.finalize();
        let mut bytes = vec![0; packet.buffer_len()];
        packet.serialize(&mut bytes);
        socket.send(&bytes, 0)?;

        let deadline = Instant::now() + TIMEOUT;
        let mut answers = Vec::new();
        while Instant::now() < deadline {
            let (datagram, _) = socket.recv_from_full()?;
            let mut rest = datagram.as_slice();
            while !rest.is_empty() {
                let answer = NetlinkMessage::<RouteNetlinkMessage>::deserialize(rest)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let length = usize::try_from(answer.header.length).unwrap_or(usize::MAX);
                if length == 0 || length > rest.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a netlink message of a wrong length",
                    ));
                }
                // Messages are aligned to 4 bytes.
                rest = rest.get(length.next_multiple_of(4)..).unwrap_or(&[]);
                if answer.header.sequence_number != SEQUENCE {
                    continue;
                }
                match answer.payload {
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(answers),
                            Some(code) => {
                                Err(io::Error::from_raw_os_error(code.get().saturating_abs()))
                            }
                        };
                    }
                    NetlinkPayload::Done(_) => return Ok(answers),
                    NetlinkPayload::InnerMessage(m) => answers.push(m),
                    _ => {}
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the kernel did not finish its answer",
        ))
    }
}

const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IP: u16 = 0x0800;
const ARP_REQUEST: u16 = 1;
const ARP_REPLY: u16 = 2;

/// An Ethernet frame to everyone carrying an ARP packet that says `ip` is at
/// `mac` (sender = target = `ip`).
fn arp_frame(op: u16, mac: [u8; 6], ip: Ipv4Addr, target_mac: [u8; 6]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(42);
    frame.extend_from_slice(&[0xff; 6]);
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&ETH_P_ARP.to_be_bytes());
    frame.extend_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    frame.extend_from_slice(&ETH_P_IP.to_be_bytes());
    frame.extend_from_slice(&[6, 4]);
    frame.extend_from_slice(&op.to_be_bytes());
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&ip.octets());
    frame.extend_from_slice(&target_mac);
    frame.extend_from_slice(&ip.octets());
    frame
}

/// The ICMPv6 message of an unsolicited Neighbor Advertisement for `ip`:
/// not solicited, override set, with the target link-layer address option.
fn neighbor_advertisement(ip: Ipv6Addr, mac: [u8; 6]) -> Vec<u8> {
    const NEIGHBOR_ADVERTISEMENT: u8 = 136;
    const OVERRIDE: u8 = 0x20;
    const TARGET_LINK_LAYER_ADDRESS: u8 = 2;
    let mut message = Vec::with_capacity(32);
    message.extend_from_slice(&[NEIGHBOR_ADVERTISEMENT, 0, 0, 0]); // type, code, checksum
    message.extend_from_slice(&[OVERRIDE, 0, 0, 0]);
    message.extend_from_slice(&ip.octets());
    message.extend_from_slice(&[TARGET_LINK_LAYER_ADDRESS, 1]); // length in units of 8 bytes
    message.extend_from_slice(&mac);
    message
}

/// A link-layer socket address (`sockaddr_ll`): where a packet socket
/// sends a frame.
struct LinkAddr(libc::sockaddr_ll);

impl LinkAddr {
    fn broadcast_arp(index: u32) -> io::Result<LinkAddr> {
        let index = i32::try_from(index).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "interface index too large")
        })?;
        Ok(LinkAddr(libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as libc::c_ushort,
            sll_protocol: ETH_P_ARP.to_be(),
            sll_ifindex: index,
            sll_hatype: 0,
            sll_pkttype: 0,
            sll_halen: 6,
            sll_addr: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0],
        }))
    }
}

// The second unsafe code of the project: no crate at hand builds a
// `sockaddr_ll` safely (rustix, socket2 and nix take one only through an
// unsafe constructor or trait).
//
// SAFETY: `with_sockaddr` calls `f` with a pointer to the `sockaddr_ll`
// this value owns and its exact size, both valid for the whole call; the
// kernel reads that many bytes of a fully initialised C struct.
#[allow(unsafe_code)]
unsafe impl SocketAddrArg for LinkAddr {
    unsafe fn with_sockaddr<R>(
        &self,
        f: impl FnOnce(*const SocketAddrOpaque, SocketAddrLen) -> R,
    ) -> R {
        const LEN: SocketAddrLen = size_of::<libc::sockaddr_ll>() as SocketAddrLen;
        f(std::ptr::from_ref(&self.0).cast(), LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

    #[test]
    fn the_arp_frame_is_a_broadcast_with_sender_equal_to_target() {
        let ip = Ipv4Addr::new(10, 200, 1, 100);
        let f = arp_frame(ARP_REPLY, MAC, ip, MAC);
        assert_eq!(f.len(), 42);
        assert_eq!(&f[0..6], &[0xff; 6], "to everyone");
        assert_eq!(&f[6..12], &MAC, "from the interface");
        assert_eq!(&f[12..14], &[0x08, 0x06], "ARP");
        assert_eq!(
            &f[14..22],
            &[0, 1, 0x08, 0x00, 6, 4, 0, 2],
            "Ethernet/IPv4, reply"
        );
        assert_eq!(&f[22..28], &MAC);
        assert_eq!(&f[28..32], &ip.octets(), "sender");
        assert_eq!(&f[32..38], &MAC, "a reply's target is its sender");
        assert_eq!(&f[38..42], &ip.octets(), "target");
        let r = arp_frame(ARP_REQUEST, MAC, ip, [0; 6]);
        assert_eq!(&r[20..22], &[0, 1], "request");
    }

    #[test]
    fn the_neighbor_advertisement_overrides_and_carries_the_mac() {
        let ip: Ipv6Addr = "fd00:200::100".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let m = neighbor_advertisement(ip, MAC);
        assert_eq!(m.len(), 32);
        assert_eq!(m[0], 136);
        assert_eq!(m[4], 0x20, "override, not solicited, not a router");
        assert_eq!(&m[8..24], &ip.octets());
        assert_eq!(&m[24..26], &[2, 1]);
        assert_eq!(&m[26..32], &MAC);
    }

    #[test]
    fn prefixes_are_bounded_by_the_family() {
        let v4: IpAddr = Ipv4Addr::new(10, 0, 0, 1).into();
        let v6: IpAddr = Ipv6Addr::LOCALHOST.into();
        assert!(check_prefix(v4, 32).is_ok());
        assert!(check_prefix(v6, 128).is_ok());
        let e = check_prefix(v4, 33).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("invalid prefix /33 for 10.0.0.1: at most /32 for an IPv4 address")
        );
        assert!(matches!(
            check_prefix(v6, 129),
            Err(AddressError::InvalidPrefix { max: 128, .. })
        ));
    }

    #[test]
    fn names_the_kernel_would_refuse_name_no_interface() {
        for name in [
            "",
            ".",
            "..",
            "a/b",
            "eth0:1",
            "a b",
            "eth\0",
            "abcdefghijklmnop",
        ] {
            assert!(
                matches!(Interface::named(name), Err(AddressError::NoSuchInterface(n)) if n == name),
                "{name:?}"
            );
        }
    }

    #[test]
    fn a_missing_capability_is_named_with_the_remedy() {
        let e = io_error(
            "add 10.0.0.1/32 to eth0".into(),
            io::Error::from_raw_os_error(libc::EPERM),
            Capability::NetAdmin,
        )
        .to_string();
        assert!(
            e.starts_with("add 10.0.0.1/32 to eth0 needs CAP_NET_ADMIN: run as root"),
            "{e}"
        );
        assert!(e.contains("setcap cap_net_admin,cap_net_raw+ep"), "{e}");
        assert!(e.contains("AmbientCapabilities="), "{e}");
    }
}
