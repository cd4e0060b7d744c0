//! Funds in the single table.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | allocation (balances) | `PARTNER#{partner}` | `MDF#{period}#{fund type}` | gsi1 `MDF_ALLOCATIONS` / `{period}#{partner}#{fund type}` |
//! | ledger entry | `MDFLEDGER#{partner}#{period}#{fund type}` | `{ulid}` | |
//! | fund request | `MDFREQUEST#{id}` | `MDFREQUEST` | gsi1 `MDFREQUESTS`/id, gsi2 `PARTNER#{partner}#MDFREQUESTS`/id, gsi3 `MDFREQUESTS#STATUS#{status}`/id |
//!
//! The balance invariant `reserved + claimed + paid <= allocated` holds because
//! `available` is kept beside the other balances and every reservation is a
//! conditional update `available >= amount`, in the same transaction as the
//! request's change and its ledger entry: never a read-then-write.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use prm_shared::cursor::CursorCodec;
use prm_shared::due::DueIndex;
use prm_shared::dynamo::{
    Db, GSI1, GSI2, GSI3, Keys, PK, Page, PageQuery, Stored, TransactError, keys, n, owned_list, put_if_unchanged, s,
    to_item,
};
use prm_shared::error::ApiResult;

use crate::domain::{Allocation, Claim, FundRequest, FundType, LedgerEntry, RequestStatus};

const REQUESTS: &str = "MDFREQUESTS";

/// Approved requests by the day their partner is reminded to claim.
pub const CLAIM_REMINDER_DUE: DueIndex = DueIndex { name: "MDF_CLAIM_REMINDER" };
/// Approved requests by the end of their claim window.
pub const CLAIM_CLOSE_DUE: DueIndex = DueIndex { name: "MDF_CLAIM_CLOSE" };

fn allocation_sk(period: &str, fund: FundType) -> String {
    format!("MDF#{period}#{}", fund.as_str())
}

fn ledger_pk(partner_id: &str, period: &str, fund: FundType) -> String {
    format!("MDFLEDGER#{partner_id}#{period}#{}", fund.as_str())
}

fn allocation_item(a: &Allocation) -> Stored<Allocation> {
    let keys = Keys::new(keys::partner(&a.partner_id), allocation_sk(&a.period, a.fund_type), "mdf-allocation").with(
        GSI1,
        "MDF_ALLOCATIONS",
        format!("{}#{}#{}", a.period, a.partner_id, a.fund_type.as_str()),
    );
    Stored { keys, record: a.clone() }
}

fn request_item(r: &FundRequest) -> Stored<FundRequest> {
    let keys = Keys::new(format!("MDFREQUEST#{}", r.id), "MDFREQUEST", "mdf-request")
        .with(GSI1, keys::all(REQUESTS), &r.id)
        .with(GSI2, keys::owned(REQUESTS, &r.partner_id), &r.id)
        .with(GSI3, keys::by_status(REQUESTS, r.status.as_str()), &r.id);
    Stored { keys, record: r.clone() }
}

