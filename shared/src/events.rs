//! Domain events: the typed contract between producers and the alerts function
//! (and partner CRMs), and a publisher that cannot lose one.
//!
//! An event is written to the outbox in the same DynamoDB transaction as the
//! change it reports, published to EventBridge after the commit, then deleted
//! from the outbox. A sweep republishes outbox items the first attempt left
//! behind (PutEvents failed, or the process died between commit and publish).
//! Delivery is therefore at least once; consumers deduplicate on `event_id`.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dynamo::{Db, GSI1, Keys, PK, Stored, key, s, to_item};

/// A typed event payload: where it comes from and what it is called.
pub trait Payload: Serialize {
    /// EventBridge `source`, e.g. `prm.deals`.
    const SOURCE: &'static str;
    /// EventBridge `detail-type`, e.g. `DealApproved`.
    const DETAIL_TYPE: &'static str;
    /// Version of this payload's shape.
    const VERSION: u32 = 1;
}

/// The `detail` of every event: the envelope fields, then the payload's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Unique per event (ULID); consumers deduplicate on it.
    pub event_id: String,
    /// Version of the payload's shape.
    pub version: u32,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// The partner concerned, if any.
    pub partner_id: Option<String>,
    /// Who caused it (Cognito `sub`), if a person did.
    pub actor: Option<String>,
    /// The payload.
    #[serde(flatten)]
    pub data: T,
}

/// An event on its way out: what the outbox holds and EventBridge receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEvent {
    /// The event's id.
    pub event_id: String,
    /// EventBridge source.
    pub source: String,
    /// EventBridge detail-type.
    pub detail_type: String,
    /// The envelope as JSON.
    pub detail: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

impl PendingEvent {
    /// An event of `data` about `partner_id`, caused by `actor`.
    pub fn new<T: Payload>(
        data: T,
        partner_id: Option<&str>,
        actor: Option<&str>,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Self> {
        let event_id = ulid::Ulid::new().to_string();
        let envelope = Envelope {
            event_id: event_id.clone(),
            version: T::VERSION,
            occurred_at: at,
            partner_id: partner_id.map(str::to_owned),
            actor: actor.map(str::to_owned),
            data,
        };
        Ok(Self {
            event_id,
            source: T::SOURCE.to_owned(),
            detail_type: T::DETAIL_TYPE.to_owned(),
            detail: serde_json::to_string(&envelope).context("serializing event")?,
            occurred_at: at,
        })
    }
}

const OUTBOX: &str = "OUTBOX";

fn outbox_pk(event_id: &str) -> String {
    format!("OUTBOX#{event_id}")
}

/// Publishes events through the outbox.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// EventBridge client.
    pub client: aws_sdk_eventbridge::Client,
    /// The bus (`EVENT_BUS_NAME`).
    pub bus: String,
    /// The table holding the outbox.
    pub db: Db,
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Events published and removed from the outbox.
    pub published: usize,
    /// Events still in the outbox.
    pub failed: usize,
}

impl Publisher {
    /// The outbox write to put in the transaction of the change `event` reports.
    pub fn outbox_put(&self, event: &PendingEvent) -> anyhow::Result<TransactWriteItem> {
        let keys = Keys::new(outbox_pk(&event.event_id), OUTBOX, "outbox").with(
            GSI1,
            OUTBOX,
            format!("{}#{}", event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), event.event_id),
        );
        let put = Put::builder()
            .table_name(&self.db.table)
            .set_item(Some(to_item(&Stored { keys, record: event.clone() })?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .context("building outbox Put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Publishes committed events and clears them from the outbox. Failures are
    /// logged, not returned: the events stay in the outbox for the sweep.
    pub async fn publish(&self, events: &[PendingEvent]) {
        if let Err(e) = self.try_publish(events).await {
            tracing::warn!(error = format!("{e:#}"), count = events.len(), "events left in the outbox for the sweep");
        }
    }

    async fn try_publish(&self, events: &[PendingEvent]) -> anyhow::Result<usize> {
        let mut published = 0;
        for chunk in events.chunks(10) {
            let entries = chunk
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(&e.source)
                        .detail_type(&e.detail_type)
                        .detail(&e.detail)
                        .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(e.occurred_at.timestamp_millis()))
                        .build()
                })
                .collect::<Vec<_>>();
            let out = self.client.put_events().set_entries(Some(entries)).send().await.context("PutEvents")?;
            // Entries answer in order; only the accepted ones leave the outbox.
            let results = out.entries();
            for (i, e) in chunk.iter().enumerate() {
                let ok = results.get(i).is_some_and(|r| r.error_code().is_none() && r.event_id().is_some());
                if ok {
                    self.db
                        .client
                        .delete_item()
                        .table_name(&self.db.table)
                        .set_key(Some(key(outbox_pk(&e.event_id), OUTBOX)))
                        .send()
                        .await
                        .context("DeleteItem outbox")?;
                    published += 1;
                } else {
                    tracing::warn!(event_id = %e.event_id, "EventBridge refused an event; it stays in the outbox");
                }
            }
        }
        Ok(published)
    }

