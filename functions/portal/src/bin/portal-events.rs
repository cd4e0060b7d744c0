//! Lambda entry point of the portal's event side (rule `partner-progress`):
//! domain events add to partner scorecards; `DealRegistered` and
//! `CertificationIssued` re-evaluate the partner's onboarding checklist, which
//! may complete it and make the partner active. The `program-evaluation`
//! schedule's `Scheduled Event` evaluates partners against the tier rules.
//! An error fails the invocation so that Lambda retries it (then the DLQ).

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use prm_shared::config::Env;
use prm_shared::events::Delivered;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    prm_shared::telemetry::init();
    let cfg = portal::PortalConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    let st = portal::AppState::new(cfg, db, &sdk, aws_sdk_s3::Client::new(&sdk));
    let st = &st;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Delivered>| async move {
        match portal::onboarding::handle(st, &event.payload).await {
            Ok(done) => {
                tracing::info!(?done, detail_type = %event.payload.detail_type, "event handled");
                Ok(serde_json::json!({"handled": format!("{done:?}")}))
            }
            Err(e) => {
                tracing::error!(error = %e, id = %event.payload.id, "event failed");
                Err(lambda_runtime::Error::from(e))
            }
        }
    }))
    .await
}
