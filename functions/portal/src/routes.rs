//! HTTP routes of the portal function.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{ListParams, Page};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::json::{ApiQuery, JsonBody, created};
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::object_id;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::directory::{CreateUserError, temporary_password};
use crate::domain::{
    CreatePartnerRequest, InviteUserRequest, Partner, PartnerStatus, PartnerUser, Tier, UpdatePartnerRequest, now,
};
use crate::store::{self, PartnerFilter};

/// Liveness of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the function answers.
    pub status: String,
}

/// Public liveness check.
#[utoipa::path(get, path = "/v1/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// The OpenAPI document, generated from the code and kept in the repository.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

/// The OpenAPI document of the whole API.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

/// Filters and paging of `GET /v1/partners`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerListQuery {
    /// Only this tier.
    #[param(value_type = Option<Tier>)]
    pub tier: Option<String>,
    /// Only this region (case-insensitive).
    pub region: Option<String>,
    /// Only this status.
    #[param(value_type = Option<PartnerStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Paging of a list without filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQueryParams {
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Creates a partner (status `onboarding`).
#[utoipa::path(
    post, path = "/v1/partners", tag = "partners",
    request_body = CreatePartnerRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses(
        (status = 201, body = Partner),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn create_partner(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<CreatePartnerRequest>,
) -> ApiResult<Response> {
    caller.require_any(&[Role::VendorAdmin])?;
    let partner = body.parse()?.into_partner(ulid::Ulid::new().to_string(), now())?;
    store::create_partner(&st.db, &partner).await?;
    tracing::info!(partner_id = %partner.id, by = %caller.sub, "partner created");
    Ok(created(&format!("/v1/partners/{}", partner.id), partner))
}

/// Lists partners (vendor staff).
#[utoipa::path(
    get, path = "/v1/partners", tag = "partners",
    params(PartnerListQuery),
    responses(
        (status = 200, body = Page<Partner>),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_partners(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PartnerListQuery>,
) -> ApiResult<Json<Page<Partner>>> {
    caller.require_vendor()?;
    let mut c = prm_shared::validate::Checker::new();
    let filter = PartnerFilter {
        tier: q.tier.as_deref().and_then(|v| c.check("tier", Tier::parse(v))),
        region: q
            .region
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| c.check("region", prm_shared::validate::text(v, 1, 64))),
        status: q.status.as_deref().and_then(|v| c.check("status", PartnerStatus::parse(v))),
    };
    c.finish()?;
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let page = store::list_partners(&st.db, &st.cursors, &filter, params.limit, params.cursor.as_deref()).await?;
    Ok(Json(page))
}

/// Reads a partner: vendor staff any, partner staff their own.
#[utoipa::path(
    get, path = "/v1/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "Partner id")),
    responses(
        (status = 200, body = Partner),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn get_partner(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Partner>> {
    caller.require_any(&Role::ALL)?;
    caller.require_partner_access(object_id(&id)?)?;
    store::get_partner(&st.db, &id).await?.map(Json).ok_or(ApiError::NotFound)
}

/// Updates a partner: vendor admins any field, the partner's admin its profile.
#[utoipa::path(
    patch, path = "/v1/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "Partner id")),
    request_body = UpdatePartnerRequest,
    responses(
        (status = 200, body = Partner),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn update_partner(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<UpdatePartnerRequest>,
) -> ApiResult<Json<Partner>> {
    caller.require_any(&[Role::VendorAdmin, Role::PartnerAdmin])?;
    if !caller.administers_partner(object_id(&id)?) {
        return Err(ApiError::NotFound);
    }
    let changes = body.parse()?.into_changes(caller.has(Role::VendorAdmin))?;
    let updated = store::update_partner(&st.db, &id, &changes).await?.ok_or(ApiError::NotFound)?;
    if updated.status == crate::domain::PartnerStatus::Onboarding {
        // A profile change may complete an onboarding task; the answer shows the
        // partner as it is after that.
        let progress = crate::onboarding::evaluate(&st, &id, None, crate::domain::now()).await?;
        if progress.partner_status != updated.status {
            return Ok(Json(store::get_partner(&st.db, &id).await?.ok_or(ApiError::NotFound)?));
        }
    }
    Ok(Json(updated))
}

/// Invites a user into a partner: vendor admins into any, a partner admin into its own.
#[utoipa::path(
    post, path = "/v1/partners/{id}/users", tag = "partners",
    params(
        ("id" = String, Path, description = "Partner id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request"),
    ),
    request_body = InviteUserRequest,
    responses(
        (status = 201, body = PartnerUser),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn invite_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<InviteUserRequest>,
) -> ApiResult<Response> {
    caller.require_any(&[Role::VendorAdmin, Role::PartnerAdmin])?;
    if !caller.administers_partner(object_id(&id)?) {
        return Err(ApiError::NotFound);
    }
    let partner = store::get_partner(&st.db, &id).await?.ok_or(ApiError::NotFound)?;
    let inv = body.parse()?.parse()?;

    // Claim the email first, so two concurrent invitations cannot both proceed;
    // every later failure undoes what was done before it.
    if !store::claim_email(&st.db, &inv.email, &id).await? {
        return Err(ApiError::Conflict("a user with this email already exists".into()));
    }
    let password = temporary_password();
    let dir = &st.directory;
    let sub = match dir.create_user(&inv, &id, &password).await {
        Ok(sub) => sub,
        Err(e) => {
            undo(&st, &inv.email, false, None).await;
            return Err(match e {
                CreateUserError::Exists => ApiError::Conflict("a user with this email already exists".into()),
                CreateUserError::Refused(_) => ApiError::field("email", "is not accepted as a sign-in address"),
                CreateUserError::Other(e) => ApiError::Unexpected(e),
            });
        }
    };
    let user = PartnerUser {
        id: sub,
        partner_id: id.clone(),
        email: inv.email.clone(),
        name: inv.name.clone(),
        role: inv.role,
        status: "invited".into(),
        invited_by: caller.sub.clone(),
        invited_at: now(),
    };
    if let Err(e) = dir.add_to_group(inv.email.as_str(), inv.role.as_str()).await {
        undo(&st, &inv.email, true, None).await;
        return Err(e.into());
    }
    let user_sk = match store::put_user(&st.db, &user).await {
        Ok(sk) => sk,
        Err(e) => {
            undo(&st, &inv.email, true, None).await;
            return Err(e.into());
        }
    };
    if let Err(e) = dir.send_invitation(&inv, &partner, &password).await {
        undo(&st, &inv.email, true, Some((&id, &user_sk))).await;
        return Err(e.into());
    }
    tracing::info!(partner_id = %id, user = %user.id, role = user.role.as_str(), by = %caller.sub, "user invited");
    Ok(created(&format!("/v1/partners/{id}/users"), user))
}

/// Rolls back a failed invitation: the Cognito user (if created), the user
/// record (if written) and the email claim.
async fn undo(
    st: &AppState,
    email: &prm_shared::validate::EmailAddress,
    cognito_user: bool,
    record: Option<(&str, &str)>,
) {
    if cognito_user && let Err(e) = st.directory.delete_user(email.as_str()).await {
        tracing::error!(error = format!("{e:#}"), "could not delete Cognito user of a failed invitation");
    }
    let res = match record {
        Some((partner_id, sk)) => store::delete_user(&st.db, partner_id, sk, email).await,
        None => store::release_email(&st.db, email).await,
    };
    if let Err(e) = res {
        tracing::error!(error = format!("{e:#}"), "could not roll back a failed invitation");
    }
}

/// Lists a partner's users: vendor staff, and the partner's admins.
#[utoipa::path(
    get, path = "/v1/partners/{id}/users", tag = "partners",
    params(("id" = String, Path, description = "Partner id"), PageQueryParams),
    responses(
        (status = 200, body = Page<PartnerUser>),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_users(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQueryParams>,
) -> ApiResult<Json<Page<PartnerUser>>> {
    caller.require_any(&[Role::VendorAdmin, Role::ChannelManager, Role::PartnerAdmin])?;
    object_id(&id)?;
    if !(caller.is_vendor() || caller.administers_partner(&id)) {
        return Err(ApiError::NotFound);
    }
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    if store::get_partner(&st.db, &id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(store::list_users(&st.db, &st.cursors, &id, params.limit, params.cursor.as_deref()).await?))
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Cognito `sub`.
    pub sub: String,
    /// Email, when the token carries it.
    pub email: Option<String>,
    /// Program roles.
    pub roles: Vec<Role>,
    /// The user's partner, for partner staff.
    pub partner_id: Option<String>,
    /// That partner.
    pub partner: Option<Partner>,
}

/// Who am I: identity, roles and partner.
#[utoipa::path(
    get, path = "/v1/me", tag = "me",
    responses(
        (status = 200, body = Me),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn me(State(st): State<AppState>, caller: Caller, _headers: HeaderMap) -> ApiResult<Json<Me>> {
    let partner_id = caller.own_partner().map(str::to_owned);
    let partner = match &partner_id {
        Some(id) => store::get_partner(&st.db, id).await?,
        None => None,
    };
    Ok(Json(Me {
        sub: caller.sub.clone(),
        email: caller.email.clone(),
        roles: caller.roles.clone(),
        partner_id,
        partner,
    }))
}