    /// Republishes outbox events older than `min_age` (oldest first, at most
    /// `max` of them): the ones whose publication after commit failed.
    pub async fn sweep(&self, min_age: chrono::Duration, max: usize) -> anyhow::Result<SweepReport> {
        let cutoff = (Utc::now() - min_age).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let out = self
            .db
            .client
            .query()
            .table_name(&self.db.table)
            .index_name(GSI1.name)
            .key_condition_expression("#pk = :pk AND #sk < :cutoff")
            .expression_attribute_names("#pk", GSI1.pk)
            .expression_attribute_names("#sk", GSI1.sk)
            .expression_attribute_values(":pk", s(OUTBOX))
            .expression_attribute_values(":cutoff", s(cutoff))
            .limit(i32::try_from(max.clamp(1, 1000)).unwrap_or(100))
            .send()
            .await
            .context("Query outbox")?;
        let events = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(crate::dynamo::from_item::<Stored<PendingEvent>>)
            .map(|r| r.map(|s| s.record))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let published = self.try_publish(&events).await.unwrap_or(0);
        Ok(SweepReport { published, failed: events.len() - published })
    }
}

/// Events of the deals function (`source` = `prm.deals`).
pub mod deals {
    use super::Payload;
    use crate::money::Money;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};

    macro_rules! payload {
        ($name:ident) => {
            impl Payload for $name {
                const SOURCE: &'static str = "prm.deals";
                const DETAIL_TYPE: &'static str = stringify!($name);
            }
        };
    }

    /// A partner registered a deal.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealRegistered {
        /// The deal.
        pub deal_id: String,
        /// Its title.
        pub title: String,
        /// The customer's company name.
        pub customer_name: String,
        /// Expected size.
        pub amount: Money,
        /// Whether it collided with another partner's registration.
        pub conflict: bool,
    }
    payload!(DealRegistered);

    /// A registration matched another partner's open registration.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealConflictDetected {
        /// The new deal.
        pub deal_id: String,
        /// `same_domain`, `same_company_name`.
        pub reasons: Vec<String>,
        /// The registrations it matched (for vendor staff only).
        pub conflicting_deal_ids: Vec<String>,
    }
    payload!(DealConflictDetected);

    /// The vendor approved a registration.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealApproved {
        /// The deal.
        pub deal_id: String,
        /// End of protection.
        pub protection_expires_at: DateTime<Utc>,
        /// The deal's title.
        #[serde(default)]
        pub title: String,
        /// Who registered it (Cognito `sub`).
        #[serde(default)]
        pub registered_by: Option<String>,
        /// When it was registered (for approval times).
        #[serde(default)]
        pub registered_at: Option<DateTime<Utc>>,
    }
    payload!(DealApproved);

    /// The vendor rejected a registration.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealRejected {
        /// The deal.
        pub deal_id: String,
        /// Why.
        pub reason: String,
        /// The deal's title.
        #[serde(default)]
        pub title: String,
        /// Who registered it (Cognito `sub`).
        #[serde(default)]
        pub registered_by: Option<String>,
        /// The amount the deal carried while open (leaves the open pipeline).
        #[serde(default)]
        pub registered_amount: Option<Money>,
    }
    payload!(DealRejected);

    /// A deal was won.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealWon {
        /// The deal.
        pub deal_id: String,
        /// Final amount.
        pub amount: Money,
        /// The amount the deal carried while open (leaves the open pipeline).
        #[serde(default)]
        pub registered_amount: Option<Money>,
    }
    payload!(DealWon);

    /// A deal was lost.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealLost {
        /// The deal.
        pub deal_id: String,
        /// Why, if given.
        pub reason: Option<String>,
        /// The amount the deal carried while open (leaves the open pipeline).
        #[serde(default)]
        pub registered_amount: Option<Money>,
    }
    payload!(DealLost);

    /// Protection of an approved deal ends within a week.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealProtectionEnding {
        /// The deal.
        pub deal_id: String,
        /// The deal's title.
        pub title: String,
        /// End of protection.
        pub protection_expires_at: DateTime<Utc>,
        /// Who registered it (Cognito `sub`).
        pub registered_by: Option<String>,
    }
    payload!(DealProtectionEnding);

    /// Protection ran out before the deal closed; the customer is free again.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealExpired {
        /// The deal.
        pub deal_id: String,
        /// The deal's title.
        #[serde(default)]
        pub title: String,
        /// Who registered it (Cognito `sub`).
        #[serde(default)]
        pub registered_by: Option<String>,
        /// The amount the deal carried while open (leaves the open pipeline).
        #[serde(default)]
        pub registered_amount: Option<Money>,
    }
    payload!(DealExpired);

    /// The owning partner asked for more protection time.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealExtensionRequested {
        /// The deal.
        pub deal_id: String,
        /// Days asked for.
        pub days: i64,
        /// Why, if given.
        pub reason: Option<String>,
    }
    payload!(DealExtensionRequested);

    /// The vendor extended a deal's protection.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealExtended {
        /// The deal.
        pub deal_id: String,
        /// The new end of protection.
        pub protection_expires_at: DateTime<Utc>,
        /// Days added.
        pub days: i64,
    }
    payload!(DealExtended);

    /// A registration was not reviewed within the review period.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DealApprovalOverdue {
        /// The deal.
        pub deal_id: String,
        /// When it was registered.
        pub submitted_at: DateTime<Utc>,
        /// When the review was due.
        pub review_due_at: DateTime<Utc>,
    }
    payload!(DealApprovalOverdue);
}

