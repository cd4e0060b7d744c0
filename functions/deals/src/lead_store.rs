//! Leads and per-partner lead counters in the single table.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | lead | `LEAD#{id}` | `LEAD` | gsi1 `LEADS`/id, gsi2 `PARTNER#{partner}#LEADS`/id (while assigned or accepted), gsi3 `LEADS#STATUS#{status}`/id |
//! | lead counters of a partner | `PARTNER#{id}` | `LEADSTATS` | |
//!
//! The counters (`open`, `accepted`, `declined`) change in the same
//! transaction as the lead; the capacity cap is a condition on `open`.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};
use prm_shared::cursor::CursorCodec;
use prm_shared::due::DueIndex;
use prm_shared::dynamo::{Db, GSI1, GSI2, GSI3, Keys, PK, Page, Stored, key, keys, n, owned_list, s, to_item};
use prm_shared::error::ApiResult;
use serde::{Deserialize, Serialize};

use crate::distribution::PartnerFacts;
use crate::lead::{Lead, LeadStatus};
use crate::store::TransitionError;

fn lead_pk(id: &str) -> String {
    format!("LEAD#{id}")
}

const LEADS: &str = "LEADS";

const STATS: &str = "LEADSTATS";

/// Assigned leads by their acceptance deadline: the lapse sweep's index.
pub const ACCEPT_DUE: DueIndex = DueIndex { name: "LEAD_ACCEPTANCE" };
/// Assigned leads by the time their partner is reminded to answer.
pub const ACCEPT_REMINDER_DUE: DueIndex = DueIndex { name: "LEAD_ACCEPTANCE_REMINDER" };
/// How long before the acceptance deadline the partner is reminded.
pub const ACCEPT_REMINDER_HOURS: i64 = 12;

/// When the partner of a lead to answer by `accept_by` is reminded.
pub fn accept_reminder_at(accept_by: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    accept_by - chrono::Duration::hours(ACCEPT_REMINDER_HOURS)
}

fn lead_item(l: &Lead) -> Stored<Lead> {
    let mut k = Keys::new(lead_pk(&l.id), "LEAD", "lead").with(GSI1, "LEADS", &l.id).with(
        GSI3,
        format!("LEADS#STATUS#{}", l.status.as_str()),
        &l.id,
    );
    if let Some(p) = &l.partner_id {
        k = k.with(GSI2, keys::owned(LEADS, p), &l.id);
    }
    Stored { keys: k, record: l.clone() }
}

/// What the deals function reads of a partner (the portal owns the item).
#[derive(Debug, Clone, Deserialize)]
struct PartnerView {
    id: String,
    tier: String,
    status: String,
    region: String,
    #[serde(default)]
    specialties: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stats {
    #[serde(default)]
    open: u64,
    #[serde(default)]
    accepted: u64,
    #[serde(default)]
    declined: u64,
}

/// Reads a lead.
pub async fn get_lead(db: &Db, id: &str) -> anyhow::Result<Option<Lead>> {
    Ok(db.get::<Stored<Lead>>(&lead_pk(id), "LEAD").await?.map(|i| i.record))
}

/// The partners of `region` with their lead counters (at most 1,000 partners).
pub async fn partner_facts(db: &Db, region: &str) -> anyhow::Result<Vec<PartnerFacts>> {
    let mut partners: Vec<PartnerView> = Vec::new();
    let mut start = None;
    loop {
        let out = db
            .client
            .query()
            .table_name(&db.table)
            .index_name(GSI3.name)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI3.pk)
            .expression_attribute_values(":pk", s(keys::partners_in_region(region)))
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("Query partners of a region")?;
        for item in out.items.unwrap_or_default() {
            partners.push(prm_shared::dynamo::from_item::<Stored<PartnerView>>(item)?.record);
        }
        start = out.last_evaluated_key;
        if start.is_none() || partners.len() >= 1000 {
            break;
        }
    }
    let mut stats: HashMap<String, Stats> = HashMap::new();
    for chunk in partners.chunks(100) {
        let mut request = KeysAndAttributes::builder();
        for p in chunk {
            request = request.keys(key(keys::partner(&p.id), STATS));
        }
        let mut pending = Some(HashMap::from([(db.table.clone(), request.build().context("building keys")?)]));
        // BatchGetItem may leave keys unprocessed under load: ask again for those.
        for _ in 0..5 {
            let Some(req) = pending.take().filter(|r| !r.is_empty()) else { break };
            let out =
                db.client.batch_get_item().set_request_items(Some(req)).send().await.context("BatchGetItem stats")?;
            for item in out.responses.unwrap_or_default().remove(&db.table).unwrap_or_default() {
                let pk = item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                let id = pk.trim_start_matches("PARTNER#").to_owned();
                stats.insert(id, prm_shared::dynamo::from_item(item)?);
            }
            pending = out.unprocessed_keys;
        }
    }
    Ok(partners
        .into_iter()
        .map(|p| {
            let st = stats.remove(&p.id).unwrap_or_default();
            PartnerFacts {
                region: keys::region(&p.region),
                specialties: p.specialties.iter().map(|s| s.to_lowercase()).collect(),
                id: p.id,
                tier: p.tier,
                status: p.status,
                accepted: st.accepted,
                declined: st.declined,
                open: st.open,
            }
        })
        .collect())
}

