//! The portal function: partners, partner users, `/v1/me`, health and the
//! OpenAPI document. `main.rs` runs [`router`] on Lambda; `local-api` merges it.

pub mod directory;
pub mod domain;
pub mod inbox;
pub mod onboarding;
pub mod routes;
pub mod store;

use std::sync::Arc;

use axum::Router;
use prm_shared::config::{ConfigError, CoreConfig, Source, required};
use prm_shared::cursor::CursorCodec;
use prm_shared::dynamo::Db;
use prm_shared::idempotency;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::directory::Directory;

/// The portal's configuration.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// Table and cursor secret.
    pub core: CoreConfig,
    /// The Cognito user pool (`USER_POOL_ID`).
    pub user_pool_id: String,
    /// Sender of the invitation email (`SENDER_EMAIL`).
    pub sender_email: String,
    /// Where the portal is (`PORTAL_URL`).
    pub portal_url: String,
    /// The program's name (`PROGRAM_NAME`, default "Partner Program").
    pub program_name: String,
    /// The event bus (`EVENT_BUS_NAME`).
    pub event_bus_name: String,
}

impl PortalConfig {
    /// Reads the configuration, naming the first variable missing.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        Ok(Self {
            core: CoreConfig::from_source(src)?,
            user_pool_id: required(src, "USER_POOL_ID")?,
            sender_email: required(src, "SENDER_EMAIL")?,
            portal_url: required(src, "PORTAL_URL")?,
            program_name: src.get("PROGRAM_NAME").unwrap_or_else(|| "Partner Program".to_owned()),
            event_bus_name: required(src, "EVENT_BUS_NAME")?,
        })
    }
}

/// What every route shares: clients built once per process.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The table.
    pub db: Db,
    /// Signs list cursors.
    pub cursors: CursorCodec,
    /// Cognito and SES.
    pub directory: Arc<Directory>,
    /// Publishes domain events through the outbox.
    pub events: prm_shared::events::Publisher,
}

impl AppState {
    /// Builds the clients from the shared SDK configuration.
    pub fn new(cfg: PortalConfig, db: Db, sdk: &aws_config::SdkConfig) -> Self {
        let events = prm_shared::events::Publisher {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: cfg.event_bus_name.clone(),
            db: db.clone(),
        };
        Self {
            events,
            db,
            cursors: CursorCodec::new(&cfg.core.cursor_secret),
            directory: Arc::new(Directory {
                idp: aws_sdk_cognitoidentityprovider::Client::new(sdk),
                user_pool_id: cfg.user_pool_id,
                ses: aws_sdk_sesv2::Client::new(sdk),
                sender: cfg.sender_email,
                portal_url: cfg.portal_url,
                program_name: cfg.program_name,
            }),
        }
    }
}

/// The routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::health))
        .routes(routes!(routes::openapi_json))
        .routes(routes!(routes::me))
        .routes(routes!(routes::create_partner, routes::list_partners))
        .routes(routes!(routes::get_partner, routes::update_partner))
        .routes(routes!(routes::invite_user, routes::list_users))
        .routes(routes!(inbox::list_notifications))
        .routes(routes!(inbox::read_notification))
        .routes(routes!(inbox::get_preferences, inbox::put_preferences))
        .routes(routes!(onboarding::get_onboarding))
        .routes(routes!(onboarding::complete_task))
        .routes(routes!(onboarding::get_checklist, onboarding::put_checklist))
}

/// The function's HTTP handler.
pub fn router(state: AppState) -> Router {
    let (router, _) = api().split_for_parts();
    router.layer(axum::middleware::from_fn_with_state(state.db.clone(), idempotency::layer)).with_state(state)
}
