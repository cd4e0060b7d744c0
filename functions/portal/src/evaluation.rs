//! Tier evaluation: the schedule (`program-evaluation`, a `Scheduled Event`
//! to `portal-events`) measures every active partner's scorecard against the
//! tier rules in force and proposes promotions and demotions with the
//! evidence. A partner that falls short of its tier keeps it for the rules'
//! grace period before a demotion is proposed. Vendor admins approve or reject
//! a proposal (`/v1/program/tier-proposals`), or the rules apply it at once
//! (`auto_apply`). An approved proposal is the record of the change, and the
//! change is the event `PartnerTierChanged`.
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | proposal | `TIERPROPOSAL#{id}` | `TIERPROPOSAL` | `TIERPROPOSALS#{status}` / `{proposed_at}#{id}` | `PARTNER#{p}#TIERPROPOSALS` / `{proposed_at}#{id}` |
//! | tier state | `PARTNER#{p}` | `TIERSTATE` | | |
//!
//! The tier state holds the partner's open proposal (one at most), since when
//! it falls short of its tier, and a rejected move that is not proposed again
//! for 30 days. Every write of an evaluation or a decision is one transaction
//! guarded by the state's version, so a concurrent evaluation or decision
//! cannot leave two open proposals or apply a stale one.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{Filter, GSI1, GSI2, Keys, ListParams, PK, Page, PageQuery, Stored, keys, n, s, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::PendingEvent;
use prm_shared::events::program::{PartnerTierChanged, PartnerTierProposed};
use prm_shared::json::{ApiQuery, optional_json};
use prm_shared::openapi::ApiErrors;
use prm_shared::program::TierRules;
use prm_shared::validate::{Checker, now, object_id};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::domain::{Partner, PartnerStatus, Tier};
use crate::scorecard::Scorecard;
use crate::tiers::{Gap, gaps};

prm_shared::string_enum! {
    /// Where a proposal stands.
    ProposalStatus {
        /// Waiting for a vendor admin.
        Open => "open",
        /// Applied: the partner holds the proposed tier.
        Approved => "approved",
        /// Turned down; the same move is not proposed again for 30 days.
        Rejected => "rejected",
        /// A later evaluation found another move, or none.
        Superseded => "superseded",
    }
}

prm_shared::string_enum! {
    /// Up or down.
    Direction {
        /// To a higher tier.
        Promotion => "promotion",
        /// To a lower tier.
        Demotion => "demotion",
    }
}

/// Days a rejected move is not proposed again.
pub const REJECTION_QUIET_DAYS: i64 = 30;

/// A proposed tier change with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierProposal {
    /// ULID.
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// Its name.
    pub partner_name: String,
    /// Up or down.
    pub direction: Direction,
    /// The tier it holds.
    pub from_tier: Tier,
    /// The tier proposed.
    pub to_tier: Tier,
    /// Where it stands.
    pub status: ProposalStatus,
    /// The requirements of the tier in question (the proposed one for a
    /// promotion, the held one for a demotion) against the partner's figures.
    pub evidence: Vec<Gap>,
    /// Where the partner stands against the tier above the proposed one.
    pub distance_to_next: Option<crate::tiers::Distance>,
    /// The tier rules' version evaluated against.
    pub rules_version: u32,
    /// When the evaluation proposed it.
    pub proposed_at: DateTime<Utc>,
    /// For a demotion: since when the partner falls short of its tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_since: Option<DateTime<Utc>>,
    /// When a vendor admin (or the rules) decided, or a later evaluation superseded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// Who decided (a Cognito `sub`, or `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Why it was rejected, or a note of the approver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the rules applied it without approval.
    #[serde(default)]
    pub auto_applied: bool,
    /// Incremented on every change.
    pub version: u64,
}

/// A partner's evaluation state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TierState {
    #[serde(default)]
    open_proposal: Option<String>,
    #[serde(default)]
    short_since: Option<DateTime<Utc>>,
    #[serde(default)]
    rejected_to: Option<String>,
    #[serde(default)]
    rejected_until: Option<DateTime<Utc>>,
    #[serde(default)]
    version: u64,
}

const STATE: &str = "TIERSTATE";
const PROPOSAL: &str = "TIERPROPOSAL";

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn proposal_item(p: &TierProposal) -> Stored<TierProposal> {
    let sk = format!("{}#{}", stamp(p.proposed_at), p.id);
    Stored {
        keys: Keys::new(format!("{PROPOSAL}#{}", p.id), PROPOSAL, "tier-proposal")
            .with(GSI1, format!("TIERPROPOSALS#{}", p.status.as_str()), &sk)
            .with(GSI2, keys::owned("TIERPROPOSALS", &p.partner_id), sk),
        record: p.clone(),
    }
}

