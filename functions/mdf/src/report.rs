//! The ROI report of a partner's funds for a period: per fund request, what
//! was approved, claimed and paid, what the activity achieved, the pipeline
//! and revenue of the deals it sourced (deals registered with its
//! `mdf_request_id`), and ROI = won revenue / paid. Integer arithmetic only.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use prm_shared::auth::{Caller, Role};
use prm_shared::dynamo::Stored;
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::json::ApiQuery;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, object_id};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::MdfState;
use crate::domain::{ActivityType, Allocation, Claim, ClaimStatus, FundRequest, FundType, RequestStatus, period};
use crate::store;

/// Filters of `GET /v1/mdf/reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The partner (required for vendor staff; partner staff get their own).
    pub partner_id: Option<String>,
    /// The period, e.g. `2026-H1` (required).
    pub period: Option<String>,
}

/// The figures of one fund request, or the totals of one currency. Amounts
/// are in minor units of `currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    /// The currency of every amount.
    pub currency: String,
    /// Requested.
    pub requested: i64,
    /// Approved (reserved when approved).
    pub approved: i64,
    /// Claimed, not counting rejected claims (approved amount once approved).
    pub claimed: i64,
    /// Paid out.
    pub paid: i64,
    /// Released back to the allocation when the claim window closed.
    pub released: i64,
    /// Leads expected when requested.
    pub expected_leads: u64,
    /// Pipeline expected when requested.
    pub expected_pipeline: i64,
    /// Leads reported in claims (not rejected).
    pub leads: u64,
    /// Attendees reported in claims (not rejected).
    pub attendees: u64,
    /// Pipeline reported in claims (not rejected).
    pub reported_pipeline: i64,
    /// Deals registered with the request as their source (not rejected).
    pub deals: u64,
    /// Of those, won.
    pub deals_won: u64,
    /// Sourced pipeline: the amounts of those deals (open or won; the won at their closed amount).
    pub sourced_pipeline: i64,
    /// Won revenue: the closed amounts of the won deals.
    pub won_revenue: i64,
    /// Sourced deals in another currency, left out of the sums.
    pub deals_other_currency: u64,
    /// Won revenue / paid, two decimals (e.g. `"4.25"`); null until something is paid.
    pub roi: Option<String>,
    /// Leads per unit of currency paid (e.g. per dollar), four decimals; null until something is paid.
    pub leads_per_unit: Option<String>,
    /// Paid / leads, in minor units; null without leads.
    pub cost_per_lead: Option<i64>,
}

/// One fund request's line of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestLine {
    /// The request.
    pub request_id: String,
    /// Its title.
    pub title: String,
    /// The activity.
    pub activity_type: ActivityType,
    /// MDF or co-op.
    pub fund_type: FundType,
    /// Its status.
    pub status: RequestStatus,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// `GET /v1/mdf/reports`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoiReport {
    /// The partner.
    pub partner_id: String,
    /// The period.
    pub period: String,
    /// The partner's funds of the period with their balances.
    pub funds: Vec<Allocation>,
    /// Totals per currency.
    pub totals: Vec<Figures>,
    /// One line per fund request of the period, oldest first.
    pub requests: Vec<RequestLine>,
}

/// What the report needs of a sourced deal.
#[derive(Debug, Clone, Deserialize)]
pub struct SourcedDeal {
    /// submitted, approved, rejected, won, lost or expired.
    pub status: String,
    /// The registered amount.
    pub amount: prm_shared::money::Money,
    /// The amount it was won for.
    pub closed_amount: Option<prm_shared::money::Money>,
}

#[derive(Debug, Deserialize)]
struct Link {
    deal_id: String,
}

/// `num / den` with `places` decimals, rounded half up (`den` > 0, both >= 0).
pub fn ratio(num: i128, den: i128, places: u32) -> String {
    let scale = 10i128.pow(places);
    let scaled = (num * scale * 2 + den) / (den * 2);
    let (whole, frac) = (scaled / scale, scaled % scale);
    if places == 0 { whole.to_string() } else { format!("{whole}.{frac:0width$}", width = places as usize) }
}

