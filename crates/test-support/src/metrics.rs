//! Metric data points as plain values.

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};

/// One histogram data point: attributes, bucket bounds, count, sum and the unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Its attributes.
    pub attributes: Vec<KeyValue>,
    /// Explicit bucket boundaries.
    pub bounds: Vec<f64>,
    /// Recorded values.
    pub count: u64,
    /// Their sum (as f64 for integer histograms too).
    pub sum: f64,
    /// The instrument's unit.
    pub unit: String,
}

impl Point {
    /// An attribute's value as text.
    pub fn get(&self, key: &str) -> Option<String> {
        self.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.as_str().into_owned())
    }
}

/// Every data point of the histogram or counter named `name` (f64 or u64; a counter's
/// value is its `sum`, with `count` 1).
pub fn points(metrics: &[ResourceMetrics], name: &str) -> Vec<Point> {
    let mut out = Vec::new();
    for rm in metrics {
        for sm in rm.scope_metrics() {
            for m in sm.metrics().filter(|m| m.name() == name) {
                let unit = m.unit().to_owned();
                match m.data() {
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                        out.extend(h.data_points().map(|p| Point {
                            attributes: p.attributes().cloned().collect(),
                            bounds: p.bounds().collect(),
                            count: p.count(),
                            sum: p.sum(),
                            unit: unit.clone(),
                        }));
                    }
                    AggregatedMetrics::U64(MetricData::Histogram(h)) => {
                        out.extend(h.data_points().map(|p| Point {
                            attributes: p.attributes().cloned().collect(),
                            bounds: p.bounds().collect(),
                            count: p.count(),
                            sum: p.sum() as f64,
                            unit: unit.clone(),
                        }));
                    }
                    AggregatedMetrics::U64(MetricData::Sum(s)) => {
                        out.extend(s.data_points().map(|p| Point {
                            attributes: p.attributes().cloned().collect(),
                            bounds: Vec::new(),
                            count: 1,
                            sum: p.value() as f64,
                            unit: unit.clone(),
                        }));
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Names of every metric recorded.
pub fn names(metrics: &[ResourceMetrics]) -> Vec<String> {
    let mut out: Vec<String> = metrics
        .iter()
        .flat_map(|rm| rm.scope_metrics())
        .flat_map(|sm| sm.metrics())
        .map(|m| m.name().to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}
