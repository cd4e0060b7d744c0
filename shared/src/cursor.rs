//! Opaque, tamper-evident pagination cursors: the DynamoDB key to resume from,
//! bound to the list it came from (its scope) and signed with HMAC-SHA256.
//! A cursor from another list, another partner's list, or an edited one is a 400.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// The longest cursor accepted (a key of a few short strings is far smaller).
const MAX_CURSOR_LEN: usize = 2048;

#[derive(Serialize, Deserialize)]
struct Payload {
    /// Scope: which list, with which filters, for whom.
    s: String,
    /// The key to resume after (all of this table's keys are strings).
    k: BTreeMap<String, String>,
}

/// Signs and verifies cursors with the deployment's secret.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(<secret>)")
    }
}

fn invalid() -> ApiError {
    ApiError::field("cursor", "is not a cursor issued for this list")
}

impl CursorCodec {
    /// A codec keyed with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        Self { key: secret.to_vec() }
    }

    fn mac(&self, data: &[u8]) -> Result<HmacSha256, ApiError> {
        // HMAC accepts keys of any length, so this never fails in practice.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("cursor key: {e}")))?;
        mac.update(data);
        Ok(mac)
    }

    /// Encodes the key to resume after, for the list named by `scope`.
    pub fn encode(&self, scope: &str, key: &HashMap<String, AttributeValue>) -> Result<String, ApiError> {
        let mut k = BTreeMap::new();
        for (name, value) in key {
            let s = value.as_s().map_err(|_| anyhow::anyhow!("key attribute {name} is not a string"))?;
            k.insert(name.clone(), s.clone());
        }
        let payload = serde_json::to_vec(&Payload { s: scope.to_owned(), k })
            .map_err(|e| anyhow::anyhow!("cursor encoding: {e}"))?;
        let tag = self.mac(&payload)?.finalize().into_bytes();
        Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag)))
    }

    /// Decodes a cursor issued for `scope`; anything else is a 400 naming `cursor`.
    pub fn decode(&self, scope: &str, cursor: &str) -> Result<HashMap<String, AttributeValue>, ApiError> {
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(invalid());
        }
        let (body, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.mac(&payload)?.verify_slice(&tag).map_err(|_| invalid())?;
        let payload: Payload = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if payload.s != scope {
            return Err(invalid());
        }
        Ok(payload.k.into_iter().map(|(k, v)| (k, AttributeValue::S(v))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S("PARTNER#1".into())),
            ("sk".to_owned(), AttributeValue::S("PROFILE".into())),
        ])
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_scope() {
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef");
        let c = codec.encode("partners|tier=gold", &key()).unwrap();
        assert_eq!(codec.decode("partners|tier=gold", &c).unwrap(), key());
    }

    #[test]
    fn a_cursor_for_another_scope_is_refused() {
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef");
        let c = codec.encode("users|partner=p1", &key()).unwrap();
        assert!(codec.decode("users|partner=p2", &c).is_err());
    }

    #[test]
    fn an_edited_cursor_is_refused() {
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef");
        let c = codec.encode("s", &key()).unwrap();
        let (body, tag) = c.split_once('.').unwrap();
        let mut payload = URL_SAFE_NO_PAD.decode(body).unwrap();
        let n = payload.len();
        payload[n - 3] ^= 1;
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(payload));
        let err = codec.decode("s", &forged).unwrap_err();
        assert!(err.problem().errors[0].field == "cursor");
        assert!(codec.decode("s", "garbage").is_err());
        assert!(codec.decode("s", "").is_err());
        assert!(codec.decode("s", &"a.".repeat(5000)).is_err());
    }

    #[test]
    fn a_cursor_signed_with_another_secret_is_refused() {
        let a = CursorCodec::new(b"0123456789abcdef0123456789abcdef");
        let b = CursorCodec::new(b"fedcba9876543210fedcba9876543210");
        let c = a.encode("s", &key()).unwrap();
        assert!(b.decode("s", &c).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn codec() -> CursorCodec {
            CursorCodec::new(b"0123456789abcdef0123456789abcdef")
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Whatever a client sends as a cursor, decoding answers (a 400 naming `cursor`), never panics.
            #[test]
            fn decoding_anything_is_an_answer(raw in "\\PC{0,700}") {
                if let Err(e) = codec().decode("deals|partner=p1", &raw) {
                    let problem = e.problem();
                    prop_assert_eq!(problem.errors[0].field.as_str(), "cursor");
                }
            }

            /// Dot-separated base64-looking garbage is refused too.
            #[test]
            fn forged_halves_are_refused(a in "[A-Za-z0-9_-]{0,300}", b in "[A-Za-z0-9_-]{0,64}") {
                let forged = format!("{a}.{b}");
                prop_assert!(codec().decode("s", &forged).is_err());
            }

            /// Every key round-trips for its own list and no other.
            #[test]
            fn a_key_round_trips_only_for_its_list(pk in "\\PC{0,80}", sk in "\\PC{0,80}", scope in "\\PC{0,40}") {
                let key = HashMap::from([
                    ("pk".to_owned(), AttributeValue::S(pk)),
                    ("sk".to_owned(), AttributeValue::S(sk)),
                ]);
                let c = codec().encode(&scope, &key).unwrap();
                prop_assert_eq!(codec().decode(&scope, &c).unwrap(), key);
                let other = scope.clone() + "x";
                prop_assert!(codec().decode(&other, &c).is_err());
            }

            /// Changing any one character of a cursor makes it invalid.
            #[test]
            fn any_edit_is_refused(sk in "[a-z0-9#]{1,40}", at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.-]") {
                let key = HashMap::from([("pk".to_owned(), AttributeValue::S("P".into())), ("sk".to_owned(), AttributeValue::S(sk))]);
                let c = codec().encode("s", &key).unwrap();
                let i = at.index(c.len());
                let mut edited = c.clone();
                edited.replace_range(i..=i, &with);
                prop_assume!(edited != c);
                prop_assert!(codec().decode("s", &edited).is_err(), "{} accepted", edited);
            }
        }
    }
}
