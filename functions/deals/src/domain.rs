//! Deal registrations: the record, its state machine and request parsing. Pure.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use prm_shared::ApiError;
use prm_shared::money::Money;
pub use prm_shared::validate::now;
use prm_shared::validate::{Checker, EmailAddress, country_code, text, text_list};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::customer::CustomerKeys;

prm_shared::string_enum! {
    /// Where a registration is in its life.
    DealStatus {
        /// Waiting for the vendor's review.
        Submitted => "submitted",
        /// Protected for the partner until `protection_expires_at`.
        Approved => "approved",
        /// Refused by the vendor.
        Rejected => "rejected",
        /// Closed, won.
        Won => "won",
        /// Closed, lost.
        Lost => "lost",
        /// Protection ran out before closing.
        Expired => "expired",
    }
}

impl DealStatus {
    /// Whether the deal still holds (or asks for) the customer.
    pub fn is_open(self) -> bool {
        matches!(self, DealStatus::Submitted | DealStatus::Approved)
    }

    /// Whether `self -> to` is a transition of the state machine.
    pub fn can_become(self, to: DealStatus) -> bool {
        use DealStatus::*;
        matches!(
            (self, to),
            (Submitted, Approved) | (Submitted, Rejected) | (Approved, Won) | (Approved, Lost) | (Approved, Expired)
        )
    }
}

/// The customer of a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Company name.
    pub company_name: String,
    /// The company's web or email domain.
    pub domain: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// The customer's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Full name.
    pub name: String,
    /// Email.
    #[schema(format = "email")]
    pub email: String,
}

/// What a conflict check found. Never names another partner or its deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConflictReport {
    /// Whether another partner has an open registration for this customer.
    pub conflict: bool,
    /// `same_domain`, `same_company_name`.
    pub reasons: Vec<String>,
}

/// One step of a deal's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (Cognito `sub`).
    pub by: String,
    /// The status before (none for the registration itself).
    pub from: Option<DealStatus>,
    /// The status after.
    pub to: DealStatus,
    /// Why, when given.
    pub reason: Option<String>,
}

/// A deal registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deal {
    /// Server-generated ULID.
    pub id: String,
    /// The registering partner.
    pub partner_id: String,
    /// The registering user (`sub`).
    pub registered_by: String,
    /// Short description.
    pub title: String,
    /// The customer.
    pub customer: Customer,
    /// The customer's contact.
    pub contact: Contact,
    /// Products or SKUs.
    pub products: Vec<String>,
    /// Expected deal size.
    pub amount: Money,
    /// Expected close date (YYYY-MM-DD).
    pub expected_close_date: NaiveDate,
    /// Free text.
    pub notes: Option<String>,
    /// The MDF request this deal is sourced from.
    pub mdf_request_id: Option<String>,
    /// Current status.
    pub status: DealStatus,
    /// What the conflict check found at registration.
    pub conflict: ConflictReport,
    /// Ids of the other partners' registrations that matched (vendor staff only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicting_deal_ids: Vec<String>,
    /// End of protection, once approved.
    pub protection_expires_at: Option<DateTime<Utc>>,
    /// The end of protection the partner was last reminded of.
    #[serde(default)]
    pub protection_reminded_for: Option<DateTime<Utc>>,
    /// Final amount, once won.
    pub closed_amount: Option<Money>,
    /// When the vendor should have reviewed the registration.
    #[serde(default)]
    pub review_due_at: Option<DateTime<Utc>>,
    /// Set when the review period passed without a decision.
    #[serde(default)]
    pub review_overdue: bool,
    /// A pending request of the partner for more protection time.
    #[serde(default)]
    pub extension_request: Option<ExtensionRequest>,
    /// Every transition, oldest first.
    pub history: Vec<Transition>,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: u64,
}

impl Deal {
    /// The customer keys of this deal.
    pub fn keys(&self) -> CustomerKeys {
        CustomerKeys::of(&self.customer.company_name, &self.customer.domain)
    }

    /// The deal as partner staff may see it: no other partner's deal ids.
    pub fn for_partner(mut self) -> Self {
        self.conflicting_deal_ids.clear();
        self
    }

    /// Whether the deal currently protects its customer.
    pub fn protects_at(&self, now: DateTime<Utc>) -> bool {
        self.status == DealStatus::Approved && self.protection_expires_at.is_some_and(|e| e > now)
    }

    /// The deal after a transition (history, time and version advanced).
    pub fn transitioned(&self, to: DealStatus, by: &str, reason: Option<String>, at: DateTime<Utc>) -> Deal {
        let mut next = self.clone();
        next.history.push(Transition { at, by: by.to_owned(), from: Some(self.status), to, reason });
        next.status = to;
        next.updated_at = at;
        next.version = self.version + 1;
        next
    }
}

