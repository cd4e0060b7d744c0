//! Deals in the single table.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | deal | `DEAL#{id}` | `DEAL` | gsi1 `DEALS`/id, gsi2 `PARTNER#{partner}#DEALS`/id, gsi3 `DEALS#STATUS#{status}`/id |
//! | open registration of a customer key | `CUSTOMER#{key}` | `DEAL#{id}` | |
//! | one open registration per partner and customer | `CUSTOMER#{primary key}#PARTNER#{partner}` | `OPEN` | |
//! | protection of a customer key | `PROTECTION#{key}` | `PROTECTION` | |
//!
//! Keys are `d:{registrable domain}` or `n:{normalized company name}`. The
//! per-partner claim makes a duplicate registration a conditional-write
//! failure; the protection items make "one approved, unexpired registration
//! per customer" a conditional-write failure. Neither is a read-then-write.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use prm_shared::cursor::CursorCodec;
use prm_shared::due::DueIndex;
use prm_shared::dynamo::{
    Db, Filter, GSI1, GSI2, GSI3, Item, Keys, PK, Page, Stored, TransactError, key, keys, n, owned_list,
    put_if_unchanged, s, to_item,
};
use prm_shared::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerKeys, MatchReason};
use crate::domain::{Deal, DealStatus};

fn deal_pk(id: &str) -> String {
    format!("DEAL#{id}")
}
const DEALS: &str = "DEALS";
fn customer_pk(key: &str) -> String {
    format!("CUSTOMER#{key}")
}
fn claim_pk(primary: &str, partner_id: &str) -> String {
    format!("CUSTOMER#{primary}#PARTNER#{partner_id}")
}
fn protection_pk(key: &str) -> String {
    format!("PROTECTION#{key}")
}

fn deal_item(d: &Deal) -> Stored<Deal> {
    let keys = Keys::new(deal_pk(&d.id), "DEAL", "deal")
        .with(GSI1, keys::all(DEALS), &d.id)
        .with(GSI2, keys::owned(DEALS, &d.partner_id), &d.id)
        .with(GSI3, keys::by_status(DEALS, d.status.as_str()), &d.id);
    Stored { keys, record: d.clone() }
}

