//! Lambda entry point of the deals function's scheduled sweeps (the
//! `deals-sweeps` schedule): outbox republish, protection expiry and its
//! reminder, overdue reviews, lapsed leads. Each sweep finds its work through a
//! due-date index and is idempotent, so an overlapping or repeated run is harmless.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use prm_shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    prm_shared::telemetry::init();
    let cfg = deals::DealsConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    let st = deals::DealsState::new(&cfg, db, &sdk);
    let st = &st;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let reports = deals::sweep::run_all(st, chrono::Utc::now()).await.map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "deals sweeps failed; the next run retries");
            lambda_runtime::Error::from(format!("{e:#}"))
        })?;
        for (name, r) in &reports {
            tracing::info!(sweep = name, changed = r.changed, stale = r.stale, failed = r.failed, "sweep done");
        }
        Ok::<_, lambda_runtime::Error>(serde_json::json!({"sweeps": reports.len()}))
    }))
    .await
}
