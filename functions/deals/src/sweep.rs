//! The scheduled expiry of deal protection: deals whose protection ended are
//! found through the expiry index (never a Scan), moved to `expired`, and their
//! customer released. Running it twice does nothing more.

use chrono::{DateTime, Utc};

use crate::DealsState;
use crate::domain::DealStatus;
use crate::store::{self, TransitionError};

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Deals moved to expired.
    pub expired: usize,
    /// Index entries of deals that had closed or been extended.
    pub stale: usize,
    /// Deals that could not be expired this time (retried next run).
    pub failed: usize,
}

/// Expires, as of `now`, at most `max` deals whose protection has ended.
pub async fn expire_due(st: &DealsState, now: DateTime<Utc>, max: usize) -> anyhow::Result<ExpiryReport> {
    let mut report = ExpiryReport::default();
    for (deal_id, due_sk) in store::due_for_expiry(&st.db, now, max).await? {
        let mut done = false;
        for _ in 0..3 {
            let Some(current) = store::get_deal(&st.db, &deal_id).await? else {
                store::drop_due(&st.db, &due_sk).await?;
                report.stale += 1;
                done = true;
                break;
            };
            let lapsed =
                current.status == DealStatus::Approved && current.protection_expires_at.is_some_and(|e| e <= now);
            if !lapsed {
                // Closed or extended since: its own write moved or removed the entry,
                // unless this one was left behind.
                let current_sk = current
                    .protection_expires_at
                    .filter(|_| current.status == DealStatus::Approved)
                    .map(|e| format!("{}#{}", e.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), current.id));
                if current_sk.as_deref() != Some(due_sk.as_str()) {
                    store::drop_due(&st.db, &due_sk).await?;
                }
                report.stale += 1;
                done = true;
                break;
            }
            let next = current.transitioned(DealStatus::Expired, "system", Some("protection period ended".into()), now);
            let event = crate::events::transitioned(&next)?;
            match store::close(&st.db, &current, &next, vec![st.events.outbox_put(&event)?]).await {
                Ok(()) => {
                    st.events.publish(std::slice::from_ref(&event)).await;
                    tracing::info!(deal_id = %deal_id, "deal protection expired");
                    report.expired += 1;
                    done = true;
                    break;
                }
                Err(TransitionError::Stale) => continue,
                Err(e) => {
                    tracing::warn!(deal_id = %deal_id, error = %e, "could not expire deal");
                    break;
                }
            }
        }
        if !done {
            report.failed += 1;
        }
    }
    Ok(report)
}
