//! The MDF function's event side: co-op accrual from won deals, and the
//! scheduled sweeps. On AWS an EventBridge rule delivers `DealWon` (and a
//! schedule its `Scheduled Event`) to the `mdf-events` binary; locally
//! `local-api` feeds it the same events from the rule's SQS queue.

use chrono::{DateTime, Utc};
use prm_shared::dynamo::keys;
use prm_shared::events::deals::DealWon;
use prm_shared::events::mdf::MdfCoopAccrued;
use prm_shared::events::{Delivered, Envelope, Payload, PendingEvent};
use prm_shared::money::Money;
use serde::Deserialize;

use crate::MdfState;
use crate::domain::{Allocation, FundType, LedgerEntry, LedgerKind};
use crate::store::{self, AccrueError};

/// What handling an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Co-op accrued.
    Accrued {
        /// The partner credited.
        partner_id: String,
        /// The period credited.
        period: String,
        /// The amount.
        amount: Money,
    },
    /// The event was handled before (a redelivery): nothing changed.
    Duplicate,
    /// Nothing to do, and why.
    Skipped(String),
    /// The scheduled sweeps ran.
    Swept {
        /// Requests changed by the sweeps.
        changed: usize,
        /// Requests the sweeps could not change this time.
        failed: usize,
    },
}

/// Why an event could not be handled, and whether retrying can help.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The event can never be handled (malformed, refers to nothing):
    /// retrying cannot help; it belongs in the dead-letter queue.
    #[error("permanent failure, retrying cannot help: {0}")]
    Permanent(String),
    /// A dependency failed (throttling, network): retrying can help.
    #[error("transient failure, retry: {0:#}")]
    Transient(anyhow::Error),
}

impl HandleError {
    /// Whether a retry can succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

#[derive(Deserialize)]
struct Profile {
    tier: String,
}

/// Handles one delivered event.
pub async fn handle(st: &MdfState, event: &Delivered, now: DateTime<Utc>) -> Result<Handled, HandleError> {
    match (event.source.as_str(), event.detail_type.as_str()) {
        (DealWon::SOURCE, DealWon::DETAIL_TYPE) => {
            let won: Envelope<DealWon> =
                event.envelope().map_err(|e| HandleError::Permanent(format!("malformed DealWon detail: {e}")))?;
            accrue(st, &won, now).await
        }
        ("aws.events", "Scheduled Event") => sweep(st, now).await.map_err(HandleError::Transient),
        (source, kind) => Ok(Handled::Skipped(format!("{source} {kind} is not for the MDF function"))),
    }
}

/// Credits the co-op of a won deal to its partner, once per deal.
pub async fn accrue(st: &MdfState, won: &Envelope<DealWon>, now: DateTime<Utc>) -> Result<Handled, HandleError> {
    let deal_id = &won.data.deal_id;
    let partner_id = won
        .partner_id
        .as_deref()
        .ok_or_else(|| HandleError::Permanent(format!("DealWon {deal_id} names no partner")))?;
    let amount =
        Money::parse(&won.data.amount).map_err(|e| HandleError::Permanent(format!("DealWon {deal_id} amount: {e}")))?;
    let profile = st
        .db
        .get::<Profile>(&keys::partner(partner_id), "PROFILE")
        .await
        .map_err(HandleError::Transient)?
        .ok_or_else(|| HandleError::Permanent(format!("DealWon {deal_id}: no partner {partner_id}")))?;
    // The tier's benefit when the program's tier rules are set, else the configured rates.
    let tiers = prm_shared::program::current(&st.db).await.map_err(HandleError::Transient)?;
    let (rate_bp, accrued) = match tiers.benefits(&profile.tier) {
        Some(b) => (b.coop_rate_bp, crate::rules::accrual(b.coop_rate_bp, amount.amount_minor)),
        None => st.rules.coop_accrual(&profile.tier, amount.amount_minor),
    };
    if accrued == 0 {
        return Ok(Handled::Skipped(format!("a {} partner accrues no co-op on {}", profile.tier, amount.amount_minor)));
    }
    let period = st.rules.coop_period.of(won.occurred_at.date_naive());
    let fund = Allocation {
        partner_id: partner_id.to_owned(),
        period: period.clone(),
        fund_type: FundType::Coop,
        currency: amount.currency.clone(),
        allocated: 0,
        reserved: 0,
        claimed: 0,
        paid: 0,
        available: 0,
        created_at: now,
        updated_at: now,
    };
    let credited = Money { amount_minor: accrued, currency: amount.currency.clone() };
    let entry = LedgerEntry::new(LedgerKind::Accrue, accrued, "system", now).deal(deal_id);
    let event = PendingEvent::new(
        MdfCoopAccrued { deal_id: deal_id.clone(), period: period.clone(), amount: credited.clone(), rate_bp },
        Some(partner_id),
        None,
        now,
    )
    .map_err(HandleError::Transient)?;
    let outbox = vec![st.events.outbox_put(&event).map_err(HandleError::Transient)?];
    match store::accrue(&st.db, &fund, accrued, deal_id, &entry, outbox).await {
        Ok(()) => {
            st.events.publish(std::slice::from_ref(&event)).await;
            tracing::info!(%deal_id, %partner_id, %period, accrued, rate_bp, "co-op accrued");
            Ok(Handled::Accrued { partner_id: partner_id.to_owned(), period, amount: credited })
        }
        Err(AccrueError::Duplicate) => Ok(Handled::Duplicate),
        Err(AccrueError::Currency) => Err(HandleError::Permanent(format!(
            "DealWon {deal_id}: the co-op fund of {partner_id} for {period} is not in {}",
            amount.currency
        ))),
        Err(AccrueError::Other(e)) => Err(HandleError::Transient(e)),
    }
}

/// Runs the scheduled sweeps (claim reminders, then closing windows).
pub async fn sweep(st: &MdfState, now: DateTime<Utc>) -> anyhow::Result<Handled> {
    let reminded = crate::sweep::remind_claim_deadlines(st, now, 100).await?;
    let closed = crate::sweep::close_claim_windows(st, now, 100).await?;
    Ok(Handled::Swept { changed: reminded.changed + closed.changed, failed: reminded.failed + closed.failed })
}