/// Events of lead distribution (`source` = `prm.leads`).
pub mod leads {
    use super::Payload;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};

    macro_rules! payload {
        ($name:ident) => {
            impl Payload for $name {
                const SOURCE: &'static str = "prm.leads";
                const DETAIL_TYPE: &'static str = stringify!($name);
            }
        };
    }

    /// A lead assigned to the partner of the envelope is still unanswered
    /// close to its deadline.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LeadAcceptanceDueSoon {
        /// The lead.
        pub lead_id: String,
        /// The deadline.
        pub accept_by: DateTime<Utc>,
    }
    payload!(LeadAcceptanceDueSoon);

    /// A lead was assigned to the partner of the envelope.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LeadAssigned {
        /// The lead.
        pub lead_id: String,
        /// 0 for the first assignment.
        pub attempt: u32,
        /// When the partner must have answered.
        pub accept_by: DateTime<Utc>,
    }
    payload!(LeadAssigned);

    /// No eligible partner was left for a lead.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LeadUnassigned {
        /// The lead.
        pub lead_id: String,
    }
    payload!(LeadUnassigned);

    /// The assigned partner accepted a lead.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LeadAccepted {
        /// The lead.
        pub lead_id: String,
    }
    payload!(LeadAccepted);

    /// The assigned partner declined a lead.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LeadDeclined {
        /// The lead.
        pub lead_id: String,
        /// Why.
        pub reason: String,
    }
    payload!(LeadDeclined);

    /// The assigned partner let the acceptance deadline pass.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LeadLapsed {
        /// The lead.
        pub lead_id: String,
        /// The deadline that passed.
        pub accept_by: DateTime<Utc>,
    }
    payload!(LeadLapsed);
}

/// Events of market development funds (`source` = `prm.mdf`).
pub mod mdf {
    use super::Payload;
    use crate::money::Money;
    use serde::{Deserialize, Serialize};

    macro_rules! payload {
        ($name:ident) => {
            impl Payload for $name {
                const SOURCE: &'static str = "prm.mdf";
                const DETAIL_TYPE: &'static str = stringify!($name);
            }
        };
    }

