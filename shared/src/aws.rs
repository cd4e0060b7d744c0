//! AWS SDK client construction, once per process. `aws-config` honours
//! `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `_DYNAMODB`), so the
//! same code talks to AWS or to the local emulators.

use aws_config::{BehaviorVersion, SdkConfig};

/// Shared SDK configuration from the environment (region, credentials, endpoints).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Explicit endpoints for the local emulators, for processes (tests, local-api)
/// that must not depend on process-wide environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEndpoints {
    /// DynamoDB Local, e.g. `http://127.0.0.1:8000`.
    pub dynamodb: String,
    /// moto: S3, SES, Cognito, EventBridge, SQS, e.g. `http://127.0.0.1:5055`.
    pub aws: String,
    /// The region to sign for.
    pub region: String,
}

impl LocalEndpoints {
    /// SDK configuration with dummy credentials pointing at the emulators
    /// (DynamoDB's own endpoint is set by [`LocalEndpoints::dynamodb_client`]).
    pub async fn sdk_config(&self) -> SdkConfig {
        let creds = aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "local");
        aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(creds)
            .endpoint_url(&self.aws)
            .load()
            .await
    }

    /// A DynamoDB client for DynamoDB Local.
    pub fn dynamodb_client(&self, conf: &SdkConfig) -> aws_sdk_dynamodb::Client {
        self.metered_dynamodb_client(conf, None)
    }

    /// A DynamoDB client for DynamoDB Local whose calls `meter` records, if given.
    pub fn metered_dynamodb_client(
        &self,
        conf: &SdkConfig,
        meter: Option<&crate::meter::Meter>,
    ) -> aws_sdk_dynamodb::Client {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(conf).endpoint_url(&self.dynamodb);
        if let Some(m) = meter {
            builder = builder.interceptor(m.clone());
        }
        aws_sdk_dynamodb::Client::from_conf(builder.build())
    }
}
