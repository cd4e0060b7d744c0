//! Funds: allocations with their balances, fund requests and the ledger. Pure.

use chrono::{DateTime, NaiveDate, Utc};
use prm_shared::ApiError;
use prm_shared::money::Money;
use prm_shared::validate::{Checker, object_id, text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

prm_shared::string_enum! {
    /// The kind of fund.
    FundType {
        /// Market development funds, allocated up front.
        Mdf => "mdf",
        /// Co-op funds, accrued from won business.
        Coop => "coop",
    }
}

prm_shared::string_enum! {
    /// What a partner spends funds on.
    ActivityType {
        /// An event or trade show.
        Event => "event",
        /// A webinar.
        Webinar => "webinar",
        /// Digital advertising.
        Digital => "digital",
        /// A co-branded campaign.
        CoBrandedCampaign => "co-branded-campaign",
        /// Printed collateral.
        Print => "print",
        /// Training of the partner's staff.
        Training => "training",
        /// Anything else.
        Other => "other",
    }
}

prm_shared::string_enum! {
    /// Where a fund request is.
    RequestStatus {
        /// Waiting for review.
        Submitted => "submitted",
        /// Funds reserved.
        Approved => "approved",
        /// Refused.
        Rejected => "rejected",
        /// The claim window ended; what was not claimed went back to the allocation.
        Closed => "closed",
    }
}

pub use prm_shared::validate::period;

/// The balances of one allocation, in its currency's minor units.
/// `reserved + claimed + paid + available = allocated`, always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    /// The partner.
    pub partner_id: String,
    /// The period, e.g. `2026-H1`.
    pub period: String,
    /// MDF or co-op.
    pub fund_type: FundType,
    /// ISO 4217 currency of every amount.
    pub currency: String,
    /// Total granted.
    pub allocated: i64,
    /// Held for approved requests not yet claimed.
    pub reserved: i64,
    /// Claimed and not yet paid.
    pub claimed: i64,
    /// Paid out.
    pub paid: i64,
    /// Still free to reserve.
    pub available: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// `POST /v1/mdf/allocations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAllocationRequest {
    /// The partner.
    pub partner_id: String,
    /// The period, e.g. `2026-H1`.
    pub period: String,
    /// The amount granted.
    pub amount: Money,
    /// mdf (default) or coop.
    #[schema(value_type = Option<FundType>)]
    pub fund_type: Option<String>,
}

impl CreateAllocationRequest {
    /// Parses the request into a new allocation.
    pub fn into_allocation(self, at: DateTime<Utc>) -> Result<Allocation, ApiError> {
        let mut c = Checker::new();
        let partner_id = c.check(
            "partner_id",
            object_id(self.partner_id.trim()).map(str::to_owned).map_err(|_| "is not a partner id".to_owned()),
        );
        let period = c.check("period", period(&self.period));
        let amount = c.check("amount", Money::parse(&self.amount));
        let fund_type = match self.fund_type.as_deref() {
            Some(f) => c.check("fund_type", FundType::parse(f)),
            None => Some(FundType::Mdf),
        };
        c.finish()?;
        let (Some(partner_id), Some(period), Some(amount), Some(fund_type)) = (partner_id, period, amount, fund_type)
        else {
            return Err(ApiError::field("body", "invalid allocation"));
        };
        Ok(Allocation {
            partner_id,
            period,
            fund_type,
            currency: amount.currency,
            allocated: amount.amount_minor,
            reserved: 0,
            claimed: 0,
            paid: 0,
            available: amount.amount_minor,
            created_at: at,
            updated_at: at,
        })
    }
}

/// What a partner expects an activity to bring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// Leads.
    pub leads: u32,
    /// Pipeline.
    pub pipeline: Money,
}

/// A partner's request for funds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FundRequest {
    /// Server-generated ULID.
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// The period whose allocation pays.
    pub period: String,
    /// MDF or co-op.
    pub fund_type: FundType,
    /// The activity.
    pub activity_type: ActivityType,
    /// Short title.
    pub title: String,
    /// What will be done.
    pub description: String,
    /// First day of the activity.
    pub start_date: NaiveDate,
    /// Last day of the activity.
    pub end_date: NaiveDate,
    /// Amount asked for.
    pub requested_amount: Money,
    /// Amount reserved on approval (may be less than asked).
    pub approved_amount: Option<Money>,
    /// Of the approved amount, what is not yet claimed (minor units).
    #[serde(default)]
    pub claimable_minor: i64,
    /// Expected results.
    pub expected: Expected,
    /// Last day claims are accepted (set on approval).
    #[serde(default)]
    pub claim_deadline: Option<NaiveDate>,
    /// Whether the partner was reminded of the deadline.
    #[serde(default)]
    pub deadline_reminded: bool,
    /// What went back to the allocation when the claim window closed.
    #[serde(default)]
    pub released_amount: Option<Money>,
    /// Current status.
    pub status: RequestStatus,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Who submitted it.
    pub submitted_by: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: u64,
}

