//! Files on S3: presigned uploads whose content type and length are signed
//! (S3 refuses another type or size), presigned downloads, and the check that
//! an upload arrived. Object keys are always chosen by the server.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Where and how to upload one file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Upload {
    /// The file's name as declared.
    pub name: String,
    /// The object key the server chose.
    pub key: String,
    /// The presigned URL.
    pub url: String,
    /// `PUT`.
    pub method: String,
    /// Headers to send as signed (content type and length).
    pub headers: BTreeMap<String, String>,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

/// A presigned PUT of `key` for exactly `content_type` and `size_bytes`, valid `ttl`.
pub async fn presign_put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    name: &str,
    content_type: &str,
    size_bytes: u64,
    ttl: Duration,
) -> anyhow::Result<Upload> {
    let req = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .content_length(i64::try_from(size_bytes)?)
        .presigned(PresigningConfig::expires_in(ttl)?)
        .await
        .context("presigning PutObject")?;
    let mut headers: BTreeMap<String, String> = req.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    headers.insert("content-type".into(), content_type.to_owned());
    headers.insert("content-length".into(), size_bytes.to_string());
    Ok(Upload {
        name: name.to_owned(),
        key: key.to_owned(),
        url: req.uri().to_owned(),
        method: req.method().to_owned(),
        headers,
        expires_at: Utc::now() + chrono::Duration::from_std(ttl)?,
    })
}

/// A presigned GET of `key`, saved as `file_name`, valid `ttl`.
pub async fn presign_get(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    file_name: &str,
    ttl: Duration,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    let safe: String = file_name.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
    let req = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .response_content_disposition(format!("attachment; filename=\"{safe}\""))
        .presigned(PresigningConfig::expires_in(ttl)?)
        .await
        .context("presigning GetObject")?;
    Ok((req.uri().to_owned(), Utc::now() + chrono::Duration::from_std(ttl)?))
}

/// An object as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its size.
    pub size_bytes: u64,
    /// Its content type, as the uploader sent it.
    pub content_type: Option<String>,
}

/// The object at `key`, if it was uploaded.
pub async fn uploaded(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> anyhow::Result<Option<Stored>> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(Some(Stored {
            size_bytes: out.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            content_type: out.content_type().map(str::to_owned),
        })),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context("HeadObject")),
    }
}
