//! Announcements: vendor staff post news with the same visibility rules as
//! assets; partner staff read the ones their partner may see, newest first,
//! through the same cell index (see [`crate::visibility`]).
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | announcement | `ANNOUNCEMENT#{id}` | `ANNOUNCEMENT` | gsi1 `ANNOUNCEMENTS`/id |
//! | visibility cell entry | `ANNCELL#{cell}` | `{posted_at}#{id}` | |

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{Filter, GSI1, Keys, ListParams, PK, Page, PageQuery, Stored, keys, s, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::content::AnnouncementPosted;
use prm_shared::json::{ApiQuery, JsonBody, created};
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now, text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::feed::Feed;
use crate::visibility::{Visibility, partner_cells};

/// The cells of announcements.
pub const ANNOUNCEMENT_FEED: Feed = Feed { prefix: "ANNCELL" };

/// An announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Announcement {
    /// ULID.
    pub id: String,
    /// Title.
    pub title: String,
    /// The text, in Markdown.
    pub body: String,
    /// Who may read it (vendor staff only see this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Who posted it.
    pub posted_by: String,
    /// When.
    pub posted_at: DateTime<Utc>,
    /// When partners stop seeing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `POST /v1/announcements`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostAnnouncement {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// Markdown, 1 to 10,000 characters.
    pub body: String,
    /// Who may read it; empty lists mean everyone.
    #[serde(default)]
    pub visibility: Visibility,
    /// When partners stop seeing it (in the future).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Vendor staff post an announcement (visible at once to whom it allows).
#[utoipa::path(
    post, path = "/v1/announcements", tag = "content",
    request_body = PostAnnouncement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses((status = 201, body = Announcement), ApiErrors),
    security(("bearer" = []))
)]
pub async fn post_announcement(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<PostAnnouncement>,
) -> ApiResult<Response> {
    caller.require_vendor()?;
    let req = body.parse()?;
    let at = now();
    let mut c = Checker::new();
    let title = c.check("title", text(&req.title, 1, 200));
    let text_body = c.check("body", text(&req.body, 1, 10_000));
    let visibility = req.visibility.parse(&mut c);
    if req.expires_at.is_some_and(|e| e <= at) {
        c.fail("expires_at", "must be in the future");
    }
    c.finish()?;
    let (Some(title), Some(text_body)) = (title, text_body) else {
        return Err(ApiError::field("body", "invalid announcement"));
    };
    let a = Announcement {
        id: ulid::Ulid::new().to_string(),
        title,
        body: text_body,
        visibility: Some(visibility.clone()),
        posted_by: caller.sub.clone(),
        posted_at: at,
        expires_at: req.expires_at,
    };
    let keys = Keys::new(format!("ANNOUNCEMENT#{}", a.id), "ANNOUNCEMENT", "announcement").with(
        GSI1,
        keys::all("ANNOUNCEMENTS"),
        &a.id,
    );
    let p = aws_sdk_dynamodb::types::Put::builder()
        .table_name(&st.db.table)
        .set_item(Some(to_item(&Stored { keys, record: a.clone() })?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building announcement Put")?;
    let public = Announcement { visibility: None, ..a.clone() };
    let mut items = vec![aws_sdk_dynamodb::types::TransactWriteItem::builder().put(p).build()];
    items.extend(ANNOUNCEMENT_FEED.puts(&st.db, &visibility.cells(), &Feed::sk(at, &a.id), &public)?);
    let event = PendingEvent::new(
        AnnouncementPosted { announcement_id: a.id.clone(), title: a.title.clone() },
        None,
        Some(&caller.sub),
        at,
    )?;
    items.push(st.events.outbox_put(&event)?);
    st.db.transact(items).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    st.events.publish(std::slice::from_ref(&event)).await;
    Ok(created("/v1/announcements", a))
}

/// Paging of `GET /v1/announcements`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementQuery {
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Announcements, newest first: vendor staff all, partner staff the unexpired
/// ones their partner may see.
#[utoipa::path(
    get, path = "/v1/announcements", tag = "content",
    params(AnnouncementQuery),
    responses((status = 200, body = Page<Announcement>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_announcements(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AnnouncementQuery>,
) -> ApiResult<Json<Page<Announcement>>> {
    caller.require_any(&Role::ALL)?;
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    if caller.is_vendor() {
        let query = PageQuery {
            index: Some(GSI1),
            pk: keys::all("ANNOUNCEMENTS"),
            sk_prefix: None,
            sk_between: None,
            filter: None,
            forward: false,
            scope: "announcements|vendor".into(),
        };
        let page: Page<Stored<Announcement>> =
            st.db.query_page(&query, params.limit, params.cursor.as_deref(), &st.cursors).await?;
        return Ok(Json(Page {
            items: page.items.into_iter().map(|a| a.record).collect(),
            next_cursor: page.next_cursor,
        }));
    }
    let pid = caller.require_partner()?;
    let partner = crate::store::get_partner(&st.db, pid).await?.ok_or(ApiError::NotFound)?;
    let filter = Filter {
        expression: "attribute_not_exists(#exp) OR #exp > :now".into(),
        names: [("#exp".to_owned(), "expires_at".to_owned())].into(),
        values: [(":now".to_owned(), s(now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))].into(),
    };
    let page: Page<Stored<Announcement>> = ANNOUNCEMENT_FEED
        .page(
            &st.db,
            &st.cursors,
            &partner_cells(&partner),
            Some(&filter),
            &format!("announcements|partner={pid}"),
            &params,
        )
        .await?;
    Ok(Json(Page { items: page.items.into_iter().map(|a| a.record).collect(), next_cursor: page.next_cursor }))
}