/// The figures of `request` from its claims and sourced deals.
pub fn figures(request: &FundRequest, claims: &[&Claim], deals: &[SourcedDeal]) -> Figures {
    let currency = request.requested_amount.currency.clone();
    let mut f = Figures {
        currency: currency.clone(),
        requested: request.requested_amount.amount_minor,
        approved: request.approved_amount.as_ref().map_or(0, |m| m.amount_minor),
        released: request.released_amount.as_ref().map_or(0, |m| m.amount_minor),
        expected_leads: request.expected.leads.into(),
        expected_pipeline: request.expected.pipeline.amount_minor,
        ..Figures::default()
    };
    for c in claims.iter().filter(|c| c.status != ClaimStatus::Rejected) {
        f.claimed += c.approved_amount.as_ref().unwrap_or(&c.amount).amount_minor;
        if c.status == ClaimStatus::Paid {
            f.paid += c.approved_amount.as_ref().unwrap_or(&c.amount).amount_minor;
        }
        f.leads += u64::from(c.results.leads);
        f.attendees += u64::from(c.results.attendees);
        if c.results.pipeline.currency == currency {
            f.reported_pipeline += c.results.pipeline.amount_minor;
        }
    }
    for d in deals.iter().filter(|d| d.status != "rejected") {
        let won = d.status == "won";
        let value = if won { d.closed_amount.as_ref().unwrap_or(&d.amount) } else { &d.amount };
        if value.currency != currency {
            f.deals_other_currency += 1;
            continue;
        }
        f.deals += 1;
        if d.status != "lost" && d.status != "expired" {
            f.sourced_pipeline += value.amount_minor;
        }
        if won {
            f.deals_won += 1;
            f.won_revenue += value.amount_minor;
        }
    }
    derive(&mut f);
    f
}

/// Fills the ratios from the sums.
fn derive(f: &mut Figures) {
    f.roi = (f.paid > 0).then(|| ratio(f.won_revenue.into(), f.paid.into(), 2));
    let unit = 10i128.pow(prm_shared::money::minor_digits(&f.currency));
    f.leads_per_unit = (f.paid > 0).then(|| ratio(i128::from(f.leads) * unit, f.paid.into(), 4));
    f.cost_per_lead = (f.leads > 0).then(|| {
        let leads = i64::try_from(f.leads).unwrap_or(i64::MAX);
        (f.paid + leads / 2) / leads
    });
}

fn add(total: &mut Figures, f: &Figures) {
    total.requested += f.requested;
    total.approved += f.approved;
    total.claimed += f.claimed;
    total.paid += f.paid;
    total.released += f.released;
    total.expected_leads += f.expected_leads;
    total.expected_pipeline += f.expected_pipeline;
    total.leads += f.leads;
    total.attendees += f.attendees;
    total.reported_pipeline += f.reported_pipeline;
    total.deals += f.deals;
    total.deals_won += f.deals_won;
    total.sourced_pipeline += f.sourced_pipeline;
    total.won_revenue += f.won_revenue;
    total.deals_other_currency += f.deals_other_currency;
}

/// ROI of a partner's funds for a period: vendor staff any partner's, partner staff their own.
#[utoipa::path(
    get, path = "/v1/mdf/reports", tag = "mdf",
    params(ReportQuery),
    responses((status = 200, body = RoiReport), ApiErrors),
    security(("bearer" = []))
)]
pub async fn report(
    State(st): State<MdfState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<RoiReport>> {
    caller.require_any(&Role::ALL)?;
    let mut c = Checker::new();
    let period = match q.period.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => c.check("period", period(p)),
        None => {
            c.fail("period", "is required, e.g. 2026-H1");
            None
        }
    };
    let requested = q.partner_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    match requested {
        Some(p) if object_id(p).is_err() => c.fail("partner_id", "is not a partner id"),
        None if caller.is_vendor() => c.fail("partner_id", "is required"),
        _ => {}
    }
    c.finish()?;
    let (Some(period), partner_id) = (period, requested) else {
        return Err(ApiError::field("period", "is required"));
    };
    let partner_id = if caller.is_vendor() {
        partner_id.unwrap_or_default().to_owned()
    } else {
        let own = caller.require_partner()?;
        if partner_id.is_some_and(|p| p != own) {
            return Err(ApiError::NotFound);
        }
        own.to_owned()
    };
    if st.db.get::<serde_json::Value>(&prm_shared::dynamo::keys::partner(&partner_id), "PROFILE").await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(build(&st, &partner_id, &period).await?))
}