/// The ledger entry write of a movement on `a`'s fund.
fn ledger_put(
    db: &Db,
    partner_id: &str,
    period: &str,
    fund: FundType,
    e: &LedgerEntry,
) -> anyhow::Result<TransactWriteItem> {
    let keys = Keys::new(ledger_pk(partner_id, period, fund), &e.id, "mdf-ledger");
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(to_item(&Stored { keys, record: e.clone() })?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building ledger Put")?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The first item's condition failed (exists already, or changed since read).
    #[error("conflict")]
    Conflict,
    /// The allocation is missing or cannot cover the amount.
    #[error("insufficient funds")]
    Insufficient,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn map(e: TransactError) -> WriteError {
    if e.condition_failed(0) {
        WriteError::Conflict
    } else if e.condition_failed(1) {
        WriteError::Insufficient
    } else {
        match e {
            TransactError::Cancelled(r) if r.iter().any(|c| c == "TransactionConflict") => WriteError::Conflict,
            other => WriteError::Other(anyhow::anyhow!("{other}")),
        }
    }
}

/// Creates an allocation (one per partner, period and fund type) with its ledger entry.
pub async fn create_allocation(
    db: &Db,
    a: &Allocation,
    entry: &LedgerEntry,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(to_item(&allocation_item(a))?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building allocation Put")?;
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    items.push(ledger_put(db, &a.partner_id, &a.period, a.fund_type, entry)?);
    items.extend(outbox);
    db.transact(items).await.map_err(map)
}

/// Reads an allocation.
pub async fn get_allocation(
    db: &Db,
    partner_id: &str,
    period: &str,
    fund: FundType,
) -> anyhow::Result<Option<Allocation>> {
    Ok(db.get::<Stored<Allocation>>(&keys::partner(partner_id), &allocation_sk(period, fund)).await?.map(|i| i.record))
}

/// One page of allocations: of a partner (optionally one period), or of every
/// partner (optionally one period).
pub async fn list_allocations(
    db: &Db,
    codec: &CursorCodec,
    partner_id: Option<&str>,
    period: Option<&str>,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Allocation>> {
    let prefix = period.map(|p| format!("{p}#"));
    let query = match partner_id {
        Some(p) => PageQuery {
            index: None,
            pk: keys::partner(p),
            sk_prefix: Some(prefix.map_or("MDF#".to_owned(), |x| format!("MDF#{x}"))),
            sk_between: None,
            filter: None,
            forward: true,
            scope: format!("mdf-allocations|partner={p}|period={}", period.unwrap_or("")),
        },
        None => PageQuery {
            index: Some(GSI1),
            pk: "MDF_ALLOCATIONS".into(),
            sk_prefix: prefix,
            sk_between: None,
            filter: None,
            forward: true,
            scope: format!("mdf-allocations|partner=|period={}", period.unwrap_or("")),
        },
    };
    let page: Page<Stored<Allocation>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}

/// Stores a new fund request.
pub async fn create_request(db: &Db, r: &FundRequest, outbox: Vec<TransactWriteItem>) -> Result<(), WriteError> {
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(to_item(&request_item(r))?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building request Put")?;
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    items.extend(outbox);
    db.transact(items).await.map_err(map)
}

/// Reads a fund request.
pub async fn get_request(db: &Db, id: &str) -> anyhow::Result<Option<FundRequest>> {
    Ok(db.get::<Stored<FundRequest>>(&format!("MDFREQUEST#{id}"), "MDFREQUEST").await?.map(|i| i.record))
}

fn request_put(db: &Db, current: &FundRequest, next: &FundRequest) -> anyhow::Result<TransactWriteItem> {
    put_if_unchanged(db, &request_item(next), current.version, current.status.as_str())
}

/// Approves `current` as `next`, reserving `amount` of its allocation: the
/// request, the balance and the ledger entry commit together, and only while
/// the allocation has that much available (in the request's currency).
pub async fn approve(
    db: &Db,
    current: &FundRequest,
    next: &FundRequest,
    amount: i64,
    entry: &LedgerEntry,
    at: DateTime<Utc>,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let reserve = Update::builder()
        .table_name(&db.table)
        .set_key(Some(prm_shared::dynamo::key(
            keys::partner(&next.partner_id),
            allocation_sk(&next.period, next.fund_type),
        )))
        .update_expression("SET #available = #available - :amount, #reserved = #reserved + :amount, #updated = :at")
        .condition_expression("attribute_exists(#pk) AND #available >= :amount AND #currency = :currency")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#available", "available")
        .expression_attribute_names("#reserved", "reserved")
        .expression_attribute_names("#updated", "updated_at")
        .expression_attribute_names("#currency", "currency")
        .expression_attribute_values(":amount", n(amount))
        .expression_attribute_values(":at", s(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .expression_attribute_values(":currency", s(&next.requested_amount.currency))
        .build()
        .context("building reserve Update")?;
    let mut items = vec![request_put(db, current, next)?, TransactWriteItem::builder().update(reserve).build()];
    items.push(ledger_put(db, &next.partner_id, &next.period, next.fund_type, entry)?);
    items.extend(outbox);
    db.transact(items).await.map_err(map)
}

/// Changes a request where no funds move (rejection, reminder), with `extra`
/// writes (outbox, due entries) in the same transaction.
pub async fn update_request(
    db: &Db,
    current: &FundRequest,
    next: &FundRequest,
    extra: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let mut items = vec![request_put(db, current, next)?];
    items.extend(extra);
    db.transact(items).await.map_err(map)
}

/// Closes the claim window of `current` as `next`: the unclaimed `released`
/// amount goes from reserved back to available, with its ledger entry.
pub async fn close_request(
    db: &Db,
    current: &FundRequest,
    next: &FundRequest,
    released: i64,
    entry: &LedgerEntry,
    extra: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let mut items = vec![request_put(db, current, next)?];
    if released > 0 {
        items.push(balances(
            db,
            &next.partner_id,
            &next.period,
            next.fund_type,
            &[("reserved", -released), ("available", released)],
            next.updated_at,
        )?);
        items.push(ledger_put(db, &next.partner_id, &next.period, next.fund_type, entry)?);
    }
    items.extend(extra);
    db.transact(items).await.map_err(map)
}

/// Why an accrual was not written.
#[derive(Debug, thiserror::Error)]
pub enum AccrueError {
    /// This deal accrued already.
    #[error("already accrued")]
    Duplicate,
    /// The partner's co-op fund for the period is in another currency.
    #[error("the co-op fund is in another currency")]
    Currency,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Credits `amount` of co-op to the partner's fund for the period (creating
/// the fund at zero if it is new), once per deal: a marker item keyed by the
/// deal, the balance change and the ledger entry commit together.
pub async fn accrue(
    db: &Db,
    fund: &Allocation,
    amount: i64,
    deal_id: &str,
    entry: &LedgerEntry,
    extra: Vec<TransactWriteItem>,
) -> Result<(), AccrueError> {
    let marker = Put::builder()
        .table_name(&db.table)
        .set_item(Some(to_item(&Stored {
            keys: Keys::new(format!("COOPACCRUAL#{deal_id}"), "COOPACCRUAL", "coop-accrual"),
            record: serde_json::json!({"deal_id": deal_id, "ledger_entry_id": entry.id, "amount_minor": amount}),
        })?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building accrual marker")?;
    // Every attribute of a new fund is set only if absent; the balances that
    // grow are added to; a fund in another currency refuses.
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(prm_shared::dynamo::key(
            keys::partner(&fund.partner_id),
            allocation_sk(&fund.period, fund.fund_type),
        )))
        .condition_expression("attribute_not_exists(#pk) OR #currency = :currency")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#currency", "currency")
        .expression_attribute_values(":currency", s(&fund.currency))
        .expression_attribute_names("#allocated", "allocated")
        .expression_attribute_names("#available", "available")
        .expression_attribute_values(":amount", n(amount));
    let mut sets = vec!["#currency = if_not_exists(#currency, :currency)".to_owned()];
    let item = to_item(&allocation_item(fund))?;
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    for (i, name) in names.into_iter().enumerate() {
        if matches!(name.as_str(), "pk" | "sk" | "currency" | "allocated" | "available") {
            continue;
        }
        let Some(value) = item.get(name) else { continue };
        u = u
            .expression_attribute_names(format!("#a{i}"), name)
            .expression_attribute_values(format!(":v{i}"), value.clone());
        sets.push(if name == "updated_at" {
            format!("#a{i} = :v{i}")
        } else {
            format!("#a{i} = if_not_exists(#a{i}, :v{i})")
        });
    }
    u = u.update_expression(format!("SET {} ADD #allocated :amount, #available :amount", sets.join(", ")));
    let items = [
        TransactWriteItem::builder().put(marker).build(),
        TransactWriteItem::builder().update(u.build().context("building accrual Update")?).build(),
        ledger_put(db, &fund.partner_id, &fund.period, fund.fund_type, entry)?,
    ];
    match db.transact(items.into_iter().chain(extra).collect()).await {
        Ok(()) => Ok(()),
        Err(e) if e.condition_failed(0) => Err(AccrueError::Duplicate),
        Err(e) if e.condition_failed(1) => Err(AccrueError::Currency),
        Err(e) => Err(AccrueError::Other(anyhow::anyhow!("{e}"))),
    }
}

/// Every fund request of a partner for a period (at most 5,000), for reports.
pub async fn requests_of(db: &Db, partner_id: &str, period: &str) -> anyhow::Result<Vec<FundRequest>> {
    let items: Vec<Stored<FundRequest>> =
        db.whole_partition(Some(GSI2), &keys::owned(REQUESTS, partner_id), None, 5000).await?;
    Ok(items.into_iter().map(|i| i.record).filter(|r| r.period == period).collect())
}

/// Every claim of a partner for a period (at most 5,000), for reports.
pub async fn claims_of(db: &Db, partner_id: &str, period: &str) -> anyhow::Result<Vec<Claim>> {
    let items: Vec<Stored<Claim>> =
        db.whole_partition(Some(GSI2), &keys::owned("MDFCLAIMS", partner_id), None, 5000).await?;
    Ok(items.into_iter().map(|i| i.record).filter(|c| c.period == period).collect())
}

/// One page of fund requests, by partner and status.
pub async fn list_requests(
    db: &Db,
    codec: &CursorCodec,
    partner_id: Option<&str>,
    status: Option<RequestStatus>,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<FundRequest>> {
    let query = owned_list(REQUESTS, partner_id, status.map(RequestStatus::as_str));
    let page: Page<Stored<FundRequest>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}

/// Every ledger entry of an allocation, oldest first (at most 5,000).
pub async fn ledger(db: &Db, partner_id: &str, period: &str, fund: FundType) -> anyhow::Result<Vec<LedgerEntry>> {
    let entries: Vec<Stored<LedgerEntry>> = db.partition(&ledger_pk(partner_id, period, fund), None, 1000).await?;
    Ok(entries.into_iter().map(|e| e.record).collect())
}

/// A change of an allocation's balances: `(attribute, delta)` pairs, applied
/// with `ADD` (the allocation must exist).
fn balances(
    db: &Db,
    partner_id: &str,
    period: &str,
    fund: FundType,
    deltas: &[(&str, i64)],
    at: DateTime<Utc>,
) -> anyhow::Result<TransactWriteItem> {
    let mut u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(prm_shared::dynamo::key(keys::partner(partner_id), allocation_sk(period, fund))))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#updated", "updated_at")
        .expression_attribute_values(":at", s(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
    let mut adds = Vec::new();
    for (i, (attr, delta)) in deltas.iter().enumerate() {
        u = u
            .expression_attribute_names(format!("#b{i}"), *attr)
            .expression_attribute_values(format!(":d{i}"), n(*delta));
        adds.push(format!("#b{i} :d{i}"));
    }
    u = u.update_expression(format!("SET #updated = :at ADD {}", adds.join(", ")));
    Ok(TransactWriteItem::builder().update(u.build().context("building balance Update")?).build())
}

fn claim_item(c: &Claim) -> Stored<Claim> {
    let keys = Keys::new(format!("MDFCLAIM#{}", c.id), "MDFCLAIM", "mdf-claim")
        .with(GSI1, keys::all("MDFCLAIMS"), &c.id)
        .with(GSI2, keys::owned("MDFCLAIMS", &c.partner_id), &c.id)
        .with(GSI3, keys::by_status("MDFCLAIMS", c.status.as_str()), &c.id);
    Stored { keys, record: c.clone() }
}

/// One page of claims, by partner and status.
pub async fn list_claims(
    db: &Db,
    codec: &CursorCodec,
    partner_id: Option<&str>,
    status: Option<crate::domain::ClaimStatus>,
    limit: usize,
    cursor: Option<&str>,
) -> ApiResult<Page<Claim>> {
    let query = owned_list("MDFCLAIMS", partner_id, status.map(crate::domain::ClaimStatus::as_str));
    let page: Page<Stored<Claim>> = db.query_page(&query, limit, cursor, codec).await?;
    Ok(Page { items: page.items.into_iter().map(|i| i.record).collect(), next_cursor: page.next_cursor })
}

/// Reads a claim.
pub async fn get_claim(db: &Db, id: &str) -> anyhow::Result<Option<Claim>> {
    Ok(db.get::<Stored<Claim>>(&format!("MDFCLAIM#{id}"), "MDFCLAIM").await?.map(|i| i.record))
}

/// Stores a new claim: it draws on the request's unclaimed approval (only
/// while that covers it) and moves its amount from reserved to claimed.
pub async fn create_claim(
    db: &Db,
    c: &Claim,
    entry: &LedgerEntry,
    outbox: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let amount = c.amount.amount_minor;
    let draw = Update::builder()
        .table_name(&db.table)
        .set_key(Some(prm_shared::dynamo::key(format!("MDFREQUEST#{}", c.request_id), "MDFREQUEST")))
        .update_expression("SET #claimable = #claimable - :amount, #version = #version + :one")
        .condition_expression("#status = :approved AND #claimable >= :amount")
        .expression_attribute_names("#claimable", "claimable_minor")
        .expression_attribute_names("#version", "version")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":amount", n(amount))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":approved", s(RequestStatus::Approved.as_str()))
        .build()
        .context("building claim draw")?;
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(to_item(&claim_item(c))?))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .context("building claim Put")?;
    let mut items = vec![
        TransactWriteItem::builder().put(put).build(),
        TransactWriteItem::builder().update(draw).build(),
        balances(
            db,
            &c.partner_id,
            &c.period,
            c.fund_type,
            &[("reserved", -amount), ("claimed", amount)],
            c.created_at,
        )?,
        ledger_put(db, &c.partner_id, &c.period, c.fund_type, entry)?,
    ];
    items.extend(outbox);
    db.transact(items).await.map_err(map)
}

/// Moves a claim along (`current` -> `next`) with the balance changes and
/// ledger entries that go with it, all in one transaction.
pub async fn transition_claim(
    db: &Db,
    current: &Claim,
    next: &Claim,
    deltas: &[(&str, i64)],
    entries: &[LedgerEntry],
    outbox: Vec<TransactWriteItem>,
) -> Result<(), WriteError> {
    let mut items = vec![
        put_if_unchanged(db, &claim_item(next), current.version, current.status.as_str())?,
        balances(db, &next.partner_id, &next.period, next.fund_type, deltas, next.updated_at)?,
    ];
    for e in entries {
        items.push(ledger_put(db, &next.partner_id, &next.period, next.fund_type, e)?);
    }
    items.extend(outbox);
    db.transact(items).await.map_err(map)
}
