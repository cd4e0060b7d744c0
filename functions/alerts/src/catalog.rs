//! Who hears of each event, and what they read: one entry per event type, its
//! audience and its templates (minijinja over the event's detail).

use minijinja::{Environment, UndefinedBehavior, Value};

/// Who is told of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Vendor staff in these Cognito groups.
    Vendor(&'static [&'static str]),
    /// The partner-admins of the event's partner.
    PartnerAdmins,
    /// The partner-admins of the event's partner and the user (a `sub`) named
    /// by this detail field, e.g. whoever registered the deal.
    PartnerAdminsAnd(&'static str),
}

/// How one event type is announced.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The detail-type.
    pub event_type: &'static str,
    /// Who hears of it.
    pub audience: Audience,
    /// The subject / notification title.
    pub subject: &'static str,
    /// What happened (blank lines are dropped).
    pub lines: &'static [&'static str],
    /// The portal path it is about.
    pub link: Option<&'static str>,
}

const MANAGERS: Audience = Audience::Vendor(&["channel-manager"]);
const VENDOR: Audience = Audience::Vendor(&["vendor-admin", "channel-manager"]);

/// Every event type people are told of.
pub const CATALOG: &[Entry] = &[
    Entry {
        event_type: "DealRegistered",
        audience: MANAGERS,
        subject: "New deal registration: {{ title }}",
        lines: &[
            "A partner registered {{ title }} for {{ customer_name }} ({{ amount|money }}).",
            "{% if conflict %}It matches another partner's open registration: review the conflict before approving.{% endif %}",
        ],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealConflictDetected",
        audience: VENDOR,
        subject: "Channel conflict on a deal registration",
        lines: &[
            "A new registration matches {{ conflicting_deal_ids|length }} open registration(s) of other partners ({{ reasons|join(', ') }}).",
        ],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealApproved",
        audience: Audience::PartnerAdminsAnd("registered_by"),
        subject: "Deal approved: {{ title }}",
        lines: &["Your registration {{ title }} is approved and protected until {{ protection_expires_at|day }}."],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealRejected",
        audience: Audience::PartnerAdminsAnd("registered_by"),
        subject: "Deal registration rejected: {{ title }}",
        lines: &["Your registration {{ title }} was rejected.", "Reason: {{ reason }}"],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealExtensionRequested",
        audience: MANAGERS,
        subject: "Protection extension requested",
        lines: &[
            "A partner asks for {{ days }} more days of protection on a deal.",
            "{% if reason %}Reason: {{ reason }}{% endif %}",
        ],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealExtended",
        audience: Audience::PartnerAdmins,
        subject: "Deal protection extended",
        lines: &["Protection of your deal now runs until {{ protection_expires_at|day }} ({{ days }} more days)."],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealProtectionEnding",
        audience: Audience::PartnerAdminsAnd("registered_by"),
        subject: "Deal protection ends {{ protection_expires_at|day }}: {{ title }}",
        lines: &[
            "Protection of {{ title }} ends on {{ protection_expires_at|day }}.",
            "Close the deal, or ask for an extension from the deal's page, before then.",
        ],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealExpired",
        audience: Audience::PartnerAdminsAnd("registered_by"),
        subject: "Deal protection ended: {{ title }}",
        lines: &[
            "The protection period of {{ title }} ended before the deal closed; the customer is open to other partners.",
        ],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealApprovalOverdue",
        audience: MANAGERS,
        subject: "Deal registration waiting past its review deadline",
        lines: &["A registration submitted on {{ submitted_at|day }} was due for review by {{ review_due_at|day }}."],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealWon",
        audience: MANAGERS,
        subject: "Deal won: {{ amount|money }}",
        lines: &["A partner won a registered deal for {{ amount|money }}."],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "DealLost",
        audience: MANAGERS,
        subject: "Deal lost",
        lines: &["A partner lost a registered deal.", "{% if reason %}Reason: {{ reason }}{% endif %}"],
        link: Some("/deals/{{ deal_id }}"),
    },
    Entry {
        event_type: "LeadAssigned",
        audience: Audience::PartnerAdmins,
        subject: "New lead for you: accept by {{ accept_by|day }}",
        lines: &[
            "A lead was assigned to your company. Accept or decline it by {{ accept_by|day }} or it goes to another partner.",
        ],
        link: Some("/leads/{{ lead_id }}"),
    },
    Entry {
        event_type: "LeadAcceptanceDueSoon",
        audience: Audience::PartnerAdmins,
        subject: "A lead is waiting for your answer until {{ accept_by|day }}",
        lines: &[
            "Accept or decline the lead assigned to your company before {{ accept_by }} (UTC), or it goes to another partner.",
        ],
        link: Some("/leads/{{ lead_id }}"),
    },
    Entry {
        event_type: "LeadUnassigned",
        audience: MANAGERS,
        subject: "A lead found no eligible partner",
        lines: &["No eligible partner is left for a lead; assign it by hand."],
        link: Some("/leads/{{ lead_id }}"),
    },
    Entry {
        event_type: "LeadAccepted",
        audience: MANAGERS,
        subject: "Lead accepted",
        lines: &["A partner accepted a lead."],
        link: Some("/leads/{{ lead_id }}"),
    },
    Entry {
        event_type: "LeadDeclined",
        audience: MANAGERS,
        subject: "Lead declined",
        lines: &["A partner declined a lead.", "{% if reason %}Reason: {{ reason }}{% endif %}"],
        link: Some("/leads/{{ lead_id }}"),
    },
    Entry {
        event_type: "LeadLapsed",
        audience: Audience::PartnerAdmins,
        subject: "A lead went to another partner",
        lines: &["A lead assigned to your company was not answered by {{ accept_by|day }} and was reassigned."],
        link: None,
    },
    Entry {
        event_type: "CourseCompleted",
        audience: Audience::PartnerAdmins,
        subject: "Course completed: {{ title }}",
        lines: &["Someone at your company passed {{ title }} with {{ score_pct }} %."],
        link: Some("/training/courses/{{ course_id }}"),
    },
    Entry {
        event_type: "CertificationIssued",
        audience: Audience::PartnerAdminsAnd("holder"),
        subject: "{% if renewed %}Certification renewed{% else %}Certification earned{% endif %}: {{ name }}",
        lines: &["{{ name }} is valid until {{ expires_at|day }}."],
        link: Some("/training/certifications"),
    },
    Entry {
        event_type: "CertificationExpiring",
        audience: Audience::PartnerAdminsAnd("holder"),
        subject: "Certification expires {{ expires_at|day }}: {{ name }}",
        lines: &[
            "{{ name }} expires on {{ expires_at|day }}.",
            "Pass the course again before then to renew it; the renewal counts from the current expiry.",
        ],
        link: Some("/training/courses/{{ course_id }}"),
    },
    Entry {
        event_type: "OnboardingCompleted",
        audience: Audience::PartnerAdmins,
        subject: "Welcome aboard: onboarding complete",
        lines: &["Every onboarding task is done and your company is now an active partner."],
        link: Some("/onboarding"),
    },
    Entry {
        event_type: "PartnerTierProposed",
        audience: Audience::Vendor(&["vendor-admin"]),
        subject: "Tier {{ direction }} proposed: {{ partner_name }} to {{ to_tier }}",
        lines: &[
            "The tier evaluation proposes moving {{ partner_name }} from {{ from_tier }} to {{ to_tier }}.",
            "Review the evidence and approve or reject it.",
        ],
        link: Some("/program/tier-proposals"),
    },
    Entry {
        event_type: "PartnerTierChanged",
        audience: Audience::PartnerAdmins,
        subject: "Your program tier is now {{ to_tier }}",
        lines: &[
            "{{ partner_name }} moved from {{ from_tier }} to {{ to_tier }}.",
            "The benefits of {{ to_tier }} (deal protection, co-op rate, lead share) apply from now on.",
        ],
        link: Some("/program"),
    },
    Entry {
        event_type: "MdfRequestSubmitted",
        audience: MANAGERS,
        subject: "MDF request: {{ title }} ({{ requested_amount|money }})",
        lines: &["A partner asks for {{ requested_amount|money }} for {{ title }}."],
        link: Some("/mdf/requests/{{ request_id }}"),
    },
    Entry {
        event_type: "MdfRequestApproved",
        audience: Audience::PartnerAdminsAnd("submitted_by"),
        subject: "MDF request approved: {{ title }}",
        lines: &[
            "{{ approved_amount|money }} is reserved for {{ title }}. Claim it with proof of performance after the activity.",
        ],
        link: Some("/mdf/requests/{{ request_id }}"),
    },
    Entry {
        event_type: "MdfRequestRejected",
        audience: Audience::PartnerAdminsAnd("submitted_by"),
        subject: "MDF request rejected: {{ title }}",
        lines: &["Your fund request {{ title }} was rejected.", "Reason: {{ reason }}"],
        link: Some("/mdf/requests/{{ request_id }}"),
    },
    Entry {
        event_type: "MdfClaimSubmitted",
        audience: MANAGERS,
        subject: "MDF claim submitted: {{ amount|money }}",
        lines: &["A partner claims {{ amount|money }} with proof of performance."],
        link: Some("/mdf/claims/{{ claim_id }}"),
    },
    Entry {
        event_type: "MdfClaimApproved",
        audience: Audience::PartnerAdmins,
        subject: "MDF claim approved: {{ approved_amount|money }}",
        lines: &["Your claim is approved for {{ approved_amount|money }}; payment follows."],
        link: Some("/mdf/claims/{{ claim_id }}"),
    },
    Entry {
        event_type: "MdfClaimRejected",
        audience: Audience::PartnerAdmins,
        subject: "MDF claim rejected",
        lines: &["Your claim was rejected.", "Reason: {{ reason }}"],
        link: Some("/mdf/claims/{{ claim_id }}"),
    },
    Entry {
        event_type: "MdfClaimPaid",
        audience: Audience::PartnerAdmins,
        subject: "MDF claim paid: {{ amount|money }}",
        lines: &["{{ amount|money }} was paid for your claim."],
        link: Some("/mdf/claims/{{ claim_id }}"),
    },
    Entry {
        event_type: "MdfClaimDeadlineNear",
        audience: Audience::PartnerAdmins,
        subject: "Claim your MDF by {{ claim_deadline }}: {{ unclaimed|money }} unclaimed",
        lines: &[
            "{{ unclaimed|money }} reserved for {{ title }} is not claimed yet.",
            "Claims close at the end of {{ claim_deadline }} (UTC); what is not claimed by then returns to the budget.",
        ],
        link: Some("/mdf/requests/{{ request_id }}"),
    },
    Entry {
        event_type: "MdfRequestClosed",
        audience: Audience::PartnerAdmins,
        subject: "MDF claim window closed",
        lines: &["The claim window of a fund request closed; {{ released|money }} unclaimed returned to your budget."],
        link: Some("/mdf/requests/{{ request_id }}"),
    },
    Entry {
        event_type: "MdfCoopAccrued",
        audience: Audience::PartnerAdmins,
        subject: "Co-op funds accrued: {{ amount|money }}",
        lines: &["A won deal added {{ amount|money }} to your {{ period }} co-op funds."],
        link: None,
    },
];

