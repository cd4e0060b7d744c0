//! Partner scorecards. Counters live in one item per partner
//! (`PARTNER#{partner}` / `SCORECARD`), added to from domain events, once per
//! event (a marker `SCOREEVENT#{event_id}` commits with the `ADD`), and from
//! content downloads in the download's own write. A scorecard read is that
//! item plus the partner, its unexpired certifications and its MDF
//! allocations: a handful of key reads, never a Scan or a pass over history.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Datelike, Duration, Months, SecondsFormat, Utc};
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::{Db, GSI2, Keys, PK, Stored, key, keys, n, s, to_item};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::events::Delivered;
use prm_shared::money::Money;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{now, object_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::domain::{PartnerStatus, Tier};

const SCORECARD: &str = "SCORECARD";

/// The counter changes an event implies: (attribute, delta).
pub fn deltas(event: &Delivered) -> Vec<(String, i64)> {
    let d = &event.detail;
    let money = |field: &str| -> Option<Money> { serde_json::from_value(d.get(field)?.clone()).ok() };
    let at = d.get("occurred_at").and_then(|v| v.as_str()).and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let one = |name: &str| vec![(name.to_owned(), 1)];
    // A closing deal leaves the open pipeline with the amount it was registered with.
    let leaves = |name: &str| {
        let mut v = one(name);
        if let Some(m) = money("registered_amount") {
            v.push((format!("pipeline_{}", m.currency), -m.amount_minor));
        }
        v
    };
    match event.detail_type.as_str() {
        "DealRegistered" => {
            let mut v = one("deals_registered");
            if let Some(m) = money("amount") {
                v.push((format!("pipeline_{}", m.currency), m.amount_minor));
            }
            v
        }
        "DealApproved" => {
            let mut v = one("deals_approved");
            let registered =
                d.get("registered_at").and_then(|v| v.as_str()).and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            if let (Some(r), Some(a)) = (registered, at) {
                v.push(("approval_seconds_total".into(), (a - r).num_seconds().max(0)));
                v.push(("approvals_timed".into(), 1));
            }
            v
        }
        "DealRejected" => leaves("deals_rejected"),
        "DealLost" => leaves("deals_lost"),
        "DealExpired" => leaves("deals_expired"),
        "DealWon" => {
            let mut v = leaves("deals_won");
            if let (Some(m), Some(at)) = (money("amount"), at) {
                v.push((format!("won_{}", m.currency), m.amount_minor));
                v.push((format!("won_{}_{}", at.format("%Y-%m"), m.currency), m.amount_minor));
            }
            v
        }
        "LeadAssigned" => one("leads_assigned"),
        "LeadAccepted" => one("leads_accepted"),
        "LeadDeclined" => one("leads_declined"),
        "LeadLapsed" => one("leads_lapsed"),
        "CertificationIssued" if d.get("renewed").and_then(serde_json::Value::as_bool) == Some(false) => {
            one("certifications_issued")
        }
        "MdfClaimPaid" => {
            money("amount").map(|m| vec![(format!("mdf_paid_{}", m.currency), m.amount_minor)]).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// The `ADD` of `deltas` to a partner's counters.
pub fn counter_update(db: &Db, partner_id: &str, deltas: &[(String, i64)]) -> anyhow::Result<TransactWriteItem> {
    let mut u = Update::builder().table_name(&db.table).set_key(Some(key(keys::partner(partner_id), SCORECARD)));
    let mut adds = Vec::new();
    for (i, (name, delta)) in deltas.iter().enumerate() {
        u = u
            .expression_attribute_names(format!("#c{i}"), name)
            .expression_attribute_values(format!(":d{i}"), n(*delta));
        adds.push(format!("#c{i} :d{i}"));
    }
    let u = u.update_expression(format!("ADD {}", adds.join(", "))).build().context("building counter Update")?;
    Ok(TransactWriteItem::builder().update(u).build())
}

/// Adds what `event` implies to its partner's counters, once per event.
/// `Ok(false)` when there is nothing to count or it was counted before.
pub async fn count(st: &AppState, event: &Delivered) -> anyhow::Result<bool> {
    let changes = deltas(event);
    let (Some(pid), Some(event_id)) = (
        event.detail.get("partner_id").and_then(|p| p.as_str()),
        event.detail.get("event_id").and_then(|p| p.as_str()),
    ) else {
        return Ok(false);
    };
    if changes.is_empty() {
        return Ok(false);
    }
    let marker = Put::builder()
        .table_name(&st.db.table)
        .set_item(Some(to_item(&Stored {
            keys: Keys::new(format!("SCOREEVENT#{event_id}"), "SCOREEVENT", "scorecard-event"),
            record: serde_json::json!({"ttl": (now() + Duration::days(30)).timestamp()}),
        })?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building scorecard marker")?;
    let items = vec![TransactWriteItem::builder().put(marker).build(), counter_update(&st.db, pid, &changes)?];
    match st.db.transact(items).await {
        Ok(()) => Ok(true),
        Err(e) if e.condition_failed(0) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// A partner's raw counters.
pub async fn counters(db: &Db, partner_id: &str) -> anyhow::Result<HashMap<String, i64>> {
    let out = db
        .client
        .get_item()
        .table_name(&db.table)
        .set_key(Some(key(keys::partner(partner_id), SCORECARD)))
        .send()
        .await
        .context("GetItem scorecard")?;
    Ok(out
        .item
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v {
            AttributeValue::N(x) => x.parse().ok().map(|x| (k, x)),
            _ => None,
        })
        .collect())
}

/// Deal figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DealFigures {
    /// Registered.
    pub registered: i64,
    /// Approved.
    pub approved: i64,
    /// Rejected.
    pub rejected: i64,
    /// Won.
    pub won: i64,
    /// Lost.
    pub lost: i64,
    /// Expired before closing.
    pub expired: i64,
    /// Won / (won + lost), whole percent.
    pub win_rate_pct: Option<i64>,
    /// Average hours from registration to approval.
    pub avg_approval_hours: Option<i64>,
    /// Amounts of the registrations still open (submitted or approved), per currency.
    pub open_pipeline: Vec<Money>,
    /// Won revenue, all time, per currency.
    pub won_revenue: Vec<Money>,
    /// Won revenue of the trailing 12 months (this month and the 11 before), per currency.
    pub won_revenue_trailing_12_months: Vec<Money>,
}

/// Lead figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadFigures {
    /// Assigned to the partner (each assignment).
    pub assigned: i64,
    /// Accepted.
    pub accepted: i64,
    /// Declined.
    pub declined: i64,
    /// Left unanswered past the deadline.
    pub sla_breaches: i64,
    /// Accepted / answered-or-lapsed, whole percent.
    pub acceptance_rate_pct: Option<i64>,
}

/// Certification figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertFigures {
    /// People holding at least one unexpired certification.
    pub certified_people: u32,
    /// Unexpired certifications.
    pub active_certifications: u32,
    /// Of those, expiring within 30 days.
    pub expiring_within_30_days: u32,
    /// Certifications ever issued (renewals not counted).
    pub issued: i64,
}

/// MDF figures of one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MdfFigures {
    /// The currency.
    pub currency: String,
    /// Allocated (all periods and funds).
    pub allocated: i64,
    /// Claimed, not yet paid.
    pub claimed: i64,
    /// Paid.
    pub paid: i64,
    /// Won revenue / paid, two decimals.
    pub roi: Option<String>,
}

/// `GET /v1/partners/{id}/scorecard`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scorecard {
    /// The partner.
    pub partner_id: String,
    /// Its tier.
    pub tier: Tier,
    /// Its status.
    pub status: PartnerStatus,
    /// Deals.
    pub deals: DealFigures,
    /// Leads.
    pub leads: LeadFigures,
    /// Certifications.
    pub certifications: CertFigures,
    /// MDF, per currency.
    pub mdf: Vec<MdfFigures>,
    /// Content downloads by the partner's people.
    pub content_downloads: i64,
    /// Where the partner stands against the next tier's requirements.
    pub next_tier: Option<crate::tiers::Distance>,
}

fn pct(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 100 / whole)
}

/// The currencies' sums of counters named `{prefix}{CUR}` (exactly three letters after the prefix).
pub(crate) fn per_currency(c: &HashMap<String, i64>, prefix: &str, months: Option<&BTreeSet<String>>) -> Vec<Money> {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (k, v) in c {
        let Some(rest) = k.strip_prefix(prefix) else { continue };
        let currency = match months {
            None if rest.len() == 3 => rest,
            Some(ms) => match rest.split_once('_') {
                Some((m, cur)) if ms.contains(m) && cur.len() == 3 => cur,
                _ => continue,
            },
            None => continue,
        };
        *sums.entry(currency.to_owned()).or_default() += v;
    }
    sums.into_iter().map(|(currency, amount_minor)| Money { amount_minor, currency }).collect()
}

/// The months of the trailing year ending with `at`'s month, as `YYYY-MM`.
pub(crate) fn trailing_months(at: DateTime<Utc>) -> BTreeSet<String> {
    let first = at.date_naive().with_day(1).unwrap_or(at.date_naive());
    (0..12).filter_map(|i| first.checked_sub_months(Months::new(i))).map(|d| d.format("%Y-%m").to_string()).collect()
}

#[derive(Deserialize)]
struct Cert {
    user_id: String,
    expires_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Allocation {
    currency: String,
    allocated: i64,
    claimed: i64,
    paid: i64,
}

/// Builds the scorecard of `partner_id` as of `at`.
pub async fn build(st: &AppState, partner_id: &str, at: DateTime<Utc>) -> ApiResult<Scorecard> {
    let partner = crate::store::get_partner(&st.db, partner_id).await?.ok_or(ApiError::NotFound)?;
    let c = counters(&st.db, partner_id).await?;
    let get = |k: &str| c.get(k).copied().unwrap_or(0);
    // Unexpired certifications: the partner's index sorts them by expiry.
    let from = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let certs: Vec<Cert> = {
        let out = st
            .db
            .client
            .query()
            .table_name(&st.db.table)
            .index_name(GSI2.name)
            .key_condition_expression("#pk = :pk AND #sk >= :from")
            .expression_attribute_names("#pk", GSI2.pk)
            .expression_attribute_names("#sk", GSI2.sk)
            .expression_attribute_values(":pk", s(keys::owned("CERTS", partner_id)))
            .expression_attribute_values(":from", s(from))
            .send()
            .await
            .context("Query certifications")?;
        out.items.unwrap_or_default().into_iter().map(prm_shared::dynamo::from_item).collect::<anyhow::Result<_>>()?
    };
    let people: BTreeSet<&str> = certs.iter().map(|c| c.user_id.as_str()).collect();
    let allocations: Vec<Allocation> =
        st.db.whole_partition(None, &keys::partner(partner_id), Some("MDF#"), 1000).await?;
    let won = per_currency(&c, "won_", None);
    let trailing = per_currency(&c, "won_", Some(&trailing_months(at)));
    let mut mdf: BTreeMap<String, MdfFigures> = BTreeMap::new();
    for a in allocations {
        let m = mdf.entry(a.currency.clone()).or_insert_with(|| MdfFigures {
            currency: a.currency.clone(),
            allocated: 0,
            claimed: 0,
            paid: 0,
            roi: None,
        });
        m.allocated += a.allocated;
        m.claimed += a.claimed;
        m.paid += a.paid;
    }
    for m in mdf.values_mut() {
        let revenue = won.iter().find(|w| w.currency == m.currency).map_or(0, |w| w.amount_minor);
        m.roi = (m.paid > 0).then(|| {
            let scaled = (i128::from(revenue) * 200 + i128::from(m.paid)) / (i128::from(m.paid) * 2);
            format!("{}.{:02}", scaled / 100, scaled % 100)
        });
    }
    let answered = get("leads_accepted") + get("leads_declined") + get("leads_lapsed");
    let scorecard = Scorecard {
        partner_id: partner_id.to_owned(),
        tier: partner.tier,
        status: partner.status,
        deals: DealFigures {
            registered: get("deals_registered"),
            approved: get("deals_approved"),
            rejected: get("deals_rejected"),
            won: get("deals_won"),
            lost: get("deals_lost"),
            expired: get("deals_expired"),
            win_rate_pct: pct(get("deals_won"), get("deals_won") + get("deals_lost")),
            avg_approval_hours: (get("approvals_timed") > 0)
                .then(|| get("approval_seconds_total") / get("approvals_timed") / 3600),
            open_pipeline: per_currency(&c, "pipeline_", None),
            won_revenue: won,
            won_revenue_trailing_12_months: trailing,
        },
        leads: LeadFigures {
            assigned: get("leads_assigned"),
            accepted: get("leads_accepted"),
            declined: get("leads_declined"),
            sla_breaches: get("leads_lapsed"),
            acceptance_rate_pct: pct(get("leads_accepted"), answered),
        },
        certifications: CertFigures {
            certified_people: u32::try_from(people.len()).unwrap_or(u32::MAX),
            active_certifications: u32::try_from(certs.len()).unwrap_or(u32::MAX),
            expiring_within_30_days: u32::try_from(
                certs.iter().filter(|c| c.expires_at <= at + Duration::days(30)).count(),
            )
            .unwrap_or(u32::MAX),
            issued: get("certifications_issued"),
        },
        mdf: mdf.into_values().collect(),
        content_downloads: get("downloads"),
        next_tier: None,
    };
    let rules = crate::tiers::current(&st.db).await?;
    let next_tier = crate::tiers::distance(&rules, &scorecard);
    Ok(Scorecard { next_tier, ..scorecard })
}

/// A partner's scorecard: vendor staff any, partner staff their own.
#[utoipa::path(
    get, path = "/v1/partners/{id}/scorecard", tag = "partners",
    params(("id" = String, Path, description = "Partner id")),
    responses((status = 200, body = Scorecard), ApiErrors),
    security(("bearer" = []))
)]
pub async fn get_scorecard(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Scorecard>> {
    caller.require_any(&Role::ALL)?;
    caller.require_partner_access(object_id(&id)?)?;
    Ok(Json(build(&st, &id, now()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, detail: serde_json::Value) -> Delivered {
        Delivered { id: "x".into(), source: "prm.deals".into(), detail_type: kind.into(), detail }
    }

    #[test]
    fn events_map_to_counter_changes() {
        let won = event(
            "DealWon",
            serde_json::json!({"occurred_at": "2026-11-05T10:00:00Z", "amount": {"amount_minor": 500, "currency": "USD"}}),
        );
        assert_eq!(
            deltas(&won),
            vec![("deals_won".into(), 1), ("won_USD".into(), 500), ("won_2026-11_USD".into(), 500)]
        );
        let registered =
            event("DealRegistered", serde_json::json!({"amount": {"amount_minor": 700, "currency": "EUR"}}));
        assert_eq!(deltas(&registered), vec![("deals_registered".into(), 1), ("pipeline_EUR".into(), 700)]);
        let lost =
            event("DealLost", serde_json::json!({"registered_amount": {"amount_minor": 700, "currency": "EUR"}}));
        assert_eq!(deltas(&lost), vec![("deals_lost".into(), 1), ("pipeline_EUR".into(), -700)]);
        let approved = event(
            "DealApproved",
            serde_json::json!({"occurred_at": "2026-11-05T10:00:00Z", "registered_at": "2026-11-05T08:00:00Z"}),
        );
        assert_eq!(deltas(&approved)[1], ("approval_seconds_total".into(), 7200));
        assert!(deltas(&event("CertificationIssued", serde_json::json!({"renewed": true}))).is_empty());
        assert!(deltas(&event("AssetPublished", serde_json::json!({}))).is_empty());
    }

    #[test]
    fn revenue_sums_per_currency_and_over_the_trailing_year() {
        let c: HashMap<String, i64> = [
            ("won_USD", 700),
            ("won_EUR", 50),
            ("won_2026-12_USD", 200),
            ("won_2025-12_USD", 500),
            ("won_2026-01_EUR", 50),
            ("deals_won", 3),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let at = DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z").unwrap().to_utc();
        let months = trailing_months(at);
        assert_eq!(months.len(), 12);
        assert!(months.contains("2026-01") && !months.contains("2025-12"));
        let trailing = per_currency(&c, "won_", Some(&months));
        assert_eq!(
            trailing.iter().map(|m| (m.currency.as_str(), m.amount_minor)).collect::<Vec<_>>(),
            vec![("EUR", 50), ("USD", 200)]
        );
        assert_eq!(per_currency(&c, "won_", None).len(), 2);
    }
}
