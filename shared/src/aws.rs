//! AWS SDK client construction, once per process. `aws-config` honours
//! `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `_DYNAMODB`), so the
//! same code talks to AWS or to the local emulators.

use aws_config::{BehaviorVersion, SdkConfig};

/// Shared SDK configuration from the environment (region, credentials, endpoints).
///
/// The HTTPS client trusts only the roots AWS endpoints chain to (Amazon Trust
/// Services and the Starfield root that cross-signs them), compiled in: the
/// default client loads and parses the whole system store for every SDK client
/// at start-up, the largest part of a cold start. `PRM_TLS_ROOTS=native` goes
/// back to the system store (e.g. behind a TLS-inspecting proxy).
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    let loader = match std::env::var("PRM_TLS_ROOTS").as_deref() {
        Ok("native") => loader,
        _ => loader.http_client(aws_roots_https_client()),
    };
    loader.load().await
}

/// PEM of the roots AWS endpoints chain to.
pub const AWS_ROOTS_PEM: &str = include_str!("aws-roots.pem");

/// An HTTPS client (rustls with aws-lc) that trusts [`AWS_ROOTS_PEM`] only.
pub fn aws_roots_https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let store = TrustStore::empty().with_native_roots(false).with_pem_certificate(AWS_ROOTS_PEM.as_bytes());
    let context = TlsContext::builder().with_trust_store(store).build().expect("a trust store of static roots");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
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

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn the_compiled_in_roots_are_five_whole_certificates() {
        let blocks: Vec<&str> = AWS_ROOTS_PEM
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|b| b.split("-----END CERTIFICATE-----").next().unwrap_or(""))
            .collect();
        assert_eq!(blocks.len(), 5);
        for b in blocks {
            let der = base64::engine::general_purpose::STANDARD
                .decode(b.split_whitespace().collect::<String>())
                .expect("base64 DER");
            // An X.509 certificate is a DER SEQUENCE.
            assert_eq!(der[0], 0x30);
            assert!(der.len() > 400);
        }
    }

    #[test]
    fn the_https_client_builds_from_them() {
        let _ = aws_roots_https_client();
    }
}
