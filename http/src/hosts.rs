//! k6's `hosts` option: names resolved before DNS. A key is a name
//! (`my.test`), a name and port (`my.test:80`, for that port only) or a
//! wildcard (`*.my.test`, for names under it, not the name itself); a
//! value is an IP or a name, with or without a port. A name as value is
//! looked up in the same table first, then in DNS.

use std::collections::BTreeMap;

/// The `hosts` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosts {
    entries: BTreeMap<String, Target>,
}

/// Where a name is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// An IP literal or a name.
    pub host: String,
    /// A port replacing the URL's.
    pub port: Option<u16>,
}

/// How many names as values are followed before giving up (a loop).
const MAX_HOPS: usize = 8;

impl Hosts {
    /// The table from `(key, value)` pairs; keys are case-insensitive.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let entries = pairs
            .into_iter()
            .map(|(key, value)| (key.to_ascii_lowercase(), Target::parse(value)))
            .collect();
        Hosts { entries }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `host:port` goes: the table's answer followed through names
    /// it maps too, or `None` if it has none for `host`.
    pub fn resolve(&self, host: &str, port: u16) -> Option<(String, u16)> {
        let mut current = (host.to_ascii_lowercase(), port);
        let mut found = false;
        for _ in 0..MAX_HOPS {
            let Some(target) = self.lookup(&current.0, current.1) else {
                break;
            };
            found = true;
            current = (target.host.clone(), target.port.unwrap_or(current.1));
        }
        found.then_some(current)
    }

    /// The entry for `host:port`: `name:port`, then `name`, then the
    /// longest wildcard above `name`.
    fn lookup(&self, host: &str, port: u16) -> Option<&Target> {
        if let Some(target) = self.entries.get(&format!("{host}:{port}")) {
            return Some(target);
        }
        if let Some(target) = self.entries.get(host) {
            return Some(target);
        }
        let mut rest = host;
        while let Some((_, parent)) = rest.split_once('.') {
            if let Some(target) = self.entries.get(&format!("*.{parent}")) {
                return Some(target);
            }
            rest = parent;
        }
        None
    }
}

impl Target {
    fn parse(value: &str) -> Target {
        if let Ok(addr) = value.parse::<std::net::SocketAddr>() {
            return Target {
                host: addr.ip().to_string(),
                port: Some(addr.port()),
            };
        }
        if value.parse::<std::net::IpAddr>().is_ok() {
            return Target {
                host: value.to_string(),
                port: None,
            };
        }
        match value.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok() => Target {
                host: host.to_ascii_lowercase(),
                port: port.parse().ok(),
            },
            _ => Target {
                host: value.to_ascii_lowercase(),
                port: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ports_wildcards_and_aliases_resolve_as_in_k6() {
        let hosts = Hosts::new([
            ("my.test", "127.0.0.1"),
            ("port.test:80", "127.0.0.1:8080"),
            ("*.wild.test", "10.0.0.1"),
            ("alias.test", "my.test"),
            ("loop.a", "loop.b"),
            ("loop.b", "loop.a"),
        ]);
        assert_eq!(hosts.resolve("my.test", 81), Some(("127.0.0.1".into(), 81)));
        assert_eq!(hosts.resolve("MY.test", 81), Some(("127.0.0.1".into(), 81)));
        assert_eq!(
            hosts.resolve("port.test", 80),
            Some(("127.0.0.1".into(), 8080))
        );
        assert_eq!(hosts.resolve("port.test", 81), None);
        assert_eq!(
            hosts.resolve("a.b.wild.test", 1),
            Some(("10.0.0.1".into(), 1))
        );
        assert_eq!(hosts.resolve("wild.test", 1), None);
        assert_eq!(
            hosts.resolve("alias.test", 5),
            Some(("127.0.0.1".into(), 5))
        );
        assert!(hosts.resolve("loop.a", 5).is_some());
        assert_eq!(hosts.resolve("other", 5), None);
    }
}
