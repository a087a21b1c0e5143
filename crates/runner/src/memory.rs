//! The memory guard: the bytes a config needs, estimated before anything is allocated, against `max_memory`.
//!
//! `max_memory` (a top-level key, or `--max-memory`) is a number of bytes, a size with a unit
//! (`"512 MiB"`, `"4GB"`) or a share of the memory available when the run starts (`"75%"`, the
//! default). The available memory is Linux's `MemAvailable`; where the system does not report it,
//! the default limit is 16 GiB.

use descent_problems::Footprint;
use descent_tensor::Dtype;

/// The default share of the available memory one run may plan to use.
pub const DEFAULT_SHARE: f64 = 0.75;
/// The default limit where the system does not report its available memory.
pub const FALLBACK_BYTES: u64 = 16 << 30;

/// A memory limit as a config gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemoryLimit {
    /// A number of bytes.
    Bytes(u64),
    /// A share (0, 1] of the memory available when the run starts.
    Share(f64),
}

impl Default for MemoryLimit {
    fn default() -> Self {
        Self::Share(DEFAULT_SHARE)
    }
}

impl MemoryLimit {
    /// Parse `"75%"`, `"512 MiB"`, `"4GB"`, `"1e9"` or `"1000000"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if let Some(share) = t.strip_suffix('%') {
            let p: f64 = share
                .trim()
                .parse()
                .map_err(|_| format!("`{text}` is not a percentage such as \"75%\""))?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(format!(
                    "a share of the memory must be in (0%, 100%], got {text}"
                ));
            }
            return Ok(Self::Share(p / 100.0));
        }
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (number, unit) = (t[..split].trim(), t[split..].trim());
        let n: f64 = number.parse().map_err(|_| {
            format!("`{text}` is not a size such as 4096, \"512 MiB\", \"4 GB\" or \"75%\"")
        })?;
        let scale: f64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" | "k" => 1e3,
            "mb" | "m" => 1e6,
            "gb" | "g" => 1e9,
            "tb" | "t" => 1e12,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => {
                return Err(format!(
                    "`{unit}` is not a unit of memory (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
                ));
            }
        };
        let bytes = n * scale;
        if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
            return Err(format!(
                "a memory size must be at least 1 byte and below 16 EiB, got {text}"
            ));
        }
        Ok(Self::Bytes(bytes as u64))
    }

    /// The limit in bytes, given the memory available now (`None` where the system does not say).
    pub fn bytes(&self, available: Option<u64>) -> u64 {
        match *self {
            Self::Bytes(b) => b,
            Self::Share(s) => available.map_or(FALLBACK_BYTES, |a| (a as f64 * s) as u64),
        }
    }

    /// How the limit reads in messages: `11.6 GiB (75% of the 15.5 GiB available)`.
    pub fn describe(&self, available: Option<u64>) -> String {
        let bytes = format_bytes(u128::from(self.bytes(available)));
        match (*self, available) {
            (Self::Bytes(_), _) => bytes,
            (Self::Share(s), Some(a)) => format!(
                "{bytes} ({}% of the {} available)",
                fmt_percent(s),
                format_bytes(u128::from(a))
            ),
            (Self::Share(_), None) => {
                format!("{bytes} (the system does not report its available memory)")
            }
        }
    }

    /// The text that parses back to this limit (for the resolved config).
    pub fn to_text(&self) -> String {
        match *self {
            Self::Bytes(b) => b.to_string(),
            Self::Share(s) => format!("{}%", fmt_percent(s)),
        }
    }
}

fn fmt_percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round())
    } else {
        format!("{p}")
    }
}

/// The memory available to a new allocation now: Linux's `MemAvailable`; `None` elsewhere.
pub fn available_bytes() -> Option<u64> {
    kib_field(
        &std::fs::read_to_string("/proc/meminfo").ok()?,
        "MemAvailable",
    )
}

