//! Request bodies: conversation turns (start / append / restart) and agent creation.

use std::fmt;

use serde_json::Value;

use crate::WireError;
use crate::entry::{Entry, parse_entry};
use crate::lenient::{self, Object};
use crate::pruned::{Pruned, parse_object_pruned};

/// The JSON body of a start, append or restart request (the three share one model:
/// fields a given call does not use are simply absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnRequest {
    /// `inputs`: a string or a list of entries.
    pub inputs: Option<Inputs>,
    /// `stream`
    pub stream: Option<bool>,
    /// `store`
    pub store: Option<bool>,
    /// `handoff_execution`: `client` or `server`.
    pub handoff_execution: Option<String>,
    /// `instructions` (the system prompt).
    pub instructions: Option<String>,
    /// `tools`
    pub tools: Vec<ToolDefinition>,
    /// `completion_args`
    pub completion_args: Option<CompletionArgs>,
    /// `guardrails` as sent.
    pub guardrails: Option<Value>,
    /// `name` (of the conversation / agent).
    pub name: Option<String>,
    /// `description`
    pub description: Option<String>,
    /// `metadata` as sent.
    pub metadata: Option<Value>,
    /// `agent_id`
    pub agent_id: Option<String>,
    /// `agent_version`: a number or an alias.
    pub agent_version: Option<AgentVersion>,
    /// `model`
    pub model: Option<String>,
    /// `from_entry_id` (restart).
    pub from_entry_id: Option<String>,
    /// `tool_confirmations` as sent (append).
    pub tool_confirmations: Option<Value>,
}

/// One answer of an append's `tool_confirmations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolConfirmation {
    /// The pending call answered.
    pub tool_call_id: String,
    /// `allow` or `deny` (as sent).
    pub confirmation: String,
}

impl TurnRequest {
    /// The answers of `tool_confirmations`, in order; entries without a `tool_call_id` or a
    /// `confirmation` are skipped.
    ///
    /// ```
    /// let req = mistral_otel_wire::parse_turn_request(
    ///     br#"{"tool_confirmations":[{"tool_call_id":"a","confirmation":"allow"},{"confirmation":"deny"}]}"#,
    /// ).unwrap();
    /// let answers = req.tool_confirmations();
    /// assert_eq!(answers.len(), 1);
    /// assert_eq!((answers[0].tool_call_id.as_str(), answers[0].confirmation.as_str()), ("a", "allow"));
    /// ```
    pub fn tool_confirmations(&self) -> Vec<ToolConfirmation> {
        let Some(Value::Array(items)) = &self.tool_confirmations else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|item| {
                Some(ToolConfirmation {
                    tool_call_id: lenient::string(item, "tool_call_id")?,
                    confirmation: lenient::string(item, "confirmation")?,
                })
            })
            .collect()
    }
}

/// `agent_version`: an integer version or an alias name such as `"production"`.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentVersion {
    /// A version number.
    Number(i64),
    /// An alias name.
    Alias(String),
}

impl fmt::Display for AgentVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentVersion::Number(n) => write!(f, "{n}"),
            AgentVersion::Alias(alias) => f.write_str(alias),
        }
    }
}

impl AgentVersion {
    fn from_json(value: Option<&Value>) -> Option<AgentVersion> {
        match value? {
            Value::Number(n) => n.as_i64().map(AgentVersion::Number),
            Value::String(s) => Some(AgentVersion::Alias(s.clone())),
            _ => None,
        }
    }
}

/// `inputs`: a plain string or a list of entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// A user message as a plain string.
    Text(String),
    /// Entries (a single entry object on the wire becomes a one-element list).
    Entries(Vec<Entry>),
}

/// `completion_args`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletionArgs {
    /// `temperature`
    pub temperature: Option<f64>,
    /// `top_p`
    pub top_p: Option<f64>,
    /// `max_tokens`
    pub max_tokens: Option<i64>,
    /// `random_seed`
    pub random_seed: Option<i64>,
    /// `stop`: a string becomes one element; absent or `null` is empty.
    pub stop: Vec<String>,
    /// `frequency_penalty`
    pub frequency_penalty: Option<f64>,
    /// `presence_penalty`
    pub presence_penalty: Option<f64>,
    /// `response_format.type`: `text`, `json_object` or `json_schema`.
    pub response_format: Option<String>,
    /// `tool_choice` (`auto`, `none`, `any`, `required`).
    pub tool_choice: Option<String>,
    /// `reasoning_effort`
    pub reasoning_effort: Option<String>,
    /// The object as sent (for metadata rendering).
    pub raw: Value,
}

