//! The program's MDF rules: how long partners have to claim, when they are
//! reminded, and how much co-op won business accrues. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use prm_shared::config::{ConfigError, Source, parsed_or};

/// The length of a co-op accrual period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// `2026`.
    Year,
    /// `2026-H2`.
    Half,
    /// `2026-Q3`.
    Quarter,
}

impl PeriodKind {
    /// The period containing `day`, in the form allocations use.
    pub fn of(self, day: NaiveDate) -> String {
        let y = day.year();
        match self {
            Self::Year => format!("{y}"),
            Self::Half => format!("{y}-H{}", if day.month() <= 6 { 1 } else { 2 }),
            Self::Quarter => format!("{y}-Q{}", (day.month() - 1) / 3 + 1),
        }
    }
}

impl std::str::FromStr for PeriodKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "year" => Ok(Self::Year),
            "half" => Ok(Self::Half),
            "quarter" => Ok(Self::Quarter),
            _ => Err("must be year, half or quarter".into()),
        }
    }
}

/// Co-op rates by tier, in basis points of the won amount (100 = 1 %).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoopRates(pub BTreeMap<String, u32>);

impl std::str::FromStr for CoopRates {
    type Err = String;
    /// `registered=100,silver=200,gold=300,platinum=400`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut rates = BTreeMap::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (tier, bp) = pair.split_once('=').ok_or_else(|| format!("`{pair}` is not tier=basis-points"))?;
            let bp: u32 = bp.trim().parse().map_err(|_| format!("`{bp}` is not a whole number of basis points"))?;
            if bp > 10_000 {
                return Err(format!("{bp} basis points is more than 100 %"));
            }
            rates.insert(tier.trim().to_ascii_lowercase(), bp);
        }
        Ok(Self(rates))
    }
}

/// When a claim window with the last day `deadline` closes: the end of that day (UTC).
pub fn closes_at(deadline: NaiveDate) -> DateTime<Utc> {
    deadline.succ_opt().unwrap_or(NaiveDate::MAX).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The MDF rules of the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdfRules {
    /// Days after an activity ends during which claims are accepted (`MDF_CLAIM_WINDOW_DAYS`).
    pub claim_window_days: u32,
    /// Days before the claim deadline when the partner is reminded (`MDF_CLAIM_REMINDER_DAYS`).
    pub claim_reminder_days: u32,
    /// Co-op accrual by tier (`COOP_RATES`); a tier not named accrues nothing.
    pub coop_rates: CoopRates,
    /// The co-op accrual period (`COOP_PERIOD`: year, half or quarter).
    pub coop_period: PeriodKind,
}

impl Default for MdfRules {
    fn default() -> Self {
        Self {
            claim_window_days: 60,
            claim_reminder_days: 14,
            coop_rates: "registered=100,silver=200,gold=300,platinum=400".parse().unwrap_or(CoopRates(BTreeMap::new())),
            coop_period: PeriodKind::Half,
        }
    }
}

impl MdfRules {
    /// The rules from the environment, defaults for what is not set.
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            claim_window_days: parsed_or(src, "MDF_CLAIM_WINDOW_DAYS", d.claim_window_days)?,
            claim_reminder_days: parsed_or(src, "MDF_CLAIM_REMINDER_DAYS", d.claim_reminder_days)?,
            coop_rates: parsed_or(src, "COOP_RATES", d.coop_rates)?,
            coop_period: parsed_or(src, "COOP_PERIOD", d.coop_period)?,
        })
    }

    /// The last day claims are accepted for an activity ending on `end_date`
    /// and approved on `approved_on` (the window never starts before approval).
    pub fn claim_deadline(&self, end_date: NaiveDate, approved_on: NaiveDate) -> NaiveDate {
        end_date.max(approved_on).checked_add_days(Days::new(self.claim_window_days.into())).unwrap_or(NaiveDate::MAX)
    }

    /// When the partner is reminded of unclaimed funds due by `deadline`.
    pub fn remind_at(&self, deadline: NaiveDate) -> DateTime<Utc> {
        closes_at(deadline) - chrono::Duration::days(self.claim_reminder_days.into())
    }

    /// The co-op accrued on `won_minor` by a partner of `tier`: the rate, and
    /// the amount rounded down to the minor unit.
    pub fn coop_accrual(&self, tier: &str, won_minor: i64) -> (u32, i64) {
        let bp = self.coop_rates.0.get(&tier.to_ascii_lowercase()).copied().unwrap_or(0);
        (bp, accrual(bp, won_minor))
    }
}

/// `bp` basis points of `won_minor`, rounded down to the minor unit.
pub fn accrual(bp: u32, won_minor: i64) -> i64 {
    let amount = i128::from(won_minor) * i128::from(bp) / 10_000;
    i64::try_from(amount).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_follow_the_calendar() {
        assert_eq!(PeriodKind::Half.of(day("2026-06-30")), "2026-H1");
        assert_eq!(PeriodKind::Half.of(day("2026-07-01")), "2026-H2");
        assert_eq!(PeriodKind::Quarter.of(day("2026-09-30")), "2026-Q3");
        assert_eq!(PeriodKind::Quarter.of(day("2026-10-01")), "2026-Q4");
        assert_eq!(PeriodKind::Year.of(day("2026-12-31")), "2026");
    }

    #[test]
    fn the_claim_window_closes_at_the_end_of_the_deadline_day() {
        let r = MdfRules { claim_window_days: 30, claim_reminder_days: 7, ..MdfRules::default() };
        let deadline = r.claim_deadline(day("2026-03-02"), day("2026-02-01"));
        assert_eq!(deadline, day("2026-04-01"));
        assert_eq!(closes_at(deadline).to_rfc3339(), "2026-04-02T00:00:00+00:00");
        assert_eq!(r.remind_at(deadline).to_rfc3339(), "2026-03-26T00:00:00+00:00");
        // Approved after the activity ended: the window runs from the approval.
        assert_eq!(r.claim_deadline(day("2026-03-02"), day("2026-05-01")), day("2026-05-31"));
    }

    #[test]
    fn co_op_accrues_by_tier_rounding_down() {
        let r = MdfRules::default();
        assert_eq!(r.coop_accrual("Gold", 1_000_099), (300, 30_002));
        assert_eq!(r.coop_accrual("unknown", 1_000_000), (0, 0));
        assert_eq!(r.coop_accrual("platinum", prm_shared::money::MAX_AMOUNT_MINOR).1, 400_000_000_000);
    }

    #[test]
    fn rules_come_from_the_environment_and_name_a_bad_variable() {
        let env = |n: &str| match n {
            "COOP_RATES" => Some("gold=500, silver=250".to_owned()),
            "COOP_PERIOD" => Some("quarter".to_owned()),
            _ => None,
        };
        let r = MdfRules::from_source(&env).unwrap();
        assert_eq!((r.coop_accrual("gold", 10_000).1, r.coop_period), (500, PeriodKind::Quarter));
        assert_eq!(r.claim_window_days, 60);
        let bad = |n: &str| (n == "COOP_RATES").then(|| "gold=lots".to_owned());
        let err = MdfRules::from_source(&bad).unwrap_err().to_string();
        assert!(err.contains("COOP_RATES"), "{err}");
    }
}
