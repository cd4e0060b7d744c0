//! Tier rules as data, versioned (`GET|PUT /v1/program/tiers`): per tier, the
//! requirements to hold it and its benefits. Every change is a new version;
//! earlier versions are kept (`PROGRAM` / `TIERS#v{version:04}`).

use axum::Json;
use axum::extract::State;
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{Keys, PK, Stored, n, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::json::JsonBody;
use prm_shared::money::Money;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::domain::Tier;
use crate::scorecard::Scorecard;

pub use prm_shared::program::{Benefits, Requirements, TierRule, TierRules, current};

/// One requirement against where the partner stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Gap {
    /// certified_people, won_revenue_12_months or approved_registrations.
    pub requirement: String,
    /// What the tier needs.
    pub required: i64,
    /// What the partner has.
    pub current: i64,
    /// Whether it is met.
    pub met: bool,
}

/// Where a partner stands against the next tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Distance {
    /// The next tier up.
    pub tier: String,
    /// Each requirement.
    pub gaps: Vec<Gap>,
}

/// How `card` measures against `rule` (revenue in the rule's currency).
pub fn gaps(rule: &TierRule, card: &Scorecard) -> Vec<Gap> {
    let revenue = card
        .deals
        .won_revenue_trailing_12_months
        .iter()
        .find(|m| m.currency == rule.requirements.won_revenue_12_months.currency)
        .map_or(0, |m| m.amount_minor);
    let gap = |requirement: &str, required: i64, current: i64| Gap {
        requirement: requirement.into(),
        required,
        current,
        met: current >= required,
    };
    vec![
        gap("certified_people", rule.requirements.certified_people.into(), card.certifications.certified_people.into()),
        gap("won_revenue_12_months", rule.requirements.won_revenue_12_months.amount_minor, revenue),
        gap("approved_registrations", rule.requirements.approved_registrations.into(), card.deals.approved),
    ]
}

/// The next tier above the partner's and how far it is, if any.
pub fn distance(rules: &TierRules, card: &Scorecard) -> Option<Distance> {
    let at = rules.tiers.iter().position(|r| r.tier == card.tier.as_str())?;
    let next = rules.tiers.get(at + 1)?;
    Some(Distance { tier: next.tier.clone(), gaps: gaps(next, card) })
}

/// `PUT /v1/program/tiers`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTierRules {
    /// Every tier once, lowest first: registered, silver, gold, platinum.
    pub tiers: Vec<TierRule>,
    /// Grace before a demotion, 0 to 365 days (default 90).
    pub demotion_grace_days: Option<u32>,
    /// Apply evaluations without approval (default false).
    pub auto_apply: Option<bool>,
}

/// The tier rules in force: everyone reads them.
#[utoipa::path(
    get, path = "/v1/program/tiers", tag = "program",
    responses((status = 200, body = TierRules), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_tiers(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<TierRules>> {
    caller.require_any(&Role::ALL)?;
    Ok(Json(current(&st.db).await?))
}

/// A vendor admin sets new tier rules (a new version; the old ones are kept).
#[utoipa::path(
    put, path = "/v1/program/tiers", tag = "program",
    request_body = PutTierRules,
    responses((status = 200, body = TierRules), ApiErrors),
    security(("bearer" = []))
)]
pub async fn put_tiers(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<PutTierRules>,
) -> ApiResult<Json<TierRules>> {
    caller.require_any(&[Role::VendorAdmin])?;
    let req = body.parse()?;
    let mut c = Checker::new();
    let order = Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>();
    let given: Vec<&str> = req.tiers.iter().map(|t| t.tier.as_str()).collect();
    if given != order {
        c.fail("tiers", format!("must list every tier once, lowest first: {}", order.join(", ")));
    }
    for (i, t) in req.tiers.iter().enumerate() {
        if let Err(m) = Money::parse(&t.requirements.won_revenue_12_months) {
            c.fail(&format!("tiers[{i}].requirements.won_revenue_12_months"), m);
        }
        if t.benefits.coop_rate_bp > 10_000 {
            c.fail(&format!("tiers[{i}].benefits.coop_rate_bp"), "must be at most 10000");
        }
        if !(1..=365).contains(&t.benefits.protection_days) {
            c.fail(&format!("tiers[{i}].benefits.protection_days"), "must be from 1 to 365");
        }
        if t.benefits.lead_weight == 0 || t.benefits.lead_weight > 100_000 {
            c.fail(&format!("tiers[{i}].benefits.lead_weight"), "must be from 1 to 100000");
        }
    }
    let grace = req.demotion_grace_days.unwrap_or(90);
    if grace > 365 {
        c.fail("demotion_grace_days", "must be at most 365");
    }
    c.finish()?;
    for _ in 0..5 {
        let before = current(&st.db).await?;
        let mut tiers = req.tiers.clone();
        for t in &mut tiers {
            t.requirements.won_revenue_12_months.currency =
                t.requirements.won_revenue_12_months.currency.to_ascii_uppercase();
        }
        let next = TierRules {
            version: before.version + 1,
            tiers,
            demotion_grace_days: grace,
            auto_apply: req.auto_apply.unwrap_or(false),
            updated_at: Some(now()),
            updated_by: Some(caller.sub.clone()),
        };
        let current_item =
            to_item(&Stored { keys: Keys::new("PROGRAM", "TIERS", "tier-rules"), record: next.clone() })?;
        let history = to_item(&Stored {
            keys: Keys::new("PROGRAM", format!("TIERS#v{:04}", next.version), "tier-rules-version"),
            record: next.clone(),
        })?;
        let guarded = aws_sdk_dynamodb::types::Put::builder().table_name(&st.db.table).set_item(Some(current_item));
        let guarded = if before.version == 0 {
            guarded.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK)
        } else {
            guarded
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", n(i64::from(before.version)))
        };
        let plain = aws_sdk_dynamodb::types::Put::builder().table_name(&st.db.table).set_item(Some(history));
        let items = vec![
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(guarded.build().map_err(anyhow::Error::from)?)
                .build(),
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(plain.build().map_err(anyhow::Error::from)?)
                .build(),
        ];
        match st.db.transact(items).await {
            Ok(()) => return Ok(Json(next)),
            Err(e) if e.condition_failed(0) => continue,
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    Err(ApiError::Conflict("the tier rules kept changing; read them and retry".into()))
}
