//! Medians and number formatting.

use std::time::Duration;

/// Median of durations (upper median for even counts).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// The `p`-th percentile (0..=100), nearest rank.
pub fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// Median of plain numbers.
pub fn median_f64(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// Microseconds as f64.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Nanoseconds as f64.
pub fn ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// A byte count as KiB.
pub fn kib(bytes: f64) -> f64 {
    bytes / 1024.0
}