/// Writes `p` only while the stored one is at `version` (none: only if new).
fn put_proposal(st: &AppState, p: &TierProposal, version: Option<u64>) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder().table_name(&st.db.table).set_item(Some(to_item(&proposal_item(p))?));
    let put = match version {
        None => put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
        Some(v) => put
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(i64::try_from(v).unwrap_or(i64::MAX))),
    };
    Ok(TransactWriteItem::builder().put(put.build().context("building proposal Put")?).build())
}

/// Writes the state only while it is still at `before`'s version.
fn put_state(
    st: &AppState,
    partner_id: &str,
    before: &TierState,
    next: &TierState,
) -> anyhow::Result<TransactWriteItem> {
    let item = to_item(&Stored { keys: Keys::new(keys::partner(partner_id), STATE, "tier-state"), record: next })?;
    let put = Put::builder().table_name(&st.db.table).set_item(Some(item));
    let put = if before.version == 0 {
        put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK)
    } else {
        put.condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(i64::try_from(before.version).unwrap_or(i64::MAX)))
    };
    Ok(TransactWriteItem::builder().put(put.build().context("building tier state Put")?).build())
}

async fn load_state(st: &AppState, partner_id: &str) -> anyhow::Result<TierState> {
    Ok(st.db.get::<Stored<TierState>>(&keys::partner(partner_id), STATE).await?.map(|s| s.record).unwrap_or_default())
}

async fn load_proposal(st: &AppState, id: &str) -> anyhow::Result<Option<TierProposal>> {
    Ok(st.db.get::<Stored<TierProposal>>(&format!("{PROPOSAL}#{id}"), PROPOSAL).await?.map(|s| s.record))
}

fn tier_at(rules: &TierRules, i: usize) -> Option<Tier> {
    rules.tiers.get(i).and_then(|r| Tier::parse(&r.tier).ok())
}

/// The highest tier whose every requirement `card` meets (the lowest tier
/// when none is met: it has no requirements in any sensible rule set).
pub fn qualified(rules: &TierRules, card: &Scorecard) -> usize {
    (0..rules.tiers.len()).rev().find(|&i| gaps(&rules.tiers[i], card).iter().all(|g| g.met)).unwrap_or(0)
}

/// The move an evaluation finds, before the grace period and rejections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Up or down.
    pub direction: Direction,
    /// Index of the tier to move to.
    pub to: usize,
    /// The requirements of the tier in question against the partner's figures.
    pub evidence: Vec<Gap>,
}

/// Where `card` should be under `rules`: `None` when its tier fits.
pub fn find_move(rules: &TierRules, card: &Scorecard) -> Option<Move> {
    let held = rules.tiers.iter().position(|r| r.tier == card.tier.as_str())?;
    let fit = qualified(rules, card);
    match fit.cmp(&held) {
        std::cmp::Ordering::Greater => {
            Some(Move { direction: Direction::Promotion, to: fit, evidence: gaps(&rules.tiers[fit], card) })
        }
        std::cmp::Ordering::Less => {
            Some(Move { direction: Direction::Demotion, to: fit, evidence: gaps(&rules.tiers[held], card) })
        }
        std::cmp::Ordering::Equal => None,
    }
}

/// What evaluating one partner did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its tier fits.
    Fits,
    /// It falls short of its tier, within the grace period (until this time).
    InGrace(DateTime<Utc>),
    /// The move was rejected lately; not proposed again yet.
    Quiet,
    /// The same move is already proposed.
    Pending(String),
    /// A new proposal (superseding an open one, if any).
    Proposed(TierProposal),
    /// Applied without approval.
    Applied(TierProposal),
}

fn tier_changed_event(p: &TierProposal, actor: &str, at: DateTime<Utc>) -> anyhow::Result<PendingEvent> {
    PendingEvent::new(
        PartnerTierChanged {
            proposal_id: p.id.clone(),
            partner_name: p.partner_name.clone(),
            direction: p.direction.as_str().into(),
            from_tier: p.from_tier.as_str().into(),
            to_tier: p.to_tier.as_str().into(),
            auto_applied: p.auto_applied,
        },
        Some(&p.partner_id),
        Some(actor),
        at,
    )
}

