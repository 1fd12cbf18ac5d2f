"""Inline <style>/<script> blocks that give replica pages the weight of live ones (60-120 KB).

The live site inlines its theme CSS and a bundled script; the crawler must cope with that bulk
(and must never take script text for article text). Built once at import, shared by all pages.
"""

from __future__ import annotations

_CLASSES = (
    "header", "header_top", "header_socials", "social_link", "header_logo", "header_actions",
    "header_button", "theme_button", "lang_switch", "lang_link", "search_button", "search_popup",
    "input_block", "menu", "main", "post", "post_cover", "post_categoty", "post_font",
    "font_plus", "font_minus", "post_title", "post_subtitle", "post_author", "post_time",
    "post_body", "post_signature", "post_hits", "post_share", "print_link", "copy_link",
    "copied", "ads_block", "related", "related_title", "related_sub", "related_list", "sidebar",
    "sidebar_title", "most_read", "footer", "footer_text", "footer_copy", "category_page",
    "category_title", "category_sub", "float_blocks", "float_block", "float_block_image_block",
    "float_block_image", "float_block_title", "float_block_bottom", "float_block_category",
    "float_block_time", "load_more", "banner", "dark_theme", "light_theme",
)  # fmt: skip
_MEDIA = ("", "@media (max-width:768px){")
_DECLS = (
    "display:flex;align-items:center;justify-content:space-between",
    "margin:0 auto;padding:12px 16px;box-sizing:border-box",
    "font:500 15px/1.55 'Roboto',Arial,sans-serif;color:#1d1d1f;letter-spacing:.01em",
    "background:#fff;border-bottom:1px solid rgba(0,0,0,.08);transition:background .2s ease",
    "position:relative;overflow:hidden;border-radius:6px;box-shadow:0 2px 8px rgba(0,0,0,.06)",
    "text-transform:uppercase;font-weight:700;font-size:12px;color:#c8102e",
)


def _css() -> str:
    """A theme stylesheet: every class in a few states and breakpoints."""
    rules: list[str] = []
    for m, media in enumerate(_MEDIA):
        for n, cls in enumerate(_CLASSES):
            for state in ("", ":hover", " a"):
                decl = _DECLS[(n + m + len(state)) % len(_DECLS)]
                rules.append(f".{cls}{state}{{{decl}}}")
            rules.append(f".dark_theme .{cls}{{color:#e8e8ea;background-color:#1{n % 10}1{m}1e}}")
        if media:
            rules.append("}")
    return "\n".join(rules)


def _js() -> str:
    """A minified-looking application bundle (inert: it is never executed)."""
    parts = ["!function(){\"use strict\";var e={},t=window.__APP__||{};"]
    for n in range(125):
        name, cls = f"m{n:03d}", _CLASSES[n % len(_CLASSES)]
        parts.append(
            f"e.{name}=function(n,r){{var o=document.querySelectorAll('.{cls}')"
            f";for(var i=0;i<o.length;i++){{o[i].setAttribute('data-m{n}',String(r||i));"
            f"o[i].addEventListener('click',function(a){{a.preventDefault();t.last={n};}},!1)}}"
            f"return n&&n.length>{n % 7}?n.slice(0,{n % 11 + 1}):null}};"
        )
    parts.append("window.__bundle=e;}();")
    return "".join(parts)


HEAD_STYLE: str = f"<style>\n{_css()}\n</style>"
FOOT_SCRIPT: str = f"<script>\n{_js()}\n</script>"
