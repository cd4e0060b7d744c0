//! Enumerations that travel as strings.

/// An enum of wire strings with `ALL`, `as_str` and a `parse` whose error
/// lists the allowed values (case-insensitive).
#[macro_export]
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }

        // Written out: the derive cannot read `rename = $text` through the
        // macro and would document the variant names instead of the wire values.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::new(utoipa::openapi::schema::Type::String))
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a wire value (case-insensitive); the error lists the allowed ones.
            pub fn parse(raw: &str) -> Result<Self, String> {
                let v = raw.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|x| x.as_str() == v).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|x| x.as_str()).collect();
                    format!("must be one of: {}", allowed.join(", "))
                })
            }
        }
    };
}