fn partner_with_tier(partner: &Partner, tier: Tier, at: DateTime<Utc>) -> Partner {
    Partner { tier, updated_at: at, version: partner.version + 1, ..partner.clone() }
}

/// Evaluates one partner as of `at` against `rules`.
pub async fn evaluate_partner(
    st: &AppState,
    partner_id: &str,
    rules: &TierRules,
    at: DateTime<Utc>,
) -> ApiResult<Outcome> {
    for _ in 0..5 {
        let Some(partner) = crate::store::get_partner(&st.db, partner_id).await? else {
            return Err(ApiError::NotFound);
        };
        let card = crate::scorecard::build(st, partner_id, at).await?;
        let before = load_state(st, partner_id).await?;
        let mut state = before.clone();
        let found = find_move(rules, &card);
        let mut target = None;
        let mut outcome = Outcome::Fits;
        match &found {
            Some(m) if m.direction == Direction::Demotion => {
                let since = *state.short_since.get_or_insert(at);
                let ends = since + Duration::days(rules.demotion_grace_days.into());
                if at >= ends {
                    target = Some(m.clone());
                } else {
                    outcome = Outcome::InGrace(ends);
                }
            }
            Some(m) => {
                state.short_since = None;
                target = Some(m.clone());
            }
            None => state.short_since = None,
        }
        let to_tier = target.as_ref().and_then(|m| tier_at(rules, m.to));
        if let (Some(to), Some(until)) = (to_tier, state.rejected_until)
            && state.rejected_to.as_deref() == Some(to.as_str())
            && until > at
        {
            target = None;
            outcome = Outcome::Quiet;
        }
        let open = match &state.open_proposal {
            Some(id) => load_proposal(st, id).await?.filter(|p| p.status == ProposalStatus::Open),
            None => None,
        };
        if let (Some(p), Some(to)) = (&open, to_tier)
            && target.is_some()
            && p.to_tier == to
            && p.from_tier == partner.tier
        {
            if state != before {
                state.version = before.version + 1;
                match st.db.transact(vec![put_state(st, partner_id, &before, &state)?]).await {
                    Ok(()) => {}
                    Err(e) if e.condition_failed(0) => continue,
                    Err(e) => return Err(anyhow::anyhow!("{e}").into()),
                }
            }
            return Ok(Outcome::Pending(p.id.clone()));
        }
        let mut items = Vec::new();
        let mut events = Vec::new();
        if let Some(p) = &open {
            let superseded = TierProposal {
                status: ProposalStatus::Superseded,
                decided_at: Some(at),
                decided_by: Some("evaluation".into()),
                version: p.version + 1,
                ..p.clone()
            };
            items.push(put_proposal(st, &superseded, Some(p.version))?);
            state.open_proposal = None;
        }
        if let (Some(m), Some(to)) = (target, to_tier) {
            let mut proposal = TierProposal {
                id: ulid::Ulid::new().to_string(),
                partner_id: partner_id.to_owned(),
                partner_name: partner.name.clone(),
                direction: m.direction,
                from_tier: partner.tier,
                to_tier: to,
                status: ProposalStatus::Open,
                evidence: m.evidence,
                distance_to_next: rules
                    .tiers
                    .get(m.to + 1)
                    .map(|next| crate::tiers::Distance { tier: next.tier.clone(), gaps: gaps(next, &card) }),
                rules_version: rules.version,
                proposed_at: at,
                short_since: (m.direction == Direction::Demotion).then_some(state.short_since).flatten(),
                decided_at: None,
                decided_by: None,
                note: None,
                auto_applied: false,
                version: 1,
            };
            if rules.auto_apply {
                proposal.status = ProposalStatus::Approved;
                proposal.decided_at = Some(at);
                proposal.decided_by = Some("auto".into());
                proposal.auto_applied = true;
                state.short_since = None;
                items.push(crate::store::partner_put_if_unchanged(
                    &st.db,
                    &partner,
                    &partner_with_tier(&partner, to, at),
                )?);
                events.push(tier_changed_event(&proposal, "auto", at)?);
                outcome = Outcome::Applied(proposal.clone());
            } else {
                state.open_proposal = Some(proposal.id.clone());
                events.push(PendingEvent::new(
                    PartnerTierProposed {
                        proposal_id: proposal.id.clone(),
                        partner_name: proposal.partner_name.clone(),
                        direction: proposal.direction.as_str().into(),
                        from_tier: proposal.from_tier.as_str().into(),
                        to_tier: proposal.to_tier.as_str().into(),
                    },
                    Some(partner_id),
                    None,
                    at,
                )?);
                outcome = Outcome::Proposed(proposal.clone());
            }
            items.push(put_proposal(st, &proposal, None)?);
        }
        if state == before && items.is_empty() {
            return Ok(outcome);
        }
        state.version = before.version + 1;
        items.insert(0, put_state(st, partner_id, &before, &state)?);
        for e in &events {
            items.push(st.events.outbox_put(e)?);
        }
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(&events).await;
                return Ok(outcome);
            }
            // The state, an open proposal or the partner changed meanwhile: evaluate again.
            Err(e) if e.condition_failed(0) || e.condition_failed(1) || e.condition_failed(2) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the partner kept changing during its tier evaluation".into()))
}

