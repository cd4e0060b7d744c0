//! Who the people of an audience are: vendor staff from their Cognito groups,
//! partner staff from their partner's user records.

use std::collections::BTreeMap;

use anyhow::Context;
use prm_shared::dynamo::keys;
use serde::Deserialize;

use crate::AlertsState;
use crate::catalog::Audience;

/// Someone to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Cognito `sub`.
    pub sub: String,
    /// Where email goes.
    pub email: String,
    /// How to greet them.
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct PartnerUser {
    id: String,
    email: String,
    name: String,
    role: String,
}

async fn vendor_group(st: &AlertsState, group: &str) -> anyhow::Result<Vec<Recipient>> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = st
            .idp
            .list_users_in_group()
            .user_pool_id(&st.cfg.user_pool_id)
            .group_name(group)
            .set_next_token(next.take())
            .send()
            .await
            .with_context(|| format!("ListUsersInGroup {group}"))?;
        for u in page.users() {
            if !u.enabled() {
                continue;
            }
            let attr =
                |n: &str| u.attributes().iter().find(|a| a.name() == n).and_then(|a| a.value()).map(str::to_owned);
            let (Some(sub), Some(email)) = (attr("sub"), attr("email")) else { continue };
            let name = attr("name").unwrap_or_else(|| email.clone());
            out.push(Recipient { sub, email, name });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

async fn partner_users(st: &AlertsState, partner_id: &str) -> anyhow::Result<Vec<PartnerUser>> {
    st.db.whole_partition(None, &keys::partner(partner_id), Some("USER#"), 1000).await
}

/// The people of `audience` for an event about `partner_id` with `detail`,
/// without `actor` (nobody is told of what they did themselves), each once.
pub async fn resolve(
    st: &AlertsState,
    audience: Audience,
    partner_id: Option<&str>,
    detail: &serde_json::Value,
    actor: Option<&str>,
) -> anyhow::Result<Vec<Recipient>> {
    let mut found = Vec::new();
    match audience {
        Audience::Vendor(groups) => {
            for g in groups {
                found.extend(vendor_group(st, g).await?);
            }
        }
        Audience::PartnerAdmins | Audience::PartnerAdminsAnd(_) => {
            let Some(pid) = partner_id else { return Ok(Vec::new()) };
            let named = match audience {
                Audience::PartnerAdminsAnd(field) => detail.get(field).and_then(|v| v.as_str()),
                _ => None,
            };
            for u in partner_users(st, pid).await? {
                if u.role == "partner-admin" || named == Some(u.id.as_str()) {
                    found.push(Recipient { sub: u.id, email: u.email, name: u.name });
                }
            }
        }
    }
    let unique: BTreeMap<String, Recipient> =
        found.into_iter().filter(|r| Some(r.sub.as_str()) != actor).map(|r| (r.sub.clone(), r)).collect();
    Ok(unique.into_values().collect())
}
