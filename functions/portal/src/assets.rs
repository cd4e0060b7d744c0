//! The asset library: documents, campaign and brand assets on S3 with
//! versions, publishing, visibility, downloads that are counted, and events.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | asset | `ASSET#{id}` | `ASSET` | gsi1 `ASSETS`/id, gsi3 `ASSETS#STATUS#{status}`/id |
//! | version | `ASSET#{id}` | `V#{number:04}` | |
//! | downloads of a partner | `ASSET#{id}` | `DL#{partner}` | |
//! | visibility cell entry | `ASSETCELL#{cell}` | `{published_at}#{id}` | (see [`crate::visibility`]) |

use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{Filter, GSI1, GSI3, Keys, ListParams, PK, Page, PageQuery, Stored, keys, n, s, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::content::{AssetArchived, AssetPublished, AssetUnpublished, AssetVersionAdded};
use prm_shared::files::{Upload, presign_get, presign_put, uploaded};
use prm_shared::json::{ApiQuery, JsonBody, created, optional_json};
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now, object_id, text, text_list};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::domain::Partner;
use crate::feed::Feed;
use crate::visibility::{Visibility, partner_cells};

/// The cells of published assets.
pub const ASSET_FEED: Feed = Feed { prefix: "ASSETCELL" };

prm_shared::string_enum! {
    /// What an asset is.
    AssetKind {
        /// A document (guide, datasheet, white paper).
        Document => "document",
        /// Campaign material.
        Campaign => "campaign",
        /// Logos, brand guidelines.
        Brand => "brand",
        /// A price list.
        PriceList => "price-list",
        /// A template partners co-brand.
        CoBrandableTemplate => "co-brandable-template",
    }
}

prm_shared::string_enum! {
    /// Where an asset is.
    AssetStatus {
        /// Being prepared; only vendor staff see it.
        Draft => "draft",
        /// Visible to the partners its visibility allows.
        Published => "published",
        /// Withdrawn for good.
        Archived => "archived",
    }
}

/// Content types an asset file may have.
pub const ASSET_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "video/mp4",
    "application/zip",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];
/// Largest asset file (100 MiB).
pub const MAX_ASSET_BYTES: u64 = 100 * 1024 * 1024;
const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

/// An asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Asset {
    /// ULID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// What it is.
    pub kind: AssetKind,
    /// Tags (lower-case).
    pub tags: Vec<String>,
    /// Who may see it once published.
    pub visibility: Visibility,
    /// Draft, published or archived.
    pub status: AssetStatus,
    /// After this, partners no longer see it.
    pub expires_at: Option<DateTime<Utc>>,
    /// The newest version's number.
    pub current_version: u32,
    /// Downloads so far (all partners).
    pub download_count: u64,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was (last) published.
    pub published_at: Option<DateTime<Utc>>,
    /// Incremented on every change.
    pub version: u64,
}

/// One file version of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssetVersion {
    /// 1, 2, ...
    pub number: u32,
    /// The file's name as given.
    pub file_name: String,
    /// Its content type (signed into the upload).
    pub content_type: String,
    /// Its size (signed into the upload).
    pub size_bytes: u64,
    /// The object key, chosen by the server.
    pub key: String,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A version as the API shows it: partners see what changed and when, not the
/// object key or which staff member uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VersionView {
    /// 1, 2, ...
    pub number: u32,
    /// The file's name as given.
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Its size.
    pub size_bytes: u64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// The object key (vendor staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Who added it (vendor staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

impl VersionView {
    fn of(v: AssetVersion, vendor: bool) -> VersionView {
        VersionView {
            number: v.number,
            file_name: v.file_name,
            content_type: v.content_type,
            size_bytes: v.size_bytes,
            created_at: v.created_at,
            key: vendor.then_some(v.key),
            created_by: vendor.then_some(v.created_by),
        }
    }
}

