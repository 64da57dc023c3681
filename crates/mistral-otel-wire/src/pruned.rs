//! Building a `serde_json::Value` while skipping chosen keys unbuilt, so the parsers that
//! work on `Value` can run without content capture at a fraction of the cost: the bulk of
//! a body is message content, tool results and schemas, which are skipped (not
//! allocated) rather than built and dropped. The kept fields read exactly as before.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::WireError;
use crate::lenient::{Key, Object};

/// Which keys to skip in the objects of one level, and how to read the values of keys
/// that need pruning further down. Arrays pass their level on to their items, so a rule
/// for `outputs` applies to every entry of the list.
#[derive(Clone, Copy)]
pub(crate) struct Pruned {
    /// Keys skipped without being built.
    pub(crate) skip: &'static [&'static str],
    /// Keys whose values are read with their own rule.
    pub(crate) nested: &'static [(&'static str, Pruned)],
}

/// Parse a body that must be a JSON object, with `rule` applied.
pub(crate) fn parse_object_pruned(body: &[u8], rule: Pruned) -> Result<Object, WireError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = rule.deserialize(&mut de)?;
    de.end()?;
    match value {
        Value::Object(obj) => Ok(obj),
        _ => Err(WireError::NotAnObject),
    }
}

impl<'de> DeserializeSeed<'de> for Pruned {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.skip.contains(&&*key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = match self.nested.iter().find(|(name, _)| *name == key) {
                Some((_, rule)) => map.next_value_seed(*rule)?,
                None => map.next_value::<Value>()?,
            };
            obj.insert(key.into_owned(), value);
        }
        Ok(Value::Object(obj))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}
