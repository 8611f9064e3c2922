//! Clients behind a reverse proxy: which peers are trusted proxies (`skydd serve
//! --trusted-proxy`), and the client address they report in `X-Forwarded-For`.
//!
//! Behind a proxy every connection comes from the proxy, so the audit trail, the consent
//! proof and the abuse limits would all see one address. Only a peer listed as a trusted
//! proxy is believed: the client is then the rightmost entry of `X-Forwarded-For` that is not
//! itself a trusted proxy (each proxy appends the address it was called from, so entries to
//! the left of that one are whatever the client chose to send). A peer that is not trusted is
//! the client, whatever it sends. [`resolve_client`] works this out once per request;
//! [`crate::auth::PeerIp`] is how every handler reads it.

use std::net::IpAddr;
use std::str::FromStr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// An address block: an address and the length of its prefix (`10.0.0.0/8`, `fd00::/8`; a
/// single address is `/32` or `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

/// Why `--trusted-proxy` was refused; names the value (configuration, not personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an IP address or a network; write an address (`10.0.0.5`, `::1`) or a \
     network in CIDR notation (`10.0.0.0/8`, `fd00::/8`)"
)]
pub struct NetworkError(String);

impl FromStr for Network {
    type Err = NetworkError;

    fn from_str(text: &str) -> Result<Network, NetworkError> {
        let refused = || NetworkError(text.to_owned());
        let trimmed = text.trim();
        let (address, prefix) = match trimmed.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (trimmed, None),
        };
        let address: IpAddr = address.parse().map_err(|_| refused())?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= bits)
                    .ok_or_else(refused)?
            }
            Some(_) => return Err(refused()),
        };
        Ok(Network { address, prefix })
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

impl Network {
    /// Whether `address` lies in this block. An IPv4 address mapped into IPv6
    /// (`::ffff:10.0.0.1`, as a dual-stack socket reports it) is compared as IPv4.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                network.to_bits() & mask == address.to_bits() & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                network.to_bits() & mask == address.to_bits() & mask
            }
            _ => false,
        }
    }
}

/// `address` with an IPv4-mapped IPv6 address turned back into IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed; empty (the default): none, every
/// peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Trust the proxies in `networks`.
    pub fn new(networks: Vec<Network>) -> TrustedProxies {
        TrustedProxies(networks)
    }

    /// The trusted networks.
    pub fn networks(&self) -> &[Network] {
        &self.0
    }

    /// Whether `address` is a trusted proxy.
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client of a request that came from `peer` with `headers`: `peer` itself unless it
    /// is a trusted proxy; then the rightmost `X-Forwarded-For` entry that is not a trusted
    /// proxy (every entry trusted: the leftmost). An entry that is not an address stops the
    /// walk: the last trusted hop before it is the client, since nothing further left can be
    /// believed.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        // Several headers are one list, in order (RFC 9110, 5.3).
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|value| value.to_str().unwrap_or("?").split(','))
            .collect();
        for entry in entries.into_iter().rev() {
            let Some(hop) = forwarded_address(entry) else {
                return client;
            };
            client = hop;
            if !self.trusts(hop) {
                return hop;
            }
        }
        client
    }
}

/// The address of one `X-Forwarded-For` entry: `203.0.113.7`, `2001:db8::1`, and the forms
/// with a port some proxies write (`203.0.113.7:5123`, `[2001:db8::1]:5123`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    let host = match entry.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => entry.rsplit_once(':')?.0,
    };
    host.parse::<IpAddr>().ok().map(canonical)
}

/// The client address of a request, as [`resolve_client`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub(crate) IpAddr);

/// Middleware around every route: find the client address once (the peer, or what a trusted
/// proxy says) and keep it in the request for [`crate::auth::PeerIp`]. A request without a
/// peer address (a server started without one) gets none.
pub(crate) async fn resolve_client(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Some(peer) = peer {
        let client = state.trusted_proxies().client(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_are_addresses_or_cidr_blocks() {
        let network: Network = "10.0.0.0/8".parse().unwrap();
        assert!(network.contains(ip("10.200.1.2")));
        assert!(!network.contains(ip("11.0.0.1")));
        assert!(network.contains(ip("::ffff:10.0.0.1")), "IPv4-mapped");
        let one: Network = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "proxy",
            "10.0.0.0/8/8",
        ] {
            let error = bad.parse::<Network>().unwrap_err();
            assert!(error.to_string().contains("CIDR"), "{bad}: {error}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let trusted = proxies(&["10.0.0.1"]);
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(
            trusted.client(ip("203.0.113.5"), &headers),
            ip("203.0.113.5")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.1"), &headers),
            ip("10.0.0.1"),
            "no proxy is trusted by default"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client forged the first entry; the proxy appended the real one.
        let headers = forwarded(&["198.51.100.1, 203.0.113.5"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("203.0.113.5"));
        // Two proxies in a row, the header split over two lines.
        let headers = forwarded(&["198.51.100.1, 203.0.113.5", "10.1.1.1"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("203.0.113.5"));
        // With ports and brackets.
        let headers = forwarded(&["[2001:db8::7]:4711, 10.2.2.2:80"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("2001:db8::7"));
        // No header: the proxy itself (a health check from it).
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // Only trusted entries: the leftmost.
        let headers = forwarded(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("10.9.9.9"));
        // Garbage stops the walk at the last hop believed.
        let headers = forwarded(&["203.0.113.5, unknown, 10.1.1.1"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("10.1.1.1"));
        let headers = forwarded(&["203.0.113.5, <script>"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
    }

    proptest! {
        /// Whatever a client puts in `X-Forwarded-For`, behind one trusted proxy the client is
        /// the address that proxy appended.
        #[test]
        fn a_forged_prefix_never_wins(forged in "[ -~]{0,64}", a in any::<u32>()) {
            let client = IpAddr::V4(std::net::Ipv4Addr::from_bits(a));
            prop_assume!(!proxies(&["10.0.0.1"]).trusts(client));
            let value = format!("{forged}, {client}");
            prop_assume!(HeaderValue::from_str(&value).is_ok());
            let headers = forwarded(&[&value]);
            prop_assert_eq!(proxies(&["10.0.0.1"]).client(ip("10.0.0.1"), &headers), client);
        }

        /// The parser never panics, and what it accepts prints back as it reads.
        #[test]
        fn parsing_networks_never_panics(text in "[0-9a-f:./]{0,45}") {
            if let Ok(network) = text.parse::<Network>() {
                let again: Network = network.to_string().parse().unwrap();
                prop_assert_eq!(again, network);
            }
        }
    }
}
