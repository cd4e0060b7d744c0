//! The demo program `make dev` starts with: a vendor admin, a channel manager
//! and three partners of different tiers and regions, each with a
//! partner-admin and a partner-user.

use aws_sdk_cognitoidentityprovider as idp;
use portal::domain::{CreatePartnerRequest, PartnerRole, PartnerUser, now};
use prm_shared::dynamo::Db;
use prm_shared::validate::EmailAddress;
use serde::Serialize;

use crate::provision::create_user;

/// The password of every demo user (meets the pool's policy).
pub const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

/// A seeded user, as written to `.local/dev.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SeededUser {
    /// Sign-in email.
    pub email: String,
    /// Password.
    pub password: String,
    /// Group.
    pub role: String,
    /// Partner of partner staff.
    pub partner_id: Option<String>,
    /// Display name.
    pub name: String,
}

/// A seeded partner.
#[derive(Debug, Clone, Serialize)]
pub struct SeededPartner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Region.
    pub region: String,
}

/// Everything seeded.
#[derive(Debug, Clone, Serialize)]
pub struct Seeded {
    /// Users.
    pub users: Vec<SeededUser>,
    /// Partners.
    pub partners: Vec<SeededPartner>,
}

struct DemoPartner {
    name: &'static str,
    kind: &'static str,
    tier: &'static str,
    region: &'static str,
    country: &'static str,
    domain: &'static str,
    specialties: &'static [&'static str],
}

const PARTNERS: [DemoPartner; 3] = [
    DemoPartner {
        name: "Northwind Traders",
        kind: "var",
        tier: "gold",
        region: "NA",
        country: "US",
        domain: "northwind.example.com",
        specialties: &["cloud", "security"],
    },
    DemoPartner {
        name: "Contoso Cloud GmbH",
        kind: "msp",
        tier: "silver",
        region: "EMEA",
        country: "DE",
        domain: "contoso.example.com",
        specialties: &["managed services"],
    },
    DemoPartner {
        name: "Fabrikam Distribution",
        kind: "distributor",
        tier: "registered",
        region: "APAC",
        country: "SG",
        domain: "fabrikam.example.com",
        specialties: &["logistics"],
    },
];

/// Seeds the demo program into an empty table and pool.
pub async fn seed(db: &Db, idp: &idp::Client, pool_id: &str) -> anyhow::Result<Seeded> {
    let mut users = Vec::new();
    let mut partners = Vec::new();
    for (email, name, role) in [
        ("admin@vendor.example.com", "Vera Admin", "vendor-admin"),
        ("channel@vendor.example.com", "Chris Channel", "channel-manager"),
    ] {
        create_user(idp, pool_id, email, name, DEMO_PASSWORD, role, None).await?;
        users.push(SeededUser {
            email: email.into(),
            password: DEMO_PASSWORD.into(),
            role: role.into(),
            partner_id: None,
            name: name.into(),
        });
    }
    for p in &PARTNERS {
        let partner = CreatePartnerRequest {
            name: p.name.into(),
            partner_type: p.kind.into(),
            tier: p.tier.into(),
            region: p.region.into(),
            country: p.country.into(),
            specialties: p.specialties.iter().map(|s| (*s).to_owned()).collect(),
            contact_email: format!("channel@{}", p.domain),
        }
        .into_partner(ulid::Ulid::new().to_string(), now())
        .map_err(|e| anyhow::anyhow!("demo partner {}: {e}", p.name))?;
        portal::store::create_partner(db, &partner).await?;
        for (local, name, role) in
            [("admin", "Partner Admin", PartnerRole::PartnerAdmin), ("user", "Partner User", PartnerRole::PartnerUser)]
        {
            let email = format!("{local}@{}", p.domain);
            let address = EmailAddress::parse(&email).map_err(anyhow::Error::msg)?;
            let display = format!("{name} ({})", p.name);
            let sub =
                create_user(idp, pool_id, &email, &display, DEMO_PASSWORD, role.as_str(), Some(&partner.id)).await?;
            portal::store::claim_email(db, &address, &partner.id).await?;
            portal::store::put_user(
                db,
                &PartnerUser {
                    id: sub,
                    partner_id: partner.id.clone(),
                    email: address,
                    name: display.clone(),
                    role,
                    status: "active".into(),
                    invited_by: "seed".into(),
                    invited_at: now(),
                },
            )
            .await?;
            users.push(SeededUser {
                email,
                password: DEMO_PASSWORD.into(),
                role: role.as_str().into(),
                partner_id: Some(partner.id.clone()),
                name: display,
            });
        }
        partners.push(SeededPartner {
            id: partner.id.clone(),
            name: partner.name.clone(),
            tier: p.tier.into(),
            region: p.region.into(),
        });
    }
    Ok(Seeded { users, partners })
}
