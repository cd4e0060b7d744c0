//! The program report (`GET /v1/reports/program`, vendor staff): partners by
//! tier and status, pipeline and revenue by partner and by region, MDF
//! utilization of a period, the onboarding funnel, top and at-risk partners;
//! each list also as CSV (`?format=csv&list=...`).
//!
//! It reads the program, not its history: the partner index page by page,
//! then per partner its scorecard counters, onboarding progress and tier
//! evaluation state by BatchGetItem (three keys a partner, a hundred keys a
//! request), the checklist, and the period's allocations from their index.
//! So its cost grows with the number of partners, never with the number of
//! deals, leads or ledger entries behind them. Amounts are in one currency
//! (`?currency=`, default USD); `currencies` lists the others seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use prm_shared::auth::Caller;
use prm_shared::dynamo::{GSI1, Stored, keys};
use prm_shared::error::{ApiError, ApiResult};
use prm_shared::json::ApiQuery;
use prm_shared::money::Money;
use prm_shared::openapi::ApiErrors;
use prm_shared::validate::{Checker, now, period};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::domain::{Partner, PartnerStatus, Tier};
use crate::onboarding::Progress;
use crate::scorecard::{per_currency, trailing_months};

/// The most partners a report covers (the partner index is read to this many).
pub const MAX_PARTNERS: usize = 5000;
/// Partners in the top list.
pub const TOP: usize = 10;
/// Days in onboarding after which a partner counts as stalled.
pub const STALLED_ONBOARDING_DAYS: i64 = 30;
/// Days an active partner may go without a win before it counts as at risk.
pub const NO_WINS_DAYS: i64 = 180;
/// Share of a period's MDF that should be in use once half the period is over.
pub const MDF_UNDERUSED_PCT: i64 = 25;

prm_shared::string_enum! {
    /// The lists of the report, each exportable as CSV.
    ReportList {
        /// One row per partner.
        Partners => "partners",
        /// Partners by tier and status.
        Tiers => "tiers",
        /// Pipeline and revenue by region.
        Regions => "regions",
        /// MDF utilization per currency of the period.
        Mdf => "mdf",
        /// Onboarding funnel, a row per stage.
        Onboarding => "onboarding",
        /// The top partners by trailing-12-month won revenue.
        Top => "top",
        /// Partners at risk, with their reasons.
        AtRisk => "at_risk",
    }
}

/// Query of `GET /v1/reports/program`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgramReportQuery {
    /// The MDF period, e.g. `2026-H1` (default: the current half year).
    pub period: Option<String>,
    /// Currency of every amount (default USD).
    pub currency: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// With `format=csv`: partners (default), tiers, regions, mdf, onboarding, top or at_risk.
    #[param(value_type = Option<ReportList>, inline)]
    pub list: Option<String>,
}

/// Partners of one tier by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct TierRow {
    /// The tier.
    pub tier: String,
    /// Onboarding.
    pub onboarding: u32,
    /// Active.
    pub active: u32,
    /// Suspended.
    pub suspended: u32,
    /// Terminated.
    pub terminated: u32,
    /// All of them.
    pub total: u32,
}

/// One partner's figures (amounts in the report's currency, minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartnerRow {
    /// The partner.
    pub partner_id: String,
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier: Tier,
    /// Its status.
    pub status: PartnerStatus,
    /// Its region.
    pub region: String,
    /// Deals registered.
    pub deals_registered: i64,
    /// Deals approved.
    pub deals_approved: i64,
    /// Deals won.
    pub deals_won: i64,
    /// Deals lost.
    pub deals_lost: i64,
    /// Won / (won + lost), whole percent.
    pub win_rate_pct: Option<i64>,
    /// Open registrations (submitted or approved).
    pub open_pipeline_minor: i64,
    /// Won revenue, all time.
    pub won_revenue_minor: i64,
    /// Won revenue of the trailing 12 months.
    pub won_revenue_12_months_minor: i64,
    /// Leads accepted.
    pub leads_accepted: i64,
    /// Leads declined.
    pub leads_declined: i64,
    /// Leads left unanswered past their deadline.
    pub lead_sla_breaches: i64,
    /// MDF and co-op allocated for the period.
    pub mdf_allocated_minor: i64,
    /// Of which reserved, claimed or paid.
    pub mdf_used_minor: i64,
    /// Onboarding tasks done.
    pub onboarding_done: u32,
    /// Onboarding tasks in the checklist.
    pub onboarding_tasks: u32,
}

