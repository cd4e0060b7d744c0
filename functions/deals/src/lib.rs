//! The deals function: deal registration with conflict detection, approvals
//! and customer protection. `main.rs` runs [`router`] on Lambda; `local-api` merges it.

pub mod customer;
pub mod distribution;
pub mod domain;
pub mod events;
pub mod lead;
pub mod lead_routes;
pub mod lead_store;
pub mod routes;
pub mod store;
pub mod sweep;

use axum::Router;
use prm_shared::config::{ConfigError, CoreConfig, Source, parsed_or, required};
use prm_shared::cursor::CursorCodec;
use prm_shared::dynamo::Db;
use prm_shared::events::Publisher;
use prm_shared::idempotency;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The deals function's configuration.
#[derive(Debug, Clone)]
pub struct DealsConfig {
    /// Table and cursor secret.
    pub core: CoreConfig,
    /// Default protection period in days (`DEFAULT_PROTECTION_DAYS`, default 90).
    pub protection_days: i64,
    /// The event bus (`EVENT_BUS_NAME`).
    pub event_bus_name: String,
    /// Hours the vendor has to review a registration (`DEAL_REVIEW_SLA_HOURS`, default 48).
    pub review_sla_hours: i64,
}

impl DealsConfig {
    /// Reads the configuration, naming the first variable missing or wrong.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            core: CoreConfig::from_source(src)?,
            protection_days: parsed_or(src, "DEFAULT_PROTECTION_DAYS", 90)?,
            event_bus_name: required(src, "EVENT_BUS_NAME")?,
            review_sla_hours: parsed_or(src, "DEAL_REVIEW_SLA_HOURS", 48)?,
        })
    }
}

/// What every route shares.
#[derive(Debug, Clone)]
pub struct DealsState {
    /// The table.
    pub db: Db,
    /// Signs list cursors.
    pub cursors: CursorCodec,
    /// Default protection period in days.
    pub protection_days: i64,
    /// Publishes domain events through the outbox.
    pub events: Publisher,
    /// Lead distribution rules.
    pub rules: distribution::Rules,
    /// Hours the vendor has to review a registration.
    pub review_sla_hours: i64,
}

impl DealsState {
    /// State from configuration, the table handle and the SDK configuration.
    pub fn new(cfg: &DealsConfig, db: Db, sdk: &aws_config::SdkConfig) -> Self {
        let events = Publisher {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: cfg.event_bus_name.clone(),
            db: db.clone(),
        };
        Self {
            db,
            cursors: CursorCodec::new(&cfg.core.cursor_secret),
            protection_days: cfg.protection_days,
            events,
            rules: distribution::Rules::default(),
            review_sla_hours: cfg.review_sla_hours,
        }
    }
}

/// The routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<DealsState> {
    OpenApiRouter::new()
        .routes(routes!(routes::check_deal))
        .routes(routes!(routes::register_deal, routes::list_deals))
        .routes(routes!(routes::get_deal))
        .routes(routes!(routes::approve_deal))
        .routes(routes!(routes::reject_deal))
        .routes(routes!(routes::close_deal))
        .routes(routes!(routes::extend_deal))
        .routes(routes!(lead_routes::create_lead, lead_routes::list_leads))
        .routes(routes!(lead_routes::get_lead))
        .routes(routes!(lead_routes::accept_lead))
        .routes(routes!(lead_routes::decline_lead))
        .routes(routes!(lead_routes::lead_assignment))
}

/// The function's HTTP handler.
pub fn router(state: DealsState) -> Router {
    let (router, _) = api().split_for_parts();
    router.layer(axum::middleware::from_fn_with_state(state.db.clone(), idempotency::layer)).with_state(state)
}
