//! Address syntax as the TCP/IP profile writes it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Dotted-decimal IPv4 as z/OS accepts it, leading zeros included
/// (`9.67.240.02`): four parts of 1-3 digits, each at most 255.
pub fn ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut parts = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        parts[n] = part
            .parse::<u16>()
            .ok()
            .and_then(|v| u8::try_from(v).ok())?;
        n += 1;
    }
    (n == 4).then(|| Ipv4Addr::from(parts))
}

/// An IPv6 address in any textual form std accepts.
pub fn ipv6(s: &str) -> Option<Ipv6Addr> {
    if !s.contains(':') {
        return None;
    }
    s.parse().ok()
}

pub fn ip(s: &str) -> Option<IpAddr> {
    ipv4(s).map(IpAddr::V4).or_else(|| ipv6(s).map(IpAddr::V6))
}

/// `addr/len`, as IPv6 VIPADEFINE and DYNAMICXCF may write it.
pub fn ip_prefix(s: &str) -> Option<(IpAddr, Option<u8>)> {
    match s.split_once('/') {
        None => ip(s).map(|a| (a, None)),
        Some((a, len)) => {
            let a = ip(a)?;
            let len: u8 = len.parse().ok()?;
            let max = if a.is_ipv4() { 32 } else { 128 };
            (len <= max).then_some((a, Some(len)))
        }
    }
}

/// A subnet mask: an IPv4 address whose one bits are contiguous from the left.
pub fn mask(s: &str) -> Option<Ipv4Addr> {
    let m = ipv4(s)?;
    let bits = u32::from(m);
    (bits.leading_ones() + bits.trailing_zeros() == 32).then_some(m)
}

pub fn looks_like_address(s: &str) -> bool {
    let b = s.as_bytes();
    (!b.is_empty() && b[0].is_ascii_digit() && s.contains('.')) || s.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zeros_and_masks() {
        assert_eq!(ipv4("9.67.240.02"), Some(Ipv4Addr::new(9, 67, 240, 2)));
        assert_eq!(ipv4("256.1.1.1"), None);
        assert_eq!(ipv4("1.1.1"), None);
        assert_eq!(ipv4("1.1.1.1.1"), None);
        assert_eq!(ipv4("1.1.1.0001"), None);
        assert!(mask("255.255.255.0").is_some());
        assert!(mask("255.255.255.255").is_some());
        assert!(mask("0.0.0.0").is_some());
        assert!(mask("255.0.255.0").is_none());
        assert_eq!(ip_prefix("2001:db8::1/64").map(|p| p.1), Some(Some(64)));
        assert_eq!(ip_prefix("10.1.1.1/33"), None);
    }
}