fn counter(
    db: &Db,
    partner_id: &str,
    expr: &str,
    values: Vec<(&str, i64)>,
    cap: Option<u64>,
) -> anyhow::Result<TransactWriteItem> {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key(keys::partner(partner_id), STATS)))
        .update_expression(expr)
        .expression_attribute_names("#open", "open");
    for name in ["accepted", "declined"] {
        if expr.contains(&format!("#{name}")) {
            u = u.expression_attribute_names(format!("#{name}"), name);
        }
    }
    for (k, v) in values {
        u = u.expression_attribute_values(k, n(v));
    }
    if let Some(cap) = cap {
        u = u
            .condition_expression("attribute_not_exists(#open) OR #open < :cap")
            .expression_attribute_values(":cap", n(i64::try_from(cap).unwrap_or(i64::MAX)));
    }
    Ok(TransactWriteItem::builder().update(u.build().context("building Update")?).build())
}

/// How the previous assignment ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accepted.
    Accepted,
    /// Declined or lapsed.
    Declined,
}

/// Why a lead write failed.
#[derive(Debug, thiserror::Error)]
pub enum LeadWriteError {
    /// The lead changed since it was read.
    #[error("stale")]
    Stale,
    /// The chosen partner reached its capacity meanwhile.
    #[error("partner at capacity")]
    Capacity,
    /// The condition of the extra write at this position failed.
    #[error("extra write {0} refused")]
    Extra(usize),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Writes `next` over `current` (none for a new lead): the previous partner's
/// answer and the new partner's open lead move the counters in the same
/// transaction, the latter only while the partner is under `capacity`.
/// `extra` writes (outbox, a registration) commit with it.
pub async fn write(
    db: &Db,
    current: Option<&Lead>,
    next: &Lead,
    answer: Option<(&str, Answer)>,
    capacity: u64,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), LeadWriteError> {
    let mut put = Put::builder().table_name(&db.table).set_item(Some(to_item(&lead_item(next))?));
    put = match current {
        None => put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
        Some(c) => put
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", n(i64::try_from(c.version).unwrap_or(i64::MAX))),
    };
    let mut items = vec![TransactWriteItem::builder().put(put.build().context("building Put")?).build()];
    if let Some((partner, a)) = answer {
        let expr = match a {
            Answer::Accepted => "ADD #open :minus, #accepted :one",
            Answer::Declined => "ADD #open :minus, #declined :one",
        };
        items.push(counter(db, partner, expr, vec![(":minus", -1), (":one", 1)], None)?);
    }
    let assigned_index = items.len();
    let newly_assigned = next.status == LeadStatus::Assigned
        && (current.is_none_or(|c| c.partner_id != next.partner_id || c.status != LeadStatus::Assigned));
    if let (true, Some(p)) = (newly_assigned, &next.partner_id) {
        items.push(counter(db, p, "ADD #open :one", vec![(":one", 1)], Some(capacity))?);
    }
    // The acceptance deadline moves with the assignment.
    let old_due = current.filter(|c| c.status == LeadStatus::Assigned).and_then(|c| c.accept_by);
    let new_due = Some(next).filter(|n| n.status == LeadStatus::Assigned).and_then(|n| n.accept_by);
    if old_due != new_due {
        if let Some(at) = old_due {
            items.push(ACCEPT_DUE.delete(db, at, &next.id)?);
            items.push(ACCEPT_REMINDER_DUE.delete(db, accept_reminder_at(at), &next.id)?);
        }
        if let Some(at) = new_due {
            items.push(ACCEPT_DUE.put(db, at, &next.id)?);
            items.push(ACCEPT_REMINDER_DUE.put(db, accept_reminder_at(at), &next.id)?);
        }
    }
    let (base, extra) = (items.len(), outbox.len());
    items.extend(outbox);
    db.transact(items).await.map_err(|e| {
        if let Some(k) = (0..extra).find(|k| e.condition_failed(base + k)) {
            LeadWriteError::Extra(k)
        } else if e.condition_failed(0) {
            LeadWriteError::Stale
        } else if newly_assigned && e.condition_failed(assigned_index) {
            LeadWriteError::Capacity
        } else {
            match e {
                prm_shared::dynamo::TransactError::Cancelled(r) if r.iter().any(|c| c == "TransactionConflict") => {
                    LeadWriteError::Stale
                }
                other => LeadWriteError::Other(anyhow::anyhow!("{other}")),
            }
        }
    })
}

impl From<LeadWriteError> for TransitionError {
    fn from(e: LeadWriteError) -> Self {
        match e {
            LeadWriteError::Stale | LeadWriteError::Capacity => TransitionError::Stale,
            LeadWriteError::Extra(k) => TransitionError::Other(anyhow::anyhow!("extra write {k} refused")),
            LeadWriteError::Other(e) => TransitionError::Other(e),
        }
    }
}

/// Filters of the lead list.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// Only leads of this partner.
    pub partner_id: Option<String>,
    /// Only this status.
    pub status: Option<LeadStatus>,
}

/// One page of leads, oldest first.
pub async fn list_leads(
    db: &Db,
    codec: &CursorCodec,
    f: &LeadFilter,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Lead>> {
    let query = owned_list(LEADS, f.partner_id.as_deref(), f.status.map(LeadStatus::as_str));
    let page: Page<Stored<Lead>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}