/// What a list shows of an asset (the cell entries hold this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssetSummary {
    /// ULID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// What it is.
    pub kind: AssetKind,
    /// Tags.
    pub tags: Vec<String>,
    /// Status.
    pub status: AssetStatus,
    /// The newest version's number.
    pub current_version: u32,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// When partners stop seeing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Asset {
    fn summary(&self) -> AssetSummary {
        AssetSummary {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind,
            tags: self.tags.clone(),
            status: self.status,
            current_version: self.current_version,
            published_at: self.published_at,
            expires_at: self.expires_at,
        }
    }

    /// Whether a partner staff member of `partner` may see it as of `at`.
    pub fn visible_to(&self, partner: &Partner, at: DateTime<Utc>) -> bool {
        self.status == AssetStatus::Published
            && self.expires_at.is_none_or(|e| e > at)
            && self.visibility.allows(partner)
    }
}

/// A file to upload.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// File name (kept for the download; never used as the key).
    pub name: String,
    /// One of the accepted content types.
    pub content_type: String,
    /// Size in bytes, at most 100 MiB.
    pub size_bytes: u64,
}

/// `POST /v1/assets`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// Description, up to 4,000 characters.
    #[serde(default)]
    pub description: String,
    /// document, campaign, brand, price-list or co-brandable-template.
    #[schema(value_type = AssetKind)]
    pub kind: String,
    /// Up to 20 tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Who may see it; empty lists mean everyone.
    #[serde(default)]
    pub visibility: Visibility,
    /// When partners stop seeing it (RFC 3339, in the future).
    pub expires_at: Option<DateTime<Utc>>,
    /// The file of version 1.
    pub file: FileSpec,
}

/// An asset and where to upload its file.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetCreated {
    /// The asset.
    pub asset: Asset,
    /// The version the upload is for.
    pub file_version: AssetVersion,
    /// The presigned PUT.
    pub upload: Upload,
}

fn check_file(c: &mut Checker, f: &FileSpec, field: &str) -> (Option<String>, String) {
    let name = c.check(&format!("{field}.name"), text(&f.name, 1, 200));
    let ct = f.content_type.trim().to_ascii_lowercase();
    if !ASSET_TYPES.contains(&ct.as_str()) {
        c.fail(&format!("{field}.content_type"), format!("must be one of: {}", ASSET_TYPES.join(", ")));
    }
    if f.size_bytes == 0 || f.size_bytes > MAX_ASSET_BYTES {
        c.fail(&format!("{field}.size_bytes"), format!("must be from 1 to {MAX_ASSET_BYTES}"));
    }
    (name, ct)
}

fn version_of(
    asset_id: &str,
    number: u32,
    file: &FileSpec,
    name: String,
    ct: String,
    by: &str,
    at: DateTime<Utc>,
) -> AssetVersion {
    AssetVersion {
        number,
        file_name: name,
        content_type: ct,
        size_bytes: file.size_bytes,
        key: format!("assets/{asset_id}/v{number}/{}", ulid::Ulid::new()),
        created_by: by.to_owned(),
        created_at: at,
    }
}

fn asset_item(a: &Asset) -> Stored<Asset> {
    let keys = Keys::new(format!("ASSET#{}", a.id), "ASSET", "asset").with(GSI1, keys::all("ASSETS"), &a.id).with(
        GSI3,
        keys::by_status("ASSETS", a.status.as_str()),
        &a.id,
    );
    Stored { keys, record: a.clone() }
}

fn put(st: &AppState, item: prm_shared::dynamo::Item, condition: Option<u64>) -> anyhow::Result<TransactWriteItem> {
    let mut p = Put::builder().table_name(&st.db.table).set_item(Some(item));
    p = match condition {
        Some(0) => p.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
        Some(v) => p
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", n(i64::try_from(v).unwrap_or(i64::MAX))),
        None => p,
    };
    Ok(TransactWriteItem::builder().put(p.build().context("building Put")?).build())
}

fn version_put(st: &AppState, asset_id: &str, v: &AssetVersion) -> anyhow::Result<TransactWriteItem> {
    let keys = Keys::new(format!("ASSET#{asset_id}"), format!("V#{:04}", v.number), "asset-version");
    put(st, to_item(&Stored { keys, record: v.clone() })?, Some(0))
}

async fn get_asset(st: &AppState, id: &str) -> anyhow::Result<Option<Asset>> {
    Ok(st.db.get::<Stored<Asset>>(&format!("ASSET#{id}"), "ASSET").await?.map(|a| a.record))
}

