//! Lambda entry point of the training function's scheduled sweep (the
//! `training-sweeps` schedule): holders of certifications expiring within 30
//! days are told once. Idempotent, so an overlapping or repeated run is harmless.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use prm_shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    prm_shared::telemetry::init();
    let cfg = training::TrainingConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    let st = training::TrainingState::new(&cfg, db, &sdk);
    let st = &st;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let r = training::sweep::remind_expiring(st, chrono::Utc::now(), 500).await.map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "certification sweep failed; the next run retries");
            lambda_runtime::Error::from(format!("{e:#}"))
        })?;
        tracing::info!(changed = r.changed, stale = r.stale, failed = r.failed, "certification sweep done");
        Ok::<_, lambda_runtime::Error>(serde_json::json!({"reminded": r.changed}))
    }))
    .await
}
