//! JSON request bodies and query strings parsed into typed values, with every
//! failure a 4xx problem naming the field: malformed JSON, unknown fields,
//! missing fields, wrong types, oversized bodies.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Largest JSON body any route accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body deserialized into `T` (use `#[serde(deny_unknown_fields)]` on `T`).
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body parsed when the handler asks for it, so that authorization
/// answers (401/403/404) before the body is judged.
#[derive(Debug)]
pub struct JsonBody<T>(Result<T, ApiError>);

impl<T> JsonBody<T> {
    /// The parsed body, or the 4xx naming what is wrong with it.
    pub fn parse(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(JsonBody(ApiJson::from_request(req, state).await.map(|ApiJson(v)| v)))
    }
}

/// An optional JSON body: empty means `T::default()`, anything else must parse.
pub fn optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { parse_json(bytes) }
}

/// A 201 with the created object and its `Location`.
pub fn created<T: serde::Serialize>(location: &str, body: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = (axum::http::StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Deserializes JSON, naming the field at fault in any error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body of this API is an object; say so rather than naming "[0]".
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(ApiError::field("body", "a JSON object is required")),
        Some(b'{') => {}
        Some(b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => {
            return Err(ApiError::field("body", "must be a JSON object"));
        }
        Some(_) => {}
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        field_error(&path, &inner)
    })?;
    de.end().map_err(|_| ApiError::field("body", "unexpected content after the JSON value"))?;
    Ok(value)
}

fn field_error(path: &str, err: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    if matches!(err.classify(), Category::Syntax | Category::Eof | Category::Io) {
        return ApiError::field("body", format!("malformed JSON: {}", strip_position(&err.to_string())));
    }
    let message = strip_position(&err.to_string());
    let base = if path == "." { "" } else { path };
    // "missing field `x`" and "unknown field `x`, ..." name the field only in the message.
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    let (field, text) = match named {
        Some(name) if message.starts_with("missing") => (join(base, name), "is required".to_owned()),
        Some(name) => {
            let field =
                if base == name || base.ends_with(&format!(".{name}")) { base.to_owned() } else { join(base, name) };
            (field, "is not a known field".to_owned())
        }
        None => (if base.is_empty() { "body".to_owned() } else { base.to_owned() }, message),
    };
    ApiError::invalid(vec![FieldError::new(field, text)])
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() { name.to_owned() } else { format!("{base}.{name}") }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// A query string deserialized into `T`; an invalid parameter is a 400 naming it.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "query".to_owned() } else { path };
            ApiError::field(field, e.into_inner().to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Customer {
        domain: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
        customer: Option<Customer>,
        tags: Option<Vec<String>>,
    }

    fn field_of(json: &str) -> String {
        parse_json::<Body>(json.as_bytes()).unwrap_err().problem().errors[0].field.clone()
    }

    #[test]
    fn malformed_json_is_a_body_error() {
        assert_eq!(field_of("{\"name\": "), "body");
        assert_eq!(field_of("not json"), "body");
        assert_eq!(field_of(""), "body");
        assert_eq!(field_of("{\"name\":\"a\",\"count\":1} trailing"), "body");
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(field_of(r#"{"name":"a"}"#), "count");
        assert_eq!(field_of(r#"{"name":"a","count":1,"customer":{}}"#), "customer.domain");
    }

    #[test]
    fn an_unknown_field_is_named() {
        assert_eq!(field_of(r#"{"name":"a","count":1,"status":"x"}"#), "status");
        assert_eq!(field_of(r#"{"name":"a","count":1,"customer":{"domain":"d","x":1}}"#), "customer.x");
    }

    #[test]
    fn a_wrong_type_is_named() {
        assert_eq!(field_of(r#"{"name":5,"count":1}"#), "name");
        assert_eq!(field_of(r#"{"name":"a","count":-1}"#), "count");
        assert_eq!(field_of(r#"{"name":"a","count":1,"tags":["x",3]}"#), "tags[1]");
        assert_eq!(field_of(r#"[1,2]"#), "body");
    }

    mod properties {
        use proptest::prelude::*;
        use serde_json::Value;

        use super::*;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
                "\\PC{0,20}".prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("name".to_owned()),
                            Just("customer".to_owned()),
                            Just("domain".to_owned()),
                            "[a-z_]{1,8}"
                        ],
                        inner,
                        0..6
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// Any bytes at all: a value or a 400 naming a field, never a panic.
            #[test]
            fn any_bytes_parse_or_name_a_field(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
                if let Err(e) = parse_json::<Body>(&bytes) {
                    let problem = e.problem();
                    prop_assert_eq!(problem.status, 400);
                    prop_assert!(!problem.errors.is_empty() && !problem.errors[0].field.is_empty());
                }
            }

            /// Any JSON document: the same, and the named field is one of the body's or `body`.
            #[test]
            fn any_json_parses_or_names_a_field(v in json()) {
                let bytes = serde_json::to_vec(&v).unwrap();
                if let Err(e) = parse_json::<Body>(&bytes) {
                    let problem = e.problem();
                    let field = problem.errors[0].field.clone();
                    let top = field.split(['.', '[']).next().unwrap_or("");
                    let known = field == "body" || ["name", "count", "customer", "tags"].contains(&top) || v.get(top).is_some();
                    prop_assert!(known, "{} for {}", field, v);
                }
            }
        }
    }
}
