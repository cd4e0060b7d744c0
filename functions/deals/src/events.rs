//! The domain event each deal change publishes.

use prm_shared::events::PendingEvent;
use prm_shared::events::deals::{
    DealApproved, DealConflictDetected, DealExpired, DealLost, DealRegistered, DealRejected, DealWon,
};

use crate::domain::{Deal, DealStatus};

/// The events of a new registration: always `DealRegistered`, plus
/// `DealConflictDetected` when it collides with another partner's.
pub fn registered(deal: &Deal) -> anyhow::Result<Vec<PendingEvent>> {
    let (pid, actor, at) = (Some(deal.partner_id.as_str()), Some(deal.registered_by.as_str()), deal.created_at);
    let mut events = vec![PendingEvent::new(
        DealRegistered {
            deal_id: deal.id.clone(),
            title: deal.title.clone(),
            customer_name: deal.customer.company_name.clone(),
            amount: deal.amount.clone(),
            conflict: deal.conflict.conflict,
        },
        pid,
        actor,
        at,
    )?];
    if deal.conflict.conflict {
        events.push(PendingEvent::new(
            DealConflictDetected {
                deal_id: deal.id.clone(),
                reasons: deal.conflict.reasons.clone(),
                conflicting_deal_ids: deal.conflicting_deal_ids.clone(),
            },
            pid,
            actor,
            at,
        )?);
    }
    Ok(events)
}

/// The event of the transition that produced `next`.
pub fn transitioned(next: &Deal) -> anyhow::Result<PendingEvent> {
    let last = next.history.last().ok_or_else(|| anyhow::anyhow!("a transition without history"))?;
    let (pid, actor, at) = (Some(next.partner_id.as_str()), Some(last.by.as_str()), last.at);
    let deal_id = next.id.clone();
    let (title, registered_by) = (next.title.clone(), Some(next.registered_by.clone()));
    let registered_amount = Some(next.amount.clone());
    match next.status {
        DealStatus::Approved => {
            let protection_expires_at =
                next.protection_expires_at.ok_or_else(|| anyhow::anyhow!("approved without protection"))?;
            let registered_at = Some(next.created_at);
            let approved = DealApproved { deal_id, protection_expires_at, title, registered_by, registered_at };
            PendingEvent::new(approved, pid, actor, at)
        }
        DealStatus::Rejected => {
            let reason = last.reason.clone().unwrap_or_default();
            PendingEvent::new(DealRejected { deal_id, reason, title, registered_by, registered_amount }, pid, actor, at)
        }
        DealStatus::Won => {
            let amount = next.closed_amount.clone().unwrap_or_else(|| next.amount.clone());
            PendingEvent::new(DealWon { deal_id, amount, registered_amount }, pid, actor, at)
        }
        DealStatus::Lost => {
            PendingEvent::new(DealLost { deal_id, reason: last.reason.clone(), registered_amount }, pid, actor, at)
        }
        DealStatus::Expired => {
            PendingEvent::new(DealExpired { deal_id, title, registered_by, registered_amount }, pid, actor, at)
        }
        DealStatus::Submitted => anyhow::bail!("submission is not a transition"),
    }
}
