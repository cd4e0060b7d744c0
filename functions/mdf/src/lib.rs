//! The MDF function: fund allocations with balances that are never
//! over-committed, fund requests and their approval, and the ledger.
//! `main.rs` runs [`router`] on Lambda; `local-api` merges it.

pub mod coop;
pub mod domain;
pub mod report;
pub mod routes;
pub mod rules;
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

use crate::rules::MdfRules;

/// The MDF function's configuration.
#[derive(Debug, Clone)]
pub struct MdfConfig {
    /// Table and cursor secret.
    pub core: CoreConfig,
    /// The event bus (`EVENT_BUS_NAME`).
    pub event_bus_name: String,
    /// The bucket of proof files (`BUCKET_NAME`).
    pub bucket_name: String,
    /// Claim windows and co-op rates.
    pub rules: MdfRules,
}

impl MdfConfig {
    /// Reads the configuration, naming the first variable missing.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            core: CoreConfig::from_source(src)?,
            event_bus_name: required(src, "EVENT_BUS_NAME")?,
            bucket_name: required(src, "BUCKET_NAME")?,
            rules: MdfRules::from_source(src)?,
        })
    }
}

/// What every route shares.
#[derive(Debug, Clone)]
pub struct MdfState {
    /// The table.
    pub db: Db,
    /// Signs list cursors.
    pub cursors: CursorCodec,
    /// Publishes domain events through the outbox.
    pub events: Publisher,
    /// Presigns proof uploads.
    pub s3: aws_sdk_s3::Client,
    /// The bucket of proof files.
    pub bucket: String,
    /// Claim windows and co-op rates.
    pub rules: MdfRules,
}

impl MdfState {
    /// State from configuration, the table handle and the SDK configuration.
    pub fn new(cfg: &MdfConfig, db: Db, sdk: &aws_config::SdkConfig, s3: aws_sdk_s3::Client) -> Self {
        let events = Publisher {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: cfg.event_bus_name.clone(),
            db: db.clone(),
        };
        Self {
            db,
            cursors: CursorCodec::new(&cfg.core.cursor_secret),
            events,
            s3,
            bucket: cfg.bucket_name.clone(),
            rules: cfg.rules.clone(),
        }
    }
}

/// The routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<MdfState> {
    OpenApiRouter::new()
        .routes(routes!(routes::create_allocation, routes::list_allocations))
        .routes(routes!(routes::create_request, routes::list_requests))
        .routes(routes!(routes::get_request))
        .routes(routes!(routes::approve_request))
        .routes(routes!(routes::reject_request))
        .routes(routes!(routes::create_claim))
        .routes(routes!(routes::list_claims))
        .routes(routes!(routes::get_claim))
        .routes(routes!(routes::approve_claim))
        .routes(routes!(routes::reject_claim))
        .routes(routes!(routes::pay_claim))
        .routes(routes!(report::report))
}

/// The function's HTTP handler.
pub fn router(state: MdfState) -> Router {
    let (router, _) = api().split_for_parts();
    router.layer(axum::middleware::from_fn_with_state(state.db.clone(), idempotency::layer)).with_state(state)
}
