//! This machine's memory, as far as this process may use it, and so the
//! VUs it may hold ([`k6r_core::capacity`]).

use k6r_core::capacity::VuCapacity;

/// The memory this process may use: `MemTotal`, or the cgroup's limit when
/// lower (a container's `--memory`). `None` when neither can be read.
pub fn memory_bytes() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total(&text));
    let limited = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|path| std::fs::read_to_string(path).ok())
    .find_map(|text| text.trim().parse::<u64>().ok());
    match (total, limited) {
        (Some(total), Some(limit)) => Some(total.min(limit)),
        (total, limit) => total.or(limit),
    }
}

/// The VUs this machine may hold: `max_vus` when given, else by its
/// memory.
pub fn vu_capacity(max_vus: Option<u64>) -> VuCapacity {
    VuCapacity::new(max_vus, memory_bytes())
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
    fn this_machine_has_memory_and_so_a_limit() {
        let bytes = memory_bytes().expect("/proc/meminfo on Linux");
        assert!(bytes > 0);
        assert_eq!(vu_capacity(None), VuCapacity::new(None, Some(bytes)));
        assert_eq!(vu_capacity(Some(7)).max_vus, 7);
    }
}