async fn versions(st: &AppState, id: &str) -> anyhow::Result<Vec<AssetVersion>> {
    let items: Vec<Stored<AssetVersion>> =
        st.db.whole_partition(None, &format!("ASSET#{id}"), Some("V#"), 1000).await?;
    Ok(items.into_iter().map(|v| v.record).collect())
}

/// The asset if the caller may see it (vendor staff: any; partner staff: the
/// published, unexpired ones their partner is allowed), else 404.
async fn visible_asset(st: &AppState, caller: &Caller, id: &str) -> ApiResult<(Asset, Option<Partner>)> {
    caller.require_any(&Role::ALL)?;
    if object_id(id).is_err() {
        return Err(ApiError::NotFound);
    }
    let asset = get_asset(st, id).await?.ok_or(ApiError::NotFound)?;
    if caller.is_vendor() {
        return Ok((asset, None));
    }
    let pid = caller.require_partner()?;
    let partner = crate::store::get_partner(&st.db, pid).await?.ok_or(ApiError::NotFound)?;
    if !asset.visible_to(&partner, now()) {
        return Err(ApiError::NotFound);
    }
    Ok((asset, Some(partner)))
}

/// Vendor staff create an asset (a draft) and get the presigned upload of its file.
#[utoipa::path(
    post, path = "/v1/assets", tag = "content",
    request_body = CreateAsset,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses((status = 201, body = AssetCreated), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_asset(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<CreateAsset>,
) -> ApiResult<Response> {
    caller.require_vendor()?;
    let req = body.parse()?;
    let at = now();
    let mut c = Checker::new();
    let title = c.check("title", text(&req.title, 1, 200));
    if req.description.chars().count() > 4000 {
        c.fail("description", "must be at most 4000 characters");
    }
    let kind = c.check("kind", AssetKind::parse(req.kind.trim()));
    let tags = c.check("tags", text_list(&req.tags, 20, 50)).map(|t| {
        let mut t: Vec<String> = t.into_iter().map(|x| x.to_lowercase()).collect();
        t.sort();
        t.dedup();
        t
    });
    let visibility = req.visibility.parse(&mut c);
    if req.expires_at.is_some_and(|e| e <= at) {
        c.fail("expires_at", "must be in the future");
    }
    let (name, ct) = check_file(&mut c, &req.file, "file");
    c.finish()?;
    let (Some(title), Some(kind), Some(tags), Some(name)) = (title, kind, tags, name) else {
        return Err(ApiError::field("body", "invalid asset"));
    };
    let id = ulid::Ulid::new().to_string();
    let v1 = version_of(&id, 1, &req.file, name, ct, &caller.sub, at);
    let asset = Asset {
        id: id.clone(),
        title,
        description: req.description.trim().to_owned(),
        kind,
        tags,
        visibility,
        status: AssetStatus::Draft,
        expires_at: req.expires_at,
        current_version: 1,
        download_count: 0,
        created_by: caller.sub.clone(),
        created_at: at,
        updated_at: at,
        published_at: None,
        version: 1,
    };
    st.db
        .transact(vec![put(&st, to_item(&asset_item(&asset))?, Some(0))?, version_put(&st, &id, &v1)?])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let upload =
        presign_put(&st.s3, &st.bucket, &v1.key, &v1.file_name, &v1.content_type, v1.size_bytes, UPLOAD_TTL).await?;
    Ok(created(&format!("/v1/assets/{id}"), AssetCreated { asset, file_version: v1, upload }))
}

/// Filters of `GET /v1/assets`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Only this kind.
    #[param(value_type = Option<AssetKind>)]
    pub kind: Option<String>,
    /// Only assets with this tag.
    pub tag: Option<String>,
    /// Only this status (vendor staff; partners only ever see published ones).
    #[param(value_type = Option<AssetStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Assets: vendor staff all (by status, kind, tag), newest first; partner
/// staff the published, unexpired ones visible to their partner, newest first.
#[utoipa::path(
    get, path = "/v1/assets", tag = "content",
    params(AssetQuery),
    responses((status = 200, body = Page<AssetSummary>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_assets(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<Page<AssetSummary>>> {
    caller.require_any(&Role::ALL)?;
    let mut c = Checker::new();
    let kind = q.kind.as_deref().and_then(|k| c.check("kind", AssetKind::parse(k.trim())));
    let tag = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    if tag.as_ref().is_some_and(|t| t.chars().count() > 50) {
        c.fail("tag", "must be at most 50 characters");
    }
    let status = q.status.as_deref().and_then(|k| c.check("status", AssetStatus::parse(k.trim())));
    c.finish()?;
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let at = now();
    let mut filter = Filter::default();
    let mut conditions = Vec::new();
    if let Some(k) = kind {
        conditions.push("#kind = :kind");
        filter.names.insert("#kind".into(), "kind".into());
        filter.values.insert(":kind".into(), s(k.as_str()));
    }
    if let Some(t) = &tag {
        conditions.push("contains(#tags, :tag)");
        filter.names.insert("#tags".into(), "tags".into());
        filter.values.insert(":tag".into(), s(t));
    }
    let scope_filters = format!("kind={}|tag={}", kind.map_or("", AssetKind::as_str), tag.as_deref().unwrap_or(""));
    if caller.is_vendor() {
        filter.expression = conditions.join(" AND ");
        let query = PageQuery {
            index: Some(status.map_or(GSI1, |_| GSI3)),
            pk: status.map_or_else(|| keys::all("ASSETS"), |s| keys::by_status("ASSETS", s.as_str())),
            sk_prefix: None,
            sk_between: None,
            filter: (!conditions.is_empty()).then_some(filter),
            forward: false,
            scope: format!("assets|vendor|status={}|{scope_filters}", status.map_or("", AssetStatus::as_str)),
        };
        let page: Page<Stored<Asset>> =
            st.db.query_page(&query, params.limit, params.cursor.as_deref(), &st.cursors).await?;
        return Ok(Json(Page {
            items: page.items.into_iter().map(|a| a.record.summary()).collect(),
            next_cursor: page.next_cursor,
        }));
    }
    let pid = caller.require_partner()?;
    let partner = crate::store::get_partner(&st.db, pid).await?.ok_or(ApiError::NotFound)?;
    // Expired assets leave the partner's view at once (the entries stay until unpublished).
    conditions.push("(attribute_not_exists(#exp) OR #exp > :now)");
    filter.names.insert("#exp".into(), "expires_at".into());
    filter.values.insert(":now".into(), s(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
    filter.expression = conditions.join(" AND ");
    let scope = format!("assets|partner={pid}|{scope_filters}");
    let cells = partner_cells(&partner);
    let page: Page<Stored<AssetSummary>> =
        ASSET_FEED.page(&st.db, &st.cursors, &cells, Some(&filter), &scope, &params).await?;
    Ok(Json(Page { items: page.items.into_iter().map(|a| a.record).collect(), next_cursor: page.next_cursor }))
}

/// An asset with its versions (vendor staff also see the download count).
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetDetail {
    /// The asset.
    #[serde(flatten)]
    pub asset: Asset,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
}

/// One asset (visibility applies).
#[utoipa::path(
    get, path = "/v1/assets/{id}", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = AssetDetail), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_asset_route(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AssetDetail>> {
    let (mut asset, partner) = visible_asset(&st, &caller, &id).await?;
    if partner.is_some() {
        asset.download_count = 0;
        asset.visibility = Visibility::default();
    }
    let vendor = caller.is_vendor();
    let versions = versions(&st, &id).await?.into_iter().map(|v| VersionView::of(v, vendor)).collect();
    Ok(Json(AssetDetail { asset, versions }))
}

/// Moves an asset to `to`, rewriting its visibility cells, with `event`.
async fn transition(
    st: &AppState,
    caller: &Caller,
    id: &str,
    to: AssetStatus,
    check: impl Fn(&Asset) -> ApiResult<()>,
) -> ApiResult<Asset> {
    caller.require_vendor()?;
    if object_id(id).is_err() {
        return Err(ApiError::NotFound);
    }
    for _ in 0..5 {
        let current = get_asset(st, id).await?.ok_or(ApiError::NotFound)?;
        check(&current)?;
        let at = now();
        let mut next = current.clone();
        next.status = to;
        next.updated_at = at;
        next.version = current.version + 1;
        if to == AssetStatus::Published {
            next.published_at = Some(at);
        }
        let mut items = vec![put(st, to_item(&asset_item(&next))?, Some(current.version))?];
        if current.status == AssetStatus::Published
            && let Some(p) = current.published_at
        {
            items.extend(ASSET_FEED.deletes(&st.db, &current.visibility.cells(), &Feed::sk(p, &current.id))?);
        }
        if let (AssetStatus::Published, Some(p)) = (next.status, next.published_at) {
            items.extend(ASSET_FEED.puts(&st.db, &next.visibility.cells(), &Feed::sk(p, &next.id), &next.summary())?);
        }
        let actor = Some(caller.sub.as_str());
        let event = match to {
            AssetStatus::Published => PendingEvent::new(
                AssetPublished {
                    asset_id: next.id.clone(),
                    title: next.title.clone(),
                    kind: next.kind.as_str().into(),
                },
                None,
                actor,
                at,
            )?,
            AssetStatus::Draft => PendingEvent::new(AssetUnpublished { asset_id: next.id.clone() }, None, actor, at)?,
            AssetStatus::Archived => PendingEvent::new(AssetArchived { asset_id: next.id.clone() }, None, actor, at)?,
        };
        items.push(st.events.outbox_put(&event)?);
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                return Ok(next);
            }
            Err(e) if e.condition_failed(0) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the asset kept changing; read it and retry".into()))
}

/// Publishes a draft whose current file was uploaded.
#[utoipa::path(
    post, path = "/v1/assets/{id}/publish", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = Asset), ApiErrors),
    security(("bearer" = []))
)]
pub async fn publish_asset(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Asset>> {
    caller.require_vendor()?;
    let current = get_asset(&st, object_id(&id).map_err(|_| ApiError::NotFound)?).await?.ok_or(ApiError::NotFound)?;
    let file = versions(&st, &id).await?.into_iter().find(|v| v.number == current.current_version);
    let Some(file) = file else { return Err(ApiError::Conflict("the asset has no file".into())) };
    // The upload URL signs type and size (S3 refuses others); the object is checked too.
    match uploaded(&st.s3, &st.bucket, &file.key).await? {
        None => return Err(ApiError::Conflict("the asset's file has not been uploaded yet".into())),
        Some(o) if o.size_bytes != file.size_bytes || o.content_type.as_deref() != Some(file.content_type.as_str()) => {
            return Err(ApiError::Conflict(format!(
                "the uploaded file is {} bytes of {}, not the declared {} bytes of {}; upload it again",
                o.size_bytes,
                o.content_type.as_deref().unwrap_or("an unknown type"),
                file.size_bytes,
                file.content_type
            )));
        }
        Some(_) => {}
    }
    let asset = transition(&st, &caller, &id, AssetStatus::Published, |a| match a.status {
        AssetStatus::Draft => Ok(()),
        other => Err(ApiError::Conflict(format!("a {} asset cannot be published", other.as_str()))),
    })
    .await?;
    Ok(Json(asset))
}

/// Takes a published asset back to draft (partners stop seeing it).
#[utoipa::path(
    post, path = "/v1/assets/{id}/unpublish", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = Asset), ApiErrors),
    security(("bearer" = []))
)]
pub async fn unpublish_asset(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Asset>> {
    let asset = transition(&st, &caller, &id, AssetStatus::Draft, |a| match a.status {
        AssetStatus::Published => Ok(()),
        other => Err(ApiError::Conflict(format!("a {} asset cannot be unpublished", other.as_str()))),
    })
    .await?;
    Ok(Json(asset))
}

/// Archives an asset for good.
#[utoipa::path(
    post, path = "/v1/assets/{id}/archive", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = Asset), ApiErrors),
    security(("bearer" = []))
)]
pub async fn archive_asset(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Asset>> {
    let asset = transition(&st, &caller, &id, AssetStatus::Archived, |a| match a.status {
        AssetStatus::Archived => Err(ApiError::Conflict("the asset is archived already".into())),
        _ => Ok(()),
    })
    .await?;
    Ok(Json(asset))
}

/// `POST /v1/assets/{id}/versions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddVersion {
    /// The new file.
    pub file: FileSpec,
}

