/* page_assets.c - what the status page carries inline, since it loads
 * nothing from anywhere: its style sheet, its one small script (the
 * auto-refresh), its status icons, and the Content-Security-Policy that
 * allows exactly that style and that script by their SHA-256 hashes. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "outputs/page.h"

/* Colours: GitHub's Primer palette, each text/background pair at least
 * 4.5:1 (the page test measures them in both themes). */
const char vpage_css[] =
    ":root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--fg:#1f2328;"
    "--mute:#59636e;--line:#d1d9e0;--link:#0969da;--c0:#1a7f37;"
    "--c1:#9a6700;--c2:#cf222e;--t0:#116329;--t1:#7d4e00;--t2:#a40e26;"
    "--b0:#dafbe1;--b1:#fff8c5;--b2:#ffebe9}\n"
    "@media(prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;"
    "--fg:#f0f6fc;--mute:#9198a1;--line:#3d444d;--link:#4493f8;"
    "--c0:#3fb950;--c1:#d29922;--c2:#f85149;--t0:#3fb950;--t1:#e3b341;"
    "--t2:#ff7b72;--b0:#0f2a1a;--b1:#2e2410;--b2:#3b1418}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 "
    "system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
    "a{color:var(--link)}\n"
    ".wrap{max-width:1200px;margin:0 auto;padding:16px}\n"
    "header{display:flex;flex-wrap:wrap;gap:12px 24px;align-items:center;"
    "justify-content:space-between;padding:16px 20px;background:var(--card);"
    "border:1px solid var(--line);border-radius:8px}\n"
    "h1{margin:0;font-size:1.5rem;overflow-wrap:anywhere}\n"
    ".sub{margin:2px 0 0;color:var(--mute);font-size:.9rem}\n"
    "#summary{text-align:right}\n"
    ".overall{display:inline-flex;align-items:center;gap:10px;"
    "font-size:1.35rem;font-weight:700;padding:6px 16px;border-radius:8px}\n"
    ".overall .ic{width:26px;height:26px}\n"
    ".k0{color:var(--t0);background:var(--b0)}"
    ".k1{color:var(--t1);background:var(--b1)}"
    ".k2{color:var(--t2);background:var(--b2)}\n"
    ".k0 .ic{color:var(--c0)}.k1 .ic{color:var(--c1)}.k2 .ic{color:var(--c2)}\n"
    ".ic{width:16px;height:16px;flex:none}\n"
    ".asof{margin:4px 0 0;color:var(--mute);font-size:.85rem}\n"
    ".banner{margin:12px 0 0;padding:10px 16px;border-radius:8px;"
    "border:1px solid var(--c1);font-weight:600}\n"
    "#banner:empty{display:none}\n"
    "nav{display:flex;flex-wrap:wrap;gap:6px;align-items:center;"
    "margin:16px 0 10px;font-size:.9rem}\n"
    "nav a{padding:2px 10px;border:1px solid var(--line);border-radius:99px;"
    "text-decoration:none;background:var(--card)}\n"
    "nav a[aria-current]{background:var(--fg);color:var(--card);"
    "border-color:var(--fg)}\n"
    "nav .l{color:var(--mute);margin:0 2px 0 8px}nav .l:first-child{margin-left:0}\n"
    "table{width:100%;border-collapse:separate;border-spacing:0;"
    "background:var(--card);border:1px solid var(--line);border-radius:8px}\n"
    "th,td{padding:9px 12px;text-align:left;vertical-align:top;"
    "border-top:1px solid var(--line)}\n"
    "thead th{font-size:.75rem;color:var(--mute);text-transform:uppercase;"
    "letter-spacing:.04em;border-top:0;white-space:nowrap}\n"
    ".tm{white-space:nowrap}\n"
    "tbody tr>:first-child{box-shadow:inset 4px 0 var(--c0)}\n"
    "tbody tr.r1>:first-child{box-shadow:inset 4px 0 var(--c1)}\n"
    "tbody tr.r2>:first-child{box-shadow:inset 4px 0 var(--c2)}\n"
    ".pill{display:inline-flex;align-items:center;gap:6px;padding:2px 10px "
    "2px 5px;border-radius:99px;font-weight:600;font-size:.85rem;"
    "white-space:nowrap}\n"
    ".nm{font-weight:600;overflow-wrap:anywhere}\n"
    ".m1 .nm{padding-left:34px}.m2 .nm{padding-left:56px}"
    ".m3 .nm{padding-left:78px}\n"
    ".m1 .nm::before,.m2 .nm::before,.m3 .nm::before{content:'\\21b3  ';"
    "color:var(--mute)}\n"
    ".msg{margin-top:2px;font-weight:400;color:var(--mute);"
    "overflow-wrap:anywhere}\n"
    ".r1 .msg{color:var(--t1)}.r2 .msg{color:var(--t2)}\n"
    ".tag{display:inline-block;font-size:.75rem;font-weight:400;"
    "padding:0 6px;margin-left:6px;border:1px solid var(--line);"
    "border-radius:4px;color:var(--mute)}\n"
    "small{display:block;color:var(--mute);font-size:.8rem}\n"
    ".bar{display:block;width:100%;max-width:260px;height:22px}\n"
    ".bar .h0{fill:var(--c0)}.bar .h1{fill:var(--c1)}.bar .h2{fill:var(--c2)}"
    ".bar .hn{fill:var(--line)}\n"
    ".bar .t{fill:transparent}.bar .t:hover{fill:var(--fg);opacity:.3}\n"
    ".sp{display:block;width:120px;height:28px}\n"
    ".sp .a{fill:var(--line);opacity:.6}.sp .s{fill:none;stroke:var(--link);"
    "stroke-width:1.5}\n"
    ".none{color:var(--mute);font-size:.8rem}\n"
    ".hidden{padding:16px 20px;margin-top:16px;background:var(--card);"
    "border:1px solid var(--line);border-radius:8px}\n"
    "footer{margin:14px 0;color:var(--mute);font-size:.8rem}\n"
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip-path:inset(50%);white-space:nowrap}\n"
    "@media(max-width:720px){.wrap{padding:8px}header{padding:12px}"
    "#summary{text-align:left}"
    "thead{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip-path:inset(50%)}"
    "table,tbody{display:block}table{border:0;background:none}"
    "tbody tr{display:flex;flex-wrap:wrap;align-items:flex-start;"
    "background:var(--card);border:1px solid var(--line);"
    "border-left:5px solid var(--c0);border-radius:8px;margin-bottom:8px;"
    "padding:6px 0}"
    "tbody tr.r1{border-left-color:var(--c1)}"
    "tbody tr.r2{border-left-color:var(--c2)}"
    "tbody tr[class]>.st{box-shadow:none}"
    "th,td{display:block;border:0;padding:3px 12px}"
    ".nm{order:1;flex:1 1 calc(100% - 9em);min-width:0}"
    ".st{order:2;flex:none;padding-left:0}"
    "td[data-l]{order:3;width:100%}td.tm{width:50%}td.e{display:none}"
    ".m1,.m2,.m3{margin-left:16px}.m1 .nm,.m2 .nm,.m3 .nm{padding-left:12px}"
    "td[data-l]::before{content:attr(data-l);display:block;"
    "color:var(--mute);font-size:.75rem;text-transform:uppercase;"
    "letter-spacing:.04em}"
    "small{display:inline;margin-left:6px}"
    ".bar{max-width:none}}\n";

