//! `--block-private`: refuse every address that is not on the public internet, or that
//! embeds or reaches one that is not, after DNS resolution as well as for IP literals.
//!
//! Two checks, and every request passes both:
//!
//! - **IP literals** (`http://127.0.0.1/`, `http://[::1]/`, `http://2130706433/`) never
//!   reach a resolver, so [`crate::fetch::Fetcher::hop`], the one function that sends
//!   requests, refuses them itself ([`is_blocked_literal`]): page hops, redirects,
//!   robots.txt and its redirects, sitemaps and theirs.
//! - **Names** are checked by the client's resolver ([`Resolver`] in public-only mode):
//!   a public name that resolves to a private address is refused too, on every hop,
//!   with no window between check and connection (the connection uses exactly the
//!   addresses checked).
//!
//! # What is refused
//!
//! IPv4:
//!
//! | range | what |
//! | --- | --- |
//! | `0.0.0.0/8` | "this network", unspecified |
//! | `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16` | private (RFC 1918) |
//! | `100.64.0.0/10` | shared address space, carrier-grade NAT (Alibaba's metadata is `100.100.100.200`) |
//! | `127.0.0.0/8` | loopback |
//! | `169.254.0.0/16` | link-local: cloud metadata at `169.254.169.254` |
//! | `168.63.129.16/32` | Azure's host endpoint (wireserver) |
//! | `192.0.0.0/24` | IETF protocol assignments |
//! | `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24` | documentation |
//! | `192.88.99.0/24` | 6to4 relay anycast (deprecated; relays into IPv6) |
//! | `198.18.0.0/15` | benchmarking |
//! | `224.0.0.0/4` | multicast |
//! | `240.0.0.0/4`, `255.255.255.255` | reserved, broadcast |
//!
//! IPv6:
//!
//! | range | what |
//! | --- | --- |
//! | `::`, `::1` | unspecified, loopback |
//! | `::/96` | IPv4-compatible `::a.b.c.d` (deprecated; never routed) |
//! | `::ffff:0:0/96` | IPv4-mapped `::ffff:a.b.c.d`: refused when the IPv4 address is |
//! | `::ffff:0:0:0/96` | IPv4-translated `::ffff:0:a.b.c.d` (SIIT): refused when the IPv4 address is |
//! | `64:ff9b::/96`, `64:ff9b:1::/48` | NAT64, well-known and local-use: they reach any IPv4 address |
//! | `100::/64` | discard-only |
//! | `2001::/32` | Teredo: tunnels to arbitrary IPv4 addresses |
//! | `2001:2::/48` | benchmarking |
//! | `2001:10::/28` | ORCHID (deprecated) |
//! | `2001:db8::/32`, `3fff::/20` | documentation |
//! | `2002::/16` | 6to4: refused when the IPv4 address it embeds (bits 16-47) is |
//! | `5f00::/16` | SRv6 segment identifiers |
//! | `fc00::/7` | unique local (AWS metadata `fd00:ec2::254` is in it) |
//! | `fec0::/10` | site-local (deprecated) |
//! | `fe80::/10` | link-local |
//! | `ff00::/8` | multicast |

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Whether an address is one a crawler run as a service may reach: on the public
/// internet, and embedding or reaching no address that is not (the module docs list
/// what is refused).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // ::/96, IPv4-compatible `::a.b.c.d` (with `::` and `::1`): never routed.
    if seg[..6] == [0; 6] {
        return false;
    }
    // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated): the IPv4 address.
    let mapped = seg[..5] == [0; 5] && seg[5] == 0xffff;
    let translated = seg[..4] == [0; 4] && seg[4] == 0xffff && seg[5] == 0;
    if mapped || translated {
        return is_public_v4(embedded(seg[6], seg[7]));
    }
    // 6to4: 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD.
    if seg[0] == 0x2002 {
        return is_public_v4(embedded(seg[1], seg[2]));
    }
    !(ip.is_multicast()
        || (seg[0] == 0x0064 && seg[1] == 0xff9b && seg[2..6] == [0; 4]) // NAT64 64:ff9b::/96
        || (seg[0] == 0x0064 && seg[1] == 0xff9b && seg[2] == 1) // NAT64 local 64:ff9b:1::/48
        || (seg[0] == 0x0100 && seg[1..4] == [0; 3]) // discard-only 100::/64
        || (seg[0] == 0x2001 && seg[1] == 0) // Teredo 2001::/32
        || (seg[0] == 0x2001 && seg[1] == 2 && seg[2] == 0) // benchmarking 2001:2::/48
        || (seg[0] == 0x2001 && (seg[1] & 0xfff0) == 0x0010) // ORCHID 2001:10::/28
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation 2001:db8::/32
        || (seg[0] == 0x3fff && seg[1] < 0x1000) // documentation 3fff::/20
        || seg[0] == 0x5f00 // SRv6 SIDs 5f00::/16
        || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (seg[0] & 0xffc0) == 0xfe80) // link-local fe80::/10
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || ip == Ipv4Addr::new(168, 63, 129, 16) // Azure host endpoint
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

