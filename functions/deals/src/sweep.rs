//! Scheduled sweeps of the deals function, each driven by a due-date index
//! (never a Scan) and idempotent when run twice:
//! - the expiry of deal protection (the deal becomes `expired`, the customer is freed);
//! - protection ending within a week (`DealProtectionEnding`, once per expiry);
//! - overdue reviews (the registration is flagged and `DealApprovalOverdue` emitted);
//! - leads unanswered close to their deadline (`LeadAcceptanceDueSoon`, once per assignment);
//! - leads whose assigned partner let the acceptance deadline pass (reassigned).

use chrono::{DateTime, Utc};
use prm_shared::due::DueIndex;
use prm_shared::events::PendingEvent;
use prm_shared::events::deals::{DealApprovalOverdue, DealProtectionEnding};
use prm_shared::events::leads::{LeadAcceptanceDueSoon, LeadLapsed};

use crate::lead::LeadStatus;
use crate::lead_store::{self, ACCEPT_DUE, ACCEPT_REMINDER_DUE, Answer, LeadWriteError, accept_reminder_at};

use crate::DealsState;
use crate::domain::DealStatus;
use crate::store::{
    self, PROTECTION_DUE, PROTECTION_REMINDER_DUE, REVIEW_DUE, TransitionError, protection_reminder_at,
};

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

/// Marks deals whose entry in `index` came due: `step` answers the changed deal
/// and its event, or `None` when the entry is stale (the deal moved on). The
/// change, its event and the removal of the entry commit together; a deal
/// changed concurrently is read again (up to three times).
async fn mark_due_deals(
    st: &DealsState,
    index: DueIndex,
    now: DateTime<Utc>,
    max: usize,
    what: &'static str,
    step: impl Fn(&crate::domain::Deal) -> anyhow::Result<Option<(crate::domain::Deal, PendingEvent)>>,
) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    for entry in index.due(&st.db, now, max).await? {
        let mut outcome = None;
        for _ in 0..3 {
            let current = store::get_deal(&st.db, &entry.id).await?;
            let changed = match &current {
                Some(d) => step(d)?,
                None => None,
            };
            let (Some(current), Some((next, event))) = (current, changed) else {
                index.drop(&st.db, &entry).await?;
                outcome = Some(&mut report.stale);
                break;
            };
            let writes = vec![st.events.outbox_put(&event)?, index.delete_entry(&st.db, &entry)?];
            match store::update(&st.db, &current, &next, writes).await {
                Ok(()) => {
                    st.events.publish(std::slice::from_ref(&event)).await;
                    outcome = Some(&mut report.changed);
                    break;
                }
                Err(TransitionError::Stale) => continue,
                Err(e) => {
                    tracing::warn!(deal_id = %entry.id, error = %e, "could not {what}");
                    break;
                }
            }
        }
        *outcome.unwrap_or(&mut report.failed) += 1;
    }
    Ok(report)
}

fn bumped(d: &crate::domain::Deal, now: DateTime<Utc>) -> crate::domain::Deal {
    let mut next = d.clone();
    next.updated_at = now;
    next.version = d.version + 1;
    next
}

