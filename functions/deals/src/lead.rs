//! Leads: the record, its states and request parsing. Pure.

use chrono::{DateTime, Duration, Utc};
use prm_shared::ApiError;
use prm_shared::validate::{Checker, EmailAddress, country_code, text, text_list};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::distribution::{Evidence, LeadFacts};
use crate::domain::Contact;

prm_shared::string_enum! {
    /// Where a lead is.
    LeadStatus {
        /// Waiting for the assigned partner to accept or decline.
        Assigned => "assigned",
        /// Taken by the assigned partner.
        Accepted => "accepted",
        /// No eligible partner is left.
        Unassigned => "unassigned",
    }
}

/// One assignment of a lead, with its evidence and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    /// 0 for the first assignment, then one more per reassignment.
    pub attempt: u32,
    /// When.
    pub at: DateTime<Utc>,
    /// The evidence: rule version, candidates and weights, seed, outcome.
    pub evidence: Evidence,
    /// `accepted`, `declined` or `lapsed` once the partner answered.
    pub result: Option<String>,
    /// The partner's reason when declined.
    pub reason: Option<String>,
}

/// A sales lead the vendor passes to a partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Lead {
    /// Server-generated ULID.
    pub id: String,
    /// The prospect's company.
    pub company_name: String,
    /// The prospect's domain.
    pub domain: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Sales region (decides which partners are eligible).
    pub region: String,
    /// Products of interest.
    pub product_interest: Vec<String>,
    /// The prospect's contact.
    pub contact: Contact,
    /// Current status.
    pub status: LeadStatus,
    /// The partner it is assigned to (or was accepted by).
    pub partner_id: Option<String>,
    /// When the assigned partner must have answered.
    pub accept_by: Option<DateTime<Utc>>,
    /// Every assignment, oldest first (vendor staff only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<Assignment>,
    /// Partners that declined it (vendor staff only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined_by: Vec<String>,
    /// The deal registration it was converted into on acceptance.
    #[serde(default)]
    pub deal_id: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: u64,
}

impl Lead {
    /// What the distribution engine needs of this lead for its next assignment.
    pub fn facts(&self) -> LeadFacts {
        LeadFacts {
            id: self.id.clone(),
            region: prm_shared::dynamo::keys::region(&self.region),
            interests: self.product_interest.iter().map(|p| p.to_lowercase()).collect(),
            excluded: self.declined_by.clone(),
            attempt: u32::try_from(self.assignments.len()).unwrap_or(u32::MAX),
        }
    }

    /// The lead with a new assignment from `evidence`.
    pub fn assigned(&self, evidence: Evidence, sla_hours: i64, at: DateTime<Utc>) -> Lead {
        let mut next = self.clone();
        next.partner_id = evidence.outcome.clone();
        next.status = if evidence.outcome.is_some() { LeadStatus::Assigned } else { LeadStatus::Unassigned };
        next.accept_by = evidence.outcome.as_ref().map(|_| at + Duration::hours(sla_hours));
        next.assignments.push(Assignment {
            attempt: u32::try_from(self.assignments.len()).unwrap_or(u32::MAX),
            at,
            evidence,
            result: None,
            reason: None,
        });
        next.updated_at = at;
        next.version = self.version + 1;
        next
    }

    /// The lead with its current assignment answered (`accepted`, `declined`, `lapsed`).
    pub fn answered(&self, result: &str, reason: Option<String>, at: DateTime<Utc>) -> Lead {
        let mut next = self.clone();
        if let Some(a) = next.assignments.last_mut() {
            a.result = Some(result.to_owned());
            a.reason = reason;
        }
        if result == "accepted" {
            next.status = LeadStatus::Accepted;
            next.accept_by = None;
        } else if let Some(p) = &self.partner_id {
            next.declined_by.push(p.clone());
        }
        next.updated_at = at;
        next.version = self.version + 1;
        next
    }

    /// The lead as partner staff may see it: no evidence, no other partners.
    pub fn for_partner(mut self) -> Self {
        self.assignments.clear();
        self.declined_by.clear();
        self
    }
}

/// `POST /v1/leads`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadRequest {
    /// The prospect's company.
    pub company_name: String,
    /// The prospect's domain.
    pub domain: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Sales region.
    pub region: String,
    /// Products of interest (at most 20).
    #[serde(default)]
    pub product_interest: Vec<String>,
    /// The prospect's contact.
    pub contact: Contact,
}

