//! AWS SDK client construction, once per process. `aws-config` honours
//! `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `_DYNAMODB`), so the
//! same code talks to AWS or to the local emulators.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Shared SDK configuration from the environment (region, credentials, endpoints).
///
/// The HTTPS client trusts only the roots AWS endpoints chain to (Amazon Trust
/// Services and the Starfield root that cross-signs them), compiled in: the
/// default client loads and parses the whole system store for every SDK client
/// at start-up, the largest part of a cold start. `PRM_TLS_ROOTS=native` goes
/// back to the system store (e.g. behind a TLS-inspecting proxy).
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts(Duration::from_secs(4)))
        .retry_config(retries());
    let loader = match std::env::var("PRM_TLS_ROOTS").as_deref() {
        Ok("native") => loader,
        _ => loader.http_client(aws_roots_https_client()),
    };
    loader.load().await
}

/// Timeouts of every AWS call: a connection that does not open, or an attempt
/// that does not answer within `attempt`, fails that attempt (which is retried);
/// the whole call, retries included, ends within 12 s, inside the functions'
/// 15 s limit, so a caller gets a 503 it can retry rather than a dropped request.
pub fn timeouts(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(attempt)
        .operation_timeout(Duration::from_secs(12))
        .build()
}

/// Standard retries (throttling, 5xx, timeouts, connection errors) with jittered
/// exponential backoff, four attempts in all.
pub fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(4).with_initial_backoff(Duration::from_millis(50))
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
    /// Attempt timeout of every call (`None`: no timeouts, as moto under a full
    /// test run can be slow, and a retried non-idempotent call would fail).
    pub attempt_timeout: Option<Duration>,
}

impl LocalEndpoints {
    /// SDK configuration with dummy credentials pointing at the emulators
    /// (DynamoDB's own endpoint is set by [`LocalEndpoints::dynamodb_client`]).
    pub async fn sdk_config(&self) -> SdkConfig {
        let creds = aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "local");
        let loader = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(creds)
            .endpoint_url(&self.aws)
            .retry_config(retries());
        match self.attempt_timeout {
            Some(t) => loader.timeout_config(timeouts(t)),
            None => loader,
        }
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

    mod faults {
        use std::collections::VecDeque;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};

        use aws_sdk_dynamodb::config::{Credentials, Region};
        use aws_smithy_runtime_api::client::http::{
            HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
        };
        use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
        use aws_smithy_runtime_api::client::result::ConnectorError;
        use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
        use aws_smithy_types::body::SdkBody;

        use super::super::*;
        use crate::dynamo::Db;
        use crate::error::ApiError;

        /// What one attempt gets from the fake DynamoDB.
        #[derive(Debug, Clone, Copy)]
        enum Answer {
            Throttled,
            ServerError,
            Refused,
            Hang,
            Item,
            /// A conditional put that failed, the stored item in the answer.
            Clash(&'static str),
            Written,
        }

        /// A DynamoDB that answers each attempt with the next scripted answer.
        #[derive(Debug, Clone)]
        struct Scripted {
            answers: Arc<Mutex<VecDeque<Answer>>>,
            attempts: Arc<AtomicUsize>,
        }

        impl Scripted {
            fn new(answers: &[Answer]) -> Self {
                Self { answers: Arc::new(Mutex::new(answers.iter().copied().collect())), attempts: Arc::default() }
            }
        }