/// Pipeline and revenue of one region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegionRow {
    /// The region (upper-case).
    pub region: String,
    /// Partners in it.
    pub partners: u32,
    /// Of which active.
    pub active_partners: u32,
    /// Open registrations.
    pub open_pipeline_minor: i64,
    /// Won revenue, all time.
    pub won_revenue_minor: i64,
    /// Won revenue of the trailing 12 months.
    pub won_revenue_12_months_minor: i64,
    /// Deals won.
    pub deals_won: i64,
}

/// MDF of the period in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MdfRow {
    /// The currency.
    pub currency: String,
    /// Allocations (MDF and co-op funds).
    pub allocations: u32,
    /// Allocated.
    pub allocated: i64,
    /// Reserved by approved requests.
    pub reserved: i64,
    /// Claimed, not yet paid.
    pub claimed: i64,
    /// Paid.
    pub paid: i64,
    /// Still free.
    pub available: i64,
    /// (reserved + claimed + paid) / allocated, whole percent.
    pub utilization_pct: Option<i64>,
    /// paid / allocated, whole percent.
    pub paid_pct: Option<i64>,
}

/// One stage of the onboarding funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FunnelStage {
    /// `joined`, a task's key, or `completed`.
    pub stage: String,
    /// What the stage is.
    pub title: String,
    /// Partners (not terminated) that reached it.
    pub partners: u32,
    /// Of the partners that joined, whole percent.
    pub pct: Option<i64>,
}

/// Why a partner is at risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RiskReason {
    /// `short_of_tier`, `stalled_onboarding`, `no_recent_wins`, `lead_sla_breaches`, `low_lead_acceptance` or `mdf_underused`.
    pub code: String,
    /// The evidence, in words.
    pub detail: String,
}

/// A partner at risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AtRiskRow {
    /// The partner.
    pub partner_id: String,
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier: Tier,
    /// Its status.
    pub status: PartnerStatus,
    /// Why.
    pub reasons: Vec<RiskReason>,
}

/// `GET /v1/reports/program`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgramReport {
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The MDF period.
    pub period: String,
    /// The currency of every amount.
    pub currency: String,
    /// Every currency seen in pipeline, revenue or MDF (ask again with another).
    pub currencies: Vec<String>,
    /// Partners in the report.
    pub partner_count: u32,
    /// Partners by tier (lowest first) and status.
    pub tiers: Vec<TierRow>,
    /// Every partner, by name.
    pub partners: Vec<PartnerRow>,
    /// Regions, by name.
    pub regions: Vec<RegionRow>,
    /// MDF utilization of the period, in the report's currency.
    pub mdf: MdfRow,
    /// The onboarding funnel, in checklist order.
    pub onboarding: Vec<FunnelStage>,
    /// The top partners by won revenue of the trailing 12 months.
    pub top_partners: Vec<PartnerRow>,
    /// Partners at risk.
    pub at_risk: Vec<AtRiskRow>,
}

/// What the report knows of one partner.
#[derive(Debug, Clone, Default)]
pub struct PartnerFacts {
    /// Scorecard counters.
    pub counters: HashMap<String, i64>,
    /// Onboarding progress.
    pub progress: Progress,
    /// Since when it falls short of its tier (tier evaluation).
    pub short_since: Option<DateTime<Utc>>,
    /// Its allocations of the period.
    pub mdf: Vec<Balances>,
}

/// The balances of one allocation (as the MDF function stores them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Balances {
    /// The partner.
    pub partner_id: String,
    /// Its currency.
    pub currency: String,
    /// Allocated.
    pub allocated: i64,
    /// Reserved.
    pub reserved: i64,
    /// Claimed.
    pub claimed: i64,
    /// Paid.
    pub paid: i64,
    /// Available.
    pub available: i64,
}

