//! Parsing request values into domain values, collecting every invalid field
//! so one 400 names them all.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// Collects field errors while a request is parsed.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// An empty checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value, or records the error against `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// Records an error against `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Whether nothing failed so far.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// 400 naming every failed field, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.errors)) }
    }
}

/// A trimmed single-line text of `min..=max` characters.
pub fn text(value: &str, min: usize, max: usize) -> Result<String, String> {
    let v = value.trim();
    let len = v.chars().count();
    if len < min {
        return Err(if min == 1 { "must not be empty".into() } else { format!("must be at least {min} characters") });
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(v.to_owned())
}

/// A list of short texts: at most `max_items`, each `1..=max_len` characters, duplicates dropped.
pub fn text_list(values: &[String], max_items: usize, max_len: usize) -> Result<Vec<String>, String> {
    if values.len() > max_items {
        return Err(format!("must have at most {max_items} items"));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let v = text(v, 1, max_len).map_err(|m| format!("item {i} {m}"))?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&v)) {
            out.push(v);
        }
    }
    Ok(out)
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub fn country_code(raw: &str) -> Result<String, String> {
    let v = raw.trim().to_ascii_uppercase();
    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(v)
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code, e.g. US or DE".into())
    }
}

/// The current time at the precision the API shows (milliseconds).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(3)
}

/// A path id as the server issues them (ULIDs and the like: 1 to 64 letters,
/// digits, `-` or `_`). Anything else cannot name an object, so it is a 404.
pub fn object_id(raw: &str) -> Result<&str, ApiError> {
    let ok = (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(raw) } else { Err(ApiError::NotFound) }
}

/// An email address, trimmed and lower-cased, checked for a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = "email")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address; the error says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let v = raw.trim().to_lowercase();
        let bad = || "must be an email address like name@example.com".to_owned();
        if v.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok { Ok(Self(v)) } else { Err(bad()) }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A period such as `2026-H1`, `2026-Q3` or `2026`.
pub fn period(raw: &str) -> Result<String, String> {
    let v = raw.trim().to_ascii_uppercase();
    let (year, part) = v.split_once('-').map_or((v.as_str(), None), |(y, p)| (y, Some(p)));
    let year_ok = year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) && ("2000"..="2100").contains(&year);
    let part_ok = matches!(part, None | Some("H1" | "H2" | "Q1" | "Q2" | "Q3" | "Q4"));
    if year_ok && part_ok { Ok(v) } else { Err("must be a period like 2026, 2026-H1 or 2026-Q3".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            EmailAddress::parse("  Pat.Admin@Northwind.Example.com ").unwrap().as_str(),
            "pat.admin@northwind.example.com"
        );
        for bad in [
            "",
            "pat",
            "pat@",
            "@x.com",
            "pat@x",
            "pat@@x.com",
            "pa t@x.com",
            "pat@x..com",
            "pat@-x.com",
            "pat@x.c0m",
            ".pat@x.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(EmailAddress::parse(&format!("{}@x.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn only_plausible_ids_can_name_an_object() {
        assert!(object_id("01JDEMOPARTNER00000000000A").is_ok());
        assert!(object_id("6f1c2a6e-8f0e-4c1e-9a53-1a2b3c4d5e6f").is_ok());
        for bad in ["", "a/b", "x y", "é", &"a".repeat(65)] {
            assert!(matches!(object_id(bad), Err(ApiError::NotFound)), "{bad}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  Acme  ", 1, 10).unwrap(), "Acme");
        assert!(text("   ", 1, 10).is_err());
        assert!(text("abcdefghijk", 1, 10).is_err());
        assert!(text("a\nb", 1, 10).is_err());
        assert_eq!(text("ééé", 1, 3).unwrap(), "ééé");
    }

    #[test]
    fn text_lists_are_bounded_and_deduplicated() {
        let v = vec!["Cloud".to_owned(), "cloud".to_owned(), "Security".to_owned()];
        assert_eq!(text_list(&v, 5, 20).unwrap(), vec!["Cloud", "Security"]);
        assert!(text_list(&v, 2, 20).is_err());
        assert!(text_list(&["".to_owned()], 2, 20).is_err());
    }

    #[test]
    fn a_checker_names_every_failed_field() {
        let mut c = Checker::new();
        assert_eq!(c.check("name", text("ok", 1, 5)), Some("ok".to_owned()));
        assert_eq!(c.check("contact_email", EmailAddress::parse("x")), None);
        c.fail("tier", "unknown");
        let err = c.finish().unwrap_err().problem();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["contact_email", "tier"]);
    }
}
