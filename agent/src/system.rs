//! What the agent reports about its machine: host name and capacity
//! (its memory as [`k6r_runner::machine`] reads it).

use std::num::NonZeroU64;

use k6r_proto::v1::Capacity;

/// The machine's host name, or `k6r-agent` when none can be found.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "k6r-agent".to_owned())
}

/// Logical CPUs, total memory (0 when unknown) and the `--max-vus` limit.
pub fn capacity(max_vus: Option<NonZeroU64>) -> Capacity {
    Capacity {
        cpus: std::thread::available_parallelism()
            .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
            .unwrap_or(1),
        memory_bytes: k6r_runner::machine::memory_bytes().unwrap_or(0),
        max_vus: max_vus.map_or(0, NonZeroU64::get),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_something() {
        assert!(!host_name().is_empty());
        let capacity = capacity(NonZeroU64::new(50));
        assert!(capacity.cpus >= 1);
        assert_eq!(capacity.max_vus, 50);
    }
}
