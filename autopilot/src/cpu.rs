//! [`generator_cpu`]: this process's CPU time, and each of its threads',
//! from `/proc/self/stat` and `/proc/self/task/*/stat`.

use std::collections::BTreeMap;

use k6r_core::autopilot::CpuTime;

/// Clock ticks per second of `/proc`'s times (`USER_HZ`, 100 on every
/// Linux ABI the project builds for).
const TICKS_PER_SECOND: f64 = 100.0;

/// The CPU this process has used (user and system) on the cores it may
/// use, as `process`, and each of its threads' on one core, as
/// `thread/TID`: a load generator is saturated when all its cores are
/// busy, or when one of its threads is. Empty where `/proc` can't be
/// read.
pub fn generator_cpu() -> BTreeMap<String, CpuTime> {
    let mut cpu = BTreeMap::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    if let Some(busy) = read_busy("/proc/self/stat") {
        cpu.insert("process".to_string(), CpuTime { busy, cores });
    }
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return cpu;
    };
    for task in tasks.flatten() {
        let path = task.path().join("stat");
        if let Some(busy) = path.to_str().and_then(read_busy) {
            let tid = task.file_name().to_string_lossy().into_owned();
            cpu.insert(format!("thread/{tid}"), CpuTime { busy, cores: 1.0 });
        }
    }
    cpu
}

fn read_busy(path: &str) -> Option<f64> {
    busy_seconds(&std::fs::read_to_string(path).ok()?)
}

/// `utime + stime` of a `/proc/PID/stat` line, in seconds. The command
/// name (field 2) is in parentheses and may hold spaces, so fields are
/// counted after its closing one.
fn busy_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After `comm`: state (3) ... utime (14), stime (15).
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_read_after_the_command_name() {
        let line = "4242 (k6r cli) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 4 0 1 2 3";
        assert_eq!(busy_seconds(line), Some(3.0));
        assert_eq!(busy_seconds("garbage"), None);
    }

    #[test]
    fn the_process_and_each_of_its_threads_have_a_cpu_time() {
        let cpu = generator_cpu();
        let process = cpu["process"];
        assert!(process.busy >= 0.0 && process.cores >= 1.0, "{cpu:?}");
        let threads: Vec<_> = cpu.keys().filter(|k| k.starts_with("thread/")).collect();
        assert!(!threads.is_empty(), "{cpu:?}");
        assert!(cpu
            .values()
            .all(|c| c.busy <= process.busy + 0.01 || c.cores > 1.0));
    }
}
