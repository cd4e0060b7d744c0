import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { setNewPassword, signIn, type Session } from '../auth';
import { Field } from '../ui';

/** Sign in with email and password; invited users choose their password. */
export function SignIn(props: { program: string; onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [next, setNext] = useState('');
  const [challenge, setChallenge] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (challenge) {
        props.onSignedIn(await setNewPassword(email.trim(), challenge, next));
      } else {
        const r = await signIn(email.trim(), password);
        if (r.kind === 'signed-in') props.onSignedIn(r.session);
        else setChallenge(r.cognitoSession);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="signin" id="main">
    <h1>${props.program}</h1>
    <form onSubmit=${submit} aria-describedby="signin-help">
      <h2>${challenge ? 'Choose your password' : 'Sign in'}</h2>
      <p id="signin-help">${challenge
        ? 'Your invitation used a temporary password. Choose the one you will use from now on.'
        : 'Partner staff and vendor staff sign in with their email address.'}</p>
      ${challenge
        ? html`<${Field} id="new-password" label="New password" type="password" value=${next} onInput=${setNext} required
            autocomplete="new-password" hint="At least 12 characters with upper and lower case, a digit and a symbol." />`
        : html`<${Field} id="email" label="Email" type="email" value=${email} onInput=${setEmail} required autocomplete="username" />
            <${Field} id="password" label="Password" type="password" value=${password} onInput=${setPassword} required
              autocomplete="current-password" />`}
      ${error ? html`<div class="problem" role="alert">${(error as Error).message}</div>` : null}
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : challenge ? 'Set password and sign in' : 'Sign in'}</button>
    </form>
  </main>`;
}

