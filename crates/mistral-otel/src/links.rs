//! Bounded memory of what earlier calls said: the last turn span seen for each
//! conversation (turn links), and the name of each agent seen (agents completions).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use opentelemetry::trace::SpanContext;

/// What is remembered of a conversation's latest turn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Remembered {
    pub(crate) span: SpanContext,
    /// The agent name the turn was recorded under, for later turns that carry none.
    pub(crate) agent_name: Option<String>,
}

/// Conversation id → its latest turn.
pub(crate) type TurnLinks = Recent<Remembered>;

/// Agent id → the agent's name, as a `create_agent` or agent read answered it.
pub(crate) type AgentNames = Recent<String>;

/// A function call left waiting for the user's confirmation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pending {
    /// The turn that asked.
    pub(crate) span: SpanContext,
    pub(crate) tool_name: String,
    /// When that turn ended.
    pub(crate) asked_at: std::time::SystemTime,
}

/// Tool call id → the call waiting for its confirmation.
pub(crate) type PendingCalls = Recent<Pending>;

/// A handoff the server handed back to the client (`handoff_execution: client`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HandedOff {
    /// The turn that handed off.
    pub(crate) span: SpanContext,
    pub(crate) previous_agent_name: Option<String>,
    pub(crate) next_agent_name: Option<String>,
}

/// Conversation id, and the receiving agent's id → the handoff the client is to carry out.
pub(crate) type ClientHandoffs = Recent<HandedOff>;

/// A map from id to `V`, evicting the least recently used entry past `capacity`.
#[derive(Debug)]
pub(crate) struct Recent<V> {
    capacity: usize,
    inner: Mutex<Inner<V>>,
}

#[derive(Debug)]
struct Inner<V> {
    map: HashMap<String, (V, u64)>,
    order: VecDeque<(String, u64)>,
    tick: u64,
}

impl<V: Clone> Recent<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                tick: 0,
            }),
        }
    }

    /// The value remembered for `id`, if any.
    pub(crate) fn get(&self, conversation_id: &str) -> Option<V> {
        let mut inner = self.inner.lock().ok()?;
        inner.tick += 1;
        let tick = inner.tick;
        let found = inner.map.get_mut(conversation_id).map(|(cx, t)| {
            *t = tick;
            cx.clone()
        });
        if found.is_some() {
            inner.order.push_back((conversation_id.to_owned(), tick));
            inner.compact();
        }
        found
    }

    /// The value remembered for `id`, forgotten.
    pub(crate) fn take(&self, id: &str) -> Option<V> {
        let mut inner = self.inner.lock().ok()?;
        inner.map.remove(id).map(|(v, _)| v)
    }

    /// Remember `span` for `conversation_id`.
    pub(crate) fn put(&self, conversation_id: &str, span: V) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.tick += 1;
        let tick = inner.tick;
        inner.map.insert(conversation_id.to_owned(), (span, tick));
        inner.order.push_back((conversation_id.to_owned(), tick));
        while inner.map.len() > self.capacity {
            let Some((key, t)) = inner.order.pop_front() else {
                break;
            };
            // only the newest order record of a key is live
            if inner.map.get(&key).is_some_and(|(_, live)| *live == t) {
                inner.map.remove(&key);
            }
        }
        inner.compact();
    }

    /// Entries held (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }
}

impl<V> Inner<V> {
    /// Drop stale order records so the queue stays within a constant factor of the map.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.map.len() + 16 {
            let map = &self.map;
            self.order
                .retain(|(k, t)| map.get(k).is_some_and(|(_, live)| live == t));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};

    fn cx(n: u64) -> SpanContext {
        SpanContext::new(
            TraceId::from(u128::from(n) + 1),
            SpanId::from(n + 1),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        )
    }

    #[test]
    fn memory_stays_bounded_and_recent_entries_survive() {
        let links = TurnLinks::new(3);
        for i in 0..100 {
            links.put(
                &format!("conv_{i}"),
                Remembered {
                    span: cx(i),
                    agent_name: None,
                },
            );
            links.get("conv_0");
        }
        assert_eq!(links.len(), 3);
        assert!(links.get("conv_0").is_some(), "recently used entry evicted");
        assert!(links.get("conv_99").is_some());
        assert!(links.get("conv_50").is_none());
    }
}
