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

/// A goal: `measured <= limit` (same unit), with how it is shown.
pub struct Goal {
    pub name: String,
    pub target: String,
    pub measured: String,
    pub value: f64,
    pub limit: f64,
    pub unit: &'static str,
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
        }
    }

    pub fn verdict(&self) -> String {
        if self.value <= self.limit {
            "met".to_owned()
        } else {
            format!(
                "MISSED by {} {}",
                fmt_num(self.value - self.limit),
                self.unit
            )
        }
    }
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
