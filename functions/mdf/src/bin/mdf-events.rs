//! Lambda entry point of the MDF function's event side: `DealWon` from the
//! bus accrues co-op; the schedule's `Scheduled Event` runs the claim-deadline
//! sweeps. An error fails the invocation so that Lambda retries it and, when
//! retries are spent, sends the event to the dead-letter queue; the error says
//! whether a retry can help.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use prm_shared::config::Env;
use prm_shared::events::Delivered;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    prm_shared::telemetry::init();
    let cfg = mdf::MdfConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    let st = mdf::MdfState::new(&cfg, db, &sdk, aws_sdk_s3::Client::new(&sdk));
    let st = &st;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Delivered>| async move {
        match mdf::coop::handle(st, &event.payload, chrono::Utc::now()).await {
            Ok(done) => {
                tracing::info!(?done, detail_type = %event.payload.detail_type, "event handled");
                Ok(serde_json::json!({"handled": format!("{done:?}")}))
            }
            Err(e) => {
                tracing::error!(error = %e, retryable = e.retryable(), id = %event.payload.id, "event failed");
                Err(lambda_runtime::Error::from(e.to_string()))
            }
        }
    }))
    .await
}
