"""XSS payloads and a check that HTML is safe, for the tests of rendering and of the posts
API (see tests/blog/test_rendering.py, which also tests the check itself)."""

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db


# Payloads from the OWASP XSS Filter Evasion Cheat Sheet, as raw HTML in Markdown and as
# Markdown links and images.
XSS_PAYLOADS = [
    "<script>alert('XSS')</script>",
    '<SCRIPT SRC="https://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC= onmouseover=\"alert('xxs')\">",
    "<IMG onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    '&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;"
    "&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
    "&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040"
    "&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72"
    "&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<IMG SRC=\"java\0script:alert('XSS');\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    "<BODY ONLOAD=alert('XSS')>",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
    'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>',
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\"><TR><TD>x</TD></TR></TABLE>",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">x</TD></TABLE>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">x</DIV>",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">x</DIV>",
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDA'
    'vc3ZnIj48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+" type="image/svg+xml" '
    'AllowScriptAccess="always"></EMBED>',
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<details open ontoggle=alert(1)>x</details>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    "<a href=\"javascript:alert('XSS')\">x</a>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="x" onerror=alert(1)//',
    "<x onclick=alert(1)>click</x>",
    '<span onclick="alert(1)" class="ok">x</span>',
    '<p style="color:red" onmouseover="alert(1)">x</p>',
    "<!--<script>alert(1)</script>-->",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[click][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '[click](https://example.com "title" onclick="alert(1)")',
]

# More, aimed at what an HTML body may keep: embeds (only from the allowed hosts, always
# sandboxed, nothing inside), srcset, code classes, tables and figures.
HTML_XSS_PAYLOADS = [
    '<iframe src="https://evil.example/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com.evil.example/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com@evil.example/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com\\@evil.example/embed/x"></iframe>',
    '<iframe src="https://evil.example/?u=https://www.youtube.com/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com:8443/embed/x"></iframe>',
    '<iframe src="javascript:alert(1)//https://www.youtube.com/embed/x"></iframe>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>" src="https://www.youtube.com/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com/embed/x" onload="alert(1)"></iframe>',
    '<iframe src="https://www.youtube.com/embed/x" style="position:fixed"></iframe>',
    '<iframe src="https://player.vimeo.com/video/1" sandbox="allow-top-navigation '
    'allow-popups-to-escape-sandbox allow-forms"></iframe>',
    '<iframe src="https://player.vimeo.com/video/1" sandbox=""></iframe>',
    '<iframe src="https://www.youtube.com/embed/x"><script>alert(1)</script>'
    "<img src=x onerror=alert(1)></iframe>",
    '<iframe src="https://www.youtube.com/embed/x"><iframe src="https://evil.example/">'
    "</iframe></iframe>",
    '<IFRAME SRC="https://www.youtube.com/embed/x" allow="camera; microphone"></IFRAME>',
    '<img src="a.png" srcset="javascript:alert(1) 1x">',
    '<img src="a.png" srcset="https://ok.example/a.png 1x, data:text/html,x 2x">',
    '<img src="a.png" srcset=" java\tscript:alert(1) 1x">',
    '<img src="a.png" loading="lazy" onload="alert(1)">',
    '<pre><code class="language-js" onclick="alert(1)">x</code></pre>',
    '<figure onmouseover="alert(1)"><img src="x.png"><figcaption><a href="javascript:'
    'alert(1)">c</a></figcaption></figure>',
    '<table><tr><td colspan="2" background="javascript:alert(1)">x</td></tr></table>',
    '<object data="https://www.youtube.com/embed/x"></object>',
    '<embed src="https://www.youtube.com/embed/x">',
    "<style>body{display:none}</style><p>x</p>",
    '<a href="https://example.com" target="_blank" rel="opener">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><script>alert(1)</script></textarea>",
    '<svg><iframe src="https://www.youtube.com/embed/x"></iframe></svg>',
    '<img alt="<iframe src=&quot;https://evil.example/&quot;>">',
]

_FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "svg", "math",
    "link", "meta", "base", "form", "input", "button", "body", "bgsound", "details", "x",
    "title",
}  # fmt: skip

_URL_ATTRIBUTES = {"href", "src", "lowsrc", "dynsrc", "background", "action", "data", "xlink:href"}

_SAFE_SCHEMES = {"http", "https", "mailto"}

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def _url_scheme(value: str) -> str | None:
    """The scheme a browser's URL parser (WHATWG) finds in an attribute value whose
    entities are already decoded: it strips leading and trailing controls and spaces and
    removes tabs and newlines anywhere; no scheme means a relative URL."""
    url = re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21)))))
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


EMBED_PREFIXES = (
    "https://www.youtube.com/embed/",
    "https://youtube.com/embed/",
    "https://www.youtube-nocookie.com/embed/",
    "https://youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
)
EMBED_SANDBOX = "allow-scripts allow-same-origin allow-presentation"
_IFRAME_ATTRIBUTES = {
    "src", "width", "height", "title", "sandbox", "loading", "referrerpolicy", "allowfullscreen",
}  # fmt: skip
_IFRAME_CONTENT = re.compile(r"<iframe\b[^>]*>(.*?)</iframe>", re.IGNORECASE | re.DOTALL)


def _assert_safe_embed(attrs: list[tuple[str, str | None]], html: str) -> None:
    values = dict(attrs)
    assert set(values) <= _IFRAME_ATTRIBUTES, html
    assert (values.get("src") or "").startswith(EMBED_PREFIXES), html
    assert values.get("sandbox") == EMBED_SANDBOX, html


def assert_safe_html(html: str, embeds: bool = False) -> None:
    """No dangerous element, no event handler or style, no URL outside the safe schemes.
    With `embeds`, <iframe>s of the default embed hosts are safe when sandboxed, with no
    other attributes than the renderer sets and nothing inside."""
    assert "<script" not in html.lower()
    collector = _Collector()
    collector.feed(html)
    collector.close()
    for content in _IFRAME_CONTENT.findall(html):
        assert content == "", html
    for tag, attrs in collector.elements:
        if embeds and tag == "iframe":
            _assert_safe_embed(attrs, html)
            continue
        assert tag not in _FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in _URL_ATTRIBUTES and value:
                scheme = _url_scheme(value)
                assert scheme is None or scheme in _SAFE_SCHEMES, html
            if name == "srcset" and value:
                for candidate in value.split(","):
                    scheme = _url_scheme(candidate.strip().split()[0])
                    assert scheme is None or scheme in _SAFE_SCHEMES, html
