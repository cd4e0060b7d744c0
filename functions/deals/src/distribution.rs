//! Lead distribution: which partners may get a lead, how much weight each has,
//! and a deterministic weighted choice. Pure and replayable: the evidence of
//! an assignment (rule version, candidates with weights, seed) gives the same
//! partner again through [`choose`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The distribution rules as data; a change gets a new `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rules {
    /// Identifies this set of rules in the evidence.
    pub version: String,
    /// Weight of each tier, in thousandths (registered, silver, gold, platinum).
    pub tier_weights: [u64; 4],
    /// Extra weight, in per cent, for a partner with a specialty the lead asks for.
    pub specialty_bonus_pct: u64,
    /// Whether a partner needs such a specialty to be eligible at all.
    pub require_specialty: bool,
    /// Most leads a partner may hold unanswered at once.
    pub capacity: u64,
    /// Hours an assigned partner has to accept or decline.
    pub acceptance_sla_hours: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            version: "2026-12-v1".into(),
            tier_weights: [1000, 2000, 3000, 4000],
            specialty_bonus_pct: 50,
            require_specialty: false,
            capacity: 25,
            acceptance_sla_hours: 48,
        }
    }
}

impl Rules {
    /// These rules with the lead weights of the program's tier rules, when a
    /// vendor admin has set them; the evidence's version then names both.
    pub fn with_tier_rules(&self, tiers: &prm_shared::program::TierRules) -> Rules {
        if !tiers.saved() {
            return self.clone();
        }
        let mut r = self.clone();
        for (i, tier) in prm_shared::program::TIERS.iter().enumerate() {
            if let Some(b) = tiers.benefits(tier) {
                r.tier_weights[i] = u64::from(b.lead_weight);
            }
        }
        r.version = format!("{}+tiers-v{}", self.version, tiers.version);
        r
    }
}

/// What the engine knows of a partner when a lead arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFacts {
    /// Partner id.
    pub id: String,
    /// Tier (registered, silver, gold, platinum).
    pub tier: String,
    /// Life-cycle status.
    pub status: String,
    /// Region, normalized.
    pub region: String,
    /// Specialties, lower-case.
    pub specialties: Vec<String>,
    /// Leads accepted so far.
    pub accepted: u64,
    /// Leads declined (or let lapse) so far.
    pub declined: u64,
    /// Leads assigned and not yet answered.
    pub open: u64,
}

/// A lead as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFacts {
    /// Lead id.
    pub id: String,
    /// Region, normalized.
    pub region: String,
    /// Products or specialties asked for, lower-case.
    pub interests: Vec<String>,
    /// Partners that declined it or let it lapse.
    pub excluded: Vec<String>,
    /// How many assignments came before this one.
    pub attempt: u32,
}

/// One partner considered, with why it is in or out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// Partner id.
    pub partner_id: String,
    /// Whether it could get the lead.
    pub eligible: bool,
    /// Weight in thousandths (0 when not eligible).
    pub weight: u64,
    /// How the weight or the exclusion came about.
    pub reasons: Vec<String>,
}

/// The evidence of one assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// The rules applied.
    pub rule_version: String,
    /// Every partner of the lead's region that was considered.
    pub candidates: Vec<Candidate>,
    /// The seed of the weighted choice.
    pub seed: u64,
    /// The partner chosen, if any was eligible.
    pub outcome: Option<String>,
}

fn tier_index(tier: &str) -> Option<usize> {
    ["registered", "silver", "gold", "platinum"].iter().position(|t| *t == tier)
}

/// The candidates for `lead` among `partners`, with weights: tier weight, the
/// specialty bonus, scaled by the recent acceptance rate (0.5x for a partner
/// that declines everything, 1.5x for one that accepts everything, 1x without
/// history, with a prior of one accepted and one declined lead).
pub fn candidates(rules: &Rules, lead: &LeadFacts, partners: &[PartnerFacts]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = partners
        .iter()
        .map(|p| {
            let mut reasons = Vec::new();
            let mut eligible = true;
            if p.region != lead.region {
                eligible = false;
                reasons.push("outside the lead's region".to_owned());
            }
            if !matches!(p.status.as_str(), "active" | "onboarding") {
                eligible = false;
                reasons.push(format!("status {}", p.status));
            }
            if lead.excluded.contains(&p.id) {
                eligible = false;
                reasons.push("declined this lead before".to_owned());
            }
            if p.open >= rules.capacity {
                eligible = false;
                reasons.push(format!("at capacity ({} open leads)", p.open));
            }
            let specialty = lead.interests.iter().any(|i| p.specialties.contains(i));
            if rules.require_specialty && !lead.interests.is_empty() && !specialty {
                eligible = false;
                reasons.push("no specialty the lead asks for".to_owned());
            }
            let Some(t) = tier_index(&p.tier) else {
                return Candidate {
                    partner_id: p.id.clone(),
                    eligible: false,
                    weight: 0,
                    reasons: vec!["unknown tier".into()],
                };
            };
            let mut weight = rules.tier_weights[t];
            reasons.push(format!("tier {} weight {}", p.tier, rules.tier_weights[t]));
            if specialty {
                weight = weight * (100 + rules.specialty_bonus_pct) / 100;
                reasons.push(format!("specialty match +{}%", rules.specialty_bonus_pct));
            }
            // Acceptance factor in thousandths: 500 + 1000 * (accepted + 1) / (answered + 2).
            let factor = 500 + 1000 * (p.accepted + 1) / (p.accepted + p.declined + 2);
            weight = weight * factor / 1000;
            reasons.push(format!("acceptance factor {factor}/1000 ({} accepted, {} declined)", p.accepted, p.declined));
            if !eligible {
                weight = 0;
            }
            Candidate { partner_id: p.id.clone(), eligible, weight, reasons }
        })
        .collect();
    out.sort_by(|a, b| a.partner_id.cmp(&b.partner_id));
    out
}

