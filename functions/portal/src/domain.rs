//! Partners and their users: the records, their enumerations and the parsing
//! of requests into them. Pure: no I/O here.

use chrono::{DateTime, Utc};
pub use prm_shared::validate::now;
use prm_shared::validate::{Checker, EmailAddress, country_code, text, text_list};
use prm_shared::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

prm_shared::string_enum! {
    /// How a partner sells.
    PartnerType {
        /// Resells the vendor's products.
        Reseller => "reseller",
        /// Value-added reseller.
        Var => "var",
        /// Distributor that supplies resellers.
        Distributor => "distributor",
        /// Managed service provider.
        Msp => "msp",
        /// Refers customers for a fee.
        Referral => "referral",
    }
}

prm_shared::string_enum! {
    /// The program tier, lowest first.
    Tier {
        /// Entry tier.
        Registered => "registered",
        /// Second tier.
        Silver => "silver",
        /// Third tier.
        Gold => "gold",
        /// Top tier.
        Platinum => "platinum",
    }
}

prm_shared::string_enum! {
    /// Where a partner is in its life cycle.
    PartnerStatus {
        /// Signed up, working through onboarding.
        Onboarding => "onboarding",
        /// In good standing.
        Active => "active",
        /// Temporarily barred from the program.
        Suspended => "suspended",
        /// Left the program.
        Terminated => "terminated",
    }
}

prm_shared::string_enum! {
    /// The roles a partner's staff can be invited with.
    PartnerRole {
        /// Manages its partner's profile and users.
        PartnerAdmin => "partner-admin",
        /// Works within its partner.
        PartnerUser => "partner-user",
    }
}

/// A partner company in the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Partner {
    /// Server-generated ULID.
    pub id: String,
    /// Company name.
    pub name: String,
    /// How it sells.
    #[serde(rename = "type")]
    pub partner_type: PartnerType,
    /// Program tier.
    pub tier: Tier,
    /// Sales region, e.g. `EMEA`.
    pub region: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Areas of expertise.
    pub specialties: Vec<String>,
    /// Main contact.
    pub contact_email: EmailAddress,
    /// Life-cycle status.
    pub status: PartnerStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: u64,
}

/// `POST /v1/partners`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartnerRequest {
    /// Company name, 1 to 200 characters.
    pub name: String,
    /// reseller, var, distributor, msp or referral.
    #[serde(rename = "type")]
    #[schema(value_type = PartnerType)]
    pub partner_type: String,
    /// registered, silver, gold or platinum.
    #[schema(value_type = Tier)]
    pub tier: String,
    /// Sales region, e.g. `EMEA`.
    pub region: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Areas of expertise (at most 20).
    #[serde(default)]
    pub specialties: Vec<String>,
    /// Main contact.
    #[schema(format = "email")]
    pub contact_email: String,
}

/// `PATCH /v1/partners/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartnerRequest {
    /// Company name.
    pub name: Option<String>,
    /// Vendor admins only.
    #[serde(rename = "type")]
    #[schema(value_type = Option<PartnerType>)]
    pub partner_type: Option<String>,
    /// Vendor admins only.
    #[schema(value_type = Option<Tier>)]
    pub tier: Option<String>,
    /// Vendor admins only.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// Areas of expertise.
    pub specialties: Option<Vec<String>>,
    /// Main contact.
    #[schema(format = "email")]
    pub contact_email: Option<String>,
    /// Vendor admins only.
    #[schema(value_type = Option<PartnerStatus>)]
    pub status: Option<String>,
}

/// A validated set of changes to a partner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerChanges {
    /// New name.
    pub name: Option<String>,
    /// New type.
    pub partner_type: Option<PartnerType>,
    /// New tier.
    pub tier: Option<Tier>,
    /// New region.
    pub region: Option<String>,
    /// New country.
    pub country: Option<String>,
    /// New specialties.
    pub specialties: Option<Vec<String>>,
    /// New contact.
    pub contact_email: Option<EmailAddress>,
    /// New status.
    pub status: Option<PartnerStatus>,
}

fn region(raw: &str) -> Result<String, String> {
    text(raw, 1, 64)
}

fn specialties(raw: &[String]) -> Result<Vec<String>, String> {
    text_list(raw, 20, 64)
}

/// The index key of a region (shared with the functions that read partners).
pub use prm_shared::dynamo::keys::region as region_key;