/// The entry of `event_type`.
pub fn entry(event_type: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.event_type == event_type)
}

fn money(v: Value) -> String {
    let minor = v.get_attr("amount_minor").ok().and_then(|m| i64::try_from(m).ok()).unwrap_or(0);
    let currency = v.get_attr("currency").map(|c| c.to_string()).unwrap_or_default();
    let digits = prm_shared::money::minor_digits(&currency);
    let unit = 10i64.pow(digits);
    let whole = (minor / unit).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if digits == 0 {
        format!("{grouped} {currency}")
    } else {
        format!("{grouped}.{:0width$} {currency}", minor % unit, width = digits as usize)
    }
}

fn day(v: Value) -> String {
    let s = v.to_string();
    s.get(..10).unwrap_or(&s).to_owned()
}

/// The template environment: a field an event lacks renders empty (optional
/// fields such as `reason`), HTML is auto-escaped in `.html` templates.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.add_filter("money", money);
    env.add_filter("day", day);
    env.add_template("email.html", include_str!("../templates/email.html")).expect("email.html parses");
    env.add_template("email.txt", include_str!("../templates/email.txt")).expect("email.txt parses");
    env
}

/// An event rendered for people to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject and title.
    pub subject: String,
    /// What happened, one paragraph each.
    pub lines: Vec<String>,
    /// Absolute link into the portal.
    pub link: Option<String>,
}