/// A name that could not be resolved. [`crate::fetch::classify`] finds it in the
/// error chain by type (a DNS failure), whatever the message or the URL say.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {source}")]
pub struct DnsError {
    /// The name.
    pub host: String,
    /// The resolver's error.
    #[source]
    pub source: io::Error,
}

/// The client's resolver: the system's (`getaddrinfo`, on a blocking thread, as
/// reqwest's default), with its failures typed as [`DnsError`], and with
/// `public_only` (`--block-private`) dropping non-public addresses and failing with
/// [`BlockedAddress`] when none is left.
#[derive(Debug, Default, Clone, Copy)]
pub struct Resolver {
    /// Keep only public addresses.
    pub public_only: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let public_only = self.public_only;
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(Iterator::collect::<Vec<SocketAddr>>);
            let all = match found {
                Ok(all) => all,
                Err(source) => return Err(Box::new(DnsError { host, source }) as Box<_>),
            };
            if all.is_empty() {
                let source = io::Error::new(io::ErrorKind::NotFound, "no addresses");
                return Err(Box::new(DnsError { host, source }) as Box<_>);
            }
            if !public_only {
                return Ok(Box::new(all.into_iter()) as Addrs);
            }
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(BlockedAddress { host }) as Box<_>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[track_caller]
    fn blocked(list: &[&str]) {
        for a in list {
            assert!(!is_public(ip(a)), "{a} must be refused");
        }
    }

    #[track_caller]
    fn public(list: &[&str]) {
        for a in list {
            assert!(is_public(ip(a)), "{a} is public");
        }
    }

    #[test]
    fn ipv4_special_ranges_are_refused() {
        blocked(&[
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.100.100.200",
            "100.127.255.255",
            "127.0.0.1",
            "127.5.6.7",
            "168.63.129.16",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.170",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ]);
        public(&[
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "168.63.129.17",
            "172.15.255.255",
            "172.32.0.1",
            "192.88.98.1",
            "198.17.255.255",
            "223.255.255.255",
        ]);
    }

    #[test]
    fn ipv6_special_ranges_are_refused() {
        blocked(&[
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd00::1",
            "fd00:ec2::254",
            "fec0::1",
            "feff::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "2001:2::1",
            "2001:10::1",
            "2001:1f::1",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
        ]);
        public(&[
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "2001:4860:4860::8888",
            "2001:1:0:0:0:0:0:1",
            "2001:3::1",
            "2001:20::1",
            "3ffe::1",
            "3fff:1000::1",
            "4000::1",
            "64:ff9b:2::1",
            "101::1",
            "100:0:0:1::1",
        ]);
    }

    #[test]
    fn teredo_is_refused_whatever_it_embeds() {
        // 2001:0:4136:e378:8000:63bf:3fff:fdd2 is RFC 4380's example, to a public
        // server and client.
        blocked(&["2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"]);
    }

    #[test]
    fn addresses_embedding_ipv4_follow_the_ipv4_address() {
        // IPv4-compatible ::a.b.c.d is deprecated and never routed: refused whatever
        // it embeds.
        blocked(&[
            "::127.0.0.1",
            "::10.0.0.1",
            "::8.8.8.8",
            "::169.254.169.254",
        ]);
        // IPv4-mapped and IPv4-translated: as the IPv4 address.
        blocked(&[
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::ffff:0:127.0.0.1",
            "::ffff:0:169.254.169.254",
            "::ffff:0:192.168.0.1",
            "::ffff:0:0.0.0.0",
        ]);
        public(&[
            "::ffff:8.8.8.8",
            "::ffff:0:8.8.8.8",
            "::ffff:0:93.184.216.34",
        ]);
        // 6to4 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD.
        blocked(&[
            "2002:7f00:1::1",    // 127.0.0.1
            "2002:a9fe:a9fe::",  // 169.254.169.254
            "2002:c0a8:101::1",  // 192.168.1.1
            "2002:a00:1::",      // 10.0.0.1
            "2002::1",           // 0.0.0.0
            "2002:a83f:8110::1", // 168.63.129.16
        ]);
        public(&["2002:808:808::1", "2002:5db8:d822::1"]);
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