/// A new version and where to upload it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionCreated {
    /// The version.
    pub file_version: AssetVersion,
    /// The presigned PUT.
    pub upload: Upload,
}

/// Vendor staff add a file version; older versions are kept. Downloads serve
/// the newest uploaded version by default.
#[utoipa::path(
    post, path = "/v1/assets/{id}/versions", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    request_body = AddVersion,
    responses((status = 201, body = VersionCreated), ApiErrors),
    security(("bearer" = []))
)]
pub async fn add_version(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<AddVersion>,
) -> ApiResult<Response> {
    caller.require_vendor()?;
    let req = body.parse()?;
    let mut c = Checker::new();
    let (name, ct) = check_file(&mut c, &req.file, "file");
    c.finish()?;
    let name = name.ok_or_else(|| ApiError::field("file.name", "is required"))?;
    for _ in 0..5 {
        let current =
            get_asset(&st, object_id(&id).map_err(|_| ApiError::NotFound)?).await?.ok_or(ApiError::NotFound)?;
        if current.status == AssetStatus::Archived {
            return Err(ApiError::Conflict("an archived asset takes no new versions".into()));
        }
        let at = now();
        let v = version_of(&id, current.current_version + 1, &req.file, name.clone(), ct.clone(), &caller.sub, at);
        let mut next = current.clone();
        next.current_version = v.number;
        next.updated_at = at;
        next.version = current.version + 1;
        let mut items =
            vec![put(&st, to_item(&asset_item(&next))?, Some(current.version))?, version_put(&st, &id, &v)?];
        if let (AssetStatus::Published, Some(p)) = (next.status, next.published_at) {
            items.extend(ASSET_FEED.puts(&st.db, &next.visibility.cells(), &Feed::sk(p, &next.id), &next.summary())?);
        }
        let event = PendingEvent::new(
            AssetVersionAdded { asset_id: id.clone(), number: v.number },
            None,
            Some(&caller.sub),
            at,
        )?;
        items.push(st.events.outbox_put(&event)?);
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                let upload =
                    presign_put(&st.s3, &st.bucket, &v.key, &v.file_name, &v.content_type, v.size_bytes, UPLOAD_TTL)
                        .await?;
                return Ok(created(&format!("/v1/assets/{id}"), VersionCreated { file_version: v, upload }));
            }
            Err(e) if e.condition_failed(0) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the asset kept changing; read it and retry".into()))
}

