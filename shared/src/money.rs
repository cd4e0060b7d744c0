//! Money in integer minor units with an ISO 4217 currency code: no floats.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount of money, e.g. `{"amount_minor": 150000, "currency": "USD"}` for 1,500.00 USD.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in the currency's minor unit (cents for USD).
    pub amount_minor: i64,
    /// ISO 4217 code, upper-case.
    pub currency: String,
}

/// The largest amount accepted (10^13 minor units, 100 billion in major units).
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

impl Money {
    /// Checks a non-negative amount and a three-letter currency (upper-cased).
    pub fn parse(raw: &Money) -> Result<Money, String> {
        if raw.amount_minor < 0 {
            return Err("amount_minor must not be negative".into());
        }
        if raw.amount_minor > MAX_AMOUNT_MINOR {
            return Err(format!("amount_minor must be at most {MAX_AMOUNT_MINOR}"));
        }
        let currency = raw.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("currency must be a three-letter ISO 4217 code such as USD".into());
        }
        Ok(Money { amount_minor: raw.amount_minor, currency })
    }
}

/// The number of decimals of `currency`'s minor unit (ISO 4217): 0 for the
/// yen and the won, 3 for the dinars of Bahrain, Iraq, Jordan, Kuwait, Libya
/// and Tunisia and the Omani rial, 2 otherwise.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_checked_and_normalized() {
        let m = Money::parse(&Money { amount_minor: 150_000, currency: "usd".into() }).unwrap();
        assert_eq!(m.currency, "USD");
        assert!(Money::parse(&Money { amount_minor: -1, currency: "USD".into() }).is_err());
        assert!(Money::parse(&Money { amount_minor: 1, currency: "US".into() }).is_err());
        assert!(Money::parse(&Money { amount_minor: 1, currency: "U5D".into() }).is_err());
        assert!(Money::parse(&Money { amount_minor: MAX_AMOUNT_MINOR + 1, currency: "USD".into() }).is_err());
    }
}