/// Builds the report: the partner's requests and claims of the period (two
/// Queries on the partner's own index partitions), each request's sourced-deal
/// links (a Query each) and the deals (BatchGetItem).
pub async fn build(st: &MdfState, partner_id: &str, period: &str) -> anyhow::Result<RoiReport> {
    let requests = store::requests_of(&st.db, partner_id, period).await?;
    let claims = store::claims_of(&st.db, partner_id, period).await?;
    let funds = store::list_allocations(&st.db, &st.cursors, Some(partner_id), Some(period), 100, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .items;
    let mut lines = Vec::with_capacity(requests.len());
    let mut totals: BTreeMap<String, Figures> = BTreeMap::new();
    for r in &requests {
        let links: Vec<Stored<Link>> =
            st.db.whole_partition(None, &format!("MDFREQUEST#{}", r.id), Some("DEAL#"), 5000).await?;
        let keys: Vec<(String, String)> =
            links.iter().map(|l| (format!("DEAL#{}", l.record.deal_id), "DEAL".to_owned())).collect();
        let deals: Vec<SourcedDeal> = st.db.batch_get(&keys).await?;
        let mine: Vec<&Claim> = claims.iter().filter(|c| c.request_id == r.id).collect();
        let f = figures(r, &mine, &deals);
        let total = totals
            .entry(f.currency.clone())
            .or_insert_with(|| Figures { currency: f.currency.clone(), ..Figures::default() });
        add(total, &f);
        lines.push(RequestLine {
            request_id: r.id.clone(),
            title: r.title.clone(),
            activity_type: r.activity_type,
            fund_type: r.fund_type,
            status: r.status,
            figures: f,
        });
    }
    let mut totals: Vec<Figures> = totals.into_values().collect();
    for t in &mut totals {
        derive(t);
    }
    Ok(RoiReport { partner_id: partner_id.to_owned(), period: period.to_owned(), funds, totals, requests: lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prm_shared::money::Money;

    #[test]
    fn ratios_round_half_up_with_fixed_decimals() {
        assert_eq!(ratio(425, 100, 2), "4.25");
        assert_eq!(ratio(1, 3, 2), "0.33");
        assert_eq!(ratio(2, 3, 2), "0.67");
        assert_eq!(ratio(5, 1, 0), "5");
        assert_eq!(ratio(1, 8, 2), "0.13");
    }

    fn usd(m: i64) -> Money {
        Money { amount_minor: m, currency: "USD".into() }
    }

    #[test]
    fn roi_is_won_revenue_over_paid_and_other_currencies_are_left_out() {
        let request: FundRequest = serde_json::from_value(serde_json::json!({
            "id": "R", "partner_id": "P", "period": "2026-H1", "fund_type": "mdf", "activity_type": "webinar",
            "title": "t", "description": "", "start_date": "2026-03-01", "end_date": "2026-03-02",
            "requested_amount": usd(1_000_000), "approved_amount": usd(800_000), "claimable_minor": 0,
            "expected": {"leads": 40, "pipeline": usd(5_000_000)}, "status": "approved",
            "rejection_reason": null, "submitted_by": "u", "decided_by": "m",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "version": 2
        }))
        .unwrap();
        let claim = |status: &str, amount: i64, approved: Option<i64>, leads: u32| -> Claim {
            serde_json::from_value(serde_json::json!({
                "id": "C", "request_id": "R", "partner_id": "P", "period": "2026-H1", "fund_type": "mdf",
                "amount": usd(amount), "approved_amount": approved.map(usd),
                "results": {"leads": leads, "attendees": 100, "pipeline": usd(1)}, "proofs": [],
                "status": status, "rejection_reason": null, "submitted_by": "u", "decided_by": null,
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "version": 1
            }))
            .unwrap()
        };
        let paid = claim("paid", 500_000, Some(400_000), 30);
        let rejected = claim("rejected", 100_000, None, 99);
        let deal = |status: &str, amount: Money, closed: Option<Money>| SourcedDeal {
            status: status.into(),
            amount,
            closed_amount: closed,
        };
        let deals = [
            deal("won", usd(2_000_000), Some(usd(1_700_000))),
            deal("approved", usd(300_000), None),
            deal("lost", usd(900_000), None),
            deal("rejected", usd(5_000_000), None),
            deal("won", Money { amount_minor: 1, currency: "EUR".into() }, None),
        ];
        let f = figures(&request, &[&paid, &rejected], &deals);
        assert_eq!((f.claimed, f.paid, f.leads), (400_000, 400_000, 30));
        assert_eq!((f.deals, f.deals_won, f.deals_other_currency), (3, 1, 1));
        assert_eq!((f.sourced_pipeline, f.won_revenue), (2_000_000, 1_700_000));
        assert_eq!(f.roi.as_deref(), Some("4.25"));
        // 30 leads for 4,000.00 USD: 0.0075 leads per dollar, 133.33 USD a lead.
        assert_eq!(f.leads_per_unit.as_deref(), Some("0.0075"));
        assert_eq!(f.cost_per_lead, Some(13_333));
    }
}