/// `POST /v1/assets/{id}/download` (all optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadBody {
    /// A version number (default: the newest uploaded).
    pub version: Option<u32>,
}

/// A short-lived download.
#[derive(Debug, Serialize, ToSchema)]
pub struct Download {
    /// The presigned GET.
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The version served.
    pub version: u32,
}

/// A presigned GET of the asset's file (visibility applies); the download is
/// counted per asset and per partner.
#[utoipa::path(
    post, path = "/v1/assets/{id}/download", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    request_body(content = Option<DownloadBody>),
    responses((status = 200, body = Download), ApiErrors),
    security(("bearer" = []))
)]
pub async fn download(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Download>> {
    let req: DownloadBody = optional_json(&body)?;
    let (asset, partner) = visible_asset(&st, &caller, &id).await?;
    let (url, expires_at, number) = file_url(&st, &asset, req.version).await?;
    // Count it: the asset's total and the partner's (vendor staff count as "vendor").
    let who = partner.as_ref().map_or("vendor", |p| p.id.as_str());
    let add = |pk: String, sk: String| {
        Update::builder()
            .table_name(&st.db.table)
            .set_key(Some(prm_shared::dynamo::key(pk, sk)))
            .update_expression("ADD #count :one")
            .expression_attribute_names("#count", "download_count")
            .expression_attribute_values(":one", n(1))
            .build()
            .context("building counter Update")
    };
    let per_partner = add(format!("ASSET#{id}"), format!("DL#{who}"))?;
    let total = Update::builder()
        .table_name(&st.db.table)
        .set_key(Some(prm_shared::dynamo::key(format!("ASSET#{id}"), "ASSET")))
        .update_expression("ADD #count :one")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#count", "download_count")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_values(":one", n(1))
        .build()
        .context("building counter Update")?;
    let mut writes = vec![
        TransactWriteItem::builder().update(total).build(),
        TransactWriteItem::builder().update(per_partner).build(),
    ];
    if let Some(p) = &partner {
        writes.push(crate::scorecard::counter_update(&st.db, &p.id, &[("downloads".to_owned(), 1)])?);
    }
    st.db.transact(writes).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Json(Download { url, expires_at, version: number }))
}

