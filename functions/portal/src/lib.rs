//! The portal function: partners, partner users, `/v1/me`, health and the
//! OpenAPI document. `main.rs` runs [`router`] on Lambda; `local-api` merges it.

pub mod announcements;
pub mod assets;
pub mod directory;
pub mod domain;
pub mod evaluation;
pub mod feed;
pub mod inbox;
pub mod onboarding;
pub mod report;
pub mod routes;
pub mod scorecard;
pub mod shares;
pub mod store;
pub mod tiers;
pub mod visibility;

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
    /// The bucket of content files (`BUCKET_NAME`).
    pub bucket_name: String,
    /// Where the API is reachable from outside, for share links
    /// (`PUBLIC_API_URL`, default `PORTAL_URL`).
    pub public_api_url: String,
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
            bucket_name: required(src, "BUCKET_NAME")?,
            public_api_url: src.get("PUBLIC_API_URL").map_or_else(|| required(src, "PORTAL_URL"), Ok)?,
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
    /// Presigns content uploads and downloads.
    pub s3: aws_sdk_s3::Client,
    /// The bucket of content files.
    pub bucket: String,
    /// Base of share links.
    pub public_url: String,
}

impl AppState {
    /// Builds the clients from the shared SDK configuration.
    pub fn new(cfg: PortalConfig, db: Db, sdk: &aws_config::SdkConfig, s3: aws_sdk_s3::Client) -> Self {
        let events = prm_shared::events::Publisher {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: cfg.event_bus_name.clone(),
            db: db.clone(),
        };
        Self {
            events,
            s3,
            bucket: cfg.bucket_name.clone(),
            public_url: cfg.public_api_url.clone(),
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
        .routes(routes!(assets::create_asset, assets::list_assets))
        .routes(routes!(assets::get_asset_route))
        .routes(routes!(assets::publish_asset))
        .routes(routes!(assets::unpublish_asset))
        .routes(routes!(assets::archive_asset))
        .routes(routes!(assets::add_version, assets::list_versions))
        .routes(routes!(assets::download))
        .routes(routes!(assets::download_counts))
        .routes(routes!(shares::create_share, shares::list_shares))
        .routes(routes!(shares::revoke_share))
        .routes(routes!(shares::open_share))
        .routes(routes!(announcements::post_announcement, announcements::list_announcements))
        .routes(routes!(scorecard::get_scorecard))
        .routes(routes!(tiers::get_tiers, tiers::put_tiers))
        .routes(routes!(evaluation::list_proposals))
        .routes(routes!(evaluation::approve_proposal))
        .routes(routes!(evaluation::reject_proposal))
        .routes(routes!(report::program_report))
}

/// The function's HTTP handler.
pub fn router(state: AppState) -> Router {
    let (router, _) = api().split_for_parts();
    router.layer(axum::middleware::from_fn_with_state(state.db.clone(), idempotency::layer)).with_state(state)
}
