// Stands in for a statistics tag: runs only after the visitor gives "analytics", then marks the
// page and sets the cookies a statistics service would (the register names them, so the banner
// deletes them when the consent is withdrawn).
window.exampleAnalytics = (window.exampleAnalytics || 0) + 1;
document.cookie = '_ga=GA1.1.example; Path=/; Max-Age=63072000; SameSite=Lax';
document.cookie = '_ga_EXAMPLE=GS1.1.example; Path=/; Max-Age=63072000; SameSite=Lax';
document.getElementById('analytics-status').textContent = document.documentElement.lang === 'sv' ? 'laddad' : 'loaded';