impl CompletionArgs {
    fn from_json(value: Option<&Value>) -> Option<CompletionArgs> {
        let Some(Value::Object(obj)) = value else {
            return None;
        };
        // both accept the object form (`{"type": …}`) and a bare string
        let type_of = |key: &str| match obj.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(inner)) => lenient::string(inner, "type"),
            _ => None,
        };
        Some(CompletionArgs {
            temperature: lenient::float(obj, "temperature"),
            top_p: lenient::float(obj, "top_p"),
            max_tokens: lenient::integer(obj, "max_tokens"),
            random_seed: lenient::integer(obj, "random_seed"),
            stop: lenient::strings(obj.get("stop")),
            frequency_penalty: lenient::float(obj, "frequency_penalty"),
            presence_penalty: lenient::float(obj, "presence_penalty"),
            response_format: type_of("response_format"),
            tool_choice: type_of("tool_choice"),
            reasoning_effort: lenient::string(obj, "reasoning_effort"),
            raw: Value::Object(obj.clone()),
        })
    }
}

/// One entry of `tools`. A connector's `authorization` is never kept.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    /// `type`: `function`, `web_search`, `document_library`, `connector`, …
    pub kind: String,
    /// The function schema of `function` tools.
    pub function: Option<FunctionDefinition>,
    /// `library_ids` of `document_library` tools.
    pub library_ids: Vec<String>,
    /// `connector_id` of `connector` tools.
    pub connector_id: Option<String>,
}

impl ToolDefinition {
    /// The function name for function tools, the connector id for connectors, else the
    /// type (e.g. `"web_search"`).
    pub fn name(&self) -> &str {
        if let Some(function) = &self.function {
            return &function.name;
        }
        self.connector_id.as_deref().unwrap_or(&self.kind)
    }

    fn from_json(value: &Value) -> Option<ToolDefinition> {
        let obj = value.as_object()?;
        Some(ToolDefinition {
            kind: lenient::string_or_empty(obj, "type"),
            function: obj
                .get("function")
                .and_then(Value::as_object)
                .map(FunctionDefinition::from_object),
            library_ids: lenient::strings(obj.get("library_ids")),
            connector_id: lenient::string(obj, "connector_id"),
        })
    }
}

/// The `function` object of a function tool.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDefinition {
    /// Function name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// JSON schema of the parameters.
    pub parameters: Option<Value>,
    /// `strict`
    pub strict: Option<bool>,
}

impl FunctionDefinition {
    fn from_object(obj: &Object) -> FunctionDefinition {
        FunctionDefinition {
            name: lenient::string_or_empty(obj, "name"),
            description: lenient::string(obj, "description"),
            parameters: lenient::present(obj, "parameters"),
            strict: lenient::boolean(obj, "strict"),
        }
    }
}

pub(crate) fn tools(value: Option<&Value>) -> Vec<ToolDefinition> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(ToolDefinition::from_json).collect(),
        _ => Vec::new(),
    }
}

fn inputs(value: Option<&Value>) -> Option<Inputs> {
    match value? {
        Value::String(s) => Some(Inputs::Text(s.clone())),
        Value::Array(items) => Some(Inputs::Entries(items.iter().map(parse_entry).collect())),
        entry @ Value::Object(_) => Some(Inputs::Entries(vec![parse_entry(entry)])),
        _ => None,
    }
}

pub(crate) fn parse_object(body: &[u8]) -> Result<Object, WireError> {
    match serde_json::from_slice(body)? {
        Value::Object(obj) => Ok(obj),
        _ => Err(WireError::NotAnObject),
    }
}

