//! Lambda entry point of the alerts function: EventBridge delivers every
//! domain event (and the schedule its `Scheduled Event`, which sends the daily
//! digests). An error fails the invocation so that Lambda retries it and, when
//! the retries are spent, puts the event in the dead-letter queue; the error
//! says whether a retry can help. Deliveries made before a failure are not
//! repeated by the retry.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use prm_shared::config::Env;
use prm_shared::events::Delivered;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    prm_shared::telemetry::init();
    let cfg = alerts::AlertsConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.table_name.clone());
    let st = alerts::AlertsState::new(cfg, db, &sdk);
    let st = &st;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Delivered>| async move {
        match alerts::deliver::handle(st, &event.payload, chrono::Utc::now()).await {
            Ok(done) => {
                tracing::info!(?done, detail_type = %event.payload.detail_type, "event handled");
                Ok(serde_json::json!({"emailed": done.emailed, "in_app": done.in_app, "digested": done.digested}))
            }
            Err(e) => {
                tracing::error!(error = %e, retryable = e.retryable(), id = %event.payload.id, "event failed");
                Err(lambda_runtime::Error::from(e.to_string()))
            }
        }
    }))
    .await
}