impl CreatePartnerRequest {
    /// Parses the request into a new partner (status onboarding).
    pub fn into_partner(self, id: String, at: DateTime<Utc>) -> Result<Partner, ApiError> {
        let mut c = Checker::new();
        let name = c.check("name", text(&self.name, 1, 200));
        let partner_type = c.check("type", PartnerType::parse(&self.partner_type));
        let tier = c.check("tier", Tier::parse(&self.tier));
        let region = c.check("region", region(&self.region));
        let country = c.check("country", country_code(&self.country));
        let specialties = c.check("specialties", specialties(&self.specialties));
        let contact_email = c.check("contact_email", EmailAddress::parse(&self.contact_email));
        match (name, partner_type, tier, region, country, specialties, contact_email) {
            (
                Some(name),
                Some(partner_type),
                Some(tier),
                Some(region),
                Some(country),
                Some(specialties),
                Some(contact_email),
            ) if c.is_ok() => Ok(Partner {
                id,
                name,
                partner_type,
                tier,
                region,
                country,
                specialties,
                contact_email,
                status: PartnerStatus::Onboarding,
                created_at: at,
                updated_at: at,
                version: 1,
            }),
            _ => Err(c.finish().err().unwrap_or_else(|| ApiError::field("body", "invalid partner"))),
        }
    }
}

impl UpdatePartnerRequest {
    /// Parses the changes; `vendor_admin` may change every field, a partner
    /// admin only its profile (name, country, specialties, contact email).
    pub fn into_changes(self, vendor_admin: bool) -> Result<PartnerChanges, ApiError> {
        let mut c = Checker::new();
        if !vendor_admin {
            let reserved = [
                ("type", self.partner_type.is_some()),
                ("tier", self.tier.is_some()),
                ("region", self.region.is_some()),
                ("status", self.status.is_some()),
            ];
            for (field, present) in reserved {
                if present {
                    c.fail(field, "may only be changed by the vendor's program administrators");
                }
            }
        }
        let changes = PartnerChanges {
            name: self.name.and_then(|v| c.check("name", text(&v, 1, 200))),
            partner_type: self.partner_type.and_then(|v| c.check("type", PartnerType::parse(&v))),
            tier: self.tier.and_then(|v| c.check("tier", Tier::parse(&v))),
            region: self.region.and_then(|v| c.check("region", region(&v))),
            country: self.country.and_then(|v| c.check("country", country_code(&v))),
            specialties: self.specialties.and_then(|v| c.check("specialties", specialties(&v))),
            contact_email: self.contact_email.and_then(|v| c.check("contact_email", EmailAddress::parse(&v))),
            status: self.status.and_then(|v| c.check("status", PartnerStatus::parse(&v))),
        };
        c.finish()?;
        Ok(changes)
    }
}

impl PartnerChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &PartnerChanges::default()
    }

    /// The partner with these changes applied (version and time advanced).
    pub fn apply(&self, p: &Partner, at: DateTime<Utc>) -> Partner {
        let mut next = p.clone();
        if let Some(v) = &self.name {
            next.name = v.clone();
        }
        if let Some(v) = self.partner_type {
            next.partner_type = v;
        }
        if let Some(v) = self.tier {
            next.tier = v;
        }
        if let Some(v) = &self.region {
            next.region = v.clone();
        }
        if let Some(v) = &self.country {
            next.country = v.clone();
        }
        if let Some(v) = &self.specialties {
            next.specialties = v.clone();
        }
        if let Some(v) = &self.contact_email {
            next.contact_email = v.clone();
        }
        if let Some(v) = self.status {
            next.status = v;
        }
        next.updated_at = at;
        next.version = p.version + 1;
        next
    }
}

/// A member of a partner's staff with access to the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartnerUser {
    /// The Cognito `sub`.
    pub id: String,
    /// The partner the user belongs to.
    pub partner_id: String,
    /// Sign-in email.
    pub email: EmailAddress,
    /// Display name.
    pub name: String,
    /// partner-admin or partner-user.
    pub role: PartnerRole,
    /// `invited` until first sign-in.
    pub status: String,
    /// The `sub` of whoever invited the user.
    pub invited_by: String,
    /// When the invitation was sent.
    pub invited_at: DateTime<Utc>,
}

/// `POST /v1/partners/{id}/users`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteUserRequest {
    /// Sign-in email.
    #[schema(format = "email")]
    pub email: String,
    /// Display name, 1 to 120 characters.
    pub name: String,
    /// partner-admin or partner-user.
    #[schema(value_type = PartnerRole)]
    pub role: String,
}

