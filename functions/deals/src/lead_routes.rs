//! HTTP routes of lead distribution.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::Page;
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::leads::{LeadAccepted, LeadAssigned, LeadDeclined, LeadUnassigned};
use prm_shared::json::{ApiQuery, JsonBody, created};
use prm_shared::list::resolve;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{now, object_id, text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::DealsState;
use crate::distribution::{self, Candidate};
use crate::lead::{AcceptLeadRequest, Assignment, CreateLeadRequest, DeclineRequest, Lead, LeadStatus};
use crate::lead_store::{self, Answer, LeadFilter, LeadWriteError};

/// The event of the assignment that produced `next`.
fn assignment_event(next: &Lead, actor: &str, at: DateTime<Utc>) -> anyhow::Result<PendingEvent> {
    let attempt = next.assignments.last().map_or(0, |a| a.attempt);
    match (&next.partner_id, next.accept_by, next.status) {
        (Some(p), Some(accept_by), LeadStatus::Assigned) => {
            PendingEvent::new(LeadAssigned { lead_id: next.id.clone(), attempt, accept_by }, Some(p), Some(actor), at)
        }
        _ => PendingEvent::new(LeadUnassigned { lead_id: next.id.clone() }, None, Some(actor), at),
    }
}

/// Assigns `current` (after `answer` from its previous partner, if any) and
/// writes it; a partner that filled up meanwhile is passed over on retry.
pub(crate) async fn assign_and_write(
    st: &DealsState,
    current: Option<&Lead>,
    base: Lead,
    answer: Option<(&str, Answer)>,
    mut extra_events: Vec<PendingEvent>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Lead, LeadWriteError> {
    let facts = lead_store::partner_facts(&st.db, &base.region).await?;
    let tiers = prm_shared::program::current(&st.db).await?;
    let rules = st.rules.with_tier_rules(&tiers);
    let evidence = distribution::assign(&rules, &base.facts(), &facts);
    let next = base.assigned(evidence, st.rules.acceptance_sla_hours, at);
    extra_events.push(assignment_event(&next, actor, at)?);
    let outbox = extra_events.iter().map(|e| st.events.outbox_put(e)).collect::<anyhow::Result<Vec<_>>>()?;
    lead_store::write(&st.db, current, &next, answer, st.rules.capacity, outbox).await?;
    st.events.publish(&extra_events).await;
    Ok(next)
}

/// Creates a lead and assigns it by the distribution rules.
#[utoipa::path(
    post, path = "/v1/leads", tag = "leads",
    request_body = CreateLeadRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request")),
    responses((status = 201, body = Lead), ApiErrors),
    security(("bearer" = []))
)]
pub async fn create_lead(
    State(st): State<DealsState>,
    caller: Caller,
    body: JsonBody<CreateLeadRequest>,
) -> ApiResult<Response> {
    caller.require_vendor()?;
    let lead = body.parse()?.into_lead(ulid::Ulid::new().to_string(), &caller.sub, now())?;
    for _ in 0..5 {
        match assign_and_write(&st, None, lead.clone(), None, vec![], &caller.sub, now()).await {
            Ok(next) => return Ok(created(&format!("/v1/leads/{}", next.id), next)),
            Err(LeadWriteError::Capacity) => continue,
            Err(LeadWriteError::Stale | LeadWriteError::Extra(_)) => {
                return Err(ApiError::Conflict("the lead already exists".into()));
            }
            Err(LeadWriteError::Other(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("partners kept filling up; retry".into()))
}

/// Filters and paging of `GET /v1/leads`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadListQuery {
    /// Only this partner's leads (vendor staff; partner staff always see their own).
    pub partner_id: Option<String>,
    /// Only this status.
    #[param(value_type = Option<LeadStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists leads: vendor staff all, partner staff those assigned to (or accepted by) their partner.
#[utoipa::path(
    get, path = "/v1/leads", tag = "leads",
    params(LeadListQuery),
    responses((status = 200, body = Page<Lead>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_leads(
    State(st): State<DealsState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LeadListQuery>,
) -> ApiResult<Json<Page<Lead>>> {
    caller.require_any(&Role::ALL)?;
    let l = resolve(
        &caller,
        q.partner_id.as_deref(),
        q.status.as_deref(),
        LeadStatus::parse,
        q.limit.as_deref(),
        q.cursor.as_deref(),
    )?;
    let vendor = caller.is_vendor();
    let filter = LeadFilter { partner_id: l.partner_id, status: l.status };
    let page = lead_store::list_leads(&st.db, &st.cursors, &filter, l.page.limit, l.page.cursor.as_deref()).await?;
    let items = if vendor { page.items } else { page.items.into_iter().map(Lead::for_partner).collect() };
    Ok(Json(Page { items, next_cursor: page.next_cursor }))
}

async fn visible_lead(st: &DealsState, caller: &Caller, id: &str) -> ApiResult<Lead> {
    caller.require_any(&Role::ALL)?;
    let lead = lead_store::get_lead(&st.db, object_id(id)?).await?.ok_or(ApiError::NotFound)?;
    if !caller.is_vendor() && (caller.own_partner().is_none() || lead.partner_id.as_deref() != caller.own_partner()) {
        return Err(ApiError::NotFound);
    }
    Ok(lead)
}

/// Reads a lead: vendor staff any, partner staff one assigned to their partner.
#[utoipa::path(
    get, path = "/v1/leads/{id}", tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    responses((status = 200, body = Lead), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_lead(State(st): State<DealsState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Lead>> {
    let lead = visible_lead(&st, &caller, &id).await?;
    Ok(Json(if caller.is_vendor() { lead } else { lead.for_partner() }))
}

/// The assigned partner accepts a lead, optionally registering the deal in the same step.
#[utoipa::path(
    post, path = "/v1/leads/{id}/accept", tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    request_body(content = Option<AcceptLeadRequest>),
    responses((status = 200, body = Lead), ApiErrors),
    security(("bearer" = []))
)]
pub async fn accept_lead(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Lead>> {
    let partner_id = caller.require_partner()?.to_owned();
    visible_lead(&st, &caller, &id).await?;
    let req: AcceptLeadRequest = prm_shared::json::optional_json(&body)?;
    for _ in 0..5 {
        let current = visible_lead(&st, &caller, &id).await?;
        if current.status != LeadStatus::Assigned {
            return Err(ApiError::Conflict(format!("a {} lead cannot be accepted", current.status.as_str())));
        }
        let at = now();
        let mut next = current.answered("accepted", None, at);
        let mut events = vec![PendingEvent::new(
            LeadAccepted { lead_id: next.id.clone() },
            Some(&partner_id),
            Some(&caller.sub),
            at,
        )?];
        let mut writes = Vec::new();
        if let Some(deal) = req.register_deal.clone() {
            let (deal, deal_events) =
                crate::routes::prepare_registration(&st, deal.registration(&current), &partner_id, &caller.sub, at)
                    .await?;
            next.deal_id = Some(deal.id.clone());
            writes = crate::store::registration_items(&st.db, &deal)?;
            events.extend(deal_events);
        }
        let claim = events.len() + crate::store::REGISTRATION_CLAIM;
        let mut extra = events.iter().map(|e| st.events.outbox_put(e)).collect::<anyhow::Result<Vec<_>>>()?;
        extra.extend(writes);
        let answer = Some((partner_id.as_str(), Answer::Accepted));
        match lead_store::write(&st.db, Some(&current), &next, answer, st.rules.capacity, extra).await {
            Ok(()) => {
                st.events.publish(&events).await;
                return Ok(Json(next.for_partner()));
            }
            Err(LeadWriteError::Extra(k)) if k == claim => {
                return Err(ApiError::Conflict(
                    "your partner already has an open registration for this customer".into(),
                ));
            }
            Err(LeadWriteError::Stale | LeadWriteError::Capacity) => continue,
            Err(LeadWriteError::Extra(k)) => return Err(anyhow::anyhow!("write {k} of the acceptance refused").into()),
            Err(LeadWriteError::Other(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the lead kept changing; read it and retry".into()))
}

/// The assigned partner declines a lead with a reason; it goes to the next eligible partner.
#[utoipa::path(
    post, path = "/v1/leads/{id}/decline", tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    request_body = DeclineRequest,
    responses((status = 200, body = Lead), ApiErrors),
    security(("bearer" = []))
)]
pub async fn decline_lead(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody<DeclineRequest>,
) -> ApiResult<Json<Lead>> {
    let partner_id = caller.require_partner()?.to_owned();
    visible_lead(&st, &caller, &id).await?;
    let reason = text(&body.parse()?.reason, 1, 1000).map_err(|m| ApiError::field("reason", m))?;
    for _ in 0..5 {
        let current = visible_lead(&st, &caller, &id).await?;
        if current.status != LeadStatus::Assigned {
            return Err(ApiError::Conflict(format!("a {} lead cannot be declined", current.status.as_str())));
        }
        let at = now();
        let answered = current.answered("declined", Some(reason.clone()), at);
        let declined = PendingEvent::new(
            LeadDeclined { lead_id: current.id.clone(), reason: reason.clone() },
            Some(&partner_id),
            Some(&caller.sub),
            at,
        )?;
        let res = assign_and_write(
            &st,
            Some(&current),
            answered,
            Some((&partner_id, Answer::Declined)),
            vec![declined],
            &caller.sub,
            at,
        )
        .await;
        match res {
            // The declining partner no longer sees the lead nor where it went.
            Ok(next) => return Ok(Json(Lead { partner_id: None, accept_by: None, ..next.for_partner() })),
            Err(LeadWriteError::Stale | LeadWriteError::Capacity) => continue,
            Err(LeadWriteError::Extra(k)) => return Err(anyhow::anyhow!("write {k} of the decline refused").into()),
            Err(LeadWriteError::Other(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict("the lead kept changing; read it and retry".into()))
}

/// The evidence of a lead's assignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentEvidence {
    /// The lead.
    pub lead_id: String,
    /// Its status.
    pub status: LeadStatus,
    /// The partner it is assigned to now.
    pub partner_id: Option<String>,
    /// Rule version of the current assignment.
    pub rule_version: String,
    /// Candidates with their weights and reasons.
    pub candidates: Vec<Candidate>,
    /// Seed of the weighted choice.
    pub seed: u64,
    /// The partner the choice gave.
    pub outcome: Option<String>,
    /// Which assignment this is (0 = first).
    pub attempt: u32,
    /// Every assignment, oldest first.
    pub history: Vec<Assignment>,
}

/// Why a lead went where it went: rule version, candidates, weights, seed and outcome.
#[utoipa::path(
    get, path = "/v1/leads/{id}/assignment", tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    responses((status = 200, body = AssignmentEvidence), ApiErrors),
    security(("bearer" = []))
)]
pub async fn lead_assignment(
    State(st): State<DealsState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AssignmentEvidence>> {
    caller.require_vendor()?;
    let lead = visible_lead(&st, &caller, &id).await?;
    let last = lead.assignments.last().cloned().ok_or(ApiError::NotFound)?;
    Ok(Json(AssignmentEvidence {
        lead_id: lead.id,
        status: lead.status,
        partner_id: lead.partner_id,
        rule_version: last.evidence.rule_version,
        candidates: last.evidence.candidates,
        seed: last.evidence.seed,
        outcome: last.evidence.outcome,
        attempt: last.attempt,
        history: lead.assignments,
    }))
}
