//! Placing a plain response's children on the call's local timeline: the server's clock is
//! not ours, so its timeline is shifted to end when the response headers arrived, and
//! compressed when it is longer than the call, so that a child never leaves its parent.

use std::time::{Duration, SystemTime};

use crate::mapping::response::ChildPlan;

/// Maps server timestamps onto the turn's local timeline. The server's clock is not
/// ours: shift its timeline so it ends when the response headers arrived, and compress
/// it when it is longer than the turn, so that a child never leaves its parent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    server_start: Option<SystemTime>,
    server_span: Duration,
    window_start: SystemTime,
    window: Duration,
}

impl Timeline {
    pub(crate) fn fit(
        children: &[ChildPlan],
        window_start: SystemTime,
        window_end: SystemTime,
    ) -> Self {
        let times = children
            .iter()
            .flat_map(|c| [c.server_start, c.server_end])
            .flatten();
        let (mut lo, mut hi): (Option<SystemTime>, Option<SystemTime>) = (None, None);
        for t in times {
            lo = Some(lo.map_or(t, |l| l.min(t)));
            hi = Some(hi.map_or(t, |h| h.max(t)));
        }
        let server_span = match (lo, hi) {
            (Some(l), Some(h)) => h.duration_since(l).unwrap_or_default(),
            _ => Duration::ZERO,
        };
        Self {
            server_start: lo,
            server_span,
            window_start,
            window: window_end.duration_since(window_start).unwrap_or_default(),
        }
    }

    pub(crate) fn map(&self, t: SystemTime) -> SystemTime {
        let Some(s0) = self.server_start else {
            return self.window_start;
        };
        let offset = t.duration_since(s0).unwrap_or_default();
        if self.server_span <= self.window {
            // right-align: the server finished just before the headers came back
            self.window_start + (self.window - self.server_span) + offset
        } else {
            let ratio = self.window.as_secs_f64() / self.server_span.as_secs_f64().max(1e-12);
            self.window_start + offset.mul_f64(ratio)
        }
    }

    /// (start, end) for every child, each inside its parent and the window.
    pub(crate) fn place(
        &self,
        children: &[ChildPlan],
        window_start: SystemTime,
        window_end: SystemTime,
    ) -> Vec<(SystemTime, SystemTime)> {
        let mut placed: Vec<(SystemTime, SystemTime)> = Vec::with_capacity(children.len());
        let mut cursor = window_start;
        for (i, child) in children.iter().enumerate() {
            let start = child.server_start.map(|t| self.map(t)).unwrap_or(cursor);
            let next_start = children
                .get(i + 1..)
                .unwrap_or_default()
                .iter()
                .find_map(|c| c.server_start)
                .map(|t| self.map(t));
            let end = child
                .server_end
                .map(|t| self.map(t))
                .or(next_start)
                .unwrap_or(window_end);
            let start = start.clamp(window_start, window_end);
            let end = end.clamp(start, window_end);
            cursor = end;
            placed.push((start, end));
        }
        // an owner (handoff) spans everything it owns; owned children stay inside it
        for (i, child) in children.iter().enumerate() {
            if let Some(owner) = child.parent
                && let (Some(&(cs, ce)), Some(&(os, oe))) = (placed.get(i), placed.get(owner))
            {
                let new_owner = (os.min(cs), oe.max(ce));
                if let Some(slot) = placed.get_mut(owner) {
                    *slot = new_owner;
                }
            }
        }
        placed
    }
}