/// `POST /v1/mdf/requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFundRequest {
    /// The period whose allocation pays, e.g. `2026-H1`.
    pub period: String,
    /// event, webinar, digital, co-branded-campaign, print, training or other.
    #[schema(value_type = ActivityType)]
    pub activity_type: String,
    /// Short title, 1 to 200 characters.
    pub title: String,
    /// What will be done, up to 4,000 characters.
    pub description: String,
    /// First day (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub start_date: String,
    /// Last day (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub end_date: String,
    /// Amount asked for.
    pub requested_amount: Money,
    /// Expected results.
    pub expected: Expected,
    /// mdf (default) or coop.
    #[schema(value_type = Option<FundType>)]
    pub fund_type: Option<String>,
}

fn date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "must be a date like 2027-03-31".to_owned())
}

impl CreateFundRequest {
    /// Parses the request of `partner_id`.
    pub fn into_request(
        self,
        id: String,
        partner_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<FundRequest, ApiError> {
        let mut c = Checker::new();
        let period = c.check("period", period(&self.period));
        let activity_type = c.check("activity_type", ActivityType::parse(&self.activity_type));
        let title = c.check("title", text(&self.title, 1, 200));
        let description = c.check(
            "description",
            if self.description.chars().count() > 4000 {
                Err("must be at most 4000 characters".into())
            } else {
                Ok(self.description.trim().to_owned())
            },
        );
        let start = c.check("start_date", date(&self.start_date));
        let end = c.check("end_date", date(&self.end_date));
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            c.fail("end_date", "must not be before start_date");
        }
        let amount = c.check(
            "requested_amount",
            Money::parse(&self.requested_amount)
                .and_then(|m| if m.amount_minor == 0 { Err("amount_minor must be more than 0".into()) } else { Ok(m) }),
        );
        let pipeline = c.check("expected.pipeline", Money::parse(&self.expected.pipeline));
        let fund_type = match self.fund_type.as_deref() {
            Some(f) => c.check("fund_type", FundType::parse(f)),
            None => Some(FundType::Mdf),
        };
        c.finish()?;
        let (Some(period), Some(activity_type), Some(title), Some(description), Some(start_date), Some(end_date)) =
            (period, activity_type, title, description, start, end)
        else {
            return Err(ApiError::field("body", "invalid request"));
        };
        let (Some(requested_amount), Some(pipeline), Some(fund_type)) = (amount, pipeline, fund_type) else {
            return Err(ApiError::field("body", "invalid request"));
        };
        Ok(FundRequest {
            id,
            partner_id: partner_id.to_owned(),
            period,
            fund_type,
            activity_type,
            title,
            description,
            start_date,
            end_date,
            requested_amount,
            approved_amount: None,
            claimable_minor: 0,
            expected: Expected { leads: self.expected.leads, pipeline },
            claim_deadline: None,
            deadline_reminded: false,
            released_amount: None,
            status: RequestStatus::Submitted,
            rejection_reason: None,
            submitted_by: by.to_owned(),
            decided_by: None,
            created_at: at,
            updated_at: at,
            version: 1,
        })
    }
}

/// `POST /v1/mdf/requests/{id}/approve` and `POST /v1/mdf/claims/{id}/approve`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveAmount {
    /// The amount approved: at most what was asked or claimed (default all of it).
    pub approved_amount: Option<Money>,
}

impl ApproveAmount {
    /// The amount named, checked as money; `None` approves all.
    pub fn parse(self) -> Result<Option<Money>, ApiError> {
        self.approved_amount.as_ref().map(Money::parse).transpose().map_err(|m| ApiError::field("approved_amount", m))
    }
}

/// `POST /v1/mdf/requests/{id}/reject`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectFundRequest {
    /// Why, 1 to 1,000 characters.
    pub reason: String,
}

prm_shared::string_enum! {
    /// Where a claim is.
    ClaimStatus {
        /// Waiting for review.
        Submitted => "submitted",
        /// Accepted (possibly for less); waiting for payment.
        Approved => "approved",
        /// Refused; its funds went back to the allocation.
        Rejected => "rejected",
        /// Paid out.
        Paid => "paid",
    }
}

/// Content types accepted as proof of performance.
pub const PROOF_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];
/// Largest proof file.
pub const MAX_PROOF_BYTES: u64 = 25 * 1024 * 1024;