/// A validated invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Sign-in email.
    pub email: EmailAddress,
    /// Display name.
    pub name: String,
    /// Role in the partner.
    pub role: PartnerRole,
}

impl InviteUserRequest {
    /// Parses the invitation.
    pub fn parse(self) -> Result<Invitation, ApiError> {
        let mut c = Checker::new();
        let email = c.check("email", EmailAddress::parse(&self.email));
        let name = c.check("name", text(&self.name, 1, 120));
        let role = c.check(
            "role",
            PartnerRole::parse(&self.role).map_err(|m| format!("{m} (vendor roles are not granted here)")),
        );
        match (email, name, role) {
            (Some(email), Some(name), Some(role)) => Ok(Invitation { email, name, role }),
            _ => Err(c.finish().err().unwrap_or_else(|| ApiError::invalid(vec![FieldError::new("body", "invalid")]))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create() -> CreatePartnerRequest {
        CreatePartnerRequest {
            name: " Northwind Traders ".into(),
            partner_type: "VAR".into(),
            tier: "gold".into(),
            region: "EMEA".into(),
            country: "de".into(),
            specialties: vec!["Cloud".into(), "cloud".into()],
            contact_email: "Channel@Northwind.example.com".into(),
        }
    }

    fn fields(err: ApiError) -> Vec<String> {
        err.problem().errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_new_partner_is_normalized_and_onboarding() {
        let p = create().into_partner("01J".into(), now()).unwrap();
        assert_eq!(p.name, "Northwind Traders");
        assert_eq!(p.partner_type, PartnerType::Var);
        assert_eq!(p.country, "DE");
        assert_eq!(p.specialties, vec!["Cloud"]);
        assert_eq!(p.contact_email.as_str(), "channel@northwind.example.com");
        assert_eq!(p.status, PartnerStatus::Onboarding);
        assert_eq!(p.version, 1);
    }

    #[test]
    fn every_invalid_field_is_named() {
        let mut r = create();
        r.name = "".into();
        r.partner_type = "wholesaler".into();
        r.tier = "diamond".into();
        r.country = "Germany".into();
        r.contact_email = "nobody".into();
        let f = fields(r.into_partner("x".into(), now()).unwrap_err());
        assert_eq!(f, vec!["name", "type", "tier", "country", "contact_email"]);
    }

    #[test]
    fn an_oversized_name_is_refused() {
        let mut r = create();
        r.name = "x".repeat(201);
        assert_eq!(fields(r.into_partner("x".into(), now()).unwrap_err()), vec!["name"]);
    }

    #[test]
    fn a_partner_admin_cannot_change_tier_or_status() {
        let r =
            UpdatePartnerRequest { tier: Some("platinum".into()), status: Some("active".into()), ..Default::default() };
        assert_eq!(fields(r.into_changes(false).unwrap_err()), vec!["tier", "status"]);
        let r = UpdatePartnerRequest { tier: Some("platinum".into()), ..Default::default() };
        assert_eq!(r.into_changes(true).unwrap().tier, Some(Tier::Platinum));
    }

    #[test]
    fn changes_apply_and_advance_the_version() {
        let p = create().into_partner("01J".into(), now()).unwrap();
        let ch = UpdatePartnerRequest { name: Some("Northwind GmbH".into()), ..Default::default() }
            .into_changes(false)
            .unwrap();
        let next = ch.apply(&p, now());
        assert_eq!(next.name, "Northwind GmbH");
        assert_eq!(next.tier, p.tier);
        assert_eq!(next.version, 2);
        assert!(UpdatePartnerRequest::default().into_changes(false).unwrap().is_empty());
    }

    #[test]
    fn invitations_grant_partner_roles_only() {
        let ok = InviteUserRequest { email: "A@B.example".into(), name: "Ann".into(), role: "partner-user".into() };
        assert_eq!(ok.parse().unwrap().role, PartnerRole::PartnerUser);
        let bad = InviteUserRequest { email: "a@b.example".into(), name: "Ann".into(), role: "vendor-admin".into() };
        assert_eq!(fields(bad.parse().unwrap_err()), vec!["role"]);
    }

    #[test]
    fn regions_index_case_insensitively() {
        assert_eq!(region_key(" North  America "), "north america");
        assert_eq!(region_key("EMEA"), region_key("emea"));
    }
}