    /// A partner asked for funds.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfRequestSubmitted {
        /// The request.
        pub request_id: String,
        /// Its title.
        pub title: String,
        /// Amount asked for.
        pub requested_amount: Money,
    }
    payload!(MdfRequestSubmitted);

    /// Funds were reserved for a request.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfRequestApproved {
        /// The request.
        pub request_id: String,
        /// Amount reserved.
        pub approved_amount: Money,
        /// The request's title.
        #[serde(default)]
        pub title: String,
        /// Who submitted it (Cognito `sub`).
        #[serde(default)]
        pub submitted_by: Option<String>,
    }
    payload!(MdfRequestApproved);

    /// A request was refused.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfRequestRejected {
        /// The request.
        pub request_id: String,
        /// Why.
        pub reason: String,
        /// The request's title.
        #[serde(default)]
        pub title: String,
        /// Who submitted it (Cognito `sub`).
        #[serde(default)]
        pub submitted_by: Option<String>,
    }
    payload!(MdfRequestRejected);

    /// A partner claimed funds against an approved request.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfClaimSubmitted {
        /// The claim.
        pub claim_id: String,
        /// The request it draws on.
        pub request_id: String,
        /// Amount claimed.
        pub amount: Money,
    }
    payload!(MdfClaimSubmitted);

    /// A claim was approved (possibly for less).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfClaimApproved {
        /// The claim.
        pub claim_id: String,
        /// Amount approved.
        pub approved_amount: Money,
    }
    payload!(MdfClaimApproved);

    /// A claim was rejected; its funds returned to the allocation.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfClaimRejected {
        /// The claim.
        pub claim_id: String,
        /// Why.
        pub reason: String,
    }
    payload!(MdfClaimRejected);

    /// A claim was paid.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfClaimPaid {
        /// The claim.
        pub claim_id: String,
        /// Amount paid.
        pub amount: Money,
    }
    payload!(MdfClaimPaid);

    /// The claim window of an approved request closes soon and part of its
    /// reservation is still unclaimed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfClaimDeadlineNear {
        /// The request.
        pub request_id: String,
        /// Its title.
        pub title: String,
        /// The last day a claim is accepted (claims close at the end of it, UTC).
        pub claim_deadline: chrono::NaiveDate,
        /// What is still unclaimed.
        pub unclaimed: Money,
    }
    payload!(MdfClaimDeadlineNear);

    /// The claim window of a request closed; what was not claimed went back to
    /// the allocation.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfRequestClosed {
        /// The request.
        pub request_id: String,
        /// The amount released (zero when everything was claimed).
        pub released: Money,
    }
    payload!(MdfRequestClosed);

    /// A won deal accrued co-op funds to its partner.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MdfCoopAccrued {
        /// The won deal.
        pub deal_id: String,
        /// The period credited, e.g. `2026-H2`.
        pub period: String,
        /// The amount accrued.
        pub amount: Money,
        /// The rate applied, in basis points of the won amount.
        pub rate_bp: u32,
    }
    payload!(MdfCoopAccrued);
}

/// Events of training and onboarding (`source` = `prm.training`).
pub mod training {
    use super::Payload;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};

    macro_rules! payload {
        ($name:ident) => {
            impl Payload for $name {
                const SOURCE: &'static str = "prm.training";
                const DETAIL_TYPE: &'static str = stringify!($name);
            }
        };
    }

    /// Someone passed a course for the first time.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CourseCompleted {
        /// The course.
        pub course_id: String,
        /// Its title.
        pub title: String,
        /// The revision taken.
        pub revision: u32,
        /// Who passed (Cognito `sub`).
        pub holder: String,
        /// The score.
        pub score_pct: u32,
    }
    payload!(CourseCompleted);

    /// A certification was issued or renewed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CertificationIssued {
        /// The certification.
        pub certification_id: String,
        /// Its name.
        pub name: String,
        /// The course that grants it.
        pub course_id: String,
        /// Who holds it (Cognito `sub`).
        pub holder: String,
        /// Until when.
        pub expires_at: DateTime<Utc>,
        /// Whether it renewed one already held.
        pub renewed: bool,
    }
    payload!(CertificationIssued);

    /// A certification expires within 30 days.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CertificationExpiring {
        /// The certification.
        pub certification_id: String,
        /// Its name.
        pub name: String,
        /// The course that renews it.
        pub course_id: String,
        /// Who holds it (Cognito `sub`).
        pub holder: String,
        /// When it expires.
        pub expires_at: DateTime<Utc>,
    }
    payload!(CertificationExpiring);

    /// Every task of the partner's onboarding checklist is done; the partner is active.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct OnboardingCompleted {
        /// The checklist's task keys.
        pub tasks: Vec<String>,
    }
    payload!(OnboardingCompleted);
}

