//! The user directory (Cognito) and the invitation email (SES).

use anyhow::Context;
use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::domain::{Invitation, Partner};

/// Why a directory user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// The email is already a user of the pool.
    #[error("a user with this email already exists")]
    Exists,
    /// Cognito refused an attribute (e.g. an address its own rules do not
    /// accept as a username, though it is a valid email address).
    #[error("{0}")]
    Refused(String),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Cognito and SES, with what the invitation needs.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Cognito client.
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    /// The program's user pool.
    pub user_pool_id: String,
    /// SES client.
    pub ses: aws_sdk_sesv2::Client,
    /// The verified sender address.
    pub sender: String,
    /// Where the portal is, for the link in the email.
    pub portal_url: String,
    /// The program's name, for the email.
    pub program_name: String,
}

/// A temporary password that meets Cognito's default policy: 16 characters
/// with upper and lower case letters, digits and symbols.
pub fn temporary_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!#$%*+-=?@^_";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[rng.random_range(0..set.len())] as char;
    let mut chars: Vec<char> = vec![pick(UPPER), pick(LOWER), pick(DIGIT), pick(SYMBOL)];
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    while chars.len() < 16 {
        chars.push(pick(&all));
    }
    chars.shuffle(&mut rand::rng());
    chars.into_iter().collect()
}

/// The `sub` of a user as Cognito describes it.
pub fn sub_of(user: Option<&aws_sdk_cognitoidentityprovider::types::UserType>) -> Option<String> {
    user?.attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()).map(str::to_owned)
}

fn attr(name: &str, value: &str) -> anyhow::Result<AttributeType> {
    AttributeType::builder().name(name).value(value).build().context("building attribute")
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

impl Directory {
    /// Creates the user with its partner and a temporary password, without
    /// Cognito's own message (the invitation is sent by [`Directory::send_invitation`]).
    /// Returns the user's `sub`.
    pub async fn create_user(
        &self,
        inv: &Invitation,
        partner_id: &str,
        password: &str,
    ) -> Result<String, CreateUserError> {
        let res = self
            .idp
            .admin_create_user()
            .user_pool_id(&self.user_pool_id)
            .username(inv.email.as_str())
            .temporary_password(password)
            .message_action(MessageActionType::Suppress)
            .user_attributes(attr("email", inv.email.as_str())?)
            .user_attributes(attr("email_verified", "true")?)
            .user_attributes(attr("name", &inv.name)?)
            .user_attributes(attr("custom:partner_id", partner_id)?)
            .send()
            .await;
        let out = match res {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if matches!(e.err(), AdminCreateUserError::UsernameExistsException(_)) => {
                return Err(CreateUserError::Exists);
            }
            Err(SdkError::ServiceError(e)) if matches!(e.err(), AdminCreateUserError::InvalidParameterException(_)) => {
                let why = e.err().meta().message().unwrap_or("refused by the user directory").to_owned();
                tracing::warn!(error = %why, "AdminCreateUser refused the invitation");
                return Err(CreateUserError::Refused(why));
            }
            Err(e) => return Err(anyhow::Error::new(e).context("AdminCreateUser").into()),
        };
        Ok(sub_of(out.user()).context("AdminCreateUser returned no sub")?)
    }

    /// Puts the user in the group of its role.
    pub async fn add_to_group(&self, email: &str, group: &str) -> anyhow::Result<()> {
        self.idp
            .admin_add_user_to_group()
            .user_pool_id(&self.user_pool_id)
            .username(email)
            .group_name(group)
            .send()
            .await
            .context("AdminAddUserToGroup")?;
        Ok(())
    }

    /// Removes a user created for an invitation that failed.
    pub async fn delete_user(&self, email: &str) -> anyhow::Result<()> {
        self.idp
            .admin_delete_user()
            .user_pool_id(&self.user_pool_id)
            .username(email)
            .send()
            .await
            .context("AdminDeleteUser")?;
        Ok(())
    }

    /// Sends the invitation with the temporary password and the portal link.
    pub async fn send_invitation(&self, inv: &Invitation, partner: &Partner, password: &str) -> anyhow::Result<()> {
        let subject = format!("Your invitation to the {} portal", self.program_name);
        let text = format!(
            "Hello {name},\n\nYou have been invited to the {program} portal as a {role} of {partner}.\n\n\
             Sign in at {url}\nUsername: {email}\nTemporary password: {password}\n\n\
             You will be asked to choose a new password when you first sign in.\n",
            name = inv.name,
            program = self.program_name,
            role = inv.role.as_str(),
            partner = partner.name,
            url = self.portal_url,
            email = inv.email,
        );
        let html = format!(
            "<p>Hello {name},</p><p>You have been invited to the {program} portal as a \
             <strong>{role}</strong> of {partner}.</p><p><a href=\"{url}\">Sign in to the portal</a></p>\
             <p>Username: <code>{email}</code><br>Temporary password: <code>{password}</code></p>\
             <p>You will be asked to choose a new password when you first sign in.</p>",
            name = escape_html(&inv.name),
            program = escape_html(&self.program_name),
            role = inv.role.as_str(),
            partner = escape_html(&partner.name),
            url = escape_html(&self.portal_url),
            email = escape_html(inv.email.as_str()),
            password = escape_html(password),
        );
        let content = |data: String| Content::builder().data(data).charset("UTF-8").build().context("building content");
        let message = Message::builder()
            .subject(content(subject)?)
            .body(Body::builder().text(content(text)?).html(content(html)?).build())
            .build();
        self.ses
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(inv.email.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .context("SES SendEmail (invitation)")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = temporary_password();
            assert_eq!(p.len(), 16);
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
        }
        assert_ne!(temporary_password(), temporary_password());
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html("<b>\"A&B\"</b>"), "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;");
    }
}
