// The Cognito session: sign in with email and password, the new-password
// challenge of invited users, token refresh before expiry, sign out. Tokens
// live in sessionStorage (gone with the tab), never in a cookie.
import { config } from './config';

export interface Session {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  email: string;
}

export interface Claims {
  sub: string;
  email: string;
  groups: string[];
  partnerId?: string;
  name?: string;
}

export type SignInResult = { kind: 'signed-in'; session: Session } | { kind: 'new-password'; cognitoSession: string };

const KEY = 'prm.session';

export class AuthError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

async function cognito(operation: string, body: unknown): Promise<any> {
  const c = await config();
  const res = await fetch(c.cognito_url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const code = String(data.__type ?? 'Error').split('#').pop() ?? 'Error';
    const message =
      code === 'NotAuthorizedException'
        ? 'Incorrect email or password.'
        : code === 'UserNotFoundException'
          ? 'Incorrect email or password.'
          : code === 'InvalidPasswordException'
            ? String(data.message ?? 'The password does not meet the policy.')
            : String(data.message ?? `Sign-in failed (${code}).`);
    throw new AuthError(message, code);
  }
  return data;
}

function store(result: any, email: string, refreshToken?: string): Session {
  const r = result.AuthenticationResult;
  const session: Session = {
    idToken: r.IdToken,
    accessToken: r.AccessToken,
    refreshToken: r.RefreshToken ?? refreshToken ?? '',
    expiresAt: Date.now() + (Number(r.ExpiresIn) || 3600) * 1000,
    email,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export async function signIn(email: string, password: string): Promise<SignInResult> {
  const c = await config();
  const out = await cognito('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: c.client_id,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (out.ChallengeName === 'NEW_PASSWORD_REQUIRED') return { kind: 'new-password', cognitoSession: out.Session };
  if (!out.AuthenticationResult) throw new AuthError(`Unsupported sign-in step ${out.ChallengeName}.`, 'Challenge');
  return { kind: 'signed-in', session: store(out, email) };
}

export async function setNewPassword(email: string, cognitoSession: string, newPassword: string): Promise<Session> {
  const c = await config();
  const out = await cognito('RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    ClientId: c.client_id,
    Session: cognitoSession,
    ChallengeResponses: { USERNAME: email, NEW_PASSWORD: newPassword },
  });
  return store(out, email);
}

export function current(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as Session) : undefined;
}

let refreshing: Promise<Session | undefined> | undefined;

/** A valid ID token, refreshed when it expires within a minute; undefined when signed out. */
export async function idToken(): Promise<string | undefined> {
  const s = current();
  if (!s) return undefined;
  if (s.expiresAt - Date.now() > 60_000) return s.idToken;
  refreshing ??= (async () => {
    try {
      const c = await config();
      const out = await cognito('InitiateAuth', {
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: c.client_id,
        AuthParameters: { REFRESH_TOKEN: s.refreshToken },
      });
      return store(out, s.email, s.refreshToken);
    } catch {
      sessionStorage.removeItem(KEY);
      return undefined;
    } finally {
      refreshing = undefined;
    }
  })();
  return (await refreshing)?.idToken;
}

export async function signOut(): Promise<void> {
  const s = current();
  sessionStorage.removeItem(KEY);
  if (s?.refreshToken) {
    const c = await config();
    await cognito('RevokeToken', { Token: s.refreshToken, ClientId: c.client_id }).catch(() => undefined);
  }
}

/** What the ID token says about its holder (not verified here: the API verifies it). */
export function claims(s: Session): Claims {
  const payload = s.idToken.split('.')[1] ?? '';
  const json = JSON.parse(decodeURIComponent(escape(atob(payload.replace(/-/g, '+').replace(/_/g, '/')))));
  const raw = json['cognito:groups'];
  const groups: string[] = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.replace(/[[\]]/g, '').split(/[ ,]+/).filter(Boolean) : [];
  return { sub: json.sub, email: json.email, groups, partnerId: json['custom:partner_id'], name: json.name };
}