/// The seed of an assignment: derived from the lead and the attempt, so the
/// same lead assigned again after a decline draws afresh, and a replay draws the same.
pub fn seed(lead_id: &str, attempt: u32) -> u64 {
    let digest = Sha256::digest(format!("{lead_id}#{attempt}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

/// The weighted choice: a partner's chance is its weight over the total.
pub fn choose(candidates: &[Candidate], seed: u64) -> Option<String> {
    let total: u64 = candidates.iter().filter(|c| c.eligible).map(|c| c.weight).sum();
    if total == 0 {
        return None;
    }
    let mut point = seed % total;
    for c in candidates.iter().filter(|c| c.eligible && c.weight > 0) {
        if point < c.weight {
            return Some(c.partner_id.clone());
        }
        point -= c.weight;
    }
    None
}

/// Assigns `lead`: the candidates, the seed and the choice, as evidence.
pub fn assign(rules: &Rules, lead: &LeadFacts, partners: &[PartnerFacts]) -> Evidence {
    let candidates = candidates(rules, lead, partners);
    let seed = seed(&lead.id, lead.attempt);
    let outcome = choose(&candidates, seed);
    Evidence { rule_version: rules.version.clone(), candidates, seed, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn partner(id: &str, tier: &str) -> PartnerFacts {
        PartnerFacts {
            id: id.into(),
            tier: tier.into(),
            status: "active".into(),
            region: "emea".into(),
            specialties: vec!["security".into()],
            accepted: 0,
            declined: 0,
            open: 0,
        }
    }

    fn lead(id: &str) -> LeadFacts {
        LeadFacts { id: id.into(), region: "emea".into(), interests: vec![], excluded: vec![], attempt: 0 }
    }

    #[test]
    fn saved_tier_rules_set_the_lead_weights_and_name_their_version() {
        let mut tiers = prm_shared::program::TierRules::default();
        assert_eq!(Rules::default().with_tier_rules(&tiers), Rules::default());
        tiers.version = 4;
        tiers.tiers[2].benefits.lead_weight = 7000;
        let r = Rules::default().with_tier_rules(&tiers);
        assert_eq!(r.tier_weights, [1000, 2000, 7000, 4000]);
        assert_eq!(r.version, "2026-12-v1+tiers-v4");
    }

    #[test]
    fn only_eligible_partners_get_weight() {
        let mut far = partner("far", "gold");
        far.region = "apac".into();
        let mut gone = partner("gone", "gold");
        gone.status = "suspended".into();
        let mut full = partner("full", "gold");
        full.open = 25;
        let decliner = partner("decliner", "gold");
        let ok = partner("ok", "silver");
        let mut l = lead("L1");
        l.excluded = vec!["decliner".into()];
        let c = candidates(&Rules::default(), &l, &[far, gone, full, decliner, ok]);
        let eligible: Vec<_> = c.iter().filter(|c| c.eligible).map(|c| c.partner_id.as_str()).collect();
        assert_eq!(eligible, vec!["ok"]);
        assert!(c.iter().filter(|c| !c.eligible).all(|c| c.weight == 0 && !c.reasons.is_empty()));
        assert_eq!(assign(&Rules::default(), &l, &[]).outcome, None);
    }

    #[test]
    fn weights_follow_tier_specialty_and_acceptance() {
        let rules = Rules::default();
        let mut l = lead("L1");
        l.interests = vec!["security".into()];
        let mut picky = partner("picky", "gold");
        picky.declined = 8;
        let mut eager = partner("eager", "gold");
        eager.accepted = 8;
        let mut plain = partner("plain", "gold");
        plain.specialties = vec![];
        let c = candidates(&rules, &l, &[picky, eager, plain]);
        let w: HashMap<_, _> = c.iter().map(|c| (c.partner_id.as_str(), c.weight)).collect();
        assert_eq!(w["plain"], 3000, "gold, no specialty, no history");
        assert!(w["eager"] > w["picky"]);
        assert_eq!(w["eager"], 4500 * (500 + 1000 * 9 / 10) / 1000);
    }

    #[test]
    fn the_share_of_each_partner_tracks_its_weight_over_1000_leads() {
        let partners =
            [partner("a", "registered"), partner("b", "silver"), partner("c", "gold"), partner("d", "platinum")];
        let rules = Rules::default();
        let mut counts: HashMap<String, u64> = HashMap::new();
        let n = 1000;
        for i in 0..n {
            let e = assign(&rules, &lead(&format!("lead-{i}")), &partners);
            *counts.entry(e.outcome.unwrap()).or_default() += 1;
        }
        // Weights 1:2:3:4 of 10: expected 100, 200, 300, 400 of 1000; tolerance 4 percentage points.
        for (id, expected) in [("a", 100.0), ("b", 200.0), ("c", 300.0), ("d", 400.0)] {
            let got = counts.get(id).copied().unwrap_or(0) as f64;
            assert!((got - expected).abs() <= 40.0, "{id}: {got} of {n}, expected {expected} ± 40");
        }
    }

    #[test]
    fn an_assignment_replays_from_its_evidence() {
        let partners = [partner("a", "gold"), partner("b", "silver"), partner("c", "platinum")];
        for i in 0..50 {
            let mut l = lead(&format!("lead-{i}"));
            l.attempt = i % 3;
            let e = assign(&Rules::default(), &l, &partners);
            assert_eq!(choose(&e.candidates, e.seed), e.outcome);
            assert_eq!(assign(&Rules::default(), &l, &partners), e, "deterministic");
        }
        assert_ne!(seed("x", 0), seed("x", 1));
    }
}