impl CreateLeadRequest {
    /// Parses the request into a lead not yet assigned.
    pub fn into_lead(self, id: String, by: &str, at: DateTime<Utc>) -> Result<Lead, ApiError> {
        let mut c = Checker::new();
        let company_name = c.check("company_name", text(&self.company_name, 1, 200));
        let domain = c.check(
            "domain",
            text(&self.domain, 1, 253).and_then(|d| {
                crate::customer::host_of(&d)
                    .map(|_| d.trim().to_lowercase())
                    .ok_or_else(|| "must be a domain such as acme.com".to_owned())
            }),
        );
        let country = c.check("country", country_code(&self.country));
        let region = c.check("region", text(&self.region, 1, 64));
        let product_interest = c.check("product_interest", text_list(&self.product_interest, 20, 100));
        let contact_name = c.check("contact.name", text(&self.contact.name, 1, 120));
        let contact_email = c.check("contact.email", EmailAddress::parse(&self.contact.email));
        c.finish()?;
        match (company_name, domain, country, region, product_interest, contact_name, contact_email) {
            (
                Some(company_name),
                Some(domain),
                Some(country),
                Some(region),
                Some(product_interest),
                Some(name),
                Some(email),
            ) => Ok(Lead {
                id,
                company_name,
                domain,
                country,
                region,
                product_interest,
                contact: Contact { name, email: email.to_string() },
                status: LeadStatus::Unassigned,
                partner_id: None,
                accept_by: None,
                assignments: vec![],
                declined_by: vec![],
                deal_id: None,
                created_by: by.to_owned(),
                created_at: at,
                updated_at: at,
                version: 0,
            }),
            _ => Err(ApiError::field("body", "invalid lead")),
        }
    }
}

/// `POST /v1/leads/{id}/accept`: optionally registers the deal at once.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptLeadRequest {
    /// Register a deal for the lead's customer and contact, in the same step.
    pub register_deal: Option<LeadDeal>,
}

/// What a deal registration from a lead needs beyond the lead.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadDeal {
    /// Short description.
    pub title: String,
    /// Expected deal size.
    pub amount: prm_shared::money::Money,
    /// Expected close date (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub expected_close_date: String,
    /// Products or SKUs.
    #[serde(default)]
    pub products: Vec<String>,
    /// Free text.
    pub notes: Option<String>,
}

impl LeadDeal {
    /// The registration of this lead's customer.
    pub fn registration(self, lead: &Lead) -> crate::domain::RegisterDealRequest {
        crate::domain::RegisterDealRequest {
            title: self.title,
            customer: crate::domain::Customer {
                company_name: lead.company_name.clone(),
                domain: lead.domain.clone(),
                country: lead.country.clone(),
            },
            contact: lead.contact.clone(),
            products: self.products,
            amount: self.amount,
            expected_close_date: self.expected_close_date,
            notes: self.notes,
            mdf_request_id: None,
        }
    }
}

/// `POST /v1/leads/{id}/decline`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineRequest {
    /// Why, 1 to 1,000 characters.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::{Candidate, Evidence};

    fn lead() -> Lead {
        serde_json::from_value::<CreateLeadRequest>(serde_json::json!({
            "company_name": "Acme", "domain": "acme.com", "country": "fr", "region": "EMEA",
            "product_interest": ["Security"], "contact": {"name": "Ann", "email": "ann@acme.com"}
        }))
        .unwrap()
        .into_lead("L1".into(), "v", Utc::now())
        .unwrap()
    }

    fn evidence(outcome: Option<&str>) -> Evidence {
        Evidence {
            rule_version: "r".into(),
            candidates: vec![Candidate { partner_id: "P1".into(), eligible: true, weight: 1, reasons: vec![] }],
            seed: 7,
            outcome: outcome.map(str::to_owned),
        }
    }

    #[test]
    fn a_decline_excludes_the_partner_from_the_next_assignment() {
        let at = Utc::now();
        let l = lead().assigned(evidence(Some("P1")), 48, at);
        assert_eq!((l.status, l.partner_id.as_deref()), (LeadStatus::Assigned, Some("P1")));
        assert_eq!(l.accept_by, Some(at + Duration::hours(48)));
        let d = l.answered("declined", Some("no capacity".into()), at);
        assert_eq!(d.facts().excluded, vec!["P1"]);
        assert_eq!(d.facts().attempt, 1);
        let none = d.assigned(evidence(None), 48, at);
        assert_eq!((none.status, none.partner_id.clone()), (LeadStatus::Unassigned, None));
        assert_eq!(none.assignments[0].result.as_deref(), Some("declined"));
        assert!(none.clone().for_partner().assignments.is_empty());
    }

    #[test]
    fn bad_leads_name_their_fields() {
        let err = serde_json::from_value::<CreateLeadRequest>(serde_json::json!({
            "company_name": "", "domain": "nope", "country": "France", "region": "EMEA",
            "contact": {"name": "Ann", "email": "x"}
        }))
        .unwrap()
        .into_lead("L1".into(), "v", Utc::now())
        .unwrap_err()
        .problem();
        let f: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(f, vec!["company_name", "domain", "country", "contact.email"]);
    }
}
