//! What a process costs, read from Linux's `/proc`: resident memory and CPU time.
//!
//! `/proc/PID/status` holds `VmRSS` (resident memory now) and `VmHWM` (its high-water mark);
//! `/proc/PID/stat` holds the CPU time used so far, in clock ticks. Reading them needs no
//! cooperation from the process, which is why the benchmark runs the API server as a child
//! rather than inside its own process.

use anyhow::Context;
use std::time::Duration;

/// Resident memory of a process in bytes (`VmRSS`), or its peak (`VmHWM`), from `/proc`.
pub fn memory_of(pid: u32, field: &str) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .with_context(|| format!("no {field} in {path}"))?;
    Ok(kib * 1024)
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // The command name (field 2) is in parentheses and may hold spaces; fields after the
    // last ')' start at field 3 (state), so utime (14) and stime (15) are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let (utime, stime) = ticks(11)
        .zip(ticks(12))
        .with_context(|| format!("unexpected format of {path}"))?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_micros(
        (utime + stime) * 1_000_000 / per_second,
    ))
}

/// CPU used by a few processes over one measurement: where the time went. On a machine
/// whose cores are all busy, throughput is CPU divided by CPU-per-request, so this is the
/// number that says which process to make cheaper.
pub struct CpuMeter {
    processes: Vec<(&'static str, u32, Duration)>,
}

impl CpuMeter {
    /// Start measuring the named processes.
    pub fn start(processes: &[(&'static str, u32)]) -> anyhow::Result<Self> {
        let processes = processes
            .iter()
            .map(|&(name, pid)| Ok((name, pid, cpu_time(pid)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(CpuMeter { processes })
    }

    /// CPU each process has used since `start`.
    pub fn used(&self) -> anyhow::Result<Vec<(&'static str, Duration)>> {
        self.processes
            .iter()
            .map(|&(name, pid, before)| Ok((name, cpu_time(pid)?.saturating_sub(before))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_used_some_cpu() {
        let spin: u64 = (0..2_000_000u64).map(|i| i % 7).sum();
        assert!(spin > 0);
        assert!(cpu_time(std::process::id()).is_ok());
    }

    #[test]
    fn this_process_has_resident_memory() {
        let rss = memory_of(std::process::id(), "VmRSS").expect("VmRSS");
        assert!(rss > 0);
    }
}
