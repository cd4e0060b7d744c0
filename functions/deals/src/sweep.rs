//! Scheduled sweeps of the deals function, each driven by a due-date index
//! (never a Scan) and idempotent when run twice:
//! - the expiry of deal protection (the deal becomes `expired`, the customer is freed);
//! - overdue reviews (the registration is flagged and `DealApprovalOverdue` emitted);
//! - leads whose assigned partner let the acceptance deadline pass (reassigned).

use chrono::{DateTime, Utc};
use prm_shared::due::DueIndex;
use prm_shared::events::PendingEvent;
use prm_shared::events::deals::DealApprovalOverdue;
use prm_shared::events::leads::LeadLapsed;

use crate::lead::LeadStatus;
use crate::lead_store::{self, ACCEPT_DUE, Answer, LeadWriteError};

use crate::DealsState;
use crate::domain::DealStatus;
use crate::store::{self, PROTECTION_DUE, REVIEW_DUE, TransitionError};

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Deals changed (expired, or flagged overdue).
    pub changed: usize,
    /// Index entries of deals that had moved on (closed, extended, reviewed).
    pub stale: usize,
    /// Deals that could not be changed this time (retried next run).
    pub failed: usize,
}

/// Expires, as of `now`, at most `max` deals whose protection has ended.
pub async fn expire_due(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    for entry in PROTECTION_DUE.due(&st.db, now, max).await? {
        let mut outcome = None;
        for _ in 0..3 {
            let current = store::get_deal(&st.db, &entry.id).await?;
            let Some(current) = current.filter(|d| {
                d.status == DealStatus::Approved
                    && d.protection_expires_at.is_some_and(|e| DueIndex::sk(e, &d.id) == entry.sk && e <= now)
            }) else {
                // Closed or extended since, and this entry was left behind.
                PROTECTION_DUE.drop(&st.db, &entry).await?;
                outcome = Some(&mut report.stale);
                break;
            };
            let next = current.transitioned(DealStatus::Expired, "system", Some("protection period ended".into()), now);
            let event = crate::events::transitioned(&next)?;
            match store::close(&st.db, &current, &next, vec![st.events.outbox_put(&event)?]).await {
                Ok(()) => {
                    st.events.publish(std::slice::from_ref(&event)).await;
                    tracing::info!(deal_id = %entry.id, "deal protection expired");
                    outcome = Some(&mut report.changed);
                    break;
                }
                Err(TransitionError::Stale) => continue,
                Err(e) => {
                    tracing::warn!(deal_id = %entry.id, error = %e, "could not expire deal");
                    break;
                }
            }
        }
        *outcome.unwrap_or(&mut report.failed) += 1;
    }
    Ok(report)
}

/// Flags, as of `now`, at most `max` registrations whose review period passed
/// without a decision, and emits `DealApprovalOverdue` for each.
pub async fn flag_overdue_reviews(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    for entry in REVIEW_DUE.due(&st.db, now, max).await? {
        let mut outcome = None;
        for _ in 0..3 {
            let current = store::get_deal(&st.db, &entry.id).await?;
            let Some((current, due)) = current.and_then(|d| {
                let due = d.review_due_at?;
                (d.status == DealStatus::Submitted && !d.review_overdue && DueIndex::sk(due, &d.id) == entry.sk)
                    .then_some((d, due))
            }) else {
                REVIEW_DUE.drop(&st.db, &entry).await?;
                outcome = Some(&mut report.stale);
                break;
            };
            let mut next = current.clone();
            next.review_overdue = true;
            next.updated_at = now;
            next.version = current.version + 1;
            let event = PendingEvent::new(
                DealApprovalOverdue { deal_id: next.id.clone(), submitted_at: current.created_at, review_due_at: due },
                Some(&next.partner_id),
                None,
                now,
            )?;
            // The entry goes with the flag (a later approval's delete of it is a no-op).
            let writes = vec![st.events.outbox_put(&event)?, REVIEW_DUE.delete(&st.db, due, &next.id)?];
            match store::update(&st.db, &current, &next, writes).await {
                Ok(()) => {
                    st.events.publish(std::slice::from_ref(&event)).await;
                    outcome = Some(&mut report.changed);
                    break;
                }
                Err(TransitionError::Stale) => continue,
                Err(e) => {
                    tracing::warn!(deal_id = %entry.id, error = %e, "could not flag overdue review");
                    break;
                }
            }
        }
        *outcome.unwrap_or(&mut report.failed) += 1;
    }
    Ok(report)
}

/// Reassigns, as of `now`, at most `max` leads whose assigned partner did not
/// answer by the deadline; the lapse counts as a decline for that partner.
pub async fn lapse_unanswered_leads(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    for entry in ACCEPT_DUE.due(&st.db, now, max).await? {
        let mut outcome = None;
        for _ in 0..3 {
            let current = lead_store::get_lead(&st.db, &entry.id).await?;
            let Some((current, partner, accept_by)) = current.and_then(|l| {
                let (p, by) = (l.partner_id.clone()?, l.accept_by?);
                (l.status == LeadStatus::Assigned && by <= now && DueIndex::sk(by, &l.id) == entry.sk)
                    .then_some((l, p, by))
            }) else {
                ACCEPT_DUE.drop(&st.db, &entry).await?;
                outcome = Some(&mut report.stale);
                break;
            };
            let lapsed = current.answered("lapsed", Some("acceptance deadline passed".into()), now);
            let event =
                PendingEvent::new(LeadLapsed { lead_id: current.id.clone(), accept_by }, Some(&partner), None, now)?;
            let res = crate::lead_routes::assign_and_write(
                st,
                Some(&current),
                lapsed,
                Some((&partner, Answer::Declined)),
                vec![event],
                "system",
                now,
            )
            .await;
            match res {
                Ok(_) => {
                    outcome = Some(&mut report.changed);
                    break;
                }
                Err(LeadWriteError::Stale | LeadWriteError::Capacity) => continue,
                Err(LeadWriteError::Extra(k)) => {
                    tracing::warn!(lead_id = %entry.id, write = k, "could not reassign lapsed lead");
                    break;
                }
                Err(LeadWriteError::Other(e)) => {
                    tracing::warn!(lead_id = %entry.id, error = format!("{e:#}"), "could not reassign lapsed lead");
                    break;
                }
            }
        }
        *outcome.unwrap_or(&mut report.failed) += 1;
    }
    Ok(report)
}
