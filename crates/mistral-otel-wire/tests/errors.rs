#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{ApiError, parse_error_body};

fn parsed(body: &str) -> ApiError {
    parse_error_body(body.as_bytes()).unwrap()
}

#[test]
fn validation_error_wrapped_in_message_joins_loc_and_msg() {
    let err = parse_error_body(&fixture("error_422.response.json")).unwrap();
    assert_eq!(
        err,
        ApiError {
            error_type: Some("invalid_request_error".into()),
            code: None,
            message: Some(
                "body.completion_args.temperature: Input should be less than or equal to 1".into()
            ),
            param: None,
            request_id: None,
            guardrails: Vec::new(),
        }
    );
}

#[test]
fn rate_limit_fixture_keeps_the_string_code() {
    let err = parse_error_body(&fixture("error_429.response.json")).unwrap();
    assert_eq!(err.error_type.as_deref(), Some("rate_limited"));
    assert_eq!(err.code.as_deref(), Some("1300"));
    assert_eq!(err.message.as_deref(), Some("Rate limit exceeded"));
}

#[test]
fn validation_error_with_raw_status_code_and_several_details() {
    let err = parsed(
        r#"{"object":"error","message":{"detail":[
            {"type":"extra_forbidden","loc":["body","foo"],"msg":"Extra inputs are not permitted","input":1},
            {"type":"dict_type","loc":["body","inputs",0],"msg":"Input should be a valid dictionary"}]},
          "type":"invalid_request_error","param":null,"code":null,"raw_status_code":422}"#,
    );
    assert_eq!(
        err.message.as_deref(),
        Some(
            "body.foo: Extra inputs are not permitted; body.inputs.0: Input should be a valid dictionary"
        )
    );
    assert_eq!(err.error_type.as_deref(), Some("invalid_request_error"));
}

#[test]
fn bare_detail_list_as_in_the_openapi_spec() {
    let err = parsed(
        r#"{"detail":[{"loc":["body","from_entry_id"],"msg":"Field required","type":"missing"}]}"#,
    );
    assert_eq!(
        err.message.as_deref(),
        Some("body.from_entry_id: Field required")
    );
    assert_eq!(err.error_type, None);
    assert_eq!(err.code, None);
}

#[test]
fn business_error_with_string_code() {
    let err = parsed(
        r#"{"object":"error","message":"Invalid model","type":"invalid_request_error","param":null,"code":"3051"}"#,
    );
    assert_eq!(err.code.as_deref(), Some("3051"));
    assert_eq!(err.message.as_deref(), Some("Invalid model"));
    assert_eq!(err.param, None);
}

#[test]
fn older_rate_limit_with_message_only() {
    let err = parsed(r#"{"message":"Requests rate limit exceeded"}"#);
    assert_eq!(
        err,
        ApiError {
            message: Some("Requests rate limit exceeded".into()),
            ..Default::default()
        }
    );
}

#[test]
fn handoff_failure_with_capitalised_object_and_integer_code() {
    let err = parsed(
        r#"{"object":"Error","message":"Response failed during handoff orchestration","type":"invalid_request_error","code":3000}"#,
    );
    assert_eq!(err.code.as_deref(), Some("3000"));
    assert_eq!(err.error_type.as_deref(), Some("invalid_request_error"));
    assert_eq!(
        err.message.as_deref(),
        Some("Response failed during handoff orchestration")
    );
}

#[test]
fn unauthorized_with_request_id() {
    let err = parsed(r#"{"message":"Unauthorized","request_id":"b1f4c7d0e2"}"#);
    assert_eq!(err.message.as_deref(), Some("Unauthorized"));
    assert_eq!(err.request_id.as_deref(), Some("b1f4c7d0e2"));
}

#[test]
fn param_is_read_when_present() {
    assert_eq!(
        parsed(r#"{"param":"temperature"}"#).param.as_deref(),
        Some("temperature")
    );
}

#[test]
fn unknown_object_shapes_give_an_empty_error_and_non_objects_none() {
    assert_eq!(parsed(r#"{"unexpected":true}"#), ApiError::default());
    assert_eq!(parse_error_body(b"<html>502 Bad Gateway</html>"), None);
    assert_eq!(parse_error_body(b"\"oops\""), None);
}