/// What an evaluation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvaluationReport {
    /// Active partners evaluated.
    pub evaluated: usize,
    /// New proposals.
    pub proposed: usize,
    /// Moves applied without approval.
    pub applied: usize,
    /// Partners short of their tier, within the grace period.
    pub in_grace: usize,
    /// Partners whose evaluation failed (the next run tries again).
    pub failed: usize,
}

/// Evaluates every active partner as of `at` (the schedule's run). Partners
/// are read page by page from the partner index; a failure of one partner is
/// counted and does not stop the others.
pub async fn evaluate_all(st: &AppState, at: DateTime<Utc>) -> anyhow::Result<EvaluationReport> {
    let rules = prm_shared::program::current(&st.db).await?;
    let mut report = EvaluationReport::default();
    let query = PageQuery {
        index: Some(GSI1),
        pk: "PARTNERS".into(),
        sk_prefix: None,
        sk_between: None,
        filter: Some(Filter {
            expression: "#status = :active".into(),
            names: [("#status".to_owned(), "status".to_owned())].into(),
            values: [(":active".to_owned(), s(PartnerStatus::Active.as_str()))].into(),
        }),
        forward: true,
        scope: "tier-evaluation".into(),
    };
    let mut cursor: Option<String> = None;
    loop {
        let page: Page<Stored<Partner>> = st
            .db
            .query_page(&query, 100, cursor.as_deref(), &st.cursors)
            .await
            .map_err(|e| anyhow::anyhow!("listing partners: {e}"))?;
        for p in page.items {
            report.evaluated += 1;
            match evaluate_partner(st, &p.record.id, &rules, at).await {
                Ok(Outcome::Proposed(_)) => report.proposed += 1,
                Ok(Outcome::Applied(_)) => report.applied += 1,
                Ok(Outcome::InGrace(_)) => report.in_grace += 1,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(partner = %p.record.id, error = %e, "tier evaluation failed");
                    report.failed += 1;
                }
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(report)
}

/// Filters of `GET /v1/program/tier-proposals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    /// open (default), approved, rejected or superseded.
    pub status: Option<String>,
    /// Only this partner's proposals.
    pub partner_id: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Tier proposals, newest first: vendor staff.
#[utoipa::path(
    get, path = "/v1/program/tier-proposals", tag = "program",
    params(ProposalQuery),
    responses((status = 200, body = Page<TierProposal>), ApiErrors),
    security(("bearer" = []))
)]
pub async fn list_proposals(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ProposalQuery>,
) -> ApiResult<Json<Page<TierProposal>>> {
    caller.require_vendor()?;
    let mut c = Checker::new();
    let status = match q.status.as_deref() {
        None => ProposalStatus::Open,
        Some(v) => c.check("status", ProposalStatus::parse(v)).unwrap_or(ProposalStatus::Open),
    };
    let partner = q.partner_id.as_deref().map(str::trim).filter(|v| !v.is_empty());
    if let Some(p) = partner {
        c.check("partner_id", object_id(p).map(|_| ()).map_err(|_| "is not a valid id".to_owned()));
    }
    let params = ListParams::parse(q.limit.as_deref(), q.cursor.as_deref());
    c.finish()?;
    let params = params?;
    let query = match partner {
        Some(p) => PageQuery {
            index: Some(GSI2),
            pk: keys::owned("TIERPROPOSALS", p),
            sk_prefix: None,
            sk_between: None,
            filter: Some(Filter {
                expression: "#status = :status".into(),
                names: [("#status".to_owned(), "status".to_owned())].into(),
                values: [(":status".to_owned(), s(status.as_str()))].into(),
            }),
            forward: false,
            scope: format!("tier-proposals|{}|{p}", status.as_str()),
        },
        None => PageQuery {
            index: Some(GSI1),
            pk: format!("TIERPROPOSALS#{}", status.as_str()),
            sk_prefix: None,
            sk_between: None,
            filter: None,
            forward: false,
            scope: format!("tier-proposals|{}", status.as_str()),
        },
    };
    let page: Page<Stored<TierProposal>> =
        st.db.query_page(&query, params.limit, params.cursor.as_deref(), &st.cursors).await?;
    Ok(Json(Page { items: page.items.into_iter().map(|s| s.record).collect(), next_cursor: page.next_cursor }))
}