/// The first and last day of a period (`2026`, `2026-H2`, `2026-Q3`).
pub fn period_days(p: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, part) = p.split_once('-').map_or((p, None), |(y, rest)| (y, Some(rest)));
    let year: i32 = year.parse().ok()?;
    let (first, months) = match part {
        None => (1, 12),
        Some("H1") => (1, 6),
        Some("H2") => (7, 6),
        Some(q) => (q.strip_prefix('Q')?.parse::<u32>().ok().filter(|q| (1..=4).contains(q))? * 3 - 2, 3),
    };
    let start = NaiveDate::from_ymd_opt(year, first, 1)?;
    let end = start.checked_add_months(chrono::Months::new(months))?.pred_opt()?;
    Some((start, end))
}

fn pct(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 100 / whole)
}

fn amount(sums: &[Money], currency: &str) -> i64 {
    sums.iter().find(|m| m.currency == currency).map_or(0, |m| m.amount_minor)
}

/// Builds the report from what was read (pure: every figure is computed here).
pub fn compute(
    partners: &[Partner],
    facts: &HashMap<String, PartnerFacts>,
    checklist: &crate::onboarding::Checklist,
    period: &str,
    currency: &str,
    at: DateTime<Utc>,
) -> ProgramReport {
    let months = trailing_months(at);
    // Won counters are monthly: "recent" is every month from the one NO_WINS_DAYS ago.
    let since = (at - Duration::days(NO_WINS_DAYS)).format("%Y-%m").to_string();
    let recent_months: BTreeSet<String> = months.iter().filter(|m| **m >= since).cloned().collect();
    let empty = PartnerFacts::default();
    let mut currencies = BTreeSet::new();
    let mut rows = Vec::new();
    let mut at_risk = Vec::new();
    let mut tiers: BTreeMap<usize, TierRow> = BTreeMap::new();
    let mut regions: BTreeMap<String, RegionRow> = BTreeMap::new();
    let mut mdf = MdfRow { currency: currency.to_owned(), ..MdfRow::default() };
    let task_count = u32::try_from(checklist.tasks.len()).unwrap_or(u32::MAX);
    let mut reached: Vec<u32> = vec![0; checklist.tasks.len()];
    let (mut joined, mut completed) = (0u32, 0u32);
    let elapsed_half = period_days(period)
        .is_some_and(|(start, end)| (at.date_naive() - start) * 2 >= (end - start) + Duration::days(1));

    for p in partners {
        let f = facts.get(&p.id).unwrap_or(&empty);
        let get = |k: &str| f.counters.get(k).copied().unwrap_or(0);
        let pipeline = per_currency(&f.counters, "pipeline_", None);
        let won = per_currency(&f.counters, "won_", None);
        let won_12 = per_currency(&f.counters, "won_", Some(&months));
        let won_recent = per_currency(&f.counters, "won_", Some(&recent_months));
        currencies.extend(pipeline.iter().chain(&won).map(|m| m.currency.clone()));
        currencies.extend(f.mdf.iter().map(|b| b.currency.clone()));
        let (mut allocated, mut used) = (0, 0);
        for b in f.mdf.iter().filter(|b| b.currency == currency) {
            allocated += b.allocated;
            used += b.reserved + b.claimed + b.paid;
            mdf.allocations += 1;
            mdf.allocated += b.allocated;
            mdf.reserved += b.reserved;
            mdf.claimed += b.claimed;
            mdf.paid += b.paid;
            mdf.available += b.available;
        }
        let done = u32::try_from(checklist.tasks.iter().filter(|t| f.progress.done.contains_key(&t.key)).count())
            .unwrap_or(u32::MAX);
        let row = PartnerRow {
            partner_id: p.id.clone(),
            name: p.name.clone(),
            tier: p.tier,
            status: p.status,
            region: p.region.clone(),
            deals_registered: get("deals_registered"),
            deals_approved: get("deals_approved"),
            deals_won: get("deals_won"),
            deals_lost: get("deals_lost"),
            win_rate_pct: pct(get("deals_won"), get("deals_won") + get("deals_lost")),
            open_pipeline_minor: amount(&pipeline, currency),
            won_revenue_minor: amount(&won, currency),
            won_revenue_12_months_minor: amount(&won_12, currency),
            leads_accepted: get("leads_accepted"),
            leads_declined: get("leads_declined"),
            lead_sla_breaches: get("leads_lapsed"),
            mdf_allocated_minor: allocated,
            mdf_used_minor: used,
            onboarding_done: done,
            onboarding_tasks: task_count,
        };

        let tier_index = prm_shared::program::TIERS.iter().position(|t| *t == p.tier.as_str()).unwrap_or(0);
        let t =
            tiers.entry(tier_index).or_insert_with(|| TierRow { tier: p.tier.as_str().into(), ..TierRow::default() });
        t.total += 1;
        match p.status {
            PartnerStatus::Onboarding => t.onboarding += 1,
            PartnerStatus::Active => t.active += 1,
            PartnerStatus::Suspended => t.suspended += 1,
            PartnerStatus::Terminated => t.terminated += 1,
        }
        let region = p.region.trim().to_uppercase();
        let r = regions.entry(region.clone()).or_insert_with(|| RegionRow { region, ..RegionRow::default() });
        r.partners += 1;
        r.active_partners += u32::from(p.status == PartnerStatus::Active);
        r.open_pipeline_minor += row.open_pipeline_minor;
        r.won_revenue_minor += row.won_revenue_minor;
        r.won_revenue_12_months_minor += row.won_revenue_12_months_minor;
        r.deals_won += row.deals_won;

        if p.status != PartnerStatus::Terminated {
            joined += 1;
            for (i, task) in checklist.tasks.iter().enumerate() {
                reached[i] += u32::from(f.progress.done.contains_key(&task.key));
            }
            completed += u32::from(f.progress.completed_at.is_some() || done == task_count);
        }

        let mut reasons = Vec::new();
        let mut reason = |code: &str, detail: String| reasons.push(RiskReason { code: code.into(), detail });
        if let Some(since) = f.short_since {
            reason(
                "short_of_tier",
                format!("short of the {} requirements since {}", p.tier.as_str(), since.date_naive()),
            );
        }
        let age_days = (at - p.created_at).num_days();
        if p.status == PartnerStatus::Onboarding && age_days > STALLED_ONBOARDING_DAYS {
            reason("stalled_onboarding", format!("onboarding for {age_days} days, {done} of {task_count} tasks done"));
        }
        if p.status == PartnerStatus::Active && age_days > NO_WINS_DAYS && won_recent.is_empty() {
            reason("no_recent_wins", format!("no deal won in the last {NO_WINS_DAYS} days"));
        }
        let answered = row.leads_accepted + row.leads_declined + row.lead_sla_breaches;
        if row.lead_sla_breaches >= 3 {
            reason("lead_sla_breaches", format!("{} leads left unanswered past their deadline", row.lead_sla_breaches));
        }
        if answered >= 4 && row.leads_accepted * 2 < answered {
            reason("low_lead_acceptance", format!("accepted {} of {answered} leads", row.leads_accepted));
        }
        if elapsed_half && allocated > 0 && used * 100 < allocated * MDF_UNDERUSED_PCT {
            reason(
                "mdf_underused",
                format!("{used} of {allocated} {currency} (minor units) of {period} funds in use past mid-period"),
            );
        }
        if !reasons.is_empty() && p.status != PartnerStatus::Terminated {
            at_risk.push(AtRiskRow {
                partner_id: p.id.clone(),
                name: p.name.clone(),
                tier: p.tier,
                status: p.status,
                reasons,
            });
        }
        rows.push(row);
    }
    mdf.utilization_pct = pct(mdf.reserved + mdf.claimed + mdf.paid, mdf.allocated);
    mdf.paid_pct = pct(mdf.paid, mdf.allocated);
    rows.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.partner_id.cmp(&b.partner_id)));
    let mut top: Vec<PartnerRow> = rows.iter().filter(|r| r.won_revenue_12_months_minor > 0).cloned().collect();
    top.sort_by(|a, b| {
        b.won_revenue_12_months_minor
            .cmp(&a.won_revenue_12_months_minor)
            .then(b.deals_won.cmp(&a.deals_won))
            .then(a.partner_id.cmp(&b.partner_id))
    });
    top.truncate(TOP);
    let mut onboarding = vec![FunnelStage {
        stage: "joined".into(),
        title: "Joined the program".into(),
        partners: joined,
        pct: pct(joined.into(), joined.into()),
    }];
    for (task, n) in checklist.tasks.iter().zip(reached) {
        onboarding.push(FunnelStage {
            stage: task.key.clone(),
            title: task.title.clone(),
            partners: n,
            pct: pct(n.into(), joined.into()),
        });
    }
    onboarding.push(FunnelStage {
        stage: "completed".into(),
        title: "Completed onboarding".into(),
        partners: completed,
        pct: pct(completed.into(), joined.into()),
    });
    ProgramReport {
        generated_at: at,
        period: period.to_owned(),
        currency: currency.to_owned(),
        currencies: currencies.into_iter().collect(),
        partner_count: u32::try_from(partners.len()).unwrap_or(u32::MAX),
        tiers: tiers.into_values().collect(),
        partners: rows,
        regions: regions.into_values().collect(),
        mdf,
        onboarding,
        top_partners: top,
        at_risk,
    }
}

