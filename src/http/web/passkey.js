// Passkey enrolment and sign-in for the Anfu wallet page: the browser half of WebAuthn, through
// @simplewebauthn/browser (loaded before this file as the global SimpleWebAuthnBrowser).
/* global SimpleWebAuthnBrowser */
(function () {
  'use strict';
  async function api(path, options) {
    const { method = 'POST', token, body } = options || {};
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = 'Bearer ' + token;
    const response = await fetch('/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
  async function enrol(token, label) {
    const options = await api('/me/passkeys/options', { token });
    if (options.status !== 200) return options;
    const response = await SimpleWebAuthnBrowser.startRegistration({ optionsJSON: options.body });
    return api('/me/passkeys', { token, body: { response, label: label || 'passkey' } });
  }
  async function assertion(challengeId) {
    const options = await api('/login-challenges/' + challengeId + '/passkey-options');
    if (options.status !== 200) throw new Error('no passkey options: ' + options.status);
    return SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options.body });
  }
  async function answer(challengeId, response) {
    return api('/login-challenges/' + challengeId, { body: { factor: 'passkey', response } });
  }
  window.anfuPasskey = { api, enrol, assertion, answer };
  const status = document.getElementById('status');
  if (status) status.textContent = window.PublicKeyCredential ? 'Passkeys are available in this browser.' : 'This browser has no passkey support.';
})();
