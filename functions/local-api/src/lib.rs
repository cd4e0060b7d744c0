//! Dev-only: every function's router behind a local JWT authorizer, plus the
//! provisioning and seeding of the local emulators. Never deployed.

pub mod authorizer;
pub mod dev_mail;
pub mod provision;
pub mod pump;
pub mod resources;
pub mod seed;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::response::IntoResponse;
use prm_shared::ApiError;
use prm_shared::aws::LocalEndpoints;
use prm_shared::config::CoreConfig;
use prm_shared::dynamo::Db;

use crate::authorizer::JwtAuthorizer;

/// Where everything of one local platform lives.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// The emulators.
    pub endpoints: LocalEndpoints,
    /// The table.
    pub table_name: String,
    /// The user pool.
    pub user_pool_id: String,
    /// The portal's app client.
    pub client_id: String,
    /// The invitation sender.
    pub sender_email: String,
    /// The portal link in emails.
    pub portal_url: String,
    /// Signs cursors.
    pub cursor_secret: String,
    /// The event bus.
    pub event_bus_name: String,
    /// The bucket of files.
    pub bucket_name: String,
    /// Records the functions' DynamoDB calls (tests and benchmarks).
    pub dynamodb_meter: Option<prm_shared::meter::Meter>,
}

impl LocalConfig {
    /// The issuer Cognito (and moto) put in tokens of this pool.
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.{}.amazonaws.com/{}", self.endpoints.region, self.user_pool_id)
    }

    /// moto serves the pool's keys here (it cannot be derived from the issuer).
    pub fn jwks_url(&self) -> String {
        format!("{}/{}/.well-known/jwks.json", self.endpoints.aws.trim_end_matches('/'), self.user_pool_id)
    }
}

async fn not_found() -> impl IntoResponse {
    ApiError::NotFound
}

/// The merged routers of every function, behind the authorizer.
pub async fn app(cfg: &LocalConfig) -> anyhow::Result<Router> {
    let sdk = cfg.endpoints.sdk_config().await;
    let db = Db::new(cfg.endpoints.metered_dynamodb_client(&sdk, cfg.dynamodb_meter.as_ref()), cfg.table_name.clone());
    let portal_cfg = portal_config(cfg);
    let deals_state = deals::DealsState::new(&deals_config(cfg), db.clone(), &sdk);
    let auth = JwtAuthorizer::new(cfg.jwks_url(), cfg.issuer(), vec![cfg.client_id.clone()]).await?;
    Ok(Router::new()
        .merge(portal::router(portal::AppState::new(portal_cfg, db.clone(), &sdk, s3_client(&sdk))))
        .merge(deals::router(deals_state))
        .merge(mdf::router(mdf::MdfState::new(&mdf_config(cfg), db.clone(), &sdk, s3_client(&sdk))))
        .merge(training::router(training::TrainingState::new(&training_config(cfg), db.clone(), &sdk)))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::new(auth), authorizer::layer)))
}

fn core_config(cfg: &LocalConfig) -> CoreConfig {
    CoreConfig { table_name: cfg.table_name.clone(), cursor_secret: cfg.cursor_secret.clone().into_bytes() }
}

fn deals_config(cfg: &LocalConfig) -> deals::DealsConfig {
    deals::DealsConfig {
        core: core_config(cfg),
        protection_days: 90,
        event_bus_name: cfg.event_bus_name.clone(),
        review_sla_hours: 48,
    }
}

/// The deals function's state, for its scheduled sweep.
pub async fn deals_state(cfg: &LocalConfig) -> deals::DealsState {
    let sdk = cfg.endpoints.sdk_config().await;
    let db = Db::new(cfg.endpoints.dynamodb_client(&sdk), cfg.table_name.clone());
    deals::DealsState::new(&deals_config(cfg), db, &sdk)
}

/// The MDF function's state.
pub async fn mdf_state(cfg: &LocalConfig) -> mdf::MdfState {
    let sdk = cfg.endpoints.sdk_config().await;
    let db = Db::new(cfg.endpoints.dynamodb_client(&sdk), cfg.table_name.clone());
    mdf::MdfState::new(&mdf_config(cfg), db, &sdk, s3_client(&sdk))
}

fn training_config(cfg: &LocalConfig) -> training::TrainingConfig {
    training::TrainingConfig { core: core_config(cfg), event_bus_name: cfg.event_bus_name.clone() }
}

/// The portal's state (for its event handler).
pub async fn portal_state(cfg: &LocalConfig) -> portal::AppState {
    let sdk = cfg.endpoints.sdk_config().await;
    let db = Db::new(cfg.endpoints.dynamodb_client(&sdk), cfg.table_name.clone());
    portal::AppState::new(portal_config(cfg), db, &sdk, s3_client(&sdk))
}

fn portal_config(cfg: &LocalConfig) -> portal::PortalConfig {
    portal::PortalConfig {
        core: core_config(cfg),
        user_pool_id: cfg.user_pool_id.clone(),
        sender_email: cfg.sender_email.clone(),
        portal_url: cfg.portal_url.clone(),
        program_name: "Demo Partner Program".into(),
        event_bus_name: cfg.event_bus_name.clone(),
        bucket_name: cfg.bucket_name.clone(),
        public_api_url: cfg.portal_url.clone(),
    }
}

