//! Host names for the HTTP client: as the platform resolves them, except
//! `localhost` and `*.localhost`, which are loopback without asking anyone
//! (RFC 6761, as curl does). The static Linux programs resolve with musl,
//! which reads `/etc/hosts` and `/etc/resolv.conf` itself; where neither
//! exists (a bare chroot, a scratch container) a local endpoint or proxy
//! named `localhost` is still reached.

use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy)]
pub struct Resolver;

impl ResolveDns for Resolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        if let Some(loopback) = loopback(name) {
            return DnsFuture::ready(Ok(loopback));
        }
        DnsFuture::new(async move {
            let found = tokio::net::lookup_host((name, 0))
                .await
                .map_err(ResolveDnsError::new)?;
            Ok(found.map(|address| address.ip()).collect())
        })
    }
}

/// The loopback addresses, for a name that is `localhost` or under it.
fn loopback(name: &str) -> Option<Vec<IpAddr>> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    (name == "localhost" || name.ends_with(".localhost"))
        .then(|| vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_and_names_under_it_are_loopback() {
        for name in [
            "localhost",
            "LocalHost",
            "localhost.",
            "sts.localhost",
            "a.b.localhost",
        ] {
            let found = loopback(name).unwrap_or_default();
            assert_eq!(
                found.first(),
                Some(&IpAddr::from(Ipv4Addr::LOCALHOST)),
                "{name}"
            );
            assert!(found.iter().all(IpAddr::is_loopback), "{name}");
        }
    }

    #[test]
    fn other_names_are_left_to_the_platform() {
        for name in [
            "localhost.example.com",
            "mylocalhost",
            "sts.amazonaws.com",
            "127.0.0.1",
            "",
        ] {
            assert_eq!(loopback(name), None, "{name}");
        }
    }
}