/// A proof-of-performance file of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Proof {
    /// The file's name as the partner gave it.
    pub name: String,
    /// Its content type (signed into the upload URL).
    pub content_type: String,
    /// Its size in bytes (signed into the upload URL).
    pub size_bytes: u64,
    /// SHA-256 (hex) as the partner declared it.
    pub sha256: Option<String>,
    /// The object key, generated by the server.
    pub key: String,
}

/// What an activity achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Results {
    /// Leads generated.
    pub leads: u32,
    /// People who attended.
    pub attendees: u32,
    /// Pipeline generated.
    pub pipeline: Money,
}

/// A claim for reimbursement against an approved request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Claim {
    /// Server-generated ULID.
    pub id: String,
    /// The approved request it draws on.
    pub request_id: String,
    /// The partner.
    pub partner_id: String,
    /// The period of the allocation.
    pub period: String,
    /// The fund type of the allocation.
    pub fund_type: FundType,
    /// Amount claimed.
    pub amount: Money,
    /// Amount approved (may be less than claimed).
    pub approved_amount: Option<Money>,
    /// What the activity achieved.
    pub results: Results,
    /// Proof of performance.
    pub proofs: Vec<Proof>,
    /// Current status.
    pub status: ClaimStatus,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Who submitted it.
    pub submitted_by: String,
    /// Who decided or paid last.
    pub decided_by: Option<String>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: u64,
}

/// A proof file to upload.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// File name.
    pub name: String,
    /// Content type (PDF, PNG, JPEG, CSV or XLSX).
    pub content_type: String,
    /// Size in bytes (at most 25 MiB).
    pub size_bytes: u64,
    /// SHA-256 of the file (64 hex characters), recorded as declared.
    pub sha256: Option<String>,
}

/// `POST /v1/mdf/requests/{id}/claims`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClaimRequest {
    /// Amount claimed (at most the approved amount not yet claimed).
    pub amount: Money,
    /// What the activity achieved.
    pub results: Results,
    /// Proof of performance (1 to 10 files).
    pub proofs: Vec<ProofFile>,
}

impl CreateClaimRequest {
    /// Parses the claim on `request`; object keys are generated here.
    pub fn into_claim(self, id: String, request: &FundRequest, by: &str, at: DateTime<Utc>) -> Result<Claim, ApiError> {
        let mut c = Checker::new();
        let amount = c.check(
            "amount",
            Money::parse(&self.amount).and_then(|m| {
                if m.amount_minor == 0 {
                    Err("amount_minor must be more than 0".into())
                } else if m.currency != request.requested_amount.currency {
                    Err(format!("currency must be {}", request.requested_amount.currency))
                } else {
                    Ok(m)
                }
            }),
        );
        let pipeline = c.check("results.pipeline", Money::parse(&self.results.pipeline));
        if self.proofs.is_empty() || self.proofs.len() > 10 {
            c.fail("proofs", "must have 1 to 10 files");
        }
        let mut proofs = Vec::new();
        for (i, p) in self.proofs.iter().enumerate() {
            let name = c.check(&format!("proofs[{i}].name"), text(&p.name, 1, 200));
            let ct = p.content_type.trim().to_ascii_lowercase();
            if !PROOF_TYPES.contains(&ct.as_str()) {
                c.fail(&format!("proofs[{i}].content_type"), format!("must be one of: {}", PROOF_TYPES.join(", ")));
            }
            if p.size_bytes == 0 || p.size_bytes > MAX_PROOF_BYTES {
                c.fail(&format!("proofs[{i}].size_bytes"), format!("must be from 1 to {MAX_PROOF_BYTES}"));
            }
            let sha = p.sha256.as_ref().map(|h| h.trim().to_ascii_lowercase());
            if sha.as_ref().is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit())) {
                c.fail(&format!("proofs[{i}].sha256"), "must be 64 hexadecimal characters");
            }
            if let Some(name) = name {
                let key = format!("mdf/{}/{}/proofs/{}", request.partner_id, id, ulid::Ulid::new());
                proofs.push(Proof { name, content_type: ct, size_bytes: p.size_bytes, sha256: sha, key });
            }
        }
        c.finish()?;
        let (Some(amount), Some(pipeline)) = (amount, pipeline) else {
            return Err(ApiError::field("body", "invalid claim"));
        };
        Ok(Claim {
            id,
            request_id: request.id.clone(),
            partner_id: request.partner_id.clone(),
            period: request.period.clone(),
            fund_type: request.fund_type,
            amount,
            approved_amount: None,
            results: Results { leads: self.results.leads, attendees: self.results.attendees, pipeline },
            proofs,
            status: ClaimStatus::Submitted,
            rejection_reason: None,
            submitted_by: by.to_owned(),
            decided_by: None,
            created_at: at,
            updated_at: at,
            version: 1,
        })
    }
}