const char vpage_js[] =
    "(function(){\n"
    "var b=document.body,ms=+b.getAttribute('data-refresh'),"
    "url=b.getAttribute('data-json'),etag='',t=0,busy=0,"
    "live=document.getElementById('live'),idle=live?live.textContent:'';\n"
    "function say(s){if(live&&live.textContent!==s)live.textContent=s;}\n"
    "function show(j){for(var k in j.parts){var e=document.getElementById(k);"
    "if(e)e.innerHTML=j.parts[k];}document.title=j.title;"
    "var i=document.querySelector('link[rel=icon]');if(i)i.href=j.icon;}\n"
    "function next(){if(!document.hidden&&!t)t=setTimeout(tick,ms);}\n"
    "function tick(){t=0;if(document.hidden||busy)return;busy=1;\n"
    "fetch(url,{cache:'no-store',headers:etag?{'If-None-Match':etag}:{}})"
    ".then(function(r){if(r.status===304)return null;"
    "if(!r.ok)throw new Error('HTTP '+r.status);"
    "etag=r.headers.get('ETag')||'';return r.json();})\n"
    ".then(function(j){if(j)show(j);say(idle);},"
    "function(){say('Cannot reach vitalsd: retrying');})\n"
    ".then(function(){busy=0;next();});}\n"
    "document.addEventListener('visibilitychange',function(){"
    "if(document.hidden){clearTimeout(t);t=0;}else if(!t)tick();});\n"
    "next();\n"
    "})();";