/// Reads what the report needs: the partners, then their counters, onboarding
/// progress and tier state (BatchGetItem), the checklist and the period's allocations.
pub async fn load(
    st: &AppState,
    period: &str,
) -> anyhow::Result<(Vec<Partner>, HashMap<String, PartnerFacts>, crate::onboarding::Checklist)> {
    let partners: Vec<Stored<Partner>> = st.db.whole_partition(Some(GSI1), "PARTNERS", None, MAX_PARTNERS).await?;
    let partners: Vec<Partner> = partners.into_iter().map(|p| p.record).collect();
    let mut wanted = Vec::with_capacity(partners.len() * 3);
    for p in &partners {
        for sk in ["SCORECARD", "ONBOARDING", "TIERSTATE"] {
            wanted.push((keys::partner(&p.id), sk.to_owned()));
        }
    }
    let mut facts: HashMap<String, PartnerFacts> = HashMap::new();
    for item in st.db.batch_get::<serde_json::Value>(&wanted).await? {
        let Some(id) = item["pk"].as_str().and_then(|pk| pk.strip_prefix("PARTNER#")).map(str::to_owned) else {
            continue;
        };
        let f = facts.entry(id).or_default();
        match item["sk"].as_str() {
            Some("SCORECARD") => {
                if let Some(map) = item.as_object() {
                    f.counters = map.iter().filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n))).collect();
                }
            }
            Some("ONBOARDING") => f.progress = serde_json::from_value(item)?,
            Some("TIERSTATE") => {
                f.short_since =
                    item["short_since"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.to_utc());
            }
            _ => {}
        }
    }
    let allocations: Vec<Balances> =
        st.db.whole_partition(Some(GSI1), "MDF_ALLOCATIONS", Some(&format!("{period}#")), MAX_PARTNERS * 2).await?;
    for b in allocations {
        facts.entry(b.partner_id.clone()).or_default().mdf.push(b);
    }
    let checklist = crate::onboarding::checklist(&st.db).await?;
    Ok((partners, facts, checklist))
}

