//! The scheduled sweep of the training function: holders of certifications
//! expiring within 30 days are told once (`CertificationExpiring`), found
//! through a due-date index (never a Scan). The event and the removal of the
//! due entry commit together, the removal conditional on the entry still being
//! there: two runs cannot both send it, and a renewal (which moves the entry in
//! its own transaction) makes a reminder in flight stale.

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use chrono::{DateTime, Utc};
use prm_shared::dynamo::{PK, key};
use prm_shared::events::PendingEvent;
use prm_shared::events::training::CertificationExpiring;

use crate::TrainingState;
use crate::store::{self, CERT_EXPIRY_DUE, reminder_at};

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Holders told.
    pub changed: usize,
    /// Entries whose certification had moved on (renewed, gone).
    pub stale: usize,
    /// Entries that could not be handled this time (retried next run).
    pub failed: usize,
}

/// Tells, as of `now`, the holders of at most `max` certifications expiring
/// within [`store::CERT_REMINDER_DAYS`] days.
pub async fn remind_expiring(st: &TrainingState, now: DateTime<Utc>, max: usize) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    for entry in CERT_EXPIRY_DUE.due(&st.db, now, max).await? {
        let Some((course_id, user_id)) = entry.id.split_once('#') else {
            CERT_EXPIRY_DUE.drop(&st.db, &entry).await?;
            report.stale += 1;
            continue;
        };
        let cert = store::get_certification(&st.db, course_id, user_id).await?;
        let Some(cert) = cert.filter(|c| {
            now < c.expires_at && prm_shared::due::DueIndex::sk(reminder_at(c.expires_at), &entry.id) == entry.sk
        }) else {
            CERT_EXPIRY_DUE.drop(&st.db, &entry).await?;
            report.stale += 1;
            continue;
        };
        let event = PendingEvent::new(
            CertificationExpiring {
                certification_id: cert.id.clone(),
                name: cert.name.clone(),
                course_id: cert.course_id.clone(),
                holder: cert.user_id.clone(),
                expires_at: cert.expires_at,
            },
            Some(&cert.partner_id),
            None,
            now,
        )?;
        let taken = Delete::builder()
            .table_name(&st.db.table)
            .set_key(Some(key(format!("DUE#{}", CERT_EXPIRY_DUE.name), &entry.sk)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()?;
        let items = vec![TransactWriteItem::builder().delete(taken).build(), st.events.outbox_put(&event)?];
        match st.db.transact(items).await {
            Ok(()) => {
                st.events.publish(std::slice::from_ref(&event)).await;
                report.changed += 1;
            }
            Err(e) if e.condition_failed(0) => report.stale += 1,
            Err(e) => {
                tracing::warn!(certification = %entry.id, error = %e, "could not remind of expiry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}