/// `POST /v1/program/tier-proposals/{id}/approve` (optional body).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// A note for the record (up to 1000 characters); a rejection needs one.
    pub note: Option<String>,
}

async fn decide(
    st: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
    note: Option<String>,
) -> ApiResult<TierProposal> {
    caller.require_any(&[Role::VendorAdmin])?;
    if object_id(id).is_err() {
        return Err(ApiError::NotFound);
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(ApiError::field("note", "must be at most 1000 characters"));
    }
    if !approve && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::field("note", "is required: say why the move is rejected"));
    }
    for _ in 0..5 {
        let p = load_proposal(st, id).await?.ok_or(ApiError::NotFound)?;
        if p.status != ProposalStatus::Open {
            return Err(ApiError::Conflict(format!("the proposal is {}, not open", p.status.as_str())));
        }
        let partner = crate::store::get_partner(&st.db, &p.partner_id).await?.ok_or(ApiError::NotFound)?;
        if partner.tier != p.from_tier {
            return Err(ApiError::Conflict(format!(
                "the partner is {} now, not {}; the next evaluation proposes again",
                partner.tier.as_str(),
                p.from_tier.as_str()
            )));
        }
        let at = now();
        let before = load_state(st, &p.partner_id).await?;
        let mut state = before.clone();
        if state.open_proposal.as_deref() == Some(id) {
            state.open_proposal = None;
        }
        let decided = TierProposal {
            status: if approve { ProposalStatus::Approved } else { ProposalStatus::Rejected },
            decided_at: Some(at),
            decided_by: Some(caller.sub.clone()),
            note: note.clone().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
            version: p.version + 1,
            ..p.clone()
        };
        let mut items = vec![put_proposal(st, &decided, Some(p.version))?];
        let mut events = Vec::new();
        if approve {
            state.short_since = None;
            items.push(crate::store::partner_put_if_unchanged(
                &st.db,
                &partner,
                &partner_with_tier(&partner, p.to_tier, at),
            )?);
            let event = tier_changed_event(&decided, &caller.sub, at)?;
            items.push(st.events.outbox_put(&event)?);
            events.push(event);
        } else {
            state.rejected_to = Some(p.to_tier.as_str().into());
            // Counted from the decision (or from the evaluation, should that be later).
            state.rejected_until = Some(at.max(p.proposed_at) + Duration::days(REJECTION_QUIET_DAYS));
        }
        state.version = before.version + 1;
        items.push(put_state(st, &p.partner_id, &before, &state)?);
        let state_at = items.len() - 1;
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(&events).await;
                return Ok(decided);
            }
            Err(e) if e.condition_failed(0) || e.condition_failed(1) || e.condition_failed(state_at) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the proposal kept changing; read it and retry".into()))
}

/// A vendor admin approves a proposal: the partner moves to the proposed tier
/// (409 when the proposal is no longer open or the partner's tier changed).
#[utoipa::path(
    post, path = "/v1/program/tier-proposals/{id}/approve", tag = "program",
    params(("id" = String, Path, description = "Proposal id")),
    request_body(content = Option<Decision>),
    responses((status = 200, body = TierProposal), ApiErrors),
    security(("bearer" = []))
)]
pub async fn approve_proposal(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<TierProposal>> {
    let d: Decision = optional_json(&body)?;
    Ok(Json(decide(&st, &caller, &id, true, d.note).await?))
}

/// A vendor admin rejects a proposal (`note` says why); the same move is not
/// proposed again for 30 days.
#[utoipa::path(
    post, path = "/v1/program/tier-proposals/{id}/reject", tag = "program",
    params(("id" = String, Path, description = "Proposal id")),
    request_body = Decision,
    responses((status = 200, body = TierProposal), ApiErrors),
    security(("bearer" = []))
)]
pub async fn reject_proposal(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<TierProposal>> {
    let d: Decision = optional_json(&body)?;
    Ok(Json(decide(&st, &caller, &id, false, d.note).await?))
}
