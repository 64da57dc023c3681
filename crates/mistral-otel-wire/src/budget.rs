//! The capture budget of one stream: how much content a fold may still keep.

/// The capture budget.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// Bytes of content still allowed; `None` when not capturing.
    pub(crate) left: Option<usize>,
    pub(crate) truncated: bool,
}

impl Budget {
    /// Take `cost` bytes; `false` (and the truncation flag) when they do not fit, `false`
    /// when nothing is captured.
    pub(crate) fn charge(&mut self, cost: usize) -> bool {
        match &mut self.left {
            None => false,
            Some(left) if *left >= cost => {
                *left -= cost;
                true
            }
            Some(left) => {
                *left = 0;
                self.truncated = true;
                false
            }
        }
    }
}