/// `POST /v1/deals` and `POST /v1/deals/check`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDealRequest {
    /// Short description, 1 to 200 characters.
    pub title: String,
    /// The customer.
    pub customer: Customer,
    /// The customer's contact.
    pub contact: Contact,
    /// Products or SKUs (at most 50).
    #[serde(default)]
    pub products: Vec<String>,
    /// Expected deal size.
    pub amount: Money,
    /// Expected close date (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub expected_close_date: String,
    /// Free text, at most 4,000 characters.
    pub notes: Option<String>,
    /// The MDF request this deal is sourced from.
    pub mdf_request_id: Option<String>,
}

impl RegisterDealRequest {
    /// Parses the registration into a submitted deal of `partner_id`.
    pub fn into_deal(self, id: String, partner_id: &str, by: &str, at: DateTime<Utc>) -> Result<Deal, ApiError> {
        let mut c = Checker::new();
        let title = c.check("title", text(&self.title, 1, 200));
        let company_name = c.check("customer.company_name", text(&self.customer.company_name, 1, 200));
        let domain = c.check(
            "customer.domain",
            text(&self.customer.domain, 1, 253).and_then(|d| {
                crate::customer::host_of(&d).map(|_| d).ok_or_else(|| "must be a domain such as acme.com".to_owned())
            }),
        );
        let cust_country = c.check("customer.country", country_code(&self.customer.country));
        let contact_name = c.check("contact.name", text(&self.contact.name, 1, 120));
        let contact_email = c.check("contact.email", EmailAddress::parse(&self.contact.email));
        let products = c.check("products", text_list(&self.products, 50, 100));
        let amount = c.check("amount", Money::parse(&self.amount));
        let close = c.check(
            "expected_close_date",
            NaiveDate::parse_from_str(self.expected_close_date.trim(), "%Y-%m-%d")
                .map_err(|_| "must be a date like 2027-03-31".to_owned())
                .and_then(|d| {
                    let today = at.date_naive();
                    if d < today - Duration::days(366) || d > today + Duration::days(5 * 366) {
                        Err("must be within a year before and five years after today".to_owned())
                    } else {
                        Ok(d)
                    }
                }),
        );
        let notes = match self.notes {
            Some(n) if n.chars().count() > 4000 => {
                c.fail("notes", "must be at most 4000 characters");
                None
            }
            Some(n) if n.trim().is_empty() => None,
            other => other.map(|n| n.trim().to_owned()),
        };
        let mdf_request_id = self
            .mdf_request_id
            .filter(|m| !m.trim().is_empty())
            .and_then(|m| c.check("mdf_request_id", text(&m, 1, 64)));
        if let (Some(name), Some(d)) = (&company_name, &domain)
            && CustomerKeys::of(name, d).primary().is_none()
        {
            c.fail("customer.company_name", "must name the company (letters or digits)");
        }
        c.finish()?;
        let (
            Some(title),
            Some(company_name),
            Some(domain),
            Some(cust_country),
            Some(contact_name),
            Some(contact_email),
        ) = (title, company_name, domain, cust_country, contact_name, contact_email)
        else {
            return Err(ApiError::field("body", "invalid registration"));
        };
        let (Some(products), Some(amount), Some(expected_close_date)) = (products, amount, close) else {
            return Err(ApiError::field("body", "invalid registration"));
        };
        Ok(Deal {
            id,
            partner_id: partner_id.to_owned(),
            registered_by: by.to_owned(),
            title,
            customer: Customer { company_name, domain: domain.trim().to_lowercase(), country: cust_country },
            contact: Contact { name: contact_name, email: contact_email.to_string() },
            products,
            amount,
            expected_close_date,
            notes,
            mdf_request_id,
            status: DealStatus::Submitted,
            conflict: ConflictReport { conflict: false, reasons: vec![] },
            conflicting_deal_ids: vec![],
            protection_expires_at: None,
            protection_reminded_for: None,
            closed_amount: None,
            extension_request: None,
            review_due_at: None,
            review_overdue: false,
            history: vec![Transition { at, by: by.to_owned(), from: None, to: DealStatus::Submitted, reason: None }],
            created_at: at,
            updated_at: at,
            version: 1,
        })
    }
}

/// A partner's pending request for more protection time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExtensionRequest {
    /// Days asked for.
    pub days: i64,
    /// Why.
    pub reason: Option<String>,
    /// Who asked (`sub`).
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// `POST /v1/deals/{id}/extension`: the owning partner asks, vendor staff grant.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    /// Days to add, 1 to 365 (partner default 30; vendor default: what was asked, else 30).
    pub days: Option<i64>,
    /// Why (partner requests).
    pub reason: Option<String>,
}

