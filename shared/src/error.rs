//! One error type for every route, mapped in one place to RFC 9457
//! `application/problem+json`. Server errors never leak their cause.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's path, e.g. `customer.domain` or `specialties[2]`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// An RFC 9457 problem document, as every error answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// The fields at fault, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or has invalid fields (400).
    #[error("{detail}")]
    BadRequest {
        /// A summary.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
    },
    /// No valid credentials (401).
    #[error("authentication required")]
    Unauthorized,
    /// The caller's role may never do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist or the caller may not see it (404).
    #[error("not found")]
    NotFound,
    /// Invalid state transition or violated invariant (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the route accepts (413).
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not JSON (415).
    #[error("expected a body of type application/json")]
    UnsupportedMediaType,
    /// Well-formed but cannot be processed, e.g. an idempotency key reused for another body (422).
    #[error("{0}")]
    Unprocessable(String),
    /// A limit was reached; retry after this many seconds (429 with `Retry-After`).
    #[error("{detail}")]
    TooManyRequests {
        /// What limit, and when the next try is allowed.
        detail: String,
        /// Seconds until the next try is allowed.
        retry_after_secs: u64,
    },
    /// Anything else (500); the cause is logged, never returned.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// A 400 naming several fields.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self::BadRequest { detail, errors }
    }

    /// A 403 with the default wording.
    pub fn forbidden() -> Self {
        Self::Forbidden("your role may not perform this action".into())
    }

    /// Whether this is an AWS dependency that did not answer (no connection,
    /// or timeouts) after the SDK's retries: the same request may be retried.
    pub fn is_unavailable(&self) -> bool {
        let Self::Unexpected(err) = self else { return false };
        err.chain().any(|c| {
            c.downcast_ref::<aws_smithy_runtime_api::client::result::ConnectorError>().is_some()
                || c.to_string() == "request has timed out"
        })
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        if self.is_unavailable() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (slug, title) = match self {
            Self::BadRequest { .. } => ("invalid-request", "Invalid request"),
            Self::Unauthorized => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::NotFound => ("not-found", "Not found"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            Self::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            Self::Unprocessable(_) => ("unprocessable", "Unprocessable request"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Limit reached"),
            Self::Unexpected(_) if self.is_unavailable() => ("unavailable", "Service unavailable"),
            Self::Unexpected(_) => ("internal", "Internal server error"),
        };
        let detail = match self {
            Self::Unexpected(_) if self.is_unavailable() => {
                "a service the platform depends on did not answer in time; retry the request".to_owned()
            }
            Self::Unexpected(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::NotFound => "the resource does not exist or you may not see it".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::BadRequest { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("https://prm.example.com/problems/{slug}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail,
            errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Unexpected(err) = &self {
            tracing::error!(error = format!("{err:#}"), "unexpected error");
        }
        let mut res = problem_response(self.status(), &self.problem());
        if self.is_unavailable() {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Self::TooManyRequests { retry_after_secs, .. } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Renders a problem document with its content type.
pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

/// Shorthand for route results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_error_names_its_field() {
        let p = ApiError::field("contact_email", "is not an email address").problem();
        assert_eq!(p.status, 400);
        assert_eq!(p.errors, vec![FieldError::new("contact_email", "is not an email address")]);
        assert!(p.detail.contains("contact_email"));
    }

    #[test]
    fn an_unexpected_error_hides_its_cause() {
        let p = ApiError::Unexpected(anyhow::anyhow!("table prm-secret is throttled")).problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("prm-secret"));
    }

    #[test]
    fn problem_json_has_the_rfc_9457_members() {
        let v = serde_json::to_value(ApiError::NotFound.problem()).unwrap();
        for key in ["type", "title", "status", "detail"] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        assert!(v.get("errors").is_none());
    }
}