        fn response(status: u16, body: &str) -> HttpResponse {
            let mut res = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body.to_owned()));
            res.headers_mut().insert("content-type", "application/x-amz-json-1.0");
            res
        }

        impl HttpConnector for Scripted {
            fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
                self.attempts.fetch_add(1, Ordering::SeqCst);
                let next = self.answers.lock().unwrap().pop_front().unwrap_or(Answer::Refused);
                match next {
                    Answer::Throttled => HttpConnectorFuture::ready(Ok(response(
                        400,
                        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
                    ))),
                    Answer::ServerError => HttpConnectorFuture::ready(Ok(response(
                        500,
                        r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#,
                    ))),
                    Answer::Refused => HttpConnectorFuture::ready(Err(ConnectorError::io("connection refused".into()))),
                    Answer::Hang => HttpConnectorFuture::new(std::future::pending()),
                    Answer::Item => HttpConnectorFuture::ready(Ok(response(
                        200,
                        r#"{"Item":{"pk":{"S":"P"},"sk":{"S":"S"},"name":{"S":"kept"}}}"#,
                    ))),
                    Answer::Clash(name) => HttpConnectorFuture::ready(Ok(response(
                        400,
                        &format!(
                            r#"{{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{{"pk":{{"S":"P"}},"sk":{{"S":"S"}},"name":{{"S":"{name}"}}}}}}"#
                        ),
                    ))),
                    Answer::Written => HttpConnectorFuture::ready(Ok(response(200, "{}"))),
                }
            }
        }

        impl HttpClient for Scripted {
            fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
                SharedHttpConnector::new(self.clone())
            }
        }

        fn db(fake: &Scripted) -> Db {
            let conf = aws_sdk_dynamodb::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("a", "b", None, None, "test"))
                .endpoint_url("http://127.0.0.1:9")
                .http_client(fake.clone())
                .retry_config(retries())
                .timeout_config(timeouts(Duration::from_millis(200)))
                .build();
            Db::new(aws_sdk_dynamodb::Client::from_conf(conf), "t")
        }

        async fn read(fake: &Scripted) -> anyhow::Result<Option<serde_json::Value>> {
            db(fake).get::<serde_json::Value>("P", "S").await
        }

        #[tokio::test]
        async fn throttling_a_server_error_and_a_hung_attempt_are_retried_until_the_answer() {
            let fake = Scripted::new(&[Answer::Throttled, Answer::ServerError, Answer::Hang, Answer::Item]);
            let item = read(&fake).await.unwrap().expect("the item");
            assert_eq!(item["name"], "kept");
            assert_eq!(fake.attempts.load(Ordering::SeqCst), 4);
        }

        #[tokio::test]
        async fn a_dependency_that_stays_down_is_a_503_to_retry_not_a_500() {
            let fake = Scripted::new(&[Answer::Refused; 4]);
            let err = ApiError::from(read(&fake).await.unwrap_err());
            assert_eq!(err.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(err.problem().status, 503);
            let res = axum::response::IntoResponse::into_response(err);
            assert_eq!(res.headers()["retry-after"], "1");
            assert_eq!(fake.attempts.load(Ordering::SeqCst), 4, "every attempt was made");

            let hung = Scripted::new(&[Answer::Hang; 4]);
            let err = ApiError::from(read(&hung).await.unwrap_err());
            assert_eq!(err.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        }

        /// A create whose first attempt landed but whose answer was lost: the
        /// retry finds the very item it wrote, which is a success, not a clash.
        #[tokio::test]
        async fn a_create_that_finds_its_own_landed_write_succeeds_and_a_real_clash_does_not() {
            let item = serde_json::json!({"pk": "P", "sk": "S", "name": "mine"});
            let own = Scripted::new(&[Answer::Hang, Answer::Clash("mine")]);
            assert!(db(&own).put_new(&item).await.unwrap());
            assert_eq!(own.attempts.load(Ordering::SeqCst), 2);
            let other = Scripted::new(&[Answer::Clash("someone else's")]);
            assert!(!db(&other).put_new(&item).await.unwrap());
            let fresh = Scripted::new(&[Answer::Written]);
            assert!(db(&fresh).put_new(&item).await.unwrap());
        }

        #[tokio::test]
        async fn a_persistent_server_error_is_still_a_500() {
            let fake = Scripted::new(&[Answer::ServerError; 4]);
            let err = ApiError::from(read(&fake).await.unwrap_err());
            assert_eq!(err.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(fake.attempts.load(Ordering::SeqCst), 4);
        }
    }
}