#[derive(Debug, Serialize, Deserialize)]
struct CustomerEntry {
    pk: String,
    sk: String,
    entity: String,
    deal_id: String,
    partner_id: String,
    status: DealStatus,
    protection_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Protection {
    pk: String,
    sk: String,
    entity: String,
    deal_id: String,
    partner_id: String,
    /// Epoch seconds, for the takeover condition.
    expires_at: i64,
}

fn entries(d: &Deal) -> Vec<CustomerEntry> {
    d.keys()
        .all()
        .into_iter()
        .map(|(k, _)| CustomerEntry {
            pk: customer_pk(&k),
            sk: format!("DEAL#{}", d.id),
            entity: "customer-registration".into(),
            deal_id: d.id.clone(),
            partner_id: d.partner_id.clone(),
            status: d.status,
            protection_expires_at: d.protection_expires_at,
        })
        .collect()
}

/// A condition expression with its placeholders (same shape as a filter).
type Condition = Filter;

fn cond(expression: &str, names: &[(&str, &str)], values: Vec<(&str, AttributeValue)>) -> Option<Condition> {
    Some(Condition {
        expression: expression.to_owned(),
        names: names.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    })
}

fn put(db: &Db, item: Item, condition: Option<Condition>) -> anyhow::Result<TransactWriteItem> {
    let mut p = Put::builder().table_name(&db.table).set_item(Some(item));
    if let Some(c) = condition {
        p = p.condition_expression(c.expression).set_expression_attribute_names(Some(c.names));
        if !c.values.is_empty() {
            p = p.set_expression_attribute_values(Some(c.values));
        }
    }
    Ok(TransactWriteItem::builder().put(p.build().context("building Put")?).build())
}

fn delete(db: &Db, pk: String, sk: &str) -> anyhow::Result<TransactWriteItem> {
    let d = Delete::builder().table_name(&db.table).set_key(Some(key(pk, sk))).build().context("building Delete")?;
    Ok(TransactWriteItem::builder().delete(d).build())
}

fn new_item_condition() -> Option<Condition> {
    cond("attribute_not_exists(#pk)", &[("#pk", PK)], vec![])
}

/// Reads a deal.
pub async fn get_deal(db: &Db, id: &str) -> anyhow::Result<Option<Deal>> {
    Ok(db.get::<Stored<Deal>>(&deal_pk(id), "DEAL").await?.map(|i| i.record))
}

/// Other partners' open registrations of the same customer: the reasons they
/// match and their deal ids.
pub async fn find_conflicts(
    db: &Db,
    keys: &CustomerKeys,
    partner_id: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<MatchReason>, Vec<String>)> {
    let mut reasons = BTreeSet::new();
    let mut deals = BTreeSet::new();
    for (k, reason) in keys.all() {
        let registrations: Vec<CustomerEntry> = db.partition(&customer_pk(&k), None, 100).await?;
        for e in registrations {
            let live = match e.status {
                DealStatus::Submitted => true,
                DealStatus::Approved => e.protection_expires_at.is_none_or(|x| x > now),
                _ => false,
            };
            if live && e.partner_id != partner_id {
                reasons.insert(reason);
                deals.insert(e.deal_id);
            }
        }
    }
    Ok((reasons.into_iter().collect(), deals.into_iter().collect()))
}

/// Why a registration was not stored.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The partner already has an open registration for this customer.
    #[error("duplicate")]
    Duplicate,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Stores a new registration with its customer entries and the partner's claim.
pub async fn register(db: &Db, deal: &Deal, outbox: Vec<TransactWriteItem>) -> Result<(), RegisterError> {
    let mut items = registration_items(db, deal)?;
    items.extend(outbox);
    match db.transact(items).await {
        Ok(()) => Ok(()),
        Err(e) if e.condition_failed(REGISTRATION_CLAIM) => Err(RegisterError::Duplicate),
        Err(e) => Err(RegisterError::Other(anyhow::anyhow!("{e}"))),
    }
}

/// Where the partner's claim on the customer stands in [`registration_items`]:
/// its condition failing means a duplicate.
pub const REGISTRATION_CLAIM: usize = 1;

/// The writes of a new registration: the deal, the partner's claim on the
/// customer, the customer entries and the review deadline.
pub fn registration_items(db: &Db, deal: &Deal) -> anyhow::Result<Vec<TransactWriteItem>> {
    let keys = deal.keys();
    let primary = keys.primary().context("a registration without a customer key")?;
    let mut items = vec![put(db, to_item(&deal_item(deal))?, new_item_condition())?];
    let claim = HashMap::from([
        ("pk".to_owned(), s(claim_pk(primary, &deal.partner_id))),
        ("sk".to_owned(), s("OPEN")),
        ("entity".to_owned(), s("customer-claim")),
        ("deal_id".to_owned(), s(&deal.id)),
    ]);
    items.push(put(db, claim, new_item_condition())?);
    for e in entries(deal) {
        items.push(put(db, to_item(&e)?, None)?);
    }
    if let Some(review) = deal.review_due_at {
        items.push(REVIEW_DUE.put(db, review, &deal.id)?);
    }
    if let Some(rid) = &deal.mdf_request_id {
        // The fund request's sourced deals, for the MDF ROI report.
        let link = HashMap::from([
            ("pk".to_owned(), s(format!("MDFREQUEST#{rid}"))),
            ("sk".to_owned(), s(format!("DEAL#{}", deal.id))),
            ("entity".to_owned(), s("mdf-sourced-deal")),
            ("deal_id".to_owned(), s(&deal.id)),
        ]);
        items.push(put(db, link, None)?);
    }
    Ok(items)
}

/// Why a transition was not stored.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// The deal changed since it was read: read it again and retry.
    #[error("stale")]
    Stale,
    /// Another deal protects the customer.
    #[error("customer protected")]
    CustomerProtected,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn map_cancel(e: TransactError, protection_items: std::ops::Range<usize>) -> TransitionError {
    if e.condition_failed(0) {
        return TransitionError::Stale;
    }
    if protection_items.clone().any(|i| e.condition_failed(i)) {
        return TransitionError::CustomerProtected;
    }
    match e {
        TransactError::Cancelled(r) if r.iter().any(|c| c == "TransactionConflict") => TransitionError::Stale,
        other => TransitionError::Other(anyhow::anyhow!("{other}")),
    }
}

/// Approved deals by the end of their protection: the expiry sweep's index.
pub const PROTECTION_DUE: DueIndex = DueIndex { name: "DEAL_PROTECTION" };
/// Approved deals by the day their partner is told protection ends soon.
pub const PROTECTION_REMINDER_DUE: DueIndex = DueIndex { name: "DEAL_PROTECTION_REMINDER" };
/// How long before protection ends the partner is reminded.
pub const PROTECTION_REMINDER_DAYS: i64 = 7;

/// When the partner of a deal protected until `until` is reminded.
pub fn protection_reminder_at(until: DateTime<Utc>) -> DateTime<Utc> {
    until - chrono::Duration::days(PROTECTION_REMINDER_DAYS)
}

/// Submitted deals by the end of their review period: the overdue sweep's index.
pub const REVIEW_DUE: DueIndex = DueIndex { name: "DEAL_REVIEW" };

/// Writes `next` (approved, or an approved deal with a later expiry) and
/// claims or extends the customer's protection items, unless another deal's
/// unexpired protection holds them; moves the deal's entry in the expiry index.
pub async fn protect(
    db: &Db,
    current: &Deal,
    next: &Deal,
    now: DateTime<Utc>,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), TransitionError> {
    let until = next.protection_expires_at.context("protection without expiry")?;
    let expires = until.timestamp();
    let mut items = vec![put_if_unchanged(db, &deal_item(next), current.version, current.status.as_str())?];
    let keys = next.keys().all();
    for (k, _) in &keys {
        let p = Protection {
            pk: protection_pk(k),
            sk: "PROTECTION".into(),
            entity: "customer-protection".into(),
            deal_id: next.id.clone(),
            partner_id: next.partner_id.clone(),
            expires_at: expires,
        };
        let takeover = cond(
            "attribute_not_exists(#pk) OR #exp < :now OR #deal = :deal",
            &[("#pk", PK), ("#exp", "expires_at"), ("#deal", "deal_id")],
            vec![(":now", n(now.timestamp())), (":deal", s(&next.id))],
        );
        items.push(put(db, to_item(&p)?, takeover)?);
    }
    for e in entries(next) {
        items.push(put(db, to_item(&e)?, None)?);
    }
    if let Some(old) = current.protection_expires_at {
        items.push(PROTECTION_DUE.delete(db, old, &current.id)?);
        items.push(PROTECTION_REMINDER_DUE.delete(db, protection_reminder_at(old), &current.id)?);
    }
    if let (DealStatus::Submitted, Some(review)) = (current.status, current.review_due_at) {
        items.push(REVIEW_DUE.delete(db, review, &current.id)?);
    }
    items.push(PROTECTION_DUE.put(db, until, &next.id)?);
    items.push(PROTECTION_REMINDER_DUE.put(db, protection_reminder_at(until), &next.id)?);
    items.extend(outbox);
    db.transact(items).await.map_err(|e| map_cancel(e, 1..1 + keys.len()))
}

/// Writes a change of `current` that touches nothing but the deal itself.
pub async fn update(
    db: &Db,
    current: &Deal,
    next: &Deal,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), TransitionError> {
    let mut items = vec![put_if_unchanged(db, &deal_item(next), current.version, current.status.as_str())?];
    items.extend(outbox);
    db.transact(items).await.map_err(|e| map_cancel(e, 0..0))
}

/// Moves `current` to a closing status (`next`: rejected, won, lost, expired):
/// the customer entries and the partner's claim go, and so do the protection
/// items this deal still holds.
pub async fn close(
    db: &Db,
    current: &Deal,
    next: &Deal,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), TransitionError> {
    let mut items = vec![put_if_unchanged(db, &deal_item(next), current.version, current.status.as_str())?];
    if let Some(old) = current.protection_expires_at {
        items.push(PROTECTION_DUE.delete(db, old, &current.id)?);
        items.push(PROTECTION_REMINDER_DUE.delete(db, protection_reminder_at(old), &current.id)?);
    }
    if let (DealStatus::Submitted, Some(review)) = (current.status, current.review_due_at) {
        items.push(REVIEW_DUE.delete(db, review, &current.id)?);
    }
    let keys = current.keys();
    if let Some(primary) = keys.primary() {
        items.push(delete(db, claim_pk(primary, &current.partner_id), "OPEN")?);
    }
    for (k, _) in keys.all() {
        items.push(delete(db, customer_pk(&k), &format!("DEAL#{}", current.id))?);
        // Release only what this deal holds (another may have taken over after expiry).
        let held: Option<Protection> = db.get(&protection_pk(&k), "PROTECTION").await?;
        if held.is_some_and(|p| p.deal_id == current.id) {
            let d = Delete::builder()
                .table_name(&db.table)
                .set_key(Some(key(protection_pk(&k), "PROTECTION")))
                .condition_expression("#deal = :deal")
                .expression_attribute_names("#deal", "deal_id")
                .expression_attribute_values(":deal", s(&current.id))
                .build()
                .context("building Delete")?;
            items.push(TransactWriteItem::builder().delete(d).build());
        }
    }
    items.extend(outbox);
    db.transact(items).await.map_err(|e| match map_cancel(e, 0..0) {
        // A protection item that changed hands since it was read: read again.
        TransitionError::Other(_) => TransitionError::Stale,
        other => other,
    })
}

/// Filters of the deal list.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    /// Only this partner's deals.
    pub partner_id: Option<String>,
    /// Only this status.
    pub status: Option<DealStatus>,
}

/// One page of deals, oldest first.
pub async fn list_deals(
    db: &Db,
    codec: &CursorCodec,
    f: &DealFilter,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Deal>> {
    let query = owned_list(DEALS, f.partner_id.as_deref(), f.status.map(DealStatus::as_str));
    let page: Page<Stored<Deal>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::Stale => ApiError::Conflict("the deal changed at the same time; read it and retry".into()),
            TransitionError::CustomerProtected => {
                ApiError::Conflict("another approved, unexpired registration protects this customer".into())
            }
            TransitionError::Other(e) => ApiError::Unexpected(e),
        }
    }
}
