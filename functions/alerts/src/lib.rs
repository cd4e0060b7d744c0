//! The alerts function: turns domain events into email (SES v2) and in-app
//! notifications for the people concerned, honouring their preferences, once
//! per event however often EventBridge delivers it; and the daily digest.
//! `main.rs` runs [`deliver::handle`] on Lambda; locally `local-api` feeds it
//! the events the bus's rule put on its SQS queue.

pub mod catalog;
pub mod deliver;
pub mod digest;
pub mod recipients;

use prm_shared::config::{ConfigError, Source, parsed_or, required};
use prm_shared::dynamo::Db;

/// The alerts function's configuration.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// The table (`TABLE_NAME`).
    pub table_name: String,
    /// Where vendor staff are (`USER_POOL_ID`).
    pub user_pool_id: String,
    /// The verified SES sender (`SENDER_EMAIL`).
    pub sender_email: String,
    /// Links in emails (`PORTAL_URL`).
    pub portal_url: String,
    /// The program's name in emails (`PROGRAM_NAME`).
    pub program_name: String,
    /// Hour (UTC) the daily digest goes out (`DIGEST_HOUR_UTC`, default 7).
    pub digest_hour_utc: u32,
    /// Emails sent at once per partner (and to vendor staff together) per
    /// clock hour (`EMAIL_CAP_PER_HOUR`, default 60); past it, alerts wait
    /// for the next daily digest.
    pub email_cap_per_hour: u32,
}

impl AlertsConfig {
    /// Reads the configuration, naming the first variable missing.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let digest_hour_utc = parsed_or(src, "DIGEST_HOUR_UTC", 7u32)?;
        if digest_hour_utc > 23 {
            return Err(ConfigError::Invalid { name: "DIGEST_HOUR_UTC".into(), reason: "must be 0 to 23".into() });
        }
        Ok(Self {
            table_name: required(src, "TABLE_NAME")?,
            user_pool_id: required(src, "USER_POOL_ID")?,
            sender_email: required(src, "SENDER_EMAIL")?,
            portal_url: required(src, "PORTAL_URL")?,
            program_name: src.get("PROGRAM_NAME").unwrap_or_else(|| "Partner Program".into()),
            digest_hour_utc,
            email_cap_per_hour: parsed_or(src, "EMAIL_CAP_PER_HOUR", 60u32)?,
        })
    }
}

/// What the handler needs.
#[derive(Debug, Clone)]
pub struct AlertsState {
    /// The table.
    pub db: Db,
    /// Sends email.
    pub ses: aws_sdk_sesv2::Client,
    /// Lists vendor staff by group.
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    /// The configuration.
    pub cfg: AlertsConfig,
}

impl AlertsState {
    /// State from configuration, the table handle and the SDK configuration.
    pub fn new(cfg: AlertsConfig, db: Db, sdk: &aws_config::SdkConfig) -> Self {
        Self { db, ses: aws_sdk_sesv2::Client::new(sdk), idp: aws_sdk_cognitoidentityprovider::Client::new(sdk), cfg }
    }
}

/// Why an event could not be handled, and whether retrying can help.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Malformed or unusable: retrying cannot help; it belongs in the DLQ.
    #[error("permanent failure, retrying cannot help: {0}")]
    Permanent(String),
    /// A dependency failed (SES, DynamoDB, Cognito): retrying can help; what
    /// was already delivered is not delivered again.
    #[error("transient failure, retry: {0:#}")]
    Transient(anyhow::Error),
}

impl HandleError {
    /// Whether a retry can succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}
