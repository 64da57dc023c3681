//! Resource calls (read, delete, agent and library endpoints): HTTP-style CLIENT spans named
//! `{METHOD} {url template}`, plus `create_agent {name}` as a GenAI operation.

use mistral_otel_wire::{AgentRequest, Operation, ResultFacts, Route};
use opentelemetry::KeyValue;

use super::{kv_u64, messages};
use crate::capture::{Capture, ContentField};
use crate::mapping::request::tool_definitions;
use crate::semconv as sc;

/// Name and start attributes of a non-turn call.
pub(crate) fn start(
    route: &Route<'_>,
    query: Option<&str>,
    method: &str,
    host: &str,
    port: u16,
    agent_request: Option<&AgentRequest>,
    capture: Option<&Capture>,
) -> (String, Vec<KeyValue>) {
    let op = route.operation;
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
        KeyValue::new(sc::HTTP_REQUEST_METHOD, method.to_owned()),
        KeyValue::new(sc::URL_TEMPLATE, op.url_template()),
        KeyValue::new(sc::SERVER_ADDRESS, host.to_owned()),
        KeyValue::new(sc::SERVER_PORT, i64::from(port)),
        KeyValue::new(sc::MISTRAL_OPERATION, op.name()),
    ];
    if let Some(id) = route.conversation_id {
        attrs.push(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, id.to_owned()));
    }
    if let Some(id) = route.agent_id {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, id.to_owned()));
    }
    // the version a call names: in the path (`/versions/{version}`) or `?version=N`
    let version = route.agent_version.map(str::to_owned).or_else(|| match op {
        Operation::AgentUpdateVersion => query_param(query, "version"),
        Operation::AgentGet => query_param(query, "agent_version"),
        _ => None,
    });
    if let Some(v) = version {
        // a number is a version; anything else names an alias
        attrs.push(super::request::agent_version(&match v.parse::<i64>() {
            Ok(n) => mistral_otel_wire::AgentVersion::Number(n),
            Err(_) => mistral_otel_wire::AgentVersion::Alias(v),
        }));
    }
    if let Some(id) = route.library_id {
        attrs.push(KeyValue::new(sc::MISTRAL_LIBRARY_ID, id.to_owned()));
    }
    if let Some(id) = route.document_id {
        attrs.push(KeyValue::new(sc::MISTRAL_DOCUMENT_ID, id.to_owned()));
    }
    for (key, id) in [
        (sc::MISTRAL_MODEL_ID, route.model_id),
        (sc::MISTRAL_FILE_ID, route.file_id),
        (sc::MISTRAL_JOB_ID, route.job_id),
    ] {
        if let Some(id) = id {
            attrs.push(KeyValue::new(key, id.to_owned()));
        }
    }
    let name = if op == Operation::AgentCreate {
        attrs.push(KeyValue::new(
            sc::GEN_AI_OPERATION_NAME,
            sc::op::CREATE_AGENT,
        ));
        let agent_name = agent_request.and_then(|a| a.name.clone());
        if let Some(req) = agent_request {
            if let Some(n) = &req.name {
                attrs.push(KeyValue::new(sc::GEN_AI_AGENT_NAME, n.clone()));
            }
            if let Some(d) = &req.description {
                attrs.push(KeyValue::new(sc::GEN_AI_AGENT_DESCRIPTION, d.clone()));
            }
            if let Some(m) = &req.model {
                attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_MODEL, m.clone()));
            }
            if !req.tools.is_empty() {
                attrs.push(tool_definitions(&req.tools, capture));
            }
            if let (Some(capture), Some(instructions)) = (capture, &req.instructions) {
                attrs.extend(capture.top(
                    sc::GEN_AI_SYSTEM_INSTRUCTIONS,
                    ContentField::SystemInstructions,
                    messages::system_instructions(instructions),
                ));
            }
        }
        match agent_name {
            Some(n) => format!("{} {n}", sc::op::CREATE_AGENT),
            None => sc::op::CREATE_AGENT.to_owned(),
        }
    } else {
        format!("{method} {}", op.url_template())
    };
    (name, attrs)
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Which ids the path already put on the span (each key is set once).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PathIds {
    pub(crate) conversation: bool,
    pub(crate) agent: bool,
    pub(crate) version: bool,
    pub(crate) library: bool,
    pub(crate) document: bool,
    pub(crate) model: bool,
    pub(crate) file: bool,
    pub(crate) job: bool,
}

impl PathIds {
    pub(crate) fn of(route: &Route<'_>, query: Option<&str>) -> Self {
        // an agent read for a numbered version already says which; for an alias the
        // answer's `version` does
        let numbered_read = route.operation == Operation::AgentGet
            && query_param(query, "agent_version").is_some_and(|v| v.parse::<i64>().is_ok());
        Self {
            conversation: route.conversation_id.is_some(),
            agent: route.agent_id.is_some(),
            version: route.agent_version.is_some()
                || route.operation == Operation::AgentUpdateVersion
                || numbered_read,
            library: route.library_id.is_some(),
            document: route.document_id.is_some(),
            model: route.model_id.is_some(),
            file: route.file_id.is_some(),
            job: route.job_id.is_some(),
        }
    }
}

/// Cheap facts read from a successful body.
pub(crate) fn result_attributes(facts: &ResultFacts, known: PathIds) -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if let Some(n) = facts.item_count {
        attrs.push(kv_u64(sc::MISTRAL_ITEM_COUNT, n));
    }
    if let Some(n) = facts.entry_count {
        attrs.push(kv_u64(sc::MISTRAL_ENTRY_COUNT, n));
    }
    if let Some(n) = facts.message_count {
        attrs.push(kv_u64(sc::MISTRAL_MESSAGE_COUNT, n));
    }
    if let (Some(v), false) = (&facts.conversation_id, known.conversation) {
        attrs.push(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, v.clone()));
    }
    if let (Some(v), false) = (&facts.agent_id, known.agent) {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, v.clone()));
    }
    if let (Some(v), false) = (facts.agent_version, known.version) {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_VERSION, v.to_string()));
    }
    if let (Some(v), false) = (&facts.library_id, known.library) {
        attrs.push(KeyValue::new(sc::MISTRAL_LIBRARY_ID, v.clone()));
    }
    if let (Some(v), false) = (&facts.document_id, known.document) {
        attrs.push(KeyValue::new(sc::MISTRAL_DOCUMENT_ID, v.clone()));
    }
    for (key, value, known) in [
        (sc::MISTRAL_MODEL_ID, &facts.model_id, known.model),
        (sc::MISTRAL_FILE_ID, &facts.file_id, known.file),
        (sc::MISTRAL_JOB_ID, &facts.job_id, known.job),
    ] {
        if let (Some(v), false) = (value, known) {
            attrs.push(KeyValue::new(key, v.clone()));
        }
    }
    if let Some(v) = &facts.job_status {
        attrs.push(KeyValue::new(sc::MISTRAL_JOB_STATUS, v.clone()));
    }
    if let Some(v) = &facts.process_status {
        attrs.push(KeyValue::new(sc::MISTRAL_PROCESS_STATUS, v.clone()));
    }
    attrs
}
