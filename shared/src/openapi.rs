//! What every function's OpenAPI fragment shares: the bearer scheme and the
//! problem document.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

use crate::error::{FieldError, Problem};

/// Name of the bearer security scheme the routes refer to.
pub const BEARER: &str = "bearer";

/// The document every function's routes are merged into.
pub fn base() -> OpenApi {
    let scheme = SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("A Cognito ID token of the program's user pool."))
            .build(),
    );
    let components = ComponentsBuilder::new()
        .security_scheme(BEARER, scheme)
        .schema_from::<Problem>()
        .schema_from::<FieldError>()
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("PRM platform API")
                .version("1.0.0")
                .description(Some(
                    "Partner relationship management: partners, content, training, deals, leads and MDF. \
                     Errors are RFC 9457 problem documents.",
                ))
                .build(),
        )
        .components(Some(components))
        .build()
}

/// The problem answers an authenticated route can give, documented once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ApiErrors {
    /// Invalid request: `errors[]` names each field at fault.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role may never do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such object, or one the caller may not see.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Invalid state transition, violated invariant or duplicate.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// Body too large.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// Body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// `Idempotency-Key` reused with another body.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
}
