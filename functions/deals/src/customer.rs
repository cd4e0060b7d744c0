//! Who the customer of a registration is: normalized keys that decide
//! "same customer". The registrable domain (public suffix list) is the strong
//! key; the normalized company name is the second. Free-mail domains are never
//! a company's domain.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Domains of free email providers: never a company's identity.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "live.com",
    "live.co.uk",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "yahoo.co.jp",
    "ymail.com",
    "rocketmail.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "mail.com",
    "mail.ru",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "naver.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "fastmail.com",
    "tutanota.com",
    "hey.com",
    "inbox.com",
    "rediffmail.com",
];

/// Legal-form words dropped from the end of company names.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "sa",
    "sl",
    "sas",
    "sarl",
    "bv",
    "nv",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "llp",
    "lp",
    "pty",
    "pte",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "aps",
    "kk",
    "ug",
    "se",
    "sro",
    "spzoo",
    "sp",
    "zoo",
    "lda",
    "ltda",
    "holdings",
    "group",
];

/// Why a registration's customer is considered the same as another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchReason {
    /// The same registrable domain.
    SameDomain,
    /// The same normalized company name.
    SameCompanyName,
}

impl MatchReason {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchReason::SameDomain => "same_domain",
            MatchReason::SameCompanyName => "same_company_name",
        }
    }
}

/// The host of what a partner typed as the customer's domain: no scheme, path,
/// port, user info or trailing dot; lower-case.
pub fn host_of(raw: &str) -> Option<String> {
    let mut s = raw.trim().to_lowercase();
    if let Some(i) = s.find("://") {
        s = s[i + 3..].to_owned();
    }
    let s = s.split(['/', '?', '#']).next().unwrap_or("");
    let s = s.rsplit('@').next().unwrap_or("");
    let s = s.split(':').next().unwrap_or("");
    let s = s.trim_end_matches('.');
    let valid = !s.is_empty()
        && s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    valid.then(|| s.to_owned())
}

/// The registrable domain of a customer domain (`sales.acme.co.uk` -> `acme.co.uk`),
/// or `None` for a bare public suffix (`co.uk`), a free-mail domain or garbage.
pub fn company_domain(raw: &str) -> Option<String> {
    let host = host_of(raw)?;
    let registrable = psl::domain_str(&host)?.to_owned();
    // A name with no label left of the suffix is not registrable.
    if psl::suffix_str(&registrable) == Some(registrable.as_str()) {
        return None;
    }
    if FREE_MAIL.contains(&registrable.as_str()) {
        return None;
    }
    Some(registrable)
}

/// The normalized company name: lower-case, accents and punctuation removed,
/// spaced-out initials joined (`S. A.` -> `sa`), legal forms dropped from the
/// end. `None` when nothing distinctive is left.
pub fn company_name_key(raw: &str) -> Option<String> {
    let folded: String = raw.nfkd().filter(|c| !is_combining_mark(*c)).collect::<String>().to_lowercase();
    let folded = folded.replace('&', " and ");
    let raw_tokens: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    // Join runs of single letters: "s a" -> "sa", "b v" -> "bv".
    let mut tokens: Vec<String> = Vec::new();
    let mut run = String::new();
    for t in raw_tokens {
        if t.chars().count() == 1 && t.chars().all(char::is_alphabetic) {
            run.push_str(t);
        } else {
            if !run.is_empty() {
                tokens.push(std::mem::take(&mut run));
            }
            tokens.push(t.to_owned());
        }
    }
    if !run.is_empty() {
        tokens.push(run);
    }
    while tokens.len() > 1 && tokens.last().is_some_and(|t| LEGAL_SUFFIXES.contains(&t.as_str())) {
        tokens.pop();
    }
    if tokens.first().is_some_and(|t| t == "the") && tokens.len() > 1 {
        tokens.remove(0);
    }
    let key = tokens.join(" ");
    (key.chars().count() >= 2).then_some(key)
}

/// The keys under which a customer is known: the domain key first when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerKeys {
    /// `d:{registrable domain}`.
    pub domain: Option<String>,
    /// `n:{normalized name}`.
    pub name: Option<String>,
}

impl CustomerKeys {
    /// Keys of a customer.
    pub fn of(company_name: &str, domain: &str) -> Self {
        Self {
            domain: company_domain(domain).map(|d| format!("d:{d}")),
            name: company_name_key(company_name).map(|n| format!("n:{n}")),
        }
    }

    /// Every key, each with the reason a match on it gives.
    pub fn all(&self) -> Vec<(String, MatchReason)> {
        let mut v = Vec::new();
        if let Some(d) = &self.domain {
            v.push((d.clone(), MatchReason::SameDomain));
        }
        if let Some(n) = &self.name {
            v.push((n.clone(), MatchReason::SameCompanyName));
        }
        v
    }

