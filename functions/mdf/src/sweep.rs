//! Scheduled sweeps of the MDF function, each driven by a due-date index
//! (never a Scan) and idempotent when run twice:
//! - partners with unclaimed funds are reminded before the claim deadline
//!   (`MdfClaimDeadlineNear`, once per request);
//! - when the claim window closes, what was not claimed goes back to the
//!   allocation (the request becomes `closed`, `MdfRequestClosed`).

use chrono::{DateTime, Utc};
use prm_shared::due::{DueEntry, DueIndex};
use prm_shared::events::PendingEvent;
use prm_shared::events::mdf::{MdfClaimDeadlineNear, MdfRequestClosed};
use prm_shared::money::Money;

use crate::MdfState;
use crate::domain::{FundRequest, LedgerEntry, LedgerKind, RequestStatus};
use crate::rules::closes_at;
use crate::store::{self, CLAIM_CLOSE_DUE, CLAIM_REMINDER_DUE, WriteError};

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Requests changed (reminded, or closed).
    pub changed: usize,
    /// Index entries of requests that had moved on.
    pub stale: usize,
    /// Requests that could not be changed this time (retried next run).
    pub failed: usize,
}

/// What to do with a request whose entry came due.
enum Step {
    /// Nothing any more: drop the entry.
    Stale,
    /// Write `next` with these extra writes and this event.
    Change { next: Box<FundRequest>, released: i64, event: PendingEvent },
}

async fn run(
    st: &MdfState,
    index: DueIndex,
    now: DateTime<Utc>,
    max: usize,
    step: impl Fn(&FundRequest) -> anyhow::Result<Step>,
) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    for entry in index.due(&st.db, now, max).await? {
        let mut outcome = None;
        for _ in 0..3 {
            let Some(current) = store::get_request(&st.db, &entry.id).await? else {
                index.drop(&st.db, &entry).await?;
                outcome = Some(&mut report.stale);
                break;
            };
            let (next, released, event) = match step(&current)? {
                Step::Stale => {
                    index.drop(&st.db, &entry).await?;
                    outcome = Some(&mut report.stale);
                    break;
                }
                Step::Change { next, released, event } => (next, released, event),
            };
            match write(st, &current, &next, released, &entry, index, &event).await {
                Ok(()) => {
                    st.events.publish(std::slice::from_ref(&event)).await;
                    tracing::info!(request_id = %entry.id, event = %event.detail_type, "MDF request swept");
                    outcome = Some(&mut report.changed);
                    break;
                }
                Err(WriteError::Conflict) => continue,
                Err(e) => {
                    tracing::warn!(request_id = %entry.id, error = %e, "could not sweep MDF request");
                    break;
                }
            }
        }
        *outcome.unwrap_or(&mut report.failed) += 1;
    }
    Ok(report)
}

async fn write(
    st: &MdfState,
    current: &FundRequest,
    next: &FundRequest,
    released: i64,
    entry: &DueEntry,
    index: DueIndex,
    event: &PendingEvent,
) -> Result<(), WriteError> {
    let extra = vec![index.delete_entry(&st.db, entry)?, st.events.outbox_put(event)?];
    if next.status == RequestStatus::Closed {
        let ledger = LedgerEntry::new(LedgerKind::Release, released, "system", next.updated_at).request(&next.id);
        store::close_request(&st.db, current, next, released, &ledger, extra).await
    } else {
        store::update_request(&st.db, current, next, extra).await
    }
}

fn bumped(r: &FundRequest, at: DateTime<Utc>) -> FundRequest {
    let mut next = r.clone();
    next.updated_at = at;
    next.version = r.version + 1;
    next
}

/// Reminds, as of `now`, the partners of at most `max` approved requests whose
/// claim deadline is near and that still have unclaimed funds.
pub async fn remind_claim_deadlines(st: &MdfState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    run(st, CLAIM_REMINDER_DUE, now, max, |r| {
        let Some(deadline) = r.claim_deadline else { return Ok(Step::Stale) };
        if r.status != RequestStatus::Approved
            || r.deadline_reminded
            || r.claimable_minor == 0
            || closes_at(deadline) <= now
        {
            return Ok(Step::Stale);
        }
        let mut next = bumped(r, now);
        next.deadline_reminded = true;
        let unclaimed = Money { amount_minor: r.claimable_minor, currency: r.requested_amount.currency.clone() };
        let event = PendingEvent::new(
            MdfClaimDeadlineNear {
                request_id: r.id.clone(),
                title: r.title.clone(),
                claim_deadline: deadline,
                unclaimed,
            },
            Some(&r.partner_id),
            None,
            now,
        )?;
        Ok(Step::Change { next: Box::new(next), released: 0, event })
    })
    .await
}

/// Closes, as of `now`, the claim windows of at most `max` approved requests
/// whose deadline has passed, releasing what was not claimed.
pub async fn close_claim_windows(st: &MdfState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    run(st, CLAIM_CLOSE_DUE, now, max, |r| {
        let Some(deadline) = r.claim_deadline else { return Ok(Step::Stale) };
        if r.status != RequestStatus::Approved || closes_at(deadline) > now {
            return Ok(Step::Stale);
        }
        let released = r.claimable_minor;
        let mut next = bumped(r, now);
        next.status = RequestStatus::Closed;
        next.claimable_minor = 0;
        let amount = Money { amount_minor: released, currency: r.requested_amount.currency.clone() };
        next.released_amount = Some(amount.clone());
        let event = PendingEvent::new(
            MdfRequestClosed { request_id: r.id.clone(), released: amount },
            Some(&r.partner_id),
            None,
            now,
        )?;
        Ok(Step::Change { next: Box::new(next), released, event })
    })
    .await
}
