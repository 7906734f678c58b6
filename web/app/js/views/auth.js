/* views/auth.js - log in and create an account. */
import { login, register } from '../api.js';
import { h, notice, errorText } from '../dom.js';

function form(root, { title, submitLabel, testid, onSubmit, footer, minPassword }) {
  const msg = h('div', { 'aria-live': 'polite' });
  const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'email', required: true, 'data-testid': 'auth-email' });
  const password = h('input', {
    id: 'password', type: 'password', name: 'password', required: true, 'data-testid': 'auth-password',
    autocomplete: minPassword ? 'new-password' : 'current-password', minlength: minPassword || null,
  });
  const btn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'auth-submit' }, submitLabel);
  const f = h('form', { class: 'card auth', 'data-testid': testid, novalidate: false },
    h('h1', {}, title),
    h('label', { for: 'email' }, 'Email'), email,
    h('label', { for: 'password' }, 'Password'), password,
    minPassword ? h('p', { class: 'hint' }, `At least ${minPassword} characters; common passwords are refused.`) : null,
    btn, msg, footer);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    btn.disabled = true;
    try {
      await onSubmit(email.value.trim(), password.value, msg);
    } catch (err) {
      msg.appendChild(notice('error', errorText(err), 'auth-error'));
    } finally {
      btn.disabled = false;
    }
  });
  root.appendChild(f);
  email.focus();
}

export function renderLogin(root, _params, { go }) {
  form(root, {
    title: 'Log in', submitLabel: 'Log in', testid: 'login-form',
    footer: h('p', {}, 'No account yet? ', h('a', { href: '#/register', 'data-testid': 'to-register' }, 'Create one')),
    async onSubmit(email, password) {
      await login(email, password);
      go('#/workouts');
    },
  });
}

export function renderRegister(root, _params, { go }) {
  form(root, {
    title: 'Create account', submitLabel: 'Create account', testid: 'register-form', minPassword: 8,
    footer: h('p', {}, 'Already registered? ', h('a', { href: '#/login', 'data-testid': 'to-login' }, 'Log in')),
    async onSubmit(email, password) {
      await register(email, password);
      await login(email, password);
      go('#/upload');
    },
  });
}
