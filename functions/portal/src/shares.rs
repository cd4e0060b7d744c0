//! Share links: a partner shares a visible asset with a prospect or customer
//! through a time-limited link that needs no sign-in (`GET /v1/s/{token}`
//! redirects to a short-lived download). Vendor staff see and revoke every
//! share; partner staff their own partner's. The token is random (256 bits)
//! and only its SHA-256 is stored.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | share | `SHARE#{id}` | `SHARE` | gsi1 `ASSET#{asset}#SHARES`/id; TTL 30 days after expiry |
//! | token | `SHARETOKEN#{sha256(token)}` | `SHARETOKEN` | TTL as the share |

use anyhow::Context;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{GSI1, Keys, ListParams, PK, Page, PageQuery, Stored, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::content::{AssetShared, ShareRevoked};
use prm_shared::json::{ApiQuery, created, optional_json};
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{now, object_id};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;

/// A share link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Share {
    /// ULID.
    pub id: String,
    /// The asset shared.
    pub asset_id: String,
    /// The partner whose staff shared it.
    pub partner_id: String,
    /// Who shared it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Until when the link works.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// Times the link was opened.
    #[serde(default)]
    pub open_count: u64,
    /// Removal by TTL (epoch seconds), 30 days after expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub ttl: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Token {
    share_id: String,
    ttl: i64,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn share_item(s: &Share) -> Stored<Share> {
    let keys = Keys::new(format!("SHARE#{}", s.id), "SHARE", "share").with(
        GSI1,
        format!("ASSET#{}#SHARES", s.asset_id),
        &s.id,
    );
    Stored { keys, record: s.clone() }
}

/// `POST /v1/assets/{id}/shares` (all optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShare {
    /// Days the link works, 1 to 30 (default 7).
    pub expires_in_days: Option<u32>,
}

/// A new share link (the URL is shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareCreated {
    /// The share's id.
    pub id: String,
    /// The link to send to the customer.
    pub url: String,
    /// Until when it works.
    pub expires_at: DateTime<Utc>,
}

/// Partner staff share an asset they can see.
#[utoipa::path(
    post, path = "/v1/assets/{id}/shares", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    request_body(content = Option<CreateShare>),
    responses((status = 201, body = ShareCreated), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_share(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let partner_id = caller.require_partner()?.to_owned();
    let req: CreateShare = optional_json(&body)?;
    let days = req.expires_in_days.unwrap_or(7);
    if !(1..=30).contains(&days) {
        return Err(ApiError::field("expires_in_days", "must be from 1 to 30"));
    }
    let (asset, _) = crate::assets::visible(&st, &caller, &id).await?;
    let at = now();
    let expires_at = at + Duration::days(days.into());
    let ttl = (expires_at + Duration::days(30)).timestamp();
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let share = Share {
        id: ulid::Ulid::new().to_string(),
        asset_id: asset.id.clone(),
        partner_id: partner_id.clone(),
        created_by: caller.sub.clone(),
        created_at: at,
        expires_at,
        revoked_at: None,
        revoked_by: None,
        open_count: 0,
        ttl: Some(ttl),
    };
    let token_item = Stored {
        keys: Keys::new(format!("SHARETOKEN#{}", hash(&token)), "SHARETOKEN", "share-token"),
        record: Token { share_id: share.id.clone(), ttl },
    };
    let event = PendingEvent::new(
        AssetShared { asset_id: asset.id.clone(), share_id: share.id.clone(), expires_at },
        Some(&partner_id),
        Some(&caller.sub),
        at,
    )?;
    let put = |item| -> anyhow::Result<aws_sdk_dynamodb::types::TransactWriteItem> {
        let p = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&st.db.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .context("building share Put")?;
        Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder().put(p).build())
    };
    st.db
        .transact(vec![put(to_item(&share_item(&share))?)?, put(to_item(&token_item)?)?, st.events.outbox_put(&event)?])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    st.events.publish(std::slice::from_ref(&event)).await;
    let url = format!("{}/v1/s/{token}", st.public_url.trim_end_matches('/'));
    Ok(created(&format!("/v1/assets/{}/shares", asset.id), ShareCreated { id: share.id, url, expires_at }))
}