prm_shared::string_enum! {
    /// A kind of movement, each between fixed balances.
    LedgerKind {
        /// Funds granted: `allocated` and `available` grow.
        Allocate => "allocate",
        /// Co-op accrued from a won deal: `allocated` and `available` grow.
        Accrue => "accrue",
        /// A request approved: `available` -> `reserved`.
        Reserve => "reserve",
        /// A claim window closed unclaimed: `reserved` -> `available`.
        Release => "release",
        /// A claim submitted: `reserved` -> `claimed`.
        Claim => "claim",
        /// A claim rejected or approved for less: `claimed` -> `available`.
        Unclaim => "unclaim",
        /// A claim paid: `claimed` -> `paid`.
        Pay => "pay",
    }
}

impl LedgerKind {
    /// The change of `(allocated, available, reserved, claimed, paid)` of
    /// moving `amount` this way.
    pub fn deltas(self, amount: i64) -> [i64; 5] {
        match self {
            Self::Allocate | Self::Accrue => [amount, amount, 0, 0, 0],
            Self::Reserve => [0, -amount, amount, 0, 0],
            Self::Release => [0, amount, -amount, 0, 0],
            Self::Claim => [0, 0, -amount, amount, 0],
            Self::Unclaim => [0, amount, 0, -amount, 0],
            Self::Pay => [0, 0, 0, -amount, amount],
        }
    }
}

impl Allocation {
    /// The balances a ledger sums to: `(allocated, available, reserved, claimed, paid)`.
    pub fn balances(&self) -> [i64; 5] {
        [self.allocated, self.available, self.reserved, self.claimed, self.paid]
    }
}

/// The balances `entries` sum to, in the order of [`Allocation::balances`].
pub fn replay(entries: &[LedgerEntry]) -> [i64; 5] {
    entries.iter().fold([0; 5], |mut acc, e| {
        for (a, d) in acc.iter_mut().zip(e.kind.deltas(e.amount_minor)) {
            *a += d;
        }
        acc
    })
}

/// One immutable movement of funds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    /// Entry id (ULID, so the ledger reads in order).
    pub id: String,
    /// What moved where.
    pub kind: LedgerKind,
    /// The amount moved, in minor units.
    pub amount_minor: i64,
    /// The request it concerns.
    pub request_id: Option<String>,
    /// The claim it concerns.
    #[serde(default)]
    pub claim_id: Option<String>,
    /// The won deal that accrued it.
    #[serde(default)]
    pub deal_id: Option<String>,
    /// Who moved it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl LedgerEntry {
    /// A movement of `amount_minor` by `by` at `at`.
    pub fn new(kind: LedgerKind, amount_minor: i64, by: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            kind,
            amount_minor,
            request_id: None,
            claim_id: None,
            deal_id: None,
            by: by.to_owned(),
            at,
        }
    }

    /// The entry, about a request.
    pub fn request(mut self, id: &str) -> Self {
        self.request_id = Some(id.to_owned());
        self
    }

    /// The entry, about a claim.
    pub fn claim(mut self, id: &str) -> Self {
        self.claim_id = Some(id.to_owned());
        self
    }

    /// The entry, accrued by a deal.
    pub fn deal(mut self, id: &str) -> Self {
        self.deal_id = Some(id.to_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_years_halves_or_quarters() {
        assert_eq!(period(" 2026-h1 ").unwrap(), "2026-H1");
        assert_eq!(period("2026").unwrap(), "2026");
        assert_eq!(period("2026-Q4").unwrap(), "2026-Q4");
        for bad in ["26-H1", "2026-H3", "2026-", "H1-2026", "1999", ""] {
            assert!(period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_allocation_is_all_available() {
        let a = CreateAllocationRequest {
            partner_id: "P1".into(),
            period: "2026-h1".into(),
            amount: Money { amount_minor: 1_000_000, currency: "eur".into() },
            fund_type: None,
        }
        .into_allocation(Utc::now())
        .unwrap();
        assert_eq!((a.allocated, a.available, a.reserved), (1_000_000, 1_000_000, 0));
        assert_eq!((a.currency.as_str(), a.fund_type), ("EUR", FundType::Mdf));
    }

    #[test]
    fn a_request_names_its_bad_fields() {
        let r: CreateFundRequest = serde_json::from_value(serde_json::json!({
            "period": "2026-H9", "activity_type": "party", "title": "", "description": "x",
            "start_date": "2026-05-10", "end_date": "2026-05-01",
            "requested_amount": {"amount_minor": 0, "currency": "USD"},
            "expected": {"leads": 5, "pipeline": {"amount_minor": 1, "currency": "USD"}}
        }))
        .unwrap();
        let fields: Vec<String> = r
            .into_request("R".into(), "P", "u", Utc::now())
            .unwrap_err()
            .problem()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["period", "activity_type", "title", "end_date", "requested_amount"]);
    }
}
