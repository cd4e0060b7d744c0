//! The cold-start reference of `make bench`: a lambda_runtime function that
//! answers every event with a fixed API Gateway response and does nothing else.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(serde_json::json!({"statusCode": 200, "body": "{\"status\":\"ok\"}"}))
    }))
    .await
}
