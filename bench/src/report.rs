//! What the run prints, kept to be written to RESULTS.md, and the goal table.

use std::fmt::Write as _;

/// Prints lines and keeps them.
#[derive(Default)]
pub struct Out {
    pub text: String,
    pub goals: Vec<Goal>,
}

impl Out {
    pub fn line(&mut self, line: impl AsRef<str>) {
        println!("{}", line.as_ref());
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    pub fn goal(&mut self, goal: Goal) {
        self.goals.push(goal);
    }

    /// The goal table, as aligned text (also markdown).
    pub fn goal_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| goal | target | measured | verdict |");
        let _ = writeln!(s, "|---|---|---|---|");
        for g in &self.goals {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                g.name,
                g.target,
                g.measured,
                g.verdict()
            );
        }
        s
    }
}

/// A goal: `measured <= limit` or `measured >= limit` (same unit), with how it is shown.
pub struct Goal {
    pub name: String,
    pub target: String,
    pub measured: String,
    pub value: f64,
    pub limit: f64,
    pub unit: &'static str,
    /// `measured >= limit` is the goal (a throughput), not `measured <= limit`.
    pub at_least: bool,
}

impl Goal {
    pub fn at_most(name: &str, value: f64, limit: f64, unit: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            target: format!("<= {} {unit}", fmt_num(limit)),
            measured: format!("{} {unit}", fmt_num(value)),
            value,
            limit,
            unit,
            at_least: false,
        }
    }

    pub fn at_least(name: &str, value: f64, limit: f64, unit: &'static str) -> Self {
        Self {
            target: format!(">= {} {unit}", fmt_num(limit)),
            at_least: true,
            ..Self::at_most(name, value, limit, unit)
        }
    }

    /// Adds words to the target (a condition the figure is taken under).
    pub fn target_note(mut self, note: &str) -> Self {
        self.target.push(' ');
        self.target.push_str(note);
        self
    }

    pub fn verdict(&self) -> String {
        let met = if self.at_least {
            self.value >= self.limit
        } else {
            self.value <= self.limit
        };
        if met {
            "met".to_owned()
        } else if self.value.is_nan() {
            "MISSED (no figure)".to_owned()
        } else {
            format!(
                "MISSED by {} {}",
                fmt_num((self.value - self.limit).abs()),
                self.unit
            )
        }
    }
}

/// `num / den`, or NaN when the denominator is not above zero (an added figure lost in
/// the noise): the goal then reads as missed with no figure rather than as a negative ratio.
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { f64::NAN }
}

/// Three significant-ish digits without noise.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