/// Parse a start / append / restart request body. Errors only when the body is not a
/// JSON object; every field is optional and read leniently.
///
/// ```
/// let req = mistral_otel_wire::parse_turn_request(
///     br#"{"inputs":"hi","stream":true,"agent_id":"ag_1","agent_version":"production"}"#,
/// ).unwrap();
/// assert_eq!(req.stream, Some(true));
/// assert_eq!(req.agent_version.unwrap().to_string(), "production");
/// ```
pub fn parse_turn_request(body: &[u8]) -> Result<TurnRequest, WireError> {
    Ok(turn_request_from(&parse_object(body)?))
}

const FUNCTION_SCHEMA: Pruned = Pruned {
    skip: &["parameters"],
    nested: &[],
};

const TOOL_SCHEMA: Pruned = Pruned {
    skip: &[],
    nested: &[("function", FUNCTION_SCHEMA)],
};

const TURN_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &["inputs", "instructions"],
    nested: &[("tools", TOOL_SCHEMA)],
};

/// Parse a start / append / restart request body, with or without content.
///
/// With `with_content == false`, `inputs`, `instructions` and the `parameters` schema of
/// function tools are skipped without being built and read as `None`; everything else
/// (model, agent id and version, name, description, tool kinds and names, completion args
/// with their raw object, stream, store, handoff execution, `from_entry_id`, guardrails,
/// metadata, tool confirmations) reads exactly as with [`parse_turn_request`], which this
/// is with `with_content == true`. Errors only when the body is not a JSON object.
///
/// ```
/// let req = mistral_otel_wire::parse_turn_request_with(
///     br#"{"inputs":"secret","instructions":"be brief","model":"m","stream":true}"#,
///     false,
/// ).unwrap();
/// assert_eq!((req.inputs, req.instructions), (None, None));
/// assert_eq!((req.model.as_deref(), req.stream), (Some("m"), Some(true)));
/// ```
pub fn parse_turn_request_with(body: &[u8], with_content: bool) -> Result<TurnRequest, WireError> {
    if with_content {
        return parse_turn_request(body);
    }
    Ok(turn_request_from(&parse_object_pruned(
        body,
        TURN_WITHOUT_CONTENT,
    )?))
}

fn turn_request_from(obj: &Object) -> TurnRequest {
    TurnRequest {
        inputs: inputs(obj.get("inputs")),
        stream: lenient::boolean(obj, "stream"),
        store: lenient::boolean(obj, "store"),
        handoff_execution: lenient::string(obj, "handoff_execution"),
        instructions: lenient::string(obj, "instructions"),
        tools: tools(obj.get("tools")),
        completion_args: CompletionArgs::from_json(obj.get("completion_args")),
        guardrails: lenient::present(obj, "guardrails"),
        name: lenient::string(obj, "name"),
        description: lenient::string(obj, "description"),
        metadata: lenient::present(obj, "metadata"),
        agent_id: lenient::string(obj, "agent_id"),
        agent_version: AgentVersion::from_json(obj.get("agent_version")),
        model: lenient::string(obj, "model"),
        from_entry_id: lenient::string(obj, "from_entry_id"),
        tool_confirmations: lenient::present(obj, "tool_confirmations"),
    }
}

/// The JSON body of `POST /v1/agents` (and of agent updates).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentRequest {
    /// `name`
    pub name: Option<String>,
    /// `description`
    pub description: Option<String>,
    /// `model`
    pub model: Option<String>,
    /// `instructions`
    pub instructions: Option<String>,
    /// `tools`
    pub tools: Vec<ToolDefinition>,
    /// `handoffs`: agent ids.
    pub handoffs: Vec<String>,
    /// `completion_args`
    pub completion_args: Option<CompletionArgs>,
}

/// Parse an agent create / update body. Errors only when the body is not a JSON object.
pub fn parse_agent_request(body: &[u8]) -> Result<AgentRequest, WireError> {
    let obj = parse_object(body)?;
    Ok(AgentRequest {
        name: lenient::string(&obj, "name"),
        description: lenient::string(&obj, "description"),
        model: lenient::string(&obj, "model"),
        instructions: lenient::string(&obj, "instructions"),
        tools: tools(obj.get("tools")),
        handoffs: lenient::strings(obj.get("handoffs")),
        completion_args: CompletionArgs::from_json(obj.get("completion_args")),
    })
}
