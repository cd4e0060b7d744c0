//! Who may see a piece of content (assets, announcements), and the index that
//! lists what a partner may see at a cost independent of what others may see.
//!
//! Visibility is by tiers, regions and partner types (each an allow-list, empty
//! = all; a partner must match every list) or, instead, by naming partners.
//! Published content is written to one *cell* per combination it allows:
//! `{tier|*}#{region|*}#{type|*}` (a `*` where the list is empty) or `P#{partner}`.
//! A partner's view is the merge of the nine cells that can hold what it may
//! see: its own `P#` cell and the eight combinations of its tier, region and
//! type with `*`. Each cell holds only content that partner may see, so a page
//! costs nine Queries whatever else the table holds.

use std::collections::BTreeSet;

use prm_shared::dynamo::keys;
use prm_shared::validate::{Checker, object_id, text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Partner, PartnerType, Tier};

/// The most cells one piece of content may occupy.
pub const MAX_CELLS: usize = 60;

/// Who may see a piece of content; empty lists mean everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Visibility {
    /// Only these tiers (registered, silver, gold, platinum).
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Only these regions (case-insensitive).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Only these partner types (reseller, var, distributor, msp, referral).
    #[serde(default)]
    pub partner_types: Vec<String>,
    /// Only these partners (then the other lists must be empty).
    #[serde(default)]
    pub partner_ids: Vec<String>,
}

impl Visibility {
    /// Checks and normalizes the lists, naming a bad entry (`visibility.tiers[1]`).
    pub fn parse(&self, c: &mut Checker) -> Visibility {
        let mut dedup = |field: &str, values: &[String], check: &dyn Fn(&str) -> Result<String, String>| {
            let mut out = BTreeSet::new();
            for (i, v) in values.iter().enumerate() {
                if let Some(ok) = c.check(&format!("visibility.{field}[{i}]"), check(v)) {
                    out.insert(ok);
                }
            }
            out.into_iter().collect::<Vec<_>>()
        };
        let tiers = dedup("tiers", &self.tiers, &|v| Tier::parse(v.trim()).map(|t| t.as_str().to_owned()));
        let regions = dedup("regions", &self.regions, &|v| text(v, 1, 64).map(|r| keys::region(&r)));
        let partner_types = dedup("partner_types", &self.partner_types, &|v| {
            PartnerType::parse(v.trim()).map(|t| t.as_str().to_owned())
        });
        let partner_ids = dedup("partner_ids", &self.partner_ids, &|v| {
            object_id(v.trim()).map(str::to_owned).map_err(|_| "is not a partner id".to_owned())
        });
        let v = Visibility { tiers, regions, partner_types, partner_ids };
        if !v.partner_ids.is_empty() && (!v.tiers.is_empty() || !v.regions.is_empty() || !v.partner_types.is_empty()) {
            c.fail("visibility.partner_ids", "names partners directly: leave tiers, regions and partner_types empty");
        } else if v.cells().len() > MAX_CELLS {
            c.fail("visibility", format!("allows more than {MAX_CELLS} combinations of tier, region and type"));
        }
        v
    }

    /// The cells the content occupies once published.
    pub fn cells(&self) -> Vec<String> {
        if !self.partner_ids.is_empty() {
            return self.partner_ids.iter().map(|p| format!("P#{p}")).collect();
        }
        let any = |l: &[String]| if l.is_empty() { vec!["*".to_owned()] } else { l.to_vec() };
        let mut cells = Vec::new();
        for t in any(&self.tiers) {
            for r in any(&self.regions) {
                for p in any(&self.partner_types) {
                    cells.push(format!("{t}#{r}#{p}"));
                }
            }
        }
        cells
    }

    /// Whether `partner` may see the content.
    pub fn allows(&self, partner: &Partner) -> bool {
        partner_cells(partner).iter().any(|c| self.cells().contains(c))
    }
}

/// The cells that can hold content `partner` may see.
pub fn partner_cells(partner: &Partner) -> Vec<String> {
    let mut cells = vec![format!("P#{}", partner.id)];
    for t in [partner.tier.as_str(), "*"] {
        for r in [keys::region(&partner.region), "*".to_owned()] {
            for p in [partner.partner_type.as_str(), "*"] {
                cells.push(format!("{t}#{r}#{p}"));
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(tier: &str, region: &str, kind: &str) -> Partner {
        serde_json::from_value(serde_json::json!({
            "id": "01HPARTNER", "name": "P", "type": kind, "tier": tier, "region": region, "country": "US",
            "specialties": [], "contact_email": "a@b.com", "status": "active",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "version": 1
        }))
        .unwrap()
    }

    fn vis(tiers: &[&str], regions: &[&str], types: &[&str], ids: &[&str]) -> Visibility {
        let own = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        let mut c = Checker::new();
        let v =
            Visibility { tiers: own(tiers), regions: own(regions), partner_types: own(types), partner_ids: own(ids) }
                .parse(&mut c);
        c.finish().unwrap();
        v
    }

    #[test]
    fn a_partner_sees_what_every_list_allows() {
        let gold_na = partner("gold", "North America", "reseller");
        assert!(vis(&[], &[], &[], &[]).allows(&gold_na));
        assert!(vis(&["gold", "platinum"], &["north america"], &[], &[]).allows(&gold_na));
        assert!(!vis(&["gold"], &["EMEA"], &[], &[]).allows(&gold_na));
        assert!(!vis(&["silver"], &[], &[], &[]).allows(&gold_na));
        assert!(!vis(&[], &[], &["msp"], &[]).allows(&gold_na));
        assert!(vis(&[], &[], &[], &["01HPARTNER"]).allows(&gold_na));
        assert!(!vis(&[], &[], &[], &["01HOTHER"]).allows(&gold_na));
    }

    #[test]
    fn bad_lists_name_the_entry() {
        let mut c = Checker::new();
        Visibility { tiers: vec!["gold".into(), "diamond".into()], ..Visibility::default() }.parse(&mut c);
        let fields: Vec<String> = c.finish().unwrap_err().problem().errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["visibility.tiers[1]"]);
        let mut c = Checker::new();
        Visibility { tiers: vec!["gold".into()], partner_ids: vec!["01HX".into()], ..Visibility::default() }
            .parse(&mut c);
        assert!(c.finish().is_err());
    }
}