/// The training function's state, for its scheduled sweep.
pub async fn training_state(cfg: &LocalConfig) -> training::TrainingState {
    let sdk = cfg.endpoints.sdk_config().await;
    let db = Db::new(cfg.endpoints.dynamodb_client(&sdk), cfg.table_name.clone());
    training::TrainingState::new(&training_config(cfg), db, &sdk)
}

/// The alerts function's state, sending as `cfg.sender_email`.
pub async fn alerts_state(cfg: &LocalConfig) -> alerts::AlertsState {
    let sdk = cfg.endpoints.sdk_config().await;
    let db = Db::new(cfg.endpoints.dynamodb_client(&sdk), cfg.table_name.clone());
    let alerts_cfg = alerts::AlertsConfig {
        table_name: cfg.table_name.clone(),
        user_pool_id: cfg.user_pool_id.clone(),
        sender_email: cfg.sender_email.clone(),
        portal_url: cfg.portal_url.clone(),
        program_name: "Demo Partner Program".into(),
        digest_hour_utc: 7,
        email_cap_per_hour: 60,
    };
    alerts::AlertsState::new(alerts_cfg, db, &sdk)
}

/// An S3 client for moto (path-style addressing for an IP endpoint).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
}

fn mdf_config(cfg: &LocalConfig) -> mdf::MdfConfig {
    mdf::MdfConfig {
        core: core_config(cfg),
        event_bus_name: cfg.event_bus_name.clone(),
        bucket_name: cfg.bucket_name.clone(),
        rules: mdf::rules::MdfRules::default(),
    }
}

/// The outbox publisher of this platform (for the sweep that, on AWS, the
/// scheduled alerts function runs).
pub async fn publisher(cfg: &LocalConfig) -> prm_shared::events::Publisher {
    let sdk = cfg.endpoints.sdk_config().await;
    prm_shared::events::Publisher {
        client: aws_sdk_eventbridge::Client::new(&sdk),
        bus: cfg.event_bus_name.clone(),
        db: Db::new(cfg.endpoints.dynamodb_client(&sdk), cfg.table_name.clone()),
    }
}

/// The OpenAPI document of every function's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = prm_shared::openapi::base();
    doc.merge(portal::api().into_openapi());
    doc.merge(deals::api().into_openapi());
    doc.merge(mdf::api().into_openapi());
    doc.merge(training::api().into_openapi());
    doc
}

/// One route of the HTTP API and the function that serves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Route {
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: String,
    /// The path, with `{name}` parameters as API Gateway writes them.
    pub path: String,
    /// The function (binary) behind it.
    pub function: &'static str,
    /// Whether it is reachable without a token (no authorizer).
    pub public: bool,
}

/// Every route of every HTTP function, sorted by path and method: the table
/// the CDK app turns into API Gateway routes (`infra/routes.json`).
pub fn routes() -> Vec<Route> {
    let apis = [
        ("portal", portal::api().into_openapi()),
        ("deals", deals::api().into_openapi()),
        ("mdf", mdf::api().into_openapi()),
        ("training", training::api().into_openapi()),
    ];
    let mut out = Vec::new();
    for (function, doc) in apis {
        for (path, item) in doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    let public = authorizer::is_public(&path);
                    out.push(Route { method: method.into(), path: path.clone(), function, public });
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    out
}

/// The route table as committed in `infra/routes.json`.
pub fn routes_json() -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(&routes())?))
}

/// The document as committed in `openapi.json`.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(format!("{}\n", openapi().to_pretty_json()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_openapi_document_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == super::openapi_json().unwrap(), "openapi.json is stale: run `make openapi` and commit it");
    }

    #[test]
    fn the_committed_route_table_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/routes.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::routes_json().unwrap(),
            "infra/routes.json is stale: run `make openapi` and commit it"
        );
    }

    #[test]
    fn every_route_has_one_function_and_only_health_openapi_and_share_links_are_public() {
        let routes = super::routes();
        let mut seen = std::collections::BTreeSet::new();
        for r in &routes {
            assert!(seen.insert((r.method.clone(), r.path.clone())), "{} {} is served twice", r.method, r.path);
        }
        let public: Vec<String> =
            routes.iter().filter(|r| r.public).map(|r| format!("{} {}", r.method, r.path)).collect();
        assert_eq!(public, vec!["GET /v1/health", "GET /v1/openapi.json", "GET /v1/s/{token}"]);
        let doc = super::openapi();
        let operations: usize = doc
            .paths
            .paths
            .values()
            .map(|i| {
                [i.get.is_some(), i.post.is_some(), i.put.is_some(), i.patch.is_some(), i.delete.is_some()]
                    .iter()
                    .filter(|x| **x)
                    .count()
            })
            .sum();
        assert_eq!(routes.len(), operations, "every documented operation has a route");
    }

    #[test]
    fn every_route_is_described_with_its_roles_and_errors() {
        let doc = super::openapi();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for p in
            ["/v1/health", "/v1/openapi.json", "/v1/me", "/v1/partners", "/v1/partners/{id}", "/v1/partners/{id}/users"]
        {
            assert!(paths.iter().any(|x| *x == p), "{p} is not in the document");
        }
        let json = serde_json::to_value(&doc).unwrap();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let public = crate::authorizer::is_public(path);
                assert_eq!(op.get("security").is_none(), public, "{method} {path}: security must match the authorizer");
                if !public {
                    assert!(op["responses"].get("401").is_some(), "{method} {path} documents 401");
                }
            }
        }
    }
}
