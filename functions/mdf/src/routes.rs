//! HTTP routes of the MDF function.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{ListParams, Page, keys};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::mdf::{
    MdfClaimApproved, MdfClaimPaid, MdfClaimRejected, MdfClaimSubmitted, MdfRequestApproved, MdfRequestRejected,
    MdfRequestSubmitted,
};
use prm_shared::files::Upload;
use prm_shared::json::{ApiQuery, JsonBody, created};
use prm_shared::list::resolve;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now, object_id, text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::MdfState;
use crate::domain::{
    Allocation, ApproveAmount, Claim, ClaimStatus, CreateAllocationRequest, CreateClaimRequest, CreateFundRequest,
    FundRequest, FundType, LedgerEntry, LedgerKind, Proof, RejectFundRequest, RequestStatus, period,
};
use crate::rules::closes_at;
use crate::store::{self, WriteError};

/// Grants a partner funds for a period.
#[utoipa::path(
    post, path = "/v1/mdf/allocations", tag = "mdf",
    request_body = CreateAllocationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses((status = 201, body = Allocation), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_allocation(
    State(st): State<MdfState>,
    caller: Caller,
    body: JsonBody<CreateAllocationRequest>,
) -> ApiResult<Response> {
    caller.require_any(&[Role::VendorAdmin])?;
    let at = now();
    let allocation = body.parse()?.into_allocation(at)?;
    if st.db.get::<serde_json::Value>(&keys::partner(&allocation.partner_id), "PROFILE").await?.is_none() {
        return Err(ApiError::field("partner_id", "no such partner"));
    }
    let ledger = LedgerEntry::new(LedgerKind::Allocate, allocation.allocated, &caller.sub, at);
    match store::create_allocation(&st.db, &allocation, &ledger, vec![]).await {
        Ok(()) => {}
        Err(WriteError::Conflict) => {
            return Err(ApiError::Conflict(
                "this partner already has an allocation of that fund for that period".into(),
            ));
        }
        Err(WriteError::Insufficient) => return Err(anyhow::anyhow!("allocation ledger refused").into()),
        Err(WriteError::Other(e)) => return Err(e.into()),
    }
    let location = format!(
        "/v1/mdf/allocations?partner_id={}&period={}&fund_type={}",
        allocation.partner_id,
        allocation.period,
        allocation.fund_type.as_str()
    );
    Ok(created(&location, allocation))
}

/// Filters of `GET /v1/mdf/allocations`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllocationQuery {
    /// The partner (vendor staff; partner staff always get their own).
    pub partner_id: Option<String>,
    /// The period, e.g. `2026-H1`.
    pub period: Option<String>,
    /// Only this fund type.
    #[param(value_type = Option<FundType>)]
    pub fund_type: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Allocations with their balances, and the totals of the page.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationList {
    /// Sum of `allocated` (null when the page mixes currencies).
    pub allocated: Option<i64>,
    /// Sum of `reserved`.
    pub reserved: Option<i64>,
    /// Sum of `claimed`.
    pub claimed: Option<i64>,
    /// Sum of `paid`.
    pub paid: Option<i64>,
    /// Sum of `available`.
    pub available: Option<i64>,
    /// The currency of the sums.
    pub currency: Option<String>,
    /// The allocations.
    pub items: Vec<Allocation>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// Balances of allocations: vendor staff any partner's, partner staff their own.
#[utoipa::path(
    get, path = "/v1/mdf/allocations", tag = "mdf",
    params(AllocationQuery),
    responses((status = 200, body = AllocationList), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_allocations(
    State(st): State<MdfState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AllocationQuery>,
) -> ApiResult<Json<AllocationList>> {
    caller.require_any(&Role::ALL)?;
    let mut c = Checker::new();
    let period = q.period.as_deref().filter(|p| !p.trim().is_empty()).and_then(|p| c.check("period", period(p)));
    let fund = q.fund_type.as_deref().and_then(|f| c.check("fund_type", FundType::parse(f)));
    let requested = q.partner_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if requested.is_some_and(|p| object_id(p).is_err()) {
        c.fail("partner_id", "is not a partner id");
    }
    c.finish()?;
    let partner =
        if caller.is_vendor() { requested.map(str::to_owned) } else { Some(caller.require_partner()?.to_owned()) };
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let page = store::list_allocations(
        &st.db,
        &st.cursors,
        partner.as_deref(),
        period.as_deref(),
        params.limit,
        params.cursor.as_deref(),
    )
    .await?;
    let items: Vec<Allocation> = page.items.into_iter().filter(|a| fund.is_none_or(|f| a.fund_type == f)).collect();
    let currency = items.first().map(|a| a.currency.clone()).filter(|c| items.iter().all(|a| &a.currency == c));
    let sum = |f: fn(&Allocation) -> i64| currency.as_ref().map(|_| items.iter().map(f).sum());
    Ok(Json(AllocationList {
        allocated: sum(|a| a.allocated),
        reserved: sum(|a| a.reserved),
        claimed: sum(|a| a.claimed),
        paid: sum(|a| a.paid),
        available: sum(|a| a.available),
        currency,
        items,
        next_cursor: page.next_cursor,
    }))
}

/// A partner asks for funds.
#[utoipa::path(
    post, path = "/v1/mdf/requests", tag = "mdf",
    request_body = CreateFundRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses((status = 201, body = FundRequest), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_request(
    State(st): State<MdfState>,
    caller: Caller,
    body: JsonBody<CreateFundRequest>,
) -> ApiResult<Response> {
    let partner_id = caller.require_partner()?.to_owned();
    let at = now();
    let request = body.parse()?.into_request(ulid::Ulid::new().to_string(), &partner_id, &caller.sub, at)?;
    if let Some(a) = store::get_allocation(&st.db, &partner_id, &request.period, request.fund_type).await?
        && a.currency != request.requested_amount.currency
    {
        return Err(ApiError::field(
            "requested_amount.currency",
            format!("must be {}, the allocation's currency", a.currency),
        ));
    }
    let event = PendingEvent::new(
        MdfRequestSubmitted {
            request_id: request.id.clone(),
            title: request.title.clone(),
            requested_amount: request.requested_amount.clone(),
        },
        Some(&partner_id),
        Some(&caller.sub),
        at,
    )?;
    store::create_request(&st.db, &request, vec![st.events.outbox_put(&event)?]).await.map_err(|e| match e {
        WriteError::Other(e) => ApiError::Unexpected(e),
        _ => ApiError::Conflict("the request already exists".into()),
    })?;
    st.events.publish(std::slice::from_ref(&event)).await;
    Ok(created(&format!("/v1/mdf/requests/{}", request.id), request))
}

/// Filters of `GET /v1/mdf/requests`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// Only this partner's (vendor staff; partner staff always get their own).
    pub partner_id: Option<String>,
    /// Only this status.
    #[param(value_type = Option<RequestStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists fund requests.
#[utoipa::path(
    get, path = "/v1/mdf/requests", tag = "mdf",
    params(RequestListQuery),
    responses((status = 200, body = Page<FundRequest>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_requests(
    State(st): State<MdfState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RequestListQuery>,
) -> ApiResult<Json<Page<FundRequest>>> {
    caller.require_any(&Role::ALL)?;
    let l = resolve(
        &caller,
        q.partner_id.as_deref(),
        q.status.as_deref(),
        RequestStatus::parse,
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )?;
    Ok(Json(
        store::list_requests(
            &st.db,
            &st.cursors,
            l.partner_id.as_deref(),
            l.status,
            l.page.limit,
            l.page.cursor.as_deref(),
        )
        .await?,
    ))
}

async fn visible_request(st: &MdfState, caller: &Caller, id: &str) -> ApiResult<FundRequest> {
    caller.require_any(&Role::ALL)?;
    let r = store::get_request(&st.db, object_id(id)?).await?.ok_or(ApiError::NotFound)?;
    caller.require_partner_access(&r.partner_id)?;
    Ok(r)
}

/// Reads a fund request.
#[utoipa::path(
    get, path = "/v1/mdf/requests/{id}", tag = "mdf",
    params(("id" = String, Path, description = "Request id")),
    responses((status = 200, body = FundRequest), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_request(
    State(st): State<MdfState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<FundRequest>> {
    Ok(Json(visible_request(&st, &caller, &id).await?))
}

/// Approves a request, reserving its funds atomically; 409 when the allocation cannot cover it.
#[utoipa::path(
    post, path = "/v1/mdf/requests/{id}/approve", tag = "mdf",
    params(("id" = String, Path, description = "Request id")),
    request_body(content = Option<ApproveAmount>),
    responses((status = 200, body = FundRequest), ApiErrors),
    security(("bearer" = []))
)]
pub async fn approve_request(
    State(st): State<MdfState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<FundRequest>> {
    caller.require_vendor()?;
    let asked = prm_shared::json::optional_json::<ApproveAmount>(&body)?.parse()?;
    for _ in 0..5 {
        let current = visible_request(&st, &caller, &id).await?;
        if current.status != RequestStatus::Submitted {
            return Err(ApiError::Conflict(format!("a {} request cannot be approved", current.status.as_str())));
        }
        let amount = asked.clone().unwrap_or_else(|| current.requested_amount.clone());
        if amount.currency != current.requested_amount.currency {
            return Err(ApiError::field(
                "approved_amount.currency",
                format!("must be {}", current.requested_amount.currency),
            ));
        }
        if amount.amount_minor == 0 || amount.amount_minor > current.requested_amount.amount_minor {
            return Err(ApiError::field("approved_amount", "must be more than 0 and at most the requested amount"));
        }
        let at = now();
        let mut next = current.clone();
        next.status = RequestStatus::Approved;
        next.approved_amount = Some(amount.clone());
        next.claimable_minor = amount.amount_minor;
        let deadline = st.rules.claim_deadline(current.end_date, at.date_naive());
        next.claim_deadline = Some(deadline);
        next.decided_by = Some(caller.sub.clone());
        next.updated_at = at;
        next.version = current.version + 1;
        let ledger = LedgerEntry::new(LedgerKind::Reserve, amount.amount_minor, &caller.sub, at).request(&next.id);
        let event = PendingEvent::new(
            MdfRequestApproved {
                request_id: next.id.clone(),
                approved_amount: amount.clone(),
                title: next.title.clone(),
                submitted_by: Some(next.submitted_by.clone()),
            },
            Some(&next.partner_id),
            Some(&caller.sub),
            at,
        )?;
        match store::approve(
            &st.db,
            &current,
            &next,
            amount.amount_minor,
            &ledger,
            at,
            vec![
                st.events.outbox_put(&event)?,
                store::CLAIM_REMINDER_DUE.put(&st.db, st.rules.remind_at(deadline), &next.id)?,
                store::CLAIM_CLOSE_DUE.put(&st.db, closes_at(deadline), &next.id)?,
            ],
        )
        .await
        {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                return Ok(Json(next));
            }
            Err(WriteError::Conflict) => continue,
            Err(WriteError::Insufficient) => {
                let available = store::get_allocation(&st.db, &next.partner_id, &next.period, next.fund_type).await?;
                return Err(ApiError::Conflict(match available {
                    None => format!(
                        "there is no {} allocation for {} to reserve from",
                        next.fund_type.as_str(),
                        next.period
                    ),
                    Some(a) => format!(
                        "the allocation cannot cover {} {}: {} {} available (minor units)",
                        amount.amount_minor, amount.currency, a.available, a.currency
                    ),
                }));
            }
            Err(WriteError::Other(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the request kept changing; read it and retry".into()))
}

/// Rejects a submitted request with a reason.
#[utoipa::path(
    post, path = "/v1/mdf/requests/{id}/reject", tag = "mdf",
    params(("id" = String, Path, description = "Request id")),
    request_body = RejectFundRequest,
    responses((status = 200, body = FundRequest), ApiErrors),
    security(("bearer" = []))
)]
pub async fn reject_request(
    State(st): State<MdfState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<RejectFundRequest>,
) -> ApiResult<Json<FundRequest>> {
    caller.require_vendor()?;
    let reason = text(&body.parse()?.reason, 1, 1000).map_err(|m| ApiError::field("reason", m))?;
    for _ in 0..5 {
        let current = visible_request(&st, &caller, &id).await?;
        if current.status != RequestStatus::Submitted {
            return Err(ApiError::Conflict(format!("a {} request cannot be rejected", current.status.as_str())));
        }
        let at = now();
        let mut next = current.clone();
        next.status = RequestStatus::Rejected;
        next.rejection_reason = Some(reason.clone());
        next.decided_by = Some(caller.sub.clone());
        next.updated_at = at;
        next.version = current.version + 1;
        let event = PendingEvent::new(
            MdfRequestRejected {
                request_id: next.id.clone(),
                reason: reason.clone(),
                title: next.title.clone(),
                submitted_by: Some(next.submitted_by.clone()),
            },
            Some(&next.partner_id),
            Some(&caller.sub),
            at,
        )?;
        match store::update_request(&st.db, &current, &next, vec![st.events.outbox_put(&event)?]).await {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                return Ok(Json(next));
            }
            Err(WriteError::Conflict) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the request kept changing; read it and retry".into()))
}

/// A new claim with the uploads of its proofs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimCreated {
    /// The claim.
    pub claim: Claim,
    /// One upload per proof file.
    pub uploads: Vec<Upload>,
}

const UPLOAD_SECONDS: u64 = 15 * 60;

async fn presign(st: &MdfState, proof: &Proof) -> anyhow::Result<Upload> {
    let ttl = std::time::Duration::from_secs(UPLOAD_SECONDS);
    prm_shared::files::presign_put(
        &st.s3,
        &st.bucket,
        &proof.key,
        &proof.name,
        &proof.content_type,
        proof.size_bytes,
        ttl,
    )
    .await
}

/// The owning partner claims funds against an approved request, with proof of performance.
#[utoipa::path(
    post, path = "/v1/mdf/requests/{id}/claims", tag = "mdf",
    params(
        ("id" = String, Path, description = "Request id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request"),
    ),
    request_body = CreateClaimRequest,
    responses((status = 201, body = ClaimCreated), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_claim(
    State(st): State<MdfState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<CreateClaimRequest>,
) -> ApiResult<Response> {
    caller.require_partner()?;
    let request = visible_request(&st, &caller, &id).await?;
    if request.status != RequestStatus::Approved {
        return Err(ApiError::Conflict(format!("a {} request cannot be claimed against", request.status.as_str())));
    }
    let at = now();
    if let Some(deadline) = request.claim_deadline.filter(|d| closes_at(*d) <= at) {
        return Err(ApiError::Conflict(format!("the claim window of this request closed on {deadline}")));
    }
    let claim = body.parse()?.into_claim(ulid::Ulid::new().to_string(), &request, &caller.sub, at)?;
    let ledger = LedgerEntry::new(LedgerKind::Claim, claim.amount.amount_minor, &caller.sub, at)
        .request(&request.id)
        .claim(&claim.id);
    let event = PendingEvent::new(
        MdfClaimSubmitted { claim_id: claim.id.clone(), request_id: request.id.clone(), amount: claim.amount.clone() },
        Some(&claim.partner_id),
        Some(&caller.sub),
        at,
    )?;
    match store::create_claim(&st.db, &claim, &ledger, vec![st.events.outbox_put(&event)?]).await {
        Ok(()) => st.events.publish(std::slice::from_ref(&event)).await,
        Err(WriteError::Insufficient) => {
            let left = store::get_request(&st.db, &request.id).await?.map_or(0, |r| r.claimable_minor);
            return Err(ApiError::Conflict(format!(
                "the claim exceeds the approved amount not yet claimed: {left} {} (minor units)",
                request.requested_amount.currency
            )));
        }
        Err(WriteError::Conflict) => return Err(ApiError::Conflict("the claim already exists".into())),
        Err(WriteError::Other(e)) => return Err(e.into()),
    }
    let mut uploads = Vec::with_capacity(claim.proofs.len());
    for p in &claim.proofs {
        uploads.push(presign(&st, p).await?);
    }
    Ok(created(&format!("/v1/mdf/claims/{}", claim.id), ClaimCreated { claim, uploads }))
}

/// Lists claims: vendor staff all (by partner and status), partner staff their own.
#[utoipa::path(
    get, path = "/v1/mdf/claims", tag = "mdf",
    params(ClaimListQuery),
    responses((status = 200, body = Page<Claim>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_claims(
    State(st): State<MdfState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ClaimListQuery>,
) -> ApiResult<Json<Page<Claim>>> {
    caller.require_any(&Role::ALL)?;
    let l = resolve(
        &caller,
        q.partner_id.as_deref(),
        q.status.as_deref(),
        ClaimStatus::parse,
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )?;
    let page = store::list_claims(
        &st.db,
        &st.cursors,
        l.partner_id.as_deref(),
        l.status,
        l.page.limit,
        l.page.cursor.as_deref(),
    )
    .await?;
    Ok(Json(page))
}

/// Filters of `GET /v1/mdf/claims`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimListQuery {
    /// Only this partner's (vendor staff; partner staff always get their own).
    pub partner_id: Option<String>,
    /// Only this status.
    #[param(value_type = Option<ClaimStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

async fn visible_claim(st: &MdfState, caller: &Caller, id: &str) -> ApiResult<Claim> {
    caller.require_any(&Role::ALL)?;
    let c = store::get_claim(&st.db, object_id(id)?).await?.ok_or(ApiError::NotFound)?;
    caller.require_partner_access(&c.partner_id)?;
    Ok(c)
}

/// Reads a claim.
#[utoipa::path(
    get, path = "/v1/mdf/claims/{id}", tag = "mdf",
    params(("id" = String, Path, description = "Claim id")),
    responses((status = 200, body = Claim), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_claim(State(st): State<MdfState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Claim>> {
    Ok(Json(visible_claim(&st, &caller, &id).await?))
}

/// What a claim step writes besides the claim itself.
struct Step {
    next: Claim,
    deltas: Vec<(&'static str, i64)>,
    entries: Vec<LedgerEntry>,
    event: PendingEvent,
}

/// Moves a claim from `from`, retrying when it changed concurrently.
async fn claim_step(
    st: &MdfState,
    caller: &Caller,
    id: &str,
    from: ClaimStatus,
    decide: impl Fn(&Claim, DateTime<Utc>) -> ApiResult<Step>,
) -> ApiResult<Claim> {
    caller.require_vendor()?;
    for _ in 0..5 {
        let current = visible_claim(st, caller, id).await?;
        if current.status != from {
            return Err(ApiError::Conflict(format!("a {} claim cannot do that", current.status.as_str())));
        }
        let step = decide(&current, now())?;
        let outbox = vec![st.events.outbox_put(&step.event)?];
        match store::transition_claim(&st.db, &current, &step.next, &step.deltas, &step.entries, outbox).await {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&step.event)).await;
                return Ok(step.next);
            }
            Err(WriteError::Conflict) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the claim kept changing; read it and retry".into()))
}

fn advanced(c: &Claim, status: ClaimStatus, by: &str, at: DateTime<Utc>) -> Claim {
    let mut next = c.clone();
    next.status = status;
    next.decided_by = Some(by.to_owned());
    next.updated_at = at;
    next.version = c.version + 1;
    next
}

/// Approves a claim, possibly for less; the rest goes back to the allocation.
#[utoipa::path(
    post, path = "/v1/mdf/claims/{id}/approve", tag = "mdf",
    params(("id" = String, Path, description = "Claim id")),
    request_body(content = Option<ApproveAmount>),
    responses((status = 200, body = Claim), ApiErrors),
    security(("bearer" = []))
)]
pub async fn approve_claim(
    State(st): State<MdfState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Claim>> {
    caller.require_vendor()?;
    let asked = prm_shared::json::optional_json::<ApproveAmount>(&body)?.parse()?;
    let by = caller.sub.clone();
    let claim = claim_step(&st, &caller, &id, ClaimStatus::Submitted, |c, at| {
        let approved = asked.clone().unwrap_or_else(|| c.amount.clone());
        if approved.currency != c.amount.currency || approved.amount_minor > c.amount.amount_minor {
            return Err(ApiError::field(
                "approved_amount",
                "must be in the claim's currency and at most the amount claimed",
            ));
        }
        let release = c.amount.amount_minor - approved.amount_minor;
        let mut next = advanced(c, ClaimStatus::Approved, &by, at);
        next.approved_amount = Some(approved.clone());
        let entries = if release > 0 {
            vec![LedgerEntry::new(LedgerKind::Unclaim, release, &by, at).request(&c.request_id).claim(&c.id)]
        } else {
            vec![]
        };
        let event = PendingEvent::new(
            MdfClaimApproved { claim_id: c.id.clone(), approved_amount: approved },
            Some(&c.partner_id),
            Some(&by),
            at,
        )?;
        Ok(Step { next, deltas: vec![("claimed", -release), ("available", release)], entries, event })
    })
    .await?;
    Ok(Json(claim))
}

/// Rejects a claim; its funds go back to the allocation.
#[utoipa::path(
    post, path = "/v1/mdf/claims/{id}/reject", tag = "mdf",
    params(("id" = String, Path, description = "Claim id")),
    request_body = RejectFundRequest,
    responses((status = 200, body = Claim), ApiErrors),
    security(("bearer" = []))
)]
pub async fn reject_claim(
    State(st): State<MdfState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<RejectFundRequest>,
) -> ApiResult<Json<Claim>> {
    caller.require_vendor()?;
    let reason = text(&body.parse()?.reason, 1, 1000).map_err(|m| ApiError::field("reason", m))?;
    let by = caller.sub.clone();
    let claim = claim_step(&st, &caller, &id, ClaimStatus::Submitted, |c, at| {
        let amount = c.amount.amount_minor;
        let mut next = advanced(c, ClaimStatus::Rejected, &by, at);
        next.rejection_reason = Some(reason.clone());
        let event = PendingEvent::new(
            MdfClaimRejected { claim_id: c.id.clone(), reason: reason.clone() },
            Some(&c.partner_id),
            Some(&by),
            at,
        )?;
        Ok(Step {
            next,
            deltas: vec![("claimed", -amount), ("available", amount)],
            entries: vec![LedgerEntry::new(LedgerKind::Unclaim, amount, &by, at).request(&c.request_id).claim(&c.id)],
            event,
        })
    })
    .await?;
    Ok(Json(claim))
}

/// Records the payment of an approved claim.
#[utoipa::path(
    post, path = "/v1/mdf/claims/{id}/pay", tag = "mdf",
    params(("id" = String, Path, description = "Claim id")),
    responses((status = 200, body = Claim), ApiErrors),
    security(("bearer" = []))
)]
pub async fn pay_claim(State(st): State<MdfState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Claim>> {
    let by = caller.sub.clone();
    let claim = claim_step(&st, &caller, &id, ClaimStatus::Approved, |c, at| {
        let paid = c.approved_amount.clone().unwrap_or_else(|| c.amount.clone());
        let event = PendingEvent::new(
            MdfClaimPaid { claim_id: c.id.clone(), amount: paid.clone() },
            Some(&c.partner_id),
            Some(&by),
            at,
        )?;
        Ok(Step {
            next: advanced(c, ClaimStatus::Paid, &by, at),
            deltas: vec![("claimed", -paid.amount_minor), ("paid", paid.amount_minor)],
            entries: vec![
                LedgerEntry::new(LedgerKind::Pay, paid.amount_minor, &by, at).request(&c.request_id).claim(&c.id),
            ],
            event,
        })
    })
    .await?;
    Ok(Json(claim))
}
