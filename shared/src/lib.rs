//! The one library every PRM function uses: configuration, telemetry, errors,
//! the caller and its policies, DynamoDB helpers, cursors, idempotency and
//! request parsing. Domain models stay in their function crates.

pub mod auth;
pub mod aws;
pub mod config;
pub mod cursor;
pub mod due;
pub mod dynamo;
pub mod enums;
pub mod error;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod json;
pub mod list;
pub mod meter;
pub mod money;
pub mod notify;
pub mod openapi;
pub mod program;
pub mod telemetry;
pub mod validate;

pub use error::{ApiError, FieldError};