/// A presigned GET of version `wanted`, or of the newest uploaded one.
pub async fn file_url(st: &AppState, asset: &Asset, wanted: Option<u32>) -> ApiResult<(String, DateTime<Utc>, u32)> {
    let mut all = versions(st, &asset.id).await?;
    all.sort_by_key(|v| std::cmp::Reverse(v.number));
    for v in all.iter().filter(|v| wanted.is_none_or(|w| w == v.number)) {
        if uploaded(&st.s3, &st.bucket, &v.key)
            .await?
            .is_some_and(|o| o.size_bytes == v.size_bytes && o.content_type.as_deref() == Some(v.content_type.as_str()))
        {
            let (url, expires_at) = presign_get(&st.s3, &st.bucket, &v.key, &v.file_name, DOWNLOAD_TTL).await?;
            return Ok((url, expires_at, v.number));
        }
        if wanted.is_some() {
            break;
        }
    }
    match wanted {
        Some(_) => Err(ApiError::field("version", "no such uploaded version")),
        None => Err(ApiError::Conflict("no file of this asset has been uploaded yet".into())),
    }
}

/// Downloads of one partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartnerDownloads {
    /// The partner (`vendor` for vendor staff).
    pub partner_id: String,
    /// Downloads.
    pub download_count: u64,
}