/// One CSV cell of text: quoted when it must be, and never read as a
/// formula by a spreadsheet (a leading `=`, `+`, `-`, `@`, tab or CR gets a `'`).
fn cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_owned() };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The CSV of one list of the report (header row first, CRLF line ends).
pub fn csv(report: &ProgramReport, list: ReportList) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut row = |cells: Vec<String>| lines.push(cells.join(","));
    let c = |s: &str| cell(s);
    let partner = |r: &PartnerRow| {
        vec![
            c(&r.partner_id),
            c(&r.name),
            c(r.tier.as_str()),
            c(r.status.as_str()),
            c(&r.region),
            r.deals_registered.to_string(),
            r.deals_approved.to_string(),
            r.deals_won.to_string(),
            r.deals_lost.to_string(),
            opt(r.win_rate_pct),
            c(&report.currency),
            r.open_pipeline_minor.to_string(),
            r.won_revenue_minor.to_string(),
            r.won_revenue_12_months_minor.to_string(),
            r.leads_accepted.to_string(),
            r.leads_declined.to_string(),
            r.lead_sla_breaches.to_string(),
            r.mdf_allocated_minor.to_string(),
            r.mdf_used_minor.to_string(),
            r.onboarding_done.to_string(),
            r.onboarding_tasks.to_string(),
        ]
    };
    let partner_header = "partner_id,name,tier,status,region,deals_registered,deals_approved,deals_won,deals_lost,win_rate_pct,currency,open_pipeline_minor,won_revenue_minor,won_revenue_12_months_minor,leads_accepted,leads_declined,lead_sla_breaches,mdf_allocated_minor,mdf_used_minor,onboarding_done,onboarding_tasks";
    match list {
        ReportList::Partners | ReportList::Top => {
            row(vec![if list == ReportList::Top {
                format!("rank,{partner_header}")
            } else {
                partner_header.to_owned()
            }]);
            let rows = if list == ReportList::Top { &report.top_partners } else { &report.partners };
            for (i, r) in rows.iter().enumerate() {
                let mut cells = partner(r);
                if list == ReportList::Top {
                    cells.insert(0, (i + 1).to_string());
                }
                row(cells);
            }
        }
        ReportList::Tiers => {
            row(vec!["tier,onboarding,active,suspended,terminated,total".into()]);
            for t in &report.tiers {
                row(vec![
                    c(&t.tier),
                    t.onboarding.to_string(),
                    t.active.to_string(),
                    t.suspended.to_string(),
                    t.terminated.to_string(),
                    t.total.to_string(),
                ]);
            }
        }
        ReportList::Regions => {
            row(vec!["region,partners,active_partners,currency,open_pipeline_minor,won_revenue_minor,won_revenue_12_months_minor,deals_won".into()]);
            for r in &report.regions {
                row(vec![
                    c(&r.region),
                    r.partners.to_string(),
                    r.active_partners.to_string(),
                    c(&report.currency),
                    r.open_pipeline_minor.to_string(),
                    r.won_revenue_minor.to_string(),
                    r.won_revenue_12_months_minor.to_string(),
                    r.deals_won.to_string(),
                ]);
            }
        }
        ReportList::Mdf => {
            let m = &report.mdf;
            row(vec![
                "period,currency,allocations,allocated,reserved,claimed,paid,available,utilization_pct,paid_pct".into(),
            ]);
            row(vec![
                c(&report.period),
                c(&m.currency),
                m.allocations.to_string(),
                m.allocated.to_string(),
                m.reserved.to_string(),
                m.claimed.to_string(),
                m.paid.to_string(),
                m.available.to_string(),
                opt(m.utilization_pct),
                opt(m.paid_pct),
            ]);
        }
        ReportList::Onboarding => {
            row(vec!["stage,title,partners,pct".into()]);
            for s in &report.onboarding {
                row(vec![c(&s.stage), c(&s.title), s.partners.to_string(), opt(s.pct)]);
            }
        }
        ReportList::AtRisk => {
            row(vec!["partner_id,name,tier,status,reason,detail".into()]);
            for a in &report.at_risk {
                for r in &a.reasons {
                    row(vec![
                        c(&a.partner_id),
                        c(&a.name),
                        c(a.tier.as_str()),
                        c(a.status.as_str()),
                        c(&r.code),
                        c(&r.detail),
                    ]);
                }
            }
        }
    }
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