/// Renders `entry` over `detail`.
pub fn render(
    env: &Environment<'_>,
    entry: &Entry,
    detail: &serde_json::Value,
    portal_url: &str,
) -> Result<Rendered, minijinja::Error> {
    let ctx = Value::from_serialize(detail);
    let one = |t: &str| env.render_str(t, ctx.clone()).map(|s| s.trim().to_owned());
    let subject = one(entry.subject)?;
    let mut lines = Vec::new();
    for l in entry.lines {
        let line = one(l)?;
        if !line.is_empty() {
            lines.push(line);
        }
    }
    let link = entry.link.map(|l| one(l).map(|p| format!("{}{p}", portal_url.trim_end_matches('/')))).transpose()?;
    Ok(Rendered { subject, lines, link })
}

/// The text and HTML bodies of an email to `name`.
pub fn email_bodies(
    env: &Environment<'_>,
    name: &str,
    program: &str,
    rendered: &Rendered,
    portal_url: &str,
) -> Result<(String, String), minijinja::Error> {
    let ctx = minijinja::context! {
        recipient_name => name,
        program => program,
        lines => rendered.lines,
        link => rendered.link,
        preferences_url => format!("{}/settings/notifications", portal_url.trim_end_matches('/')),
    };
    let text = env.get_template("email.txt")?.render(ctx.clone())?;
    let html = env.get_template("email.html")?.render(ctx)?;
    Ok((text, html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_covers_every_notifiable_event_type_once() {
        let mut catalogued: Vec<&str> = CATALOG.iter().map(|e| e.event_type).collect();
        let mut types: Vec<&str> = prm_shared::notify::EVENT_TYPES.iter().map(|(t, _)| *t).collect();
        catalogued.sort_unstable();
        types.sort_unstable();
        assert_eq!(catalogued, types);
    }

    #[test]
    fn money_reads_like_money() {
        let m = |a: i64, c: &str| money(Value::from_serialize(serde_json::json!({"amount_minor": a, "currency": c})));
        assert_eq!(m(123_456_789, "USD"), "1,234,567.89 USD");
        assert_eq!(m(5, "EUR"), "0.05 EUR");
        assert_eq!(m(1_000_000, "JPY"), "1,000,000 JPY");
    }

    #[test]
    fn every_entry_renders_and_html_is_escaped() {
        let env = environment();
        let usd = serde_json::json!({"amount_minor": 1_000_000, "currency": "USD"});
        let detail = serde_json::json!({
            "deal_id": "D1", "lead_id": "L1", "request_id": "R1", "claim_id": "C1",
            "title": "<script>alert(1)</script> rollout", "customer_name": "Acme", "amount": usd,
            "requested_amount": usd, "approved_amount": usd, "unclaimed": usd, "released": usd,
            "conflict": true, "reasons": ["same_domain"], "conflicting_deal_ids": ["D0"],
            "protection_expires_at": "2027-03-01T00:00:00Z", "days": 30, "reason": "budget",
            "submitted_at": "2026-12-01T00:00:00Z", "review_due_at": "2026-12-03T00:00:00Z",
            "accept_by": "2026-12-05T00:00:00Z", "claim_deadline": "2027-02-01", "period": "2026-H2",
            "course_id": "K1", "name": "Firewall Associate", "expires_at": "2027-12-01T00:00:00Z",
            "renewed": false, "score_pct": 90, "holder": "u1"
        });
        for e in CATALOG {
            let r = render(&env, e, &detail, "https://portal.example.com/").unwrap();
            assert!(!r.subject.is_empty() && !r.lines.is_empty(), "{}", e.event_type);
            assert!(!r.subject.contains("{{") && r.lines.iter().all(|l| !l.contains("{%")), "{}", e.event_type);
            let (text, html) = email_bodies(&env, "Ann", "Demo", &r, "https://portal.example.com").unwrap();
            assert!(text.contains("Hello Ann"));
            assert!(!html.contains("<script>"), "{}: HTML is escaped", e.event_type);
        }
        let r = render(&env, entry("DealApproved").unwrap(), &detail, "https://portal.example.com/").unwrap();
        assert_eq!(r.link.as_deref(), Some("https://portal.example.com/deals/D1"));
        assert!(r.lines[0].contains("2027-03-01"), "{r:?}");
    }
}
