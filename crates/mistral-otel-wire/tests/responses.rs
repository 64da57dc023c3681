#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{
    Chunk, Content, Entry, Operation, ResultFacts, Usage, WireError, parse_conversation_response,
    parse_result_facts, parse_timestamp,
};
use serde_json::json;

#[test]
fn start_web_search_response_has_tool_execution_then_chunked_message() {
    let resp = parse_conversation_response(&fixture("start_web_search.response.json")).unwrap();
    assert_eq!(
        resp.conversation_id.as_deref(),
        Some("conv_019cd7065406745882f38266558e95ad")
    );
    let [Entry::ToolExecution(tool), Entry::MessageOutput(message)] = resp.outputs.as_slice()
    else {
        panic!("{:?}", resp.outputs)
    };
    assert_eq!(
        tool.id.as_deref(),
        Some("tool_exec_019cd70654d972fdbfd29c1b0a67c60e")
    );
    assert_eq!(tool.name, "web_search");
    assert_eq!(
        tool.arguments,
        r#"{"query": "Lyon population estimate 2025 ten year change"}"#
    );
    assert_eq!(tool.info, Some(json!({})));
    assert_eq!(tool.model.as_deref(), Some("mistral-medium-latest"));
    assert_eq!(tool.agent_id, None);
    assert!(
        parse_timestamp(tool.created_at.as_deref().unwrap())
            < parse_timestamp(tool.completed_at.as_deref().unwrap())
    );

    assert_eq!(message.role, "assistant");
    let Content::Chunks(chunks) = &message.content else {
        panic!("chunks expected")
    };
    let kinds: Vec<&str> = chunks
        .iter()
        .map(|c| match c {
            Chunk::Text { .. } => "text",
            Chunk::ToolReference { .. } => "tool_reference",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["text", "tool_reference", "text", "tool_reference", "text"]
    );
    let Chunk::ToolReference {
        tool,
        title,
        favicon,
        ..
    } = &chunks[3]
    else {
        panic!()
    };
    assert_eq!(
        (tool.as_str(), title.as_str(), favicon),
        ("web_search", "Métropole de Lyon: key figures", &None)
    );

    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 231,
            completion_tokens: 97,
            total_tokens: 6542,
            connector_tokens: Some(6214),
            connectors: vec![("web_search".into(), 1)],
            ..Usage::default()
        })
    );
}

#[test]
fn append_response_has_string_content_and_null_connectors() {
    let resp = parse_conversation_response(&fixture("append.response.json")).unwrap();
    let [Entry::MessageOutput(message)] = resp.outputs.as_slice() else {
        panic!()
    };
    let Content::Text(text) = &message.content else {
        panic!("text expected")
    };
    assert!(text.starts_with("Lyon compte environ 522 000 habitants"));
    assert!(text.contains("Métropole"));
    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 412,
            completion_tokens: 48,
            total_tokens: 460,
            connector_tokens: None,
            connectors: vec![],
            ..Usage::default()
        })
    );
}

#[test]
fn restart_response_carries_a_new_conversation_id_and_no_connectors() {
    let resp = parse_conversation_response(&fixture("restart.response.json")).unwrap();
    assert_eq!(
        resp.conversation_id.as_deref(),
        Some("conv_019cd7087f407574921fbfa66adef493")
    );
    assert_eq!(
        resp.outputs[0].id(),
        Some("msg_019cd7088034789baee3bd05769d3e28")
    );
    assert_eq!(resp.outputs[0].kind(), "message.output");
    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 398,
            completion_tokens: 52,
            total_tokens: 450,
            connector_tokens: None,
            connectors: vec![],
            ..Usage::default()
        })
    );
}

#[test]
fn usage_connectors_are_sorted_and_odd_values_skipped() {
    let usage = Usage::from_json(&json!({
        "prompt_tokens": 1, "completion_tokens": "2", "connector_tokens": null,
        "connectors": {"web_search": 2, "code_interpreter": 1, "broken": "x"}
    }));
    assert_eq!(usage.prompt_tokens, 1);
    assert_eq!(usage.completion_tokens, 0);
    assert_eq!(usage.connector_tokens, None);
    assert_eq!(
        usage.connectors,
        vec![("code_interpreter".into(), 1), ("web_search".into(), 2)]
    );
}

#[test]
fn response_without_usage_or_outputs_still_parses() {
    let resp = parse_conversation_response(
        br#"{"object":"conversation.response","usage":null,"outputs":"?"}"#,
    )
    .unwrap();
    assert_eq!(resp, Default::default());
    assert!(matches!(
        parse_conversation_response(b"[]"),
        Err(WireError::NotAnObject)
    ));
}

#[test]
fn unknown_entry_types_in_outputs_are_kept_as_unknown() {
    let resp = parse_conversation_response(
        br#"{"outputs":[{"type":"message.reasoning","id":"r1"},{"type":"agent.handoff","id":"h1",
        "previous_agent_id":"a","previous_agent_name":"A","next_agent_id":"b","next_agent_name":"B"}]}"#,
    )
    .unwrap();
    assert_eq!(
        resp.outputs[0],
        Entry::Unknown {
            kind: "message.reasoning".into()
        }
    );
    let Entry::AgentHandoff(handoff) = &resp.outputs[1] else {
        panic!()
    };
    assert_eq!(handoff.next_agent_name.as_deref(), Some("B"));
}

