//! Lambda entry point of the training function.

use prm_shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    prm_shared::telemetry::init();
    let cfg = training::TrainingConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    lambda_http::run(training::router(training::TrainingState::new(&cfg, db, &sdk))).await
}