/// The field `name` of a Linux `/proc` text (`MemAvailable:  123456 kB`), in bytes.
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// `1.5 GiB`, `512 B`, or `more than 16 EiB`.
pub fn format_bytes(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes > u128::from(u64::MAX) {
        return "more than 16 EiB".into();
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `about 1.5 GiB`, or `more than 16 EiB` (for messages about an estimate).
pub fn about(bytes: u128) -> String {
    if bytes > u128::from(u64::MAX) {
        format_bytes(bytes)
    } else {
        format!("about {}", format_bytes(bytes))
    }
}

/// What a run needs, by the estimate of [`estimate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// The bytes, all parts together (saturating).
    pub bytes: u128,
    /// The key of the problem's table that sets the size.
    pub key: String,
    /// Independent instances, each factorized on its own while the problem is built.
    pub instances: u128,
}

/// The bytes a run of `footprint` needs in `dtype` with an optimizer keeping `state_slots`
/// vectors of the parameters' size, and checkpoints when `checkpoints`:
/// - the problem's data in f64 ([`Footprint::data`]);
/// - per parameter entry: the start and the result in f64, and in the dtype the parameter, its
///   gradient, the optimizer's state and four autodiff temporaries (the variable, its gradient,
///   the step's scratch);
/// - per prediction entry: in the dtype the prediction, the target, the residual and its gradient;
///   in f64 the target and the difference of a checkpoint.
pub fn estimate(
    footprint: &Footprint,
    dtype: Dtype,
    state_slots: usize,
    checkpoints: bool,
) -> u128 {
    let s: u128 = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 => 8,
    };
    let per_parameter = 16 + s * (2 + state_slots as u128 + 4);
    let per_prediction = 4 * s + if checkpoints { 16 } else { 0 };
    footprint
        .data
        .saturating_mul(8)
        .saturating_add(footprint.parameters.saturating_mul(per_parameter))
        .saturating_add(footprint.prediction.saturating_mul(per_prediction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_in_bytes_units_and_shares() {
        assert_eq!(MemoryLimit::parse("4096"), Ok(MemoryLimit::Bytes(4096)));
        assert_eq!(
            MemoryLimit::parse("512 MiB"),
            Ok(MemoryLimit::Bytes(512 << 20))
        );
        assert_eq!(
            MemoryLimit::parse("4GB"),
            Ok(MemoryLimit::Bytes(4_000_000_000))
        );
        assert_eq!(MemoryLimit::parse("1.5 KiB"), Ok(MemoryLimit::Bytes(1536)));
        assert_eq!(MemoryLimit::parse("50%"), Ok(MemoryLimit::Share(0.5)));
        for bad in [
            "",
            "lots",
            "4 parsecs",
            "0",
            "-1 GB",
            "150%",
            "0%",
            "nan",
            "inf",
        ] {
            assert!(MemoryLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_share_is_of_the_available_memory() {
        let limit = MemoryLimit::Share(0.75);
        assert_eq!(limit.bytes(Some(1000)), 750);
        assert_eq!(limit.bytes(None), FALLBACK_BYTES);
        assert_eq!(MemoryLimit::parse(&limit.to_text()), Ok(limit));
        assert!(
            limit
                .describe(Some(4 << 30))
                .contains("75% of the 4.0 GiB available")
        );
    }

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(80_000_000_000), "74.5 GiB");
        assert_eq!(format_bytes(u128::MAX), "more than 16 EiB");
    }

    #[test]
    fn the_estimate_counts_every_part_and_never_overflows() {
        let fp = Footprint {
            key: "matrix".into(),
            parameters: 16,
            prediction: 16,
            data: 160,
            instances: 1,
        };
        // f32 sgd (3 slots assumed): 160 * 8 + 16 * (16 + 4 * 9) + 16 * (16 + 16).
        assert_eq!(estimate(&fp, Dtype::F32, 3, true), 1280 + 832 + 512);
        let huge = Footprint {
            parameters: u128::MAX,
            ..fp
        };
        assert_eq!(estimate(&huge, Dtype::F64, 200, false), u128::MAX);
    }

    #[test]
    fn proc_fields_are_read_in_bytes() {
        let text = "MemTotal:       24000000 kB\nMemAvailable:   1000 kB\n";
        assert_eq!(kib_field(text, "MemAvailable"), Some(1_024_000));
        assert_eq!(kib_field(text, "MemFree"), None);
        assert_eq!(kib_field("MemAvailable: lots kB", "MemAvailable"), None);
    }

    #[test]
    fn available_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let a = available_bytes().expect("MemAvailable");
            assert!(a > 1 << 20, "{a}");
        }
    }
}
