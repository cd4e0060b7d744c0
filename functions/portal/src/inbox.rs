//! The in-app inbox and notification preferences of the signed-in person
//! (`GET /v1/notifications`, `POST /v1/notifications/{id}/read`,
//! `GET|PUT /v1/me/notification-preferences`). Items are keyed by the caller's
//! `sub`, so nobody can reach another person's.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{ListParams, Page, PageQuery, Stored, key, s};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::json::{ApiQuery, JsonBody};
use prm_shared::notify::{
    ChannelPrefs, EVENT_TYPES, Notification, StoredPreferences, notification_keys, preferences_keys, user_pk,
};
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::now;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;

/// Paging of `GET /v1/notifications`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread ones when `true`.
    pub unread: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    get, path = "/v1/notifications", tag = "me",
    params(InboxQuery),
    responses((status = 200, body = Page<Notification>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_notifications(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Page<Notification>>> {
    caller.require_any(&Role::ALL)?;
    let unread = match q.unread.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("unread", "must be true or false")),
    };
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let query = PageQuery {
        index: None,
        pk: user_pk(&caller.sub),
        sk_prefix: Some("NOTIF#".into()),
        sk_between: None,
        filter: unread.then(|| prm_shared::dynamo::Filter {
            expression: "attribute_not_exists(#read)".into(),
            names: [("#read".to_owned(), "read_at".to_owned())].into(),
            values: Default::default(),
        }),
        forward: false,
        scope: format!("notifications|{}|unread={unread}", caller.sub),
    };
    let page: Page<Stored<Notification>> =
        st.db.query_page(&query, params.limit, params.cursor.as_deref(), &st.cursors).await?;
    Ok(Json(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor }))
}

/// Marks one of the caller's notifications read (again: keeps the first time).
#[utoipa::path(
    post, path = "/v1/notifications/{id}/read", tag = "me",
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, body = Notification), ApiErrors),
    security(("bearer" = []))
)]
pub async fn read_notification(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Notification>> {
    caller.require_any(&Role::ALL)?;
    if prm_shared::validate::object_id(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let keys = notification_keys(&caller.sub, &id);
    let at = now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let out = st
        .db
        .client
        .update_item()
        .table_name(&st.db.table)
        .set_key(Some(key(&keys.pk, &keys.sk)))
        .update_expression("SET #read = if_not_exists(#read, :at)")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#read", "read_at")
        .expression_attribute_names("#pk", "pk")
        .expression_attribute_values(":at", s(at))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await;
    match out {
        Ok(o) => {
            let item = o.attributes.ok_or_else(|| anyhow::anyhow!("UpdateItem returned nothing"))?;
            let stored: Stored<Notification> = prm_shared::dynamo::from_item(item)?;
            Ok(Json(stored.record))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
            Err(ApiError::NotFound)
        }
        Err(e) => Err(anyhow::Error::new(e).context("UpdateItem notification").into()),
    }
}

/// Every event type with the caller's choice for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preferences {
    /// Per event type: `{email, in_app, digest}`.
    pub preferences: BTreeMap<String, ChannelPrefs>,
    /// Last change, if any.
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `PUT /v1/me/notification-preferences`: the event types named are set, the
/// others go back to their defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPreferences {
    /// Per event type (e.g. `DealApproved`): `{email, in_app, digest}`.
    pub preferences: BTreeMap<String, ChannelPrefs>,
}

async fn stored(st: &AppState, sub: &str) -> ApiResult<StoredPreferences> {
    let keys = preferences_keys(sub);
    Ok(st.db.get::<Stored<StoredPreferences>>(&keys.pk, &keys.sk).await?.map(|p| p.record).unwrap_or_default())
}

/// The caller's notification preferences.
#[utoipa::path(
    get, path = "/v1/me/notification-preferences", tag = "me",
    responses((status = 200, body = Preferences), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_preferences(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Preferences>> {
    caller.require_any(&Role::ALL)?;
    let p = stored(&st, &caller.sub).await?;
    Ok(Json(Preferences { preferences: p.effective(), updated_at: p.updated_at }))
}

/// Sets the caller's notification preferences.
#[utoipa::path(
    put, path = "/v1/me/notification-preferences", tag = "me",
    request_body = PutPreferences,
    responses((status = 200, body = Preferences), ApiErrors),
    security(("bearer" = []))
)]
pub async fn put_preferences(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<PutPreferences>,
) -> ApiResult<Json<Preferences>> {
    caller.require_any(&Role::ALL)?;
    let req = body.parse()?;
    let mut c = prm_shared::validate::Checker::new();
    for t in req.preferences.keys() {
        if !EVENT_TYPES.iter().any(|(known, _)| known == t) {
            c.fail(&format!("preferences.{t}"), "is not an event type people are notified of");
        }
    }
    c.finish()?;
    let p = StoredPreferences { by_type: req.preferences, updated_at: Some(now()) };
    let item = prm_shared::dynamo::to_item(&Stored { keys: preferences_keys(&caller.sub), record: p.clone() })?;
    st.db
        .client
        .put_item()
        .table_name(&st.db.table)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e).context("PutItem preferences"))?;
    Ok(Json(Preferences { preferences: p.effective(), updated_at: p.updated_at }))
}
