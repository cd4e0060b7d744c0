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