/* One symbol per status (a tick, an exclamation mark, a cross), drawn in
 * currentColor with a white mark, used by every icon on the page. */
const char vpage_icons[] =
    "<svg class=\"vh\" aria-hidden=\"true\"><defs>"
    "<symbol id=\"i0\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" "
    "r=\"8\" fill=\"currentColor\"/><path d=\"M4.5 8.3l2.3 2.3 4.7-4.9\" "
    "fill=\"none\" stroke=\"#fff\" stroke-width=\"1.9\" "
    "stroke-linecap=\"round\" stroke-linejoin=\"round\"/></symbol>"
    "<symbol id=\"i1\" viewBox=\"0 0 16 16\"><path d=\"M8 1.2l7 13H1z\" "
    "fill=\"currentColor\" stroke=\"currentColor\" stroke-width=\"1.6\" "
    "stroke-linejoin=\"round\"/><path d=\"M8 5.8v4M8 12.3v.1\" "
    "stroke=\"#fff\" stroke-width=\"1.9\" stroke-linecap=\"round\"/>"
    "</symbol>"
    "<symbol id=\"i2\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" "
    "r=\"8\" fill=\"currentColor\"/><path d=\"M5.3 5.3l5.4 5.4M10.7 5.3l-5.4 "
    "5.4\" stroke=\"#fff\" stroke-width=\"1.9\" stroke-linecap=\"round\"/>"
    "</symbol></defs></svg>";

static char csp[2][640];

/* 'sha256-<base64>' of text, as CSP names an inline element. */
static void hash_source(const char *text, char *out, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char b64[EVP_MAX_MD_SIZE * 2];

    if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1) {
        /* No hash: the browser then refuses the element, which is safe. */
        snprintf(out, len, "'none'");
        return;
    }
    EVP_EncodeBlock(b64, md, (int)mdlen);
    snprintf(out, len, "'sha256-%s'", (const char *)b64);
}

static void make_csp(void)
{
    char style[144], script[144]; /* room for any digest gcc can see */

    hash_source(vpage_css, style, sizeof(style));
    hash_source(vpage_js, script, sizeof(script));
    snprintf(csp[0], sizeof(csp[0]),
             "default-src 'none'; style-src %s; img-src data:; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
             style);
    snprintf(csp[1], sizeof(csp[1]),
             "default-src 'none'; style-src %s; script-src %s; "
             "connect-src 'self'; img-src data:; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'none'",
             style, script);
}

const char *vpage_csp(int script)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, make_csp);
    return csp[script ? 1 : 0];
}

const char *vpage_favicon(vitals_status_t s)
{
    static const char *const icons[3] = {
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' "
        "viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' "
        "fill='%231a7f37'/%3E%3C/svg%3E",
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' "
        "viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' "
        "fill='%23bf8700'/%3E%3C/svg%3E",
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' "
        "viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' "
        "fill='%23cf222e'/%3E%3C/svg%3E"};

    return icons[s <= VITALS_UNHEALTHY ? s : VITALS_UNHEALTHY];
}