impl Deal {
    /// The deal with its protection extended by `days` from the later of its
    /// expiry and `at`; any pending request is settled.
    pub fn extended(&self, days: i64, by: &str, at: DateTime<Utc>) -> Deal {
        let base = self.protection_expires_at.map_or(at, |e| e.max(at));
        let mut next = self.clone();
        next.protection_expires_at = Some(base + Duration::days(days));
        next.extension_request = None;
        next.history.push(Transition {
            at,
            by: by.to_owned(),
            from: Some(self.status),
            to: self.status,
            reason: Some(format!("protection extended by {days} days")),
        });
        next.updated_at = at;
        next.version = self.version + 1;
        next
    }

    /// The deal with a pending extension request.
    pub fn with_extension_request(&self, days: i64, reason: Option<String>, by: &str, at: DateTime<Utc>) -> Deal {
        let mut next = self.clone();
        next.extension_request =
            Some(ExtensionRequest { days, reason: reason.clone(), requested_by: by.to_owned(), requested_at: at });
        next.history.push(Transition {
            at,
            by: by.to_owned(),
            from: Some(self.status),
            to: self.status,
            reason: Some(format!(
                "extension of {days} days requested{}",
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            )),
        });
        next.updated_at = at;
        next.version = self.version + 1;
        next
    }
}

/// `POST /v1/deals/{id}/approve`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Protection period in days (1 to 365); the program default otherwise.
    pub protection_days: Option<i64>,
}

/// `POST /v1/deals/{id}/reject`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why, 1 to 1,000 characters (shown to the partner).
    pub reason: String,
}

/// The outcome of a closed deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Won.
    Won,
    /// Lost.
    Lost,
}

/// `POST /v1/deals/{id}/close`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// won or lost.
    pub outcome: Outcome,
    /// Final amount when won (defaults to the registered amount).
    pub amount: Option<Money>,
    /// Why, optional.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> RegisterDealRequest {
        serde_json::from_value(json!({
            "title": "Acme firewall refresh",
            "customer": {"company_name": "Acme Inc", "domain": "www.acme.com", "country": "us"},
            "contact": {"name": "Ann Buyer", "email": "Ann@Acme.com"},
            "products": ["FW-500"],
            "amount": {"amount_minor": 5_000_000, "currency": "usd"},
            "expected_close_date": "2027-03-31"
        }))
        .unwrap()
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_registration_is_normalized_and_submitted() {
        let d = request().into_deal("D1".into(), "P1", "u1", at()).unwrap();
        assert_eq!(d.status, DealStatus::Submitted);
        assert_eq!(d.customer.country, "US");
        assert_eq!(d.amount.currency, "USD");
        assert_eq!(d.contact.email, "ann@acme.com");
        assert_eq!(d.history.len(), 1);
        assert_eq!(d.keys().primary(), Some("d:acme.com"));
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let mut r = request();
        r.customer.domain = "not a domain".into();
        r.customer.country = "USA".into();
        r.contact.email = "ann".into();
        r.amount.amount_minor = -5;
        r.expected_close_date = "31/03/2027".into();
        let err = r.into_deal("D1".into(), "P1", "u1", at()).unwrap_err().problem();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["customer.domain", "customer.country", "contact.email", "amount", "expected_close_date"]
        );
    }

    #[test]
    fn the_state_machine_allows_only_its_transitions() {
        use DealStatus::*;
        let allowed =
            [(Submitted, Approved), (Submitted, Rejected), (Approved, Won), (Approved, Lost), (Approved, Expired)];
        for &from in DealStatus::ALL {
            for &to in DealStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn an_extension_counts_from_the_later_of_expiry_and_now() {
        let mut d = request().into_deal("D1".into(), "P1", "u1", at()).unwrap().transitioned(
            DealStatus::Approved,
            "v",
            None,
            at(),
        );
        d.protection_expires_at = Some(at() + Duration::days(10));
        let asked = d.with_extension_request(20, Some("slipped".into()), "u1", at());
        assert_eq!(asked.extension_request.as_ref().unwrap().days, 20);
        let e = asked.extended(20, "v", at());
        assert_eq!(e.protection_expires_at, Some(at() + Duration::days(30)));
        assert!(e.extension_request.is_none());
        assert_eq!(e.status, DealStatus::Approved);
        // Already lapsed: counted from now.
        let late = at() + Duration::days(15);
        assert_eq!(d.extended(5, "v", late).protection_expires_at, Some(late + Duration::days(5)));
    }

    #[test]
    fn protection_holds_only_while_approved_and_unexpired() {
        let mut d = request().into_deal("D1".into(), "P1", "u1", at()).unwrap();
        assert!(!d.protects_at(at()));
        d = d.transitioned(DealStatus::Approved, "v", None, at());
        d.protection_expires_at = Some(at() + Duration::days(90));
        assert!(d.protects_at(at()));
        assert!(!d.protects_at(at() + Duration::days(91)));
        assert_eq!(d.version, 2);
        assert_eq!(d.history.last().unwrap().from, Some(DealStatus::Submitted));
    }
}
