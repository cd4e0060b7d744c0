//! HTTP routes of the deals function.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::Page;
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::json::{ApiQuery, JsonBody, created};
use prm_shared::list::resolve;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{object_id, text};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::DealsState;
use crate::customer::CustomerKeys;
use prm_shared::events::PendingEvent;
use prm_shared::events::deals::{DealExtended, DealExtensionRequested};

use crate::domain::{
    ApproveRequest, CloseRequest, ConflictReport, Deal, DealStatus, ExtensionBody, Outcome, RegisterDealRequest,
    RejectRequest, now,
};
use crate::store::{self, DealFilter, RegisterError, TransitionError};

/// Checks a registration for conflicts without registering it.
#[utoipa::path(
    post, path = "/v1/deals/check", tag = "deals",
    request_body = RegisterDealRequest,
    responses(
        (status = 200, body = ConflictReport),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn check_deal(
    State(st): State<DealsState>,
    caller: Caller,
    body: JsonBody<RegisterDealRequest>,
) -> ApiResult<Json<ConflictReport>> {
    let partner_id = caller.require_partner()?.to_owned();
    let deal = body.parse()?.into_deal("check".into(), &partner_id, &caller.sub, now())?;
    let (reasons, _) = store::find_conflicts(&st.db, &deal.keys(), &partner_id, now()).await?;
    Ok(Json(ConflictReport {
        conflict: !reasons.is_empty(),
        reasons: reasons.iter().map(|r| r.as_str().into()).collect(),
    }))
}

/// Registers a deal for the caller's partner (status `submitted`).
#[utoipa::path(
    post, path = "/v1/deals", tag = "deals",
    request_body = RegisterDealRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses(
        (status = 201, body = Deal),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn register_deal(
    State(st): State<DealsState>,
    caller: Caller,
    body: JsonBody<RegisterDealRequest>,
) -> ApiResult<Response> {
    let partner_id = caller.require_partner()?.to_owned();
    let (deal, events) = prepare_registration(&st, body.parse()?, &partner_id, &caller.sub, now()).await?;
    let outbox = events.iter().map(|e| st.events.outbox_put(e)).collect::<anyhow::Result<Vec<_>>>()?;
    match store::register(&st.db, &deal, outbox).await {
        Ok(()) => st.events.publish(&events).await,
        Err(RegisterError::Duplicate) => {
            return Err(ApiError::Conflict("your partner already has an open registration for this customer".into()));
        }
        Err(RegisterError::Other(e)) => return Err(e.into()),
    }
    tracing::info!(deal_id = %deal.id, partner_id = %partner_id, conflict = deal.conflict.conflict, "deal registered");
    Ok(created(&format!("/v1/deals/{}", deal.id), deal.for_partner()))
}

/// A new registration of `partner_id` with its conflict check, review
/// deadline and events, ready to be written.
pub(crate) async fn prepare_registration(
    st: &DealsState,
    req: RegisterDealRequest,
    partner_id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> ApiResult<(Deal, Vec<PendingEvent>)> {
    let mut deal = req.into_deal(ulid::Ulid::new().to_string(), partner_id, by, at)?;
    if let Some(rid) = &deal.mdf_request_id {
        check_mdf_request(st, rid, partner_id).await?;
    }
    let (reasons, deal_ids) = store::find_conflicts(&st.db, &deal.keys(), partner_id, at).await?;
    deal.conflict =
        ConflictReport { conflict: !reasons.is_empty(), reasons: reasons.iter().map(|r| r.as_str().into()).collect() };
    deal.conflicting_deal_ids = deal_ids;
    deal.review_due_at = Some(at + Duration::hours(st.review_sla_hours));
    let events = crate::events::registered(&deal)?;
    Ok((deal, events))
}

/// A deal may name, as its source, an approved (or since closed) fund request
/// of its own partner; anything else reads as no such request.
async fn check_mdf_request(st: &DealsState, request_id: &str, partner_id: &str) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Request {
        partner_id: String,
        status: String,
    }
    let found = st.db.get::<Request>(&format!("MDFREQUEST#{request_id}"), "MDFREQUEST").await?;
    match found {
        Some(r) if r.partner_id == partner_id && matches!(r.status.as_str(), "approved" | "closed") => Ok(()),
        Some(r) if r.partner_id == partner_id => Err(ApiError::field(
            "mdf_request_id",
            format!("the fund request is {}; only an approved request can source deals", r.status),
        )),
        _ => Err(ApiError::field("mdf_request_id", "no such fund request of your partner")),
    }
}

/// Filters and paging of `GET /v1/deals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DealListQuery {
    /// Only this partner's deals (vendor staff; partner staff always see their own).
    pub partner_id: Option<String>,
    /// Only this status.
    #[param(value_type = Option<DealStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists deals: vendor staff all (filter by partner and status), partner staff their partner's.
#[utoipa::path(
    get, path = "/v1/deals", tag = "deals",
    params(DealListQuery),
    responses(
        (status = 200, body = Page<Deal>),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list_deals(
    State(st): State<DealsState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DealListQuery>,
) -> ApiResult<Json<Page<Deal>>> {
    caller.require_any(&Role::ALL)?;
    let l = resolve(
        &caller,
        q.partner_id.as_deref(),
        q.status.as_deref(),
        DealStatus::parse,
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )?;
    let vendor = caller.is_vendor();
    let filter = DealFilter { partner_id: l.partner_id, status: l.status };
    let page = store::list_deals(&st.db, &st.cursors, &filter, l.page.limit, l.page.cursor.as_deref()).await?;
    let items = if vendor { page.items } else { page.items.into_iter().map(Deal::for_partner).collect() };
    Ok(Json(Page { items, next_cursor: page.next_cursor }))
}

async fn visible_deal(st: &DealsState, caller: &Caller, id: &str) -> ApiResult<Deal> {
    caller.require_any(&Role::ALL)?;
    let deal = store::get_deal(&st.db, object_id(id)?).await?.ok_or(ApiError::NotFound)?;
    if !caller.can_access_partner(&deal.partner_id) {
        return Err(ApiError::NotFound);
    }
    Ok(deal)
}

fn view(caller: &Caller, deal: Deal) -> Deal {
    if caller.is_vendor() { deal } else { deal.for_partner() }
}

/// Reads a deal with its history.
#[utoipa::path(
    get, path = "/v1/deals/{id}", tag = "deals",
    params(("id" = String, Path, description = "Deal id")),
    responses(
        (status = 200, body = Deal),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn get_deal(State(st): State<DealsState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Deal>> {
    let deal = visible_deal(&st, &caller, &id).await?;
    Ok(Json(view(&caller, deal)))
}

/// Reads the deal (unless the caller just did: `read`), checks the
/// transition and writes it, reading again when the deal changed concurrently.
async fn transition(
    st: &DealsState,
    caller: &Caller,
    id: &str,
    mut read: Option<Deal>,
    to: DealStatus,
    decide: impl Fn(&Deal, DateTime<Utc>) -> ApiResult<Deal>,
) -> ApiResult<Deal> {
    for _ in 0..5 {
        let current = match read.take() {
            Some(deal) => deal,
            None => visible_deal(st, caller, id).await?,
        };
        if !current.status.can_become(to) {
            return Err(ApiError::Conflict(format!(
                "a {} deal cannot become {}",
                current.status.as_str(),
                to.as_str()
            )));
        }
        let at = now();
        let next = decide(&current, at)?;
        let event = crate::events::transitioned(&next)?;
        let outbox = vec![st.events.outbox_put(&event)?];
        let res = if to == DealStatus::Approved {
            store::protect(&st.db, &current, &next, at, outbox).await
        } else {
            store::close(&st.db, &current, &next, outbox).await
        };
        match res {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                tracing::info!(deal_id = %next.id, status = to.as_str(), by = %caller.sub, "deal transition");
                return Ok(next);
            }
            Err(TransitionError::Stale) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the deal kept changing; read it and retry".into()))
}

/// The protection period of the partner's tier when the program's tier rules
/// are set (one BatchGetItem of the rules and the partner), else the
/// configured default.
async fn tier_protection_days(st: &DealsState, partner_id: &str) -> ApiResult<i64> {
    let partner_pk = prm_shared::dynamo::keys::partner(partner_id);
    let read: Vec<serde_json::Value> = st
        .db
        .batch_get(&[("PROGRAM".to_owned(), "TIERS".to_owned()), (partner_pk.clone(), "PROFILE".to_owned())])
        .await?;
    let mut rules = prm_shared::program::TierRules::default();
    let mut tier = String::new();
    for item in read {
        if item["pk"] == "PROGRAM" {
            rules = serde_json::from_value(item).map_err(anyhow::Error::from)?;
        } else if item["pk"] == partner_pk.as_str() {
            tier = item["tier"].as_str().unwrap_or_default().to_owned();
        }
    }
    Ok(rules.benefits(&tier).map_or(st.protection_days, |b| i64::from(b.protection_days)))
}

/// Approves a submitted deal, protecting its customer for the protection period
/// (the approver's `protection_days`, else the partner's tier benefit).
#[utoipa::path(
    post, path = "/v1/deals/{id}/approve", tag = "deals",
    params(("id" = String, Path, description = "Deal id")),
    request_body(content = Option<ApproveRequest>),
    responses(
        (status = 200, body = Deal),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn approve_deal(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Deal>> {
    caller.require_vendor()?;
    // The body is optional: an empty one takes the program's protection period.
    let req: ApproveRequest = prm_shared::json::optional_json(&body)?;
    if req.protection_days.is_some_and(|d| !(1..=365).contains(&d)) {
        return Err(ApiError::field("protection_days", "must be from 1 to 365"));
    }
    let current = visible_deal(&st, &caller, &id).await?;
    let days = match req.protection_days {
        Some(days) => days,
        None => tier_protection_days(&st, &current.partner_id).await?.clamp(1, 365),
    };
    let by = caller.sub.clone();
    let deal = transition(&st, &caller, &id, Some(current), DealStatus::Approved, |d, at| {
        let mut next = d.transitioned(DealStatus::Approved, &by, None, at);
        next.protection_expires_at = Some(at + Duration::days(days));
        Ok(next)
    })
    .await?;
    Ok(Json(deal))
}

/// Rejects a submitted deal with a reason.
#[utoipa::path(
    post, path = "/v1/deals/{id}/reject", tag = "deals",
    params(("id" = String, Path, description = "Deal id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = Deal),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn reject_deal(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<RejectRequest>,
) -> ApiResult<Json<Deal>> {
    caller.require_vendor()?;
    let reason = text(&body.parse()?.reason, 1, 1000).map_err(|m| ApiError::field("reason", m))?;
    let by = caller.sub.clone();
    let deal = transition(&st, &caller, &id, None, DealStatus::Rejected, |d, at| {
        Ok(d.transitioned(DealStatus::Rejected, &by, Some(reason.clone()), at))
    })
    .await?;
    Ok(Json(deal))
}

/// Closes an approved deal as won or lost; releases the customer.
#[utoipa::path(
    post, path = "/v1/deals/{id}/close", tag = "deals",
    params(("id" = String, Path, description = "Deal id")),
    request_body = CloseRequest,
    responses(
        (status = 200, body = Deal),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn close_deal(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<CloseRequest>,
) -> ApiResult<Json<Deal>> {
    caller.require_any(&Role::ALL)?;
    let req = body.parse()?;
    let amount = req
        .amount
        .as_ref()
        .map(prm_shared::money::Money::parse)
        .transpose()
        .map_err(|m| ApiError::field("amount", m))?;
    let reason =
        req.reason.as_deref().map(|r| text(r, 1, 1000)).transpose().map_err(|m| ApiError::field("reason", m))?;
    let to = match req.outcome {
        Outcome::Won => DealStatus::Won,
        Outcome::Lost => DealStatus::Lost,
    };
    let by = caller.sub.clone();
    let deal = transition(&st, &caller, &id, None, to, |d, at| {
        let mut next = d.transitioned(to, &by, reason.clone(), at);
        if to == DealStatus::Won {
            next.closed_amount = Some(amount.clone().unwrap_or_else(|| d.amount.clone()));
        }
        Ok(next)
    })
    .await?;
    Ok(Json(view(&caller, deal)))
}

/// Extension of protection: the owning partner asks (the request is recorded
/// on the deal), vendor staff grant (the protection is extended).
#[utoipa::path(
    post, path = "/v1/deals/{id}/extension", tag = "deals",
    params(("id" = String, Path, description = "Deal id")),
    request_body(content = Option<ExtensionBody>),
    responses(
        (status = 200, body = Deal),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn extend_deal(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Deal>> {
    caller.require_any(&Role::ALL)?;
    let req: ExtensionBody = prm_shared::json::optional_json(&body)?;
    if req.days.is_some_and(|d| !(1..=365).contains(&d)) {
        return Err(ApiError::field("days", "must be from 1 to 365"));
    }
    let reason =
        req.reason.as_deref().map(|r| text(r, 1, 1000)).transpose().map_err(|m| ApiError::field("reason", m))?;
    for _ in 0..5 {
        let current = visible_deal(&st, &caller, &id).await?;
        if current.status != DealStatus::Approved {
            return Err(ApiError::Conflict(format!("a {} deal cannot be extended", current.status.as_str())));
        }
        let at = now();
        let pid = Some(current.partner_id.as_str());
        let (next, event, res) = if caller.is_vendor() {
            let days =
                req.days.or(current.extension_request.as_ref().map(|r| r.days)).unwrap_or(DEFAULT_EXTENSION_DAYS);
            let next = current.extended(days, &caller.sub, at);
            let until = next.protection_expires_at.unwrap_or(at);
            let event = PendingEvent::new(
                DealExtended { deal_id: next.id.clone(), protection_expires_at: until, days },
                pid,
                Some(&caller.sub),
                at,
            )?;
            let res = store::protect(&st.db, &current, &next, at, vec![st.events.outbox_put(&event)?]).await;
            (next, event, res)
        } else {
            if current.extension_request.is_some() {
                return Err(ApiError::Conflict("an extension request is already pending".into()));
            }
            let days = req.days.unwrap_or(DEFAULT_EXTENSION_DAYS);
            let next = current.with_extension_request(days, reason.clone(), &caller.sub, at);
            let event = PendingEvent::new(
                DealExtensionRequested { deal_id: next.id.clone(), days, reason: reason.clone() },
                pid,
                Some(&caller.sub),
                at,
            )?;
            let res = store::update(&st.db, &current, &next, vec![st.events.outbox_put(&event)?]).await;
            (next, event, res)
        };
        match res {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                return Ok(Json(view(&caller, next)));
            }
            Err(TransitionError::Stale) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the deal kept changing; read it and retry".into()))
}

/// Days of an extension when nobody says.
const DEFAULT_EXTENSION_DAYS: i64 = 30;

/// The keys a registration would be matched on (for tests and tooling).
pub fn customer_keys(company_name: &str, domain: &str) -> CustomerKeys {
    CustomerKeys::of(company_name, domain)
}