/// Download counts of an asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadCounts {
    /// All downloads.
    pub total: u64,
    /// Per partner.
    pub by_partner: Vec<PartnerDownloads>,
}

/// Vendor staff see how often an asset was downloaded, and by which partners.
#[utoipa::path(
    get, path = "/v1/assets/{id}/downloads", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = DownloadCounts), ApiErrors),
    security(("bearer" = []))
)]
pub async fn download_counts(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DownloadCounts>> {
    caller.require_vendor()?;
    let (asset, _) = visible_asset(&st, &caller, &id).await?;
    #[derive(Deserialize)]
    struct Counter {
        sk: String,
        download_count: u64,
    }
    let rows: Vec<Counter> = st.db.whole_partition(None, &format!("ASSET#{id}"), Some("DL#"), 10_000).await?;
    let mut by_partner: Vec<PartnerDownloads> = rows
        .into_iter()
        .map(|r| PartnerDownloads {
            partner_id: r.sk.trim_start_matches("DL#").to_owned(),
            download_count: r.download_count,
        })
        .collect();
    by_partner.sort_by_key(|p| std::cmp::Reverse(p.download_count));
    Ok(Json(DownloadCounts { total: asset.download_count, by_partner }))
}

/// The versions of an asset, oldest first (visibility applies).
#[utoipa::path(
    get, path = "/v1/assets/{id}/versions", tag = "content",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = Vec<VersionView>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_versions(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<VersionView>>> {
    visible_asset(&st, &caller, &id).await?;
    let vendor = caller.is_vendor();
    Ok(Json(versions(&st, &id).await?.into_iter().map(|v| VersionView::of(v, vendor)).collect()))
}

/// The asset if `caller` may see it (for shares).
pub async fn visible(st: &AppState, caller: &Caller, id: &str) -> ApiResult<(Asset, Option<Partner>)> {
    visible_asset(st, caller, id).await
}

/// Reads an asset (for shares opened without signing in).
pub async fn read(st: &AppState, id: &str) -> anyhow::Result<Option<Asset>> {
    get_asset(st, id).await
}
