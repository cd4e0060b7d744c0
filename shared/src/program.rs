//! The partner program's tier rules, as data (`PROGRAM` / `TIERS`, versioned
//! by the portal's `PUT /v1/program/tiers`). The portal evaluates partners
//! against the requirements; the deals and MDF functions read the benefits of
//! a partner's current tier from here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dynamo::{Db, Stored};
use crate::money::Money;

/// The tiers, lowest first.
pub const TIERS: [&str; 4] = ["registered", "silver", "gold", "platinum"];

/// What a partner needs to hold a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// People with an unexpired certification.
    pub certified_people: u32,
    /// Won revenue over the trailing 12 months (in this currency).
    pub won_revenue_12_months: Money,
    /// Approved deal registrations, all time.
    pub approved_registrations: u32,
}

/// What a tier gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Benefits {
    /// Deal protection, days (when the approver does not set it).
    pub protection_days: u32,
    /// Co-op accrual, basis points of won revenue.
    pub coop_rate_bp: u32,
    /// Lead distribution weight (thousandths).
    pub lead_weight: u32,
}

/// One tier's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    /// registered, silver, gold or platinum.
    pub tier: String,
    /// To hold it.
    pub requirements: Requirements,
    /// What it gives.
    pub benefits: Benefits,
}

/// The program's tier rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierRules {
    /// 1, then one more per change (0: the built-in default, never saved).
    pub version: u32,
    /// Every tier, lowest first.
    pub tiers: Vec<TierRule>,
    /// Days a partner keeps its tier after falling short, before a demotion is proposed.
    pub demotion_grace_days: u32,
    /// Whether evaluations apply promotions and demotions without approval.
    pub auto_apply: bool,
    /// When this version was set.
    pub updated_at: Option<DateTime<Utc>>,
    /// Who set it.
    pub updated_by: Option<String>,
}

fn rule(tier: &str, people: u32, revenue: i64, approved: u32, bp: u32, weight: u32) -> TierRule {
    TierRule {
        tier: tier.into(),
        requirements: Requirements {
            certified_people: people,
            won_revenue_12_months: Money { amount_minor: revenue, currency: "USD".into() },
            approved_registrations: approved,
        },
        // The built-in benefits are the deployment defaults of the deals and
        // MDF functions (90 days of protection, their co-op rates and lead weights).
        benefits: Benefits { protection_days: 90, coop_rate_bp: bp, lead_weight: weight },
    }
}

impl Default for TierRules {
    fn default() -> Self {
        Self {
            version: 0,
            tiers: vec![
                rule(TIERS[0], 0, 0, 0, 100, 1000),
                rule(TIERS[1], 1, 10_000_000, 2, 200, 2000),
                rule(TIERS[2], 2, 50_000_000, 5, 300, 3000),
                rule(TIERS[3], 5, 200_000_000, 15, 400, 4000),
            ],
            demotion_grace_days: 90,
            auto_apply: false,
            updated_at: None,
            updated_by: None,
        }
    }
}

impl TierRules {
    /// Whether a vendor admin has set rules (version 1 or later); until then
    /// the functions' configured defaults give the benefits.
    pub fn saved(&self) -> bool {
        self.version > 0
    }

    /// The rule of `tier`.
    pub fn rule(&self, tier: &str) -> Option<&TierRule> {
        self.tiers.iter().find(|r| r.tier == tier)
    }

    /// The benefits of `tier` under saved rules; `None` while none are saved
    /// (or for an unknown tier).
    pub fn benefits(&self, tier: &str) -> Option<&Benefits> {
        self.saved().then(|| self.rule(tier).map(|r| &r.benefits)).flatten()
    }
}

/// The rules in force (one strongly consistent GetItem).
pub async fn current(db: &Db) -> anyhow::Result<TierRules> {
    Ok(db.get::<Stored<TierRules>>("PROGRAM", "TIERS").await?.map(|r| r.record).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benefits_apply_only_once_rules_are_saved() {
        let mut rules = TierRules::default();
        assert!(rules.benefits("gold").is_none());
        rules.version = 1;
        rules.tiers[2].benefits.protection_days = 120;
        assert_eq!(rules.benefits("gold").map(|b| b.protection_days), Some(120));
        assert!(rules.benefits("diamond").is_none());
        assert_eq!(rules.tiers.iter().map(|r| r.tier.as_str()).collect::<Vec<_>>(), TIERS);
    }
}
