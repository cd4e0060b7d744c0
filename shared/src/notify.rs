//! In-app notifications and notification preferences: the items the alerts
//! function writes and the portal's inbox and preference routes read.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | notification | `USER#{sub}` | `NOTIF#{ulid}` (newest last; the inbox reads backwards) |
//! | preferences | `USER#{sub}` | `PREFS` |
//! | delivery marker (idempotency per event, recipient and channel) | `ALERT#{event_id}` | `{sub}#{channel}` (TTL 14 days) |
//! | digest line waiting for the daily digest | `DIGEST#{sub}` | `{occurred_at}#{event_id}` |

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dynamo::Keys;

/// How a notification reaches someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// An email now.
    Immediate,
    /// A line in the next daily digest email.
    Digest,
}

/// Every event type a person can be notified of, and whether it goes to the
/// daily digest unless the person says otherwise.
pub const EVENT_TYPES: &[(&str, Delivery)] = &[
    ("DealRegistered", Delivery::Immediate),
    ("DealConflictDetected", Delivery::Immediate),
    ("DealApproved", Delivery::Immediate),
    ("DealRejected", Delivery::Immediate),
    ("DealExtensionRequested", Delivery::Immediate),
    ("DealExtended", Delivery::Immediate),
    ("DealProtectionEnding", Delivery::Immediate),
    ("DealExpired", Delivery::Immediate),
    ("DealApprovalOverdue", Delivery::Immediate),
    ("DealWon", Delivery::Digest),
    ("DealLost", Delivery::Digest),
    ("LeadAssigned", Delivery::Immediate),
    ("LeadAcceptanceDueSoon", Delivery::Immediate),
    ("LeadUnassigned", Delivery::Immediate),
    ("LeadAccepted", Delivery::Digest),
    ("LeadDeclined", Delivery::Digest),
    ("LeadLapsed", Delivery::Immediate),
    ("CourseCompleted", Delivery::Digest),
    ("CertificationIssued", Delivery::Immediate),
    ("CertificationExpiring", Delivery::Immediate),
    ("OnboardingCompleted", Delivery::Immediate),
    ("MdfRequestSubmitted", Delivery::Immediate),
    ("MdfRequestApproved", Delivery::Immediate),
    ("MdfRequestRejected", Delivery::Immediate),
    ("MdfClaimSubmitted", Delivery::Immediate),
    ("MdfClaimApproved", Delivery::Immediate),
    ("MdfClaimRejected", Delivery::Immediate),
    ("MdfClaimPaid", Delivery::Digest),
    ("MdfClaimDeadlineNear", Delivery::Immediate),
    ("MdfRequestClosed", Delivery::Digest),
    ("MdfCoopAccrued", Delivery::Digest),
    ("PartnerTierProposed", Delivery::Immediate),
    ("PartnerTierChanged", Delivery::Immediate),
];

/// One person's choice for one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPrefs {
    /// Send email.
    pub email: bool,
    /// Show in the portal's inbox.
    pub in_app: bool,
    /// Email in the daily digest instead of at once (when `email` is on).
    pub digest: bool,
}

impl ChannelPrefs {
    /// The default for `event_type`: everything on, digested or not by the catalogue.
    pub fn default_for(event_type: &str) -> Self {
        let digest = EVENT_TYPES.iter().any(|(t, d)| *t == event_type && *d == Delivery::Digest);
        Self { email: true, in_app: true, digest }
    }
}

/// A person's preferences: only what they changed is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPreferences {
    /// Per event type.
    pub by_type: BTreeMap<String, ChannelPrefs>,
    /// Last change.
    pub updated_at: Option<DateTime<Utc>>,
}

impl StoredPreferences {
    /// The effective choice for `event_type`.
    pub fn for_type(&self, event_type: &str) -> ChannelPrefs {
        self.by_type.get(event_type).copied().unwrap_or_else(|| ChannelPrefs::default_for(event_type))
    }

    /// Every event type with its effective choice.
    pub fn effective(&self) -> BTreeMap<String, ChannelPrefs> {
        EVENT_TYPES.iter().map(|(t, _)| ((*t).to_owned(), self.for_type(t))).collect()
    }
}

/// The keys of `sub`'s preferences.
pub fn preferences_keys(sub: &str) -> Keys {
    Keys::new(user_pk(sub), "PREFS", "notification-preferences")
}

/// The partition of a person's items.
pub fn user_pk(sub: &str) -> String {
    format!("USER#{sub}")
}

/// A notification in a person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    /// ULID.
    pub id: String,
    /// The event that caused it.
    pub event_id: String,
    /// Its type, e.g. `DealApproved`.
    pub event_type: String,
    /// One line.
    pub title: String,
    /// What happened.
    pub body: String,
    /// The portal page it is about.
    pub link: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the person marked it read (absent until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
}

/// The keys of notification `id` of `sub`.
pub fn notification_keys(sub: &str, id: &str) -> Keys {
    Keys::new(user_pk(sub), format!("NOTIF#{id}"), "notification")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_preferences_follow_the_catalogue() {
        let mut p = StoredPreferences::default();
        assert_eq!(p.for_type("DealApproved"), ChannelPrefs { email: true, in_app: true, digest: false });
        assert!(p.for_type("DealWon").digest);
        p.by_type.insert("DealApproved".into(), ChannelPrefs { email: false, in_app: true, digest: false });
        assert!(!p.for_type("DealApproved").email);
        assert_eq!(p.effective().len(), EVENT_TYPES.len());
    }
}
