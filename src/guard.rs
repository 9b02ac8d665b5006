//! `--block-private`: refuse loopback, private, link-local, shared, multicast and
//! cloud-metadata addresses, after DNS resolution as well as for IP literals.
//!
//! The check runs in the client's resolver, so a public name that resolves to a private
//! address is refused too, on every redirect hop, and there is no window between the
//! check and the connection (the connection uses exactly the addresses checked).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Whether an address is one a crawler run as a service may reach: not loopback,
/// private (RFC 1918, unique local), link-local (cloud metadata lives at 169.254.169.254),
/// shared (100.64/10), unspecified, broadcast, multicast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64 of anything
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)) // AWS metadata
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// Whether a URL's host is an IP literal that is not public (names are checked when
/// they resolve).
pub fn is_blocked_literal(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        _ => false,
    }
}

/// The resolver's refusal: the name resolves only to addresses `--block-private`
/// refuses. [`crate::fetch::classify`] finds it in the error chain by type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blocked address: {host} resolves only to non-public addresses")]
pub struct BlockedAddress {
    /// The name that was resolved.
    pub host: String,
}

/// A resolver that drops non-public addresses and fails when none is left.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                all.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() && !all.is_empty() {
                return Err(Box::new(BlockedAddress { host }) as Box<_>);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn classifies_addresses() {
        for blocked in [
            "127.0.0.1",
            "127.5.6.7",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
        ] {
            assert!(!is_public(ip(blocked)), "{blocked} must be blocked");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(is_public(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn literal_hosts() {
        let u = |s: &str| Url::parse(s).expect("test URL");
        assert!(is_blocked_literal(&u("http://127.0.0.1:8080/")));
        assert!(is_blocked_literal(&u("http://0x7f.1/")));
        assert!(is_blocked_literal(&u("http://[::1]/")));
        assert!(is_blocked_literal(&u(
            "http://169.254.169.254/latest/meta-data/"
        )));
        assert!(!is_blocked_literal(&u("http://example.com/")));
        assert!(!is_blocked_literal(&u("http://8.8.8.8/")));
    }
}
