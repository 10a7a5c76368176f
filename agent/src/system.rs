//! What the agent reports about its machine: host name and capacity.

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
        memory_bytes: std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total(&text))
            .unwrap_or(0),
        max_vus: max_vus.map_or(0, NonZeroU64::get),
    }
}

/// `MemTotal` in bytes from `/proc/meminfo`'s text.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_total() {
        let text = "MemTotal:       16315620 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(text), Some(16_315_620 * 1024));
        assert_eq!(mem_total("nothing"), None);
    }

    #[test]
    fn reports_something() {
        assert!(!host_name().is_empty());
        let capacity = capacity(NonZeroU64::new(50));
        assert!(capacity.cpus >= 1);
        assert_eq!(capacity.max_vus, 50);
    }
}
