//! `Idempotency-Key` for POSTs: the first answer to a key is stored (24 h) and
//! replayed to every retry with the same body; the same key with another body
//! is a 422; a retry while the first is still running is a 409. Keys are
//! scoped to the caller, so two users never collide.
//!
//! The first request claims the key with a conditional put; its outcome is
//! then saved on the same item. 5xx outcomes are not kept, so a retry can
//! succeed. If a process dies between its work and saving the outcome, the
//! claim expires after [`LOCK_SECS`] and a retry runs again.

use anyhow::Context;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::dynamo::{Db, PK, from_item, key, n, s, to_item};
use crate::error::ApiError;
use crate::json::MAX_BODY_BYTES;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long an answer is kept.
pub const TTL_SECS: i64 = 24 * 3600;
/// How long a claimed key blocks retries before another attempt may take it
/// over: longer than any request can run (the functions stop at 15 s), so an
/// older claim was abandoned (its request failed before it could release it,
/// e.g. while the table did not answer).
pub const LOCK_SECS: i64 = 16;
/// Largest answer kept for replay.
const MAX_STORED_RESPONSE: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    pk: String,
    sk: String,
    fingerprint: String,
    state: String,
    lock_expires_at: i64,
    ttl: i64,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    location: Option<String>,
    /// Which request holds the claim: a retried claim write whose first
    /// attempt landed recognizes its own claim.
    #[serde(default)]
    claim: Option<String>,
}

const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";

/// Axum middleware: add with `axum::middleware::from_fn_with_state(db, idempotency::layer)`.
pub async fn layer(State(db): State<Db>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return next.run(req).await;
    }
    match handle(&db, req, next).await {
        Ok(res) | Err(res) => res,
    }
}

fn parse_key(req: &Request) -> Result<String, ApiError> {
    let bad = || ApiError::field("Idempotency-Key", "must be 1 to 255 visible ASCII characters");
    let value = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).ok_or_else(bad)?;
    let value = value.trim();
    if value.is_empty() || value.len() > 255 || !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(bad());
    }
    Ok(value.to_owned())
}

async fn handle(db: &Db, req: Request, next: Next) -> Result<Response, Response> {
    let key_value = parse_key(&req).map_err(IntoResponse::into_response)?;
    // Unauthenticated requests pass through; the route answers 401.
    let Ok(caller) = Caller::from_context(req.extensions().get::<RequestContext>()) else {
        return Ok(next.run(req).await);
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES).into_response())?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(parts.uri.path().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let fingerprint = hex::encode(hasher.finalize());
    let pk = format!("IDEMPOTENCY#{}#{}", caller.sub, key_value);
    let sk = "IDEMPOTENCY".to_owned();

    claim(db, &pk, &sk, &fingerprint).await?;

    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if res.status().is_server_error() {
        // Not kept: let a retry try again.
        if let Err(e) = db.client.delete_item().table_name(&db.table).set_key(Some(key(&pk, &sk))).send().await {
            tracing::warn!(error = %e, "could not release idempotency key");
        }
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "response too large to keep for idempotent replay");
            return Err(ApiError::Unexpected(anyhow::anyhow!("response body unreadable")).into_response());
        }
    };
    let header_str =
        |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let done = Record {
        pk: pk.clone(),
        sk,
        fingerprint,
        state: DONE.to_owned(),
        lock_expires_at: 0,
        ttl: now() + TTL_SECS,
        status: Some(parts.status.as_u16()),
        body: Some(String::from_utf8_lossy(&bytes).into_owned()),
        content_type: header_str(header::CONTENT_TYPE),
        location: header_str(header::LOCATION),
        claim: None,
    };
    let saved = async {
        db.client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(to_item(&done)?))
            .send()
            .await
            .context("saving idempotent answer")
    }
    .await;
    if let Err(e) = saved {
        tracing::error!(error = format!("{e:#}"), "idempotent answer not saved; a retry will run again");
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims the key, or answers for it: a replay, a 422 or a 409.
async fn claim(db: &Db, pk: &str, sk: &str, fingerprint: &str) -> Result<(), Response> {
    let t = now();
    let record = Record {
        pk: pk.to_owned(),
        sk: sk.to_owned(),
        fingerprint: fingerprint.to_owned(),
        state: IN_PROGRESS.to_owned(),
        lock_expires_at: t + LOCK_SECS,
        ttl: t + TTL_SECS,
        status: None,
        body: None,
        content_type: None,
        location: None,
        claim: Some(ulid::Ulid::new().to_string()),
    };
    let item = to_item(&record).map_err(|e| ApiError::Unexpected(e).into_response())?;
    // A key is free when unused, expired but not yet deleted by TTL, or an
    // abandoned claim with the same body.
    let res = db
        .client
        .put_item()
        .table_name(&db.table)
        .set_item(Some(item))
        .condition_expression(
            "attribute_not_exists(#pk) OR #ttl < :now OR (#state = :progress AND #lock < :now AND #fp = :fp) \
             OR #claim = :claim",
        )
        .expression_attribute_names("#claim", "claim")
        .expression_attribute_values(":claim", s(record.claim.as_deref().unwrap_or_default()))
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_names("#state", "state")
        .expression_attribute_names("#lock", "lock_expires_at")
        .expression_attribute_names("#fp", "fingerprint")
        .expression_attribute_values(":now", n(t))
        .expression_attribute_values(":progress", s(IN_PROGRESS))
        .expression_attribute_values(":fp", s(fingerprint))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    let old = match res {
        Ok(_) => return Ok(()),
        Err(SdkError::ServiceError(e)) => match e.into_err() {
            PutItemError::ConditionalCheckFailedException(c) => c.item,
            other => {
                return Err(
                    ApiError::Unexpected(anyhow::Error::new(other).context("claiming idempotency key")).into_response()
                );
            }
        },
        Err(e) => {
            return Err(ApiError::Unexpected(anyhow::Error::new(e).context("claiming idempotency key")).into_response());
        }
    };
    let old: Record = match old.map(from_item).transpose() {
        Ok(Some(r)) => r,
        Ok(None) => return Err(ApiError::Conflict("the Idempotency-Key is busy; retry".into()).into_response()),
        Err(e) => return Err(ApiError::Unexpected(e).into_response()),
    };
    if old.fingerprint != fingerprint {
        return Err(ApiError::Unprocessable("this Idempotency-Key was already used with a different request".into())
            .into_response());
    }
    if old.state != DONE {
        let mut res =
            ApiError::Conflict("a request with this Idempotency-Key is still being processed; retry shortly".into())
                .into_response();
        // When the claim can be taken over if its request was abandoned.
        let wait = (old.lock_expires_at - t).clamp(1, LOCK_SECS);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Err(res);
    }
    Err(replay(old))
}

fn replay(record: Record) -> Response {
    let status = record.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut res = (status, record.body.unwrap_or_default()).into_response();
    let headers = res.headers_mut();
    if let Some(ct) = record.content_type.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    if let Some(loc) = record.location.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::LOCATION, loc);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    res
}
