//! The unit every per-source limit counts in. An IPv4 address is one
//! source; an IPv6 host usually holds a whole /64 (SLAAC, privacy
//! addresses), so counting single IPv6 addresses would give one machine 2^64
//! fresh allowances. IPv4-mapped IPv6 addresses count as the IPv4 address.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// A client's source for throttling and per-source caps: its IPv4 address,
/// or the /64 prefix of its IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    /// The source `ip` belongs to.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(s: &str) -> Source {
        Source::of(s.parse().expect("address"))
    }

    #[test]
    fn ipv6_addresses_in_one_64_are_one_source() {
        assert_eq!(
            src("2001:db8:1:2::1"),
            src("2001:db8:1:2:ffff:eeee:dddd:cccc")
        );
        assert_ne!(src("2001:db8:1:2::1"), src("2001:db8:1:3::1"));
        assert_eq!(src("2001:db8:1:2::99").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv4_addresses_are_their_own_source_also_when_mapped() {
        assert_ne!(src("192.0.2.1"), src("192.0.2.2"));
        assert_eq!(src("::ffff:192.0.2.1"), src("192.0.2.1"));
        assert_eq!(src("192.0.2.1").to_string(), "192.0.2.1");
    }
}