    /// The key that identifies the customer for one partner's duplicates.
    pub fn primary(&self) -> Option<&str> {
        self.domain.as_deref().or(self.name.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_across_www_subdomains_case_ports_and_urls() {
        let cases = [
            ("acme.com", Some("acme.com")),
            ("www.acme.com", Some("acme.com")),
            ("WWW.ACME.COM", Some("acme.com")),
            ("https://www.acme.com/contact?x=1", Some("acme.com")),
            ("http://acme.com:8080", Some("acme.com")),
            ("acme.com.", Some("acme.com")),
            ("sales.eu.acme.com", Some("acme.com")),
            ("acme.co.uk", Some("acme.co.uk")),
            ("sales.acme.co.uk", Some("acme.co.uk")),
            ("shop.acme.com.au", Some("acme.com.au")),
            ("co.uk", None),
            ("com", None),
            ("com.au", None),
            ("gmail.com", None),
            ("mail.google.com", Some("google.com")),
            ("Outlook.com", None),
            ("yahoo.co.uk", None),
            ("", None),
            ("not a domain", None),
            ("localhost", None),
            ("-acme.com", None),
        ];
        for (raw, want) in cases {
            assert_eq!(company_domain(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn company_names_match_across_case_punctuation_accents_and_legal_forms() {
        let same = [
            ("Acme Inc", "acme"),
            ("ACME, Inc.", "acme"),
            ("Acme LLC", "acme"),
            ("Acme Ltd.", "acme"),
            ("Acme GmbH", "acme"),
            ("Acme S.A.", "acme"),
            ("Acme S.L.", "acme"),
            ("Acme SAS", "acme"),
            ("Acme B.V.", "acme"),
            ("The Acme Company", "acme"),
            ("Açme", "acme"),
            ("Société Générale S.A.", "societe generale"),
            ("Müller & Söhne GmbH", "muller and sohne"),
            ("  Acme   Holdings  Inc ", "acme"),
        ];
        for (raw, want) in same {
            assert_eq!(company_name_key(raw).as_deref(), Some(want), "{raw}");
        }
        assert_ne!(company_name_key("Acme Robotics"), company_name_key("Acme"));
        assert_eq!(company_name_key("Inc"), Some("inc".into()), "a legal word alone stays");
        assert_eq!(company_name_key("!!"), None);
        assert_eq!(company_name_key("A"), None);
    }

    #[test]
    fn keys_put_the_domain_first_and_skip_free_mail() {
        let k = CustomerKeys::of("Acme Inc", "www.acme.com");
        assert_eq!(k.primary(), Some("d:acme.com"));
        assert_eq!(k.all().len(), 2);
        let k = CustomerKeys::of("Acme Inc", "gmail.com");
        assert_eq!(k.domain, None);
        assert_eq!(k.primary(), Some("n:acme"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// Whatever a partner types, the normalizers answer, and the keys are
            /// safe to put in a partition key (bounded, no control characters).
            #[test]
            fn any_input_gives_bounded_printable_keys(name in "\\PC{0,300}", domain in "\\PC{0,300}") {
                let keys = CustomerKeys::of(&name, &domain);
                for (key, _) in keys.all() {
                    prop_assert!(key.len() <= 1200, "{} bytes", key.len());
                    prop_assert!(!key.chars().any(char::is_control), "{:?}", key);
                }
                if let Some(d) = company_domain(&domain) {
                    prop_assert!(d.contains('.') && d == d.to_lowercase() && d.len() <= 253, "{}", d);
                }
                if let Some(n) = company_name_key(&name) {
                    prop_assert!(n.chars().count() >= 2 && n.trim() == n && !n.contains("  "), "{:?}", n);
                }
            }

            /// How a domain is written does not change who the customer is:
            /// case, scheme, path, port, a mail address, a trailing dot.
            #[test]
            fn a_domain_is_the_same_customer_however_it_is_written(
                labels in prop::collection::vec("[a-z0-9]{1,12}", 1..4),
                tld in prop::sample::select(vec!["com", "de", "co.uk", "io", "com.au"]),
                path in "[a-z0-9/]{0,12}",
                port in 1u16..65535,
            ) {
                let host = format!("{}.{tld}", labels.join("."));
                let plain = company_domain(&host);
                for written in [
                    host.to_uppercase(),
                    format!("https://{host}/{path}"),
                    format!("http://{host}:{port}"),
                    format!("sales@{host}"),
                    format!("{host}."),
                    format!("  {host}  "),
                ] {
                    prop_assert_eq!(company_domain(&written), plain.clone(), "{}", written);
                }
            }

            /// Case, accents, punctuation and a trailing legal form do not change the company.
            #[test]
            fn a_company_name_is_the_same_however_it_is_written(words in prop::collection::vec("[a-z]{3,10}", 1..4)) {
                let name = words.join(" ");
                prop_assume!(!LEGAL_SUFFIXES.contains(&words[words.len() - 1].as_str()) && words[0] != "the");
                let key = company_name_key(&name);
                for written in [name.to_uppercase(), format!("{name}, Inc."), format!("{name} GmbH"), format!(" {name}!"), name.replace(' ', " - ")] {
                    prop_assert_eq!(company_name_key(&written), key.clone(), "{}", written);
                }
            }
        }
    }
}
