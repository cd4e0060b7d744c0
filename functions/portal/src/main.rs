//! Lambda entry point of the portal function.

use prm_shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    prm_shared::telemetry::init();
    let cfg = portal::PortalConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    lambda_http::run(portal::router(portal::AppState::new(cfg, db, &sdk, aws_sdk_s3::Client::new(&sdk)))).await
}