#[test]
fn history_entries_parse_into_their_kinds_with_null_completed_at() {
    let body: serde_json::Value =
        serde_json::from_slice(&fixture("history.response.json")).unwrap();
    let entries: Vec<Entry> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(mistral_otel_wire::parse_entry)
        .collect();
    let kinds: Vec<&str> = entries.iter().map(Entry::kind).collect();
    assert_eq!(
        kinds,
        [
            "message.input",
            "tool.execution",
            "message.output",
            "message.input",
            "message.output"
        ]
    );
    assert_eq!(entries[0].completed_at(), None);
    assert_eq!(entries[0].created_at(), Some("2026-03-10T09:14:02.119404Z"));
    assert_eq!(
        entries[2].id(),
        Some("msg_019cd7065b2e7c118c86ac0f047f5060")
    );
    for entry in &entries {
        assert!(parse_timestamp(entry.created_at().unwrap()).is_some());
    }
}

#[test]
fn list_counts_the_bare_array() {
    let facts =
        parse_result_facts(Operation::ConversationList, &fixture("list.response.json")).unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            item_count: Some(4),
            ..Default::default()
        }
    );
}

#[test]
fn get_reads_the_conversation_id() {
    let facts =
        parse_result_facts(Operation::ConversationGet, &fixture("get.response.json")).unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            conversation_id: Some("conv_019cd7065406745882f38266558e95ad".into()),
            ..Default::default()
        }
    );
}

#[test]
fn history_counts_entries() {
    let facts = parse_result_facts(
        Operation::ConversationHistory,
        &fixture("history.response.json"),
    )
    .unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            entry_count: Some(5),
            conversation_id: Some("conv_019cd7065406745882f38266558e95ad".into()),
            ..Default::default()
        }
    );
}

#[test]
fn messages_counts_messages() {
    let facts = parse_result_facts(
        Operation::ConversationMessages,
        &fixture("messages.response.json"),
    )
    .unwrap();
    assert_eq!(facts.message_count, Some(4));
    assert_eq!(
        facts.conversation_id.as_deref(),
        Some("conv_019cd7065406745882f38266558e95ad")
    );
}

#[test]
fn agent_create_reads_id_version_and_name() {
    let facts = parse_result_facts(
        Operation::AgentCreate,
        &fixture("agent_create.response.json"),
    )
    .unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            agent_id: Some("ag_019cad8fbf88776b883159fcb56e5352".into()),
            agent_version: Some(0),
            agent_name: Some("triage-agent".into()),
            ..Default::default()
        }
    );
}

#[test]
fn library_create_reads_the_library_id() {
    let facts = parse_result_facts(
        Operation::LibraryCreate,
        &fixture("library_create.response.json"),
    )
    .unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            library_id: Some("019cb3dc-fb8a-711a-921b-88806715f57f".into()),
            ..Default::default()
        }
    );
}

#[test]
fn document_upload_reads_ids_and_process_status() {
    let facts = parse_result_facts(
        Operation::DocumentUpload,
        &fixture("library_document_upload.response.json"),
    )
    .unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            library_id: Some("019cb3dc-fb8a-711a-921b-88806715f57f".into()),
            document_id: Some("019cb3df-7180-7318-a740-0e022a0debc0".into()),
            process_status: Some("todo".into()),
            ..Default::default()
        }
    );
}

#[test]
fn document_status_reads_document_id_and_process_status() {
    let facts = parse_result_facts(
        Operation::DocumentStatus,
        &fixture("library_document_status.response.json"),
    )
    .unwrap();
    assert_eq!(
        facts,
        ResultFacts {
            document_id: Some("019cb3df-7180-7318-a740-0e022a0debc0".into()),
            process_status: Some("done".into()),
            ..Default::default()
        }
    );
}

#[test]
fn paged_lists_count_their_data_array() {
    let body = br#"{"pagination":{"total_items":3},"data":[{"id":"a"},{"id":"b"},{"id":"c"}]}"#;
    for op in [
        Operation::LibraryList,
        Operation::DocumentList,
        Operation::AgentListPages,
        Operation::AccessList,
    ] {
        assert_eq!(
            parse_result_facts(op, body).unwrap().item_count,
            Some(3),
            "{op:?}"
        );
    }
    // `data` of a non-list call is not an item count
    assert_eq!(
        parse_result_facts(Operation::DocumentGet, body)
            .unwrap()
            .item_count,
        None
    );
}

#[test]
fn agent_conversation_get_reads_agent_id_and_version() {
    let body = br#"{"object":"conversation","id":"conv_a","agent_id":"ag_1","agent_version":2}"#;
    let facts = parse_result_facts(Operation::ConversationGet, body).unwrap();
    assert_eq!(facts.conversation_id.as_deref(), Some("conv_a"));
    assert_eq!(facts.agent_id.as_deref(), Some("ag_1"));
    assert_eq!(facts.agent_version, Some(2));
    assert_eq!(facts.agent_name, None);
}

#[test]
fn empty_and_scalar_bodies_give_empty_facts_and_garbage_is_an_error() {
    assert_eq!(
        parse_result_facts(Operation::ConversationDelete, b"").unwrap(),
        ResultFacts::default()
    );
    assert_eq!(
        parse_result_facts(
            Operation::DocumentSignedUrl,
            br#""https://signed.example/x""#
        )
        .unwrap(),
        ResultFacts::default()
    );
    assert!(matches!(
        parse_result_facts(Operation::ConversationList, b"[1,2"),
        Err(WireError::Json(_))
    ));
    assert!(matches!(
        parse_result_facts(Operation::ConversationList, b"[] trailing"),
        Err(WireError::Json(_))
    ));
}