/// Paging of `GET /v1/assets/{id}/shares`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShareQuery {
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Shares of an asset: vendor staff all, partner staff their partner's.
#[utoipa::path(
    get, path = "/v1/assets/{id}/shares", tag = "content",
    params(("id" = String, Path, description = "Asset id"), ShareQuery),
    responses((status = 200, body = Page<Share>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_shares(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ShareQuery>,
) -> ApiResult<Json<Page<Share>>> {
    crate::assets::visible(&st, &caller, &id).await?;
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let own = caller.own_partner().filter(|_| !caller.is_vendor()).map(str::to_owned);
    let query = PageQuery {
        index: Some(GSI1),
        pk: format!("ASSET#{id}#SHARES"),
        sk_prefix: None,
        sk_between: None,
        filter: own.as_ref().map(|p| prm_shared::dynamo::Filter {
            expression: "#partner = :partner".into(),
            names: [("#partner".to_owned(), "partner_id".to_owned())].into(),
            values: [(":partner".to_owned(), prm_shared::dynamo::s(p))].into(),
        }),
        forward: false,
        scope: format!("shares|{id}|partner={}", own.as_deref().unwrap_or("")),
    };
    let page: Page<Stored<Share>> =
        st.db.query_page(&query, params.limit, params.cursor.as_deref(), &st.cursors).await?;
    Ok(Json(Page { items: page.items.into_iter().map(|s| s.record).collect(), next_cursor: page.next_cursor }))
}

/// Revokes a share: vendor staff any, partner staff their partner's.
#[utoipa::path(
    delete, path = "/v1/shares/{id}", tag = "content",
    params(("id" = String, Path, description = "Share id")),
    responses((status = 200, body = Share), ApiErrors),
    security(("bearer" = []))
)]
pub async fn revoke_share(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Share>> {
    caller.require_any(&Role::ALL)?;
    if object_id(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let current = st
        .db
        .get::<Stored<Share>>(&format!("SHARE#{id}"), "SHARE")
        .await?
        .map(|s| s.record)
        .ok_or(ApiError::NotFound)?;
    caller.require_partner_access(&current.partner_id)?;
    if current.revoked_at.is_some() {
        return Ok(Json(current));
    }
    let at = now();
    let mut next = current.clone();
    next.revoked_at = Some(at);
    next.revoked_by = Some(caller.sub.clone());
    let event = PendingEvent::new(
        ShareRevoked { share_id: id.clone(), asset_id: current.asset_id.clone() },
        Some(&current.partner_id),
        Some(&caller.sub),
        at,
    )?;
    let p = aws_sdk_dynamodb::types::Put::builder()
        .table_name(&st.db.table)
        .set_item(Some(to_item(&share_item(&next))?))
        .condition_expression("attribute_not_exists(#revoked)")
        .expression_attribute_names("#revoked", "revoked_at")
        .build()
        .context("building revoke Put")?;
    match st
        .db
        .transact(vec![
            aws_sdk_dynamodb::types::TransactWriteItem::builder().put(p).build(),
            st.events.outbox_put(&event)?,
        ])
        .await
    {
        Ok(()) => {
            st.events.publish(std::slice::from_ref(&event)).await;
            Ok(Json(next))
        }
        Err(e) if e.condition_failed(0) => Ok(Json(
            st.db
                .get::<Stored<Share>>(&format!("SHARE#{id}"), "SHARE")
                .await?
                .map(|s| s.record)
                .ok_or(ApiError::NotFound)?,
        )),
        Err(e) => Err(anyhow::anyhow!("{e}").into()),
    }
}

/// Opens a share link (no sign-in): a redirect to a short-lived download while
/// the share is valid and the asset still published; 404 otherwise.
#[utoipa::path(
    get, path = "/v1/s/{token}", tag = "content",
    params(("token" = String, Path, description = "The share link's token")),
    responses(
        (status = 302, description = "Redirect to the file"),
        (status = 404, description = "Unknown, revoked or expired link", content_type = "application/problem+json"),
    )
)]
pub async fn open_share(State(st): State<AppState>, Path(token): Path<String>) -> ApiResult<Response> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound);
    }
    let found = st.db.get::<Stored<Token>>(&format!("SHARETOKEN#{}", hash(&token)), "SHARETOKEN").await?;
    let Some(t) = found else { return Err(ApiError::NotFound) };
    let share = st.db.get::<Stored<Share>>(&format!("SHARE#{}", t.record.share_id), "SHARE").await?.map(|s| s.record);
    let at = now();
    let Some(share) = share.filter(|s| s.revoked_at.is_none() && s.expires_at > at) else {
        return Err(ApiError::NotFound);
    };
    let asset = crate::assets::read(&st, &share.asset_id).await?;
    let partner = crate::store::get_partner(&st.db, &share.partner_id).await?;
    let (Some(asset), Some(partner)) = (asset, partner) else { return Err(ApiError::NotFound) };
    if !asset.visible_to(&partner, at) {
        return Err(ApiError::NotFound);
    }
    let (url, _, _) = crate::assets::file_url(&st, &asset, None).await?;
    st.db
        .client
        .update_item()
        .table_name(&st.db.table)
        .set_key(Some(prm_shared::dynamo::key(format!("SHARE#{}", share.id), "SHARE")))
        .update_expression("ADD #opens :one")
        .expression_attribute_names("#opens", "open_count")
        .expression_attribute_values(":one", prm_shared::dynamo::n(1))
        .send()
        .await
        .context("counting a share open")?;
    Ok((StatusCode::FOUND, [(header::LOCATION, url), (header::CACHE_CONTROL, "no-store".to_owned())]).into_response())
}
