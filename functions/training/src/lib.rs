//! The training function: courses with revisions and quizzes, enrollments,
//! server-scored attempts within a daily limit, certifications that expire,
//! and the sweep that reminds holders before they do. `main.rs` runs
//! [`router`] on Lambda; `local-api` merges it.

pub mod domain;
pub mod routes;
pub mod store;
pub mod sweep;

use axum::Router;
use prm_shared::config::{ConfigError, CoreConfig, Source, required};
use prm_shared::cursor::CursorCodec;
use prm_shared::dynamo::Db;
use prm_shared::events::Publisher;
use prm_shared::idempotency;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The training function's configuration.
#[derive(Debug, Clone)]
pub struct TrainingConfig {
    /// Table and cursor secret.
    pub core: CoreConfig,
    /// The event bus (`EVENT_BUS_NAME`).
    pub event_bus_name: String,
}

impl TrainingConfig {
    /// Reads the configuration, naming the first variable missing.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self { core: CoreConfig::from_source(src)?, event_bus_name: required(src, "EVENT_BUS_NAME")? })
    }
}

/// What every route shares.
#[derive(Debug, Clone)]
pub struct TrainingState {
    /// The table.
    pub db: Db,
    /// Signs list cursors.
    pub cursors: CursorCodec,
    /// Publishes domain events through the outbox.
    pub events: Publisher,
}

impl TrainingState {
    /// State from configuration, the table handle and the SDK configuration.
    pub fn new(cfg: &TrainingConfig, db: Db, sdk: &aws_config::SdkConfig) -> Self {
        let events = Publisher {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: cfg.event_bus_name.clone(),
            db: db.clone(),
        };
        Self { db, cursors: CursorCodec::new(&cfg.core.cursor_secret), events }
    }
}

/// The routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<TrainingState> {
    OpenApiRouter::new()
        .routes(routes!(routes::create_course, routes::list_courses))
        .routes(routes!(routes::get_course, routes::update_course))
        .routes(routes!(routes::publish_course))
        .routes(routes!(routes::enroll))
        .routes(routes!(routes::get_my_enrollment))
        .routes(routes!(routes::complete_module))
        .routes(routes!(routes::attempt))
        .routes(routes!(routes::list_certifications))
}

/// The function's HTTP handler.
pub fn router(state: TrainingState) -> Router {
    let (router, _) = api().split_for_parts();
    router.layer(axum::middleware::from_fn_with_state(state.db.clone(), idempotency::layer)).with_state(state)
}
