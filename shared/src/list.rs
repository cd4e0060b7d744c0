//! The query of a list of partner-owned items (`?partner_id=&status=&limit=&cursor=`),
//! resolved for the caller: vendor staff may name any partner, partner staff
//! always get their own partner's items, whatever they ask for.

use crate::auth::Caller;
use crate::dynamo::ListParams;
use crate::error::ApiResult;
use crate::validate::{Checker, object_id};

/// A resolved owned-list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedList<S> {
    /// The partner whose items to list (`None`: every partner's, vendor staff only).
    pub partner_id: Option<String>,
    /// Only this status.
    pub status: Option<S>,
    /// Page size and cursor.
    pub page: ListParams,
}

/// Validates the raw parameters (a 400 names each bad one) and scopes the
/// partner to the caller.
pub fn resolve<S>(
    caller: &Caller,
    partner_id: Option<&str>,
    status: Option<&str>,
    parse_status: impl Fn(&str) -> Result<S, String>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<OwnedList<S>> {
    let mut c = Checker::new();
    // An enum filter given empty is not a choice: 400 (partner_id given empty means none).
    let status = status.and_then(|v| c.check("status", parse_status(v)));
    let requested = partner_id.map(str::trim).filter(|v| !v.is_empty());
    if requested.is_some_and(|p| object_id(p).is_err()) {
        c.fail("partner_id", "is not a partner id");
    }
    c.finish()?;
    let partner_id =
        if caller.is_vendor() { requested.map(str::to_owned) } else { Some(caller.require_partner()?.to_owned()) };
    Ok(OwnedList { partner_id, status, page: ListParams::parse(limit, cursor)? })
}
