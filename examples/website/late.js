// A statistics tag a page adds after it loaded (as tag managers do): blocked the same way.
window.exampleLateAnalytics = true;
document.getElementById('late-status').textContent = document.documentElement.lang === 'sv' ? 'laddad' : 'loaded';
