// Skydd's consent banner, for a company's own website (README.md, "Consent banner"):
//   <link rel="stylesheet" href="https://privacy.example.com/banner.css">
//   <script src="https://privacy.example.com/banner.js" defer></script>
// It talks only to the Skydd origin it was loaded from: the categories, services and texts come
// from /v1/banner/config (the register's `cookies` section), each choice is logged to the
// consent ledger with sendBeacon, and the choice is kept on the website in the first-party
// cookie `skydd_consent`. Until a category is given, `<script type="text/plain"
// data-category>` stays inert and `<iframe data-category data-src>` stays empty (with a "load
// this" placeholder), also for elements added later. No dependency, no inline style (only the
// classes of banner.css), every text set with textContent. Budget: 10 kB gzipped (a test).
(() => {
  'use strict';
  const d = document, W = window, nav = navigator, me = d.currentScript;
  if (!me || !me.src || W.skydd) return;
  const ORIGIN = new URL(me.src).origin;
  const COOKIE = 'skydd_consent';
  const BLOCKED = 'script[type="text/plain"][data-category],iframe[data-category][data-src]:not([src])';
  const OPENERS = 'a[href="#skydd-settings"],[data-skydd-settings]';
  const LANG = /^sv\b/i.test(d.documentElement.lang) ? 'sv' : 'en';
  const GPC = nav.globalPrivacyControl === true;
  const DNT = nav.doNotTrack === '1' || W.doNotTrack === '1';

  let cfg = null;      // /v1/banner/config
  let state = null;    // the choice in force: { g: [category ids given], s: { service: true } }
  let banner = null;   // the first layer, while it waits for an answer
  let bannerBack = null; // what had focus before it
  let settings = null; // the settings dialog, while open
  const ran = new Set(); // "category" and "category/service" of the elements that ran

  // --- the cookie on the website ---------------------------------------------------------

  /** The stored choice `{ b: browser id, r: revision, g, s, q }`, or null. */
  function stored() {
    const m = d.cookie.match(/(?:^|;\s*)skydd_consent=([^;]*)/);
    try {
      const v = m && JSON.parse(decodeURIComponent(m[1]));
      return v && Array.isArray(v.g) && v.s && typeof v.s === 'object' ? v : null;
    } catch (e) {
      return null;
    }
  }

  /** A new pseudonymous browser id: 24 characters of base64url from 18 random bytes. */
  function newId() {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, '-').replace(/\//g, '_');
  }

  const kept = stored();
  const BROWSER = kept && /^[\w-]{22,64}$/.test(kept.b) ? kept.b : newId();

  function keep(q) {
    const v = { b: BROWSER, r: cfg.revision, g: state.g, s: state.s };
    if (q) v.q = 1;
    d.cookie = COOKIE + '=' + encodeURIComponent(JSON.stringify(v)) + '; Path=/; Max-Age=15552000; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }

  /** Expire the cookie `name` on this host and on each parent domain it could be set on. */
  function expire(name) {
    const labels = location.hostname.split('.');
    const domains = [''];
    if (!/^[\d.]+$|:/.test(location.hostname)) {
      for (let i = 0; i < labels.length - 1; i++) domains.push('; Domain=' + labels.slice(i).join('.'));
    }
    for (const domain of domains) d.cookie = name + '=; Path=/; Max-Age=0' + domain;
  }

  /** Delete the cookies the config names for services that are not allowed now. */
  function clean() {
    const names = d.cookie.split(/;\s*/).map((c) => c.split('=')[0]);
    for (const c of cfg.categories) {
      for (const v of c.services) {
        if (allowed(c.id, v.id)) continue;
        for (const k of v.cookies) {
          const prefix = k.name.endsWith('*') && k.name.slice(0, -1);
          for (const n of names) if (n !== COOKIE && (prefix ? n.startsWith(prefix) : n === k.name)) expire(n);
        }
      }
    }
  }

  // --- what may run ----------------------------------------------------------------------

  const category = (id) => cfg && cfg.categories.find((c) => c.id === id);
  const required = () => cfg.categories.filter((c) => c.required).map((c) => c.id);
  /** Whether `id` is a category of the config that needs consent. */
  const optional = (id) => { const c = category(id); return !!c && !c.required; };

  /** Whether an element of `cat` (and service `svc`) may run. Without a config (Skydd could
   * not be reached), the choice kept in the cookie still holds. */
  function allowed(cat, svc) {
    const c = category(cat);
    if (c && c.required) return true;
    return (!cfg || !!c) && !!state && (state.g.includes(cat) || (!!svc && state.s[svc] === true));
  }

  /** Whether the browser's GPC or DNT signal counts here: then non-required starts refused. */
  const signal = () => (cfg.gpc === 'honour' && GPC) || (cfg.dnt === 'honour' && DNT);

  /** Run a blocked element (a copy of the script without its type, or the iframe's src). */
  function activate(el) {
    const cat = el.dataset.category, svc = el.dataset.service;
    ran.add(svc ? cat + '/' + svc : cat);
    if (el.tagName === 'IFRAME') {
      if (el.skyddPlaceholder) el.skyddPlaceholder.remove();
      el.classList.remove('skydd-blocked');
      el.src = el.dataset.src;
      return;
    }
    const s = d.createElement('script');
    for (const a of el.attributes) if (a.name !== 'type') s.setAttribute(a.name, a.value);
    if (el.dataset.type) s.type = el.dataset.type;
    s.nonce = el.nonce;
    s.async = el.async; // false unless written: blocked scripts run in document order
    s.text = el.text;
    el.replaceWith(s);
  }

  function handle(el) {
    const cat = el.dataset.category, svc = el.dataset.service;
    if (allowed(cat, svc)) activate(el);
    else if (cfg && el.tagName === 'IFRAME' && !el.skyddPlaceholder) placeholder(el, cat, svc);
  }

  function scan(root) {
    const found = root.matches(BLOCKED) ? [root] : [];
    found.push(...root.querySelectorAll(BLOCKED));
    found.forEach(handle);
  }

  /** Each signal of Google Consent Mode v2 in the config, granted when a given category lists it. */
  function consentMode(kind) {
    if (!cfg && kind === 'update') return;
    const gtag = typeof W.gtag === 'function' ? W.gtag : Array.isArray(W.dataLayer) &&
      function () { W.dataLayer.push(arguments); };
    if (!gtag) return;
    const signals = {};
    if (kind === 'default') {
      for (const k of ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage']) signals[k] = 'denied';
    } else {
      for (const c of cfg.categories) {
        for (const k of c.consent_mode || []) {
          if (signals[k] !== 'granted') signals[k] = allowed(c.id) ? 'granted' : 'denied';
        }
      }
    }
    gtag('consent', kind, signals);
  }

  /** Put the choice in force: run what it allows, delete what it refuses, tell the page. */
  function apply() {
    consentMode('update');
    clean();
    scan(d.documentElement);
    d.dispatchEvent(new CustomEvent('skydd:consent', { detail: { given: state.g.slice(), services: Object.assign({}, state.s) } }));
  }

  // --- choices ---------------------------------------------------------------------------

  /**
   * Record `action` with the categories `given` (required ones always) and `services`: keep it
   * in the cookie, log it to the ledger, put it in force. A withdrawal of something that already
   * ran reloads the page, since a script cannot be stopped otherwise.
   */
  function choose(action, given, services, q) {
    const all = cfg.categories.map((c) => c.id);
    const g = all.filter((id) => !optional(id) || given.includes(id));
    state = { g, s: services };
    keep(q);
    send({
      browser: BROWSER, revision: cfg.revision, notice_version: cfg.notice_version, language: cfg.language,
      action, given: g, refused: all.filter((id) => !g.includes(id)), services, gpc: GPC, dnt: DNT,
    });
    const revoked = [...ran].some((k) => !allowed.apply(null, k.split('/')));
    apply();
    if (!q) closeBanner();
    closeSettings();
    if (revoked) location.reload();
    else floating();
  }

  function send(body) {
    const url = new URL(cfg.log_url, ORIGIN).href, text = JSON.stringify(body);
    if (!(nav.sendBeacon && nav.sendBeacon(url, text))) {
      fetch(url, { method: 'POST', body: text, keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })
        .catch(() => {});
    }
  }

  /** A choice that gives what the browser's GPC/DNT signal refuses is asked explicitly first. */
  function confirmed(label, gives, go) {
    const before = state ? state : { g: [], s: {} };
    const more = gives.g.some((id) => optional(id) && !before.g.includes(id)) ||
      Object.keys(gives.s).some((k) => gives.s[k] && !before.s[k]);
    if (!signal() || !more) return go();
    const text = h('p', { id: 'skydd-cq', text: cfg.texts.gpc_conflict });
    const dialog = h('dialog', { class: 'skydd skydd-confirm', role: 'alertdialog', 'aria-labelledby': 'skydd-cq', lang: cfg.language },
      text,
      h('div', { class: 'skydd-actions' },
        button(label, () => { dialog.close(); go(); }),
        button(cfg.texts.close, () => dialog.close(), 'skydd-alt')));
    modal(dialog);
  }

  const names = (list) => list.map((c) => c.id);
  const acceptAll = () => confirmed(cfg.texts.accept_all, { g: names(cfg.categories), s: {} },
    () => choose('accept_all', names(cfg.categories), state ? state.s : {}));
  const rejectAll = () => choose('reject_all', [], {});

  /** "Load this" on a placeholder: allow the service (or, without one, its category). */
  function load(cat, svc) {
    const g = (state ? state.g : required()).concat(svc ? [] : [cat]);
    const s = Object.assign({}, state ? state.s : {}, svc ? { [svc]: true } : {});
    confirmed(cfg.texts.load_this, { g, s }, () => choose(svc ? 'service' : 'custom', g, s, !state || !!banner));
  }

  // --- what the visitor sees -------------------------------------------------------------

  /** An element: `h(tag, { class, text, onclick, attribute: value }, ...children)`. */
  function h(tag, props, ...children) {
    const e = d.createElement(tag);
    for (const k in props || {}) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  const button = (text, onclick, cls) => h('button', { type: 'button', class: 'skydd-btn' + (cls ? ' ' + cls : ''), text, onclick });
  const link = (href, text) => h('a', { href: new URL(href, ORIGIN).href, text });

  /** A modal dialog: shown on top, Escape closes it, focus goes back where it was. */
  function modal(dialog) {
    const back = d.activeElement;
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (back && back.isConnected && back.focus) back.focus();
    });
    d.body.append(dialog);
    dialog.showModal();
    return dialog;
  }

  const fill = (text, svc, cat) => text.replace('{service}', () => svc).replace('{category}', () => cat);

  function placeholder(el, cat, svc) {
    const c = category(cat);
    const service = c && svc && c.services.find((v) => v.id === svc);
    const name = service ? service.name : c ? c.name : cat;
    const id = 'skydd-p' + Math.random().toString(36).slice(2, 8);
    const blocked = fill(cfg.texts.blocked, name, c ? c.name : cat);
    const ph = h('div', { class: 'skydd skydd-ph', lang: cfg.language },
      h('p', { id, text: blocked.includes(name) ? blocked : name + ': ' + blocked }),
      // A service the config does not name is loaded by its category (the log takes known ones).
      c && button(cfg.texts.load_this, () => load(cat, service ? svc : null)));
    if (c) ph.lastChild.setAttribute('aria-describedby', id);
    el.skyddPlaceholder = ph;
    el.classList.add('skydd-blocked');
    el.before(ph);
  }

  function showBanner() {
    if (banner) return;
    const t = cfg.texts;
    banner = h('div', { class: 'skydd skydd-banner', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'skydd-t',
      'aria-describedby': 'skydd-d', tabindex: '-1', lang: cfg.language },
    h('h2', { id: 'skydd-t', class: 'skydd-title', text: t.title }),
    h('p', { id: 'skydd-d', text: t.description + ' ' }, link(cfg.privacy_url, t.privacy_notice)),
    h('div', { class: 'skydd-actions' },
      button(t.accept_all, acceptAll), button(t.reject_all, rejectAll), button(t.customise, openSettings, 'skydd-alt')));
    bannerBack = d.activeElement;
    d.body.append(banner);
    banner.focus();
  }

  /** Remove the first layer; focus goes back where it was before, when it was inside. */
  function closeBanner() {
    if (!banner) return;
    const inside = banner.contains(d.activeElement);
    banner.remove();
    banner = null;
    if (inside && bannerBack && bannerBack !== d.body && bannerBack.isConnected) bannerBack.focus();
    else if (inside) d.activeElement.blur();
  }

  /** The settings: every category with its services and cookies, and every action. */
  function openSettings() {
    if (!cfg || settings) return;
    const t = cfg.texts;
    const preset = state ? state.g : kept ? kept.g : [];
    const rows = cfg.categories.map((c) => {
      const box = h('input', { type: 'checkbox', id: 'skydd-c-' + c.id, value: c.id, checked: c.required || preset.includes(c.id), disabled: c.required });
      return h('li', { class: 'skydd-cat' },
        h('div', { class: 'skydd-row' }, box, h('label', { for: box.id, text: c.name }),
          c.required && h('span', { class: 'skydd-on', text: t.always_on })),
        c.description && h('p', { class: 'skydd-muted', text: c.description }),
        c.services.length > 0 && h('details', null,
          h('summary', { text: t.services + ' (' + c.services.length + ')' }),
          h('ul', { class: 'skydd-services' }, ...c.services.map(service))));
    });
    const withdrawable = state && (state.g.some(optional) || Object.keys(state.s).length > 0);
    settings = h('dialog', { class: 'skydd skydd-settings', 'aria-labelledby': 'skydd-st', lang: cfg.language },
      h('div', { class: 'skydd-head' },
        h('h2', { id: 'skydd-st', class: 'skydd-title', text: t.title }),
        button(t.close, () => settings.close(), 'skydd-alt')),
      h('p', { text: t.description }),
      signal() && h('p', { class: 'skydd-note', text: t.gpc_notice }),
      h('ul', { class: 'skydd-cats' }, ...rows),
      h('p', null, link(cfg.privacy_url, t.privacy_notice), ' · ', link(cfg.centre_url, t.privacy_centre)),
      state && h('p', { class: 'skydd-muted', text: t.your_id + ': ' }, h('code', { text: BROWSER })),
      h('div', { class: 'skydd-actions' },
        button(t.accept_all, acceptAll), button(t.reject_all, rejectAll),
        button(t.save, () => {
          const given = [...settings.querySelectorAll('input:checked')].map((b) => b.value);
          confirmed(t.save, { g: given, s: state ? state.s : {} }, () => choose('custom', given, state ? state.s : {}));
        }, 'skydd-alt'),
        withdrawable && button(t.withdraw, () => choose('withdraw', [], {}), 'skydd-alt')));
    settings.addEventListener('close', () => { settings = null; });
    modal(settings);
  }

  function closeSettings() {
    if (settings) settings.close();
  }

  function service(v) {
    const t = cfg.texts;
    const safe = v.opt_out_url && /^https?:\/\//i.test(v.opt_out_url);
    return h('li', null,
      h('p', null, h('strong', { text: v.name }), ' — ' + t.provider + ': ' + v.provider),
      h('p', { class: 'skydd-muted', text: v.purpose }),
      v.cookies.length > 0 && h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col', text: t.cookies }), h('th', { scope: 'col', text: t.lifetime }))),
        h('tbody', null, ...v.cookies.map((k) => h('tr', null, h('td', null, h('code', { text: k.name })), h('td', { text: k.lifetime }))))),
      safe && h('p', null, h('a', { href: v.opt_out_url, rel: 'noopener noreferrer', text: new URL(v.opt_out_url).host })));
  }

  /** A "Cookie settings" button, only when the page offers no link to reopen the settings. */
  function floating() {
    if (!d.querySelector(OPENERS)) {
      d.body.append(h('button', { type: 'button', class: 'skydd skydd-btn skydd-float', 'data-skydd-settings': true, lang: cfg.language, text: cfg.texts.settings_link }));
    }
  }

  // --- start -----------------------------------------------------------------------------

  function start() {
    if (!cfg) {
      // Skydd could not be reached: the kept choice holds, nothing is asked.
      if (kept) state = { g: kept.g, s: kept.s };
    } else if (cfg.categories.every((c) => c.required)) {
      state = { g: required(), s: {} }; // nothing to ask
      apply();
    } else if (kept && kept.r === cfg.revision) {
      state = { g: kept.g, s: kept.s };
      apply();
      if (kept.q) showBanner();
      else floating();
    } else if (signal()) {
      state = null;
      choose('reject_all', [], {});
    } else {
      scan(d.documentElement);
      showBanner();
    }
    if (!cfg) scan(d.documentElement);
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) scan(n);
    }).observe(d.documentElement, { childList: true, subtree: true });
    if (location.hash === '#skydd-settings') openSettings();
    W.skydd.ready = true;
  }

  d.addEventListener('click', (e) => {
    const opener = e.target.closest && e.target.closest(OPENERS);
    if (opener) {
      e.preventDefault();
      openSettings();
    }
  });

  consentMode('default');
  W.skydd = { open: openSettings, consent: () => state && { given: state.g.slice(), services: Object.assign({}, state.s) } };
  fetch(ORIGIN + '/v1/banner/config?lang=' + LANG, { credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('config ' + r.status))))
    .then((c) => { cfg = c; }, () => {})
    .then(start);
})();
