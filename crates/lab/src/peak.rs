//! The process's peak resident memory (Linux's `VmHWM`), for `run`'s last line and the bench table.

/// The line `run` prints after the summary; `cargo xtask bench` reads it back from a child run.
pub const LABEL: &str = "peak memory";

/// This process's peak resident set in bytes, where the system reports it (`/proc/self/status`
/// on Linux); `None` elsewhere.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_hwm(&status)
}

/// `VmHWM:   123456 kB` in a `/proc/<pid>/status` text, in bytes.
fn parse_hwm(status: &str) -> Option<u64> {
    descent_runner::kib_field(status, "VmHWM")
}

/// The summary line: `  peak memory       107.3 MiB (resident, this process)`.
pub fn line(bytes: u64) -> String {
    format!(
        "  {LABEL:<17} {:.1} MiB (resident, this process)",
        bytes as f64 / (1024.0 * 1024.0)
    )
}

/// The bytes of a [`line()`] in a run's standard output.
pub fn read_line(stdout: &str) -> Option<u64> {
    let rest = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(LABEL))?;
    let mib: f64 = rest.split_whitespace().next()?.parse().ok()?;
    Some((mib * 1024.0 * 1024.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_high_water_mark_is_read_in_bytes() {
        let status =
            "Name:\txtask\nVmPeak:\t  300000 kB\nVmHWM:\t   112700 kB\nVmRSS:\t  90000 kB\n";
        assert_eq!(parse_hwm(status), Some(112_700 * 1024));
        assert_eq!(parse_hwm("Name:\txtask\n"), None);
    }

    #[test]
    fn the_printed_line_reads_back_to_a_tenth_of_a_mebibyte() {
        let bytes = 112_700 * 1024;
        let printed = format!("summary\n  wall time  0.1 s\n{}\n", line(bytes));
        let back = read_line(&printed).expect("the line");
        assert!(back.abs_diff(bytes) <= 52_429, "{back} vs {bytes}");
    }

    #[test]
    fn this_process_reports_a_peak_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_bytes().is_some_and(|b| b > 0));
        }
    }
}