/// Events of portal content (`source` = `prm.content`).
pub mod content {
    use super::Payload;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};

    macro_rules! payload {
        ($name:ident) => {
            impl Payload for $name {
                const SOURCE: &'static str = "prm.content";
                const DETAIL_TYPE: &'static str = stringify!($name);
            }
        };
    }

    /// An asset was published.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AssetPublished {
        /// The asset.
        pub asset_id: String,
        /// Its title.
        pub title: String,
        /// Its kind.
        pub kind: String,
    }
    payload!(AssetPublished);

    /// An asset went back to draft.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AssetUnpublished {
        /// The asset.
        pub asset_id: String,
    }
    payload!(AssetUnpublished);

    /// An asset was archived.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AssetArchived {
        /// The asset.
        pub asset_id: String,
    }
    payload!(AssetArchived);

    /// A new file version of an asset.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AssetVersionAdded {
        /// The asset.
        pub asset_id: String,
        /// The version's number.
        pub number: u32,
    }
    payload!(AssetVersionAdded);

    /// A partner shared an asset with a customer.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AssetShared {
        /// The asset.
        pub asset_id: String,
        /// The share.
        pub share_id: String,
        /// Until when.
        pub expires_at: DateTime<Utc>,
    }
    payload!(AssetShared);

    /// A share link was revoked.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ShareRevoked {
        /// The share.
        pub share_id: String,
        /// The asset.
        pub asset_id: String,
    }
    payload!(ShareRevoked);

    /// An announcement was posted.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AnnouncementPosted {
        /// The announcement.
        pub announcement_id: String,
        /// Its title.
        pub title: String,
    }
    payload!(AnnouncementPosted);
}

/// An event as EventBridge delivers it to a target (a Lambda function, or
/// locally the body of an SQS message).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Delivered {
    /// EventBridge's id of the delivery.
    #[serde(default)]
    pub id: String,
    /// e.g. `prm.deals`, or `aws.events` for a schedule.
    pub source: String,
    /// e.g. `DealWon`, or `Scheduled Event`.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// The envelope with its payload.
    #[serde(default)]
    pub detail: serde_json::Value,
}

impl Delivered {
    /// The detail read as the envelope of `T`.
    pub fn envelope<T: serde::de::DeserializeOwned>(&self) -> Result<Envelope<T>, serde_json::Error> {
        serde_json::from_value(self.detail.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_is_the_envelope_with_the_payload_fields_inline() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z").unwrap().with_timezone(&Utc);
        let ev = PendingEvent::new(
            deals::DealRejected {
                deal_id: "D1".into(),
                reason: "existing customer".into(),
                title: "Acme refresh".into(),
                registered_by: None,
                registered_amount: None,
            },
            Some("P1"),
            Some("u1"),
            at,
        )
        .unwrap();
        assert_eq!((ev.source.as_str(), ev.detail_type.as_str()), ("prm.deals", "DealRejected"));
        let detail: serde_json::Value = serde_json::from_str(&ev.detail).unwrap();
        assert_eq!(detail["event_id"], ev.event_id.as_str());
        assert_eq!(detail["version"], 1);
        assert_eq!(detail["partner_id"], "P1");
        assert_eq!(detail["deal_id"], "D1");
        assert_eq!(detail["occurred_at"], "2026-12-03T12:00:00Z");
        let back: Envelope<deals::DealRejected> = serde_json::from_str(&ev.detail).unwrap();
        assert_eq!(back.data.reason, "existing customer");
    }
}

/// Events of the partner program (`source` = `prm.program`).
pub mod program {
    use super::Payload;
    use serde::{Deserialize, Serialize};

    macro_rules! payload {
        ($name:ident) => {
            impl Payload for $name {
                const SOURCE: &'static str = "prm.program";
                const DETAIL_TYPE: &'static str = stringify!($name);
            }
        };
    }

    /// An evaluation proposes moving a partner to another tier.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PartnerTierProposed {
        /// The proposal.
        pub proposal_id: String,
        /// The partner's name.
        pub partner_name: String,
        /// promotion or demotion.
        pub direction: String,
        /// The tier it holds.
        pub from_tier: String,
        /// The tier proposed.
        pub to_tier: String,
    }
    payload!(PartnerTierProposed);

    /// A partner's tier changed (an approved or auto-applied proposal).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PartnerTierChanged {
        /// The proposal that moved it.
        pub proposal_id: String,
        /// The partner's name.
        pub partner_name: String,
        /// promotion or demotion.
        pub direction: String,
        /// The tier it held.
        pub from_tier: String,
        /// The tier it holds now.
        pub to_tier: String,
        /// Whether the rules applied it without approval.
        pub auto_applied: bool,
    }
    payload!(PartnerTierChanged);
}
