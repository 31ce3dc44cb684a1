/**
 * The viewer's shell: the token form, the not-a-diagnostic-device notice (always visible) and the
 * hash router (#/ worklist, #/case/<id> case view), so the server only has to serve index.html at /.
 */
import { clearToken, getToken, setToken, type ApiError } from './api.ts';
import { mountCaseView } from './case-view.ts';
import { NOTICE, clear, h } from './dom.ts';
import { mountWorklist } from './worklist.ts';
import './style.css';

const app = document.getElementById('app')!;
document.getElementById('notice')!.textContent = NOTICE;
let current: { dispose(): void } | null = null;

function tokenForm(message: string | null): void {
  current?.dispose();
  current = null;
  clear(app);
  const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off', required: true, 'aria-label': 'Access token' });
  const form = h(
    'form',
    { id: 'token-form', class: 'panel token-form' },
    h('h1', {}, 'ctscreen'),
    h('p', {}, 'Enter your access token. It is kept for this browser tab only (session storage).'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('label', {}, 'Token ', input),
    h('button', { type: 'submit' }, 'Continue'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    setToken(input.value.trim());
    route();
  });
  app.append(form);
  input.focus();
}

function onAuthError(e: ApiError): void {
  clearToken();
  tokenForm(`The server refused the token (${e.message}). Enter it again.`);
}

function route(): void {
  if (!getToken()) return tokenForm(null);
  current?.dispose();
  const m = /^#\/case\/([^/]+)$/.exec(location.hash);
  current = m ? mountCaseView(app, decodeURIComponent(m[1]), onAuthError) : mountWorklist(app, onAuthError);
}

window.addEventListener('hashchange', route);
route();