/// The program report: vendor staff. JSON, or one of its lists as CSV.
#[utoipa::path(
    get, path = "/v1/reports/program", tag = "program",
    params(ProgramReportQuery),
    responses(
        (status = 200, description = "The report, or one list of it as CSV with `format=csv`",
            content((ProgramReport = "application/json"), (String = "text/csv"))),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn program_report(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ProgramReportQuery>,
) -> ApiResult<Response> {
    caller.require_vendor()?;
    let at = now();
    let mut c = Checker::new();
    let nonempty = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let period = match nonempty(&q.period) {
        Some(p) => c.check("period", period(&p)),
        None => Some(format!("{}-H{}", at.year(), if at.month() <= 6 { 1 } else { 2 })),
    };
    let currency = match nonempty(&q.currency) {
        Some(cur) => c.check("currency", Money::parse(&Money { amount_minor: 0, currency: cur }).map(|m| m.currency)),
        None => Some("USD".to_owned()),
    };
    // `format` and `list` name choices: an empty one is not a choice (a 400), not the default.
    let csv_format = match q.format.as_deref().map(str::trim) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            c.fail("format", "must be json or csv");
            false
        }
    };
    let list = match q.list.as_deref() {
        Some(_) if !csv_format => {
            c.fail("list", "applies only with format=csv");
            None
        }
        Some(l) => c.check("list", ReportList::parse(l)),
        None => Some(ReportList::Partners),
    };
    c.finish()?;
    let (Some(period), Some(currency), Some(list)) = (period, currency, list) else {
        return Err(ApiError::Unexpected(anyhow::anyhow!("checked report query without values")));
    };
    let (partners, facts, checklist) = load(&st, &period).await?;
    let report = compute(&partners, &facts, &checklist, &period, &currency, at);
    if !csv_format {
        return Ok(axum::Json(report).into_response());
    }
    let mut res = csv(&report, list).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let name = format!("attachment; filename=\"program-{}-{period}.csv\"", list.as_str());
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).map_err(anyhow::Error::from)?);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboarding::{Checklist, Done};

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z").unwrap().to_utc()
    }

    fn partner(id: &str, name: &str, tier: Tier, status: PartnerStatus, region: &str, age_days: i64) -> Partner {
        Partner {
            id: id.into(),
            name: name.into(),
            partner_type: crate::domain::PartnerType::Reseller,
            tier,
            region: region.into(),
            country: "US".into(),
            specialties: vec![],
            contact_email: prm_shared::validate::EmailAddress::parse("a@b.example.com").unwrap(),
            status,
            created_at: at() - Duration::days(age_days),
            updated_at: at(),
            version: 1,
        }
    }

    fn counters(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn periods_have_their_first_and_last_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(period_days("2026"), Some((d("2026-01-01"), d("2026-12-31"))));
        assert_eq!(period_days("2026-H2"), Some((d("2026-07-01"), d("2026-12-31"))));
        assert_eq!(period_days("2026-Q1"), Some((d("2026-01-01"), d("2026-03-31"))));
        assert_eq!(period_days("2024-Q1").map(|(_, e)| e), Some(d("2024-03-31")));
        assert_eq!(period_days("2026-Q5"), None);
    }

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("Northwind"), "Northwind");
        assert_eq!(cell("Acme, Inc."), "\"Acme, Inc.\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn the_report_sums_partners_regions_mdf_and_the_funnel() {
        let partners = vec![
            partner("P1", "Northwind", Tier::Gold, PartnerStatus::Active, "NA", 400),
            partner("P2", "Contoso", Tier::Silver, PartnerStatus::Active, "emea", 400),
            partner("P3", "Fabrikam", Tier::Silver, PartnerStatus::Onboarding, "EMEA", 45),
            partner("P4", "Gone", Tier::Registered, PartnerStatus::Terminated, "NA", 900),
        ];
        let mut facts = HashMap::new();
        let done = Done { at: at(), by: "system".into() };
        let mut p1 = PartnerFacts {
            counters: counters(&[
                ("deals_won", 3),
                ("deals_lost", 1),
                ("won_USD", 900),
                ("won_2026-11_USD", 600),
                ("won_2025-06_USD", 300),
                ("won_EUR", 50),
                ("pipeline_USD", 400),
            ]),
            ..PartnerFacts::default()
        };
        p1.progress.done = [("agreement", done.clone()), ("profile", done.clone()), ("first-deal", done.clone())]
            .into_iter()
            .map(|(k, d)| (k.to_owned(), d))
            .collect();
        p1.progress.completed_at = Some(at());
        p1.mdf.push(Balances {
            partner_id: "P1".into(),
            currency: "USD".into(),
            allocated: 1000,
            reserved: 100,
            claimed: 50,
            paid: 50,
            available: 800,
        });
        facts.insert("P1".to_owned(), p1);
        let mut p2 = PartnerFacts {
            counters: counters(&[
                ("pipeline_USD", 100),
                ("leads_accepted", 1),
                ("leads_declined", 2),
                ("leads_lapsed", 3),
            ]),
            short_since: Some(at() - Duration::days(10)),
            ..PartnerFacts::default()
        };
        p2.progress.done.insert("agreement".into(), done.clone());
        facts.insert("P2".to_owned(), p2);
        let mut p3 = PartnerFacts::default();
        p3.progress.done.insert("agreement".into(), done);
        facts.insert("P3".to_owned(), p3);

        let r = compute(&partners, &facts, &Checklist::default(), "2026-H2", "USD", at());
        assert_eq!(r.partner_count, 4);
        assert_eq!(r.currencies, vec!["EUR", "USD"]);
        assert_eq!(
            r.tiers.iter().map(|t| (t.tier.as_str(), t.total)).collect::<Vec<_>>(),
            vec![("registered", 1), ("silver", 2), ("gold", 1)]
        );
        assert_eq!((r.tiers[1].active, r.tiers[1].onboarding), (1, 1));
        assert_eq!(
            r.partners.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            vec!["Contoso", "Fabrikam", "Gone", "Northwind"]
        );
        let nw = &r.partners[3];
        assert_eq!((nw.won_revenue_minor, nw.won_revenue_12_months_minor, nw.open_pipeline_minor), (900, 600, 400));
        assert_eq!((nw.win_rate_pct, nw.mdf_allocated_minor, nw.mdf_used_minor), (Some(75), 1000, 200));
        // EMEA and emea are one region.
        let emea = r.regions.iter().find(|x| x.region == "EMEA").unwrap();
        assert_eq!((emea.partners, emea.active_partners, emea.open_pipeline_minor), (2, 1, 100));
        assert_eq!(r.regions.len(), 2);
        assert_eq!(
            (r.mdf.allocated, r.mdf.available, r.mdf.utilization_pct, r.mdf.paid_pct),
            (1000, 800, Some(20), Some(5))
        );
        // Terminated partners are outside the funnel.
        let funnel: Vec<(&str, u32)> = r.onboarding.iter().map(|s| (s.stage.as_str(), s.partners)).collect();
        assert_eq!(funnel, vec![("joined", 3), ("agreement", 3), ("profile", 1), ("first-deal", 1), ("completed", 1)]);
        assert_eq!(r.top_partners.iter().map(|p| p.partner_id.as_str()).collect::<Vec<_>>(), vec!["P1"]);
        // Contoso: short of its tier, lapsed leads, low acceptance, no wins; Fabrikam: stalled onboarding;
        // Northwind: 20 % of its funds in use past mid-period. Gone: terminated, not listed.
        let risks: Vec<(&str, Vec<&str>)> = r
            .at_risk
            .iter()
            .map(|a| (a.partner_id.as_str(), a.reasons.iter().map(|x| x.code.as_str()).collect()))
            .collect();
        assert_eq!(
            risks,
            vec![
                ("P1", vec!["mdf_underused"]),
                ("P2", vec!["short_of_tier", "no_recent_wins", "lead_sla_breaches", "low_lead_acceptance"]),
                ("P3", vec!["stalled_onboarding"]),
            ]
        );
        let csv = csv(&r, ReportList::AtRisk);
        assert_eq!(csv.lines().count(), 7, "{csv}");
        assert!(
            csv.starts_with("partner_id,name,tier,status,reason,detail\r\nP1,Northwind,gold,active,mdf_underused,")
        );
        let top = super::csv(&r, ReportList::Top);
        assert!(
            top.lines().nth(1).unwrap().starts_with("1,P1,Northwind,gold,active,NA,0,0,3,1,75,USD,400,900,600,"),
            "{top}"
        );
    }
}
