//! Lambda entry point of the MDF function.

use prm_shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    prm_shared::telemetry::init();
    let cfg = mdf::MdfConfig::from_source(&Env)?;
    let sdk = prm_shared::aws::sdk_config().await;
    let db = prm_shared::dynamo::Db::new(aws_sdk_dynamodb::Client::new(&sdk), cfg.core.table_name.clone());
    let s3 = aws_sdk_s3::Client::new(&sdk);
    lambda_http::run(mdf::router(mdf::MdfState::new(&cfg, db, &sdk, s3))).await
}