/// Flags, as of `now`, at most `max` registrations whose review period passed
/// without a decision, and emits `DealApprovalOverdue` for each.
pub async fn flag_overdue_reviews(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    mark_due_deals(st, REVIEW_DUE, now, max, "flag overdue review", |d| {
        let Some(due) = d.review_due_at.filter(|_| d.status == DealStatus::Submitted && !d.review_overdue) else {
            return Ok(None);
        };
        let mut next = bumped(d, now);
        next.review_overdue = true;
        let event = PendingEvent::new(
            DealApprovalOverdue { deal_id: d.id.clone(), submitted_at: d.created_at, review_due_at: due },
            Some(&d.partner_id),
            None,
            now,
        )?;
        Ok(Some((next, event)))
    })
    .await
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

/// Tells, as of `now`, the partners of at most `max` approved deals whose
/// protection ends within [`store::PROTECTION_REMINDER_DAYS`] days
/// (`DealProtectionEnding`, once per end of protection: an extension reminds again).
pub async fn remind_protection_ending(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    mark_due_deals(st, PROTECTION_REMINDER_DUE, now, max, "remind of protection ending", |d| {
        let Some(until) = d.protection_expires_at.filter(|u| {
            d.status == DealStatus::Approved
                && now < *u
                && protection_reminder_at(*u) <= now
                && d.protection_reminded_for != Some(*u)
        }) else {
            return Ok(None);
        };
        let mut next = bumped(d, now);
        next.protection_reminded_for = Some(until);
        let event = PendingEvent::new(
            DealProtectionEnding {
                deal_id: d.id.clone(),
                title: d.title.clone(),
                protection_expires_at: until,
                registered_by: Some(d.registered_by.clone()),
            },
            Some(&d.partner_id),
            None,
            now,
        )?;
        Ok(Some((next, event)))
    })
    .await
}

/// Every deals sweep, in order, and the outbox republish: what the
/// `deals-sweeps` schedule runs. Returns each sweep's name and report.
pub async fn run_all(st: &DealsState, now: DateTime<Utc>) -> anyhow::Result<Vec<(&'static str, SweepReport)>> {
    let outbox = st.events.sweep(chrono::Duration::seconds(60), 100).await?;
    Ok(vec![
        ("outbox", SweepReport { changed: outbox.published, stale: 0, failed: outbox.failed }),
        ("deal expiry", expire_due(st, now, 100).await?),
        ("protection ending", remind_protection_ending(st, now, 100).await?),
        ("overdue reviews", flag_overdue_reviews(st, now, 100).await?),
        ("lead reminders", remind_unanswered_leads(st, now, 100).await?),
        ("lapsed leads", lapse_unanswered_leads(st, now, 100).await?),
    ])
}

/// Reminds, as of `now`, the partners of at most `max` assigned leads whose
/// acceptance deadline is within [`lead_store::ACCEPT_REMINDER_HOURS`] hours.
/// The reminder, the removal of its due entry (conditional, so two runs cannot
/// both send it) and a check that the lead is still waiting for that partner
/// commit together.
pub async fn remind_unanswered_leads(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    use aws_sdk_dynamodb::types::{ConditionCheck, Delete, TransactWriteItem};
    use prm_shared::dynamo::{key, s};
    let mut report = SweepReport::default();
    for entry in ACCEPT_REMINDER_DUE.due(&st.db, now, max).await? {
        let lead = lead_store::get_lead(&st.db, &entry.id).await?;
        let Some((partner, accept_by)) = lead.and_then(|l| {
            let (p, by) = (l.partner_id.clone()?, l.accept_by?);
            (l.status == LeadStatus::Assigned && now < by && DueIndex::sk(accept_reminder_at(by), &l.id) == entry.sk)
                .then_some((p, by))
        }) else {
            ACCEPT_REMINDER_DUE.drop(&st.db, &entry).await?;
            report.stale += 1;
            continue;
        };
        let event = PendingEvent::new(
            LeadAcceptanceDueSoon { lead_id: entry.id.clone(), accept_by },
            Some(&partner),
            None,
            now,
        )?;
        let still_waiting = ConditionCheck::builder()
            .table_name(&st.db.table)
            .set_key(Some(key(format!("LEAD#{}", entry.id), "LEAD")))
            .condition_expression("#status = :assigned AND #partner = :partner")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#partner", "partner_id")
            .expression_attribute_values(":assigned", s(LeadStatus::Assigned.as_str()))
            .expression_attribute_values(":partner", s(&partner))
            .build()?;
        let taken = Delete::builder()
            .table_name(&st.db.table)
            .set_key(Some(key(format!("DUE#{}", ACCEPT_REMINDER_DUE.name), &entry.sk)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", prm_shared::dynamo::PK)
            .build()?;
        let items = vec![
            TransactWriteItem::builder().condition_check(still_waiting).build(),
            TransactWriteItem::builder().delete(taken).build(),
            st.events.outbox_put(&event)?,
        ];
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                report.changed += 1;
            }
            Err(e) if e.condition_failed(0) || e.condition_failed(1) => report.stale += 1,
            Err(e) => {
                tracing::warn!(lead_id = %entry.id, error = %e, "could not remind of a lead");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}
